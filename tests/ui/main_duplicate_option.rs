// expected errors: 1
#[asyncio::async_main(flavor = "multi_thread", flavor = "current_thread")]
async fn main() {}
