//! Sync figures on this machine, each beside a baseline measured in the same run:
//!
//! 1. push: commands/s one workstation pushes to the hub over HTTPS through the real engine
//!    (claim, order, executor, audit chain check, one commit per batch), against executing
//!    the same commands on the workstation;
//! 2. pull: row changes/s a workstation pulls through the feed and applies, against the
//!    push; and the lab rows/s a workstation joining then copies (snapshot, then feed);
//! 3. the push after a pull with nothing to send;
//! 4. rebase cost at 10, 100, 1,000 and 10,000 pending commands (a pull of one change),
//!    against executing those commands in the first place;
//! 5. bootstrap of a new workstation (`aliquot connect-hub`, a separate process) from a
//!    hub holding SYNC_BENCH_SAMPLES samples (default 1,000,000), time and peak RSS; and
//!    the cost of the digests of a convergence check at that size;
//! 6. an offline shift: three desks each make SYNC_BENCH_SHIFT commands (default 2,000)
//!    offline, a tenth of their kits placed in the same wells as the others' (conflicts),
//!    then reconnect: the time until every desk holds the hub's lab, against executing
//!    the commands and against PouchDB converging the same shift as documents.
//!
//! The PouchDB baseline (pouchdb-server --in-memory) is `hub/benches/pouchdb/bench.mjs`,
//! run on the same machine in the same session; BENCHMARKS.md sets both side by side.
//!
//! Run: cargo bench -p aliquot-hub --bench sync
//! Quick: SYNC_BENCH_KITS=200 SYNC_BENCH_SAMPLES=20000 SYNC_BENCH_REBASE=10,100 cargo bench …

use aliquot_api::sync::RoundParts;
use aliquot_api::Api;
use aliquot_domain::command::{NewTube, PlacementSource, TubePlacement};
use aliquot_domain::sample::{ConsentStatus, KitItem, SampleType};
use aliquot_domain::storage::{BoxLayout, FreezerKind};
use aliquot_domain::{Actor, Command, Role, SystemClock};
use aliquot_hub::{tls, Hub};
use aliquot_store::Store;
use chrono::{Duration, Utc};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;
use uuid::Uuid;

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|s| s.replace('_', "").parse().ok())
        .unwrap_or(default)
}

struct Lab {
    tech: Actor,
    site: Uuid,
    kit: Uuid,
    boxes: Vec<Uuid>,
}

async fn user(hub: &Hub, admin: &Actor, name: &str, role: Role, hash: &str) -> Actor {
    let actor = Actor {
        user_id: Uuid::now_v7(),
        username: name.into(),
        role,
    };
    hub.execute(
        admin,
        Command::CreateUser {
            user_id: actor.user_id,
            username: name.into(),
            display_name: name.into(),
            role,
            password_hash: hash.into(),
        },
    )
    .await
    .unwrap();
    actor
}

async fn lab(hub: &Hub, boxes: usize) -> Lab {
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
    let manager = user(hub, &admin, "manager", Role::LabManager, &hash).await;
    let tech = user(hub, &admin, "tech", Role::Technician, &hash).await;
    let (site, kit, freezer, rack) = (
        Uuid::now_v7(),
        Uuid::now_v7(),
        Uuid::now_v7(),
        Uuid::now_v7(),
    );
    let mut commands = vec![
        Command::CreateSite {
            site_id: site,
            code: "NORTH".into(),
            name: "North clinic".into(),
            participant_range_start: 1,
            participant_range_end: 9_999_999,
        },
        Command::CreateKitTemplate {
            template_id: kit,
            name: "Two tubes".into(),
            items: vec![KitItem {
                sample_type: SampleType::new(SampleType::WHOLE_BLOOD),
                count: 2,
                volume_ul: Some(500),
            }],
        },
        Command::CreateFreezer {
            freezer_id: freezer,
            name: "Freezer 1".into(),
            location: "Room 1".into(),
            freezer_kind: FreezerKind::UltraLow,
            temperature_c: -80,
        },
        Command::CreateRack {
            rack_id: rack,
            freezer_id: freezer,
            name: "Rack 1".into(),
        },
    ];
    let box_ids: Vec<Uuid> = (0..boxes).map(|_| Uuid::now_v7()).collect();
    for (i, id) in box_ids.iter().enumerate() {
        commands.push(Command::CreateBox {
            box_id: *id,
            rack_id: rack,
            name: format!("Box {i:05}"),
            barcode: format!("BX{i:06}"),
            box_type: "9x9".into(),
            layout: BoxLayout::Grid {
                rows: 9,
                columns: 9,
            },
        });
    }
    for command in commands {
        hub.execute(&manager, command).await.unwrap();
    }
    // Leases large enough for the whole run.
    hub.set_lease_policy(&aliquot_domain::numbering::LeasePolicy {
        sample_prefix: "S".into(),
        sample_digits: 8,
        sample_block: 200_000,
        participant_block: 100_000,
    })
    .await
    .unwrap();
    Lab {
        tech,
        site,
        kit,
        boxes: box_ids,
    }
}

async fn serve(hub: &Hub) -> String {
    let config = tls::server_config(hub.data_dir()).unwrap();
    let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
    let hub = hub.clone();
    tokio::spawn(async move {
        aliquot_hub::http::serve(
            hub,
            "127.0.0.1:0".parse().unwrap(),
            Some(config),
            move |addr, _| {
                let _ = ready_tx.send(addr);
            },
            std::future::pending(),
        )
        .await
        .unwrap();
    });
    format!("https://127.0.0.1:{}", ready_rx.await.unwrap().port())
}

async fn workstation(dir: &Path, hub: &Hub, url: &str, fingerprint: &str, name: &str) -> Api {
    let api = Api::new(Store::open(dir, Arc::new(SystemClock)).await.unwrap());
    let code = hub.enroll(name, Duration::minutes(10)).await.unwrap().code;
    api.connect_hub(
        None,
        aliquot_api::sync::ConnectHubArgs {
            url: url.into(),
            code,
            fingerprint: fingerprint.into(),
        },
    )
    .await
    .unwrap();
    api
}

/// The HTTPS client `api`'s workstation syncs with (its own credential, the pinned
/// certificate), each call allowed `timeout_s` seconds.
async fn own_client(
    url: &str,
    fingerprint: &str,
    api: &Api,
    timeout_s: u64,
) -> aliquot_api::hub_client::HubClient {
    let link = api.store().hub_link().await.unwrap().unwrap();
    aliquot_api::hub_client::HubClient::new(
        url,
        Some(fingerprint),
        Some(&link.credential),
        std::time::Duration::from_secs(timeout_s),
    )
    .unwrap()
}

/// Participant + kit of two tubes + both tubes received and placed: three commands.
async fn bench_work(api: &Api, lab: &Lab, kits: usize, box_offset: usize) -> usize {
    let store = api.store();
    let mut commands = 0;
    for i in 0..kits {
        let participant = Uuid::now_v7();
        let tubes = [Uuid::now_v7(), Uuid::now_v7()];
        let storage_box = lab.boxes[(box_offset + i / 40) % lab.boxes.len()];
        let slot = i % 40;
        for command in [
            Command::RegisterParticipant {
                participant_id: participant,
                site_id: lab.site,
                number: None,
                external_id: None,
                consent: ConsentStatus::Given,
                consent_date: (Utc::now() - Duration::days(1)).date_naive(),
                sex: None,
                birth_year: None,
            },
            Command::RegisterKit {
                registration_id: Uuid::now_v7(),
                participant_id: participant,
                template_id: lab.kit,
                template_version: Some(1),
                event_id: None,
                collected_at: Utc::now() - Duration::hours(1),
                collector: "Nurse Jo".into(),
                tubes: tubes
                    .iter()
                    .map(|id| NewTube {
                        sample_id: *id,
                        code: None,
                    })
                    .collect(),
            },
            Command::PlaceSamples {
                box_id: storage_box,
                tubes: tubes
                    .iter()
                    .enumerate()
                    .map(|(k, id)| TubePlacement {
                        sample_id: *id,
                        position: Some(format!(
                            "{}{}",
                            (b'A' + ((2 * slot + k) / 9) as u8) as char,
                            (2 * slot + k) % 9 + 1
                        )),
                    })
                    .collect(),
                source: PlacementSource::Scan,
                receive: true,
            },
        ] {
            store.execute(&lab.tech, command).await.unwrap();
            commands += 1;
        }
    }
    commands
}

/// Rows in the hub's lab tables.
async fn lab_rows(hub: &Hub) -> usize {
    let mut rows = 0i64;
    for table in aliquot_store::lab_tables::LAB_TABLES {
        let n: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM \"{}\"", table.name))
            .fetch_one(hub.store().pool())
            .await
            .unwrap();
        rows += n;
    }
    rows as usize
}

fn rate(n: usize, seconds: f64) -> String {
    format!("{:.0}/s", n as f64 / seconds.max(1e-9))
}

/// Peak RSS of a child process, read from /proc while it runs.
fn run_measured(mut command: std::process::Command) -> (std::process::ExitStatus, f64, u64) {
    let started = Instant::now();
    let mut child = command.spawn().unwrap();
    let status_file = PathBuf::from(format!("/proc/{}/status", child.id()));
    let mut peak_kib = 0u64;
    loop {
        if let Ok(text) = std::fs::read_to_string(&status_file) {
            if let Some(kib) = text
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            {
                peak_kib = peak_kib.max(kib);
            }
        }
        if let Some(status) = child.try_wait().unwrap() {
            return (status, started.elapsed().as_secs_f64(), peak_kib);
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// Loads `samples` samples (half as many participants, a status history row each) into the
/// hub's tables with SQL inside one hub change, so the feed carries them (setup, not a
/// measured path: making a million samples through commands takes hours).
async fn bulk_load(hub: &Hub, lab: &Lab, samples: usize) {
    let pool = hub.store().pool();
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await.unwrap();
    sqlx::query("UPDATE hub_counter SET value = value + 1, open = 1")
        .execute(&mut *tx)
        .await
        .unwrap();
    let participants = samples / 2;
    let at = aliquot_domain::audit::format_utc(Utc::now());
    sqlx::query(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?1)
         INSERT INTO participants (id, site_id, number, code, external_id, consent, consent_date, created_at, created_by, updated_at)
         SELECT printf('bulk-p-%09d', i), ?2, 5000000 + i, printf('PB%09d', i), NULL, 'given', '2026-01-01', ?3, ?4, ?3 FROM n",
    )
    .bind(participants as i64)
    .bind(lab.site.to_string())
    .bind(&at)
    .bind(lab.tech.user_id.to_string())
    .execute(&mut *tx)
    .await
    .unwrap();
    sqlx::query(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?1)
         INSERT INTO samples (id, code, participant_id, sample_type, status, collected_at, collector, volume_ul, created_at, updated_at)
         SELECT printf('bulk-s-%09d', i), printf('BULK%09d', i), printf('bulk-p-%09d', (i + 1) / 2), 'whole_blood', 'collected', ?2, 'Bulk', 500, ?2, ?2 FROM n",
    )
    .bind(samples as i64)
    .bind(&at)
    .execute(&mut *tx)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO sample_status_history (sample_id, from_status, to_status, via, actor_id, at, reason, command_id)
         SELECT id, NULL, 'collected', 'registration', ?1, ?2, NULL, 'bulk' FROM samples WHERE id LIKE 'bulk-s-%'",
    )
    .bind(lab.tech.user_id.to_string())
    .bind(&at)
    .execute(&mut *tx)
    .await
    .unwrap();
    // As if made by many commands: a change number every 1,000 feed rows (one change of
    // millions of rows would be one page of millions).
    sqlx::query(
        "UPDATE hub_changes SET change = change + (seq - (SELECT MIN(seq) FROM hub_changes WHERE change = (SELECT value FROM hub_counter))) / 1000
         WHERE change = (SELECT value FROM hub_counter)",
    )
    .execute(&mut *tx)
    .await
    .unwrap();
    sqlx::query("UPDATE hub_counter SET value = (SELECT MAX(change) FROM hub_changes), open = 0")
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

#[tokio::main]
async fn main() {
    let kits = env("SYNC_BENCH_KITS", 2_000);
    let samples = env("SYNC_BENCH_SAMPLES", 1_000_000);
    let shift = env("SYNC_BENCH_SHIFT", 2_000);
    let rebase_depths: Vec<usize> = std::env::var("SYNC_BENCH_REBASE")
        .unwrap_or_else(|_| "10,100,1000,10000".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let work = tempfile::tempdir().unwrap();
    let hub_dir = work.path().join("hub");
    let hub = Hub::open(&hub_dir, Arc::new(SystemClock)).await.unwrap();
    let fingerprint = tls::ensure_certificate(&hub_dir, &[]).unwrap();
    // Every workload below fills boxes of its own (40 kits a box), so nothing collides.
    let boxes = kits / 40
        + 2
        + rebase_depths
            .iter()
            .map(|d| d.div_ceil(3) / 40 + 3)
            .sum::<usize>()
        + 3 * (shift.div_ceil(3) / 40 + 3);
    let lab = lab(&hub, boxes).await;
    let url = serve(&hub).await;
    println!("sync bench: {kits} kits ({} commands) pushed, rebase at {rebase_depths:?}, bootstrap at {samples} samples", kits * 3);

    // 1. Push. (Desk 2 joins first, while the lab is nearly empty, to pull it all later
    // through the feed.)
    let w1 = workstation(&work.path().join("w1"), &hub, &url, &fingerprint, "Desk 1").await;
    let w2 = workstation(&work.path().join("w2"), &hub, &url, &fingerprint, "Desk 2").await;
    let started = Instant::now();
    let commands = bench_work(&w1, &lab, kits, 0).await;
    let executed = started.elapsed().as_secs_f64();
    let client = own_client(&url, &fingerprint, &w1, 120).await;
    let started = Instant::now();
    let pushed = w1
        .sync_round_with(&client, RoundParts::PushOnly)
        .await
        .unwrap()
        .pushed;
    let push_s = started.elapsed().as_secs_f64();
    assert_eq!(pushed, commands);
    println!(
        "push over HTTPS: {pushed} commands in {push_s:.2} s = {} | baseline, same run: executing them on the workstation {executed:.2} s = {}",
        rate(pushed, push_s),
        rate(commands, executed)
    );

    // 2. Pull: every change of that push, through the feed, into Desk 2.
    let client2 = own_client(&url, &fingerprint, &w2, 120).await;
    let started = Instant::now();
    let feed_rows = w2
        .sync_round_with(&client2, RoundParts::PullOnly)
        .await
        .unwrap()
        .pulled_rows;
    let pull_s = started.elapsed().as_secs_f64();
    println!(
        "pull of the feed over HTTPS: {feed_rows} row changes in {pull_s:.2} s = {} | baseline: the push above {}",
        rate(feed_rows, pull_s),
        rate(pushed, push_s)
    );
    // … and the same lab copied by a workstation that joins now (the snapshot).
    let started = Instant::now();
    let w3 = workstation(&work.path().join("w3"), &hub, &url, &fingerprint, "Desk 3").await;
    let join_s = started.elapsed().as_secs_f64();
    let rows = lab_rows(&hub).await;
    drop(w3);
    println!(
        "join of a new workstation over HTTPS (enrollment, snapshot, feed): {rows} lab rows in {join_s:.2} s = {}",
        rate(rows, join_s)
    );

    // 3. A push with nothing to send, after a pull.
    w1.sync_round_with(&client, RoundParts::PullOnly)
        .await
        .unwrap();
    let mut empty = Vec::new();
    for _ in 0..20 {
        let started = Instant::now();
        w2.sync_round_with(&client2, RoundParts::PushOnly)
            .await
            .unwrap();
        empty.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    empty.sort_by(f64::total_cmp);
    println!(
        "push with nothing to send, after a pull ({rows} rows held): p50 {:.2} ms, max {:.2} ms (20 runs) | PouchDB's first push after a pull: see pouchdb/bench.mjs",
        empty[10], empty[19]
    );

    // 4. Rebase cost by pending depth.
    let mut offset = kits / 40 + 1;
    for depth in rebase_depths {
        let dir = work.path().join(format!("rebase-{depth}"));
        let w = workstation(&dir, &hub, &url, &fingerprint, &format!("Rebase {depth}")).await;
        let own = own_client(&url, &fingerprint, &w, 600).await;
        let kits_needed = depth.div_ceil(3);
        let started = Instant::now();
        let made = bench_work(&w, &lab, kits_needed, offset).await;
        let made_s = started.elapsed().as_secs_f64();
        offset += kits_needed / 40 + 1;
        // One change elsewhere, then a pull: every pending command is taken back and run again.
        bench_work(&w1, &lab, 1, offset).await;
        offset += 1;
        w1.sync_round_with(&client, RoundParts::PushOnly)
            .await
            .unwrap();
        let started = Instant::now();
        let round = w.sync_round_with(&own, RoundParts::PullOnly).await.unwrap();
        let rebase_s = started.elapsed().as_secs_f64();
        assert_eq!(round.rebased, made);
        println!(
            "rebase of {made} pending commands on a pull: {:.3} s ({:.2} ms a command) | baseline: executing them {made_s:.3} s ({:.2} ms a command)",
            rebase_s,
            rebase_s * 1000.0 / made as f64,
            made_s * 1000.0 / made as f64
        );
    }

    // 5. Bootstrap from a large hub, in a separate process.
    let started = Instant::now();
    bulk_load(&hub, &lab, samples).await;
    println!(
        "(setup: {samples} samples bulk-loaded into the hub and its feed in {:.1} s)",
        started.elapsed().as_secs_f64()
    );
    let rows = lab_rows(&hub).await;
    let code = hub
        .enroll("Bootstrap", Duration::minutes(30))
        .await
        .unwrap()
        .code;
    let bin = std::env::current_exe()
        .unwrap()
        .parent()
        .unwrap()
        .parent()
        .unwrap()
        .join("aliquot");
    assert!(
        bin.exists(),
        "{} is missing: cargo build --release -p aliquot-cli",
        bin.display()
    );
    let mut command = std::process::Command::new(&bin);
    command
        .arg("--data-dir")
        .arg(work.path().join("bootstrap"))
        .args([
            "connect-hub",
            "--url",
            &url,
            "--code",
            &code,
            "--fingerprint",
            &fingerprint,
        ])
        .env(
            "ALIQUOT_LOG",
            std::env::var("SYNC_BENCH_CHILD_LOG").unwrap_or_else(|_| "warn".into()),
        )
        .stdout(std::process::Stdio::null());
    let (status, seconds, peak_kib) = tokio::task::spawn_blocking(move || run_measured(command))
        .await
        .unwrap();
    assert!(status.success());
    println!(
        "bootstrap of a new workstation (aliquot connect-hub, own process): {samples} samples, {rows} lab rows in {seconds:.1} s = {}, peak RSS {:.0} MiB",
        rate(rows, seconds),
        peak_kib as f64 / 1024.0
    );
    // The hub's half of a convergence check at that size (every lab table's digest),
    // which a workstation runs every 30th round, not in its first.
    let started = Instant::now();
    hub.store().lab_digests().await.unwrap();
    println!(
        "(the digests of every lab table at {samples} samples, one side of a convergence check: {:.1} s)",
        started.elapsed().as_secs_f64()
    );

    // 6. The offline shift: three desks, offline all shift, then back.
    let mut offset = boxes - 3 * (shift.div_ceil(3) / 40 + 3);
    let kits_each = shift.div_ceil(3);
    let shared = kits_each / 10;
    let shared_offset = offset;
    offset += shared / 40 + 1;
    let mut desks = Vec::new();
    let mut executing = 0.0;
    let mut made = 0;
    for n in 0..3 {
        let w = workstation(
            &work.path().join(format!("shift-{n}")),
            &hub,
            &url,
            &fingerprint,
            &format!("Shift desk {n}"),
        )
        .await;
        let own = own_client(&url, &fingerprint, &w, 600).await;
        // Blocks first, as a desk leaving for a shift has them.
        w.sync_round_with(&own, RoundParts::All).await.unwrap();
        desks.push((w, own));
    }
    for (w, _) in &desks {
        let started = Instant::now();
        // The same wells as the other desks for a tenth of the kits; its own boxes after.
        made += bench_work(w, &lab, shared, shared_offset).await;
        made += bench_work(w, &lab, kits_each - shared, offset).await;
        offset += (kits_each - shared) / 40 + 1;
        executing += started.elapsed().as_secs_f64();
    }
    let started = Instant::now();
    // Back on the network: every desk sends what it made, all at once (the hub decides
    // them one batch at a time); then every desk pulls; then rounds of both until a round
    // moves nothing anywhere. The phases are timed apart to show where the time goes.
    futures_util::future::join_all(desks.iter().map(|(w, own)| async move {
        w.sync_round_with(own, RoundParts::PushOnly).await.unwrap();
    }))
    .await;
    let pushed_s = started.elapsed().as_secs_f64();
    let pulled_rows: Vec<usize> =
        futures_util::future::join_all(desks.iter().map(|(w, own)| async move {
            w.sync_round_with(own, RoundParts::PullOnly)
                .await
                .unwrap()
                .pulled_rows
        }))
        .await;
    let pulled_s = started.elapsed().as_secs_f64() - pushed_s;
    let mut rounds = 0;
    loop {
        rounds += 1;
        let moved = futures_util::future::join_all(desks.iter().map(|(w, own)| async move {
            let round = w.sync_round_with(own, RoundParts::All).await.unwrap();
            round.pushed + round.pulled_rows
        }))
        .await;
        if moved.iter().all(|n| *n == 0) {
            break;
        }
    }
    let converge_s = started.elapsed().as_secs_f64();
    let on_hub = hub.store().lab_digests().await.unwrap();
    let mut refused = 0;
    for (w, _) in &desks {
        assert_eq!(w.store().lab_digests().await.unwrap(), on_hub);
        refused += w.store().outbox_counts().await.unwrap().rejected;
    }
    println!(
        "offline shift: 3 desks × {} commands ({made} in all, {refused} refused as conflicts), reconnected: every desk holds the hub's lab after {converge_s:.2} s (all pushed after {pushed_s:.2} s; all pulled ({} rows) {pulled_s:.2} s later; then {rounds} rounds) | baseline: executing them on the desks {executing:.2} s; PouchDB converging the same shift: below",
        made / 3,
        pulled_rows.iter().sum::<usize>()
    );

    // 7. The PouchDB baseline, in this run, when its packages are installed.
    let pouch = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/pouchdb");
    if pouch.join("node_modules").exists() {
        let out = std::process::Command::new("node")
            .arg(pouch.join("bench.mjs"))
            .env("POUCH_PUSH_DOCS", commands.to_string())
            .env("POUCH_SHIFT_DOCS", (kits_each * 3).to_string())
            .output()
            .unwrap();
        print!("{}", String::from_utf8_lossy(&out.stdout));
    } else {
        println!(
            "(PouchDB baseline skipped: npm install --prefix {} first)",
            pouch.display()
        );
    }
}
