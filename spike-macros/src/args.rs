//! The arguments of `#[spike_test(..)]`, parsed with `syn::meta::parser`.

use proc_macro2::Span;
use syn::meta::ParseNestedMeta;
use syn::{Expr, ExprLit, Lit, LitStr, Path};

/// The keys `#[spike_test]` accepts, as listed in error messages.
const VALID_KEYS: &str =
    "`worker_threads`, `timeout`, `attempts`, `flavor`, `exclusive`, `crate`, `file`";

/// Runtime flavor asked for with `flavor = ".."`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flavor {
    MultiThread,
    CurrentThread,
}

/// A `timeout = ".."` value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Timeout {
    /// The limit in milliseconds.
    pub(crate) millis: u64,
    /// The limit as messages show it, e.g. `90s`.
    pub(crate) label: String,
}

/// Everything `#[spike_test(..)]` was given.
#[derive(Default)]
pub(crate) struct Args {
    pub(crate) worker_threads: Option<(usize, Span)>,
    pub(crate) timeout: Option<Timeout>,
    /// `attempts = N`: how many times an inconclusive failure may run.
    pub(crate) attempts: Option<(u32, Span)>,
    pub(crate) flavor: Option<(Flavor, Span)>,
    /// `exclusive = false`: take the run lock shared.
    pub(crate) exclusive: Option<bool>,
    pub(crate) crate_path: Option<Path>,
    /// `file = "spikes/login.toml"`: the scenario file the test runs,
    /// relative to the crate's root (`CARGO_MANIFEST_DIR`).
    pub(crate) file: Option<LitStr>,
}

impl Args {
    /// Parse one `key = value` argument.
    pub(crate) fn parse_one(&mut self, meta: &ParseNestedMeta<'_>) -> syn::Result<()> {
        let path = &meta.path;
        if path.is_ident("worker_threads") {
            let what = "a number of threads, like `4`";
            let lit = take_value(meta, self.worker_threads.is_some(), "worker_threads", what)?;
            let Lit::Int(int) = &lit else {
                return Err(expected(&lit, "worker_threads", what));
            };
            let n: usize = int.base10_parse()?;
            if n == 0 {
                return Err(syn::Error::new(
                    int.span(),
                    "`worker_threads` must be at least 1",
                ));
            }
            self.worker_threads = Some((n, int.span()));
        } else if path.is_ident("attempts") {
            let what = "a number of attempts, like `3`";
            let lit = take_value(meta, self.attempts.is_some(), "attempts", what)?;
            let Lit::Int(int) = &lit else {
                return Err(expected(&lit, "attempts", what));
            };
            let n: u32 = int.base10_parse()?;
            if n == 0 {
                return Err(syn::Error::new(
                    int.span(),
                    "`attempts` must be at least 1 (1 runs the body once, never again)",
                ));
            }
            self.attempts = Some((n, int.span()));
        } else if path.is_ident("timeout") {
            let what = "a duration string, like `\"90s\"`";
            let lit = take_value(meta, self.timeout.is_some(), "timeout", what)?;
            let Lit::Str(text) = &lit else {
                return Err(expected(&lit, "timeout", what));
            };
            self.timeout = Some(parse_timeout(text)?);
        } else if path.is_ident("flavor") {
            let what = "`\"multi_thread\"` or `\"current_thread\"`";
            let lit = take_value(meta, self.flavor.is_some(), "flavor", what)?;
            let flavor = match &lit {
                Lit::Str(s) if s.value() == "multi_thread" => Flavor::MultiThread,
                Lit::Str(s) if s.value() == "current_thread" => Flavor::CurrentThread,
                Lit::Str(s) => {
                    return Err(syn::Error::new(
                        s.span(),
                        format!("unknown runtime flavor `{}`; expected {what}", s.value()),
                    ))
                }
                other => return Err(expected(other, "flavor", what)),
            };
            self.flavor = Some((flavor, lit.span()));
        } else if path.is_ident("exclusive") {
            let what = "`true` (the default: no other spike test runs meanwhile) or `false`";
            let lit = take_value(meta, self.exclusive.is_some(), "exclusive", what)?;
            let Lit::Bool(flag) = &lit else {
                return Err(expected(&lit, "exclusive", what));
            };
            self.exclusive = Some(flag.value);
        } else if path.is_ident("file") {
            let what = "a scenario file's path from the crate's root, like `\"spikes/login.toml\"`";
            let lit = take_value(meta, self.file.is_some(), "file", what)?;
            let Lit::Str(text) = &lit else {
                return Err(expected(&lit, "file", what));
            };
            check_file(text)?;
            self.file = Some(text.clone());
        } else if path.is_ident("crate") {
            let what = "a path string, like `\"my_spike\"`";
            let lit = take_value(meta, self.crate_path.is_some(), "crate", what)?;
            let Lit::Str(text) = &lit else {
                return Err(expected(&lit, "crate", what));
            };
            let parsed = text.parse::<Path>().map_err(|_| {
                syn::Error::new(
                    text.span(),
                    format!("`crate` expects {what}; `{}` is not a path", text.value()),
                )
            })?;
            self.crate_path = Some(parsed);
        } else {
            let key = path
                .segments
                .iter()
                .map(|s| s.ident.to_string())
                .collect::<Vec<_>>()
                .join("::");
            return Err(meta.error(format!(
                "unknown `#[spike_test]` argument `{key}`; expected one of {VALID_KEYS}"
            )));
        }
        Ok(())
    }

    /// Checks across arguments, once all are parsed.
    pub(crate) fn validate(&self) -> syn::Result<()> {
        if let (Some((_, span)), Some((Flavor::CurrentThread, _))) =
            (self.worker_threads, self.flavor)
        {
            return Err(syn::Error::new(
                span,
                "`worker_threads` needs the multi-thread runtime: a `current_thread` runtime \
                 has no worker threads (remove one of the two arguments)",
            ));
        }
        Ok(())
    }
}

/// A `file = ".."` names a file that exists, relative to the crate's root,
/// so that a typo is a compile error on the literal, not a failing test.
fn check_file(text: &LitStr) -> syn::Result<()> {
    let value = text.value();
    let relative = std::path::Path::new(&value);
    if value.trim().is_empty() || relative.is_absolute() {
        return Err(syn::Error::new(
            text.span(),
            format!(
                "`file = \"{value}\"`: write the scenario file's path relative to the crate's root \
                 (the folder of its Cargo.toml), like `\"spikes/login.toml\"`"
            ),
        ));
    }
    // Cargo sets CARGO_MANIFEST_DIR for every crate it compiles; without it
    // (a build outside cargo) the test reports a missing file when it runs.
    let Some(root) = std::env::var_os("CARGO_MANIFEST_DIR") else {
        return Ok(());
    };
    let full = std::path::Path::new(&root).join(relative);
    if full.is_file() {
        Ok(())
    } else {
        Err(syn::Error::new(
            text.span(),
            format!(
                "`file = \"{value}\"`: no such file in this crate (looked for {})",
                full.display()
            ),
        ))
    }
}

/// The literal after `key =`, or an error spanned on the key (a duplicate,
/// no value) or on what stands after `=` (not a literal).
fn take_value(meta: &ParseNestedMeta<'_>, seen: bool, key: &str, what: &str) -> syn::Result<Lit> {
    if seen {
        return Err(meta.error(format!("duplicate `{key}` argument")));
    }
    if !meta.input.peek(syn::Token![=]) {
        return Err(meta.error(format!("`{key}` needs a value: `{key} = ..` with {what}")));
    }
    let expr: Expr = meta.value()?.parse()?;
    match expr {
        Expr::Lit(ExprLit { lit, .. }) => Ok(lit),
        other => Err(syn::Error::new_spanned(
            other,
            format!("`{key}` expects a literal (a macro cannot see constants): {what}"),
        )),
    }
}

fn expected(lit: &Lit, key: &str, what: &str) -> syn::Error {
    syn::Error::new(lit.span(), format!("`{key}` expects {what}"))
}

/// Parse `"90s"`, `"1500ms"` or `"2m"`.
fn parse_timeout(text: &LitStr) -> syn::Result<Timeout> {
    let value = text.value();
    let trimmed = value.trim();
    let split = trimmed
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(trimmed.len());
    let (number, unit) = trimmed.split_at(split);
    let unit = unit.trim();
    let hint = "write a whole number and a unit `ms`, `s` or `m`, like `\"90s\"`";
    if number.is_empty() {
        return Err(syn::Error::new(
            text.span(),
            format!("bad `timeout` value `\"{value}\"`: {hint}"),
        ));
    }
    let factor: u64 = match unit {
        "ms" => 1,
        "s" => 1_000,
        "m" => 60_000,
        "" => {
            return Err(syn::Error::new(
                text.span(),
                format!("`timeout = \"{value}\"` has no unit: {hint}"),
            ))
        }
        other => {
            return Err(syn::Error::new(
                text.span(),
                format!("unknown time unit `{other}` in `timeout = \"{value}\"`: {hint}"),
            ))
        }
    };
    let n: u64 = number.parse().map_err(|_| {
        syn::Error::new(text.span(), format!("`timeout = \"{value}\"` is too large"))
    })?;
    let millis = n.checked_mul(factor).ok_or_else(|| {
        syn::Error::new(text.span(), format!("`timeout = \"{value}\"` is too large"))
    })?;
    if millis == 0 {
        return Err(syn::Error::new(text.span(), "`timeout` must be above zero"));
    }
    Ok(Timeout {
        millis,
        label: format!("{n}{unit}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn timeout(s: &str) -> Result<Timeout, String> {
        parse_timeout(&LitStr::new(s, Span::call_site())).map_err(|e| e.to_string())
    }

    #[test]
    fn timeouts_in_every_unit() {
        let t = timeout("90s").unwrap();
        assert_eq!((t.millis, t.label.as_str()), (90_000, "90s"));
        assert_eq!(timeout("1500ms").unwrap().millis, 1_500);
        assert_eq!(timeout("2m").unwrap().millis, 120_000);
        let spaced = timeout(" 3 s ").unwrap();
        assert_eq!((spaced.millis, spaced.label.as_str()), (3_000, "3s"));
    }

    #[test]
    fn bad_timeouts_say_why() {
        assert!(timeout("90 parsecs")
            .unwrap_err()
            .starts_with("unknown time unit `parsecs`"));
        assert!(timeout("90").unwrap_err().contains("has no unit"));
        assert!(timeout("s").unwrap_err().starts_with("bad `timeout` value"));
        assert!(timeout("1.5s")
            .unwrap_err()
            .contains("unknown time unit `.5s`"));
        assert_eq!(timeout("0s").unwrap_err(), "`timeout` must be above zero");
        assert!(timeout("99999999999999999999s")
            .unwrap_err()
            .contains("too large"));
        assert!(timeout("999999999999999999m")
            .unwrap_err()
            .contains("too large"));
    }
}
