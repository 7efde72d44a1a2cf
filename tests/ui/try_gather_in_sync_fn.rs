// expected errors: 1
// `try_gather!(…).await` outside async code: one error, at the user's `.await`.
async fn parse(s: &str) -> Result<u32, std::num::ParseIntError> {
    s.parse()
}

fn main() {
    let r = asyncio::try_gather!(parse("1"), parse("2")).await;
    println!("{r:?}");
}
