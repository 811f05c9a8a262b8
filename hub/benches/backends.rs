//! The hub on SQLite beside the hub on PostgreSQL, one and two processes (issue 18):
//! BACKENDS_DESKS workstations (default 50) push and pull at once. Each is a device
//! enrolled on the hub; it pushes BACKENDS_PUSHES pushes (default 20) of BACKENDS_BATCH lab
//! commands (default 5: storage of its own, so none conflicts) and pulls the feed after
//! each, as the sync engine does. In process, without HTTPS: the hub's decision path
//! (authenticate, claim, order, executor, feed, record) and nothing else. "Two processes"
//! are two `Hub`s on one database, each with its own pool and copy of the lab, the desks'
//! calls alternating between them.
//!
//! Prints, per hub: commands/s over the run, p50 and p99 push latency, pulls/s. The
//! PostgreSQL server is a throwaway one (initdb and pg_ctl from the Debian packages, fsync
//! on, as a lab's server would run).
//!
//! Then the move of a SQLite hub to PostgreSQL at size: a SQLite hub makes the demo lab as
//! its own commands, then decides BACKENDS_MOVE_COMMANDS pushed commands (default 100,000,
//! from the same 50 desks, which pull the lab and each other's work as they go), is
//! moved (`move_record_to_postgres`), opened on PostgreSQL, and a second process copies
//! the lab from the feed alone; the lab digests of all three must be equal, and a desk's
//! pull reads the same from both. Prints the time of each step.
//!
//! Run: cargo bench -p aliquot-hub --bench backends

#[path = "../tests/support/backend.rs"]
mod backend;

use aliquot_domain::storage::FreezerKind;
use aliquot_domain::{Actor, Command, Role, SystemClock, COMMAND_SCHEMA_VERSION};
use aliquot_hub::{Device, Hub, PgSettings};
use aliquot_store::seed::DemoSize;
use aliquot_sync::{EnrollRequest, PushRequest, PushedCommand, PROTOCOL_VERSION};
use chrono::{Duration, Utc};
use std::sync::Arc;
use std::time::Instant;
use uuid::Uuid;

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|s| s.replace('_', "").parse().ok())
        .unwrap_or(default)
}

struct Figures {
    commands_per_s: f64,
    p50_ms: f64,
    p99_ms: f64,
    pulls_per_s: f64,
    seconds: f64,
}

async fn manager_of(hub: &Hub) -> Actor {
    let hash = aliquot_store::hash_password("correct horse battery").unwrap();
    let admin = Actor {
        user_id: Uuid::now_v7(),
        username: "admin".into(),
        role: Role::Admin,
    };
    hub.execute(
        &Actor::system(),
        Command::CreateFirstAdmin {
            user_id: admin.user_id,
            username: "admin".into(),
            display_name: "Admin".into(),
            password_hash: hash.clone(),
        },
    )
    .await
    .unwrap();
    let manager = Actor {
        user_id: Uuid::now_v7(),
        username: "manager".into(),
        role: Role::LabManager,
    };
    hub.execute(
        &admin,
        Command::CreateUser {
            user_id: manager.user_id,
            username: "manager".into(),
            display_name: "Manager".into(),
            role: Role::LabManager,
            password_hash: hash,
        },
    )
    .await
    .unwrap();
    manager
}

async fn enroll(hub: &Hub, name: &str) -> (Device, String) {
    let code = hub.enroll(name, Duration::minutes(10)).await.unwrap().code;
    let enrolled = hub
        .redeem(EnrollRequest {
            protocol: PROTOCOL_VERSION,
            code,
            device_id: Uuid::now_v7().to_string(),
        })
        .await
        .unwrap();
    let device = hub.authenticate(&enrolled.credential).await.unwrap();
    (device, enrolled.credential)
}

/// The desks' work against `hubs` (one or more processes of one hub).
async fn run(hubs: Vec<Hub>, manager: Actor, desks: usize, pushes: usize, batch: usize) -> Figures {
    let mut enrolled = Vec::new();
    for i in 0..desks {
        enrolled.push(enroll(&hubs[i % hubs.len()], &format!("Desk {i}")).await);
    }
    let started = Instant::now();
    let mut tasks = Vec::new();
    for (i, (device, credential)) in enrolled.into_iter().enumerate() {
        let (hubs, manager) = (hubs.clone(), manager.clone());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::with_capacity(pushes);
            let (mut seq, mut cursor, mut pulls) = (0i64, 0i64, 0usize);
            for p in 0..pushes {
                let hub = &hubs[(i + p) % hubs.len()];
                let mut commands = Vec::with_capacity(batch);
                for b in 0..batch {
                    seq += 1;
                    let command = Command::CreateFreezer {
                        freezer_id: Uuid::now_v7(),
                        name: format!("Desk {i} freezer {p}-{b}"),
                        location: "Bench".into(),
                        freezer_kind: FreezerKind::Freezer,
                        temperature_c: -20,
                    };
                    commands.push(PushedCommand {
                        seq,
                        command_id: Uuid::now_v7(),
                        recorded_at: Utc::now(),
                        actor_id: manager.user_id,
                        kind: command.kind().as_str().into(),
                        schema_version: COMMAND_SCHEMA_VERSION,
                        payload: serde_json::to_value(&command).unwrap(),
                    });
                }
                let at = Instant::now();
                let device = hub.authenticate(&credential).await.unwrap();
                let answer = hub
                    .push(
                        &device,
                        PushRequest {
                            protocol: PROTOCOL_VERSION,
                            device_id: device.device_id.clone(),
                            commands,
                            audit: vec![],
                        },
                    )
                    .await
                    .unwrap();
                latencies.push(at.elapsed().as_secs_f64() * 1000.0);
                assert!(answer.stopped.is_none() && answer.results.len() == batch);
                // Pull the feed to its head, as a sync round does.
                loop {
                    let page = hub.pull(&device, cursor, 1_000, false).await.unwrap();
                    pulls += 1;
                    cursor = page.next_cursor;
                    if !page.has_more {
                        break;
                    }
                }
            }
            let _ = device;
            (latencies, pulls)
        }));
    }
    let mut latencies = Vec::new();
    let mut pulls = 0;
    for task in tasks {
        let (l, p) = task.await.unwrap();
        latencies.extend(l);
        pulls += p;
    }
    let seconds = started.elapsed().as_secs_f64();
    latencies.sort_by(f64::total_cmp);
    let at = |q: f64| latencies[((latencies.len() as f64 - 1.0) * q).round() as usize];
    Figures {
        commands_per_s: (desks * pushes * batch) as f64 / seconds,
        p50_ms: at(0.50),
        p99_ms: at(0.99),
        pulls_per_s: pulls as f64 / seconds,
        seconds,
    }
}

async fn open_postgres(dir: &std::path::Path, url: &str) -> Hub {
    Hub::open_postgres(dir, url, &PgSettings::default(), Arc::new(SystemClock))
        .await
        .unwrap()
}

fn print(name: &str, f: &Figures) {
    println!(
        "| {name} | {:.0} | {:.1} ms | {:.1} ms | {:.0} | {:.1} s |",
        f.commands_per_s, f.p50_ms, f.p99_ms, f.pulls_per_s, f.seconds
    );
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let (desks, pushes, batch) = (
        env("BACKENDS_DESKS", 50),
        env("BACKENDS_PUSHES", 20),
        env("BACKENDS_BATCH", 5),
    );
    println!(
        "{desks} workstations at once, each {pushes} pushes of {batch} commands, a pull to the head after each\n"
    );
    println!("| hub | commands/s | push p50 | push p99 | pulls/s | run |");
    println!("|---|---|---|---|---|---|");

    let dir = tempfile::tempdir().unwrap();
    let sqlite = Hub::open(dir.path(), Arc::new(SystemClock)).await.unwrap();
    let manager = manager_of(&sqlite).await;
    let figures = run(vec![sqlite.clone()], manager, desks, pushes, batch).await;
    print("SQLite, one process (baseline)", &figures);
    sqlite.close().await;

    let server = tokio::task::spawn_blocking(backend::ThrowawayServer::start_durable)
        .await
        .unwrap();
    for processes in [1usize, 2] {
        let url = backend::fresh_database(&server.url()).await;
        let mut hubs = Vec::new();
        let mut dirs = Vec::new();
        for _ in 0..processes {
            let dir = tempfile::tempdir().unwrap();
            hubs.push(open_postgres(dir.path(), &url).await);
            dirs.push(dir);
        }
        let manager = manager_of(&hubs[0]).await;
        let figures = run(hubs.clone(), manager, desks, pushes, batch).await;
        print(
            &format!(
                "PostgreSQL, {processes} process{}",
                if processes == 1 { "" } else { "es" }
            ),
            &figures,
        );
        for hub in hubs {
            hub.close().await;
        }
    }

    // The move at size.
    let commands = env("BACKENDS_MOVE_COMMANDS", 100_000);
    let pushes = (commands / (desks * batch)).max(1);
    let dir = tempfile::tempdir().unwrap();
    let sqlite = Hub::open(dir.path(), Arc::new(SystemClock)).await.unwrap();
    let at = Instant::now();
    let demo = sqlite.demo_lab(DemoSize::default()).await.unwrap();
    println!(
        "\nthe move: the demo lab made as the hub's own commands ({} commands, {} samples) in {:.1} s",
        demo.commands,
        demo.samples,
        at.elapsed().as_secs_f64()
    );
    let manager = sqlite
        .store()
        .user_by_name("manager")
        .await
        .unwrap()
        .unwrap();
    let manager = Actor {
        user_id: manager.id,
        username: manager.username,
        role: manager.role,
    };
    let figures = run(vec![sqlite.clone()], manager, desks, pushes, batch).await;
    let decided = desks * pushes * batch;
    println!(
        "then {decided} commands pushed by {desks} enrolled workstations, each pulling after each push ({:.0} commands/s)",
        figures.commands_per_s
    );
    let digests = sqlite.store().lab_digests().await.unwrap();
    let device = sqlite
        .devices(aliquot_domain::paging::PageRequest {
            page: 1,
            per_page: 1,
        })
        .await
        .unwrap()
        .items
        .remove(0);
    let before = sqlite.pull(&device, 0, 5_000, false).await.unwrap();
    let url = backend::fresh_database(&server.url()).await;
    let at = Instant::now();
    let moved = sqlite.move_record_to_postgres(&url).await.unwrap();
    println!(
        "| moved ({} claims, {} feed rows up to change {}) | {:.1} s |",
        moved.claims,
        moved.feed_rows,
        moved.head,
        at.elapsed().as_secs_f64()
    );
    sqlite.close().await;
    let at = Instant::now();
    let first = open_postgres(dir.path(), &url).await;
    println!(
        "| the moved directory opened on PostgreSQL | {:.1} s |",
        at.elapsed().as_secs_f64()
    );
    let second_dir = tempfile::tempdir().unwrap();
    let at = Instant::now();
    let second = open_postgres(second_dir.path(), &url).await;
    println!(
        "| a second process's copy made from the feed alone | {:.1} s |",
        at.elapsed().as_secs_f64()
    );
    let same = first.store().lab_digests().await.unwrap() == digests
        && second.store().lab_digests().await.unwrap() == digests
        && first.pull(&device, 0, 5_000, false).await.unwrap() == before;
    println!(
        "lab digests and a desk's first pull page the same on SQLite, the moved process and the new one: {same}"
    );
    assert!(same, "the move changed the lab");
    first.close().await;
    second.close().await;
}
