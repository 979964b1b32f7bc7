//! The JSON Schema of scenario files (`docs/scenario.schema.json`): the
//! committed file is the one generated from the types, and an independent
//! validator (the `jsonschema` crate) accepts the example files and the
//! files the builder writes, and refuses misspelt keys and values.

use std::path::{Path, PathBuf};

use spike_core::scenario_file::{json_schema, ScenarioFile};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn schema_path() -> PathBuf {
    root().join("docs/scenario.schema.json")
}

#[test]
fn the_committed_schema_is_the_generated_one() {
    let committed = std::fs::read_to_string(schema_path()).unwrap_or_default();
    assert!(
        committed == json_schema(),
        "docs/scenario.schema.json is not the schema the types generate: write it with \
         `cargo test -p spike-test-core --test scenario_file_schema -- --ignored write_the_schema`"
    );
}

/// Writes `docs/scenario.schema.json` (run it by hand after changing the
/// format).
#[test]
#[ignore = "writes docs/scenario.schema.json"]
fn write_the_schema() {
    std::fs::write(schema_path(), json_schema()).expect("docs/ is writable");
}

fn validator() -> jsonschema::Validator {
    let schema: serde_json::Value =
        serde_json::from_str(&json_schema()).expect("the schema is JSON");
    jsonschema::validator_for(&schema).expect("the schema is a valid JSON Schema")
}

fn as_json(text: &str) -> serde_json::Value {
    toml::from_str(text).expect("valid TOML")
}

fn toml_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("a folder")
        .map(|e| e.expect("an entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    files
}

#[test]
fn the_example_files_follow_the_schema() {
    let v = validator();
    let files = toml_files(&root().join("examples/spikes"));
    assert!(files.len() >= 2);
    for path in files {
        let text = std::fs::read_to_string(&path).expect("readable");
        let errors: Vec<String> = v
            .iter_errors(&as_json(&text))
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "{}: {errors:?}", path.display());
        // And the parser agrees.
        ScenarioFile::parse(&text, &path.display().to_string()).expect("parses");
    }
}

#[test]
fn a_file_the_builder_writes_follows_the_schema() {
    use spike_core::{ms, rps, RecoveryCriteria, Scenario, Shape};
    let shape = Shape::builder()
        .hold(rps(50), ms(1500))
        .burst(rps(400), ms(750))
        .recover(rps(50), ms(3000))
        .build()
        .unwrap();
    let s = Scenario::new("written")
        .shape(shape)
        .window(ms(100))
        .seed(u64::MAX)
        .scale(2.0, 0.5)
        .recovery_criteria(RecoveryCriteria {
            sustain: 5,
            ..RecoveryCriteria::default()
        });
    let text = ScenarioFile::from_scenario(&s).unwrap().to_toml().unwrap();
    assert!(validator().is_valid(&as_json(&text)), "{text}");
}

/// The schema is as strict as the parser on keys and enumerated values:
/// an editor flags what `cargo test` would refuse.
#[test]
fn the_schema_refuses_misspelt_keys_and_values() {
    let v = validator();
    let dir = root().join("tests/fixtures/scenario_files");
    for name in [
        "bad_unknown_key",
        "bad_phase_kind",
        "bad_request_key",
        "bad_slo_metric_typo",
        "bad_rate_as_text",
        "bad_duration_without_unit",
    ] {
        let text = std::fs::read_to_string(dir.join(format!("{name}.toml"))).expect("fixture");
        assert!(!v.is_valid(&as_json(&text)), "{name} passes the schema");
    }
}
