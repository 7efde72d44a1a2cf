// expected errors: 1
// Nor out of the body as its result: a `try_generator`'s error type is chosen outside
// the body, so it cannot hold the body's `co`.
use asyncio::prelude::*;

fn main() {
    let _ = try_generator(async |co: Co<'_, u32>| {
        co.yield_(1).await;
        Err(co)
    });
}
