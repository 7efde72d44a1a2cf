// expected errors: 1
// A bare struct literal as the stream: its braces would be the loop body, as in `for`;
// the error says to wrap it in parentheses (as rustc's help for `for` does).
use asyncio::prelude::*;

#[allow(dead_code)]
struct Ticker {
    n: u32,
}

#[asyncio::async_main]
async fn main() {
    async_for!(t in Ticker { n: 3 } {
        println!("{t}");
    });
}
