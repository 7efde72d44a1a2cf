// expected errors: 1
#[asyncio::async_main]
async fn main() -> u32 {
    5
}
