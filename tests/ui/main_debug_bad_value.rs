// expected errors: 1
#[asyncio::async_main(debug = "yes")]
async fn main() {}
