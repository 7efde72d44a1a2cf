// expected errors: 1
#[asyncio::async_main]
struct Main;

fn main() {
    let _ = Main;
}
