//! The `#[spike_test]` attribute of [spike](https://docs.rs/spike-test) (package `spike-test`, library `spike`).
//!
//! Use it through the facade, `use spike::prelude::*;` or
//! `#[spike::spike_test]`: the generated code reaches tokio and the engine
//! only through `spike::__private`, so a crate using it depends on `spike`
//! alone. This crate only parses, validates and expands; the runtime side
//! lives in the facade.

use proc_macro::TokenStream;
use proc_macro2::TokenStream as TokenStream2;
use quote::{quote, quote_spanned, ToTokens};
use syn::parse::Parser;
use syn::spanned::Spanned;
use syn::{Attribute, Item, ItemFn, ReturnType};

mod args;
mod file;

use args::{Args, Flavor};

/// The reason a spike test is ignored when its crate's `spike` feature is off.
const IGNORE_HINT: &str = "spike test: run with `cargo test --features spike`";

/// Marks a spike test: an ordinary `cargo test` function, `async fn` or plain
/// `fn`, taking no parameters (with `file = ".."`, at most the run's report).
///
/// The generated `#[test]`:
/// - runs the body on a multi-thread tokio runtime built for load (one worker
///   per core unless `worker_threads` says otherwise), inside the test's
///   context, so every `Scenario::run` in it applies `SPIKE_SCALE` /
///   `SPIKE_TIME_SCALE`, writes `report.json` to `target/spike/<test name>/`
///   (`SPIKE_HOME` overrides the folder) and stops when the timeout fires;
/// - is ignored, with the hint "spike test: run with `cargo test --features
///   spike`", unless the crate that defines it has its `spike` feature on
///   (declare `spike = []` under `[features]`); a test that already carries
///   `#[ignore]` keeps its own;
/// - runs alone: it waits for the machine's run lock (in-process and a file
///   lock shared by every process, see `spike::run_lock`), so spike tests
///   in parallel test threads, other test binaries or `cargo nextest` never
///   load the machine together; the wait does not count against `timeout`;
/// - on failure, ends the panic message with the paths of the saved reports.
///
/// Arguments, all optional:
///
/// | argument | meaning |
/// |---|---|
/// | `worker_threads = 4` | runtime worker threads (multi-thread only) |
/// | `flavor = "multi_thread"` / `"current_thread"` | runtime flavor (default multi-thread) |
/// | `timeout = "90s"` | wall-clock limit, units `ms`, `s`, `m`: the runs are interrupted, the body gets a few seconds to finish with its partial report, then the test fails naming the timeout |
/// | `exclusive = false` | may overlap other `exclusive = false` spike tests (default `true`: the test waits until no other spike test runs on the machine, in this process or another; the wait is not part of the timeout) |
/// | `crate = "my_spike"` | path of the `spike` crate when it is renamed (default `::spike`) |
/// | `file = "spikes/login.toml"` | run this scenario file (path from the crate's root; a missing file is a compile error): the file's scenario runs with its HTTP requests, its SLO checks are verified, then the body runs; the function may take one parameter, `report: Report`, to assert more (needs the facade's `http` feature) |
///
/// ```ignore
/// use spike::prelude::*;
///
/// #[spike_test(worker_threads = 2, timeout = "90s")]
/// async fn checkout_survives_a_burst() {
///     // build a Shape, run a Scenario, assert on its Report
/// }
/// ```
///
/// (The example is compiled in the `spike` crate's documentation, where the
/// attribute is re-exported.)
#[proc_macro_attribute]
pub fn spike_test(args: TokenStream, item: TokenStream) -> TokenStream {
    expand(args.into(), item.into()).into()
}

fn expand(args: TokenStream2, item: TokenStream2) -> TokenStream2 {
    let mut parsed_args = Args::default();
    let parser = syn::meta::parser(|meta| parsed_args.parse_one(&meta));
    if let Err(e) = parser.parse2(args).and_then(|()| parsed_args.validate()) {
        return with_error(item, &e);
    }
    let func = match syn::parse2::<Item>(item.clone()) {
        Ok(Item::Fn(func)) => func,
        Ok(other) => return with_error(item, &not_a_function(&other)),
        // Not an item at all: the compiler reports the syntax error itself.
        Err(e) => return with_error(item, &e),
    };
    match check_fn(&func, parsed_args.file.is_some()) {
        Ok(()) => generate(&parsed_args, func),
        Err(e) => with_error(item, &e),
    }
}

/// The user's item unchanged (so the IDE keeps working on it) beside the
/// error.
fn with_error(item: TokenStream2, error: &syn::Error) -> TokenStream2 {
    let mut out = error.to_compile_error();
    out.extend(item);
    out
}

fn not_a_function(item: &Item) -> syn::Error {
    let (span, what) = match item {
        Item::Struct(i) => (i.struct_token.span(), "a struct"),
        Item::Enum(i) => (i.enum_token.span(), "an enum"),
        Item::Union(i) => (i.union_token.span(), "a union"),
        Item::Mod(i) => (i.mod_token.span(), "a module"),
        Item::Impl(i) => (i.impl_token.span(), "an impl block"),
        Item::Trait(i) => (i.trait_token.span(), "a trait"),
        Item::Const(i) => (i.const_token.span(), "a constant"),
        Item::Static(i) => (i.static_token.span(), "a static"),
        Item::Type(i) => (i.type_token.span(), "a type alias"),
        Item::Use(i) => (i.use_token.span(), "a `use` declaration"),
        other => (other.span(), "this item"),
    };
    syn::Error::new(
        span,
        format!("`#[spike_test]` goes on a function (`async fn` or `fn`), not on {what}"),
    )
}

/// Whether `attr` makes the function a test by itself.
fn is_test_attribute(attr: &Attribute) -> bool {
    attr.path()
        .segments
        .last()
        .is_some_and(|s| s.ident == "test" || s.ident == "spike_test")
}

fn check_fn(func: &ItemFn, runs_a_file: bool) -> syn::Result<()> {
    if let Some(attr) = func.attrs.iter().find(|a| is_test_attribute(a)) {
        let path = attr.path().to_token_stream().to_string().replace(' ', "");
        let message = if path.ends_with("spike_test") {
            format!("`#[{path}]` is applied twice: keep one")
        } else {
            format!("`#[spike_test]` already makes this function a test: remove `#[{path}]`")
        };
        return Err(syn::Error::new_spanned(attr, message));
    }
    if runs_a_file {
        return file::check_inputs(&func.sig.inputs);
    }
    if !func.sig.inputs.is_empty() {
        return Err(syn::Error::new_spanned(
            &func.sig.inputs,
            "a spike test takes no parameters: `cargo test` calls it with none \
             (with `file = \"..\"` it may take the run's report: `report: Report`)",
        ));
    }
    Ok(())
}

fn generate(args: &Args, func: ItemFn) -> TokenStream2 {
    let ItemFn {
        attrs,
        vis,
        mut sig,
        block,
    } = func;
    let krate = args
        .crate_path
        .as_ref()
        .map_or_else(|| quote!(::spike), ToTokens::to_token_stream);
    let name = sig.ident.to_string();
    let span = sig.ident.span();

    let mut settings = TokenStream2::new();
    if let Some((Flavor::CurrentThread, _)) = args.flavor {
        settings.extend(quote!(.current_thread()));
    }
    if let Some((n, _)) = args.worker_threads {
        settings.extend(quote!(.worker_threads(#n)));
    }
    if args.exclusive == Some(false) {
        settings.extend(quote!(.shared_run()));
    }
    if let Some((n, _)) = args.attempts {
        settings.extend(quote!(.attempts(#n)));
    }
    if let Some(timeout) = &args.timeout {
        let millis = timeout.millis;
        let label = &timeout.label;
        settings.extend(quote!(.timeout(::core::time::Duration::from_millis(#millis), #label)));
    }

    let output_hint = match &sig.output {
        ReturnType::Type(_, ty) if !matches!(**ty, syn::Type::ImplTrait(_)) => Some(ty.clone()),
        _ => None,
    };
    let run = if let Some(path) = &args.file {
        // A scenario file runs on the async path whatever the function's
        // form: the file's run comes first, then the body.
        sig.asyncness = None;
        let prelude = file::prelude(&krate, path, &mut sig.inputs);
        let turbofish = output_hint.map(|ty| quote!(::<#ty, _>));
        quote_spanned! {span=>
            .run_async_attempts #turbofish (|| async move { #prelude #block })
        }
    } else if sig.asyncness.take().is_some() {
        let turbofish = output_hint.map(|ty| quote!(::<#ty, _>));
        quote_spanned! {span=>
            .run_async_attempts #turbofish (|| async move #block)
        }
    } else {
        let arrow = output_hint.map(|ty| quote!(-> #ty));
        quote_spanned! {span=>
            .run_sync_attempts(move || #arrow #block)
        }
    };

    let has_ignore = attrs.iter().any(|a| a.path().is_ident("ignore"));
    let ignore = (!has_ignore).then(|| {
        quote! {
            #[cfg_attr(not(feature = "spike"), ignore = #IGNORE_HINT)]
        }
    });

    quote! {
        #[::core::prelude::v1::test]
        #ignore
        #(#attrs)*
        #vis #sig {
            #krate::__private::SpikeTest::new(
                #krate::__private::test_name(::core::module_path!(), #name),
            )
            #settings
            #run
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expand_str(args: &str, item: &str) -> String {
        expand(args.parse().unwrap(), item.parse().unwrap()).to_string()
    }

    #[track_caller]
    fn assert_has(out: &str, needle: &str) {
        assert!(out.contains(needle), "`{needle}` missing from:\n{out}");
    }

    #[test]
    fn an_async_fn_becomes_a_gated_test() {
        let out = expand_str("", "async fn burst() { body(); }");
        assert_has(&out, "# [:: core :: prelude :: v1 :: test]");
        assert_has(
            &out,
            "# [cfg_attr (not (feature = \"spike\") , ignore = \"spike test: run with `cargo test --features spike`\")]",
        );
        assert_has(&out, "fn burst ()");
        assert!(!out.contains("async fn"), "{out}");
        assert_has(&out, ":: spike :: __private :: SpikeTest :: new");
        assert_has(&out, ". run_async_attempts (|| async move { body () ; })");
    }

    #[test]
    fn arguments_become_settings() {
        let out = expand_str(
            "worker_threads = 3, timeout = \"2m\", crate = \"my_spike\"",
            "fn plain() -> Result<(), E> { Ok(()) }",
        );
        assert_has(&out, ". worker_threads (3usize)");
        assert_has(
            &out,
            ". timeout (:: core :: time :: Duration :: from_millis (120000u64) , \"2m\")",
        );
        assert_has(&out, "my_spike :: __private :: SpikeTest");
        assert!(!out.contains(":: spike ::"), "{out}");
        assert_has(
            &out,
            ". run_sync_attempts (move || -> Result < () , E > { Ok (()) })",
        );
        let current = expand_str("flavor = \"current_thread\"", "async fn f() {}");
        assert_has(&current, ". current_thread ()");
        assert!(!current.contains("shared_run"), "{current}");
        let shared = expand_str("exclusive = false", "async fn f() {}");
        assert_has(&shared, ". shared_run ()");
        let exclusive = expand_str("exclusive = true", "async fn f() {}");
        assert!(!exclusive.contains("shared_run"), "{exclusive}");
        let once = expand_str("attempts = 1", "async fn f() {}");
        assert_has(&once, ". attempts (1u32)");
        assert!(!current.contains(". attempts"), "{current}");
    }

    #[test]
    fn an_own_ignore_replaces_the_feature_gate() {
        let out = expand_str("", "#[ignore = \"slow\"] async fn f() {}");
        assert!(!out.contains("cfg_attr"), "{out}");
        assert_has(&out, "# [ignore = \"slow\"]");
    }

    #[test]
    fn a_file_runs_before_the_body_and_binds_the_report() {
        // CARGO_MANIFEST_DIR is this crate's folder, which holds Cargo.toml.
        let out = expand_str(
            "file = \"Cargo.toml\"",
            "async fn from_file(report: Report) { more(&report); }",
        );
        assert_has(&out, "fn from_file ()");
        assert_has(&out, ":: spike :: file :: SpikeFile :: load");
        assert_has(&out, "\"Cargo.toml\"");
        assert_has(&out, "__spike_file . verify (& __spike_report) ;");
        assert_has(
            &out,
            "let report : Report = __spike_report ; { more (& report) ; }",
        );
        let plain = expand_str("file = \"Cargo.toml\"", "fn no_body() {}");
        assert_has(&plain, ". run_async_attempts (|| async move {");
        assert!(!plain.contains("let report"), "{plain}");
    }

    #[test]
    fn file_mistakes_are_compile_errors() {
        let missing = expand_str("file = \"spikes/nope.toml\"", "async fn f() {}");
        assert_has(&missing, "no such file in this crate");
        let absolute = expand_str("file = \"/etc/hostname\"", "async fn f() {}");
        assert_has(&absolute, "relative to the crate's root");
        let two = expand_str(
            "file = \"Cargo.toml\"",
            "async fn f(report: Report, extra: u8) {}",
        );
        assert_has(&two, "takes at most one parameter");
        let without = expand_str("", "async fn f(report: Report) {}");
        assert_has(&without, "takes no parameters");
    }

    #[test]
    fn errors_keep_the_function() {
        let out = expand_str("flavour = \"x\"", "async fn kept() {}");
        assert_has(&out, "compile_error");
        assert_has(&out, "unknown `#[spike_test]` argument `flavour`");
        assert_has(&out, "async fn kept () { }");
    }
}
