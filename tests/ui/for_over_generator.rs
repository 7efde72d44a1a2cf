// expected errors: 1
// A plain `for` over a generator: rustc says the stream "is not an iterator". The crate
// cannot add a hint to std's `Iterator`; the docs of `AsyncIterable` and the README say
// the fix (`async_for!`). This case pins the message users see.
use asyncio::prelude::*;

#[asyncio::async_main]
async fn main() {
    let numbers = generator(async |co| {
        co.yield_(1u32).await;
    });
    for n in numbers {
        println!("{n}");
    }
}
