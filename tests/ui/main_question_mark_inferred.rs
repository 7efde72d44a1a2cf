// expected errors: 1
// With no `From` impl on the error type, rustc infers the error type of `parse` from
// the `?` and reports the mismatch at `parse`, exactly as in a plain `async fn`.
#[derive(Debug)]
struct AppError;

#[asyncio::async_main]
async fn main() -> Result<(), AppError> {
    let port: u16 = "8080".parse()?;
    println!("{port}");
    Ok(())
}
