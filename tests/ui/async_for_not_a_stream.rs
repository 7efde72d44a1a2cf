// expected errors: 1
async fn sum() -> i32 {
    let v: Vec<i32> = vec![1, 2, 3];
    let mut total = 0;
    asyncio::async_for!(x in v {
        total += x;
    });
    total
}

fn main() {
    let _ = sum();
}
