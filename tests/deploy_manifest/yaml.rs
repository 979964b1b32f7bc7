//! Reading the manifests: YAML documents as JSON values, and the parts of
//! a Job the checks look at.

use std::path::{Path, PathBuf};

use serde::Deserialize as _;
use serde_json::Value;

pub(crate) fn deploy_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy")
}

/// Every document of a YAML stream, as JSON values.
pub(crate) fn documents(text: &str, what: &str) -> Vec<Value> {
    serde_norway::Deserializer::from_str(text)
        .map(|doc| Value::deserialize(doc).unwrap_or_else(|e| panic!("{what}: {e}")))
        .filter(|doc| !doc.is_null())
        .collect()
}

pub(crate) fn manifest(file: &str) -> Vec<Value> {
    let path = deploy_dir().join(file);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    documents(&text, file)
}

/// The one Job in `docs` named `name`.
pub(crate) fn job<'a>(docs: &'a [Value], name: &str) -> &'a Value {
    let jobs: Vec<&Value> = docs
        .iter()
        .filter(|d| d["kind"] == "Job" && d["metadata"]["name"] == name)
        .collect();
    assert_eq!(jobs.len(), 1, "one Job named {name} expected: {docs:#?}");
    assert_eq!(jobs[0]["apiVersion"], "batch/v1", "{name}");
    jobs[0]
}

/// The one container of a Job's pods.
pub(crate) fn container(job: &Value) -> &Value {
    let containers = job["spec"]["template"]["spec"]["containers"]
        .as_array()
        .unwrap_or_else(|| panic!("no containers: {job:#}"));
    assert_eq!(containers.len(), 1, "one container expected: {job:#}");
    &containers[0]
}

/// A container's environment (none: empty), name to value; every value a
/// string (a Kubernetes `env` value must be one: `value: 4` is refused).
pub(crate) fn env_of(container: &Value) -> Vec<(String, String)> {
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

pub(crate) fn get<'a>(env: &'a [(String, String)], name: &str) -> Option<&'a str> {
    let found: Vec<&str> = env
        .iter()
        .filter(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
        .collect();
    assert!(found.len() <= 1, "{name} is set twice: {env:?}");
    found.first().copied()
}

/// Where a Job's pods mount the claim `claim`, and the claim's volume name.
pub(crate) fn claim_mount(job: &Value, claim: &str) -> String {
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

pub(crate) fn pvc_name(docs: &[Value]) -> String {
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

/// The shard and merge Jobs of `docs`, with their environments.
pub(crate) fn roles(docs: &[Value]) -> [(&Value, Vec<(String, String)>); 2] {
    let shards = job(docs, "spike-shards");
    let merge = job(docs, "spike-merge");
    [
        (shards, env_of(container(shards))),
        (merge, env_of(container(merge))),
    ]
}

pub(crate) fn both_manifests() -> Vec<Value> {
    let mut docs = manifest("spike-shards.yaml");
    docs.extend(manifest("spike-merge.yaml"));
    docs.extend(manifest("spike-pvc.yaml"));
    docs
}
