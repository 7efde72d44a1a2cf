// expected errors: 1
// The yielder borrows its generator, so it cannot move into a spawned task (which must
// be `'static`): the body must work for every lifetime of `co`.
use asyncio::prelude::*;

fn numbers() -> impl Stream<Item = u32> {
    generator(async |co| {
        spawn(async move {
            co.yield_(1).await;
        })
        .await;
    })
}

fn main() {
    let _ = numbers();
}
