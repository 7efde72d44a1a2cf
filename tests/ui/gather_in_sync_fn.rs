// expected errors: 1
// `gather!(…).await` outside async code: one error, at the user's `.await`.
async fn one() -> u32 {
    1
}

fn main() {
    let (a, b) = asyncio::gather!(one(), one()).await;
    println!("{a} {b}");
}
