// expected errors: 1
// `.await` is only allowed in async code, as in Python.
async fn fetch() -> u32 {
    1
}

fn main() {
    let n = fetch().await;
    println!("{n}");
}
