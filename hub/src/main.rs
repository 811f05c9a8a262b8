//! `aliquot-hub`: the lab's hub, from the command line.

use aliquot_domain::{Actor, Command, SystemClock};
use aliquot_hub::{tls, Hub, HubDatabase, PgSettings};
use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use std::io::BufRead;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

/// The lab's hub: many workstations, one lab.
///
/// Every command works on one data directory (the hub's database, certificate and audit
/// anchor): --data-dir or ALIQUOT_HUB_DATA_DIR. With --database postgres://… (or
/// ALIQUOT_HUB_DATABASE) the hub's record is in PostgreSQL, shared by every hub process,
/// and the data directory holds this process's copy of the lab.
#[derive(Parser)]
#[command(name = "aliquot-hub", version = aliquot_domain::release::VERSION_LINE.as_str(), about, long_about)]
struct Cli {
    #[arg(long, global = true, env = "ALIQUOT_HUB_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// `sqlite` (the default: the record beside the lab in the data directory) or a
    /// `postgres://user@host/database` address.
    #[arg(long, global = true, env = "ALIQUOT_HUB_DATABASE")]
    database: Option<String>,
    /// PostgreSQL only: the most connections this process opens (default 16; the server's
    /// max_connections bounds the sum over the hub's processes).
    #[arg(long, global = true, env = "ALIQUOT_HUB_POOL_SIZE")]
    pool_size: Option<u32>,
    /// PostgreSQL only: seconds after which a statement is cancelled (default 30).
    #[arg(long, global = true, env = "ALIQUOT_HUB_STATEMENT_TIMEOUT")]
    statement_timeout: Option<u64>,
    /// PostgreSQL only: seconds a request waits for a free connection before it is answered
    /// retry_later (default 10).
    #[arg(long, global = true, env = "ALIQUOT_HUB_POOL_WAIT")]
    pool_wait: Option<u64>,
    #[command(subcommand)]
    command: Action,
}

#[derive(Subcommand)]
enum Action {
    /// Create (or check) the hub's data directory and its certificate; with --admin, make
    /// the lab's first administrator (the password is read from standard input).
    Init {
        #[arg(long)]
        admin: Option<String>,
        #[arg(long, default_value = "Administrator")]
        admin_name: String,
        /// Host names or addresses the certificate is valid for (repeat the flag);
        /// localhost and 127.0.0.1 are always included.
        #[arg(long = "host")]
        hosts: Vec<String>,
        /// Use this certificate (PEM) instead of a self-signed one; needs --key.
        #[arg(long, requires = "key")]
        cert: Option<PathBuf>,
        #[arg(long, requires = "cert")]
        key: Option<PathBuf>,
        /// The lab's sample code prefix for leased blocks (1 to 6 capital letters or
        /// digits, starting with a letter, not P).
        #[arg(long)]
        sample_prefix: Option<String>,
        /// Digits after the prefix (4 to 9).
        #[arg(long)]
        sample_digits: Option<u8>,
        /// Sample codes per lease.
        #[arg(long)]
        sample_block: Option<i64>,
        /// Participant numbers per lease.
        #[arg(long)]
        participant_block: Option<i64>,
    },
    /// Bring the database's schema up to this program's and say where it stands. Opening the
    /// hub does the same; an older program refuses a database a newer one has migrated.
    Migrate,
    /// Copy this SQLite hub's record (devices, codes, claims, trails, the feed) into an
    /// empty PostgreSQL database, with the hub stopped. Then serve with --database URL: this
    /// data directory becomes the first process's copy of the lab.
    MoveToPostgres {
        /// postgres://user@host/database
        url: String,
    },
    /// Serve workstations.
    Serve {
        #[arg(long, default_value = "0.0.0.0:4781")]
        listen: SocketAddr,
        /// Plain HTTP instead of HTTPS; refused unless --listen is a loopback address.
        #[arg(long)]
        plain_http: bool,
    },
    /// Make a one-time code that enrolls one workstation.
    Enroll {
        /// The workstation's name, as people call it ("Desk 2").
        #[arg(long)]
        name: String,
        #[arg(long, default_value_t = 60)]
        valid_for_minutes: i64,
    },
    /// Enrolled workstations.
    #[command(subcommand)]
    Devices(DevicesAction),
    /// Write a verified copy of the hub's database to FILE while the hub keeps running.
    Backup { file: PathBuf },
    /// Check the hub's audit trail.
    #[command(subcommand)]
    Audit(AuditAction),
}

#[derive(Subcommand)]
enum DevicesAction {
    List,
    /// End a workstation's access at once; its unsent work stays on it.
    Revoke {
        device_id: String,
        #[arg(long)]
        reason: String,
    },
    /// After reviewing a workstation whose audit trail broke: decide its held commands.
    Release {
        device_id: String,
    },
}

#[derive(Subcommand)]
enum AuditAction {
    /// Walk the hash chain; exits with status 1 and names the first broken entry if any.
    Verify,
}

#[tokio::main]
async fn main() -> Result<()> {
    let logs = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("ALIQUOT_LOG")
                .unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr);
    // One JSON object a line for a log collector (journald, Loki, Elastic); text otherwise.
    if std::env::var("ALIQUOT_LOG_FORMAT").as_deref() == Ok("json") {
        logs.json().init();
    } else {
        logs.init();
    }
    let cli = Cli::parse();
    let data_dir = cli
        .data_dir
        .clone()
        .context("name the hub's data directory with --data-dir or ALIQUOT_HUB_DATA_DIR")?;
    let database = HubDatabase::parse(cli.database.as_deref())?;
    let pool_limits_given =
        cli.pool_size.is_some() || cli.statement_timeout.is_some() || cli.pool_wait.is_some();
    if database == HubDatabase::Sqlite && pool_limits_given {
        anyhow::bail!(
            "--pool-size, --statement-timeout and --pool-wait are for a hub on PostgreSQL \
             (--database postgres://…); a SQLite hub has no connection pool to size"
        );
    }
    let settings = PgSettings::with_limits(cli.pool_size, cli.statement_timeout, cli.pool_wait)?;
    let hub = Hub::open_with(&data_dir, &database, &settings, Arc::new(SystemClock))
        .await
        .with_context(|| match &database {
            HubDatabase::Sqlite => {
                format!("opening the hub's data directory {}", data_dir.display())
            }
            HubDatabase::Postgres(_) => format!(
                "opening the hub on PostgreSQL with its lab copy in {}",
                data_dir.display()
            ),
        })?;
    let outcome = run(cli.command, &hub).await;
    hub.close().await;
    outcome
}

async fn run(action: Action, hub: &Hub) -> Result<()> {
    match action {
        Action::Init {
            admin,
            admin_name,
            hosts,
            cert,
            key,
            sample_prefix,
            sample_digits,
            sample_block,
            participant_block,
        } => {
            let mut policy = hub.lease_policy().await?;
            if let Some(prefix) = sample_prefix {
                policy.sample_prefix = prefix.trim().to_uppercase();
            }
            policy.sample_digits = sample_digits.unwrap_or(policy.sample_digits);
            policy.sample_block = sample_block.unwrap_or(policy.sample_block).max(1);
            policy.participant_block = participant_block.unwrap_or(policy.participant_block).max(1);
            hub.set_lease_policy(&policy).await?;
            let fingerprint = match (cert, key) {
                (Some(cert), Some(key)) => tls::install_certificate(hub.data_dir(), &cert, &key)?,
                _ => tls::ensure_certificate(hub.data_dir(), &hosts)?,
            };
            println!("hub data directory: {}", hub.data_dir().display());
            println!("hub id: {}", hub.hub_id());
            println!("certificate fingerprint (SHA-256): {fingerprint}");
            println!(
                "leases: sample codes {}{} ({} digits), {} per lease; {} participant numbers per lease",
                policy.sample_prefix,
                "0".repeat(usize::from(policy.sample_digits)),
                policy.sample_digits,
                policy.sample_block,
                policy.participant_block
            );
            if let Some(username) = admin {
                let mut password = String::new();
                std::io::stdin().lock().read_line(&mut password)?;
                let password = password.trim_end_matches(['\r', '\n']);
                let username = aliquot_domain::account::normalise_username(&username)?;
                aliquot_domain::account::validate_new_password(password, &username)?;
                let password_hash = aliquot_store::hash_password(password)?;
                hub.execute(
                    &Actor::system(),
                    Command::CreateFirstAdmin {
                        user_id: uuid::Uuid::now_v7(),
                        username: username.clone(),
                        display_name: admin_name,
                        password_hash,
                    },
                )
                .await?;
                println!("first administrator: {username}");
            }
        }
        Action::Migrate => {
            let health = hub.health().await?;
            println!(
                "lab schema: {} (this program: {})",
                health.lab_schema.applied, health.lab_schema.known
            );
            println!(
                "hub schema: {} (this program: {})",
                health.hub_schema.applied, health.hub_schema.known
            );
            println!("change feed head: {}", health.feed_head);
        }
        Action::MoveToPostgres { url } => {
            let moved = hub.move_record_to_postgres(&url).await?;
            println!(
                "moved to PostgreSQL: {} workstations, {} decided commands, {} audit entries of \
                 workstations, {} feed rows up to change {}",
                moved.devices, moved.claims, moved.audit_rows, moved.feed_rows, moved.head
            );
            println!(
                "serve it with: aliquot-hub --data-dir {} --database <the same address> serve",
                hub.data_dir().display()
            );
        }
        Action::Serve { listen, plain_http } => {
            let config = if plain_http {
                None
            } else {
                Some(
                    tls::server_config(hub.data_dir())
                        .context("reading the hub's certificate (run `aliquot-hub init` first)")?,
                )
            };
            aliquot_hub::http::serve(
                hub.clone(),
                listen,
                config,
                |addr, https| {
                    // Tests and scripts read this line to find the hub.
                    let scheme = if https { "https" } else { "http" };
                    println!("Aliquot hub listening on {scheme}://{addr}");
                },
                shutdown_signal(),
            )
            .await?;
        }
        Action::Enroll {
            name,
            valid_for_minutes,
        } => {
            let enrollment = hub
                .enroll(&name, chrono::Duration::minutes(valid_for_minutes.max(1)))
                .await?;
            println!(
                "enrollment code for {}: {}",
                enrollment.name, enrollment.code
            );
            println!("valid until: {} (UTC), once", enrollment.expires_at);
            println!(
                "certificate fingerprint (SHA-256): {}",
                tls::certificate_fingerprint(hub.data_dir())?
            );
            println!("the workstation shows this fingerprint when it connects: compare them");
        }
        Action::Devices(DevicesAction::List) => {
            let mut devices = Vec::new();
            let mut page = 1;
            loop {
                let listed = hub
                    .devices(aliquot_domain::paging::PageRequest {
                        page,
                        per_page: aliquot_domain::paging::MAX_PER_PAGE,
                    })
                    .await?;
                devices.extend(listed.items);
                if page >= listed.total_pages {
                    break;
                }
                page += 1;
            }
            if devices.is_empty() {
                println!("no workstation enrolled yet");
            }
            for d in devices {
                println!(
                    "{}  {}  enrolled {}  last seen {}  commands decided {}{}",
                    d.device_id,
                    d.name,
                    d.enrolled_at,
                    d.last_seen_at.as_deref().unwrap_or("never"),
                    d.last_seq,
                    match &d.revoked_at {
                        Some(at) =>
                            format!("  REVOKED {at}: {}", d.revoked_why.as_deref().unwrap_or("")),
                        None => String::new(),
                    }
                );
            }
        }
        Action::Devices(DevicesAction::Release { device_id }) => {
            hub.release(&device_id).await?;
            println!("released {device_id}: its held commands are decided at its next push");
        }
        Action::Devices(DevicesAction::Revoke { device_id, reason }) => {
            hub.revoke(&device_id, &reason).await?;
            println!("revoked {device_id}; its unsent work stays on the workstation");
        }
        Action::Backup { file } => {
            if hub.on_postgres() {
                anyhow::bail!(
                    "the hub's record is in PostgreSQL: back it up with pg_dump or the server's \
                     continuous archiving (docs/operations/hub-postgres.md); a process's lab copy \
                     needs no backup, it is made again from the database"
                );
            }
            let report = hub.store().backup(&file).await?;
            println!(
                "backup written and verified: {} ({} bytes, {} audit entries, chain intact)",
                report.path.display(),
                report.bytes,
                report.audit_entries
            );
        }
        Action::Audit(AuditAction::Verify) => {
            let v = hub.store().verify_audit_chain().await?;
            match &v.first_break {
                None => println!("audit chain intact: {} entries", v.entries_checked),
                Some(broken) => println!(
                    "audit chain BROKEN after {} good entries: {broken:?}",
                    v.entries_checked
                ),
            }
            for problem in &v.anchor_problems {
                println!("audit anchor: {problem}");
            }
            if v.first_break.is_some() || !v.anchor_problems.is_empty() {
                std::process::exit(1);
            }
        }
    }
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
