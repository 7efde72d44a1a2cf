// expected errors: 1
// `race!(…).await` outside async code: one error, at the user's `.await`.
async fn one() -> u32 {
    1
}

fn main() {
    let first = asyncio::race!(one(), one()).await;
    println!("{first}");
}
