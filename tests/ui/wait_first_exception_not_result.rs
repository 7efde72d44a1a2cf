// expected errors: 1
use asyncio::prelude::*;

async fn first_failure() {
    let tasks = [spawn(async { 1u8 }), spawn(async { 2u8 })];
    let (_done, _pending) = wait(tasks, ReturnWhen::FirstException).await;
}

fn main() {
    let _ = first_failure;
}
