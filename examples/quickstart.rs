//! The asynchronous chef — the classic asyncio first lesson.
//!
//! A chef cooks a steak (3 s), chops vegetables (2 s) and boils water (2.5 s). Done one
//! after the other, dinner takes 7.5 s. But the steak and the water need no attention
//! while they cook: started as tasks, they cook while the chef chops, and dinner is
//! ready when the slowest dish is — 3 s.
//!
//! ```text
//! cargo run --example quickstart
//! ```
//!
//! Python:
//!
//! ```python
//! async def main():
//!     steak = asyncio.create_task(cook("steak", 3))
//!     water = asyncio.create_task(cook("water", 2.5))
//!     await chop("vegetables", 2)
//!     await steak; await water
//!     # or, all at once:
//!     await asyncio.gather(cook("steak", 3), chop("vegetables", 2), cook("water", 2.5))
//! asyncio.run(main())
//! ```

use asyncio::prelude::*;
use std::time::Duration;

/// Something that takes `secs` of waiting (an oven, a stove): `asyncio.sleep`.
async fn cook(what: &'static str, secs: f64) -> &'static str {
    println!("  {what}: started");
    sleep(Duration::from_secs_f64(secs)).await;
    println!("  {what}: done after {secs} s");
    what
}

/// The dinner, one step after another: every wait adds up.
pub async fn sequential() -> Vec<&'static str> {
    vec![
        cook("steak", 3.0).await,
        cook("vegetables", 2.0).await,
        cook("water", 2.5).await,
    ]
}

/// The dinner with tasks: the steak and the water cook while the vegetables are
/// chopped, so the waits overlap.
pub async fn concurrent() -> Vec<&'static str> {
    let steak = spawn(cook("steak", 3.0)); // asyncio.create_task: starts right away
    let water = spawn(cook("water", 2.5));
    let vegetables = cook("vegetables", 2.0).await; // meanwhile, the chef chops
    vec![steak.await, vegetables, water.await]
}

/// The same dinner with `gather!` (asyncio.gather): all three run at once in this task,
/// and the results come back in argument order.
pub async fn gathered() -> Vec<&'static str> {
    let (steak, vegetables, water) = gather!(
        cook("steak", 3.0),
        cook("vegetables", 2.0),
        cook("water", 2.5),
    )
    .await;
    vec![steak, vegetables, water]
}

#[asyncio::async_main]
async fn main() {
    let start = asyncio::time::Instant::now();
    println!("sequential dinner:");
    let dishes = sequential().await;
    println!("{dishes:?} in {:.1} s\n", start.elapsed().as_secs_f64());

    let start = asyncio::time::Instant::now();
    println!("concurrent dinner:");
    let dishes = concurrent().await;
    println!("{dishes:?} in {:.1} s\n", start.elapsed().as_secs_f64());

    let start = asyncio::time::Instant::now();
    println!("gathered dinner:");
    let dishes = gathered().await;
    println!("{dishes:?} in {:.1} s", start.elapsed().as_secs_f64());
}
