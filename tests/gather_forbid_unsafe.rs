//! The gather macros expand to no `unsafe`, so they work in `#![forbid(unsafe_code)]`
//! crates (this whole test crate forbids it).
#![forbid(unsafe_code)]

use asyncio::{gather, race, try_gather};

#[test]
fn gather_macros_compile_under_forbid_unsafe_code() {
    futures::executor::block_on(async {
        let (a, b) = gather!(async { 1 }, async { "two" }).await;
        assert_eq!((a, b), (1, "two"));
        let r: Result<(u8, u8), ()> = try_gather!(async { Ok(1) }, async { Ok(2) }).await;
        assert_eq!(r, Ok((1, 2)));
        let w = race!(std::future::pending::<u8>(), async { 3 }).await;
        assert_eq!(w, 3);
    });
}
