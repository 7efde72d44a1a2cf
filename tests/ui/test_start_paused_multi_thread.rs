// expected errors: 1
#[asyncio::async_test(flavor = "multi_thread", start_paused)]
async fn paused() {}

fn main() {}
