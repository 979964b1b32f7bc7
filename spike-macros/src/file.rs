//! `#[spike_test(file = "..")]`: the test runs a scenario file, verifies
//! the file's SLO checks, then hands the report to the body.

use proc_macro2::TokenStream as TokenStream2;
use quote::quote;
use syn::punctuated::Punctuated;
use syn::token::Comma;
use syn::{FnArg, LitStr};

/// A file-running test takes nothing, or one typed parameter that receives
/// the run's report (`report: Report`).
pub(crate) fn check_inputs(inputs: &Punctuated<FnArg, Comma>) -> syn::Result<()> {
    let mut params = inputs.iter();
    match (params.next(), params.next()) {
        (None, _) | (Some(FnArg::Typed(_)), None) => Ok(()),
        (Some(FnArg::Receiver(me)), _) => Err(syn::Error::new_spanned(
            me,
            "a spike test is a free function: it takes no `self`",
        )),
        (Some(_), Some(extra)) => Err(syn::Error::new_spanned(
            extra,
            "a spike test with `file = \"..\"` takes at most one parameter, the run's \
             report (`report: Report`)",
        )),
    }
}

/// The statements that load and run the file and verify its checks, and
/// bind the report to the function's parameter, if it has one. The
/// parameter is taken out of `inputs`: the generated `#[test]` takes none.
pub(crate) fn prelude(
    krate: &TokenStream2,
    path: &LitStr,
    inputs: &mut Punctuated<FnArg, Comma>,
) -> TokenStream2 {
    // `check_inputs` refused a receiver before expansion.
    let bind = std::mem::take(inputs)
        .into_iter()
        .find_map(|param| match param {
            FnArg::Typed(typed) => Some(typed),
            FnArg::Receiver(_) => None,
        })
        .map(|typed| {
            let (pat, ty) = (&typed.pat, &typed.ty);
            quote! { let #pat: #ty = __spike_report; }
        });
    quote! {
        let __spike_file = #krate::file::SpikeFile::load(::core::concat!(
            ::core::env!("CARGO_MANIFEST_DIR"),
            "/",
            #path
        ))
        .unwrap_or_else(|e| ::core::panic!("{}", e));
        let __spike_report = __spike_file
            .run()
            .await
            .unwrap_or_else(|e| ::core::panic!("{}", e));
        __spike_file.verify(&__spike_report);
        #bind
    }
}
