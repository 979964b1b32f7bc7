//! Every spike test the guide (`docs/spike_testing_guide.md`) shows is
//! compiled and run here (issue 9 §4). In a doc test a `#[spike_test]`
//! expands to a `#[test]`, which rustdoc drops before type checking, so the
//! guide's own doc tests never compile these functions.
//!
//! `tests/guide/*.rs` hold the guide's blocks word for word (rustdoc's
//! hidden `# ` lines left out); `every_spike_test_in_the_guide_is_here`
//! fails when a block and its copy drift apart, or when the guide gains a
//! spike test that is not listed here. The copies are pulled in with
//! `include!`, so rustfmt leaves their layout as the guide has it.
//!
//! Like every spike test they run with the `spike` feature:
//! `cargo test --features spike,ws,postgres,redis --test guide`. The
//! Postgres and Redis examples need the servers on 127.0.0.1
//! (`bash .ci/services.sh`); they fail, naming the connection, when a server
//! is unreachable. Every example sends load to loopback only and is
//! bounded by its shape and its `timeout`.

/// `## 10. Writing spike tests` › `### A first spike test`.
mod first_spike_test {
    include!("guide/first_spike_test.rs");
}

/// `### What the attribute does`: a spike test returning `Result`.
mod result_returning {
    include!("guide/result_returning.rs");
}

/// `#### crate`: the attribute through a renamed crate.
mod renamed_crate {
    include!("guide/renamed_crate.rs");
}

/// `### WebSocket: a connection avalanche`.
#[cfg(feature = "ws")]
mod ws_avalanche {
    include!("guide/ws_avalanche.rs");
}

/// `### Postgres: a burst against a small pool`.
#[cfg(feature = "postgres")]
mod postgres_small_pool {
    include!("guide/postgres_small_pool.rs");
}

/// `### Redis: a cold cache under a spike`.
#[cfg(feature = "redis")]
mod redis_cold_cache {
    include!("guide/redis_cold_cache.rs");
}

/// `## 22. Scenario files` › `### Three ways to run a file`: the attribute.
#[cfg(feature = "http")]
mod file_attribute {
    include!("guide/file_attribute.rs");
}

/// `## 22. Scenario files` › `### Three ways to run a file`: `SpikeFile`.
#[cfg(feature = "http")]
mod scenario_file {
    include!("guide/scenario_file.rs");
}

const GUIDE: &str = include_str!("../docs/spike_testing_guide.md");

/// The copies, in the guide's order.
const COPIES: [(&str, &str); 8] = [
    (
        "first_spike_test",
        include_str!("guide/first_spike_test.rs"),
    ),
    (
        "result_returning",
        include_str!("guide/result_returning.rs"),
    ),
    ("renamed_crate", include_str!("guide/renamed_crate.rs")),
    ("ws_avalanche", include_str!("guide/ws_avalanche.rs")),
    (
        "postgres_small_pool",
        include_str!("guide/postgres_small_pool.rs"),
    ),
    (
        "redis_cold_cache",
        include_str!("guide/redis_cold_cache.rs"),
    ),
    ("file_attribute", include_str!("guide/file_attribute.rs")),
    ("scenario_file", include_str!("guide/scenario_file.rs")),
];

/// The visible text of every ```` ```rust ```` block (any `rust,..` info
/// string too), without rustdoc's hidden lines (`# ..` and a lone `#`).
fn rust_blocks(markdown: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<Vec<&str>> = None;
    for line in markdown.lines() {
        match &mut current {
            None => {
                let info = line.strip_prefix("```").map(str::trim);
                if info.is_some_and(|i| i == "rust" || i.starts_with("rust,")) {
                    current = Some(Vec::new());
                }
            }
            Some(lines) => {
                if line.trim_start().starts_with("```") {
                    blocks.push(lines.join("\n").trim().to_owned());
                    current = None;
                } else {
                    let t = line.trim_start();
                    if t != "#" && !t.starts_with("# ") {
                        lines.push(line);
                    }
                }
            }
        }
    }
    blocks
}

/// Whether a block shows a spike test: a line that is a `spike_test`
/// attribute (`#[spike_test]`, `#[spike_test(..)]`, `#[load::spike_test(..)]`).
fn shows_a_spike_test(block: &str) -> bool {
    block.lines().any(|l| {
        let l = l.trim_start();
        l.starts_with("#[")
            && l.split(['[', '(', ']'])
                .nth(1)
                .is_some_and(|path| path == "spike_test" || path.ends_with("::spike_test"))
    })
}

#[test]
fn every_spike_test_in_the_guide_is_here() {
    let shown: Vec<String> = rust_blocks(GUIDE)
        .into_iter()
        .filter(|b| shows_a_spike_test(b))
        .collect();
    let names: Vec<&str> = COPIES.iter().map(|(n, _)| *n).collect();
    assert_eq!(
        shown.len(),
        COPIES.len(),
        "the guide shows {} spike tests, tests/guide.rs runs {} ({names:?}): copy each new block to tests/guide/",
        shown.len(),
        COPIES.len()
    );
    for (block, (name, copy)) in shown.iter().zip(COPIES) {
        assert_eq!(
            block.as_str(),
            copy.trim(),
            "the guide's block and tests/guide/{name}.rs differ: keep them identical"
        );
    }
}

#[test]
fn the_block_reader_sees_what_rustdoc_compiles() {
    // Checked on a text whose answer is known by construction.
    let md = "intro\n```rust\nuse a;\n# fn main() {}\n#\n#[spike_test]\nfn t() {}\n```\n\
              ```toml\n#[spike_test]\n```\n```rust,ignore\nlet x = 1;\n```\n";
    let blocks = rust_blocks(md);
    assert_eq!(blocks, ["use a;\n#[spike_test]\nfn t() {}", "let x = 1;"]);
    assert!(shows_a_spike_test(&blocks[0]));
    assert!(!shows_a_spike_test(&blocks[1]));
    assert!(shows_a_spike_test("#[load::spike_test(crate = \"load\")]"));
    assert!(!shows_a_spike_test("// `#[spike_test]` in a comment"));
    assert!(!shows_a_spike_test("#[spike_tests]"));
}

#[test]
fn the_guide_depends_on_spike_by_path() {
    // The package is `spike-test` (`spike` on crates.io is an unrelated
    // crate) and it is not published yet: every dependency line the guide
    // shows must be a path dependency on it, as the user-crate fixture's is.
    let mut lines = Vec::new();
    let mut in_toml = false;
    let mut in_dependencies = false;
    for line in GUIDE.lines() {
        if line.starts_with("```") {
            in_toml = line.trim() == "```toml";
            in_dependencies = false;
            continue;
        }
        if line.starts_with('[') {
            in_dependencies = line.contains("dependencies]");
        } else if in_toml && in_dependencies && line.trim_start().starts_with("spike-test =") {
            lines.push(line.trim());
        }
    }
    assert!(lines.len() >= 2, "dependency lines: {lines:?}");
    for line in &lines {
        assert!(
            line.starts_with("spike-test = { path = \"") && !line.contains("version"),
            "not a path dependency: {line}"
        );
    }
    let fixture = include_str!("fixtures/user-crate/Cargo.toml");
    assert!(
        fixture
            .lines()
            .any(|l| l.starts_with("spike-test = { path = \"")),
        "the fixture the guide points to depends on spike by path"
    );
}

/// Each `[dev-dependencies]` block of the guide, as written.
fn dependency_blocks(markdown: &str) -> Vec<String> {
    markdown
        .split("```toml\n")
        .skip(1)
        .filter_map(|rest| rest.split("```").next())
        .filter(|block| block.contains("[dev-dependencies]"))
        .map(str::to_owned)
        .collect()
}

#[cfg(unix)]
#[test]
fn the_guide_dependency_lines_resolve() {
    // The layout the guide describes: this repository cloned as `spike`
    // next to the user's crate (a symlink here), the crate's Cargo.toml
    // holding the guide's block word for word. `cargo tree --offline`
    // resolves the dependency graph without building anything.
    use std::path::Path;
    use std::process::Command;
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let blocks = dependency_blocks(GUIDE);
    assert_eq!(blocks.len(), 5, "{blocks:?}");
    for (i, block) in blocks.iter().enumerate() {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("guide-dependency-{i}"));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("app/src")).expect("create the user crate");
        std::os::unix::fs::symlink(root, dir.join("spike")).expect("link the checkout");
        let manifest = format!(
            "[package]\nname = \"app\"\nversion = \"0.0.0\"\nedition = \"2021\"\n\n[workspace]\n\n{block}"
        );
        std::fs::write(dir.join("app/Cargo.toml"), manifest).expect("write Cargo.toml");
        std::fs::write(dir.join("app/src/lib.rs"), "").expect("write lib.rs");
        std::fs::copy(root.join("Cargo.lock"), dir.join("app/Cargo.lock")).expect("copy the lock");
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let out = Command::new(cargo)
            .current_dir(dir.join("app"))
            .args(["tree", "--offline", "--edges", "normal,dev", "--depth", "1"])
            .output()
            .expect("cargo runs");
        assert!(
            out.status.success(),
            "the guide's dependency block does not resolve:\n{block}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        // The checkout beside the crate, not a registry crate of that name.
        let tree = String::from_utf8_lossy(&out.stdout);
        let local = format!("spike-test v0.1.0 ({})", dir.join("spike").display());
        assert!(tree.contains(&local), "{tree}");
    }
}
