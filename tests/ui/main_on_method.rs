// expected errors: 1
struct App;

impl App {
    #[asyncio::async_main]
    async fn run(&self) {}
}

fn main() {
    let _ = App.run();
}
