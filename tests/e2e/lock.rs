//! One server per database, in-process: a second server on the same SQLite file or the same
//! PostgreSQL database is refused with a message naming the first; once the first stops,
//! the next one starts. (The binary, kill -9 and file modes: web/tests/cli.rs.)

use librekast_tests::*;
use librekast_web::{Config, Server};

async fn second_is_refused(url: &str) -> anyhow::Result<()> {
    let first = TestServer::start_on(url.to_string()).await?;
    let second = Server::start(Config::for_tests(url)).await;
    let message = second.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(message.contains("another LibreKast server"), "{message:?}");
    if url.starts_with("sqlite") {
        let pid = format!("pid {}", std::process::id());
        assert!(message.contains(&pid), "names the holder: {message:?}");
    }
    first.server.shutdown().await;
    let third = Server::start(Config::for_tests(url)).await?;
    third.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_second_server_is_refused() -> anyhow::Result<()> {
    second_is_refused(&temp_sqlite_url("lock")).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_second_server_is_refused() -> anyhow::Result<()> {
    let Some(pg) = PgDatabase::create("lock").await? else {
        return Ok(());
    };
    let result = second_is_refused(&pg.url).await;
    pg.drop_database().await?;
    result
}
