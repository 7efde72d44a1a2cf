// expected errors: 1
#[asyncio::async_main(flavor = "multi_thread", worker_threads = 0)]
async fn main() {}
