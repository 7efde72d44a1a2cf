// expected errors: 1
// A Task dropped at once is cancelled at once: the lint says so and names `.detach()`.
#![deny(unused_must_use)]

async fn heartbeat() {}

#[asyncio::async_main]
async fn main() {
    asyncio::spawn(heartbeat());
}
