// expected errors: 1
#[asyncio::async_main(timeout = "1s")]
async fn main() {}
