// expected errors: 2
// Two, not one: the form before async closures fails the body's "for every lifetime of
// `co`" bound, which rustc checks in the borrow checker, where the crate cannot word the
// error; it reports the bound once for the call and once for the returned stream. Both
// name `AsyncFnOnce`: write `generator(async move |co| { ... })`.
use asyncio::prelude::*;

fn numbers() -> impl Stream<Item = u32> {
    generator(|co| async move {
        co.yield_(1).await;
    })
}

fn main() {
    let _ = numbers();
}
