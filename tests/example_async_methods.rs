//! Runs the `async_methods` example on the paused clock: the async constructor, the
//! async `&self` method and the trait's async fn return the right values in exactly
//! the time they wait.

#[allow(dead_code)]
#[path = "../examples/async_methods.rs"]
mod async_methods;

use async_methods::{Cache, Database, UserSource, lookup_all};
use asyncio::runtime::Builder;
use asyncio::time::Instant;
use std::time::Duration;

fn some(s: &str) -> Option<String> {
    Some(s.to_owned())
}

#[test]
fn the_associated_async_fn_and_the_async_method() {
    Builder::new().start_paused(true).run(async {
        let start = Instant::now();
        let db = Database::connect("users").await;
        assert_eq!(start.elapsed(), Duration::from_millis(500));
        assert_eq!(db.name(), "users");

        assert_eq!(db.get(3).await, some("carol"));
        assert_eq!(db.get(9).await, None);
        assert_eq!(start.elapsed(), Duration::from_millis(2500));
    });
}

#[test]
fn the_trait_method_is_gathered_through_a_shared_borrow() {
    Builder::new().start_paused(true).run(async {
        let db = Database::connect("users").await;
        let start = Instant::now();
        let users = lookup_all(&db, &[1, 2, 3, 4]).await;
        assert_eq!(users, [some("alice"), some("bob"), some("carol"), None]);
        assert_eq!(
            start.elapsed(),
            Duration::from_secs(1),
            "four queries at once"
        );
    });
}

#[test]
fn another_implementation_of_the_trait_works_with_the_same_generic_code() {
    Builder::new().start_paused(true).run(async {
        let mut cache = Cache::default();
        cache.insert(2, "bob");
        let start = Instant::now();
        assert_eq!(lookup_all(&cache, &[1, 2]).await, [None, some("bob")]);
        assert_eq!(cache.user(2).await, some("bob"));
        assert_eq!(start.elapsed(), Duration::ZERO, "the cache never waits");
    });
}
