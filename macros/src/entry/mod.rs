//! `#[async_main]` and `#[async_test]`: `asyncio.run(main())` as an attribute.
//!
//! [`parse`] turns the attribute's options into a [`parse::Config`] and the function into
//! a [`parse::EntryFn`], collecting every misuse as a `syn::Error` at the user's span;
//! [`expand`] writes the function out. The expansion keeps the user's signature on an
//! inner `async fn` (same name, parameters, return type and body tokens) and makes the
//! outer function a plain `fn` that starts an event loop and drives the inner one:
//!
//! ```text
//! #[async_main]                          fn main() -> Result<(), E> {
//! async fn main() -> Result<(), E> {         async fn main() -> Result<(), E> { body }
//!     body                      ==>          ::asyncio::__private::run_main(
//! }                                              ::asyncio::runtime::Builder::new().current_thread(),
//!                                                main(),
//!                                            )
//!                                        }
//! ```
//!
//! Because the body stays in a real `async fn` with the user's return type, `?` and
//! return-type mistakes are reported exactly as rustc reports them in any async fn: once,
//! at the user's line, and worded for an `async fn` (an expansion that wraps the body in
//! an `async` block gets "the `?` operator can only be used in an async block", about a
//! block the user never wrote, and has to re-check the return type by hand: tokio#6930).
//!
//! On any error the function is still emitted (as if it were correct, with the options
//! that did parse), so a mistake gives exactly one message and no follow-on `E0601`
//! ("`main` function not found"), `E0752` or errors inside the body.

mod expand;
mod parse;

use proc_macro2::TokenStream;

/// Which attribute is being expanded.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Main,
    Test,
}

impl Kind {
    /// The attribute as the user writes it, for messages.
    fn attr(self) -> &'static str {
        match self {
            Kind::Main => "#[async_main]",
            Kind::Test => "#[async_test]",
        }
    }
}

pub(crate) fn main(args: TokenStream, item: TokenStream) -> TokenStream {
    entry(Kind::Main, args, item)
}

pub(crate) fn test(args: TokenStream, item: TokenStream) -> TokenStream {
    entry(Kind::Test, args, item)
}

fn entry(kind: Kind, args: TokenStream, item: TokenStream) -> TokenStream {
    let mut errors = parse::Errors::default();
    let config = parse::parse_config(kind, args, &mut errors);
    let out = match syn::parse2::<parse::EntryFn>(item.clone()) {
        Ok(f) => {
            let checked = parse::check_fn(kind, f, &mut errors);
            expand::expand(kind, &config, checked)
        }
        Err(e) => {
            errors.push(not_a_fn(kind, &item, e));
            item
        }
    };
    let mut tokens = errors.into_compile_errors();
    tokens.extend(out);
    tokens
}

/// The error for an item that did not parse as a function: if it is no function at all,
/// say where the attribute goes; otherwise keep syn's message, which points at the
/// unexpected token.
fn not_a_fn(kind: Kind, item: &TokenStream, e: syn::Error) -> syn::Error {
    let has_fn = item
        .clone()
        .into_iter()
        .any(|t| matches!(&t, proc_macro2::TokenTree::Ident(i) if i == "fn"));
    if has_fn {
        e
    } else {
        syn::Error::new(
            e.span(),
            format!("`{}` can only be applied to an `async fn`", kind.attr()),
        )
    }
}
