//! `#[async_main]` and `#[async_test]` (stub: being implemented).
use proc_macro2::TokenStream;
use quote::quote;

pub(crate) fn main(_args: TokenStream, item: TokenStream) -> TokenStream {
    quote!(::core::compile_error!("not implemented yet"); #item)
}

pub(crate) fn test(_args: TokenStream, item: TokenStream) -> TokenStream {
    quote!(::core::compile_error!("not implemented yet"); #item)
}
