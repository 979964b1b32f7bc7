//! The packages as cargo sees them (`cargo metadata`): the names they are
//! published under, the library names the code uses, the metadata crates.io
//! shows, and the `cargo add` line the README and the guide give.
//!
//! On crates.io `spike` and `spike-core` are unrelated crates, so the
//! packages are `spike-test*` while the libraries keep their names
//! (`use spike::prelude::*`, `spike_core::..`), like the package `md-5`
//! whose library is `md5`.

use std::path::Path;
use std::process::Command;

/// `cargo metadata --no-deps` of this workspace (no network, no build).
fn metadata() -> serde_json::Value {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let out = Command::new(cargo)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "metadata",
            "--no-deps",
            "--offline",
            "--format-version",
            "1",
        ])
        .output()
        .expect("cargo runs");
    assert!(
        out.status.success(),
        "cargo metadata failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("cargo metadata prints JSON")
}

/// The package whose manifest is `<folder>/Cargo.toml` ("" for the root).
fn package<'a>(meta: &'a serde_json::Value, folder: &str) -> &'a serde_json::Value {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(folder)
        .join("Cargo.toml");
    meta["packages"]
        .as_array()
        .expect("a package list")
        .iter()
        .find(|p| p["manifest_path"].as_str().map(Path::new) == Some(manifest.as_path()))
        .unwrap_or_else(|| panic!("no package at {}", manifest.display()))
}

/// The name of the package's library target.
fn lib_name(package: &serde_json::Value) -> &str {
    package["targets"]
        .as_array()
        .expect("a target list")
        .iter()
        .find(|t| {
            t["kind"]
                .as_array()
                .is_some_and(|k| k.iter().any(|k| k == "lib" || k == "proc-macro"))
        })
        .and_then(|t| t["name"].as_str())
        .expect("a library target")
}

/// Folder, package name, library name.
const PACKAGES: [(&str, &str, &str); 4] = [
    ("", "spike-test", "spike"),
    ("spike-core", "spike-test-core", "spike_core"),
    ("spike-macros", "spike-test-macros", "spike_macros"),
    ("spike-assert", "spike-test-assert", "spike_assert"),
];

#[test]
fn packages_are_published_as_spike_test_and_keep_their_library_names() {
    let meta = metadata();
    for (folder, name, lib) in PACKAGES {
        let p = package(&meta, folder);
        assert_eq!(p["name"], name, "package in {folder:?}");
        assert_eq!(lib_name(p), lib, "library of {name}");
        assert!(p["publish"].is_null(), "{name} must be publishable");
    }
    // This test is a target of the root package: cargo names it so.
    assert_eq!(env!("CARGO_PKG_NAME"), "spike-test");
}

/// The `cargo spike` command: a binary-only package (folder, package name).
const COMMAND: (&str, &str) = ("cargo-spike", "cargo-spike");

#[test]
fn the_cargo_spike_command_is_a_publishable_binary_named_for_cargo() {
    let meta = metadata();
    let (folder, name) = COMMAND;
    let p = package(&meta, folder);
    assert_eq!(p["name"], name);
    assert!(p["publish"].is_null(), "{name} must be publishable");
    // `cargo spike` runs a binary named `cargo-spike` found on PATH.
    let bins: Vec<&str> = p["targets"]
        .as_array()
        .expect("a target list")
        .iter()
        .filter(|t| {
            t["kind"]
                .as_array()
                .is_some_and(|k| k.iter().any(|k| k == "bin"))
        })
        .filter_map(|t| t["name"].as_str())
        .collect();
    assert_eq!(bins, ["cargo-spike"]);
    // It depends on the engine as published, through the workspace entry.
    let deps = p["dependencies"].as_array().expect("dependencies");
    assert!(
        deps.iter()
            .any(|d| d["name"] == "spike-test-core" && d["rename"] == "spike-core"),
        "{name} depends on spike-core = {{ workspace = true }}"
    );
}

#[test]
fn every_package_has_the_metadata_crates_io_shows() {
    let meta = metadata();
    let published = PACKAGES
        .iter()
        .map(|(folder, name, _)| (*folder, *name))
        .chain([COMMAND]);
    for (folder, name) in published {
        let p = package(&meta, folder);
        for field in ["description", "license", "repository", "readme"] {
            assert!(
                p[field].as_str().is_some_and(|v| !v.trim().is_empty()),
                "{name}: {field} is missing"
            );
        }
        let readme = Path::new(p["manifest_path"].as_str().expect("a path"))
            .parent()
            .expect("a folder")
            .join(p["readme"].as_str().expect("a readme"));
        assert!(readme.is_file(), "{name}: {} is missing", readme.display());
        // crates.io takes at most 5 keywords of at most 20 ASCII characters.
        let keywords = p["keywords"].as_array().expect("keywords");
        assert!((1..=5).contains(&keywords.len()), "{name}: {keywords:?}");
        for k in keywords {
            let k = k.as_str().expect("a keyword");
            assert!(
                k.len() <= 20
                    && k.chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'),
                "{name}: keyword {k:?}"
            );
        }
        assert!(
            !p["categories"].as_array().expect("categories").is_empty(),
            "{name}: no category"
        );
    }
}

#[test]
fn the_readme_and_the_guide_give_the_cargo_add_line_of_this_package() {
    let add = format!("cargo add {} --dev", env!("CARGO_PKG_NAME"));
    let path_dependency = format!("{} = {{ path = \"", env!("CARGO_PKG_NAME"));
    for (file, text) in [
        ("README.md", include_str!("../README.md")),
        (
            "docs/spike_testing_guide.md",
            include_str!("../docs/spike_testing_guide.md"),
        ),
    ] {
        let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(text.contains(&add), "{file} does not say `{add}`");
        assert!(
            text.contains("cargo add --dev --path ../spike"),
            "{file} does not give the checkout's `cargo add` line"
        );
        assert!(text.contains(&path_dependency), "{file}: {path_dependency}");
        assert!(text.contains("use spike::prelude::*"), "{file}");
        assert!(text.contains("spike = []"), "{file}: the feature line");
    }
    let fixture = include_str!("fixtures/user-crate/Cargo.toml");
    assert!(
        fixture.lines().any(|l| l.starts_with(&path_dependency)),
        "the user-crate fixture depends on {}",
        env!("CARGO_PKG_NAME")
    );
}
