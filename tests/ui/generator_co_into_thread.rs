// expected errors: 1
// Nor into `std::thread::spawn` (a scoped thread may borrow it, but a yield from there
// panics: see the `generator` module docs).
use asyncio::prelude::*;

fn numbers() -> impl Stream<Item = u32> {
    generator(async |co| {
        std::thread::spawn(move || {
            let _ = co.yield_(1);
        });
    })
}

fn main() {
    let _ = numbers();
}
