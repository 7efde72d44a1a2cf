// expected errors: 1
#[asyncio::async_main(debug, slow_poll = "50")]
async fn main() {}
