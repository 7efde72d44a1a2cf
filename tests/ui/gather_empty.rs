// expected errors: 1
fn main() {
    let _ = asyncio::gather!();
}
