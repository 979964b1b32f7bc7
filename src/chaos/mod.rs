//! An in-process TCP fault proxy (feature `chaos`): put it on loopback in
//! front of a target (the service, Postgres, Redis, a downstream), point
//! the load or the service at [`Proxy::addr`], and switch faults on and off
//! while connections are open.
//!
//! | fault | what it does while on |
//! | --- | --- |
//! | [`latency`](Proxy::latency) (+ [`jitter`](ProxyFault::jitter)) | delays every chunk of a direction |
//! | [`bandwidth`](Proxy::bandwidth) | paces a direction to bytes per second, per connection |
//! | [`stall`](Proxy::stall) | holds every byte of a direction; forwards them when it stops |
//! | [`reset_all`](Proxy::reset_all) | resets (TCP RST) every open connection and every new one |
//! | [`refuse`](Proxy::refuse) | resets new connections at once; open ones live on |
//! | [`close_after`](Proxy::close_after) | closes a connection after N bytes of a direction |
//! | [`slice`](Proxy::slice) | cuts writes into small pieces with a delay between |
//! | [`down`](Proxy::down) | refuse + reset all open |
//!
//! Each fault is a [`ProxyFault`], a cheap handle implementing
//! [`Fault`](crate::faults::Fault): start and stop are instant, never
//! block, and can be called from any thread, so the engine's chaos plan
//! can switch it on the run's clock. Several faults can be on at once.
//! Directions: [`Direction::Upstream`] is client → target,
//! [`Direction::Downstream`] target → client.
//!
//! Load and faults stay on this machine: the proxy listens only on a
//! loopback address and forwards only to one.
//!
//! ```
//! use spike::chaos::{Direction, Proxy};
//! use spike::faults::Fault;
//! use spike::ms;
//! use spike::__private::tokio::io::{AsyncReadExt, AsyncWriteExt};
//! use spike::__private::tokio::net::{TcpListener, TcpStream};
//!
//! # spike::__private::tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap().block_on(async {
//! // A target that answers "pong" to anything.
//! let server = TcpListener::bind("127.0.0.1:0").await?;
//! let target = server.local_addr()?;
//! spike::__private::tokio::spawn(async move {
//!     while let Ok((mut s, _)) = server.accept().await {
//!         let mut buf = [0u8; 4];
//!         if s.read_exact(&mut buf).await.is_ok() {
//!             let _ = s.write_all(b"pong").await;
//!         }
//!     }
//! });
//!
//! let proxy = Proxy::start(target).await?;
//! let slow = proxy.latency(Direction::Downstream, ms(30))?;
//! slow.start();
//! let t0 = std::time::Instant::now();
//! let mut client = TcpStream::connect(proxy.addr()).await?;
//! client.write_all(b"ping").await?;
//! let mut answer = [0u8; 4];
//! client.read_exact(&mut answer).await?;
//! assert_eq!(&answer, b"pong");
//! assert!(t0.elapsed() >= ms(30));
//! slow.stop();
//!
//! // While `down` is on, new connections are reset.
//! let down = proxy.down();
//! down.start();
//! let refused = match TcpStream::connect(proxy.addr()).await {
//!     Err(_) => true, // the reset came before the handshake was seen
//!     Ok(mut stream) => {
//!         let _ = stream.write_all(b"ping").await;
//!         let mut buf = [0u8; 4];
//!         stream.read_exact(&mut buf).await.is_err()
//!     }
//! };
//! assert!(refused);
//! down.stop();
//! proxy.shutdown().await;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! ```

use std::time::Duration;

mod conn;
mod error;
mod fault;
mod proxy;
mod pump;
mod state;

pub use error::ChaosError;
pub use fault::{Direction, ProxyFault};
pub use proxy::{Proxy, ProxyBuilder, ProxyStats};

/// The longest latency, jitter or slice delay a fault takes: one hour.
pub const MAX_DELAY: Duration = Duration::from_secs(3_600);
