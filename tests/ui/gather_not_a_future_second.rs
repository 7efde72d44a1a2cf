// expected errors: 3
// rustc blames a bad argument other than the first at the argument, at the whole call
// and at the `.await` (a bad first argument gives one error): a known limitation.
async fn fetch() -> u8 {
    1
}

async fn run() {
    let (_a, _b) = asyncio::gather!(fetch(), 5).await;
}

fn main() {
    let _ = run();
}
