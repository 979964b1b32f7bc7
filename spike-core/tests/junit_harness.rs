//! The harness's `junit.xml` for tests that fail without a failed check
//! (issue 15): a panic in the body, an error it returned, a timeout, an
//! inconclusive body run again; and a passing test with no check. Read back
//! with quick-junit's own reader. No load: the bodies send none (they take
//! the machine's run lock all the same, as every spike test does).

use std::panic::{self, AssertUnwindSafe};
use std::time::Duration;

use spike_core::artifacts::quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus};
use spike_core::artifacts::{junit_suite, TestEnding, JUNIT_XML};
use spike_core::harness::{SpikeTest, TestContext};
use spike_core::{folder_name, spike_home};

/// The test `name`, its `junit.xml` from an earlier run removed.
fn fresh(name: &str) -> &str {
    let _ = std::fs::remove_file(spike_home().join(folder_name(name)).join(JUNIT_XML));
    name
}

/// The one suite of the test `name`'s `junit.xml`.
fn suite_of(name: &str) -> spike_core::artifacts::quick_junit::TestSuite {
    let path = spike_home().join(folder_name(name)).join(JUNIT_XML);
    let xml = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{} was not written: {e}", path.display()));
    let mut report = Report::deserialize_from_str(&xml).expect("junit.xml reads back");
    assert_eq!(report.test_suites.len(), 1, "{xml}");
    let suite = report.test_suites.remove(0);
    assert_eq!(suite.name.as_str(), name);
    suite
}

/// The only case of a suite, which must be an error: (type, message, text).
fn only_error(case: &[TestCase]) -> (String, String, Option<String>) {
    assert_eq!(case.len(), 1, "{case:#?}");
    match &case[0].status {
        TestCaseStatus::NonSuccess {
            kind: NonSuccessKind::Error,
            ty,
            message,
            description,
            ..
        } => {
            assert_eq!(case[0].name.as_str(), "run");
            (
                ty.as_ref().unwrap().as_str().to_owned(),
                message.as_ref().unwrap().as_str().to_owned(),
                description.as_ref().map(|d| d.as_str().to_owned()),
            )
        }
        other => panic!("not an error: {other:#?}"),
    }
}

fn fails(f: impl FnOnce()) {
    assert!(
        panic::catch_unwind(AssertUnwindSafe(f)).is_err(),
        "the test must fail"
    );
}

#[test]
fn a_panic_in_the_body_is_an_error_case_with_the_message() {
    let name = fresh("junit_harness::panics");
    fails(|| SpikeTest::new(name).run_async(async { panic!("the fixture broke: code 7") }));
    let suite = suite_of(name);
    assert_eq!((suite.tests, suite.failures, suite.errors), (1, 0, 1));
    let (ty, message, text) = only_error(&suite.test_cases);
    assert_eq!(ty, "panic");
    assert_eq!(message, "the test body panicked: the fixture broke: code 7");
    assert!(text.unwrap().starts_with("the fixture broke: code 7"));
}

#[test]
fn an_error_returned_by_the_body_is_an_error_case() {
    let name = fresh("junit_harness::returns_err");
    let out: Result<(), String> = SpikeTest::new(name)
        .attempts(1)
        .run_async_attempts(|| async { Err("no".to_owned()) });
    assert!(out.is_err());
    let (ty, message, _) = only_error(&suite_of(name).test_cases);
    assert_eq!(ty, "error");
    assert!(message.contains("returned an error"), "{message}");
}

#[test]
fn a_timeout_is_an_error_case_naming_it() {
    let name = fresh("junit_harness::times_out");
    fails(|| {
        SpikeTest::new(name)
            .timeout(Duration::from_millis(100), "100ms")
            .grace(Duration::from_millis(100))
            .run_async(async { tokio::time::sleep(Duration::from_secs(30)).await });
    });
    let (ty, message, _) = only_error(&suite_of(name).test_cases);
    assert_eq!(ty, "timeout");
    assert_eq!(message, "the test reached its timeout of 100ms");
}

#[test]
fn an_inconclusive_body_run_again_says_so() {
    let name = fresh("junit_harness::inconclusive");
    let mut attempts = 0;
    let out: Result<(), String> = SpikeTest::new(name).attempts(2).run_async_attempts(|| {
        attempts += 1;
        async {
            let test = TestContext::current().expect("inside the test");
            test.note_inconclusive("schedule lag p99 31ms is over the 25ms budget");
            Err("inconclusive".to_owned())
        }
    });
    assert!(out.is_err());
    assert_eq!(attempts, 2);
    let suite = suite_of(name);
    let property = |n: &str| {
        let p = suite.properties.iter().find(|p| p.name.as_str() == n);
        p.unwrap_or_else(|| panic!("no `{n}` in {suite:#?}"))
            .value
            .as_str()
            .to_owned()
    };
    assert_eq!(property("attempts"), "2");
    assert_eq!(
        property("inconclusive"),
        "schedule lag p99 31ms is over the 25ms budget"
    );
    let out = suite.system_out.as_ref().expect("the retry in system-out");
    assert!(
        out.as_str()
            .starts_with("attempt 1 failed on an inconclusive run"),
        "{out:?}"
    );
    let (ty, message, _) = only_error(&suite.test_cases);
    assert_eq!(ty, "inconclusive");
    assert!(
        message.starts_with("inconclusive after 2 attempt(s): schedule lag"),
        "{message}"
    );
}

#[test]
fn a_passing_test_without_checks_is_one_passing_case() {
    let name = fresh("junit_harness::passes");
    SpikeTest::new(name).run_async(async {});
    let suite = suite_of(name);
    assert_eq!((suite.tests, suite.failures, suite.errors), (1, 0, 0));
    assert_eq!(suite.test_cases[0].name.as_str(), "run");
    assert!(matches!(
        suite.test_cases[0].status,
        TestCaseStatus::Success { .. }
    ));
}

#[test]
fn a_gate_failure_is_a_failure_case_and_secrets_are_redacted() {
    let mut ending = TestEnding::default();
    ending.failed = true;
    ending.gate = Some("p95 regressed on http://ci:s3cr3t-pw@127.0.0.1:8080/x".to_owned());
    let suite = junit_suite("gated", &[], &ending);
    let dir = std::env::temp_dir().join(format!("spike-junit-gate-{}", std::process::id()));
    let path = spike_core::artifacts::write_junit(&suite, &dir).unwrap();
    let xml = std::fs::read_to_string(path).unwrap();
    assert!(!xml.contains("s3cr3t-pw"), "{xml}");
    let report = Report::deserialize_from_str(&xml).unwrap();
    let case = &report.test_suites[0].test_cases[0];
    assert_eq!(case.name.as_str(), "regression gate");
    let TestCaseStatus::NonSuccess {
        kind, description, ..
    } = &case.status
    else {
        panic!("{case:#?}");
    };
    assert_eq!(*kind, NonSuccessKind::Failure);
    assert_eq!(
        description.as_ref().unwrap().as_str(),
        "p95 regressed on http://[redacted]@127.0.0.1:8080/x"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn the_shared_file_replaces_a_suite_only_of_the_same_test_binary_and_shard() {
    use spike_core::artifacts::quick_junit::Property;
    use spike_core::artifacts::{add_to_junit_file, SHARD_PROPERTY};
    let dir = std::env::temp_dir().join(format!("spike-junit-shards-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let file = dir.join("nested").join("all.xml");
    let suite = |shard: &str, failed: bool| {
        let mut ending = TestEnding::default();
        ending.failed = failed;
        let mut suite = junit_suite("burst", &[], &ending);
        suite.add_property(Property::new(SHARD_PROPERTY, shard));
        suite
    };
    add_to_junit_file(&file, suite("shard-0-of-2", false)).unwrap();
    add_to_junit_file(&file, suite("shard-1-of-2", false)).unwrap();
    // Shard 1 again, failing this time: it replaces shard 1's suite only.
    add_to_junit_file(&file, suite("shard-1-of-2", true)).unwrap();
    let report = Report::deserialize_from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(report.test_suites.len(), 2, "{report:#?}");
    assert_eq!((report.tests, report.errors), (2, 1), "{report:#?}");
    // A file that is not JUnit XML is refused and left as it is.
    std::fs::write(&file, "not xml").unwrap();
    let err = add_to_junit_file(&file, suite("shard-0-of-2", false)).unwrap_err();
    assert!(err.to_string().contains("is not a JUnit XML file"), "{err}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "not xml");
    let _ = std::fs::remove_dir_all(dir);
}
