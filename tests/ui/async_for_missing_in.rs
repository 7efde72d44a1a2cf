// expected errors: 1
use asyncio::prelude::*;

async fn run() {
    let s = futures::stream::iter([1, 2]);
    async_for!(x of s {
        println!("{x}");
    });
}

fn main() {
    let _ = run();
}
