//! Golden tests of the run artifacts: the interval log reads back exactly
//! what was recorded, and the JSON / CSV structure is pinned (numbers
//! filtered) with insta.

mod artifacts_support;
mod common;

use std::time::Duration;

use hdrhistogram::serialization::{Deserializer, Serializer as _, V2DeflateSerializer};
use hdrhistogram::Histogram;
use spike_core::artifacts::{hlog_bytes, report_html, timeline_csv, write_all, LatencyLog};
use spike_core::{ms, new_latency_histogram, FaultSpan, IntervalHistogram, Percentiles, Report};

/// The shared spiky run; every 10th iteration fails.
fn spiky_report(name: &str) -> Report {
    artifacts_support::spiky_report(name, |ctx| ctx.iteration() % 10 == 3)
}

fn decode(bytes: &[u8]) -> Histogram<u64> {
    Deserializer::new()
        .deserialize(&mut &bytes[..])
        .expect("decodes")
}

fn merge<'a>(hs: impl IntoIterator<Item = &'a IntervalHistogram>) -> Histogram<u64> {
    let mut total = new_latency_histogram();
    for h in hs {
        total.add(decode(&h.encoded)).expect("same bounds");
    }
    total
}

#[test]
fn hlog_reads_back_exactly_what_was_recorded() {
    let report = spiky_report("hlog-roundtrip");
    assert_eq!(report.generator.late_records, 0, "{report}");
    assert!(report.interval_histograms.len() >= 30, "one per window");
    let bytes = hlog_bytes(&report).expect("writes");
    let text = String::from_utf8(bytes.clone()).expect("text");
    assert!(text.starts_with("#[Histogram log format version 1.3]\n"));
    assert!(text.contains("\n#[StartTime: "));
    assert!(text.contains("\n#[BaseTime: "));
    assert!(text.contains("\n\"StartTimestamp\",\"Interval_Length\",\"Interval_Max\""));
    assert!(text.contains("\nTag=burst,1.000,0.100,"), "{text}");

    let log = LatencyLog::parse(&bytes).expect("parses");
    assert_eq!(
        log.base_time,
        Some(Duration::from_millis(report.environment.started_at_unix_ms))
    );
    assert_eq!(log.intervals().len(), report.interval_histograms.len());
    assert_eq!(log.tags(), vec!["hold", "burst", "recover"]);
    // Interval by interval: the same histogram, bucket for bucket.
    for (read, recorded) in log.intervals().iter().zip(&report.interval_histograms) {
        assert_eq!(read.tag.as_deref(), Some(recorded.phase.as_str()));
        assert_eq!(read.start, recorded.start);
        assert_eq!(read.length, recorded.end - recorded.start);
        let (a, b) = (
            read.histogram().expect("decodes"),
            decode(&recorded.encoded),
        );
        assert_eq!(a, b, "window {}", recorded.window);
        assert_eq!(a.len(), b.len());
        assert_eq!(
            a.iter_recorded()
                .map(|v| (v.value_iterated_to(), v.count_at_value()))
                .collect::<Vec<_>>(),
            b.iter_recorded()
                .map(|v| (v.value_iterated_to(), v.count_at_value()))
                .collect::<Vec<_>>()
        );
    }
    // Whole run, each phase and each window: the percentiles of the report.
    assert_eq!(log.percentiles(.., None).unwrap(), report.total.latency);
    for p in &report.phases {
        assert_eq!(
            log.percentiles(.., Some(&p.name)).unwrap(),
            p.stats.latency,
            "phase {}",
            p.name
        );
    }
    for w in &report.windows {
        assert_eq!(
            log.percentiles(w.start..w.end, None).unwrap(),
            w.stats.latency,
            "window {}",
            w.index
        );
    }
    // An arbitrary range of windows: 0.7 s .. 2.2 s.
    let range = ms(700)..ms(2200);
    let expected = merge(
        report
            .interval_histograms
            .iter()
            .filter(|i| range.contains(&i.start)),
    );
    assert_eq!(log.histogram(range.clone(), None).unwrap(), expected);
    assert_eq!(
        log.percentiles(range, None).unwrap(),
        Percentiles::of(&expected)
    );
    assert!(log.percentiles(ms(5000).., None).unwrap().count == 0);
}

#[test]
fn hlog_round_trip_keeps_extreme_values() {
    // Known values across the whole range, incl. 1 µs and the 60 s ceiling.
    let mut report = spiky_report("hlog-extremes");
    let mut h = new_latency_histogram();
    for v in [1, 2, 999, 1_000, 1_001, 123_456, 59_999_999, 60_000_000] {
        h.record_n(v, v % 7 + 1).expect("in range");
    }
    let mut encoded = Vec::new();
    V2DeflateSerializer::new()
        .serialize(&h, &mut encoded)
        .expect("encodes");
    report.interval_histograms = vec![IntervalHistogram {
        window: 0,
        start: ms(0),
        end: ms(100),
        phase: "weird phase,name".to_owned(),
        request: None,
        encoded,
    }];
    let log = LatencyLog::parse(&hlog_bytes(&report).unwrap()).unwrap();
    assert_eq!(log.intervals()[0].tag.as_deref(), Some("weird_phase_name"));
    assert_eq!(log.intervals()[0].histogram().unwrap(), h);
    assert_eq!(log.intervals()[0].max, h.max() as f64 / 1000.0);
    assert_eq!(log.percentiles(.., None).unwrap(), Percentiles::of(&h));
}

#[test]
fn a_broken_log_is_an_error_not_a_panic() {
    let err = LatencyLog::parse(b"#comment\nTag=a,0.000,0.100,1.0,@@notbase64@@\n").unwrap_err();
    assert!(err.to_string().contains("base64"), "{err}");
    let err = LatencyLog::parse(b"Tag=a,0.000,0.100,1.0,AAAA\n").unwrap_err();
    assert!(err.to_string().contains("does not decode"), "{err}");
    let err = LatencyLog::parse(b"garbage\n").unwrap_err();
    assert!(err.to_string().contains("parse error"), "{err}");
}

/// Replace every number in a JSON value by 0, and the environment's
/// machine-specific strings by a placeholder: what remains is structure.
fn structure(v: &serde_json::Value, key: &str) -> serde_json::Value {
    use serde_json::Value;
    match v {
        Value::Number(_) => Value::from(0),
        // Timing-dependent: saturation on a busy machine, a recovery that
        // may or may not happen in time.
        Value::Bool(_) if key == "saturated" => Value::from("<bool>"),
        Value::Null if key == "recovery_time" => Value::from(0),
        Value::String(_)
            if matches!(key, "os" | "build_profile" | "spike_version" | "artifacts") =>
        {
            Value::from("<filtered>")
        }
        Value::Array(a) => {
            // Windows are many and alike: keep the first of each phase.
            let mut seen = Vec::new();
            Value::Array(
                a.iter()
                    .filter(|x| {
                        if key != "windows" {
                            return true;
                        }
                        let phase = x.get("phase").cloned();
                        if seen.contains(&phase) {
                            false
                        } else {
                            seen.push(phase);
                            true
                        }
                    })
                    .map(|x| structure(x, key))
                    .collect(),
            )
        }
        Value::Object(o) => Value::Object(
            o.iter()
                .map(|(k, x)| {
                    // Error samples, tags and unhealthy windows vary in count with timing.
                    let x = if k == "unhealthy_windows" {
                        Value::Array(Vec::new())
                    } else {
                        structure(x, k)
                    };
                    (k.clone(), x)
                })
                .collect(),
        ),
        other => other.clone(),
    }
}

#[test]
fn json_and_csv_structure_is_stable() {
    let report = spiky_report("golden-structure");
    let json: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
    // The JSON must not carry the encoded histograms (they go to latency.hlog).
    assert!(json.get("interval_histograms").is_none());
    insta::assert_snapshot!(
        "report_json_structure",
        serde_json::to_string_pretty(&structure(&json, "")).unwrap()
    );

    let csv = timeline_csv(&report);
    let mut lines = csv.lines();
    let header = lines.next().unwrap();
    let cols = header.split(',').count();
    let mut filtered = vec![header.to_owned()];
    let mut rows = 0;
    let mut last_phase = String::new();
    for line in lines {
        rows += 1;
        let cells: Vec<&str> = line.split(',').collect();
        assert_eq!(cells.len(), cols, "{line}");
        // Numbers become `#`, the healthy column keeps only its kind.
        let cells: Vec<String> = cells
            .iter()
            .map(|c| {
                if c.parse::<f64>().is_ok() {
                    "#".to_owned()
                } else if *c == "true" || *c == "false" {
                    "<bool>".to_owned()
                } else {
                    (*c).to_owned()
                }
            })
            .collect();
        if cells[3] != last_phase {
            last_phase = cells[3].clone();
            filtered.push(cells.join(","));
        }
    }
    assert_eq!(rows, report.windows.len());
    insta::assert_snapshot!("timeline_csv_structure", filtered.join("\n"));
}

#[test]
fn timeline_rows_match_the_windows() {
    let report = spiky_report("timeline-values");
    let csv = timeline_csv(&report);
    let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    for (line, w) in csv.lines().skip(1).zip(&report.windows) {
        let cells: Vec<&str> = line.split(',').collect();
        assert_eq!(cells[col("window")], w.index.to_string());
        assert_eq!(cells[col("phase")], w.phase);
        assert_eq!(cells[col("completed")], w.stats.completed.to_string());
        assert_eq!(
            cells[col("latency_p95_us")],
            w.stats.latency.p95_us.to_string()
        );
        assert_eq!(
            cells[col("errors_flaky")],
            w.stats.errors_of("flaky").to_string()
        );
        // Served: the window's completions by completion instant, and the
        // rate over the 100 ms window. (That the count is right against a
        // target of known capacity is pinned by tests/served_throughput.rs.)
        assert_eq!(cells[col("served")], w.served.to_string());
        let rate: f64 = cells[col("served_rate")].parse().unwrap();
        assert!((rate - w.served as f64 / 0.1).abs() < 1e-3, "{line}");
        assert_eq!(cells[col("faults")], w.faults.join("+"));
        let healthy = cells[col("healthy")];
        let r = report.recovery.as_ref().unwrap();
        if w.start >= r.spike_end && w.end <= r.recover_end {
            assert_eq!(healthy, r.is_healthy(w).to_string());
        } else {
            assert_eq!(healthy, "");
        }
    }
}

#[test]
fn every_completion_is_served_in_exactly_one_window() {
    let report = spiky_report("served-sum");
    let served: u64 = report.windows.iter().map(|w| w.served).sum();
    // Every iteration completed (the recover phase drains the backlog); all
    // but the last few (due in the final milliseconds, 4 ms of service)
    // complete before the planned end.
    assert_eq!(report.total.completed, report.total.scheduled);
    assert!(served <= report.total.completed);
    assert!(
        report.total.completed - served <= 3,
        "{} completions after the end\n{report}",
        report.total.completed - served
    );
}

#[test]
fn html_is_self_contained_and_escapes_names() {
    let mut report = spiky_report("html <b>&\"name\"");
    report.checks.push(spike_core::Check {
        check: "p95 below 250ms".to_owned(),
        scope: "run".to_owned(),
        expected: "< 250ms".to_owned(),
        actual: "12.0ms <script>".to_owned(),
        passed: false,
    });
    let html = report_html(&report);
    for id in [
        "chart-rate",
        "chart-latency",
        "chart-errors",
        "chart-distribution",
    ] {
        assert!(html.contains(&format!("<svg id=\"{id}\"")), "{id}");
    }
    assert!(html.contains("spike report: html &lt;b&gt;&amp;&quot;name&quot;"));
    assert!(html.contains("12.0ms &lt;script&gt;"));
    assert!(!html.contains("<script"), "no script at all");
    for external in [
        "src=", "href=", "<link", "@import", "url(", "http://", "https://",
    ] {
        assert!(!html.contains(external), "external reference {external}");
    }
    assert!(html.contains("recovered") || html.contains("did not recover"));
    assert!(html.contains("checks: 0 passed, 1 failed"));
    assert!(html.contains("flaky"), "error class listed");
    // The load chart draws offered and served; the phase table shows the
    // burst's served rate: its windows' completions over its 0.5 s.
    assert!(html.contains("offered (started / s, by intended start)"));
    assert!(html.contains("served (completed / s, by completion time)"));
    let burst_served: u64 = report
        .windows
        .iter()
        .filter(|w| w.start >= ms(1000) && w.end <= ms(1500))
        .map(|w| w.served)
        .sum();
    let cell = format!("<td>{:.1}/s</td>", burst_served as f64 / 0.5);
    assert!(html.contains(&cell), "{cell}");
}

#[test]
fn write_all_writes_every_file() {
    let mut report = spiky_report("write-all");
    let dir = std::env::temp_dir().join(format!("spike-artifacts-{}", std::process::id()));
    report.artifacts = Some(dir.clone());
    let paths = write_all(&report, &dir).unwrap();
    for p in [
        &paths.report_json,
        &paths.report_html,
        &paths.timeline_csv,
        paths.latency_hlog.as_ref().unwrap(),
    ] {
        assert!(std::fs::metadata(p).unwrap().len() > 100, "{}", p.display());
    }
    let back: Report =
        serde_json::from_str(&std::fs::read_to_string(&paths.report_json).unwrap()).unwrap();
    assert!(back.interval_histograms.is_empty());
    // (Floats may differ in the last digit: serde_json parses them
    // without `float_roundtrip`.)
    assert_eq!(back.total.completed, report.total.completed);
    assert_eq!(back.total.latency.p99_us, report.total.latency.p99_us);
    assert_eq!(back.total.errors_by_class, report.total.errors_by_class);
    assert_eq!(back.windows.len(), report.windows.len());
    let log = LatencyLog::read(paths.latency_hlog.as_ref().unwrap()).unwrap();
    assert_eq!(log.percentiles(.., None).unwrap(), report.total.latency);
    // A report read back from JSON still renders (summary percentiles) and
    // writes no hlog.
    let again = write_all(&back, &dir.join("again")).unwrap();
    assert!(again.latency_hlog.is_none());
    assert!(std::fs::read_to_string(&again.report_html)
        .unwrap()
        .contains("summary percentiles"));
    // Checks recorded later land in both JSON and HTML.
    let updated = spike_core::artifacts::record_checks(
        &report,
        &[spike_core::Check {
            check: "error rate below 20.00%".to_owned(),
            scope: "run".to_owned(),
            expected: "< 20.00%".to_owned(),
            actual: "10.00%".to_owned(),
            passed: true,
        }],
    )
    .unwrap();
    assert_eq!(updated.checks.len(), 1);
    assert!(std::fs::read_to_string(&paths.report_html)
        .unwrap()
        .contains("error rate below 20.00%"));
    assert!(std::fs::read_to_string(&paths.report_json)
        .unwrap()
        .contains("error rate below 20.00%"));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The fields of one RFC 4180 line (quoted fields, `""` for a quote).
fn csv_fields(line: &str) -> Vec<String> {
    let (mut fields, mut field, mut quoted) = (Vec::new(), String::new(), false);
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => fields.push(std::mem::take(&mut field)),
            (c, _) => field.push(c),
        }
    }
    fields.push(field);
    fields
}

/// A fault span with these actual edges (ms), as the fault clock records.
fn span(name: &str, on: u64, off: u64) -> FaultSpan {
    FaultSpan {
        name: name.to_owned(),
        description: format!("{name} <on purpose>"),
        planned_start: ms(on),
        planned_end: ms(off),
        actual_start: Some(ms(on)),
        actual_end: Some(ms(off)),
        stopped_at_run_end: false,
    }
}

#[test]
fn faults_reach_every_artifact() {
    let mut report = spiky_report("faults-artifacts");
    // Two faults, overlapping in window 12 [1.2 s, 1.3 s); one with a name
    // that needs escaping in a tag, in CSV and in HTML.
    report.faults = vec![span("db-cut", 1_050, 1_250), span("a+b, c", 1_210, 1_420)];
    // Which windows each is active in, by arithmetic on the edges.
    let active = |i: u64| -> Vec<String> {
        let (start, end) = (100 * i, 100 * (i + 1));
        let mut names = Vec::new();
        if start < 1_250 && end > 1_050 {
            names.push("db-cut".to_owned());
        }
        if start < 1_420 && end > 1_210 {
            names.push("a+b, c".to_owned());
        }
        names
    };
    for w in &mut report.windows {
        w.faults = active(w.index);
    }

    // timeline.csv: the faults column, names joined by `+`, quoted when needed.
    let csv = timeline_csv(&report);
    let mut lines = csv.lines();
    let header = csv_fields(lines.next().unwrap());
    let col = header
        .iter()
        .position(|h| h == "faults")
        .expect("faults column");
    for (line, w) in lines.zip(&report.windows) {
        let row = csv_fields(line);
        assert_eq!(row.len(), header.len(), "{line}");
        assert_eq!(row[col], active(w.index).join("+"), "window #{}", w.index);
    }
    assert_eq!(
        report
            .windows
            .iter()
            .filter(|w| !w.faults.is_empty())
            .map(|w| w.index)
            .collect::<Vec<_>>(),
        [10, 11, 12, 13, 14]
    );

    // latency.hlog, read by hdrhistogram's own reader: the intervals of a
    // faulty window carry `;fault=<names>` after their tag.
    let bytes = hlog_bytes(&report).expect("writes");
    use hdrhistogram::serialization::interval_log::{IntervalLogIterator, LogEntry};
    let mut tagged = Vec::new();
    for entry in IntervalLogIterator::new(&bytes) {
        if let LogEntry::Interval(i) = entry.expect("hdrhistogram reads it") {
            let window = (i.start_timestamp().as_millis() / 100) as u64;
            let tag = i.tag().map(|t| t.as_str().to_owned()).unwrap_or_default();
            if let Some((_, faults)) = tag.split_once(";fault=") {
                tagged.push((window, faults.to_owned()));
            } else {
                assert!(
                    active(window).is_empty(),
                    "window {window} lost its faults: {tag}"
                );
            }
        }
    }
    let faulty: Vec<u64> = tagged.iter().map(|(w, _)| *w).collect();
    assert_eq!(faulty, [10, 11, 12, 13, 14]);
    assert_eq!(tagged[0].1, "db-cut");
    assert_eq!(tagged[2].1, "db-cut+a%2Bb%2C%20c");
    assert_eq!(tagged[4].1, "a%2Bb%2C%20c");
    // spike's reader splits them off: names back exactly, phases unchanged.
    let log = LatencyLog::parse(&bytes).expect("parses");
    for i in log.intervals() {
        let window = (i.start.as_millis() / 100) as u64;
        assert_eq!(i.faults(), active(window), "window {window}");
    }
    assert_eq!(log.tags(), vec!["hold", "burst", "recover"]);
    for p in &report.phases {
        assert_eq!(log.percentiles(.., Some(&p.name)).unwrap(), p.stats.latency);
    }

    // report.html: a fault table, and each time chart shades both faults.
    let html = report_html(&report);
    assert!(html.contains("<table id=\"faults\">"));
    assert!(html.contains("a+b, c &lt;on purpose&gt;"));
    assert!(html.contains("<td>1.050s–1.250s</td>"));
    let shaded = html.matches("<rect class=\"fault\"").count();
    assert_eq!(
        shaded,
        2 * 3,
        "two faults on the rate, latency and error charts"
    );

    // The summary prints a timeline line per fault.
    let summary = report.to_string();
    assert!(
        summary.contains("fault db-cut (db-cut <on purpose>): planned 1.050s–1.250s, actual 1.050s–1.250s (edge error 0µs)"),
        "{summary}"
    );
}
