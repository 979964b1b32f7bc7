//! The HTTP side of the demo service: accept loop, routes, autoscaler.

use std::convert::Infallible;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioExecutor, TokioIo};

use super::breaker::{Change, Decision};
use super::{Autoscale, DemoEventKind, State};

type Resp = Response<Full<Bytes>>;

pub(super) async fn accept_loop(
    listener: tokio::net::TcpListener,
    state: Arc<State>,
    tls: Option<super::Acceptor>,
) {
    // Connection tasks live in the set: aborting this task drops the set,
    // which aborts every connection.
    let mut conns = tokio::task::JoinSet::new();
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            // Out of file descriptors or similar: back off, keep serving.
            tokio::time::sleep(Duration::from_millis(5)).await;
            continue;
        };
        while conns.try_join_next().is_some() {}
        state.connections.fetch_add(1, Ordering::Relaxed);
        let _ = stream.set_nodelay(true);
        let state = state.clone();
        #[cfg(feature = "tls")]
        if let Some(acceptor) = tls.clone() {
            conns.spawn(async move {
                // A client that fails the handshake gets nothing more.
                if let Ok(stream) = acceptor.accept(stream).await {
                    serve(stream, state).await;
                }
            });
            continue;
        }
        #[cfg(not(feature = "tls"))]
        let _: &Option<super::Acceptor> = &tls;
        conns.spawn(serve(stream, state));
    }
}

/// Serve one connection (HTTP/1.1 or HTTP/2) until the client closes it.
async fn serve<S>(stream: S, state: Arc<State>)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let service = hyper::service::service_fn(move |req| {
        let state = state.clone();
        async move { Ok::<_, Infallible>(route(&state, req).await) }
    });
    let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
        .serve_connection(TokioIo::new(stream), service)
        .await;
}

fn text(status: StatusCode, body: &'static str) -> Resp {
    let mut r = Response::new(Full::new(Bytes::from_static(body.as_bytes())));
    *r.status_mut() = status;
    r
}

fn with_header(mut r: Resp, name: &'static str, value: &str) -> Resp {
    if let Ok(v) = hyper::header::HeaderValue::from_str(value) {
        r.headers_mut().insert(name, v);
    }
    r
}

async fn route(state: &State, req: Request<Incoming>) -> Resp {
    state.requests.fetch_add(1, Ordering::Relaxed);
    state.leak.on_request();
    if req.version() == hyper::Version::HTTP_2 {
        state.http2_requests.fetch_add(1, Ordering::Relaxed);
    }
    match (req.method(), req.uri().path()) {
        (&Method::GET, "/" | "/work") => balanced(state, None).await,
        (&Method::POST, "/login") => {
            let body = match req.into_body().collect().await {
                Ok(b) => b.to_bytes(),
                Err(_) => return text(StatusCode::BAD_REQUEST, "unreadable body\n"),
            };
            balanced(state, Some(body)).await
        }
        (&Method::GET, "/checkout") => checkout(state).await,
        (&Method::GET, "/health") => {
            if state.gates.iter().any(super::gate::Gate::is_full) {
                text(StatusCode::SERVICE_UNAVAILABLE, "shedding\n")
            } else {
                text(StatusCode::OK, "ok\n")
            }
        }
        _ => text(StatusCode::NOT_FOUND, "not found\n"),
    }
}

/// A request through the balancer and a backend's capacity; `login` holds
/// the body of a `/login`.
async fn balanced(state: &State, login: Option<Bytes>) -> Resp {
    let arrived = tokio::time::Instant::now();
    let n = state.next_backend.fetch_add(1, Ordering::Relaxed);
    let k = (n % state.gates.len() as u64) as usize;
    let backend = format!("b{}", k + 1);
    let gate = &state.gates[k];
    let Some(permit) = gate.admit().await else {
        let r = text(
            StatusCode::SERVICE_UNAVAILABLE,
            "overloaded: request shed\n",
        );
        return with_header(with_header(r, "x-backend", &backend), "x-shed", "1");
    };
    gate.serve(arrived, state.work).await;
    drop(permit);
    gate.done();
    let r = match login {
        None => text(StatusCode::OK, "ok\n"),
        Some(body) => login_answer(state, &body, &backend),
    };
    with_header(r, "x-backend", &backend)
}

fn login_answer(state: &State, body: &[u8], backend: &str) -> Resp {
    let user = serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v.get("user").and_then(|u| u.as_str()).map(str::to_owned));
    let Some(user) = user else {
        return text(
            StatusCode::BAD_REQUEST,
            "expected JSON {\"user\": \"<name>\"}\n",
        );
    };
    let n = {
        let mut users = state
            .users
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        users.insert(user.clone());
        users.len()
    };
    let answer = serde_json::json!({
        "user": user,
        "token": format!("t-{n}-{}", state.started.elapsed().as_micros()),
        "backend": backend,
    });
    let mut r = Response::new(Full::new(Bytes::from(answer.to_string())));
    r.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json"),
    );
    r
}

async fn downstream_call(state: &State) -> bool {
    if state.downstream_down.load(Ordering::SeqCst) {
        return false;
    }
    let before = state.downstream_in_flight.fetch_add(1, Ordering::SeqCst);
    let ok = if before >= state.downstream_capacity {
        false
    } else {
        let slow_us = state.downstream_slow_us.load(Ordering::SeqCst);
        let latency = if slow_us == 0 {
            state.downstream_latency
        } else {
            Duration::from_micros(slow_us)
        };
        tokio::time::sleep(latency).await;
        true
    };
    state.downstream_in_flight.fetch_sub(1, Ordering::SeqCst);
    ok
}

fn record_change(state: &State, change: Option<Change>) {
    if let Some(c) = change {
        state.event(match c {
            Change::Opened => DemoEventKind::BreakerOpened,
            Change::HalfOpen => DemoEventKind::BreakerHalfOpen,
            Change::Closed => DemoEventKind::BreakerClosed,
        });
    }
}

async fn checkout(state: &State) -> Resp {
    let (decision, change) = state.breaker.before(Instant::now());
    record_change(state, change);
    if decision == Decision::Fallback {
        state.fallbacks.fetch_add(1, Ordering::Relaxed);
        return with_header(
            text(StatusCode::OK, "fallback: cached checkout\n"),
            "x-path",
            "fallback",
        );
    }
    let ok = downstream_call(state).await;
    let counter = if ok {
        &state.downstream_ok
    } else {
        &state.downstream_failed
    };
    counter.fetch_add(1, Ordering::Relaxed);
    record_change(state, state.breaker.after(decision, ok, Instant::now()));
    let r = if ok {
        text(StatusCode::OK, "checkout ok\n")
    } else {
        text(StatusCode::BAD_GATEWAY, "downstream failed\n")
    };
    with_header(r, "x-path", "downstream")
}

pub(super) async fn autoscaler(state: Arc<State>, cfg: Autoscale) {
    const SAMPLE: Duration = Duration::from_millis(50);
    let mut tick = tokio::time::interval(SAMPLE);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut saturated_since: Option<Instant> = None;
    let mut steps = 0;
    while steps < cfg.max_steps {
        tick.tick().await;
        let now = Instant::now();
        if !state.gates.iter().any(super::gate::Gate::is_saturated) {
            saturated_since = None;
            continue;
        }
        let since = *saturated_since.get_or_insert(now);
        if now.duration_since(since) < cfg.after {
            continue;
        }
        state.event(DemoEventKind::ScaleUpStarted);
        tokio::time::sleep(cfg.cold_start).await;
        let mut capacity = 0;
        for g in &state.gates {
            capacity = g.add_slots(cfg.add);
        }
        state.event(DemoEventKind::ScaleUpDone { capacity });
        steps += 1;
        saturated_since = None;
    }
}
