//! Renamed items keep working for one release: old `report.json` files with
//! `"baseline": true` or a recovery with `baseline_*` fields, the deprecated
//! `.baseline()` marker, `sim` and
//! `fmt_micros`; and `PhaseReport` is a `Phase` plus `stats` on the wire.

use spike_core::{ms, rps, secs, Model, Phase, PhaseReport, Shape, Stats};

#[test]
fn an_old_phase_marked_baseline_reads_as_the_reference_phase() {
    let old = r#"{"name":"steady","kind":"hold","from":{"model":"rps","value":100.0},
        "to":{"model":"rps","value":100.0},"start":0,"duration":2000000,"baseline":true}"#;
    let phase: Phase = serde_json::from_str(old).expect("an old phase parses");
    assert!(phase.reference);
    assert_eq!(phase.duration, secs(2));
    let new = serde_json::to_value(&phase).expect("a phase serializes");
    assert_eq!(new["reference"], serde_json::Value::Bool(true));
    assert!(new.get("baseline").is_none());
}

#[test]
fn a_phase_report_is_the_phase_fields_beside_stats() {
    let shape = Shape::builder()
        .hold(rps(100), secs(1))
        .reference()
        .burst(rps(400), ms(500))
        .build()
        .expect("a valid shape");
    let phase = shape.phases()[0].clone();
    let report = PhaseReport {
        phase,
        stats: Stats::default(),
    };
    let v = serde_json::to_value(&report).expect("serializes");
    let mut keys: Vec<&str> = v
        .as_object()
        .expect("an object")
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "duration",
            "from",
            "kind",
            "name",
            "reference",
            "start",
            "stats",
            "to"
        ]
    );
    let back: PhaseReport = serde_json::from_value(v).expect("reads back");
    assert_eq!(back, report);
    // The phase's fields read through.
    assert_eq!(report.name, "hold");
    assert_eq!(report.end(), secs(1));
    assert_eq!(shape.reference_index(), Some(0));
}

#[test]
#[allow(deprecated)]
fn deprecated_names_still_resolve_to_the_new_items() {
    let shape = Shape::builder()
        .hold(rps(10), secs(1))
        .baseline()
        .burst(rps(40), secs(1))
        .build()
        .expect("a valid shape");
    assert!(shape.phases()[0].reference);
    assert_eq!(shape.baseline_index(), shape.reference_index());
    assert_eq!(spike_core::fmt_micros(12_340), "12.3ms");
    let _server: spike_core::sim::FifoServer = spike_core::targets::FifoServer::new(100.0);
    assert_eq!(Model::Open.unit(), "rps");
}

#[test]
fn an_old_recovery_with_baseline_fields_reads_as_the_reference() {
    // A `recovery` object as reports before 0.2 wrote it.
    let old = r#"{"criteria":{"tolerance":0.25,"slack":10000,"epsilon":0.01,"sustain":3},
        "baseline_phase":"hold","baseline_p95_us":5900,"baseline_error_rate":0.0,
        "healthy_p95_us":15900,"healthy_error_rate":0.01,"recover_phase":"recover",
        "spike_end":5000000,"recover_end":13000000,"recovery_time":4000000,
        "unhealthy_windows":[50,51]}"#;
    let r: spike_core::Recovery = serde_json::from_str(old).expect("an old recovery parses");
    assert_eq!(r.reference_phase, "hold");
    assert_eq!(r.reference_p95_us, 5_900);
    assert_eq!(r.reference_error_rate, 0.0);
    assert_eq!(r.recovery_time, Some(secs(4)));
    let new = serde_json::to_value(&r).expect("a recovery serializes");
    assert_eq!(new["reference_phase"], "hold");
    assert!(new.get("baseline_phase").is_none());
}
