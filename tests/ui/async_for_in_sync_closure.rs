// expected errors: 1
use asyncio::prelude::*;

async fn run() {
    let visit = |s: futures::stream::Iter<std::vec::IntoIter<u32>>| {
        async_for!(x in s {
            println!("{x}");
        });
    };
    visit(futures::stream::iter(vec![1, 2]));
}

fn main() {
    let _ = run();
}
