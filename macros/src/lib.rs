//! Procedural macros for the [`asyncio`](https://docs.rs/asyncio) crate.
//!
//! Use them through `asyncio` (`asyncio::async_main`, `asyncio::gather!`, ...), not
//! directly: the function-like macros are called by thin `macro_rules!` wrappers in
//! `asyncio` that pass the crate path along, so they keep working when the dependency
//! is renamed.
//!
//! Every macro is split the way dtolnay's and tokio's macros are: a `parse` step that
//! turns tokens into a small AST (and reports misuse as a `syn::Error` at the user's
//! span), then an `expand` step. On error the user's item is emitted back next to the
//! error, so a mistake gives exactly one message.
#![deny(missing_docs)]

use proc_macro::TokenStream;

mod async_for;
mod entry;
mod gather;

/// `asyncio.run(main())` as an attribute: see `asyncio::async_main`.
#[proc_macro_attribute]
pub fn async_main(args: TokenStream, item: TokenStream) -> TokenStream {
    entry::main(args.into(), item.into()).into()
}

/// An async test that runs on a fresh event loop: see `asyncio::async_test`.
#[proc_macro_attribute]
pub fn async_test(args: TokenStream, item: TokenStream) -> TokenStream {
    entry::test(args.into(), item.into()).into()
}

/// Implementation of `asyncio::gather!`; input is `$crate; args...`.
#[doc(hidden)]
#[proc_macro]
pub fn gather(input: TokenStream) -> TokenStream {
    gather::gather(input.into()).into()
}

/// Implementation of `asyncio::try_gather!`; input is `$crate; args...`.
#[doc(hidden)]
#[proc_macro]
pub fn try_gather(input: TokenStream) -> TokenStream {
    gather::try_gather(input.into()).into()
}

/// Implementation of `asyncio::race!`; input is `$crate; args...`.
#[doc(hidden)]
#[proc_macro]
pub fn race(input: TokenStream) -> TokenStream {
    gather::race(input.into()).into()
}

/// Implementation of `asyncio::async_for!`; input is `$crate; pat in expr { body }`.
#[doc(hidden)]
#[proc_macro]
pub fn async_for(input: TokenStream) -> TokenStream {
    async_for::async_for(input.into()).into()
}
