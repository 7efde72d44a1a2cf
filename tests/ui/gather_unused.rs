// expected errors: 1
#![deny(unused_must_use)]

async fn fetch() -> u8 {
    1
}

fn main() {
    asyncio::gather!(fetch(), fetch());
}
