// expected errors: 1
#[asyncio::async_test]
fn adds() {
    asyncio::sleep(std::time::Duration::from_millis(1)).await;
}

fn main() {}
