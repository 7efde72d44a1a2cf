// expected errors: 1
#[asyncio::async_main(flavor = "multi")]
async fn main() {}
