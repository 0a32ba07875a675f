//! `torro users list|add|set-password|set-role|disable|enable`: user administration on the
//! catalog machine, for the first admin's lost password and for scripts. The same store
//! calls as `/api/users`; audit rows name `system:cli`.

use std::io::BufRead;
use std::process::ExitCode;

use anyhow::{Context, Result, anyhow, bail};
use clap::{Args, Subcommand};
use torro_model::{Actor, AuthSource, NewApiToken, NewUser, Role, UserPatch};
use torro_server::auth::{password, secret};

use crate::output::{Format, print_json, table};
use crate::{DatabaseArgs, open_store};

/// Exit code when the named user does not exist.
const NOT_FOUND: u8 = 3;

#[derive(Subcommand)]
pub enum UsersCommand {
    /// List users.
    List(ListArgs),
    /// Add a local user; the password is read from TORRO_NEW_PASSWORD or the first line of stdin.
    Add(AddArgs),
    /// Set a local user's password (TORRO_NEW_PASSWORD or stdin); ends their sessions.
    SetPassword(UserArgs),
    /// Change a user's role.
    SetRole(RoleArgs),
    /// Disable a user: their sessions end and their tokens stop working.
    Disable(UserArgs),
    /// Enable a disabled user.
    Enable(UserArgs),
    /// Create an API token for a user and print it on stdout (shown only now), e.g. for
    /// Airflow's OpenLineage transport or a script.
    CreateToken(TokenArgs),
}

#[derive(Args)]
pub struct TokenArgs {
    #[command(flatten)]
    db: DatabaseArgs,
    username: String,
    /// What the token is for.
    #[arg(long, default_value = "cli")]
    name: String,
    /// Days until it expires.
    #[arg(long, default_value_t = 90, value_parser = clap::value_parser!(u32).range(1..=3650))]
    expires_in_days: u32,
}

#[derive(Args)]
pub struct ListArgs {
    #[command(flatten)]
    db: DatabaseArgs,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
}

#[derive(Args)]
pub struct AddArgs {
    #[command(flatten)]
    db: DatabaseArgs,
    username: String,
    /// viewer, engineer, steward (data_governor) or admin.
    #[arg(long)]
    role: Role,
    #[arg(long)]
    display_name: Option<String>,
    #[arg(long)]
    email: Option<String>,
}

#[derive(Args)]
pub struct UserArgs {
    #[command(flatten)]
    db: DatabaseArgs,
    username: String,
}

#[derive(Args)]
pub struct RoleArgs {
    #[command(flatten)]
    db: DatabaseArgs,
    username: String,
    role: Role,
}

pub async fn run(command: UsersCommand) -> Result<ExitCode> {
    match command {
        UsersCommand::List(args) => list(args).await,
        UsersCommand::Add(args) => add(args).await,
        UsersCommand::SetPassword(args) => {
            let hash = password::hash(&new_password()?)
                .await
                .map_err(|e| anyhow!("{}", e.message()))?;
            change(
                &args,
                UserPatch {
                    password_hash: Some(hash),
                    ..UserPatch::default()
                },
            )
            .await
        }
        UsersCommand::SetRole(args) => {
            let user = UserArgs {
                db: args.db,
                username: args.username,
            };
            change(
                &user,
                UserPatch {
                    role: Some(args.role),
                    ..UserPatch::default()
                },
            )
            .await
        }
        UsersCommand::Disable(args) => {
            change(
                &args,
                UserPatch {
                    disabled: Some(true),
                    ..UserPatch::default()
                },
            )
            .await
        }
        UsersCommand::Enable(args) => {
            change(
                &args,
                UserPatch {
                    disabled: Some(false),
                    ..UserPatch::default()
                },
            )
            .await
        }
        UsersCommand::CreateToken(args) => create_token(args).await,
    }
}

/// The user named `username`, or `None` after telling the user how to find names.
async fn find_user(store: &dyn torro_catalog::CatalogStore, username: &str) -> Result<Option<torro_model::User>> {
    let found = store.auth().user_credentials(username).await?.map(|(user, _)| user);
    if found.is_none() {
        eprintln!("error: no user named {username:?}; `torro users list` shows them");
    }
    Ok(found)
}

async fn create_token(args: TokenArgs) -> Result<ExitCode> {
    let store = open_store(&args.db).await?;
    let Some(user) = find_user(store.as_ref(), &args.username).await? else {
        return Ok(ExitCode::from(NOT_FOUND));
    };
    let token = secret::new_api_token();
    let new = NewApiToken {
        user_id: user.id,
        name: args.name,
        prefix: secret::display_prefix(&token),
        token_hash: secret::sha256_hex(&token),
        expires_at: Some(chrono::Utc::now() + chrono::Duration::days(i64::from(args.expires_in_days))),
    };
    let info = store.auth().create_token(&new, &Actor::system("cli")).await?;
    eprintln!(
        "token {} for {} (role {}), expires {}",
        info.name,
        user.username,
        user.role,
        new.expires_at.unwrap_or_default().format("%Y-%m-%d")
    );
    println!("{token}");
    Ok(ExitCode::SUCCESS)
}

/// The new password from `TORRO_NEW_PASSWORD`, else the first line of stdin (so it stays
/// out of shell history and process lists).
fn new_password() -> Result<String> {
    let password = match std::env::var("TORRO_NEW_PASSWORD") {
        Ok(p) if !p.is_empty() => p,
        _ => {
            let mut line = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut line)
                .context("cannot read the password from stdin")?;
            line.trim_end_matches(['\r', '\n']).to_string()
        }
    };
    password::check_policy(&password).map_err(|e| anyhow!("{}", e.message()))?;
    Ok(password)
}

async fn list(args: ListArgs) -> Result<ExitCode> {
    let store = open_store(&args.db).await?;
    let users = store.auth().list_users().await?;
    match args.format {
        Format::Json => print_json(&users)?,
        Format::Table => {
            let rows: Vec<Vec<String>> = users
                .iter()
                .map(|u| {
                    vec![
                        u.id.to_string(),
                        u.username.clone(),
                        u.role.to_string(),
                        u.auth_source.as_str().to_string(),
                        if u.disabled {
                            "disabled".into()
                        } else {
                            "enabled".into()
                        },
                        u.last_login_at
                            .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
                            .unwrap_or_default(),
                    ]
                })
                .collect();
            print!(
                "{}",
                table(&["ID", "USERNAME", "ROLE", "SOURCE", "STATUS", "LAST LOGIN"], &rows)
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn add(args: AddArgs) -> Result<ExitCode> {
    let store = open_store(&args.db).await?;
    let password = new_password()?;
    let user = NewUser {
        username: args.username.trim().to_string(),
        display_name: args.display_name,
        email: args.email,
        role: args.role,
        password_hash: Some(
            password::hash(&password)
                .await
                .map_err(|e| anyhow!("{}", e.message()))?,
        ),
        auth_source: AuthSource::Local,
        oidc: None,
    };
    if user.username.is_empty() {
        bail!("the username must not be empty");
    }
    let created = store.auth().create_user(&user, &Actor::system("cli")).await?;
    eprintln!(
        "added user {:?} (id {}, role {})",
        created.username, created.id, created.role
    );
    Ok(ExitCode::SUCCESS)
}

async fn change(args: &UserArgs, patch: UserPatch) -> Result<ExitCode> {
    let store = open_store(&args.db).await?;
    let Some(user) = find_user(store.as_ref(), &args.username).await? else {
        return Ok(ExitCode::from(NOT_FOUND));
    };
    if patch.password_hash.is_some() && user.auth_source != AuthSource::Local {
        bail!("{} signs in through OIDC and has no Torro password", user.username);
    }
    let updated = store.auth().update_user(user.id, &patch, &Actor::system("cli")).await?;
    eprintln!(
        "user {:?}: role {}, {}",
        updated.username,
        updated.role,
        if updated.disabled { "disabled" } else { "enabled" }
    );
    Ok(ExitCode::SUCCESS)
}
