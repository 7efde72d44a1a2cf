// expected errors: 1
// A scope child may borrow from the caller's stack, but only what outlives the scope:
// `local` is created inside the scope's body, so it is gone before the child may finish.
use asyncio::scope;

#[asyncio::async_main]
async fn main() {
    let outside = String::from("outlives the scope: fine to borrow");
    let _ = scope(async |s| {
        let local = String::from("dropped when the body returns");
        s.spawn(async {
            println!("{} {}", outside.len(), local.len());
            Ok(())
        });
        Ok::<_, ()>(())
    })
    .await;
}
