//! The Kubernetes manifests under `deploy/` (issue 14): they parse as YAML,
//! the shard Job is an Indexed Job whose size is its shard count, every
//! `SPIKE_*` variable they set is one the code reads, the shards and the
//! merge step run the same test on the same volume with the roles the
//! environment gives them, and `deploy/run.sh` fills in every placeholder.
//!
//! The manifests are read with a YAML parser (serde_norway), not searched
//! as text, so a check sees what Kubernetes would see.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::Deserialize as _;
use serde_json::Value;
use spike_core::shard::env;

/// `SPIKE_*` variables the code reads besides [`env::ALL`] and
/// [`spike_core::safety::ALLOW_HOSTS_ENV`], which have no public constant.
/// [`every_listed_variable_is_named_in_spike_core`] checks that each is
/// still named in spike-core's source.
const OTHER_SPIKE_VARS: [&str; 7] = [
    // spike-core/src/harness/gate.rs: the regression gate.
    "SPIKE_BASELINE",
    "SPIKE_SAVE_BASELINE",
    "SPIKE_BASELINE_STRICT",
    // spike-core/src/scenario/mod.rs (and stress/mod.rs): scaling.
    "SPIKE_SCALE",
    "SPIKE_TIME_SCALE",
    // spike-core/src/output/progress.rs: progress lines.
    "SPIKE_PROGRESS",
    "SPIKE_PROGRESS_INTERVAL",
];

const MANIFESTS: [&str; 4] = [
    "spike-pvc.yaml",
    "spike-clean.yaml",
    "spike-shards.yaml",
    "spike-merge.yaml",
];

fn deploy_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy")
}

/// Every document of a YAML stream, as JSON values.
fn documents(text: &str, what: &str) -> Vec<Value> {
    serde_norway::Deserializer::from_str(text)
        .map(|doc| Value::deserialize(doc).unwrap_or_else(|e| panic!("{what}: {e}")))
        .filter(|doc| !doc.is_null())
        .collect()
}

fn manifest(file: &str) -> Vec<Value> {
    let path = deploy_dir().join(file);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    documents(&text, file)
}

/// The one Job in `docs` named `name`.
fn job<'a>(docs: &'a [Value], name: &str) -> &'a Value {
    let jobs: Vec<&Value> = docs
        .iter()
        .filter(|d| d["kind"] == "Job" && d["metadata"]["name"] == name)
        .collect();
    assert_eq!(jobs.len(), 1, "one Job named {name} expected: {docs:#?}");
    assert_eq!(jobs[0]["apiVersion"], "batch/v1", "{name}");
    jobs[0]
}

/// The one container of a Job's pods.
fn container(job: &Value) -> &Value {
    let containers = job["spec"]["template"]["spec"]["containers"]
        .as_array()
        .unwrap_or_else(|| panic!("no containers: {job:#}"));
    assert_eq!(containers.len(), 1, "one container expected: {job:#}");
    &containers[0]
}

/// A container's environment (none: empty), name to value; every value a
/// string (a Kubernetes `env` value must be one: `value: 4` is refused).
fn env_of(container: &Value) -> Vec<(String, String)> {
    container["env"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| {
            let name = e["name"].as_str().unwrap_or_else(|| panic!("{e}"));
            let value = e["value"]
                .as_str()
                .unwrap_or_else(|| panic!("{name}: the value must be a YAML string: {e}"));
            (name.to_owned(), value.to_owned())
        })
        .collect()
}

fn get<'a>(env: &'a [(String, String)], name: &str) -> Option<&'a str> {
    let found: Vec<&str> = env
        .iter()
        .filter(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
        .collect();
    assert!(found.len() <= 1, "{name} is set twice: {env:?}");
    found.first().copied()
}

/// Where a Job's pods mount the claim `claim`, and the claim's volume name.
fn claim_mount(job: &Value, claim: &str) -> String {
    let pod = &job["spec"]["template"]["spec"];
    let volume = pod["volumes"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|v| v["persistentVolumeClaim"]["claimName"] == claim)
        .unwrap_or_else(|| panic!("no volume from claim {claim}: {pod:#}"));
    let volume = volume["name"].as_str().expect("volume name");
    container(job)["volumeMounts"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|m| m["name"] == volume)
        .and_then(|m| m["mountPath"].as_str())
        .unwrap_or_else(|| panic!("volume {volume} is not mounted: {job:#}"))
        .to_owned()
}

fn pvc_name(docs: &[Value]) -> String {
    let pvcs: Vec<&Value> = docs
        .iter()
        .filter(|d| d["kind"] == "PersistentVolumeClaim")
        .collect();
    assert_eq!(pvcs.len(), 1, "{docs:#?}");
    let access = pvcs[0]["spec"]["accessModes"]
        .as_array()
        .expect("accessModes");
    assert!(
        access.iter().any(|m| m == "ReadWriteMany"),
        "shards on different nodes write at once: ReadWriteMany: {access:?}"
    );
    pvcs[0]["metadata"]["name"]
        .as_str()
        .expect("name")
        .to_owned()
}

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

#[test]
fn every_manifest_parses_and_names_its_kind() {
    for file in MANIFESTS {
        let docs = manifest(file);
        assert!(!docs.is_empty(), "{file}: no document");
        for doc in &docs {
            assert!(doc["apiVersion"].is_string(), "{file}: {doc:#}");
            assert!(doc["kind"].is_string(), "{file}: {doc:#}");
            assert!(doc["metadata"]["name"].is_string(), "{file}: {doc:#}");
        }
    }
}

#[test]
fn the_shard_job_is_indexed_and_as_large_as_its_shard_count() {
    let docs = manifest("spike-shards.yaml");
    let shards = job(&docs, "spike-shards");
    let spec = &shards["spec"];
    assert_eq!(spec["completionMode"], "Indexed");
    let completions = spec["completions"].as_u64().expect("completions: a number");
    let parallelism = spec["parallelism"].as_u64().expect("parallelism: a number");
    let env = env_of(container(shards));
    let count: u64 = get(&env, env::SPIKE_SHARD_COUNT)
        .expect("SPIKE_SHARD_COUNT set")
        .parse()
        .expect("SPIKE_SHARD_COUNT: a number");
    assert_eq!((completions, parallelism, count), (4, 4, 4));
    // A shard is never re-run: it would start after the agreed instant.
    assert_eq!(spec["backoffLimitPerIndex"], 0, "{spec:#}");
    assert_eq!(spec["template"]["spec"]["restartPolicy"], "Never");
}

#[test]
fn the_shards_avoid_each_others_nodes_and_get_whole_cores() {
    let docs = manifest("spike-shards.yaml");
    let shards = job(&docs, "spike-shards");
    let pod = &shards["spec"]["template"];
    let terms = pod["spec"]["affinity"]["podAntiAffinity"]
        ["requiredDuringSchedulingIgnoredDuringExecution"]
        .as_array()
        .expect("required pod anti-affinity");
    let labels = pod["metadata"]["labels"].as_object().expect("pod labels");
    assert!(
        terms.iter().any(|t| {
            t["topologyKey"] == "kubernetes.io/hostname"
                && t["labelSelector"]["matchLabels"]
                    .as_object()
                    .is_some_and(|sel| sel.iter().all(|(k, v)| labels.get(k) == Some(v)))
        }),
        "no anti-affinity term selects the shard pods per node: {terms:#?}, labels {labels:?}"
    );
    let resources = &container(shards)["resources"];
    assert_eq!(
        resources["requests"], resources["limits"],
        "Guaranteed QoS: requests equal limits"
    );
    let cpu = resources["limits"]["cpu"]
        .as_str()
        .expect("cpu as a string");
    let cores: u32 = cpu.parse().unwrap_or_else(|_| panic!("whole cores: {cpu}"));
    assert!(cores >= 1, "{cpu}");
}

fn known_spike_vars() -> BTreeSet<&'static str> {
    env::ALL
        .into_iter()
        .chain([spike_core::safety::ALLOW_HOSTS_ENV])
        .chain(OTHER_SPIKE_VARS)
        .collect()
}

#[test]
fn every_spike_variable_a_manifest_sets_is_one_the_code_reads() {
    let known = known_spike_vars();
    let mut seen = 0;
    for file in MANIFESTS {
        for doc in manifest(file) {
            if doc["kind"] != "Job" {
                continue;
            }
            for (name, _) in env_of(container(&doc)) {
                if name.starts_with("SPIKE_") {
                    seen += 1;
                    assert!(
                        known.contains(name.as_str()),
                        "{file} sets {name}, which spike does not read; known: {known:?}"
                    );
                }
            }
        }
    }
    assert!(seen >= 6, "only {seen} SPIKE_ variables set");
}

/// Every `"SPIKE_..."` string literal in `dir`'s Rust files, recursively.
fn spike_literals(dir: &Path, found: &mut BTreeSet<String>) {
    for entry in std::fs::read_dir(dir).expect("read_dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            spike_literals(&path, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(&path).expect("read");
            for (i, _) in text.match_indices("\"SPIKE_") {
                let name: String = text[i + 1..]
                    .chars()
                    .take_while(|c| c.is_ascii_uppercase() || *c == '_')
                    .collect();
                if text[i + 1 + name.len()..].starts_with('"') {
                    found.insert(name);
                }
            }
        }
    }
}

#[test]
fn every_listed_variable_is_named_in_spike_core() {
    let mut found = BTreeSet::new();
    spike_literals(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("spike-core/src"),
        &mut found,
    );
    for var in OTHER_SPIKE_VARS {
        assert!(
            found.contains(var),
            "{var} is not named in spike-core/src any more: {found:?}"
        );
    }
    // And the other way: a variable spike-core reads that this test does
    // not know would make a manifest setting it fail for no reason.
    let known = known_spike_vars();
    for var in &found {
        assert!(
            known.contains(var.as_str()),
            "spike-core names {var}: add it to OTHER_SPIKE_VARS"
        );
    }
}

/// The shard and merge Jobs of `docs`, with their environments.
fn roles(docs: &[Value]) -> [(&Value, Vec<(String, String)>); 2] {
    let shards = job(docs, "spike-shards");
    let merge = job(docs, "spike-merge");
    [
        (shards, env_of(container(shards))),
        (merge, env_of(container(merge))),
    ]
}

fn both_manifests() -> Vec<Value> {
    let mut docs = manifest("spike-shards.yaml");
    docs.extend(manifest("spike-merge.yaml"));
    docs.extend(manifest("spike-pvc.yaml"));
    docs
}

#[test]
fn shards_are_shards_and_the_merge_step_merges() {
    let docs = both_manifests();
    let [(_, shard_env), (_, merge_env)] = roles(&docs);
    for var in [env::SPIKE_SHARD_COUNT, env::SPIKE_START_AT, env::SPIKE_HOME] {
        assert!(get(&shard_env, var).is_some(), "shards must set {var}");
    }
    for var in [
        env::SPIKE_SHARD,
        env::SPIKE_MERGE,
        env::JOB_COMPLETION_INDEX,
    ] {
        assert_eq!(get(&shard_env, var), None, "shards must not set {var}");
    }
    assert_eq!(get(&merge_env, env::SPIKE_MERGE), Some("1"));
    for var in [
        env::SPIKE_SHARD,
        env::SPIKE_SHARD_COUNT,
        env::SPIKE_START_AT,
        env::JOB_COMPLETION_INDEX,
    ] {
        assert_eq!(
            get(&merge_env, var),
            None,
            "the merge step must not set {var}"
        );
    }
    for env in [&shard_env, &merge_env] {
        assert_eq!(get(env, "CI"), Some("true"), "{env:?}");
    }
}

#[test]
fn shards_and_merge_share_the_spike_home_on_the_claim() {
    let docs = both_manifests();
    let claim = pvc_name(&docs);
    let [(shards, shard_env), (merge, merge_env)] = roles(&docs);
    let home = get(&shard_env, env::SPIKE_HOME).expect("shard SPIKE_HOME");
    assert_eq!(get(&merge_env, env::SPIKE_HOME), Some(home));
    // SPIKE_HOME is the claim's mount, so the artifacts land on the volume.
    assert_eq!(claim_mount(shards, &claim), home);
    assert_eq!(claim_mount(merge, &claim), home);
    let clean = manifest("spike-clean.yaml");
    let clean = job(&clean, "spike-clean");
    let clean_mount = claim_mount(clean, &claim);
    let script = container(clean)["command"].to_string();
    assert!(
        script.contains(&format!("{clean_mount}/${{TEST_FOLDER}}/shard-*-of-*")),
        "the cleaning step removes the shard folders on the claim: {script}"
    );
    let pattern_of = |f: String| f.replace(|c: char| c.is_ascii_digit(), "*");
    assert_eq!(pattern_of(spike_core::shard::folder(3, 4)), "shard-*-of-*");
}

#[test]
fn shards_and_merge_run_the_same_test_alone() {
    let docs = both_manifests();
    let [(shards, _), (merge, _)] = roles(&docs);
    let (s, m) = (container(shards), container(merge));
    assert_eq!(s["image"], m["image"]);
    assert_eq!(s["command"], m["command"]);
    assert_eq!(s["args"], m["args"]);
    let args: Vec<&str> = s["args"]
        .as_array()
        .expect("args")
        .iter()
        .map(|a| a.as_str().expect("string args"))
        .collect();
    assert_eq!(args.first(), Some(&"${TEST}"), "{args:?}");
    assert!(args.contains(&"--exact"), "{args:?}");
    assert!(args.contains(&"--test-threads=1"), "{args:?}");
    // Before it, check-test.sh makes sure that test exists and is not
    // ignored (libtest would pass, having run nothing).
    for job in [shards, merge] {
        let inits = job["spec"]["template"]["spec"]["initContainers"]
            .as_array()
            .expect("initContainers");
        assert_eq!(inits.len(), 1, "{inits:#?}");
        let init = &inits[0];
        assert_eq!(init["image"], s["image"]);
        assert_eq!(
            init["command"],
            serde_json::json!([
                "/usr/local/bin/spike-check-test",
                s["command"][0],
                "${TEST}"
            ])
        );
    }
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
        check_test("run_sh_is_valid_posix_sh"),
        (Some(0), String::new())
    );
    for (name, says) in [
        ("run_sh", "no test named exactly `run_sh` (found 0)"),
        ("no_such_test", "no test named exactly `no_such_test`"),
        ("ignored_fixture_for_check_test", "is ignored"),
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
                "apply -f -",
                "logs job/spike-merge",
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
