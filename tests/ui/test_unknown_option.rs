// expected errors: 1
#[asyncio::async_test(start_pause)]
async fn paused() {}

fn main() {}
