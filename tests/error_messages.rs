//! `.unwrap()` on any of spike's error types prints the sentence that says
//! what was refused and why (its `Display`), not a list of fields. The
//! hosts are `0.0.0.0` / `[::]`: refused before any socket, and local anyway.
//! (`SpikeError` and `ShapeError` are pinned in
//! `spike-core/tests/shape_errors.rs`.)
#![cfg(all(
    feature = "http",
    feature = "ws",
    feature = "postgres",
    feature = "redis"
))]

use spike::http::Http;
use spike::postgres::PgPool;
use spike::redis::CacheAside;
use spike::ws::WsAvalanche;

/// `Debug` (what `.unwrap()` and `{:?}` print) is the `Display` sentence.
#[track_caller]
fn debug_is_the_sentence(err: &(impl std::fmt::Debug + std::fmt::Display), needle: &str) {
    let debug = format!("{err:?}");
    assert_eq!(debug, err.to_string());
    assert!(debug.contains(needle), "{debug}");
}

#[test]
fn driver_errors_unwrap_with_their_reason() {
    let http = Http::builder("http://0.0.0.0:8080").build().unwrap_err();
    debug_is_the_sentence(&http, "0.0.0.0");
    let ws = WsAvalanche::new("ws://[::]:9/").unwrap_err();
    debug_is_the_sentence(&ws, "::");
    let pg = PgPool::builder("postgres://u:hunter22@0.0.0.0:5432/db")
        .build()
        .unwrap_err();
    debug_is_the_sentence(&pg, "0.0.0.0");
    assert!(!format!("{pg:?}").contains("hunter22"));
    let redis = CacheAside::builder("redis://:hunter22@0.0.0.0:6379")
        .build()
        .unwrap_err();
    debug_is_the_sentence(&redis, "0.0.0.0");
    assert!(!format!("{redis:?}").contains("hunter22"));
}
