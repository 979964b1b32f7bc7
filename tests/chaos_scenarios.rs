//! The chaos scenarios of issue 12 as spike tests, with real servers on
//! 127.0.0.1 behind the chaos proxy: Postgres cut for 3 s during a burst,
//! Redis down then back under a cache-aside workload, resets during a
//! WebSocket avalanche. Each fault is planned on the run's clock with
//! `Scenario::chaos`; its actual edges come from the report's fault
//! timeline and must lie within 1 ms of plan (plus the run's lag).
//!
//! What each asserts is known by construction: errors (or fallbacks) only
//! while the fault is on, give or take a window, and none once it is off.
//! Recovery is measured from the fault's actual end twice: by the test
//! itself on the signal the scenario is about (errors, the hit rate), and
//! by the engine (`expect(..).recovery_from(..)`), with the scenario's
//! recovery criteria.
#![cfg(all(
    feature = "chaos",
    any(feature = "postgres", feature = "redis", feature = "ws")
))]

mod chaos_common;
mod drivers_common;

use std::time::Duration;

use chaos_common::fault_edges;
use spike::chaos::Proxy;
use spike::faults::{at, lasting, Chaos};
use spike::prelude::*;
use spike::WindowStats;

/// The recovery time from the fault's end: from `off` to the start of the
/// first window after which every window is `healthy`; `None` if the run
/// ends unhealthy.
fn healthy_again_after(
    windows: &[WindowStats],
    off: Duration,
    healthy: impl Fn(&WindowStats) -> bool,
) -> Option<Duration> {
    let after: Vec<&WindowStats> = windows.iter().filter(|w| w.end > off).collect();
    let first_bad_from_end = after.iter().rposition(|w| !healthy(w));
    let first_good = match first_bad_from_end {
        None => after.first()?,
        Some(i) => after.get(i + 1)?,
    };
    Some(first_good.start.saturating_sub(off))
}

#[cfg(feature = "postgres")]
mod postgres {
    use super::*;
    use drivers_common::{pg_url, server_up};
    use spike::postgres::{PgError, PgPool};
    use std::net::{SocketAddr, ToSocketAddrs};

    /// An operation due in the last moments of the cut may start after it
    /// ended: late by the schedule's lag (under 100 ms even on a loaded
    /// machine) or queued for a pool connection (up to the 300 ms wait
    /// timeout), and then succeed. A window judged "inside" ends this much
    /// before the fault does.
    const PAST_THE_END: Duration = Duration::from_millis(400);

    /// `url` with its `host:port` swapped for `addr`, and the target it named.
    fn through(url: &str, addr: SocketAddr) -> (String, SocketAddr) {
        let (scheme, rest) = url.split_once("://").expect("a URL");
        let (creds, rest) = rest.rsplit_once('@').map_or(("", rest), |(c, r)| (c, r));
        let end = rest.find(['/', '?']).unwrap_or(rest.len());
        let authority = &rest[..end];
        let authority = if authority.contains(':') {
            authority.to_owned()
        } else {
            format!("{authority}:5432")
        };
        let target = authority
            .to_socket_addrs()
            .expect("resolve")
            .next()
            .expect("an address");
        let at = if creds.is_empty() {
            String::new()
        } else {
            format!("{creds}@")
        };
        (format!("{scheme}://{at}{addr}{}", &rest[end..]), target)
    }

    /// Postgres connection cut for 3 s during a burst: while the proxy is
    /// `down` every operation fails (pool or connection errors); before,
    /// none; within a second of its end the pool reconnects and none fails.
    #[spike_test(timeout = "90s")]
    async fn postgres_cut_for_three_seconds_during_a_burst_then_recovery() {
        if !server_up("PostgreSQL", &pg_url(), 5432) {
            return;
        }
        let (_, target) = through(&pg_url(), "127.0.0.1:1".parse().unwrap());
        let proxy = Proxy::start(target).await.expect("proxy");
        let (url, _) = through(&pg_url(), proxy.addr());
        let pg = PgPool::builder(url)
            .pool_size(8)
            .wait_timeout(ms(300))
            .connect_timeout(ms(500))
            .statement_timeout(secs(2))
            .build()
            .expect("pool settings");
        pg.warm_up().await.expect("open the pool's connections");
        let workload = pg.workload(|_ctx: Ctx, client| async move {
            client.batch_execute("SELECT 1").await?;
            Ok::<(), PgError>(())
        });
        let chaos = Chaos::new().fault("db-cut", proxy.down(), at(secs(3)), lasting(secs(3)));
        let shape = Shape::builder()
            .hold(rps(40), secs(2))
            .named("baseline")
            .burst(rps(150), secs(5))
            .recover(rps(40), secs(3))
            .build()
            .expect("shape");
        let report = Scenario::new("chaos-postgres-cut")
            .shape(shape)
            .window(ms(500))
            .iteration_timeout(secs(3))
            // Recovery judged on errors: reconnecting costs the first
            // operations a few ms, which is not a failure.
            .recovery_criteria(RecoveryCriteria {
                slack: ms(100),
                ..RecoveryCriteria::default()
            })
            .chaos(chaos)
            .run(workload)
            .await
            .expect("run");
        pg.close();
        let (on, off) = fault_edges(&report, "db-cut");
        println!(
            "{report}\nerrors {:?}; proxy {:?}",
            report.total.errors_by_class,
            proxy.stats()
        );
        let mut inside = 0;
        for w in &report.windows {
            if w.end <= on {
                assert_eq!(
                    w.stats.errors, 0,
                    "window at {:?}: errors before the cut",
                    w.start
                );
            } else if w.start >= on + ms(250) && w.end + PAST_THE_END <= off {
                inside += 1;
                assert!(w.stats.completed > 0);
                assert_eq!(
                    w.stats.errors,
                    w.stats.completed,
                    "window at {:?}: an operation got through the cut (errors {:?}, lag p99 {} µs, proxy {:?})",
                    w.start,
                    w.stats.errors_by_class,
                    w.stats.schedule_lag.p99_us,
                    proxy.stats()
                );
            }
        }
        assert!(inside >= 4, "{inside} windows inside the cut");
        let recovery = healthy_again_after(&report.windows, off, |w| w.stats.errors == 0)
            .expect("the pool never recovered");
        println!("recovered {recovery:?} after the cut ended");
        assert!(recovery <= secs(1), "recovery took {recovery:?}");
        assert!(proxy.stats().refused + proxy.stats().reset > 0);
        expect(&report)
            .recovery_from("db-cut")
            .within(secs(2))
            .verify();
    }
}

#[cfg(feature = "redis")]
mod redis {
    use super::*;
    use drivers_common::{redis_url, server_up, unique};
    use spike::redis::{counters, CacheAside, SlowSource, Source};

    const KEYS: u64 = 50;
    const FALLBACK: &str = "cache_fallback";
    /// A command sent while Redis is unreachable waits this long for the
    /// connection to come back before it fails.
    const COMMAND_TIMEOUT: Duration = Duration::from_millis(200);

    fn count(w: &WindowStats, name: &str) -> u64 {
        w.stats.counters.get(name).copied().unwrap_or(0)
    }

    /// Redis down then back: a cache-aside read falls back to the loader
    /// while the proxy is `down` (no hit, every read served by the
    /// loader), and the hit rate is back to 100 % within a second of the
    /// end (the keys are still in Redis; the client reconnects every
    /// 100 ms).
    #[spike_test(timeout = "90s")]
    async fn redis_down_then_back_falls_back_then_hit_rate_recovers() {
        if !server_up("Redis", &redis_url(), 6379) {
            return;
        }
        let target = "127.0.0.1:6379".parse().unwrap();
        let proxy = Proxy::start(target).await.expect("proxy");
        let origin = SlowSource::new(ms(2));
        let cache = CacheAside::builder(format!("redis://{}", proxy.addr()))
            .prefix(format!("{}:", unique("chaos")))
            .ttl(secs(120))
            .source(origin.clone())
            .connect_timeout(COMMAND_TIMEOUT)
            .command_timeout(COMMAND_TIMEOUT)
            .build()
            .expect("cache settings");
        let keys: Vec<String> = (0..KEYS).map(|k| format!("k{k}")).collect();
        assert_eq!(cache.warm(keys).await.expect("warm"), KEYS);
        let reads = cache.clone();
        let loader = origin.clone();
        let workload = move |ctx: Ctx| {
            let (cache, loader) = (reads.clone(), loader.clone());
            async move {
                let key = format!("k{}", ctx.iteration() % KEYS);
                if cache.get_or_load(&ctx, &key).await.is_err() {
                    ctx.count(FALLBACK, 1);
                    loader.load(key).await?;
                }
                Ok::<(), IterError>(())
            }
        };
        let chaos = Chaos::new().fault("redis-down", proxy.down(), at(secs(2)), lasting(secs(2)));
        let shape = Shape::builder()
            .hold(rps(100), secs(6))
            .named("steady")
            .build()
            .expect("shape");
        let report = Scenario::new("chaos-redis-down")
            .shape(shape)
            .window(ms(250))
            .iteration_timeout(secs(3))
            .chaos(chaos)
            .run(workload)
            .await
            .expect("run");
        let (on, off) = fault_edges(&report, "redis-down");
        println!(
            "{report}\ncounters {:?}; proxy {:?}",
            report.total.counters,
            proxy.stats()
        );
        for w in &report.windows {
            println!(
                "{:?}: {} done, {} hits, {} fallbacks",
                w.start,
                w.stats.completed,
                count(w, counters::HIT),
                count(w, FALLBACK)
            );
        }
        let _ = tokio::time::timeout(secs(5), cache.flush()).await;
        assert_eq!(report.total.errors, 0, "the fallback serves every read");
        let mut inside = 0;
        for w in &report.windows {
            if w.end <= on {
                assert_eq!(
                    count(w, counters::HIT),
                    w.stats.completed,
                    "window at {:?}: a miss before the fault",
                    w.start
                );
            } else if w.start >= on + ms(250) && w.end + COMMAND_TIMEOUT <= off {
                // (A read started less than the command timeout before the
                // end may be served once Redis is back.)
                inside += 1;
                assert_eq!(
                    count(w, counters::HIT),
                    0,
                    "window at {:?}: a hit while Redis was down",
                    w.start
                );
                assert_eq!(count(w, FALLBACK), w.stats.completed);
            }
        }
        assert!(inside >= 4, "{inside} windows inside the fault");
        let recovery = healthy_again_after(&report.windows, off, |w| {
            count(w, counters::HIT) == w.stats.completed && w.stats.completed > 0
        })
        .expect("the hit rate never recovered");
        println!("hit rate back to 100 % {recovery:?} after Redis came back");
        assert!(recovery <= secs(1), "recovery took {recovery:?}");
        // The engine's view: reads waited for Redis (up to the 200 ms
        // command timeout) while it was down, and are fast again after.
        expect(&report)
            .recovery_from("redis-down")
            .within(secs(1))
            .verify();
    }
}

#[cfg(feature = "ws")]
mod ws {
    use super::*;
    use spike::ws::{EchoServer, WsAvalanche};

    /// Resets during a WebSocket avalanche: every connection open when
    /// `reset_all` starts is dropped, every one tried while it is on fails,
    /// and every one after succeeds.
    #[spike_test(timeout = "90s")]
    async fn resets_during_a_websocket_avalanche() {
        let server = EchoServer::start(512).await.expect("echo server");
        let proxy = Proxy::start(server.addr()).await.expect("proxy");
        let hold = secs(1);
        let avalanche = WsAvalanche::new(format!("ws://{}/", proxy.addr()))
            .expect("loopback URL")
            .hold(hold)
            .message_every(ms(250))
            .message_timeout(secs(1))
            .connect_timeout(secs(1));
        let chaos =
            Chaos::new().fault("resets", proxy.reset_all(), at(ms(1_200)), lasting(ms(400)));
        let shape = Shape::builder()
            .hold(rps(20), ms(500))
            .named("baseline")
            .burst(rps(200), ms(1_500))
            .recover(rps(20), ms(1_500))
            .build()
            .expect("shape");
        let report = Scenario::new("chaos-ws-resets")
            .shape(shape)
            .window(ms(100))
            .iteration_timeout(secs(5))
            .lag_budget(ms(100))
            .chaos(chaos)
            .run(avalanche.clone())
            .await
            .expect("run");
        let (on, off) = fault_edges(&report, "resets");
        println!(
            "{report}\nerrors {:?}; proxy {:?}",
            report.total.errors_by_class,
            proxy.stats()
        );
        assert_eq!(avalanche.open_connections(), 0);
        // A connection lives from its start (+ handshake, well under 300 ms
        // within the lag budget) for `hold`.
        let handshake = ms(300);
        let (mut open_at_on, mut tried_while_on) = (0, 0);
        for w in &report.windows {
            let s = &w.stats;
            if w.end + hold + handshake <= on {
                assert_eq!(
                    s.errors, 0,
                    "window at {:?}: closed before the fault, yet failed",
                    w.start
                );
            } else if w.start + hold >= on + ms(50) && w.end + handshake <= on {
                open_at_on += 1;
                assert_eq!(
                    s.errors, s.completed,
                    "window at {:?}: a connection open at the reset survived",
                    w.start
                );
            } else if w.start >= on + ms(50) && w.end <= off {
                tried_while_on += 1;
                assert_eq!(
                    s.errors, s.completed,
                    "window at {:?}: a connection got through the resets",
                    w.start
                );
            } else if w.start >= off + ms(50) {
                assert_eq!(
                    s.errors, 0,
                    "window at {:?}: errors after the fault",
                    w.start
                );
            }
        }
        assert!(
            open_at_on >= 3 && tried_while_on >= 2,
            "{open_at_on} / {tried_while_on} windows judged"
        );
        let recovery =
            healthy_again_after(&report.windows, off, |w| w.stats.errors == 0).expect("recovered");
        println!("connections succeed again {recovery:?} after the resets stopped");
        // Connections tried before the edge fail: the window holding it
        // can fail, the next one (≤ 100 ms + the edge's lateness) cannot.
        assert!(recovery <= ms(200), "recovery took {recovery:?}");
        // The engine's view, on errors and latency (a connection's latency
        // includes its 1 s hold, so healthy is up to 1.25x the baseline's).
        expect(&report)
            .recovery_from("resets")
            .within(secs(1))
            .verify();
    }
}
