// expected errors: 1
use asyncio::prelude::*;

fn evens() -> impl Stream<Item = u32> {
    generator(async |co| {
        (0..10u32).filter(|x| x % 2 == 0).for_each(|x| {
            co.yield_(x).await;
        });
    })
}

fn main() {
    let _ = evens();
}
