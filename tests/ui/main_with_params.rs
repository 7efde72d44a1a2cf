// expected errors: 1
#[asyncio::async_main]
async fn main(args: Vec<String>) {
    println!("{args:?}");
}
