//! `deploy/run.sh` and `deploy/check-test.sh`: the dry run fills in every
//! placeholder, bad settings are refused, the Jobs run in order and the exit
//! code is the merge's; check-test.sh judges a real libtest binary.

use std::process::{Command, Output};
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::Value;
use spike_core::shard::env;

use super::yaml::{container, deploy_dir, documents, env_of, get, job, roles};
use super::MANIFESTS;

/// `sh deploy/run.sh` with `vars` set.
fn run_script(vars: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new("sh");
    cmd.arg(deploy_dir().join("run.sh"));
    for var in [
        "IMAGE",
        "TEST",
        "SHARDS",
        "LEAD_SECONDS",
        "ALLOW_HOSTS",
        "BASELINE",
        "DRY_RUN",
    ] {
        cmd.env_remove(var);
    }
    cmd.envs(vars.iter().copied());
    cmd.output().expect("running sh deploy/run.sh")
}

const SAMPLE_IMAGE: &str = "registry.example/team/spike-tests:1.2";

/// run.sh's dry run with sample values: the manifests as it would apply
/// them.
fn rendered(shards: &str, lead: &str) -> String {
    let out = run_script(&[
        ("DRY_RUN", "1"),
        ("IMAGE", SAMPLE_IMAGE),
        ("TEST", "api::flash_sale"),
        ("SHARDS", shards),
        ("LEAD_SECONDS", lead),
        ("ALLOW_HOSTS", "shop.staging.svc,10.1.2.3"),
        ("BASELINE", "main"),
    ]);
    assert!(
        out.status.success(),
        "run.sh DRY_RUN=1 failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs()
}

/// What `deploy/check-test.sh` says of `name` in this test binary.
fn check_test(name: &str) -> (Option<i32>, String) {
    let exe = std::env::current_exe().expect("current_exe");
    let out = Command::new("sh")
        .arg(deploy_dir().join("check-test.sh"))
        .arg(exe)
        .arg(name)
        .output()
        .expect("sh check-test.sh");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// An ignored test, for [`check_test_accepts_one_test_that_runs`].
#[test]
#[ignore = "a fixture: check-test.sh must refuse an ignored test"]
fn ignored_fixture_for_check_test() {}

#[test]
fn check_test_accepts_one_test_that_runs() {
    // This binary is a libtest binary like the image's.
    assert_eq!(
        check_test("run_sh::run_sh_is_valid_posix_sh"),
        (Some(0), String::new())
    );
    for (name, says) in [
        ("run_sh", "no test named exactly `run_sh` (found 0)"),
        ("run_sh_is_valid_posix_sh", "no test named exactly"),
        ("no_such_test", "no test named exactly `no_such_test`"),
        ("run_sh::ignored_fixture_for_check_test", "is ignored"),
    ] {
        let (code, stderr) = check_test(name);
        assert_eq!(code, Some(1), "{name}: {stderr}");
        assert!(stderr.contains(says), "{name}: {stderr}");
    }
}

#[test]
fn run_sh_fills_in_every_placeholder() {
    let before = unix_now();
    let text = rendered("7", "300");
    let after = unix_now();
    assert!(!text.contains("${"), "a placeholder is left:\n{text}");
    let docs = documents(&text, "run.sh output");
    assert_eq!(docs.len(), MANIFESTS.len(), "{text}");

    let [(shards, shard_env), (merge, merge_env)] = roles(&docs);
    let spec = &shards["spec"];
    let count = get(&shard_env, env::SPIKE_SHARD_COUNT).expect("count");
    assert_eq!(
        (&spec["completions"], &spec["parallelism"], count),
        (&Value::from(7), &Value::from(7), "7")
    );
    for job in [shards, merge] {
        let c = container(job);
        assert_eq!(c["image"], SAMPLE_IMAGE);
        assert_eq!(c["args"][0], "api::flash_sale");
    }
    let start: u64 = get(&shard_env, env::SPIKE_START_AT)
        .expect("SPIKE_START_AT")
        .parse()
        .expect("Unix seconds");
    assert!(
        (before + 300..=after + 301).contains(&start),
        "start {start}, expected now + 300 s ({before}..{after})"
    );
    assert_eq!(
        get(&shard_env, spike_core::safety::ALLOW_HOSTS_ENV),
        Some("shop.staging.svc,10.1.2.3")
    );
    assert_eq!(get(&merge_env, "SPIKE_BASELINE"), Some("main"));

    // The cleaning step clears the folder the test writes to.
    let clean = job(&docs, "spike-clean");
    let script = container(clean)["command"].to_string();
    let folder = spike_core::folder_name("api::flash_sale");
    assert!(
        script.contains(&format!("/{folder}/shard-*-of-*")),
        "{script}"
    );
}

#[test]
fn run_sh_folder_names_match_the_code() {
    // run.sh's sed must give spike_core::folder_name for every name a test
    // can have (`TEST` only allows A-Z a-z 0-9 _ :).
    for name in ["burst", "api::burst", "a::b::c_9", "Upper::x"] {
        let out = run_script(&[("DRY_RUN", "1"), ("IMAGE", "img"), ("TEST", name)]);
        assert!(out.status.success(), "{name}");
        let text = String::from_utf8(out.stdout).expect("utf-8");
        let want = format!("/{}/shard-*-of-*", spike_core::folder_name(name));
        assert!(text.contains(&want), "{name}: {want} not in\n{text}");
    }
}

#[test]
fn run_sh_refuses_bad_settings_before_anything() {
    for (vars, named) in [
        (vec![("TEST", "x")], "IMAGE"),
        (vec![("IMAGE", "img")], "TEST"),
        (vec![("IMAGE", "img"), ("TEST", "x\"y")], "TEST"),
        (vec![("IMAGE", "a|b"), ("TEST", "x")], "IMAGE"),
        (
            vec![("IMAGE", "img"), ("TEST", "x"), ("SHARDS", "0")],
            "SHARDS",
        ),
        (
            vec![("IMAGE", "img"), ("TEST", "x"), ("SHARDS", "4x")],
            "SHARDS",
        ),
        (
            vec![("IMAGE", "img"), ("TEST", "x"), ("LEAD_SECONDS", "-1")],
            "LEAD_SECONDS",
        ),
        (
            vec![("IMAGE", "img"), ("TEST", "x"), ("BASELINE", "a b")],
            "BASELINE",
        ),
    ] {
        let mut vars = vars;
        vars.push(("DRY_RUN", "1"));
        let out = run_script(&vars);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{vars:?}: {stderr}");
        assert!(out.stdout.is_empty(), "{vars:?}");
        assert!(stderr.contains(named), "{vars:?}: {stderr}");
    }
}

#[test]
fn run_sh_is_valid_posix_sh() {
    let out = Command::new("sh")
        .arg("-n")
        .arg(deploy_dir().join("run.sh"))
        .output()
        .expect("sh -n");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A `kubectl` that records its calls and the manifests applied from stdin
/// in `dir`, and reports each Job finished in the state
/// `FAKE_<JOB NAME>` names (`FAKE_SPIKE_SHARDS=Failed`). No cluster can run
/// here, so this stands in for one to check run.sh's order and exit code.
const FAKE_KUBECTL: &str = r#"#!/bin/sh
echo "$*" >> "$FAKE_DIR/calls"
case "$1 $2" in
  "apply -f")
    if [ "$3" = - ]; then
      n=$(grep -c '^apply -f -$' "$FAKE_DIR/calls")
      cat > "$FAKE_DIR/applied-$n.yaml"
    fi ;;
  "get job")
    case $3 in
      spike-clean) echo Complete ;;
      spike-shards) echo "$FAKE_SPIKE_SHARDS" ;;
      spike-merge) echo "$FAKE_SPIKE_MERGE" ;;
    esac ;;
  "logs job/spike-merge") echo "the merge's log" ;;
esac
"#;

#[test]
fn run_sh_runs_clean_shards_merge_in_order_and_exits_with_the_merge() {
    for (case, (shards, merge, code)) in [
        ("Complete", "Complete", 0),
        ("Failed", "Failed", 1),
        // A shard that crashed does not stop the merge: the merge decides.
        ("Failed", "Complete", 0),
        ("Complete", "FailureTarget Failed", 1),
    ]
    .into_iter()
    .enumerate()
    {
        let dir = std::env::temp_dir().join(format!("spike-deploy-{}-{case}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        let kubectl = dir.join("kubectl");
        std::fs::write(&kubectl, FAKE_KUBECTL).expect("write fake kubectl");
        let chmod = Command::new("chmod").arg("+x").arg(&kubectl).status();
        assert!(chmod.expect("chmod").success());
        let path = format!(
            "{}:{}",
            dir.display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let dir_text = dir.display().to_string();
        let before = unix_now();
        let out = run_script(&[
            ("PATH", &path),
            ("FAKE_DIR", &dir_text),
            ("FAKE_SPIKE_SHARDS", shards),
            ("FAKE_SPIKE_MERGE", merge),
            ("IMAGE", SAMPLE_IMAGE),
            ("TEST", "burst"),
            ("LEAD_SECONDS", "90"),
        ]);
        let after = unix_now();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        let what = format!("shards {shards}, merge {merge}: {stdout}{stderr}");
        assert_eq!(out.status.code(), Some(code), "{what}");
        assert!(stdout.contains("the merge's log"), "{what}");

        let calls = std::fs::read_to_string(dir.join("calls")).expect("calls");
        let calls: Vec<&str> = calls.lines().collect();
        let pvc = deploy_dir().join("spike-pvc.yaml");
        assert_eq!(
            calls[0],
            format!("apply -f {}", pvc.display()),
            "{calls:#?}"
        );
        let order: Vec<&str> = calls[1..]
            .iter()
            .copied()
            .filter(|c| !c.starts_with("get job"))
            .collect();
        assert_eq!(
            order,
            [
                "delete job spike-clean spike-shards spike-merge --ignore-not-found --cascade=foreground",
                "apply -f -",
                "apply -f -",
                "get pods -l job-name=spike-shards -o wide",
                "apply -f -",
                "logs job/spike-merge --all-containers=true",
            ],
            "{calls:#?}"
        );
        // Each Job is applied after the one before it finished.
        let applied: Vec<String> = (1..=3)
            .map(|n| {
                std::fs::read_to_string(dir.join(format!("applied-{n}.yaml"))).expect("applied")
            })
            .collect();
        let names = ["spike-clean", "spike-shards", "spike-merge"];
        for (text, name) in applied.iter().zip(names) {
            let docs = documents(text, name);
            let _ = job(&docs, name);
            assert!(!text.contains("${"), "{text}");
        }
        let waits: Vec<usize> = names
            .iter()
            .map(|n| {
                calls
                    .iter()
                    .position(|c| c.starts_with(&format!("get job {n} ")))
                    .unwrap_or_else(|| panic!("never waited for {n}: {calls:#?}"))
            })
            .collect();
        let applies: Vec<usize> = calls
            .iter()
            .enumerate()
            .filter(|(_, c)| **c == "apply -f -")
            .map(|(i, _)| i)
            .collect();
        assert!(
            applies[0] < waits[0]
                && waits[0] < applies[1]
                && applies[1] < waits[1]
                && waits[1] < applies[2]
                && applies[2] < waits[2],
            "{calls:#?}"
        );
        let docs = documents(&applied[1], "shards");
        let shard_env = env_of(container(job(&docs, "spike-shards")));
        let start: u64 = get(&shard_env, env::SPIKE_START_AT)
            .expect("start")
            .parse()
            .expect("Unix seconds");
        assert!(
            (before + 90..=after + 91).contains(&start),
            "{start} {before}"
        );
        std::fs::remove_dir_all(&dir).expect("remove temp dir");
    }
}
