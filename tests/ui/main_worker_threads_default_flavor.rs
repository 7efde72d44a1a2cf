// expected errors: 1
#[asyncio::async_main(worker_threads = 2)]
async fn main() {}
