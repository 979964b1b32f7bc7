//! The README's example is this file's spike test, word for word: the
//! second test fails if the two drift apart.

use spike::demo::DemoService;
use spike::http::Http;
use spike::prelude::*;

#[spike_test(timeout = "60s")]
async fn login_survives_a_10x_burst() {
    let service = DemoService::builder().start().await.unwrap(); // your service, on 127.0.0.1
    let http = Http::builder(service.url()).build().unwrap();
    let shape = Shape::builder()
        .hold(rps(50), secs(3))
        .burst(rps(500), secs(2))
        .recover(rps(50), secs(4))
        .build()
        .unwrap();
    let login = http
        .post("/login")
        .body(r#"{"user":"u{iteration}"}"#)
        .expect_status(200);
    let report = Scenario::default().shape(shape).run(login).await.unwrap();
    expect(&report)
        .error_rate()
        .below(pct(1))
        .phase("burst")
        .p99()
        .below(ms(250))
        .recovery()
        .within(secs(3))
        .verify();
}

#[test]
fn the_readme_shows_this_test_word_for_word() {
    let readme = include_str!("../README.md");
    let this = include_str!("readme.rs");
    let block = readme
        .split("```rust\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("the README has a rust block");
    let test_start = this.find("use spike::demo").expect("imports");
    let test_end = this.find("#[test]").expect("this test");
    assert_eq!(
        block.trim(),
        this[test_start..test_end].trim(),
        "README.md's example and tests/readme.rs differ: keep them identical"
    );
}
