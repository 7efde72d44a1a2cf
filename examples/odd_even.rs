//! Two tasks taking turns: each runs until its next `.await`, then the other gets the
//! loop.
//!
//! One task prints 1, 3, 5 with 0.2 s between numbers; the other prints 2, 4 with
//! 0.3 s between. Gathered, they interleave on the one event-loop thread and the
//! output is `1 2 3 4 5` — printed at 0, 0, 0.2, 0.3 and 0.4 s. Their return values
//! come back from `gather!` in argument order.
//!
//! ```text
//! cargo run --example odd_even
//! ```
//!
//! Python:
//!
//! ```python
//! async def print_odds():
//!     for i in range(1, 6, 2):
//!         print(i)
//!         await asyncio.sleep(0.2)
//!     return "odds done"
//!
//! async def print_evens():
//!     for i in range(2, 5, 2):
//!         print(i)
//!         await asyncio.sleep(0.3)
//!     return "evens done"
//!
//! async def main():
//!     results = await asyncio.gather(print_odds(), print_evens())
//!     print(results)                        # ['odds done', 'evens done']
//!
//! asyncio.run(main())
//! ```

use asyncio::prelude::*;
use asyncio::time::Instant;
use std::cell::RefCell;
use std::time::Duration;

/// The numbers printed so far, each with the time it was printed at.
pub type Printed = RefCell<Vec<(Duration, u32)>>;

fn print(start: Instant, printed: &Printed, n: u32) {
    let at = start.elapsed();
    println!("{n}   (at {:.1} s)", at.as_secs_f64());
    printed.borrow_mut().push((at, n)); // the borrow ends before the next `.await`
}

/// Prints the odd numbers 1, 3, 5, one every 0.2 s.
pub async fn print_odds(start: Instant, printed: &Printed) -> &'static str {
    for i in (1..=5).step_by(2) {
        print(start, printed, i);
        sleep(Duration::from_millis(200)).await;
    }
    "odds done"
}

/// Prints the even numbers 2, 4, one every 0.3 s.
pub async fn print_evens(start: Instant, printed: &Printed) -> &'static str {
    for i in (2..=4).step_by(2) {
        print(start, printed, i);
        sleep(Duration::from_millis(300)).await;
    }
    "evens done"
}

/// Runs both printers concurrently; their results come back in argument order.
pub async fn both(printed: &Printed) -> (&'static str, &'static str) {
    let start = Instant::now();
    gather!(print_odds(start, printed), print_evens(start, printed)).await
}

#[asyncio::async_main]
async fn main() {
    let start = Instant::now();
    let printed = Printed::default();
    let results = both(&printed).await;
    println!("{results:?} after {:.1} s", start.elapsed().as_secs_f64());
}
