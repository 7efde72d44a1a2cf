// expected errors: 1
#[asyncio::async_main(crate = "not a path")]
async fn main() {}
