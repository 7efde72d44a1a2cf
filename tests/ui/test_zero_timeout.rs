// expected errors: 1
#[asyncio::async_test(timeout = "0s")]
async fn quick() {}

fn main() {}
