//! The merged report: the combined stats, and every other field of the
//! report from the shards' (the rules are in the module docs of
//! [`crate::merge`]).

use super::combine::combine;
use super::info::MergeInfo;
use super::read::ShardOutput;
use crate::engine::fault_report;
use crate::recovery::{self, RecoveryCriteria};
use crate::report::{GeneratorHealth, Report};

/// The criteria the shards' recoveries were judged with (the same in every
/// shard: one test binary), or the default when none was measured.
fn criteria(first: &Report) -> RecoveryCriteria {
    first
        .recovery
        .as_ref()
        .map(|r| r.criteria)
        .or_else(|| first.fault_recovery.first().map(|r| r.criteria))
        .unwrap_or_default()
}

/// Merge `outputs`, checked and sorted by index.
pub(super) fn assemble(outputs: &[ShardOutput], info: MergeInfo) -> Report {
    let reports: Vec<&Report> = outputs.iter().map(|o| &o.report).collect();
    let first = reports[0];
    let n = info.count;
    let combined = combine(&reports);
    let mut windows = combined.windows;
    let faults = first.faults.clone();
    fault_report::tag_windows(&mut windows, &faults);
    let criteria = criteria(first);
    let fault_recovery =
        fault_report::recoveries(criteria, &faults, &windows, &combined.interval_histograms);
    let phase = |i: Option<usize>| i.and_then(|i| combined.phases.get(i));
    let recovery = match (
        phase(first.shape.reference_index()),
        phase(first.shape.recover_index()),
    ) {
        (Some(reference), Some(recover)) => Some(recovery::evaluate(
            criteria,
            &reference.name,
            &reference.stats,
            &recover.name,
            recover.start,
            recover.start.saturating_add(recover.duration),
            &windows,
        )),
        _ => None,
    };
    let g = |f: fn(&GeneratorHealth) -> u64| reports.iter().map(|r| f(&r.generator)).sum::<u64>();
    let generator = GeneratorHealth {
        schedule_lag: combined.total.schedule_lag,
        dropped: g(|g| g.dropped),
        max_in_flight: g(|g| g.max_in_flight),
        in_flight_cap: g(|g| g.in_flight_cap),
        drain_timeouts: g(|g| g.drain_timeouts),
        abandoned: g(|g| g.abandoned),
        late_records: g(|g| g.late_records),
        lag_budget_us: first.generator.lag_budget_us,
        saturated: reports.iter().any(|r| r.generator.saturated),
        pacer_cpu: reports
            .iter()
            .map(|r| r.generator.pacer_cpu)
            .fold(0.0, f64::max),
    };
    let name = |r: &Report| format!("shard {}/{n}", r.shard.map_or(0, |s| s.index));
    let interrupted: Vec<String> = reports
        .iter()
        .filter_map(|r| Some(format!("{}: {}", name(r), r.interrupted.as_ref()?)))
        .collect();
    let aborted = reports.iter().find_map(|r| {
        let mut a = r.aborted.clone()?;
        a.rule = format!("{}: {}", name(r), a.rule);
        Some(a)
    });
    let mut environment = first.environment.clone();
    environment.started_at_unix_ms = reports
        .iter()
        .map(|r| r.environment.started_at_unix_ms)
        .min()
        .unwrap_or(environment.started_at_unix_ms);
    Report {
        scenario: first.scenario.clone(),
        model: first.model,
        shape: first.shape.clone(),
        window: first.window,
        environment,
        elapsed: reports.iter().map(|r| r.elapsed).max().unwrap_or_default(),
        total: combined.total,
        phases: combined.phases,
        windows,
        recovery,
        generator,
        interrupted: (!interrupted.is_empty()).then(|| interrupted.join("; ")),
        aborted,
        checks: Vec::new(),
        artifacts: None,
        interval_histograms: combined.interval_histograms,
        detail_histograms: combined.detail_histograms,
        faults,
        fault_recovery,
        shard: None,
        merged: Some(info),
    }
}
