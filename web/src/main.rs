//! `librekast`: the server (default) and the operator commands.

use std::io::{BufRead, Read};
use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use librekast_adapters as adapters;
use librekast_loadtest as loadtest;

mod backup;
mod connect;
use librekast_storage::{MeetingFile, MeetingId, Role, Store};
use librekast_web::config::{
    DEFAULT_BIND, DEFAULT_DATABASE_URL, DEFAULT_IDLE_SECS, DEFAULT_SESSION_IDLE_SECS,
    DEFAULT_SESSION_MAX_SECS,
};
use librekast_web::{Config, Server, auth};
use tracing_subscriber::EnvFilter;

#[derive(Parser)]
#[command(
    name = "librekast",
    version,
    args_conflicts_with_subcommands = true,
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
    /// `serve`'s settings when no command is given.
    #[command(flatten)]
    serve: ServeArgs,
}

/// `librekast serve`'s settings (also used when no command is given). Each has its
/// `LIBREKAST_*` variable; docs/configuration.md and docs/security.md describe them.
#[derive(clap::Args, Clone)]
struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "LIBREKAST_BIND", default_value = DEFAULT_BIND)]
    bind: String,
    /// Open connections at most.
    #[arg(long, env = "LIBREKAST_MAX_CONNECTIONS", default_value_t = 20_000)]
    max_connections: usize,
    /// Open connections from one client address at most (default: --max-connections; a
    /// venue's phones often share one NAT address, so keep it high there).
    #[arg(long, env = "LIBREKAST_MAX_CONNECTIONS_PER_IP")]
    max_connections_per_ip: Option<usize>,
    /// The address participants open (shown and encoded in the join QR code), e.g.
    /// https://quiz.example.org. Default: the address the presenter screen was opened with.
    #[arg(long, env = "LIBREKAST_PUBLIC_URL")]
    public_url: Option<String>,
    /// Seconds a meeting with no connection and no running chat source stays in memory.
    #[arg(long, env = "LIBREKAST_IDLE_SECS", default_value_t = DEFAULT_IDLE_SECS)]
    idle_secs: u64,
    /// Directory for the server's own files (default: the SQLite file's directory;
    /// required with PostgreSQL).
    #[arg(long, env = "LIBREKAST_DATA_DIR")]
    data_dir: Option<String>,
    /// Other origins (scheme://host[:port], comma-separated) whose pages may use the staff
    /// cookie, join, log in or out.
    #[arg(long, env = "LIBREKAST_ALLOWED_ORIGINS")]
    allowed_origins: Option<String>,
    /// Proxies (addresses or CIDR ranges, comma-separated) whose X-Forwarded-* headers
    /// count. Default: loopback.
    #[arg(long, env = "LIBREKAST_TRUSTED_PROXIES")]
    trusted_proxies: Option<String>,
    /// Host names (with an optional :port, comma-separated) accepted in links and QR codes.
    #[arg(long, env = "LIBREKAST_ALLOWED_HOSTS")]
    allowed_hosts: Option<String>,
    /// Seconds a staff session may stay unused before it ends.
    #[arg(long, env = "LIBREKAST_SESSION_IDLE_SECS", default_value_t = DEFAULT_SESSION_IDLE_SECS)]
    session_idle_secs: u64,
    /// Seconds after login a staff session ends, used or not.
    #[arg(long, env = "LIBREKAST_SESSION_MAX_SECS", default_value_t = DEFAULT_SESSION_MAX_SECS)]
    session_max_secs: u64,
    /// The largest file the media store takes, in bytes (videos and images for alerts).
    #[arg(long, env = "LIBREKAST_MEDIA_MAX_BYTES", default_value_t = librekast_web::config::DEFAULT_MEDIA_MAX_BYTES)]
    media_max_bytes: u64,
    /// Where Prometheus scrapes `GET /metrics` (a separate listener, e.g. 127.0.0.1:9100);
    /// off when unset.
    #[arg(long, env = "LIBREKAST_METRICS_BIND")]
    metrics_bind: Option<String>,
    #[command(flatten)]
    platforms: PlatformArgs,
}

/// Twitch and YouTube: the apps that connect accounts, the secret key that seals their
/// tokens, and the platforms' addresses (real by default; tests and proxies change them).
/// docs/streaming.md says how to register the apps.
#[derive(clap::Args, Clone)]
struct PlatformArgs {
    /// Seals platform tokens at rest: 64 hex digits (`openssl rand -hex 32`). Default on
    /// SQLite: `secret.key` in the data directory, generated on first use; required with
    /// PostgreSQL.
    #[arg(long, env = "LIBREKAST_SECRET_KEY", hide_env_values = true)]
    secret_key: Option<String>,
    /// The Twitch application's client id (https://dev.twitch.tv/console).
    #[arg(long, env = "LIBREKAST_TWITCH_CLIENT_ID")]
    twitch_client_id: Option<String>,
    /// Only for a confidential Twitch client (a public one has no secret).
    #[arg(long, env = "LIBREKAST_TWITCH_CLIENT_SECRET", hide_env_values = true)]
    twitch_client_secret: Option<String>,
    /// Google "Web application" OAuth client (dashboard sign-in, posting, refreshing).
    #[arg(long, env = "LIBREKAST_GOOGLE_CLIENT_ID")]
    google_client_id: Option<String>,
    #[arg(long, env = "LIBREKAST_GOOGLE_CLIENT_SECRET", hide_env_values = true)]
    google_client_secret: Option<String>,
    /// Google "TVs and Limited Input devices" OAuth client (`librekast connect youtube`).
    #[arg(long, env = "LIBREKAST_GOOGLE_DEVICE_CLIENT_ID")]
    google_device_client_id: Option<String>,
    #[arg(
        long,
        env = "LIBREKAST_GOOGLE_DEVICE_CLIENT_SECRET",
        hide_env_values = true
    )]
    google_device_client_secret: Option<String>,
    /// Twitch chat: tls://HOST:PORT, or tcp://HOST:PORT for plain TCP.
    #[arg(long, env = "LIBREKAST_TWITCH_IRC_URL", default_value = adapters::config::TWITCH_IRC_URL)]
    twitch_irc_url: String,
    #[arg(long, env = "LIBREKAST_TWITCH_ID_URL", default_value = adapters::config::TWITCH_ID_URL)]
    twitch_id_url: String,
    #[arg(long, env = "LIBREKAST_TWITCH_API_URL", default_value = adapters::config::TWITCH_API_URL)]
    twitch_api_url: String,
    #[arg(long, env = "LIBREKAST_TWITCH_EVENTSUB_URL", default_value = adapters::config::TWITCH_EVENTSUB_URL)]
    twitch_eventsub_url: String,
    #[arg(long, env = "LIBREKAST_YOUTUBE_API_URL", default_value = adapters::config::YOUTUBE_API_URL)]
    youtube_api_url: String,
    #[arg(long, env = "LIBREKAST_GOOGLE_AUTH_URL", default_value = adapters::config::GOOGLE_AUTH_URL)]
    google_auth_url: String,
    #[arg(long, env = "LIBREKAST_GOOGLE_TOKEN_URL", default_value = adapters::config::GOOGLE_TOKEN_URL)]
    google_token_url: String,
    #[arg(long, env = "LIBREKAST_GOOGLE_DEVICE_URL", default_value = adapters::config::GOOGLE_DEVICE_URL)]
    google_device_url: String,
    /// The YouTube Data API project's daily quota in units (Google's default 10,000; raise it
    /// after Google granted more): the dashboard's meter and the reserve kept for reading.
    #[arg(long, env = "LIBREKAST_YOUTUBE_DAILY_QUOTA", default_value_t = adapters::config::YOUTUBE_DAILY_LIMIT)]
    youtube_daily_quota: i64,
}

fn client(id: &Option<String>, secret: &Option<String>) -> Option<adapters::OAuthClient> {
    id.as_ref()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .map(|id| adapters::OAuthClient {
            id,
            secret: secret
                .as_ref()
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty()),
        })
}

impl PlatformArgs {
    fn config(&self, public_url: Option<&str>) -> adapters::PlatformConfig {
        adapters::PlatformConfig {
            twitch: client(&self.twitch_client_id, &self.twitch_client_secret),
            google_web: client(&self.google_client_id, &self.google_client_secret),
            google_device: client(
                &self.google_device_client_id,
                &self.google_device_client_secret,
            ),
            public_url: public_url.map(|u| u.trim_end_matches('/').to_string()),
            twitch_irc_url: self.twitch_irc_url.clone(),
            twitch_id_url: self.twitch_id_url.clone(),
            twitch_api_url: self.twitch_api_url.clone(),
            twitch_eventsub_url: self.twitch_eventsub_url.clone(),
            youtube_api_url: self.youtube_api_url.clone(),
            google_auth_url: self.google_auth_url.clone(),
            google_token_url: self.google_token_url.clone(),
            google_device_url: self.google_device_url.clone(),
            youtube_timing: adapters::config::YoutubeTiming {
                daily_limit: self.youtube_daily_quota.max(1),
                ..adapters::config::YoutubeTiming::default()
            },
            ..adapters::PlatformConfig::default()
        }
    }
}

impl ServeArgs {
    fn config(&self, database_url: &str) -> anyhow::Result<Config> {
        Ok(Config::new(&self.bind, database_url, self.max_connections)?
            .with_max_connections_per_ip(self.max_connections_per_ip)
            .with_public_url(self.public_url.as_deref())?
            .with_idle_secs(self.idle_secs)?
            .with_data_dir(self.data_dir.as_deref())?
            .with_allowed_origins(self.allowed_origins.as_deref())?
            .with_trusted_proxies(self.trusted_proxies.as_deref())?
            .with_allowed_hosts(self.allowed_hosts.as_deref())?
            .with_session_limits(self.session_idle_secs, self.session_max_secs)?
            .with_media_max_bytes(self.media_max_bytes)?
            .with_metrics_bind(self.metrics_bind.as_deref())?
            .with_platforms(self.platforms.config(self.public_url.as_deref()))?
            .with_secret_key(self.platforms.secret_key.as_deref()))
    }
}

#[derive(Subcommand)]
enum Cmd {
    /// Serve the web app and the WebSocket API (the default).
    Serve(ServeArgs),
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
    /// Connect a Twitch or YouTube account for a staff user (its meetings' sources read and
    /// post with it). Twitch: prints a URL and a code to approve, and waits.
    Connect(ConnectArgs),
    /// Remove a staff user's Twitch or YouTube account (its tokens are deleted).
    Disconnect(DisconnectArgs),
    /// Write one archive (FILE, or `-` for standard output) with a consistent copy of the
    /// SQLite database, taken while the server runs, and the data directory's media files
    /// and secret key.
    Backup(backup::BackupArgs),
    /// Restore an archive made by `backup` into the database and data directory. Refused
    /// while a server uses the database; what it replaces is kept aside.
    Restore(backup::RestoreArgs),
    /// Drive a running server with simulated participants and report latencies.
    Loadtest(loadtest::Args),
    /// The load test's null server, started by `loadtest --floor` in a process of its own.
    #[command(hide = true, name = loadtest::floor::CHILD_COMMAND)]
    FloorServer,
}

#[derive(Subcommand)]
enum UserCmd {
    /// Create a staff account, or set a new password for an existing one.
    Add {
        name: String,
        /// Read the password from the first line of standard input.
        #[arg(long, required = true)]
        password_stdin: bool,
        /// `admin` (every meeting, manages users) or `organizer` (their own and shared
        /// meetings). A new account without it is an admin; an existing one keeps its role
        /// unless it is given.
        #[arg(long, value_enum)]
        role: Option<RoleArg>,
    },
    /// Set a new password for an existing account; every session of it ends (open
    /// dashboards are closed within seconds, also on a running server).
    Passwd {
        name: String,
        /// Read the password from the first line of standard input.
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    /// Remove an account: its sessions end, its meetings become admins-only.
    Remove { name: String },
    /// List the accounts: name, role, last login.
    List,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum PlatformArg {
    Twitch,
    Youtube,
}

impl PlatformArg {
    fn platform(self) -> librekast_storage::Platform {
        match self {
            PlatformArg::Twitch => librekast_storage::Platform::Twitch,
            PlatformArg::Youtube => librekast_storage::Platform::Youtube,
        }
    }
}

#[derive(clap::Args)]
struct ConnectArgs {
    #[arg(value_enum)]
    platform: PlatformArg,
    /// The staff account it is for (default: the only one; required when there are several).
    #[arg(long, value_name = "NAME")]
    user: Option<String>,
    /// Twitch: read an existing user access token from standard input (and a refresh token
    /// from a second line), for servers without a browser.
    #[arg(long)]
    token_stdin: bool,
    /// YouTube: read a refresh token of the web client from standard input.
    #[arg(long)]
    refresh_token_stdin: bool,
    /// Directory of the server's own files, where the secret key lives on SQLite.
    #[arg(long, env = "LIBREKAST_DATA_DIR")]
    data_dir: Option<String>,
    #[command(flatten)]
    platforms: PlatformArgs,
}

#[derive(clap::Args)]
struct DisconnectArgs {
    #[arg(value_enum)]
    platform: PlatformArg,
    #[arg(long, value_name = "NAME")]
    user: Option<String>,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum RoleArg {
    Admin,
    Organizer,
}

impl From<RoleArg> for Role {
    fn from(r: RoleArg) -> Role {
        match r {
            RoleArg::Admin => Role::Admin,
            RoleArg::Organizer => Role::Organizer,
        }
    }
}

#[derive(Subcommand)]
enum MeetingCmd {
    /// Import a meeting file (`-` for standard input); prints the new meeting's id last.
    Import {
        file: PathBuf,
        /// The staff account that owns the meeting (an organizer controls the meetings they
        /// own). Without it the meeting belongs to no organizer: only admins control it.
        #[arg(long, value_name = "NAME")]
        owner: Option<String>,
    },
    /// Print a meeting as a file that imports back identically. Media files it refers to
    /// (`"media": "ID"`) are not included: a note on standard error lists their ids.
    Export { id: i64 },
    /// Print a meeting's results: per activity the counts (correct choice marked) or the
    /// top words, the flags, the scoreboard's top 10 and participation by platform.
    Results {
        id: i64,
        /// Print every vote, word and flag capture as CSV instead (exactly what
        /// `GET /api/meetings/ID/results.csv` sends, byte order mark included).
        #[arg(long)]
        csv: bool,
    },
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
    let serving = matches!(cli.command, None | Some(Cmd::Serve(_)));
    init_logging(&cli.log_format, if serving { "info" } else { "warn" })?;
    match cli.command {
        None => serve(cli.serve.config(&cli.database_url)?).await,
        Some(Cmd::Serve(args)) => serve(args.config(&cli.database_url)?).await,
        Some(Cmd::User {
            command:
                UserCmd::Add {
                    name,
                    password_stdin: _,
                    role,
                },
        }) => user_add(&cli.database_url, &name, role.map(Role::from)).await,
        Some(Cmd::User {
            command: UserCmd::Passwd { name, .. },
        }) => user_passwd(&cli.database_url, &name).await,
        Some(Cmd::User {
            command: UserCmd::Remove { name },
        }) => user_remove(&cli.database_url, &name).await,
        Some(Cmd::User {
            command: UserCmd::List,
        }) => user_list(&cli.database_url).await,
        Some(Cmd::Meeting {
            command: MeetingCmd::Import { file, owner },
        }) => meeting_import(&cli.database_url, &file, owner.as_deref()).await,
        Some(Cmd::Meeting {
            command: MeetingCmd::Export { id },
        }) => meeting_export(&cli.database_url, id).await,
        Some(Cmd::Meeting {
            command: MeetingCmd::Results { id, csv },
        }) => meeting_results(&cli.database_url, id, csv).await,
        Some(Cmd::Connect(args)) => connect::connect(&cli.database_url, args).await,
        Some(Cmd::Disconnect(args)) => connect::disconnect(&cli.database_url, args).await,
        Some(Cmd::Backup(args)) => backup::backup(&cli.database_url, args).await,
        Some(Cmd::Restore(args)) => backup::restore(&cli.database_url, args).await,
        Some(Cmd::Loadtest(args)) => {
            // The floor runs as this same binary in a child process.
            let floor_exe = std::env::current_exe().ok();
            loadtest::run(loadtest::Args { floor_exe, ..args }).await
        }
        Some(Cmd::FloorServer) => loadtest::floor::serve_child().await,
    }
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let max_connections = config.max_connections;
    // Every connection holds a file descriptor; shells often start at a soft limit of 1024.
    // (Plus a margin for the database, its journal and the listener.)
    match loadtest::sys::raise_nofile_limit(max_connections as u64 + 256) {
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

/// The first line of standard input, without its line ending; an empty one is refused.
fn password_from_stdin(example: &str) -> anyhow::Result<String> {
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
        bail!("empty password: pipe it in, e.g. `echo 'my password' | {example}`");
    }
    Ok(password.to_string())
}

async fn user_add(database_url: &str, name: &str, role: Option<Role>) -> anyhow::Result<()> {
    let name = name.trim();
    if librekast_engine::text::clean(name, 64).as_deref() != Some(name) {
        bail!("the user name must be 1 to 64 visible characters");
    }
    let password = password_from_stdin(&format!("librekast user add {name} --password-stdin"))?;
    let hash = auth::hash_password(&password)?;
    let store = open(database_url).await?;
    store.put_user_with_role(name, &hash, role).await?;
    let role = store
        .find_user(name)
        .await?
        .map(|u| u.role.code())
        .unwrap_or("?");
    println!("staff user {name:?} saved ({role})");
    Ok(())
}

async fn user_passwd(database_url: &str, name: &str) -> anyhow::Result<()> {
    let name = name.trim();
    let store = open(database_url).await?;
    let Some(user) = store.find_user(name).await? else {
        bail!("no staff account {name:?} (see `librekast user list`)");
    };
    let password = password_from_stdin(&format!("librekast user passwd {name} --password-stdin"))?;
    let hash = auth::hash_password(&password)?;
    let ended = store.change_password(user.id, &hash, None).await?;
    println!("password of {name:?} changed; {ended} session(s) ended");
    Ok(())
}

async fn user_remove(database_url: &str, name: &str) -> anyhow::Result<()> {
    let name = name.trim();
    let store = open(database_url).await?;
    if !store.remove_user(name).await? {
        bail!("no staff account {name:?} (see `librekast user list`)");
    }
    println!("staff user {name:?} removed; their sessions ended");
    Ok(())
}

async fn user_list(database_url: &str) -> anyhow::Result<()> {
    let store = open(database_url).await?;
    let users = store.list_users().await?;
    let width = users
        .iter()
        .map(|u| u.username.chars().count())
        .max()
        .unwrap_or(4)
        .max(4);
    println!("{:<width$}  {:<9}  last login", "name", "role");
    for u in users {
        let last = u
            .last_login_at
            .map(librekast_storage::rfc3339)
            .unwrap_or_else(|| "never".into());
        println!("{:<width$}  {:<9}  {last}", u.username, u.role.code());
    }
    Ok(())
}

async fn meeting_import(
    database_url: &str,
    file: &PathBuf,
    owner: Option<&str>,
) -> anyhow::Result<()> {
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
    let mut meeting = meeting.without_ids();
    meeting.fill_slugs();
    let problems = meeting.problems();
    if !problems.is_empty() {
        let list: Vec<String> = problems
            .iter()
            .map(|p| format!("  - {}", p.message))
            .collect();
        bail!(
            "invalid meeting file: {} problem(s), nothing imported:\n{}",
            problems.len(),
            list.join("\n")
        );
    }
    let store = open(database_url).await?;
    let owner = match owner {
        Some(name) => match store.find_user(name.trim()).await? {
            Some(u) => Some(u.id),
            None => bail!(
                "no staff account {name:?}: create it first with `librekast user add {name} --role organizer --password-stdin`"
            ),
        },
        None => None,
    };
    let id = store.create_meeting(&meeting, owner).await?;
    println!("{id}");
    Ok(())
}

async fn meeting_results(database_url: &str, id: i64, csv: bool) -> anyhow::Result<()> {
    use std::io::Write;
    let store = open(database_url).await?;
    let results = match store.meeting_results(MeetingId(id)).await {
        Err(librekast_storage::StorageError::NotFound) => bail!("no meeting with id {id}"),
        other => other?,
    };
    let text = if csv {
        librekast_web::results::csv(&results)
    } else {
        librekast_web::results::summary(&results)
    };
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()?;
    Ok(())
}

async fn meeting_export(database_url: &str, id: i64) -> anyhow::Result<()> {
    let store = open(database_url).await?;
    let file = match store.export_meeting(MeetingId(id)).await {
        Err(librekast_storage::StorageError::NotFound) => bail!("no meeting with id {id}"),
        other => other?,
    };
    println!("{}", serde_json::to_string_pretty(&file)?);
    let media = referenced_media(&file);
    if !media.is_empty() {
        let files = if media.len() == 1 { "file" } else { "files" };
        eprintln!(
            "note: media files are not included in the export. This meeting refers to {} media {files}: {}. Copy them from the media/ folder of the data directory, or upload them again on the other server and put the new ids in the file.",
            media.len(),
            media.join(", ")
        );
    }
    Ok(())
}

/// The media ids a meeting file refers to (`"media": "ID"`), each once, in order.
fn referenced_media(file: &MeetingFile) -> Vec<String> {
    let mut ids: Vec<String> = Vec::new();
    for bot in &file.bots {
        if let librekast_storage::Bot::Revolution {
            media: Some(id), ..
        } = bot
            && !id.trim().is_empty()
            && !ids.contains(id)
        {
            ids.push(id.clone());
        }
    }
    ids
}
