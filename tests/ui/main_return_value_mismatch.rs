// expected errors: 1
#[asyncio::async_main]
async fn main() -> Result<(), String> {
    asyncio::sleep(std::time::Duration::from_millis(1)).await;
    Ok(5)
}
