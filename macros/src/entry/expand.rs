//! Writing the checked function out: an outer sync `fn` that starts the event loop and
//! an inner `async fn` that keeps the user's signature and body.

use super::Kind;
use super::parse::{CheckedFn, Config, DurationSpec, Flavor, Shape, TimeUnit, forward_name};
use proc_macro2::TokenStream;
use quote::{ToTokens, quote};
use syn::FnArg;
use syn::punctuated::Punctuated;

pub(crate) fn expand(kind: Kind, config: &Config, checked: CheckedFn) -> TokenStream {
    let CheckedFn { f, shape } = checked;
    if let Shape::Verbatim = shape {
        let attrs = &f.attrs;
        let (vis, sig, body) = (&f.vis, &f.sig, &f.body);
        return quote!(#(#attrs)* #vis #sig #body);
    }

    let krate = &config.krate;
    let attrs = &f.attrs;
    let vis = &f.vis;
    let sig = &f.sig;
    let ident = &sig.ident;
    let generics = &sig.generics;
    let where_clause = &sig.generics.where_clause;
    let output = &sig.output;
    let unsafety = &sig.unsafety;
    let body = &f.body;

    // The inner `async fn`: the user's signature, unchanged, and the user's body tokens.
    let allow = match shape {
        Shape::DropParams => quote!(#[allow(dead_code)]),
        _ => TokenStream::new(),
    };
    let inner = quote! {
        #allow #sig #body
    };

    let test_attr = match kind {
        Kind::Test => quote!(#[::core::prelude::v1::test]),
        Kind::Main => TokenStream::new(),
    };

    let (outer_params, call) = match shape {
        Shape::DropParams => (
            TokenStream::new(),
            // The function is rejected (it takes parameters where none can be passed);
            // the outer body only has to type-check.
            quote!(::core::panic!("this function was rejected at compile time")),
        ),
        _ => {
            let mut params = Punctuated::<TokenStream, syn::Token![,]>::new();
            let mut args = Punctuated::<syn::Ident, syn::Token![,]>::new();
            for (i, arg) in sig.inputs.iter().enumerate() {
                let name = forward_name(arg, i);
                if let FnArg::Typed(pt) = arg {
                    let ty = &pt.ty;
                    params.push(quote!(#name: #ty));
                }
                args.push(name);
            }
            let builder = builder(kind, config);
            let future = quote!(#ident(#args));
            let run = match kind {
                Kind::Main => quote!(#krate::__private::run_main(#builder, #future)),
                Kind::Test => {
                    let timeout = match &config.timeout {
                        None => quote!(#krate::__private::core::option::Option::None),
                        Some(t) => {
                            let text = &t.text;
                            let duration = duration(krate, t);
                            quote!(#krate::__private::core::option::Option::Some((
                                #duration,
                                #text,
                            )))
                        }
                    };
                    quote!(#krate::__private::run_test(#builder, #timeout, #future))
                }
            };
            let run = if unsafety.is_some() {
                // SAFETY: the caller of the outer `unsafe fn` upholds the inner one's
                // contract: they are the same function.
                quote!(unsafe { #run })
            } else {
                run
            };
            (params.into_token_stream(), run)
        }
    };

    quote! {
        #(#attrs)*
        #test_attr
        #vis #unsafety fn #ident #generics (#outer_params) #output #where_clause {
            #inner
            #call
        }
    }
}

fn builder(kind: Kind, config: &Config) -> TokenStream {
    let krate = &config.krate;
    let mut b = quote!(#krate::runtime::Builder::new());
    match config.flavor {
        Flavor::CurrentThread => b.extend(quote!(.current_thread())),
        Flavor::MultiThread => b.extend(quote!(.multi_thread())),
    }
    if let Some(n) = config.worker_threads {
        b.extend(quote!(.worker_threads(#n)));
    }
    if kind == Kind::Test && config.start_paused {
        b.extend(quote!(.start_paused(true)));
    }
    if let Some(on) = config.debug {
        b.extend(quote!(.debug(#on)));
    }
    if let Some(d) = &config.slow_poll {
        let d = duration(krate, d);
        b.extend(quote!(.slow_poll(#d)));
    }
    b
}

fn duration(krate: &TokenStream, d: &DurationSpec) -> TokenStream {
    let amount = d.amount;
    let ctor = match d.unit {
        TimeUnit::Millis => quote!(from_millis),
        TimeUnit::Secs => quote!(from_secs),
    };
    quote!(#krate::__private::core::time::Duration::#ctor(#amount))
}
