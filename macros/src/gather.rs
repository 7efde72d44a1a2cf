//! `gather!`, `try_gather!`, `race!` (stub: being implemented).
use proc_macro2::TokenStream;
use quote::quote;

pub(crate) fn gather(_input: TokenStream) -> TokenStream {
    quote!(::core::compile_error!("not implemented yet"))
}
pub(crate) fn try_gather(_input: TokenStream) -> TokenStream {
    quote!(::core::compile_error!("not implemented yet"))
}
pub(crate) fn race(_input: TokenStream) -> TokenStream {
    quote!(::core::compile_error!("not implemented yet"))
}
