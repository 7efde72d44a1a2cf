// expected errors: 1
#[derive(Debug)]
enum AppError {
    Io(std::io::Error),
}

impl From<std::io::Error> for AppError {
    fn from(e: std::io::Error) -> Self {
        AppError::Io(e)
    }
}

#[asyncio::async_main]
async fn main() -> Result<(), AppError> {
    let config = std::fs::read_to_string("app.toml")?;
    let port: u16 = config.trim().parse()?;
    println!("{port}");
    Ok(())
}
