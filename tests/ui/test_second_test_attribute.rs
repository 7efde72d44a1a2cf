// expected errors: 1
#[asyncio::async_test]
#[test]
async fn twice() {}

fn main() {}
