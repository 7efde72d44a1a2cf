// expected errors: 1
// The body's `.await` raises nothing more: the function is expanded as if it were async.
#[asyncio::async_main]
fn main() {
    asyncio::sleep(std::time::Duration::from_millis(1)).await;
}
