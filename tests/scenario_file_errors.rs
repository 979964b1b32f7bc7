//! Malformed scenario files (`tests/fixtures/scenario_files/bad_*.toml`):
//! each is refused with the file, the line and column of the culprit (the
//! positions below are read off the fixtures by hand) and, for a misspelt
//! key or value, the closest known one. The whole message is pinned with
//! insta. No load is sent: nothing here runs a scenario.

use spike::file::SpikeFile;
use spike::{Scenario, SpikeError};

const DIR: &str = "tests/fixtures/scenario_files";

/// `(file, line, column, suggestion)`; the core's own refusals
/// (`Scenario::from_file`) must agree with the facade's for `core = true`.
const CASES: &[(&str, usize, usize, Option<&str>, bool)] = &[
    ("bad_unknown_key", 3, 1, Some("max_in_flight"), true),
    ("bad_phase_kind", 5, 8, Some("burst"), true),
    ("bad_duration_unit", 7, 12, None, true),
    ("bad_duration_without_unit", 7, 12, None, true),
    ("bad_rate_as_text", 6, 7, None, true),
    ("bad_negative_rate", 11, 7, None, true),
    ("bad_no_phases", 3, 9, None, true),
    ("bad_recover_without_burst", 9, 1, None, true),
    ("bad_model_mismatch", 7, 7, None, true),
    ("bad_request_key", 11, 1, Some("path"), false),
    ("bad_slo_without_unit", 16, 9, None, false),
    ("bad_slo_request_typo", 16, 11, Some("login"), false),
    ("bad_slo_metric_typo", 15, 10, Some("error_rate"), false),
    ("bad_syntax", 1, 14, None, true),
];

fn refusal(name: &str) -> SpikeError {
    let path = format!("{DIR}/{name}.toml");
    SpikeFile::load(&path).expect_err("a malformed file must be refused")
}

#[test]
fn every_bad_file_is_refused_at_its_line_and_column() {
    for &(name, want_line, want_column, want_hint, core) in CASES {
        let err = refusal(name);
        let SpikeError::ScenarioFile {
            file,
            line,
            column,
            suggestion,
            ..
        } = &err
        else {
            panic!("{name}: not a ScenarioFile error: {err}");
        };
        assert_eq!(file, &format!("{DIR}/{name}.toml"), "{name}");
        assert_eq!(
            (*line, *column),
            (want_line, want_column),
            "{name}: wrong place in {err}"
        );
        assert_eq!(suggestion.as_deref(), want_hint, "{name}: {err}");
        if core {
            let from_core = Scenario::from_file(format!("{DIR}/{name}.toml"))
                .expect_err("the core refuses it too");
            assert_eq!(from_core, err, "{name}");
        }
        insta::assert_snapshot!(name, err.to_string());
    }
}

#[test]
fn every_fixture_is_a_case() {
    let mut on_disk: Vec<String> = std::fs::read_dir(DIR)
        .expect("the fixtures folder")
        .map(|e| {
            e.expect("an entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter(|n| n.starts_with("bad_"))
        .collect();
    on_disk.sort();
    let mut listed: Vec<String> = CASES.iter().map(|c| format!("{}.toml", c.0)).collect();
    listed.sort();
    assert_eq!(on_disk, listed);
    assert!(listed.len() >= 10);
}

#[test]
fn a_missing_file_names_itself() {
    let err = SpikeFile::load(format!("{DIR}/no_such_file.toml")).unwrap_err();
    let text = err.to_string();
    assert!(
        text.starts_with(&format!(
            "{DIR}/no_such_file.toml: cannot read the scenario file:"
        )),
        "{text}"
    );
}

#[test]
fn an_unset_environment_variable_is_named_without_a_value() {
    let text = "name = \"x\"\n[[phase]]\nkind = \"hold\"\nrps = 5\nduration = \"1s\"\n\
                [[request]]\nname = \"a\"\npath = \"/\"\n\
                headers = { authorization = \"Bearer ${env:SPIKE_TEST_SURELY_UNSET_TOKEN}\" }\n";
    let err = SpikeFile::parse(text, "env.toml").unwrap_err();
    assert_eq!(
        err.to_string(),
        "env.toml:9:29: request `a`: environment variable SPIKE_TEST_SURELY_UNSET_TOKEN is not \
         set (or not Unicode)"
    );
}

mod no_panic {
    use proptest::prelude::*;
    use spike::file::SpikeFile;

    const VALID: &str = include_str!("../examples/spikes/login.toml");

    fn parse(text: &str) {
        // Either a file or a typed error: never a panic.
        if let Err(e) = SpikeFile::parse(text, "fuzz.toml") {
            assert!(e.to_string().starts_with("fuzz.toml"), "{e}");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

        #[test]
        fn any_text(text in "\\PC{0,300}") {
            parse(&text);
        }

        #[test]
        fn toml_like_text(text in "[a-z_\\[\\]=\"{}, .%0-9\n-]{0,300}") {
            parse(&text);
        }

        /// The example file with one span replaced by generated text:
        /// keys and values near valid ones reach the checks past the syntax.
        #[test]
        fn a_valid_file_mutated(at in 0usize..2_000, len in 0usize..12, with in "[a-z0-9_\"=.%\\-\n ]{0,12}") {
            let mut text = VALID.to_owned();
            let start = at % text.len();
            let end = (start + len).min(text.len());
            if text.is_char_boundary(start) && text.is_char_boundary(end) {
                text.replace_range(start..end, &with);
            }
            parse(&text);
        }
    }
}

#[test]
fn debug_output_keeps_secret_header_values_out() {
    let text = "name = \"x\"\n[[phase]]\nkind = \"hold\"\nrps = 5\nduration = \"1s\"\n\
                [[request]]\nname = \"a\"\npath = \"/\"\n\
                headers = { authorization = \"Bearer lit3ral-t0ken\", accept = \"text/plain\" }\n\
                secret_headers = { x-api-key = \"k3y-v4lue\" }\n";
    let parsed = spike::scenario_file::ScenarioFile::parse(text, "secrets.toml").unwrap();
    let shown = format!("{parsed:?}");
    assert!(!shown.contains("lit3ral"), "{shown}");
    assert!(!shown.contains("k3y-v4lue"), "{shown}");
    assert!(shown.contains("text/plain"), "{shown}");
    let file = SpikeFile::parse(text, "secrets.toml").unwrap();
    let shown = format!("{file:?}");
    assert!(
        !shown.contains("lit3ral") && !shown.contains("k3y-v4lue"),
        "{shown}"
    );
}

#[test]
fn a_window_longer_than_the_shape_is_refused_where_it_is_written() {
    let text =
        "name = \"x\"\nwindow = \"5s\"\n[[phase]]\nkind = \"hold\"\nrps = 5\nduration = \"1s\"\n";
    let err = spike::scenario_file::ScenarioFile::parse(text, "w.toml")
        .and_then(|p| p.scenario())
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "w.toml:2:10: `window` = 5s is longer than the shape (1s): a window must fit in the run"
    );
}
