//! One proxied connection: refuse or reset it, or forward both ways until
//! both sides close, a fault resets or closes it, or the proxy stops.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use tokio::net::TcpStream;

use super::fault::Direction;
use super::pump::{pump, End};
use super::state::{refusing, resetting, Counters, Shared};

/// Counts a connection as open while it lives (aborted tasks included).
struct Open<'a>(&'a Counters);

impl<'a> Open<'a> {
    fn new(counters: &'a Counters) -> Self {
        counters.open.fetch_add(1, Ordering::SeqCst);
        Open(counters)
    }
}

impl Drop for Open<'_> {
    fn drop(&mut self) {
        self.0.open.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Close with a TCP RST (SO_LINGER 0) instead of a FIN.
fn reset(stream: TcpStream) {
    // If SO_LINGER cannot be set, the socket still closes (with a FIN).
    let _ = stream.set_zero_linger();
    drop(stream);
}

/// Serve one accepted connection.
pub(crate) async fn serve(client: TcpStream, shared: Arc<Shared>) {
    let counters = &shared.counters;
    let _open = Open::new(counters);
    let active = shared.active();
    if refusing(&active) {
        counters.refused.fetch_add(1, Ordering::SeqCst);
        reset(client);
        return;
    }
    if resetting(&active) {
        counters.reset.fetch_add(1, Ordering::SeqCst);
        reset(client);
        return;
    }
    let Ok(mut upstream) = TcpStream::connect(shared.target).await else {
        counters.upstream_failed.fetch_add(1, Ordering::SeqCst);
        reset(client);
        return;
    };
    let mut client = client;
    let _ = client.set_nodelay(true);
    let _ = upstream.set_nodelay(true);
    let mut ctl = shared.subscribe();
    let outcome = {
        let (client_read, client_write) = client.split();
        let (target_read, target_write) = upstream.split();
        let up = pump(client_read, target_write, Direction::Upstream, &shared);
        let down = pump(target_read, client_write, Direction::Downstream, &shared);
        let resets = async {
            loop {
                if resetting(&ctl.borrow_and_update()) {
                    return;
                }
                if ctl.changed().await.is_err() {
                    std::future::pending::<()>().await;
                }
            }
        };
        tokio::select! {
            () = resets => None,
            end = both(up, down) => Some(end),
        }
    };
    match outcome {
        None => {
            counters.reset.fetch_add(1, Ordering::SeqCst);
            reset(client);
            reset(upstream);
        }
        Some(End::Cut) => {
            counters.closed_by_fault.fetch_add(1, Ordering::SeqCst);
        }
        Some(End::Failed) => {
            // One side broke: the other learns it the same way.
            reset(client);
            reset(upstream);
        }
        Some(End::Eof) => {}
    }
}

/// Both directions: done when both closed, or at once when one was cut or
/// failed.
async fn both(
    up: impl std::future::Future<Output = End>,
    down: impl std::future::Future<Output = End>,
) -> End {
    tokio::pin!(up, down);
    let (first, up_done) = tokio::select! {
        end = &mut up => (end, true),
        end = &mut down => (end, false),
    };
    match first {
        End::Eof if up_done => down.await,
        End::Eof => up.await,
        other => other,
    }
}
