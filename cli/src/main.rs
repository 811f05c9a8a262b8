//! `aliquot`: the headless Aliquot for operators and for the browser mode.

use aliquot_api::Api;
use aliquot_domain::{Actor, Command, Role, SystemClock};
use aliquot_store::Store;
use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};
use std::io::BufRead;
use std::path::PathBuf;
use std::sync::Arc;

/// Aliquot workstation, without a window.
///
/// Every command works on one data directory (the local database and its files). By default
/// that is the platform's data directory; use --data-dir or ALIQUOT_DATA_DIR to choose another.
#[derive(Parser)]
#[command(name = "aliquot", version = aliquot_domain::release::VERSION_LINE.as_str(), about, long_about)]
struct Cli {
    /// Data directory to use (created if missing).
    #[arg(long, global = true, env = "ALIQUOT_DATA_DIR")]
    data_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Action,
}

#[derive(Subcommand)]
enum Action {
    /// Create (or check) a data directory and print where it is and this workstation's id.
    Init {
        /// Also load the demo lab (accounts with printed passwords, sites, participants,
        /// 1,500 samples in two freezers) into a data directory that has no accounts yet.
        #[arg(long)]
        demo: bool,
    },
    /// Manage user accounts.
    #[command(subcommand)]
    User(UserAction),
    /// Write a verified copy of the database to FILE while Aliquot may keep running.
    Backup {
        /// Where to write the copy; must not exist yet.
        file: PathBuf,
    },
    /// Check the audit trail.
    #[command(subcommand)]
    Audit(AuditAction),
    /// Join the lab's hub: enroll with the one-time code its administrator made and pull
    /// the lab. Only a fresh data directory joins (no lab records of its own).
    ConnectHub {
        /// The hub's address, such as https://hub.lab:4781.
        #[arg(long)]
        url: String,
        /// The enrollment code `aliquot-hub enroll` printed.
        #[arg(long)]
        code: String,
        /// The certificate fingerprint `aliquot-hub enroll` printed; compared with the one
        /// the hub presents before anything is sent.
        #[arg(long)]
        fingerprint: String,
    },
    /// Serve the UI and the API to a browser on this machine (127.0.0.1 only).
    Serve {
        /// Port to listen on; 0 picks a free one.
        #[arg(long, default_value_t = 4780)]
        port: u16,
        /// Folder with the built UI (ui/dist).
        #[arg(long, default_value = "ui/dist")]
        ui_dir: PathBuf,
    },
}

#[derive(Subcommand)]
enum UserAction {
    /// Create an account. The password is read from standard input (one line).
    Create {
        #[arg(long)]
        username: String,
        #[arg(long)]
        display_name: String,
        /// admin, lab_manager, technician, field_coordinator or viewer.
        #[arg(long, value_parser = parse_role)]
        role: Role,
    },
}

#[derive(Subcommand)]
enum AuditAction {
    /// Walk the hash chain; exits with status 1 and names the first broken entry if any.
    Verify,
}

fn parse_role(s: &str) -> Result<Role, String> {
    Role::parse(s).ok_or_else(|| {
        format!(
            "unknown role {s:?}; use admin, lab_manager, technician, field_coordinator or viewer"
        )
    })
}

#[tokio::main]
async fn main() -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("ALIQUOT_LOG")
                .unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let data_dir = match cli.data_dir {
        Some(dir) => dir,
        None => aliquot_store::default_data_dir()
            .context("no platform data directory; pass --data-dir")?,
    };
    let store = Store::open(&data_dir, Arc::new(SystemClock))
        .await
        .with_context(|| format!("opening the data directory {}", data_dir.display()))?;
    let outcome = run(cli.command, &store, &data_dir).await;
    store.close().await;
    outcome
}

async fn run(action: Action, store: &Store, data_dir: &std::path::Path) -> Result<()> {
    match action {
        Action::Init { demo } => {
            println!("data directory: {}", data_dir.display());
            println!("workstation id: {}", store.device_id());
            if demo {
                demo_lab(store).await?;
            }
        }
        Action::User(UserAction::Create {
            username,
            display_name,
            role,
        }) => {
            let mut password = String::new();
            std::io::stdin().lock().read_line(&mut password)?;
            let password = password.trim_end_matches(['\r', '\n']);
            create_user(store, &username, &display_name, role, password).await?;
            println!("created {username} ({})", role.as_str());
        }
        Action::Backup { file } => {
            let report = store.backup(&file).await?;
            println!(
                "backup written and verified: {} ({} bytes, {} audit entries, chain intact)",
                report.path.display(),
                report.bytes,
                report.audit_entries
            );
        }
        Action::Audit(AuditAction::Verify) => {
            let v = store.verify_audit_chain().await?;
            match &v.first_break {
                None => println!("audit chain intact: {} entries", v.entries_checked),
                Some(broken) => println!(
                    "audit chain BROKEN after {} good entries: {broken:?}",
                    v.entries_checked
                ),
            }
            // The chain can be whole and still cut or re-chained: the anchor tells.
            for problem in &v.anchor_problems {
                println!("audit anchor: {problem}");
            }
            if v.first_break.is_some() || !v.anchor_problems.is_empty() {
                std::process::exit(1);
            }
        }
        Action::ConnectHub {
            url,
            code,
            fingerprint,
        } => {
            let api = Api::new(store.clone());
            let seen = api
                .hub_certificate(
                    None,
                    aliquot_api::sync::HubCertificateArgs { url: url.clone() },
                )
                .await
                .map_err(|e| anyhow::anyhow!(e.message))?;
            let normal = |s: &str| {
                s.chars()
                    .filter(char::is_ascii_hexdigit)
                    .collect::<String>()
                    .to_uppercase()
            };
            if normal(&seen.fingerprint) != normal(&fingerprint) {
                bail!(
                    "the hub at {url} presents the certificate {}, not the one given; nothing was sent",
                    seen.fingerprint
                );
            }
            let status = api
                .connect_hub(
                    None,
                    aliquot_api::sync::ConnectHubArgs {
                        url,
                        code,
                        fingerprint,
                    },
                )
                .await
                .map_err(|e| anyhow::anyhow!(e.message))?;
            println!(
                "connected as {} to {}; {} lab changes pulled{}",
                status.device_name.unwrap_or_default(),
                status.hub_url.unwrap_or_default(),
                status.cursor,
                status
                    .last_error
                    .map(|e| format!(
                        " (the first pull failed: {e}; it is retried while Aliquot runs)"
                    ))
                    .unwrap_or_default()
            );
        }
        Action::Serve { port, ui_dir } => {
            if !ui_dir.join("index.html").exists() {
                bail!(
                    "{} has no index.html; build the UI first (npm run build in ui/)",
                    ui_dir.display()
                );
            }
            let api = Api::new(store.clone());
            // Drains the durable print queue to the configured printers.
            tokio::spawn(api.clone().run_print_worker(Vec::new()));
            // Keeps the configured serial or HID POS scanner attached.
            tokio::spawn(api.clone().run_scanner());
            // Pushes the outbox to the hub and pulls the lab, once connected.
            tokio::spawn(api.clone().run_sync());
            // Takes result files from the instruments' watch folders set on this workstation.
            tokio::spawn(api.clone().run_watch_folders());
            // Writes the reports scheduled on this workstation when they are due.
            tokio::spawn(api.clone().run_report_schedules());
            aliquot_api::http::serve(
                api,
                port,
                Some(ui_dir),
                |addr| {
                    // Tests and the run script read this line to find the URL.
                    println!("Aliquot browser mode listening on http://{addr}");
                },
                shutdown_signal(),
            )
            .await?;
        }
    }
    Ok(())
}

async fn create_user(
    store: &Store,
    username: &str,
    display_name: &str,
    role: Role,
    password: &str,
) -> Result<()> {
    let username = aliquot_domain::account::normalise_username(username)?;
    aliquot_domain::account::validate_new_password(password, &username)?;
    let password_hash = aliquot_store::hash_password(password)?;
    store
        .execute(
            &Actor::system(),
            Command::CreateUser {
                user_id: uuid::Uuid::now_v7(),
                username,
                display_name: display_name.to_owned(),
                role,
                password_hash,
            },
        )
        .await?;
    Ok(())
}

/// The demo lab for a first look (accounts, sites, participants, samples in freezers).
/// Only on an empty data directory.
async fn demo_lab(store: &Store) -> Result<()> {
    if store.user_count().await? > 0 {
        println!("accounts exist already; no demo data added");
        return Ok(());
    }
    let started = std::time::Instant::now();
    let report =
        aliquot_store::seed::demo_lab(store, aliquot_store::seed::DemoSize::default()).await?;
    println!(
        "demo lab: {} sites, {} field events, {} participants, {} samples ({} placed in {} boxes of {} freezers), {} discard requests; {} commands in {:.1} s",
        report.sites,
        report.field_events,
        report.participants,
        report.samples,
        report.placed,
        report.boxes,
        report.freezers,
        report.discard_requests,
        report.commands,
        started.elapsed().as_secs_f64()
    );
    for (username, _, role, password) in aliquot_store::seed::DEMO_ACCOUNTS {
        println!("demo account: {username} / {password} ({})", role.as_str());
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
