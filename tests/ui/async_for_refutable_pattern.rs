// expected errors: 1
use asyncio::prelude::*;

async fn run() {
    let s = futures::stream::iter([Some(1), None, Some(3)]);
    async_for!(Some(x) in s {
        println!("{x}");
    });
}

fn main() {
    let _ = run();
}
