// expected errors: 1
#[asyncio::async_main(flavor = "current_thread", worker_threads = 2)]
async fn main() {}
