// expected errors: 1
async fn fetch() -> u8 {
    1
}

fn main() {
    let _ = asyncio::try_gather!(fetch());
}
