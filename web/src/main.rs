//! `librekast`: the server (default) and the operator commands.

use std::io::{BufRead, Read};
use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use librekast_loadtest as loadtest;
use librekast_storage::{MeetingFile, MeetingId, Store};
use librekast_web::config::{DEFAULT_BIND, DEFAULT_DATABASE_URL};
use librekast_web::{Config, Server, auth};
use tracing_subscriber::EnvFilter;

#[derive(Parser)]
#[command(
    name = "librekast",
    version,
    about = "Real-time polls, quizzes, word clouds and flags for meetings and streams"
)]
struct Cli {
    /// Database: a SQLite file (default) or PostgreSQL.
    #[arg(long, global = true, env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL)]
    database_url: String,
    /// Log format: `text` or `json`.
    #[arg(
        long,
        global = true,
        env = "LIBREKAST_LOG_FORMAT",
        default_value = "text"
    )]
    log_format: String,
    #[command(subcommand)]
    command: Option<Cmd>,
}

#[derive(Subcommand)]
enum Cmd {
    /// Serve the web app and the WebSocket API (the default).
    Serve {
        /// Address to listen on.
        #[arg(long, env = "LIBREKAST_BIND", default_value = DEFAULT_BIND)]
        bind: String,
        /// Open connections at most.
        #[arg(long, env = "LIBREKAST_MAX_CONNECTIONS", default_value_t = 20_000)]
        max_connections: usize,
        /// The address participants open (shown and encoded in the join QR code), e.g.
        /// https://quiz.example.org. Default: the address the presenter screen was opened with.
        #[arg(long, env = "LIBREKAST_PUBLIC_URL")]
        public_url: Option<String>,
    },
    /// Manage staff accounts.
    User {
        #[command(subcommand)]
        command: UserCmd,
    },
    /// Import and export meetings.
    Meeting {
        #[command(subcommand)]
        command: MeetingCmd,
    },
    /// Drive a running server with simulated participants and report latencies.
    Loadtest(loadtest::Args),
}

#[derive(Subcommand)]
enum UserCmd {
    /// Create a staff account, or set a new password for an existing one.
    Add {
        name: String,
        /// Read the password from the first line of standard input.
        #[arg(long, required = true)]
        password_stdin: bool,
    },
}

#[derive(Subcommand)]
enum MeetingCmd {
    /// Import a meeting file (`-` for standard input); prints the new meeting's id last.
    Import { file: PathBuf },
    /// Print a meeting as a file that imports back identically.
    Export { id: i64 },
}

fn init_logging(format: &str, default_level: &str) -> anyhow::Result<()> {
    let filter =
        EnvFilter::try_from_env("LIBREKAST_LOG").unwrap_or_else(|_| EnvFilter::new(default_level));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        "json" => builder.json().init(),
        "text" => builder.init(),
        other => bail!("LIBREKAST_LOG_FORMAT={other:?} is not supported: use text or json"),
    }
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let serving = matches!(cli.command, None | Some(Cmd::Serve { .. }));
    init_logging(&cli.log_format, if serving { "info" } else { "warn" })?;
    match cli.command {
        None => {
            serve(
                &cli.database_url,
                &std::env::var("LIBREKAST_BIND").unwrap_or_else(|_| DEFAULT_BIND.into()),
                max_connections_from_env()?,
                std::env::var("LIBREKAST_PUBLIC_URL").ok().as_deref(),
            )
            .await
        }
        Some(Cmd::Serve {
            bind,
            max_connections,
            public_url,
        }) => {
            serve(
                &cli.database_url,
                &bind,
                max_connections,
                public_url.as_deref(),
            )
            .await
        }
        Some(Cmd::User {
            command:
                UserCmd::Add {
                    name,
                    password_stdin: _,
                },
        }) => user_add(&cli.database_url, &name).await,
        Some(Cmd::Meeting {
            command: MeetingCmd::Import { file },
        }) => meeting_import(&cli.database_url, &file).await,
        Some(Cmd::Meeting {
            command: MeetingCmd::Export { id },
        }) => meeting_export(&cli.database_url, id).await,
        Some(Cmd::Loadtest(args)) => loadtest::run(args).await,
    }
}

fn max_connections_from_env() -> anyhow::Result<usize> {
    match std::env::var("LIBREKAST_MAX_CONNECTIONS") {
        Ok(v) => v.trim().parse().with_context(|| {
            format!("LIBREKAST_MAX_CONNECTIONS={v:?} is not a number (default 20000)")
        }),
        Err(_) => Ok(20_000),
    }
}

async fn serve(
    database_url: &str,
    bind: &str,
    max_connections: usize,
    public_url: Option<&str>,
) -> anyhow::Result<()> {
    let config = Config::new(bind, database_url, max_connections)?.with_public_url(public_url)?;
    // Every connection holds a file descriptor; shells often start at a soft limit of 1024.
    match loadtest::sys::raise_nofile_limit() {
        Ok((soft, _)) if soft < max_connections as u64 => tracing::warn!(
            open_files = soft,
            max_connections,
            "the open-file limit is below LIBREKAST_MAX_CONNECTIONS: connections beyond it will fail; raise `ulimit -Hn` or lower LIBREKAST_MAX_CONNECTIONS"
        ),
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "could not raise the open-file limit"),
    }
    let server = Server::start(config).await?;
    println!("LibreKast is running on {} (Ctrl-C to stop)", server.url());
    shutdown_signal().await;
    tracing::info!("shutting down: closing connections and flushing writes");
    server.shutdown().await;
    Ok(())
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = tokio::signal::ctrl_c().await;
                    return;
                }
            };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
}

async fn open(database_url: &str) -> anyhow::Result<Store> {
    Config::new(DEFAULT_BIND, database_url, 1)?;
    Ok(Store::connect(database_url).await?)
}

async fn user_add(database_url: &str, name: &str) -> anyhow::Result<()> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 64 {
        bail!("the user name must be 1 to 64 characters");
    }
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("reading the password from standard input")?;
    let password = line
        .strip_suffix('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .unwrap_or(&line);
    if password.is_empty() {
        bail!(
            "empty password: pipe it in, e.g. `echo 'my password' | librekast user add {name} --password-stdin`"
        );
    }
    let hash = auth::hash_password(password)?;
    let store = open(database_url).await?;
    store.put_user(name, &hash).await?;
    println!("staff user {name:?} saved");
    Ok(())
}

async fn meeting_import(database_url: &str, file: &PathBuf) -> anyhow::Result<()> {
    let mut text = String::new();
    if file.as_os_str() == "-" {
        std::io::stdin()
            .read_to_string(&mut text)
            .context("reading standard input")?;
    } else {
        text =
            std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    }
    let meeting: MeetingFile = serde_json::from_str(&text).with_context(|| {
        format!(
            "{} is not a valid meeting file (see docs/meeting-file.md)",
            file.display()
        )
    })?;
    meeting.validate()?;
    let store = open(database_url).await?;
    let id = store.import_meeting(&meeting).await?;
    println!("{id}");
    Ok(())
}

async fn meeting_export(database_url: &str, id: i64) -> anyhow::Result<()> {
    let store = open(database_url).await?;
    let file = match store.export_meeting(MeetingId(id)).await {
        Err(librekast_storage::StorageError::NotFound) => bail!("no meeting with id {id}"),
        other => other?,
    };
    println!("{}", serde_json::to_string_pretty(&file)?);
    Ok(())
}
