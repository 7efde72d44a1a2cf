// expected errors: 1
// `spawn` needs a Send future; the error shows the !Send value, and for `Rc` data the hint
// suggests `spawn_local`.
use std::rc::Rc;

#[asyncio::async_main]
async fn main() {
    let shared = Rc::new(5);
    let task = asyncio::spawn(async move {
        asyncio::yield_now().await;
        println!("{shared}");
    });
    task.await;
}
