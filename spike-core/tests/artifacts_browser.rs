//! `report.html` opens in headless Chromium: the DOM has every chart drawn,
//! no script error is logged, nothing is fetched, and a screenshot is taken
//! (kept under the spike artifact folder for review).
//!
//! Chromium comes from Debian's packages (`apt-get install chromium`;
//! `.ci/services.sh` installs it). Without it the test fails when `CI` is
//! set and is skipped, loudly, elsewhere. `SPIKE_CHROMIUM` names another
//! binary.

mod artifacts_support;
mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use spike_core::artifacts::write_all;

fn find_chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("SPIKE_CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH")?;
    for dir in std::env::split_paths(&path) {
        for name in ["chromium", "chromium-browser", "google-chrome"] {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return Some(candidate);
            }
        }
    }
    None
}

/// Run chromium headless with `extra` arguments on `page`; returns
/// (stdout, stderr). Killed after 90 s.
fn chromium(bin: &Path, profile: &Path, extra: &[String], page: &Path) -> (String, String) {
    let mut child = Command::new(bin)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--enable-logging=stderr",
            "--v=0",
            "--window-size=1400,2400",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(extra)
        .arg(format!("file://{}", page.display()))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("chromium starts");
    let deadline = Instant::now() + Duration::from_secs(90);
    let out_reader = {
        let mut out = child.stdout.take().expect("piped");
        std::thread::spawn(move || {
            let mut s = String::new();
            std::io::Read::read_to_string(&mut out, &mut s).ok();
            s
        })
    };
    let err_reader = {
        let mut err = child.stderr.take().expect("piped");
        std::thread::spawn(move || {
            let mut s = String::new();
            std::io::Read::read_to_string(&mut err, &mut s).ok();
            s
        })
    };
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            assert!(status.success(), "chromium exited with {status}");
            break;
        }
        if Instant::now() > deadline {
            child.kill().ok();
            child.wait().ok();
            panic!("chromium did not finish within 90 s");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    (
        out_reader.join().expect("reader"),
        err_reader.join().expect("reader"),
    )
}

/// Width and height from a PNG header.
fn png_size(bytes: &[u8]) -> (u32, u32) {
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "a PNG");
    let be = |i: usize| u32::from_be_bytes(bytes[i..i + 4].try_into().expect("4 bytes"));
    (be(16), be(20))
}

#[test]
fn report_html_renders_in_headless_chromium() {
    let Some(bin) = find_chromium() else {
        let msg = "chromium not found (install Debian's `chromium` package, or set SPIKE_CHROMIUM): the report.html browser test cannot run";
        if spike_core::notice::is_ci() {
            panic!("{msg}");
        }
        // The raw stderr handle, past the harness's capture, so the skip
        // shows in every log.
        spike_core::notice::notice(&format!("*** SKIPPED: {msg} ***"));
        return;
    };
    // Every 5th burst request fails.
    let report = artifacts_support::spiky_report("browser-test", |ctx| {
        ctx.phase() == "burst" && ctx.iteration() % 5 == 2
    });
    let root = spike_core::spike_home().join("browser-test");
    let _ = std::fs::remove_dir_all(&root);
    let paths = write_all(&report, &root).expect("artifacts written");
    let page = std::fs::canonicalize(&paths.report_html).expect("absolute path");

    // 1. The DOM after load: every chart is there with its drawing.
    let (dom, log) = chromium(
        &bin,
        &root.join("profile-dom"),
        &["--dump-dom".to_owned()],
        &page,
    );
    assert!(
        dom.contains("<title>spike report: browser-test</title>"),
        "{dom:.400}"
    );
    for id in [
        "chart-rate",
        "chart-latency",
        "chart-errors",
        "chart-distribution",
    ] {
        let at = dom
            .find(&format!("<svg id=\"{id}\""))
            .unwrap_or_else(|| panic!("{id} in the DOM"));
        let svg = &dom[at..at + dom[at..].find("</svg>").expect("closed")];
        assert!(
            svg.contains("<path") || svg.contains("class=\"bar\""),
            "{id} has something drawn"
        );
    }
    assert!(dom.contains("recovered") || dom.contains("did not recover"));
    assert!(dom.contains("<table id=\"phases\">"));
    assert!(dom.contains("<table id=\"environment\">"));
    for bad in ["Uncaught", "Failed to load resource", "net::ERR_"] {
        assert!(!log.contains(bad), "chromium logged `{bad}`:\n{log}");
    }

    // 2. A screenshot of the whole page, kept for review.
    let shot = root.join("report.png");
    chromium(
        &bin,
        &root.join("profile-shot"),
        &[format!("--screenshot={}", shot.display())],
        &page,
    );
    let png = std::fs::read(&shot).expect("screenshot written");
    assert_eq!(png_size(&png), (1400, 2400));
    // A blank page compresses to a few kB; the charts make it far larger.
    assert!(png.len() > 60_000, "screenshot is {} bytes", png.len());
    eprintln!("screenshot: {}", shot.display());
}
