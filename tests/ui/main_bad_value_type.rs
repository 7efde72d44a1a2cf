// expected errors: 1
#[asyncio::async_main(flavor = "multi_thread", worker_threads = "4")]
async fn main() {}
