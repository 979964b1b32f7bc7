//! Truth tests of the chaos proxy (`spike::chaos`): every expected outcome
//! comes from a server this file writes (echo, fixed blob, silent) and
//! arithmetic done here, not from the proxy's own counters alone.
#![cfg(all(feature = "chaos", feature = "http"))]

mod chaos_common;

use std::io::ErrorKind;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use chaos_common::{blob_server, echo_server, fault_edges, load_average, median, silent_server};
use spike::chaos::{ChaosError, Direction, Proxy, MAX_DELAY};
use spike::demo::DemoService;
use spike::faults::{at, lasting, Chaos, Fault};
use spike::http::Http;
use spike::prelude::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;

async fn connect(addr: std::net::SocketAddr) -> TcpStream {
    let stream = TcpStream::connect(addr).await.expect("connect");
    // A connection the proxy resets at once may already refuse options.
    let _ = stream.set_nodelay(true);
    stream
}

/// One 64-byte echo round trip.
async fn round_trip(stream: &mut TcpStream) -> Duration {
    let msg = [7u8; 64];
    let mut buf = [0u8; 64];
    let t0 = Instant::now();
    stream.write_all(&msg).await.expect("write");
    stream.read_exact(&mut buf).await.expect("read");
    let took = t0.elapsed();
    assert_eq!(buf, msg);
    took
}

/// Whether a read ends in an error or EOF within 2 s (a reset or refused
/// connection), and not in data.
async fn read_fails(stream: &mut TcpStream) -> bool {
    let mut buf = [0u8; 16];
    match timeout(Duration::from_secs(2), stream.read(&mut buf)).await {
        Ok(Ok(0) | Err(_)) => true,
        Ok(Ok(_)) | Err(_) => false,
    }
}

/// Whether a new connection to `addr` is refused: the connect fails (the
/// reset came before the handshake was seen) or its first read does.
async fn refused(addr: std::net::SocketAddr) -> bool {
    let Ok(mut stream) = TcpStream::connect(addr).await else {
        return true;
    };
    let _ = stream.write_all(b"x").await;
    read_fails(&mut stream).await
}

/// Mark this attempt inconclusive (a busy machine) and fail it: inside
/// `#[spike_test]` the body runs again.
fn inconclusive(why: &str) -> ! {
    if let Some(ctx) = spike::TestContext::current() {
        ctx.note_inconclusive(why);
    }
    panic!("INCONCLUSIVE: {why}");
}

/// An added latency L shows up as +L (±1 ms) at p50: 200 interleaved
/// round trips, direct and through the proxy, compared by their medians.
#[spike_test(timeout = "60s")]
async fn added_latency_shows_up_at_p50_within_a_millisecond() {
    const L: Duration = Duration::from_millis(20);
    let echo = echo_server().await;
    let proxy = Proxy::start(echo).await.expect("proxy");
    let slow = proxy.latency(Direction::Downstream, L).expect("latency");
    slow.start();
    // A second proxy without faults: the proxy's own cost, for the record.
    let plain = Proxy::start(echo).await.expect("plain proxy");
    let mut direct = connect(echo).await;
    let mut proxied = connect(proxy.addr()).await;
    let mut passthrough = connect(plain.addr()).await;
    for _ in 0..10 {
        round_trip(&mut direct).await;
        round_trip(&mut proxied).await;
        round_trip(&mut passthrough).await;
    }
    let (mut d, mut p, mut q) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..200 {
        d.push(round_trip(&mut direct).await);
        p.push(round_trip(&mut proxied).await);
        q.push(round_trip(&mut passthrough).await);
    }
    let (direct_p50, proxied_p50) = (median(&mut d), median(&mut p));
    let added = proxied_p50.saturating_sub(direct_p50);
    let off = added.abs_diff(L);
    println!(
        "direct p50 {direct_p50:?}, passthrough p50 {:?}, with latency p50 {proxied_p50:?}: added {added:?} for L = {L:?} (off by {off:?}; load {:?})",
        median(&mut q),
        load_average()
    );
    if off > Duration::from_millis(1) {
        // The direct round trips' own spread says how busy the machine was.
        let spread = d[d.len() * 9 / 10].saturating_sub(d[d.len() / 10]);
        if spread > Duration::from_micros(500) || load_average().is_some_and(|l| l > 2.0) {
            inconclusive(&format!(
                "the machine is too busy for ±1 ms: direct p10..p90 spread {spread:?}, load {:?}",
                load_average()
            ));
        }
        panic!("added latency {added:?} is not {L:?} ± 1 ms");
    }
}

/// With a jitter J the delays spread over [L − J, L + J]: every proxied
/// round trip lies in that band (plus the direct round trip's time), and
/// they do spread.
#[spike_test(timeout = "60s")]
async fn jitter_spreads_delays_within_its_band() {
    const L: Duration = Duration::from_millis(20);
    const J: Duration = Duration::from_millis(8);
    let echo = echo_server().await;
    let proxy = Proxy::start(echo).await.expect("proxy");
    let jittery = proxy
        .latency(Direction::Upstream, L)
        .expect("latency")
        .jitter(J)
        .expect("jitter")
        .seed(42);
    jittery.start();
    let mut proxied = connect(proxy.addr()).await;
    let mut p: Vec<Duration> = Vec::new();
    for _ in 0..60 {
        p.push(round_trip(&mut proxied).await);
    }
    p.sort_unstable();
    let (low, high) = (p[0], p[p.len() - 1]);
    println!("jittered round trips: {low:?} ..= {high:?}");
    // Never below L − J (less half a timer tick the proxy aims early by).
    assert!(
        low + Duration::from_micros(600) >= L - J,
        "{low:?} is below {:?}",
        L - J
    );
    // The spread is real: the middle 80% spans more than J.
    let spread = p[p.len() * 9 / 10] - p[p.len() / 10];
    assert!(spread > J, "delays spread over only {spread:?}");
    if high > L + J + Duration::from_millis(5) {
        inconclusive(&format!(
            "a round trip took {high:?}, beyond L + J + 5 ms: a busy machine"
        ));
    }
}

/// A bandwidth cap B makes a transfer of `size` bytes take size / B,
/// within 5 %; the bytes arrive intact.
#[spike_test(timeout = "60s")]
async fn bandwidth_cap_gives_size_over_rate_within_five_percent() {
    const SIZE: usize = 256 * 1024;
    const RATE: u64 = 128 * 1024;
    let blob = blob_server(SIZE).await;
    let proxy = Proxy::start(blob).await.expect("proxy");
    let cap = proxy
        .bandwidth(Direction::Downstream, RATE)
        .expect("bandwidth");
    cap.start();
    let mut client = connect(proxy.addr()).await;
    let mut got = vec![0u8; SIZE];
    let t0 = Instant::now();
    client.write_all(b"g").await.expect("ask");
    client.read_exact(&mut got).await.expect("read the blob");
    let took = t0.elapsed();
    assert!(
        got.iter().enumerate().all(|(i, b)| *b == (i % 251) as u8),
        "bytes changed"
    );
    let expected = Duration::from_secs_f64(SIZE as f64 / RATE as f64);
    let off = took.abs_diff(expected).as_secs_f64() / expected.as_secs_f64();
    println!(
        "{SIZE} bytes at {RATE} B/s: {took:?}, expected {expected:?} ({:.2} % off)",
        off * 100.0
    );
    if off > 0.05 {
        if took > expected && load_average().is_some_and(|l| l > 2.0) {
            inconclusive(&format!(
                "transfer took {took:?} on a machine at load {:?}",
                load_average()
            ));
        }
        panic!("transfer took {took:?}, not {expected:?} ± 5 %");
    }
    assert_eq!(proxy.stats().bytes_downstream, SIZE as u64);
}

/// `reset_all` resets 100 % of the requests in flight with a real RST,
/// resets new connections while on, and lets them through after.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reset_all_resets_every_request_in_flight() {
    const IN_FLIGHT: usize = 20;
    let (silent, received) = silent_server().await;
    let proxy = Proxy::start(silent).await.expect("proxy");
    let mut clients = Vec::new();
    for _ in 0..IN_FLIGHT {
        let mut c = connect(proxy.addr()).await;
        c.write_all(b"req").await.expect("request");
        clients.push(c);
    }
    // Every request reached the server: all are in flight.
    let deadline = Instant::now() + Duration::from_secs(5);
    while received.load(Ordering::SeqCst) < (3 * IN_FLIGHT) as u64 {
        assert!(Instant::now() < deadline, "requests did not arrive");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let reset = proxy.reset_all();
    reset.start();
    let mut resets = 0;
    for c in &mut clients {
        let mut buf = [0u8; 8];
        match timeout(Duration::from_secs(2), c.read(&mut buf)).await {
            Ok(Err(e)) if e.kind() == ErrorKind::ConnectionReset => resets += 1,
            other => println!("not a reset: {other:?}"),
        }
    }
    assert_eq!(resets, IN_FLIGHT, "every request in flight gets a reset");
    // New connections while on are reset too.
    assert!(refused(proxy.addr()).await, "a new connection got through");
    reset.stop();
    assert_eq!(proxy.stats().reset, IN_FLIGHT as u64 + 1);
    // After: a connection goes through (the server got its bytes).
    let before = received.load(Ordering::SeqCst);
    let mut after = connect(proxy.addr()).await;
    after.write_all(b"again").await.expect("write after");
    let deadline = Instant::now() + Duration::from_secs(5);
    while received.load(Ordering::SeqCst) < before + 5 {
        assert!(
            Instant::now() < deadline,
            "bytes after the reset did not arrive"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// A spike run through the proxy in front of the demo service: while
/// `reset_all` is on every request fails with the HTTP driver's transport
/// classes (`connect` for a connection reset as it opens, `protocol` for
/// one reset with the request on it), before and after none does.
#[spike_test(timeout = "90s")]
async fn spike_run_records_resets_while_on_and_recovers() {
    let demo = DemoService::builder().start().await.expect("demo");
    let proxy = Proxy::start(demo.addr()).await.expect("proxy");
    let http = Http::builder(format!("http://{}", proxy.addr()))
        .timeout(secs(2))
        .build()
        .expect("http");
    let chaos = Chaos::new().fault("resets", proxy.reset_all(), at(secs(1)), lasting(secs(1)));
    let shape = Shape::builder()
        .hold(rps(200), secs(3))
        .build()
        .expect("shape");
    let report = Scenario::new("chaos-reset-http")
        .shape(shape)
        .window(ms(250))
        .lag_budget(ms(100))
        .chaos(chaos)
        .run(http.get("/"))
        .await
        .expect("run");
    let (on, off) = fault_edges(&report, "resets");
    println!(
        "{report}\nfault on {on:?} .. {off:?}; errors {:?}",
        report.total.errors_by_class
    );
    for class in report.total.errors_by_class.keys() {
        assert!(
            class == "connect" || class == "protocol",
            "error class {class} is not a transport class"
        );
    }
    // A window wholly inside the fault (a 50 ms margin for the edge's own
    // lag): every request failed. Before or after (50 ms): none did.
    let margin = ms(50);
    let mut inside = 0;
    for w in &report.windows {
        if w.start >= on + margin && w.end + margin <= off {
            inside += 1;
            assert_eq!(
                w.stats.errors, w.stats.completed,
                "window at {:?}: not all failed",
                w.start
            );
            assert!(w.stats.completed > 0);
        } else if w.end + margin <= on || w.start >= off + margin {
            assert_eq!(
                w.stats.errors, 0,
                "window at {:?} has errors outside the fault",
                w.start
            );
        }
    }
    assert!(inside >= 2, "no window lies inside the fault");
    assert!(report.total.errors > 0);
    assert!(proxy.stats().reset > 0);
}

/// Faults switch on and off on a connection that is open (and has
/// already forwarded bytes without any fault).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_switch_on_and_off_on_an_open_connection() {
    const L: Duration = Duration::from_millis(30);
    let echo = echo_server().await;
    let proxy = Proxy::start(echo).await.expect("proxy");
    let mut open = connect(proxy.addr()).await;
    round_trip(&mut open).await;
    let slow = proxy.latency(Direction::Upstream, L).expect("latency");
    slow.start();
    let on = round_trip(&mut open).await;
    assert!(
        on >= L - Duration::from_micros(600),
        "a round trip with {L:?} added took {on:?}"
    );
    slow.stop();
    let off = round_trip(&mut open).await;
    assert!(off < L, "a round trip after the fault stopped took {off:?}");
}

/// `refuse` resets new connections and leaves open ones alone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refuse_resets_new_connections_only() {
    let echo = echo_server().await;
    let proxy = Proxy::start(echo).await.expect("proxy");
    let mut open = connect(proxy.addr()).await;
    round_trip(&mut open).await;
    let refuse = proxy.refuse();
    refuse.start();
    assert!(refused(proxy.addr()).await, "a new connection got through");
    round_trip(&mut open).await;
    refuse.stop();
    let mut later = connect(proxy.addr()).await;
    round_trip(&mut later).await;
    let stats = proxy.stats();
    assert_eq!((stats.accepted, stats.refused, stats.reset), (3, 1, 0));
}

/// `close_after(Downstream, 100)`: exactly 100 bytes of a 1000-byte answer
/// arrive, then the connection closes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn close_after_passes_exactly_n_bytes() {
    let blob = blob_server(1_000).await;
    let proxy = Proxy::start(blob).await.expect("proxy");
    let cut = proxy.close_after(Direction::Downstream, 100);
    cut.start();
    let mut client = connect(proxy.addr()).await;
    client.write_all(b"g").await.expect("ask");
    let mut got = Vec::new();
    let read = timeout(Duration::from_secs(5), client.read_to_end(&mut got)).await;
    assert!(read.is_ok(), "the connection was not closed");
    assert_eq!(got.len(), 100);
    assert!(got.iter().enumerate().all(|(i, b)| *b == (i % 251) as u8));
    assert_eq!(proxy.stats().closed_by_fault, 1);
    cut.stop();
    // Off: the whole answer.
    let mut client = connect(proxy.addr()).await;
    client.write_all(b"g").await.expect("ask");
    let mut all = vec![0u8; 1_000];
    client.read_exact(&mut all).await.expect("whole answer");
}

/// `slice(Downstream, 10, 40ms)`: 100 bytes come in several reads over at
/// least 9 × 40 ms, intact.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slice_cuts_writes_with_delays() {
    let blob = blob_server(100).await;
    let proxy = Proxy::start(blob).await.expect("proxy");
    let slices = proxy
        .slice(Direction::Downstream, 10, Duration::from_millis(40))
        .expect("slice");
    slices.start();
    let mut client = connect(proxy.addr()).await;
    let t0 = Instant::now();
    client.write_all(b"g").await.expect("ask");
    let mut got = Vec::new();
    let mut reads = 0;
    let mut buf = [0u8; 256];
    while got.len() < 100 {
        let n = client.read(&mut buf).await.expect("read");
        assert!(n > 0, "closed early");
        reads += 1;
        got.extend_from_slice(&buf[..n]);
    }
    let took = t0.elapsed();
    assert!(
        took >= Duration::from_millis(9 * 40),
        "100 bytes in 10-byte slices 40 ms apart came in {took:?}"
    );
    assert!(reads >= 5, "{reads} reads: the answer was not sliced");
    assert!(got.iter().enumerate().all(|(i, b)| *b == (i % 251) as u8));
}

/// `stall(Upstream)`: nothing reaches the target while on, everything
/// after.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stall_holds_bytes_until_it_stops() {
    let (silent, received) = silent_server().await;
    let proxy = Proxy::start(silent).await.expect("proxy");
    let stall = proxy.stall(Direction::Upstream);
    stall.start();
    let mut client = connect(proxy.addr()).await;
    client
        .write_all(b"held bytes")
        .await
        .expect("write accepted");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        received.load(Ordering::SeqCst),
        0,
        "bytes went through a stall"
    );
    // Switched off from another thread, as the engine's clock does.
    let off = stall.clone();
    std::thread::spawn(move || off.stop())
        .join()
        .expect("thread");
    let deadline = Instant::now() + Duration::from_secs(5);
    while received.load(Ordering::SeqCst) < 10 {
        assert!(Instant::now() < deadline, "held bytes were not forwarded");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(received.load(Ordering::SeqCst), 10);
}

/// `down`: open connections are reset, new ones refused; after it stops
/// connections work again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn down_resets_open_and_refuses_new() {
    let echo = echo_server().await;
    let proxy = Proxy::start(echo).await.expect("proxy");
    let mut open = connect(proxy.addr()).await;
    round_trip(&mut open).await;
    let down = proxy.down();
    down.start();
    assert!(
        read_fails(&mut open).await,
        "an open connection survived down"
    );
    assert!(
        refused(proxy.addr()).await,
        "a new connection got through down"
    );
    down.stop();
    let mut after = connect(proxy.addr()).await;
    round_trip(&mut after).await;
    let stats = proxy.stats();
    assert_eq!((stats.reset, stats.refused), (1, 1));
    assert_eq!(stats.open, 1);
}

/// Dropping the proxy closes its connections and its port.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_closes_everything() {
    let echo = echo_server().await;
    let proxy = Proxy::start(echo).await.expect("proxy");
    let addr = proxy.addr();
    let mut open = connect(addr).await;
    round_trip(&mut open).await;
    proxy.shutdown().await;
    assert!(
        read_fails(&mut open).await,
        "a connection outlived the proxy"
    );
    assert!(
        TcpStream::connect(addr).await.is_err(),
        "the port still accepts"
    );
}

/// Bad input is refused with a typed error naming it, before any traffic.
#[tokio::test]
async fn bad_input_is_a_typed_error() {
    let target: std::net::SocketAddr = "127.0.0.1:9".parse().unwrap();
    let outside = "192.0.2.1:80".parse().unwrap();
    let e = Proxy::builder(target)
        .listen("0.0.0.0:0".parse().unwrap())
        .start()
        .await
        .unwrap_err();
    assert!(matches!(e, ChaosError::ListenNotLoopback(_)), "{e}");
    assert!(e.to_string().contains("0.0.0.0"), "{e}");
    let e = Proxy::start(outside).await.unwrap_err();
    assert!(matches!(e, ChaosError::TargetNotLoopback(_)), "{e}");
    let e = Proxy::start("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap_err();
    assert!(matches!(e, ChaosError::TargetPortZero(_)), "{e}");
    let proxy = Proxy::start(target).await.expect("proxy");
    let taken = proxy.addr();
    let e = Proxy::builder(target)
        .listen(taken)
        .start()
        .await
        .unwrap_err();
    assert!(matches!(e, ChaosError::Bind { .. }), "{e}");
    assert!(matches!(
        proxy.bandwidth(Direction::Both, 0),
        Err(ChaosError::ZeroBandwidth)
    ));
    assert!(matches!(
        proxy.slice(Direction::Both, 0, ms(1)),
        Err(ChaosError::ZeroSliceSize)
    ));
    let e = proxy
        .latency(Direction::Both, ms(5))
        .unwrap()
        .jitter(ms(6))
        .unwrap_err();
    assert!(
        e.to_string().contains("6ms") && e.to_string().contains("5ms"),
        "{e}"
    );
    let e = proxy
        .latency(Direction::Both, MAX_DELAY + ms(1))
        .unwrap_err();
    assert!(
        matches!(
            e,
            ChaosError::DurationTooLong {
                what: "latency",
                ..
            }
        ),
        "{e}"
    );
    let d = proxy.reset_all().describe();
    assert_eq!(d, "reset every connection to 127.0.0.1:9");
}

mod no_panic {
    use super::*;
    use proptest::prelude::*;

    fn dir() -> impl Strategy<Value = Direction> {
        prop_oneof![
            Just(Direction::Upstream),
            Just(Direction::Downstream),
            Just(Direction::Both)
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

        /// Any fault parameters: a fault or a typed error, never a panic;
        /// all of them on at once (small enough to finish), an echo still
        /// answers intact.
        #[test]
        fn any_fault_parameters(
            dir in dir(),
            latency_us in 0u64..u64::MAX,
            jitter_us in 0u64..u64::MAX,
            bytes_per_sec in 0u64..u64::MAX,
            slice in 0usize..usize::MAX,
            slice_delay_us in 0u64..u64::MAX,
            close_after in 0u64..u64::MAX,
            seed in any::<u64>(),
        ) {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            rt.block_on(async {
                let echo = echo_server().await;
                let proxy = Proxy::start(echo).await.expect("proxy");
                let mut faults = Vec::new();
                if let Ok(f) = proxy.latency(dir, Duration::from_micros(latency_us)) {
                    if let Ok(f) = f.jitter(Duration::from_micros(jitter_us)) {
                        faults.push(f.seed(seed));
                    }
                }
                if let Ok(f) = proxy.bandwidth(dir, bytes_per_sec) { faults.push(f); }
                if let Ok(f) = proxy.slice(dir, slice, Duration::from_micros(slice_delay_us)) { faults.push(f); }
                faults.push(proxy.close_after(dir, close_after));
                faults.push(proxy.stall(dir));
                for f in &faults {
                    f.start();
                    prop_assert!(!f.describe().is_empty());
                    f.start();
                    f.stop();
                }
                // Small values on at once: the round trip still completes.
                let small = [
                    proxy.latency(dir, Duration::from_micros(latency_us % 2_000)).unwrap(),
                    proxy.bandwidth(dir, bytes_per_sec.max(64 * 1024)).unwrap(),
                    proxy.slice(dir, slice.max(1), Duration::from_micros(slice_delay_us % 1_000)).unwrap(),
                ];
                for f in &small { f.start(); }
                let mut c = connect(proxy.addr()).await;
                let took = timeout(Duration::from_secs(5), round_trip(&mut c)).await;
                prop_assert!(took.is_ok());
                Ok(())
            })?;
        }
    }
}
