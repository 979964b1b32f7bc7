//! The Kubernetes manifests under `deploy/` (issue 14): they parse as YAML,
//! the shard Job is an Indexed Job whose size is its shard count, every
//! `SPIKE_*` variable they set is one the code reads, the shards and the
//! merge step run the same test on the same volume with the roles the
//! environment gives them, and `deploy/run.sh` fills in every placeholder.
//!
//! The manifests are read with a YAML parser (serde_norway), not searched
//! as text, so a check sees what Kubernetes would see.

#[path = "deploy_manifest/run_sh.rs"]
mod run_sh;
#[path = "deploy_manifest/yaml.rs"]
mod yaml;

use std::collections::BTreeSet;
use std::path::Path;

use spike_core::shard::env;

use yaml::{both_manifests, claim_mount, container, env_of, get, job, manifest, pvc_name, roles};

/// `SPIKE_*` variables the code reads besides [`env::ALL`] and
/// [`spike_core::safety::ALLOW_HOSTS_ENV`], which have no public constant.
/// [`every_listed_variable_is_named_in_spike_core`] checks that each is
/// still named in spike-core's source.
const OTHER_SPIKE_VARS: [&str; 12] = [
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
    // spike-core/src/output/artifacts/junit_file.rs: one JUnit file for the run.
    "SPIKE_JUNIT",
    // src/live/env.rs (facade, features prometheus / otlp): live metrics.
    "SPIKE_PROMETHEUS",
    "SPIKE_PROMETHEUS_LINGER",
    "SPIKE_OTLP_ENDPOINT",
    "SPIKE_OTLP_INTERVAL",
];

const MANIFESTS: [&str; 4] = [
    "spike-pvc.yaml",
    "spike-clean.yaml",
    "spike-shards.yaml",
    "spike-merge.yaml",
];

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
    // The facade's own variables (live metrics, src/live/env.rs).
    spike_literals(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
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
