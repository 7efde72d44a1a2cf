// expected errors: 1
#[asyncio::async_main(flavour = "multi_thread")]
async fn main() {
    asyncio::sleep(std::time::Duration::from_millis(1)).await;
}
