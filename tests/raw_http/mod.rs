//! A loopback HTTP/1.1 server whose answers the test writes by hand, for
//! tests that need a server misbehaving in a precise way (a redirect, a
//! body echoing the request's credentials). Shared by `safety_rails.rs`
//! and `secrets.rs`.
#![allow(dead_code, unreachable_pub)]

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Serve every request on 127.0.0.1 with `respond(head)`, where `head` is
/// the request line and headers; returns the port and the number of
/// connections accepted so far.
pub async fn raw_http_server(respond: fn(&str) -> String) -> (u16, Arc<AtomicU64>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let accepted = Arc::new(AtomicU64::new(0));
    let count = accepted.clone();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            count.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                let mut buf = vec![0u8; 8192];
                let mut len = 0;
                loop {
                    match sock.read(&mut buf[len..]).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => len += n,
                    }
                    let text = String::from_utf8_lossy(&buf[..len]).to_string();
                    if let Some(end) = text.find("\r\n\r\n") {
                        let _ = sock.write_all(respond(&text[..end]).as_bytes()).await;
                        buf.copy_within(end + 4..len, 0);
                        len -= end + 4;
                    }
                }
            });
        }
    });
    (port, accepted)
}

/// The path of a request head (`GET /a?b HTTP/1.1` → `/a?b`).
pub fn path_of(head: &str) -> &str {
    head.split(' ').nth(1).unwrap_or("/")
}
