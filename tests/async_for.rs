//! `async_for!`: break, continue, labels, destructuring, `!Unpin` streams, `&mut S`,
//! under both `futures::executor::block_on` and tokio.

use std::marker::PhantomPinned;
use std::pin::Pin;
use std::task::{Context, Poll};

use asyncio::prelude::*;
use futures::executor::block_on;
use futures::stream::{self, StreamExt};

fn count_to(n: u32) -> impl Stream<Item = u32> {
    generator(async move |co| {
        for i in 0..n {
            co.yield_(i).await;
        }
    })
}

#[test]
fn loops_over_every_item_in_order() {
    let v = block_on(async {
        let mut v = Vec::new();
        async_for!(i in count_to(5) {
            v.push(i);
        });
        v
    });
    assert_eq!(v, [0, 1, 2, 3, 4]);
}

#[test]
fn break_and_continue() {
    let v = block_on(async {
        let mut v = Vec::new();
        async_for!(i in count_to(100) {
            if i % 3 == 0 {
                continue;
            }
            if i > 10 {
                break;
            }
            v.push(i);
        });
        v
    });
    assert_eq!(v, [1, 2, 4, 5, 7, 8, 10]);
}

#[test]
fn break_stops_pulling_items() {
    // The body of the generator must not run ahead after the loop breaks.
    let produced = std::rc::Rc::new(std::cell::Cell::new(0));
    let p = produced.clone();
    block_on(async move {
        let s = generator(async move |co| {
            for i in 0..100u32 {
                p.set(p.get() + 1);
                co.yield_(i).await;
            }
        });
        async_for!(i in s {
            if i == 2 {
                break;
            }
        });
    });
    assert_eq!(produced.get(), 3);
}

#[test]
fn own_label_and_enclosing_labels() {
    let (pairs, escaped) = block_on(async {
        let mut pairs = Vec::new();
        async_for!('rows: row in count_to(4) {
            async_for!('cols: col in count_to(4) {
                if col > row {
                    continue 'rows;
                }
                if col == 1 && row == 1 {
                    continue 'cols;
                }
                pairs.push((row, col));
            });
        });
        // Break out of an enclosing plain loop from inside async_for!.
        let mut escaped = None;
        'outer: for round in 0..3u32 {
            async_for!(i in count_to(10) {
                if round == 1 && i == 7 {
                    escaped = Some((round, i));
                    break 'outer;
                }
            });
            assert_eq!(
                round, 0,
                "the outer loop must be left from inside async_for!"
            );
        }
        // And `break 'label value` out of an enclosing `loop`.
        #[allow(clippy::never_loop)] // it does "loop": the break comes from inside.
        let value = 'found: loop {
            async_for!(i in count_to(10) {
                if i == 4 {
                    break 'found i * 10;
                }
            });
            break 0;
        };
        assert_eq!(value, 40);
        (pairs, escaped)
    });
    assert_eq!(
        pairs,
        [
            (0, 0),
            (1, 0),
            (2, 0),
            (2, 1),
            (2, 2),
            (3, 0),
            (3, 1),
            (3, 2),
            (3, 3)
        ]
    );
    assert_eq!(escaped, Some((1, 7)));
}

#[derive(Debug, PartialEq)]
struct Point {
    x: i32,
    y: i32,
}

#[test]
fn destructuring_patterns() {
    let (sums, xs) = block_on(async {
        let mut sums = Vec::new();
        async_for!((a, (b, c)) in stream::iter([(1, (2, 3)), (4, (5, 6))]) {
            sums.push(a + b + c);
        });
        let mut xs = Vec::new();
        async_for!(Point { x, y: _ } in stream::iter([Point { x: 1, y: 2 }, Point { x: 3, y: 4 }]) {
            xs.push(x);
        });
        (sums, xs)
    });
    assert_eq!(sums, [6, 15]);
    assert_eq!(xs, [1, 3]);
}

#[test]
fn mut_binding_and_wildcard() {
    let n = block_on(async {
        let mut n = 0;
        async_for!(mut s in stream::iter([String::from("a"), String::from("b")]) {
            s.push('!');
            assert!(s.ends_with('!'));
            n += 1;
        });
        async_for!(_ in count_to(3) {
            n += 1;
        });
        n
    });
    assert_eq!(n, 5);
}

/// A stream that is `!Unpin`: `async_for!` pins it itself.
struct NotUnpin {
    left: u32,
    _pin: PhantomPinned,
}

impl Stream for NotUnpin {
    type Item = u32;
    fn poll_next(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Option<u32>> {
        // SAFETY: `left` is not structurally pinned.
        let this = unsafe { self.get_unchecked_mut() };
        if this.left == 0 {
            return Poll::Ready(None);
        }
        this.left -= 1;
        Poll::Ready(Some(this.left))
    }
}

#[test]
fn not_unpin_stream() {
    // Compiles only if `T` is `!Unpin` (the call is ambiguous otherwise).
    trait AmbiguousIfUnpin<A> {
        fn check(&self) {}
    }
    impl<T: ?Sized> AmbiguousIfUnpin<()> for T {}
    impl<T: ?Sized + Unpin> AmbiguousIfUnpin<u8> for T {}
    fn assert_not_unpin<T: AmbiguousIfUnpin<A>, A>(t: &T) {
        t.check();
    }
    let s = NotUnpin {
        left: 3,
        _pin: PhantomPinned,
    };
    assert_not_unpin(&s);
    assert_not_unpin(&count_to(2));
    let v = block_on(async {
        let mut v = Vec::new();
        async_for!(x in s {
            v.push(x);
        });
        // A generator is `!Unpin` too.
        async_for!(x in count_to(2) {
            v.push(x + 10);
        });
        v
    });
    assert_eq!(v, [2, 1, 0, 10, 11]);
}

#[test]
fn mut_ref_to_unpin_stream_resumes_after_break() {
    let rest = block_on(async {
        let mut s = stream::iter(0..6);
        async_for!(x in &mut s {
            if x == 2 {
                break;
            }
        });
        s.collect::<Vec<_>>().await
    });
    assert_eq!(rest, [3, 4, 5]);
}

#[test]
fn loop_is_a_unit_expression_and_shadowing_is_hygienic() {
    // A user variable with the name the expansion uses internally is unaffected.
    let __asyncio_stream = 41;
    let out = block_on(async {
        let mut last = 0;
        let () = async_for!(x in count_to(3) {
            last = x + __asyncio_stream;
        });
        last
    });
    assert_eq!(out, 43);
}

#[tokio::test]
async fn works_under_tokio_with_sleeps() {
    let s = generator(async |co| {
        for i in 0..3u32 {
            tokio::time::sleep(std::time::Duration::from_millis(1)).await;
            co.yield_(i).await;
        }
    });
    let mut v = Vec::new();
    async_for!(x in s {
        v.push(x);
    });
    assert_eq!(v, [0, 1, 2]);
}

#[test]
fn works_under_asyncio_run() {
    let v = asyncio::run(async {
        let mut v = Vec::new();
        async_for!(x in count_to(3).map(|x| x * 2) {
            v.push(x);
        });
        v
    });
    assert_eq!(v, [0, 2, 4]);
}

/// A stream written as a struct literal: counts down from `n`.
struct Ticker {
    n: u32,
}

impl Stream for Ticker {
    type Item = u32;

    fn poll_next(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Option<u32>> {
        if self.n == 0 {
            return Poll::Ready(None);
        }
        self.n -= 1;
        Poll::Ready(Some(self.n))
    }
}

#[test]
#[deny(unused_parens)] // the parentheses the macro needs are not "unnecessary" in its expansion
fn a_parenthesised_struct_literal_is_a_stream() {
    let got = asyncio::run(async {
        let mut got = Vec::new();
        async_for!(t in (Ticker { n: 3 }) {
            got.push(t);
        });
        got
    });
    assert_eq!(got, [2, 1, 0]);
}
