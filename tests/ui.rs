//! Compile-time behaviour of `#[spike_test]`: what it accepts
//! (`tests/ui/pass`) and every diagnostic it promises (`tests/ui/fail`, each
//! pinned by its `.stderr`). Regenerate with `TRYBUILD=overwrite` after a
//! deliberate change, and review the diff.

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.pass("tests/ui/pass/*.rs");
    cases.compile_fail("tests/ui/fail/*.rs");
}
