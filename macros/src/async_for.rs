//! `async_for!(pat in expr { body })` — Python's `async for`, on stable Rust.
//!
//! Input (from the facade's `macro_rules!` wrapper): `$crate; ['label:] pat in expr { body }`.
//! Parse with syn (`Pat::parse_single`, `Expr::parse_without_eager_brace`), then expand
//! to a `loop` over `$crate::__private::async_iter_next(stream.as_mut()).await`, with the
//! stream pinned on the stack by `core::pin::pin!` (no `unsafe`).

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::parse::{Parse, ParseStream};
use syn::spanned::Spanned;
use syn::{Block, Expr, Lifetime, Pat, Path, Token};

/// The parsed input.
struct AsyncFor {
    krate: Path,
    label: Option<Lifetime>,
    pat: Pat,
    in_token: Token![in],
    expr: Expr,
    body: Block,
}

impl Parse for AsyncFor {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let krate: Path = input.call(Path::parse_mod_style)?;
        input.parse::<Token![;]>()?;
        if input.is_empty() {
            return Err(input.error(
                "expected `pattern in stream { body }`, e.g. `async_for!(x in stream { ... })`",
            ));
        }
        let label = if input.peek(syn::Lifetime) {
            let label: Lifetime = input.parse()?;
            input.parse::<Token![:]>()?;
            Some(label)
        } else {
            None
        };
        let pat = Pat::parse_single(input)?;
        let in_token: Token![in] = input.parse().map_err(|e| {
            syn::Error::new(
                e.span(),
                "expected `in` after the pattern: `async_for!(pattern in stream { body })`",
            )
        })?;
        let expr = Expr::parse_without_eager_brace(input)?;
        if let Some(err) = struct_literal(&expr, input) {
            return Err(err);
        }
        if !input.peek(syn::token::Brace) {
            return Err(input.error(
                "expected the loop body in braces: `async_for!(pattern in stream { body })`",
            ));
        }
        let body: Block = input.parse()?;
        if !input.is_empty() {
            return Err(input.error(
                "unexpected tokens after the loop body: `async_for!` takes one loop, `async_for!(pattern in stream { body })`",
            ));
        }
        Ok(AsyncFor {
            krate,
            label,
            pat,
            in_token,
            expr,
            body,
        })
    }
}

/// `async_for!(t in Ticker { n: 3 } { body })`: like `for`, the stream expression
/// cannot be a bare struct literal (its braces would be taken for the loop body). Gives
/// rustc's help for `for` — wrap it in parentheses — instead of a parse error at `:`.
fn struct_literal(expr: &Expr, input: ParseStream) -> Option<syn::Error> {
    let Expr::Path(path) = expr else { return None };
    let ahead = input.fork();
    let fields: proc_macro2::Group = ahead.parse().ok()?;
    if fields.delimiter() != proc_macro2::Delimiter::Brace || !ahead.peek(syn::token::Brace) {
        return None;
    }
    let _body: proc_macro2::Group = ahead.parse().ok()?;
    if !ahead.is_empty() {
        return None;
    }
    let name = quote!(#path).to_string();
    let err = syn::Error::new_spanned(
        quote!(#path #fields),
        format!(
            "struct literals are not allowed here: wrap the stream in parentheses, \
             `async_for!(x in ({name} {{ .. }}) {{ body }})`"
        ),
    );
    Some(err)
}

fn expand(input: AsyncFor) -> TokenStream {
    let AsyncFor {
        krate,
        label,
        pat,
        in_token,
        expr,
        body,
    } = input;
    // Everything the expansion adds carries the span of the user's stream expression, so
    // a non-stream is reported there once ("`Vec<i32>` is not an async iterable"), and
    // using the macro outside async code gives one E0728 pointing at that expression.
    let span = expr.span();
    let _ = in_token;
    // `async_for!(t in (Ticker { n: 3 }) { .. })`: the parentheses are needed in the
    // macro call (as in `for`), but not around the call argument the expansion makes,
    // where rustc would warn "unnecessary parentheses".
    let expr = match expr {
        Expr::Paren(p) if p.attrs.is_empty() => *p.expr,
        other => other,
    };
    // Our own bindings use mixed-site hygiene so they can't clash with the user's names.
    let stream = syn::Ident::new("__asyncio_stream", Span::mixed_site().located_at(span));
    let item = syn::Ident::new("__asyncio_item", Span::mixed_site().located_at(span));
    let label = label.map(|l| quote!(#l:));
    // The helpers are imported under names with the span of the user's expression, so the
    // calls consist only of tokens with exactly that span: every obligation on a
    // non-stream then sits on that one span and rustc reports it once. The imports live
    // in inner blocks, so the loop body never sees them.
    let into_stream = syn::Ident::new("__asyncio_into_stream", span);
    let next_fn = syn::Ident::new("__asyncio_next", span);
    let pin = quote_spanned! {span=>
        let mut #stream = ::core::pin::pin!({
            use #krate::__private::into_stream as #into_stream;
            #into_stream(#expr)
        });
    };
    let next = quote_spanned! {span=>
        {
            use #krate::__private::async_iter_next as #next_fn;
            #next_fn({ #stream.as_mut() })
        }
        .await
    };
    // The loop's own tokens are marked as coming from the macro (call-site hygiene), so
    // lints like clippy's `while_let_loop` do not fire on the expansion.
    let expansion = Span::call_site().located_at(span);
    quote_spanned! {expansion=>
        {
            #pin
            #label loop {
                let #pat = match #next {
                    ::core::option::Option::Some(#item) => #item,
                    ::core::option::Option::None => break,
                };
                #body
            }
        }
    }
}

pub(crate) fn async_for(input: TokenStream) -> TokenStream {
    match syn::parse2::<AsyncFor>(input) {
        Ok(parsed) => expand(parsed),
        Err(err) => err.to_compile_error(),
    }
}
