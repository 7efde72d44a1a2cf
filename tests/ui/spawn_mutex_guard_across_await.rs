// expected errors: 1
// A `std::sync::MutexGuard` held across `.await` makes the future `!Send`; the error
// points at the guard and the hint names the usual fix (drop it first, or an async lock).
use std::sync::{Arc, Mutex};

#[asyncio::async_main]
async fn main() {
    let counter = Arc::new(Mutex::new(0));
    let task = asyncio::spawn(async move {
        let mut n = counter.lock().unwrap();
        asyncio::yield_now().await;
        *n += 1;
    });
    task.await;
}
