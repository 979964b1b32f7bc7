//! JUnit XML (issue 15): a spike test's `junit.xml`, read back with
//! quick-junit's own reader, has one case per check (a failure, with the
//! table the test panicked with, for each failed one), the properties, no
//! secret; with `SPIKE_JUNIT` separate processes gather their suites in one
//! file, and a test run again replaces its own suite.
//!
//! The spike tests run in child processes of this binary (the variables
//! they read are process-wide), each with its own `SPIKE_HOME`; they take
//! the machine's run lock as every spike test does. Run with
//! `cargo test --features spike --test junit_xml`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use spike::artifacts::quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};
use spike::prelude::*;

/// The password in a request name; it must not reach any XML.
const PASSWORD: &str = "hunter2-pw";
/// A named request whose name holds a URL with a password.
const SECRET_REQUEST: &str = "login http://admin:hunter2-pw@127.0.0.1:9/session";

/// A spike test that fails: every iteration sleeps 20 ms, so its p95
/// cannot be below 5 ms; its error rate (0 %) passes; the check on a
/// request it never named fails, naming the request (and its password).
#[spike_test(attempts = 1)]
#[ignore = "run by the tests below in a child process"]
async fn junit_failing_child() {
    let shape = Shape::builder().hold(rps(200), ms(1000)).build().unwrap();
    let report = Scenario::default()
        .shape(shape)
        .window(ms(100))
        .lag_budget(secs(1))
        .run(|_ctx: Ctx| async { tokio::time::sleep(ms(20)).await })
        .await
        .unwrap();
    expect(&report)
        .p95()
        .below(ms(5))
        .error_rate()
        .below(pct(1))
        .request(SECRET_REQUEST)
        .p95()
        .below(secs(1))
        .all_requests()
        .verify();
}

/// A spike test that passes (a few hundred iterations, no sleep).
#[spike_test(attempts = 1)]
#[ignore = "run by the tests below in a child process"]
async fn junit_passing_child() {
    let shape = Shape::builder().hold(rps(300), ms(1000)).build().unwrap();
    let report = Scenario::default()
        .shape(shape)
        .window(ms(100))
        .lag_budget(secs(1))
        .run(|_ctx: Ctx| async {})
        .await
        .unwrap();
    println!("STARTED {}", report.environment.started_at_unix_ms);
    expect(&report).error_rate().at_most(pct(0)).verify();
}

/// A fresh folder for one test's children.
fn home(name: &str) -> PathBuf {
    let home =
        Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("junit-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&home);
    std::fs::create_dir_all(&home).unwrap();
    home
}

/// Run the child test `test` with `SPIKE_HOME=home` and `vars`.
fn child(test: &str, home: &Path, vars: &[(&str, &std::ffi::OsStr)]) -> Output {
    Command::new(std::env::current_exe().expect("this test binary"))
        .args([test, "--exact", "--include-ignored", "--nocapture"])
        .env("SPIKE_HOME", home)
        .env("SPIKE_PROGRESS", "0")
        .env_remove("CI")
        .env_remove("SPIKE_JUNIT")
        .env_remove("SPIKE_SCALE")
        .env_remove("SPIKE_TIME_SCALE")
        .env_remove("SPIKE_BASELINE")
        .env_remove("SPIKE_SAVE_BASELINE")
        .envs(vars.iter().copied())
        .output()
        .expect("run the child test")
}

fn text(o: &Output) -> String {
    format!(
        "{}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn read(path: &Path) -> (String, Report) {
    let xml = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{} was not written: {e}", path.display()));
    let report = Report::deserialize_from_str(&xml)
        .unwrap_or_else(|e| panic!("{} does not read back: {e}\n{xml}", path.display()));
    (xml, report)
}

fn property<'a>(case: &'a TestCase, name: &str) -> &'a str {
    case.properties
        .iter()
        .find(|p| p.name.as_str() == name)
        .unwrap_or_else(|| panic!("case `{}` has no property `{name}`", case.name.as_str()))
        .value
        .as_str()
}

fn suite<'a>(report: &'a Report, name: &str) -> &'a TestSuite {
    let found: Vec<&TestSuite> = report
        .test_suites
        .iter()
        .filter(|s| s.name.as_str() == name)
        .collect();
    assert_eq!(found.len(), 1, "suites named {name}: {report:#?}");
    found[0]
}

/// `20.3ms` or `1.02s` as milliseconds.
fn millis(value: &str) -> f64 {
    if let Some(ms) = value.strip_suffix("ms") {
        ms.parse().unwrap()
    } else if let Some(s) = value.strip_suffix('s') {
        s.parse::<f64>().unwrap() * 1e3
    } else {
        panic!("not a duration: {value}")
    }
}

#[test]
fn a_failing_test_has_one_failed_case_per_failed_check_with_the_table() {
    let home = home("failing");
    let out = child("junit_failing_child", &home, &[]);
    assert!(
        !out.status.success(),
        "the child must fail:\n{}",
        text(&out)
    );
    let output = text(&out);
    let (xml, report) = read(&home.join("junit_failing_child").join("junit.xml"));

    assert!(
        !xml.contains(PASSWORD),
        "the password reached junit.xml:\n{xml}"
    );
    let suite = suite(&report, "junit_failing_child");
    // p95, error rate, the request's p95, the load guard.
    assert_eq!(suite.test_cases.len(), 4, "{suite:#?}");
    assert_eq!((suite.failures, suite.errors), (2, 0), "{suite:#?}");

    let case = |name: &str| {
        suite
            .test_cases
            .iter()
            .find(|c| c.name.as_str() == name)
            .unwrap_or_else(|| panic!("no case `{name}` in {suite:#?}"))
    };
    let p95 = case("latency p95 · run");
    assert_eq!(
        p95.classname.as_ref().unwrap().as_str(),
        "junit_failing_child"
    );
    assert_eq!(property(p95, "expected"), "< 5.0ms");
    assert_eq!(property(p95, "scope"), "run");
    assert_eq!(property(p95, "window"), "100.0ms");
    assert_eq!(property(p95, "scenario"), "junit_failing_child");
    // Every iteration slept 20 ms: the p95 measured is at least that.
    let measured = millis(property(p95, "actual"));
    assert!(measured >= 20.0, "{measured}");
    let TestCaseStatus::NonSuccess {
        kind: NonSuccessKind::Failure,
        message: Some(message),
        description: Some(table),
        ..
    } = &p95.status
    else {
        panic!("the p95 check must be a failure: {p95:#?}");
    };
    assert!(message.as_str().contains("expected < 5.0ms"), "{message:?}");
    // The failure text is the table the test panicked with: its p95 row is
    // a line of the child's output, word for word.
    // a line of the child's output, word for word (the padding aside: the
    // redacted request name is shorter than the one the child printed).
    let words = |l: &str| l.split_whitespace().collect::<Vec<_>>().join(" ");
    let row = table
        .as_str()
        .lines()
        .find(|l| l.contains("latency p95") && l.contains("FAILED") && l.contains(" run "))
        .map(words)
        .unwrap_or_else(|| panic!("no p95 row in the failure text:\n{}", table.as_str()));
    assert!(row.starts_with("latency p95 run < 5.0ms "), "{row}");
    assert!(
        output.lines().any(|l| words(l) == row),
        "`{row}` not in:\n{output}"
    );
    assert!(table.as_str().contains("check  "), "{}", table.as_str());

    let errors = case("error rate · run");
    assert!(
        matches!(errors.status, TestCaseStatus::Success { .. }),
        "{errors:#?}"
    );
    assert_eq!(property(errors, "actual"), "0.00%");
    let guard = case("load applied as planned · generator");
    assert!(
        matches!(guard.status, TestCaseStatus::Success { .. }),
        "{guard:#?}"
    );

    // The request's check failed too; its name lost the password.
    let request = suite
        .test_cases
        .iter()
        .find(|c| c.name.as_str().starts_with("latency p95 · request login"))
        .unwrap_or_else(|| panic!("no request case in {suite:#?}"));
    assert!(
        matches!(
            request.status,
            TestCaseStatus::NonSuccess {
                kind: NonSuccessKind::Failure,
                ..
            }
        ),
        "{request:#?}"
    );
    assert!(
        request.name.as_str().contains("[redacted]"),
        "{}",
        request.name.as_str()
    );
    // The child's own panic did show the request name (a sanity check that
    // the password really was in what the XML was written from).
    assert!(output.contains(PASSWORD), "{output}");
}

#[test]
fn spike_junit_gathers_processes_in_one_file_and_a_rerun_replaces_its_suite() {
    let home = home("shared");
    let file = home.join("ci").join("spike-junit.xml");
    let vars = [("SPIKE_JUNIT", file.as_os_str())];
    // Two processes at once; each takes the run lock, then the file's lock.
    let (passing, failing) = std::thread::scope(|s| {
        let passing = s.spawn(|| child("junit_passing_child", &home, &vars));
        let failing = s.spawn(|| child("junit_failing_child", &home, &vars));
        (passing.join().unwrap(), failing.join().unwrap())
    });
    assert!(passing.status.success(), "{}", text(&passing));
    assert!(!failing.status.success(), "{}", text(&failing));

    let (xml, report) = read(&file);
    assert!(!xml.contains(PASSWORD), "{xml}");
    assert_eq!(report.test_suites.len(), 2, "{report:#?}");
    let pass = suite(&report, "junit_passing_child");
    assert_eq!(
        (pass.tests, pass.failures, pass.errors),
        (2, 0, 0),
        "{pass:#?}"
    );
    let fail = suite(&report, "junit_failing_child");
    assert_eq!(
        (fail.tests, fail.failures, fail.errors),
        (4, 2, 0),
        "{fail:#?}"
    );
    assert_eq!((report.tests, report.failures, report.errors), (6, 2, 0));
    let started = |o: &Output| -> String {
        let t = text(o);
        let line = t
            .lines()
            .find(|l| l.starts_with("STARTED "))
            .unwrap()
            .to_owned();
        line["STARTED ".len()..].to_owned()
    };
    let started_property = |s: &TestSuite| -> String {
        let p = s
            .properties
            .iter()
            .find(|p| p.name.as_str() == "started_at_unix_ms");
        p.expect("a start property").value.as_str().to_owned()
    };
    assert_eq!(started_property(pass), started(&passing));

    // The passing test again: its suite is replaced, the other one stays.
    let again = child("junit_passing_child", &home, &vars);
    assert!(again.status.success(), "{}", text(&again));
    let (_, report) = read(&file);
    assert_eq!(report.test_suites.len(), 2, "{report:#?}");
    assert_eq!(suite(&report, "junit_failing_child"), fail);
    let pass_again = suite(&report, "junit_passing_child");
    assert_eq!((pass_again.tests, pass_again.failures), (2, 0));
    // Replaced by the second run's suite, not kept beside it.
    assert_eq!(started_property(pass_again), started(&again));
    assert_ne!(started(&again), started(&passing));
}

#[test]
fn a_bad_spike_junit_is_a_notice_and_the_passing_test_passes() {
    let home = home("bad");
    let folder = home.join("a-folder");
    std::fs::create_dir_all(&folder).unwrap();
    let out = child(
        "junit_passing_child",
        &home,
        &[("SPIKE_JUNIT", folder.as_os_str())],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("is a folder: give it the path of a file"),
        "{}",
        text(&out)
    );
    // The test's own junit.xml is still written.
    let (_, report) = read(&home.join("junit_passing_child").join("junit.xml"));
    assert_eq!(suite(&report, "junit_passing_child").failures, 0);
}

#[test]
fn concurrent_writers_keep_every_suite() {
    let home = home("threads");
    let file = home.join("all.xml");
    std::thread::scope(|s| {
        for i in 0..8 {
            let file = &file;
            s.spawn(move || {
                let suite = spike::artifacts::junit_suite(
                    &format!("t{i}"),
                    &[],
                    &spike::artifacts::TestEnding::default(),
                );
                spike::artifacts::add_to_junit_file(file, suite).unwrap();
            });
        }
    });
    let (_, report) = read(&file);
    let mut names: Vec<&str> = report.test_suites.iter().map(|s| s.name.as_str()).collect();
    names.sort_unstable();
    assert_eq!(names, ["t0", "t1", "t2", "t3", "t4", "t5", "t6", "t7"]);
}
