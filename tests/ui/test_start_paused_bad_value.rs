// expected errors: 1
#[asyncio::async_test(start_paused = "yes")]
async fn paused() {}

fn main() {}
