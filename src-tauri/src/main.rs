//! The Aliquot desktop shell. Tauri commands are one-line adapters over the API's dispatch
//! table; `--serve` runs the same core as the browser mode instead of opening a window.

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

use aliquot_api::Api;
use aliquot_domain::SystemClock;
use aliquot_store::Store;
use anyhow::{Context, Result};
use clap::Parser;
use std::path::PathBuf;
use std::sync::Arc;
use tauri::{Emitter, Manager};

/// Aliquot workstation.
#[derive(Parser)]
#[command(name = "aliquot-desktop", version = aliquot_domain::release::VERSION_LINE.as_str(), about)]
struct Args {
    /// Data directory (created if missing); defaults to the platform's.
    #[arg(long, env = "ALIQUOT_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// Serve the browser mode on 127.0.0.1 instead of opening a window.
    #[arg(long)]
    serve: bool,
    /// Port for --serve; 0 picks a free one.
    #[arg(long, default_value_t = 4780)]
    port: u16,
    /// Built UI for --serve.
    #[arg(long, default_value = "ui/dist")]
    ui_dir: PathBuf,
}

/// One `#[tauri::command]` per operation, each forwarding to `aliquot_api::dispatch`.
macro_rules! tauri_adapters {
    ($($name:ident),*) => {
        mod commands {
            $(
                #[tauri::command]
                pub async fn $name(
                    api: tauri::State<'_, aliquot_api::Api>,
                    token: Option<String>,
                    args: serde_json::Value,
                ) -> Result<serde_json::Value, aliquot_api::ApiError> {
                    aliquot_api::dispatch(&api, stringify!($name), token.as_deref(), args).await
                }
            )*
        }

        fn invoke_handler() -> impl Fn(tauri::ipc::Invoke) -> bool + Send + Sync + 'static {
            tauri::generate_handler![$(commands::$name),*]
        }
    };
}
aliquot_api::for_each_operation!(tauri_adapters);

fn main() -> Result<()> {
    let args = Args::parse();
    let data_dir = match args.data_dir {
        Some(dir) => dir,
        None => aliquot_store::default_data_dir()
            .context("no platform data directory; pass --data-dir")?,
    };
    std::fs::create_dir_all(&data_dir)?;
    // The desktop logs to a daily-rotated file in the data directory.
    let logs = tracing_appender::rolling::daily(data_dir.join("logs"), "aliquot.log");
    let (writer, _log_guard) = tracing_appender::non_blocking(logs);
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("ALIQUOT_LOG")
                .unwrap_or_else(|_| "info".into()),
        )
        .with_ansi(false)
        .with_writer(writer)
        .init();

    let runtime = tokio::runtime::Runtime::new()?;
    let store = runtime
        .block_on(Store::open(&data_dir, Arc::new(SystemClock)))
        .with_context(|| format!("opening the data directory {}", data_dir.display()))?;
    let api = Api::new(store);
    // Drains the durable print queue to the configured printers.
    runtime.spawn(api.clone().run_print_worker(Vec::new()));
    // Keeps the configured serial or HID POS scanner attached.
    runtime.spawn(api.clone().run_scanner());
    // Pushes the outbox to the hub and pulls the lab, once connected.
    runtime.spawn(api.clone().run_sync());
    // Takes result files from the instruments' watch folders set on this workstation.
    runtime.spawn(api.clone().run_watch_folders());
    // Writes the reports scheduled on this workstation when they are due.
    runtime.spawn(api.clone().run_report_schedules());

    if args.serve {
        return runtime.block_on(async move {
            aliquot_api::http::serve(
                api,
                args.port,
                Some(args.ui_dir),
                |addr| println!("Aliquot browser mode listening on http://{addr}"),
                async {
                    let _ = tokio::signal::ctrl_c().await;
                },
            )
            .await
            .context("browser mode")
        });
    }

    tauri::async_runtime::set(runtime.handle().clone());
    tauri::Builder::default()
        .manage(api.clone())
        .invoke_handler(invoke_handler())
        .setup(move |app| {
            // Core events go to every window as `core-event`.
            let handle = app.handle().clone();
            let events = app.state::<Api>().subscribe();
            tauri::async_runtime::spawn(aliquot_api::forward_events(events, move |event| {
                let _ = handle.emit("core-event", event);
            }));
            Ok(())
        })
        .run(tauri::generate_context!())
        .context("running the Aliquot window")
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_api_operation_is_an_allowed_tauri_command() {
        let registered: Vec<&str> = env!("ALIQUOT_TAURI_COMMANDS").split(',').collect();
        assert_eq!(registered, aliquot_api::OPERATIONS);
        let capability = include_str!("../capabilities/main-window.json");
        for op in aliquot_api::OPERATIONS {
            let permission = format!("\"allow-{}\"", op.replace('_', "-"));
            assert!(capability.contains(&permission), "{permission} missing");
        }
    }
}
