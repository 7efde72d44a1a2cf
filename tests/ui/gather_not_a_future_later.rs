// expected errors: 1
async fn fetch() -> u8 {
    1
}

async fn run() {
    let (_a, _b) = asyncio::gather!(fetch(), 5).await;
}

fn main() {
    let _ = run();
}
