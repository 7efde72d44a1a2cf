// expected errors: 1
#[asyncio::async_main]
async fn main() {
    let port: u16 = "8080".parse()?;
    println!("{port}");
}
