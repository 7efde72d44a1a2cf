//! Async methods: an async constructor, an async `&self` method, and an async fn in a
//! trait.
//!
//! - `Database::connect` is an associated `async fn` — Python's
//!   `@classmethod async def connect(cls, ...)` (Rust has no async `new`; an async
//!   associated function that returns `Self` is the idiom).
//! - `Database::get(&self, id)` is an async method. It borrows the database, so several
//!   lookups can be gathered at once without cloning it.
//! - `UserSource` is a trait with an `async fn` (native since Rust 1.75) — a Python
//!   `Protocol` with `async def` methods. `lookup_all` works with any implementation.
//!
//! ```text
//! cargo run --example async_methods
//! ```
//!
//! Python:
//!
//! ```python
//! class UserSource(Protocol):
//!     async def user(self, id: int) -> str | None: ...
//!
//! class Database:
//!     @classmethod
//!     async def connect(cls, name):
//!         await asyncio.sleep(0.5)              # the handshake
//!         return cls(name)
//!
//!     async def get(self, id):
//!         await asyncio.sleep(1)                # the query
//!         return USERS.get(id)
//!
//!     async def user(self, id):                 # satisfies UserSource
//!         return await self.get(id)
//!
//! async def lookup_all(source: UserSource, ids):
//!     return await asyncio.gather(*(source.user(i) for i in ids))
//!
//! async def main():
//!     db = await Database.connect("users")
//!     print(await lookup_all(db, [1, 2, 3]))
//!
//! asyncio.run(main())
//! ```
//!
//! One difference: a trait with an `async fn` cannot be used as `dyn UserSource` —
//! write generic code (`impl UserSource`, `<S: UserSource>`) instead. For a trait other
//! crates implement and call from spawned tasks, declare the method as
//! `fn user(&self, id: u32) -> impl Future<Output = Option<String>> + Send` so callers
//! know the future is `Send`.

use asyncio::prelude::*;
use std::collections::HashMap;
use std::time::Duration;

/// Anything users can be looked up in.
// rustc warns about `async fn` in a public trait because callers cannot require the
// returned future to be `Send`. That is fine for a trait used in one program; for a
// library trait, see the note on `Send` at the top of this file.
#[allow(async_fn_in_trait)]
pub trait UserSource {
    /// A short name for messages.
    fn name(&self) -> &str;

    /// The login of user `id`, if there is one.
    async fn user(&self, id: u32) -> Option<String>;
}

/// A (pretend) database: connecting takes 0.5 s, each query 1 s.
#[derive(Debug)]
pub struct Database {
    name: String,
    rows: HashMap<u32, String>,
}

impl Database {
    /// Connects to the database `name`: an associated async function.
    pub async fn connect(name: &str) -> Self {
        sleep(Duration::from_millis(500)).await; // the handshake
        let rows = [(1, "alice"), (2, "bob"), (3, "carol")];
        let rows = rows
            .into_iter()
            .map(|(id, login)| (id, login.to_owned()))
            .collect();
        println!("  connected to {name}");
        Database {
            name: name.to_owned(),
            rows,
        }
    }

    /// Queries one row: an async method borrowing `self`.
    pub async fn get(&self, id: u32) -> Option<String> {
        sleep(Duration::from_secs(1)).await; // the query
        self.rows.get(&id).cloned()
    }
}

impl UserSource for Database {
    fn name(&self) -> &str {
        &self.name
    }

    async fn user(&self, id: u32) -> Option<String> {
        self.get(id).await
    }
}

/// An in-memory cache: answers at once, knows only a few users.
#[derive(Debug, Default)]
pub struct Cache {
    entries: HashMap<u32, String>,
}

impl Cache {
    /// Remembers `login` for user `id`.
    pub fn insert(&mut self, id: u32, login: &str) {
        self.entries.insert(id, login.to_owned());
    }
}

impl UserSource for Cache {
    fn name(&self) -> &str {
        "cache"
    }

    async fn user(&self, id: u32) -> Option<String> {
        self.entries.get(&id).cloned() // no `.await` needed: an async fn may not wait
    }
}

/// Looks every id up in `source`, all at once: generic over the trait.
pub async fn lookup_all(source: &impl UserSource, ids: &[u32]) -> Vec<Option<String>> {
    gather_all(ids.iter().map(|&id| source.user(id))).await
}

#[asyncio::async_main]
async fn main() {
    let start = asyncio::time::Instant::now();
    let elapsed = || format!("{:.1} s", start.elapsed().as_secs_f64());

    let db = Database::connect("users").await;
    println!("connect: {}", elapsed());

    println!("db.get(2) = {:?}  ({})", db.get(2).await, elapsed());

    let ids = [1, 2, 3, 4];
    let users = lookup_all(&db, &ids).await; // four 1 s queries, gathered: 1 s
    println!("{}: {ids:?} -> {users:?}  ({})", db.name(), elapsed());

    let mut cache = Cache::default();
    cache.insert(2, "bob");
    let users = lookup_all(&cache, &ids).await;
    println!("{}: {ids:?} -> {users:?}  ({})", cache.name(), elapsed());
}
