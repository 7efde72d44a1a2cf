// expected errors: 1
use asyncio::prelude::*;

fn count(s: impl Stream<Item = u32>) -> u32 {
    let mut n = 0;
    async_for!(_x in s {
        n += 1;
    });
    n
}

fn main() {
    let _ = count(futures::stream::iter([1u32, 2]));
}
