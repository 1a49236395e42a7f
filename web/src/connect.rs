//! `librekast connect` / `librekast disconnect`: a staff user's Twitch or YouTube account
//! from the command line (device flows print a URL and a code; `--token-stdin` takes an
//! existing token on servers without a browser).

use std::io::BufRead;

use anyhow::{Context, bail};
use librekast_adapters as adapters;
use librekast_adapters::accounts::{save_twitch_response, save_twitch_tokens};
use librekast_storage::{Backend, KeySource, SecretKey, Store, UserId};
use librekast_web::Config;
use librekast_web::config::DEFAULT_BIND;

use super::{ConnectArgs, DisconnectArgs, PlatformArg, open};

/// The staff user named, or the only one; several and none named is an error that lists them.
async fn pick_user(store: &Store, name: Option<&str>) -> anyhow::Result<(UserId, String)> {
    if let Some(name) = name {
        let name = name.trim();
        return match store.find_user(name).await? {
            Some(u) => Ok((u.id, u.username)),
            None => bail!("no staff account {name:?} (see `librekast user list`)"),
        };
    }
    let users = store.list_users().await?;
    match users.as_slice() {
        [only] => Ok((only.id, only.username.clone())),
        [] => bail!(
            "no staff account yet: create one with `librekast user add NAME --password-stdin`"
        ),
        several => {
            let names: Vec<&str> = several.iter().map(|u| u.username.as_str()).collect();
            bail!(
                "there are several staff accounts ({}): say which one with --user NAME",
                names.join(", ")
            )
        }
    }
}

/// Lines of standard input: the first is required, the rest optional.
fn stdin_lines(what: &str, example: &str) -> anyhow::Result<Vec<String>> {
    let lines: Vec<String> = std::io::stdin()
        .lock()
        .lines()
        .take(2)
        .collect::<Result<_, _>>()
        .context("reading standard input")?;
    let lines: Vec<String> = lines
        .into_iter()
        .map(|l| l.trim().to_string())
        .filter(|l| !l.is_empty())
        .collect();
    if lines.is_empty() {
        bail!("no {what} on standard input: pipe it in, e.g. `{example}`");
    }
    Ok(lines)
}

pub async fn connect(database_url: &str, args: ConnectArgs) -> anyhow::Result<()> {
    // PostgreSQL needs a data directory only for a generated key; a set key needs none.
    let data_dir =
        match Config::new(DEFAULT_BIND, database_url, 1)?.with_data_dir(args.data_dir.as_deref()) {
            Ok(config) => config.data_dir,
            Err(_) if args.platforms.secret_key.is_some() => None,
            Err(e) => return Err(e.into()),
        };
    let store = open(database_url).await?;
    let postgres = store.backend() == Backend::Postgres;
    let (key, source) = SecretKey::load(
        args.platforms.secret_key.as_deref(),
        data_dir.as_deref(),
        postgres,
    )?;
    if let KeySource::Generated(path) = &source {
        eprintln!(
            "generated the secret key that seals platform tokens: {} (back it up with the database; without it stored tokens cannot be read)",
            path.display()
        );
    }
    let store = store.with_secret_key(key);
    let (user, username) = pick_user(&store, args.user.as_deref()).await?;
    adapters::irc_transport::install_crypto_provider();
    let env = adapters::AdapterEnv::new(store.clone(), args.platforms.config(None))?;
    match args.platform {
        PlatformArg::Twitch => {
            if args.refresh_token_stdin {
                bail!("--refresh-token-stdin is for YouTube; for Twitch use --token-stdin");
            }
            let record = if args.token_stdin {
                let lines = stdin_lines(
                    "access token",
                    "printf '%s\\n%s\\n' ACCESS_TOKEN REFRESH_TOKEN | librekast connect twitch --token-stdin",
                )?;
                let access = lines[0].trim_start_matches("oauth:");
                save_twitch_tokens(
                    &store,
                    &env.twitch,
                    user,
                    access,
                    lines.get(1).map(String::as_str),
                )
                .await?
            } else {
                let start = env.twitch.start_device().await?;
                println!("To connect a Twitch account for {username}:");
                println!("  1. open {}", start.verification_uri);
                println!("  2. check that it shows the code {}", start.user_code);
                println!(
                    "  3. approve (waiting up to {} minutes; Ctrl-C to give up)",
                    start.expires_in.div_ceil(60)
                );
                let tokens = env.twitch.wait_device(&start).await?;
                save_twitch_response(&store, &env.twitch, user, &tokens).await?
            };
            let posting = if record.scopes.iter().any(|s| s == "chat:edit") {
                "read and post"
            } else {
                "read (no chat:edit scope: cannot post)"
            };
            println!(
                "connected Twitch account {} for staff user {username}: its meetings' Twitch sources {posting} with it",
                record.login
            );
            Ok(())
        }
        PlatformArg::Youtube => connect_youtube(&env, user, &username, &args).await,
    }
}

async fn connect_youtube(
    env: &adapters::AdapterEnv,
    user: UserId,
    username: &str,
    args: &ConnectArgs,
) -> anyhow::Result<()> {
    use adapters::youtube::accounts;
    if args.token_stdin {
        bail!("--token-stdin is for Twitch; for YouTube use --refresh-token-stdin");
    }
    let record = if args.refresh_token_stdin {
        let lines = stdin_lines(
            "refresh token",
            "echo REFRESH_TOKEN | librekast connect youtube --refresh-token-stdin",
        )?;
        accounts::connect_refresh_token(env, user, &lines[0]).await?
    } else {
        let start = accounts::device_start(env).await?;
        println!("To connect a YouTube account (read-only) for {username}:");
        println!("  1. open {}", start.verification_url);
        println!("  2. enter the code {}", start.user_code);
        println!(
            "  3. sign in with the channel's Google account and allow access (waiting up to {} minutes; Ctrl-C to give up)",
            start.expires_in.div_ceil(60)
        );
        accounts::device_finish(env, user, &start).await?
    };
    let posting = if accounts::may_post(&record) {
        "read and post"
    } else {
        "read (this account cannot post: connect it from the dashboard to post)"
    };
    println!(
        "connected YouTube account {} for staff user {username}: its meetings' YouTube sources {posting} with it",
        record.login
    );
    Ok(())
}

pub async fn disconnect(database_url: &str, args: DisconnectArgs) -> anyhow::Result<()> {
    let store = open(database_url).await?;
    let (user, username) = pick_user(&store, args.user.as_deref()).await?;
    let platform = args.platform.platform();
    if store.delete_account(user, platform).await? {
        println!(
            "removed the {} account of staff user {username}: its tokens are deleted; running meetings stop using it within a minute (Twitch reads on anonymously)",
            platform.code()
        );
        Ok(())
    } else {
        bail!(
            "staff user {username} has no {} account connected",
            platform.code()
        )
    }
}
