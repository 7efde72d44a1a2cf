//! Parsing and checking: the attribute's options and the function it is applied to.
//!
//! Nothing here stops at the first mistake: every problem becomes a `syn::Error` in
//! [`Errors`], and the parse still returns the best configuration and function it can,
//! so that the expansion exists and no follow-on error appears.

use super::Kind;
use proc_macro2::{Span, TokenStream, TokenTree};
use quote::ToTokens;
use syn::ext::IdentExt;
use syn::parse::{Parse, ParseStream, Parser};
use syn::punctuated::Punctuated;
use syn::{Attribute, Expr, ExprLit, FnArg, Ident, Lit, Signature, Token, Visibility};

/// The errors found so far; all are reported together.
#[derive(Default)]
pub(crate) struct Errors(Option<syn::Error>);

impl Errors {
    pub(crate) fn push(&mut self, e: syn::Error) {
        match &mut self.0 {
            Some(all) => all.combine(e),
            None => self.0 = Some(e),
        }
    }

    fn spanned(&mut self, tokens: impl ToTokens, msg: impl std::fmt::Display) {
        self.push(syn::Error::new_spanned(tokens, msg));
    }

    pub(crate) fn into_compile_errors(self) -> TokenStream {
        self.0
            .map(syn::Error::into_compile_error)
            .unwrap_or_default()
    }
}

/// Which event loop the function runs on.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Flavor {
    CurrentThread,
    MultiThread,
}

/// A duration option (`timeout = "250ms"`, `slow_poll = "50ms"`): the amount, its unit,
/// and the text the user wrote.
pub(crate) struct DurationSpec {
    pub(crate) amount: u64,
    pub(crate) unit: TimeUnit,
    pub(crate) text: String,
}

#[derive(Clone, Copy)]
pub(crate) enum TimeUnit {
    Millis,
    Secs,
}

/// The options of `#[async_main(...)]` / `#[async_test(...)]`, with their defaults.
pub(crate) struct Config {
    /// Path of the `asyncio` crate (`crate = "..."`, default `::asyncio`).
    pub(crate) krate: TokenStream,
    pub(crate) flavor: Flavor,
    pub(crate) worker_threads: Option<usize>,
    pub(crate) start_paused: bool,
    pub(crate) timeout: Option<DurationSpec>,
    /// `debug` / `debug = bool`: `None` leaves it to the `ASYNCIO_DEBUG` variable.
    pub(crate) debug: Option<bool>,
    pub(crate) slow_poll: Option<DurationSpec>,
}

/// Every option name, with the attributes that accept it.
const OPTIONS: &[(&str, &[Kind])] = &[
    ("flavor", &[Kind::Main, Kind::Test]),
    ("worker_threads", &[Kind::Main, Kind::Test]),
    ("start_paused", &[Kind::Test]),
    ("timeout", &[Kind::Test]),
    ("debug", &[Kind::Main, Kind::Test]),
    ("slow_poll", &[Kind::Main, Kind::Test]),
    ("crate", &[Kind::Main, Kind::Test]),
];

fn valid_options(kind: Kind) -> String {
    OPTIONS
        .iter()
        .filter(|(_, kinds)| kinds.contains(&kind))
        .map(|(name, _)| format!("`{name}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The valid option closest to a misspelt one, if it is close (edit distance ≤ 2).
fn did_you_mean(kind: Kind, name: &str) -> Option<&'static str> {
    OPTIONS
        .iter()
        .filter(|(_, kinds)| kinds.contains(&kind))
        .map(|(n, _)| (edit_distance(n, name), *n))
        .filter(|(d, _)| *d <= 2)
        .min()
        .map(|(_, n)| n)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

/// One `name`, `name = value` item of the attribute's arguments.
struct RawOption {
    name: Ident,
    value: Option<(Token![=], Expr)>,
}

impl RawOption {
    /// The whole option, `name = value`, as tokens (for an error that covers it).
    fn tokens(&self) -> TokenStream {
        let mut t = self.name.to_token_stream();
        if let Some((eq, v)) = &self.value {
            eq.to_tokens(&mut t);
            v.to_tokens(&mut t);
        }
        t
    }
}

impl Parse for RawOption {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let name = if input.peek(Ident::peek_any) {
            input.call(Ident::parse_any)?
        } else {
            return Err(input.error(
                "expected an option name, e.g. `flavor = \"multi_thread\"` or `crate = \"asyncio\"`",
            ));
        };
        let value = if input.peek(Token![=]) {
            Some((input.parse()?, input.parse()?))
        } else if input.is_empty() || input.peek(Token![,]) {
            None
        } else {
            return Err(input.error(format!(
                "expected `=`, `,` or the end of the options after `{name}`; \
                 options are written `name = value`"
            )));
        };
        Ok(RawOption { name, value })
    }
}

/// Parses the attribute's arguments. Options that are wrong are reported and left at
/// their default, so the function can still be expanded.
pub(crate) fn parse_config(kind: Kind, args: TokenStream, errors: &mut Errors) -> Config {
    let mut config = Config {
        krate: quote::quote!(::asyncio),
        flavor: Flavor::CurrentThread,
        worker_threads: None,
        start_paused: false,
        timeout: None,
        debug: None,
        slow_poll: None,
    };
    let options = match Punctuated::<RawOption, Token![,]>::parse_terminated.parse2(args) {
        Ok(options) => options,
        Err(e) => {
            errors.push(e);
            return config;
        }
    };

    let mut seen: Vec<String> = Vec::new();
    // The option tokens of `flavor` (if given explicitly), `worker_threads` and
    // `start_paused`, for the checks between options.
    let mut flavor_given = false;
    let mut worker_threads_tokens = None;
    let mut start_paused_tokens = None;

    for opt in &options {
        let name = opt.name.unraw().to_string();
        let Some((_, kinds)) = OPTIONS.iter().find(|(n, _)| *n == name) else {
            let hint = did_you_mean(kind, &name)
                .map(|s| format!(" (did you mean `{s}`?)"))
                .unwrap_or_default();
            errors.spanned(
                &opt.name,
                format!(
                    "unknown option `{name}` for `{}`{hint}; expected one of: {}",
                    kind.attr(),
                    valid_options(kind)
                ),
            );
            continue;
        };
        if !kinds.contains(&kind) {
            errors.spanned(
                &opt.name,
                format!(
                    "`{name}` is an option of `#[async_test]` only; `{}` accepts: {}",
                    kind.attr(),
                    valid_options(kind)
                ),
            );
            continue;
        }
        if seen.contains(&name) {
            errors.spanned(
                &opt.name,
                format!("duplicate option `{name}`: it may be given only once"),
            );
            continue;
        }
        seen.push(name.clone());

        let value = opt.value.as_ref().map(|(_, v)| v);
        match name.as_str() {
            "flavor" => {
                let Some(lit) = string_value(value) else {
                    errors.spanned(
                        opt.tokens(),
                        "`flavor` expects a string: `flavor = \"current_thread\"` (the \
                         default) or `flavor = \"multi_thread\"`",
                    );
                    continue;
                };
                match lit.value().as_str() {
                    "current_thread" => config.flavor = Flavor::CurrentThread,
                    "multi_thread" => config.flavor = Flavor::MultiThread,
                    other => {
                        errors.spanned(
                            lit,
                            format!(
                                "unknown flavor `{other}`; expected `\"current_thread\"` \
                                 (the default) or `\"multi_thread\"`"
                            ),
                        );
                        continue;
                    }
                }
                flavor_given = true;
            }
            "worker_threads" => {
                let Some(lit) = int_value(value) else {
                    errors.spanned(
                        opt.tokens(),
                        "`worker_threads` expects a whole number of threads, e.g. \
                         `worker_threads = 4`",
                    );
                    continue;
                };
                match lit.base10_parse::<usize>() {
                    Ok(0) => errors.spanned(
                        lit,
                        "`worker_threads` must be at least 1 (a multi-threaded loop \
                         needs a worker thread); omit it for one thread per core",
                    ),
                    Ok(n) => {
                        config.worker_threads = Some(n);
                        worker_threads_tokens = Some(opt.tokens());
                    }
                    Err(e) => errors.spanned(lit, format!("invalid `worker_threads`: {e}")),
                }
            }
            "start_paused" => match value {
                None => {
                    config.start_paused = true;
                    start_paused_tokens = Some(opt.tokens());
                }
                Some(v) => match bool_value(Some(v)) {
                    Some(b) => {
                        config.start_paused = b;
                        start_paused_tokens = Some(opt.tokens());
                    }
                    None => errors.spanned(
                        v,
                        "`start_paused` is a flag: write `start_paused` (or \
                         `start_paused = true` / `start_paused = false`)",
                    ),
                },
            },
            "timeout" | "slow_poll" => {
                let Some(lit) = string_value(value) else {
                    errors.spanned(
                        opt.tokens(),
                        format!("`{name}` expects {}", duration_forms(&name)),
                    );
                    continue;
                };
                match parse_duration(&name, &lit.value()) {
                    Ok(d) if name == "timeout" => config.timeout = Some(d),
                    Ok(d) => config.slow_poll = Some(d),
                    Err(msg) => errors.spanned(lit, msg),
                }
            }
            "debug" => match value {
                None => config.debug = Some(true),
                Some(v) => match bool_value(Some(v)) {
                    Some(b) => config.debug = Some(b),
                    None => errors.spanned(
                        v,
                        "`debug` is a flag: write `debug` (or `debug = true` / `debug = \
                         false`; without it, the `ASYNCIO_DEBUG` environment variable decides)",
                    ),
                },
            },
            "crate" => {
                let Some(lit) = string_value(value) else {
                    errors.spanned(
                        opt.tokens(),
                        "`crate` expects the path of the asyncio crate in a string, e.g. \
                         `crate = \"aio\"` for a dependency renamed to `aio`",
                    );
                    continue;
                };
                match lit.parse::<syn::Path>() {
                    Ok(path) => config.krate = path.into_token_stream(),
                    Err(_) => errors.spanned(
                        lit,
                        format!(
                            "`crate` expects a path, e.g. `crate = \"aio\"`; `{}` is not a path",
                            lit.value()
                        ),
                    ),
                }
            }
            _ => unreachable!("option {name} is listed in OPTIONS but not handled"),
        }
    }

    if config.flavor != Flavor::MultiThread {
        if let Some(tokens) = worker_threads_tokens {
            let msg = if flavor_given {
                "`worker_threads` cannot be used with `flavor = \"current_thread\"`, which \
                 runs everything on one thread; write `flavor = \"multi_thread\"`"
            } else {
                "`worker_threads` needs `flavor = \"multi_thread\"`: the default \
                 `current_thread` loop runs everything on one thread"
            };
            errors.spanned(tokens, msg);
            config.worker_threads = None;
        }
    }
    if config.flavor == Flavor::MultiThread && config.start_paused {
        if let Some(tokens) = start_paused_tokens {
            errors.spanned(
                tokens,
                "`start_paused` needs the `current_thread` flavor (the paused clock is \
                 tokio's, which only supports a single-threaded loop); remove `flavor = \
                 \"multi_thread\"`",
            );
        }
        config.start_paused = false;
    }
    config
}

/// The accepted forms of a duration option, for messages.
fn duration_forms(option: &str) -> String {
    let (a, b) = if option == "timeout" {
        ("250ms", "5s")
    } else {
        ("50ms", "1s")
    };
    format!(
        "a whole number of milliseconds or seconds in a string: `{option} = \"{a}\"` or \
         `{option} = \"{b}\"`"
    )
}

fn parse_duration(option: &str, text: &str) -> Result<DurationSpec, String> {
    let bad = || {
        format!(
            "malformed `{option} = \"{text}\"`: expected {}",
            duration_forms(option)
        )
    };
    let t = text.trim();
    let (digits, unit) = if let Some(d) = t.strip_suffix("ms") {
        (d, TimeUnit::Millis)
    } else if let Some(d) = t.strip_suffix('s') {
        (d, TimeUnit::Secs)
    } else {
        return Err(bad());
    };
    let digits = digits.trim_end();
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let amount: u64 = digits.parse().map_err(|_| bad())?;
    if amount == 0 {
        let why = if option == "timeout" {
            "the test would always fail"
        } else {
            "every poll would be reported"
        };
        return Err(format!(
            "`{option} = \"{text}\"` is zero: {why}; use a positive duration such as \
             `{option} = \"{}\"`",
            if option == "timeout" { "250ms" } else { "50ms" }
        ));
    }
    Ok(DurationSpec {
        amount,
        unit,
        text: t.to_string(),
    })
}

fn lit_value(value: Option<&Expr>) -> Option<&Lit> {
    match value? {
        Expr::Lit(ExprLit { lit, attrs }) if attrs.is_empty() => Some(lit),
        _ => None,
    }
}

fn string_value(value: Option<&Expr>) -> Option<&syn::LitStr> {
    match lit_value(value)? {
        Lit::Str(s) => Some(s),
        _ => None,
    }
}

fn int_value(value: Option<&Expr>) -> Option<&syn::LitInt> {
    match lit_value(value)? {
        Lit::Int(i) => Some(i),
        _ => None,
    }
}

fn bool_value(value: Option<&Expr>) -> Option<bool> {
    match lit_value(value)? {
        Lit::Bool(b) => Some(b.value),
        _ => None,
    }
}

/// The function under the attribute. Its body is kept as raw tokens: it is never
/// parsed, only moved into the expansion with its spans (faster, and immune to syntax
/// syn does not know yet).
pub(crate) struct EntryFn {
    pub(crate) attrs: Vec<Attribute>,
    pub(crate) vis: Visibility,
    pub(crate) sig: Signature,
    pub(crate) body: TokenTree,
}

impl Parse for EntryFn {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let attrs = input.call(Attribute::parse_outer)?;
        let vis = input.parse()?;
        let sig: Signature = input.parse()?;
        let body: TokenTree = match input.parse()? {
            TokenTree::Group(g) if g.delimiter() == proc_macro2::Delimiter::Brace => {
                TokenTree::Group(g)
            }
            other => {
                return Err(syn::Error::new_spanned(
                    other,
                    "expected the function's body `{ ... }`",
                ));
            }
        };
        if !input.is_empty() {
            return Err(input.error("unexpected tokens after the function's body"));
        }
        Ok(EntryFn {
            attrs,
            vis,
            sig,
            body,
        })
    }
}

/// How the function is to be written out.
pub(crate) enum Shape {
    /// The normal expansion (also used when the options or the `async` keyword were
    /// wrong: the function is fine otherwise).
    Normal,
    /// The function takes parameters where none are allowed (`main`, tests): the outer
    /// function is written without them and never calls the inner one.
    DropParams,
    /// Emit the function exactly as written (a method: an `async fn` with `self` is
    /// valid where it stands).
    Verbatim,
}

/// The function, checked, with its problems reported.
pub(crate) struct CheckedFn {
    pub(crate) f: EntryFn,
    pub(crate) shape: Shape,
}

/// Checks the function for the misuses of the attribute. Every problem is reported
/// and repaired in the returned function, so its expansion compiles.
pub(crate) fn check_fn(kind: Kind, mut f: EntryFn, errors: &mut Errors) -> CheckedFn {
    let attr = kind.attr();
    let name = f.sig.ident.to_string();
    let mut shape = Shape::Normal;

    if let Some(recv) = f.sig.receiver() {
        errors.spanned(
            recv,
            format!(
                "`{attr}` cannot be applied to a method (a function taking `self`): put it \
                 on a free `async fn`"
            ),
        );
        return CheckedFn {
            f,
            shape: Shape::Verbatim,
        };
    }

    if f.sig.asyncness.is_none() {
        let what = match kind {
            Kind::Main => format!("write `async fn {name}`"),
            Kind::Test => format!("write `async fn {name}`, or use `#[test]` for a sync test"),
        };
        errors.spanned(
            f.sig.fn_token,
            format!("the `async` keyword is missing from the function declaration: `{attr}` runs an `async fn`; {what}"),
        );
        // Expanded as if it were async, so `.await` in the body raises nothing more.
        f.sig.asyncness = Some(Token![async](f.sig.fn_token.span));
    }
    if let Some(c) = f.sig.constness.take() {
        errors.spanned(
            c,
            format!("`{attr}` cannot be applied to a `const fn`; remove `const`"),
        );
    }
    if let Some(abi) = f.sig.abi.take() {
        errors.spanned(
            abi,
            format!("`{attr}` cannot be applied to an `extern` function; remove the ABI"),
        );
    }

    let takes_params = !f.sig.inputs.is_empty() || f.sig.variadic.is_some();
    let params_forbidden = match kind {
        Kind::Main => name == "main",
        Kind::Test => true,
    };
    if takes_params && params_forbidden {
        let tokens = params_tokens(&f.sig);
        let msg = match kind {
            Kind::Main => "the `main` function cannot take arguments; read them with \
                           `std::env::args()` instead"
                .to_string(),
            Kind::Test => format!(
                "test functions cannot take arguments: `{attr}` calls the function with none"
            ),
        };
        errors.spanned(tokens, msg);
        shape = Shape::DropParams;
    }

    if kind == Kind::Test {
        let mut kept = Vec::with_capacity(f.attrs.len());
        for a in f.attrs.drain(..) {
            if is_test_attr(&a) {
                errors.spanned(
                    &a,
                    "second test attribute: `#[async_test]` already makes this function a \
                     test; remove this `#[test]`",
                );
            } else {
                kept.push(a);
            }
        }
        f.attrs = kept;
    }
    CheckedFn { f, shape }
}

/// The parameter list as tokens (for an error covering all of it).
fn params_tokens(sig: &Signature) -> TokenStream {
    let mut t = TokenStream::new();
    sig.inputs.to_tokens(&mut t);
    if let Some(v) = &sig.variadic {
        v.to_tokens(&mut t);
    }
    if t.is_empty() {
        sig.ident.to_token_stream()
    } else {
        t
    }
}

/// `#[test]`, `#[core::prelude::v1::test]`, `#[::std::prelude::rust_2024::test]`...
fn is_test_attr(a: &Attribute) -> bool {
    let path = a.path();
    let last = path.segments.last().map(|s| s.ident.to_string());
    if last.as_deref() != Some("test") {
        return false;
    }
    let first = path.segments.first().map(|s| s.ident.to_string());
    path.segments.len() == 1
        || (matches!(first.as_deref(), Some("core" | "std"))
            && path.segments.iter().nth(1).map(|s| s.ident == "prelude") == Some(true))
}

/// The span used for tokens the macro makes up.
pub(crate) fn call_site() -> Span {
    Span::call_site()
}

/// The argument of a parameter when the outer function passes it on to the inner one:
/// the parameter's own name when it is a plain `name: Type` (so the outer signature
/// reads the same in docs), else a made-up name.
pub(crate) fn forward_name(arg: &FnArg, index: usize) -> Ident {
    if let FnArg::Typed(pt) = arg {
        if let syn::Pat::Ident(pi) = &*pt.pat {
            if pi.subpat.is_none() && pi.by_ref.is_none() {
                return pi.ident.clone();
            }
        }
    }
    Ident::new(&format!("__asyncio_arg{index}"), call_site())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions() {
        assert_eq!(edit_distance("flavor", "flavour"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(did_you_mean(Kind::Main, "flavour"), Some("flavor"));
        assert_eq!(
            did_you_mean(Kind::Test, "start_pause"),
            Some("start_paused")
        );
        assert_eq!(did_you_mean(Kind::Main, "start_pause"), None);
        assert_eq!(did_you_mean(Kind::Main, "threads"), None);
    }

    #[test]
    fn timeouts() {
        let t = parse_duration("timeout", "250ms").unwrap();
        assert_eq!((t.amount, t.text.as_str()), (250, "250ms"));
        assert!(matches!(t.unit, TimeUnit::Millis));
        let t = parse_duration("timeout", "5s").unwrap();
        assert!(matches!(t.unit, TimeUnit::Secs));
        assert_eq!(t.amount, 5);
        assert_eq!(parse_duration("timeout", " 2 s ").unwrap().text, "2 s");
        for bad in [
            "",
            "ms",
            "s",
            "250",
            "1.5s",
            "-1s",
            "5m",
            "5 min",
            "0ms",
            "abc",
            "99999999999999999999999s",
        ] {
            assert!(
                parse_duration("timeout", bad).is_err(),
                "{bad:?} was accepted"
            );
        }
    }
}
