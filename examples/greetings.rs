//! Sequential vs concurrent: two awaits in a row add up; `gather!` overlaps them.
//!
//! Greeting Alice takes 1 s and greeting Bob 2 s. Awaited one after the other, the two
//! greetings take 3 s. Gathered, both waits run at the same time and the pair takes
//! as long as the slower one: 2 s.
//!
//! ```text
//! cargo run --example greetings
//! ```
//!
//! Python:
//!
//! ```python
//! async def say_hello(name, delay):
//!     await asyncio.sleep(delay)
//!     print(f"Hello, {name}!")
//!     return f"Hello, {name}!"
//!
//! async def main():
//!     await say_hello("Alice", 1)      # 1 s ...
//!     await say_hello("Bob", 2)        # ... then 2 s: 3 s in all
//!     await asyncio.gather(say_hello("Alice", 1), say_hello("Bob", 2))  # 2 s
//!
//! asyncio.run(main())
//! ```

use asyncio::prelude::*;
use std::time::Duration;

/// Waits `delay`, then greets `name`.
pub async fn say_hello(name: &str, delay: Duration) -> String {
    sleep(delay).await;
    let greeting = format!("Hello, {name}!");
    println!("  {greeting}");
    greeting
}

/// One after the other: Bob's wait starts only when Alice's is over.
pub async fn one_after_the_other() -> (String, String) {
    let alice = say_hello("Alice", Duration::from_secs(1)).await;
    let bob = say_hello("Bob", Duration::from_secs(2)).await;
    (alice, bob)
}

/// Both at once: `await asyncio.gather(...)`. The results come back in argument order.
pub async fn together() -> (String, String) {
    gather!(
        say_hello("Alice", Duration::from_secs(1)),
        say_hello("Bob", Duration::from_secs(2)),
    )
    .await
}

#[asyncio::async_main]
async fn main() {
    let start = asyncio::time::Instant::now();
    println!("one after the other:");
    one_after_the_other().await;
    println!("took {:.1} s\n", start.elapsed().as_secs_f64());

    let start = asyncio::time::Instant::now();
    println!("gathered:");
    together().await;
    println!("took {:.1} s", start.elapsed().as_secs_f64());
}
