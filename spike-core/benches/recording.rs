#![allow(missing_docs)] // criterion_group! generates undocumented public items
//! Recording cost per sample: the work a finished iteration does to record
//! itself (thread shard lookup, uncontended lock, accumulator lookup, three
//! HdrHistogram records). Target: < 50 ns median.
//!
//! `cargo bench -p spike-test-core --bench recording`

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use spike_core::BenchRecorder;

fn recording(c: &mut Criterion) {
    let mut group = c.benchmark_group("recording");
    group.throughput(Throughput::Elements(1));
    let rec = BenchRecorder::default();
    let mut n = 0u64;
    // Every 50,000 samples the window moves on and the shard is drained, as
    // the aggregator does once per tick: the cost of allocating a fresh
    // accumulator is amortised as in a real run (50k samples per tick is
    // 200k rps on one thread with 250 ms ticks).
    group.bench_function("record_one_sample", |b| {
        b.iter(|| {
            n += 1;
            let spread = n.wrapping_mul(7919);
            // Latencies spread over 100 µs .. ~100 ms, as in a real run.
            let latency = 100 + (spread % 100_000);
            rec.record(black_box(n / 50_000), latency, latency / 2, spread % 1_000);
            if n.is_multiple_of(50_000) {
                black_box(rec.drain());
            }
        });
    });
    // A named request (`RequestTimer::finish`): shard lock, accumulator
    // lookup, one map lookup by name, one histogram record; three names
    // in turn as a mix records them.
    group.bench_function("record_one_named_request", |b| {
        const NAMES: [&str; 3] = ["browse", "search", "checkout"];
        let rec = BenchRecorder::default();
        let mut n = 0u64;
        b.iter(|| {
            n += 1;
            let latency = 100 + (n.wrapping_mul(7919) % 100_000);
            rec.record_request(black_box(n / 50_000), NAMES[(n % 3) as usize], latency);
            if n.is_multiple_of(50_000) {
                black_box(rec.drain());
            }
        });
    });
    // Recording from two threads at once (the per-thread shards keep them
    // apart: the median should not move much).
    group.bench_function("record_one_sample_two_threads", |b| {
        b.iter_custom(|iters| {
            let rec = std::sync::Arc::new(BenchRecorder::default());
            let start = std::time::Instant::now();
            std::thread::scope(|s| {
                for t in 0..2u64 {
                    let rec = rec.clone();
                    s.spawn(move || {
                        for k in 0..iters {
                            let latency = 100 + ((k * 7919 + t) % 100_000);
                            rec.record(k / 50_000, latency, latency / 2, k % 1_000);
                            if k % 50_000 == 0 {
                                black_box(rec.drain());
                            }
                        }
                    });
                }
            });
            // Per sample of one thread: the wall time of both in parallel.
            start.elapsed()
        });
    });
    group.finish();
}

criterion_group!(benches, recording);
criterion_main!(benches);
