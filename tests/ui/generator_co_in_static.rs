// expected errors: 1
// Nor into a `static` or a thread-local (they outlive every generator).
use asyncio::prelude::*;
use std::cell::RefCell;

thread_local! {
    static KEPT: RefCell<Option<Co<'static, u32>>> = const { RefCell::new(None) };
}

fn numbers() -> impl Stream<Item = u32> {
    generator(async |co| {
        KEPT.with(|k| *k.borrow_mut() = Some(co));
    })
}

fn main() {
    let _ = numbers();
}
