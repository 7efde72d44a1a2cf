//! `gather!`, `try_gather!`, `race!`: parse `$crate; expr, expr, ...`, then expand to a
//! cons-list of children wrapped in `$crate::__private::{Gather, TryGather, Race}`.
//!
//! The expansion contains no `unsafe` (pinning happens in asyncio-core), so the macros
//! work in crates with `#![forbid(unsafe_code)]`. Each argument goes through
//! `(&mut __private::Arg(Some(arg))).__asyncio_into_child()` spanned at the argument:
//! method resolution converts an `IntoFuture` argument, and sends anything else to a
//! fallback that reports one E0277 "`X` is not a future" at the argument and yields a
//! placeholder future, so no follow-on errors appear.

use proc_macro2::{Span, TokenStream, TokenTree};
use quote::{format_ident, quote, quote_spanned};
use syn::parse::{ParseStream, Parser};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Expr, Token};

#[derive(Clone, Copy)]
enum Kind {
    Gather,
    TryGather,
    Race,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Gather => "gather",
            Kind::TryGather => "try_gather",
            Kind::Race => "race",
        }
    }
}

/// The parsed call: the facade's `$crate` path and the child expressions.
struct Call {
    krate: TokenStream,
    args: Vec<Expr>,
}

fn parse(input: TokenStream, kind: Kind) -> syn::Result<Call> {
    let parser = |stream: ParseStream<'_>| -> syn::Result<Call> {
        let mut krate = TokenStream::new();
        while !stream.peek(Token![;]) {
            let tt: TokenTree = stream.parse()?;
            krate.extend([tt]);
        }
        stream.parse::<Token![;]>()?;
        let args = Punctuated::<Expr, Token![,]>::parse_terminated(stream)?;
        if args.is_empty() {
            let name = kind.name();
            let example = match kind {
                Kind::TryGather => "try_gather!(parse(a), parse(b))",
                Kind::Race => "race!(fetch(a), sleep(timeout))",
                Kind::Gather => "gather!(fetch(a), fetch(b))",
            };
            return Err(syn::Error::new(
                Span::call_site(),
                format!("`{name}!` needs at least one future to await, e.g. `{example}`"),
            ));
        }
        Ok(Call {
            krate,
            args: args.into_iter().collect(),
        })
    };
    parser.parse2(input)
}

fn expand(call: Call, kind: Kind) -> TokenStream {
    let krate = &call.krate;
    let private = quote!(#krate::__private);
    // The cons-list, built from the last argument outwards.
    let mut list = quote!(#private::Nil);
    for arg in call.args.iter().rev() {
        // Spanned at the argument, so a non-future argument is reported there, once.
        let fut = quote_spanned!(arg.span()=> {
            #[allow(unused_imports)]
            use #private::{IntoChild as _, NotAFutureFallback as _};
            (&mut #private::Arg(::core::option::Option::Some(#arg))).__asyncio_into_child()
        });
        list = quote!(#private::Cons::new(#fut, #list));
    }
    let names: Vec<_> = (0..call.args.len())
        .map(|i| format_ident!("__out{}", i, span = Span::mixed_site()))
        .collect();
    let mut nested = quote!(());
    for name in names.iter().rev() {
        nested = quote!((#name, #nested));
    }
    let flat = quote!((#(#names,)*));
    match kind {
        Kind::Gather => quote!(#private::Gather::new(#list, |#nested| #flat)),
        Kind::TryGather => quote!(#private::TryGather::new(#list, |#nested| #flat)),
        Kind::Race => quote!(#private::Race::new(#list)),
    }
}

fn run(input: TokenStream, kind: Kind) -> TokenStream {
    match parse(input, kind) {
        Ok(call) => expand(call, kind),
        Err(e) => e.into_compile_error(),
    }
}

pub(crate) fn gather(input: TokenStream) -> TokenStream {
    run(input, Kind::Gather)
}

pub(crate) fn try_gather(input: TokenStream) -> TokenStream {
    run(input, Kind::TryGather)
}

pub(crate) fn race(input: TokenStream) -> TokenStream {
    run(input, Kind::Race)
}
