//! `async_for!` (stub: being implemented).
use proc_macro2::TokenStream;
use quote::quote;

pub(crate) fn async_for(_input: TokenStream) -> TokenStream {
    quote!(::core::compile_error!("not implemented yet"))
}
