// expected errors: 1
#[asyncio::async_test(timeout = "250")]
async fn quick() {}

fn main() {}
