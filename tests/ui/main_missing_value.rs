// expected errors: 1
#[asyncio::async_main(flavor)]
async fn main() {}
