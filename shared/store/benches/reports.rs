//! Report figures on this machine, each beside a baseline measured in the same run:
//!
//! 1. **Compliance over 1,000,000 audit rows** (`REPORTS_BENCH_AUDIT_ROWS`). The rows are
//!    bulk-inserted after the store's first entries with raw multi-row INSERTs (setup, not
//!    measured), **chained for real** (`StoredAuditRow::chain`: each row's hash over its
//!    content and the previous hash), so the chain verification walks every row as it
//!    would in a lab, instead of stopping at a fake first hash. They are spread evenly over
//!    365 days; of every 20 rows 8 are sign-ins, 6 sign-outs, one a failed sign-in (one in
//!    four of those under a name nobody has), four bench commands (kit registration,
//!    status change, placement, check-out), one either a check-in or, once in 2,000 rows
//!    each, a settings change, role change, discard request, discard approval or QC
//!    release; 50 user names.
//!    Measured, each a median of `REPORTS_BENCH_RUNS` (default 3) after one untimed run:
//!    `Store::report(Compliance)` over the whole year and over its last 30 days (the report
//!    includes the whole chain's verification, whatever the period), and
//!    `Store::verify_audit_chain` alone (the walk on its own read-only connection, which
//!    the report runs beside its queries), and, for comparison, the same rows read as
//!    1,000-row sqlx pages through `audit_rows_after` without hashing (how the walk read
//!    them before it had a connection of its own). Baseline: `SELECT COUNT(*) FROM audit_log WHERE at >= ? AND at < ?` over
//!    the same period on the same pool.
//! 2. **Storage occupancy at 100,000 boxes** (`REPORTS_BENCH_BOXES`). 5 freezers, 1,000
//!    racks of 100 boxes; the boxes alternate 9 × 9 (81) and 10 × 10 (100) positions, and
//!    one in 100 is a bag with a limit of 50. Filled by a pattern over each 20 boxes: 2 full,
//!    2 each with 1, 3, 5, 12 and 20 tubes, the rest empty (bags 10): 1.3M placements of
//!    as many samples, inserted with `INSERT … SELECT` (the occupancy counter kept by the
//!    schema's triggers as in the app). Measured as above: `Store::report(Occupancy)` of all
//!    freezers and of one. Baseline: `SELECT COUNT(*) FROM boxes`.
//!
//! The store is the real one (`Store::open`: WAL, synchronous=FULL, foreign keys on) in a
//! fresh temporary directory, one for each section. Goal: each report under 2 s.
//!
//! Run: `cargo bench -p aliquot-store --bench reports`
//! Smaller: `REPORTS_BENCH_AUDIT_ROWS=100000 REPORTS_BENCH_BOXES=10000 cargo bench …`

use aliquot_domain::audit::{format_utc, AuditAction, AuditContext, AuditEntry, StoredAuditRow};
use aliquot_domain::reports::{Period, ReportRequest};
use aliquot_domain::{Actor, Command, CommandKind, SystemClock};
use aliquot_reports::Report;
use aliquot_store::{hash_password, Store, DB_FILE_NAME};
use chrono::{DateTime, Duration as Span, TimeZone, Utc};
use serde_json::json;
use std::future::Future;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};
use uuid::Uuid;

const ROWS_PER_INSERT: usize = 100;
const USERS: usize = 50;
const RACKS_PER_FREEZER: usize = 200;
const BOXES_PER_RACK: usize = 100;

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|n| n.replace(['_', ','], "").parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or(default)
}

fn thousands(mut n: u64) -> String {
    let mut groups = Vec::new();
    while n >= 1000 {
        groups.push(format!("{:03}", n % 1000));
        n /= 1000;
    }
    groups.push(n.to_string());
    groups.reverse();
    groups.join(",")
}

fn shown(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1e3;
    if ms < 1.0 {
        format!("{:.0} µs", ms * 1e3)
    } else {
        format!("{ms:.1} ms")
    }
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times.get(times.len() / 2).copied().unwrap_or_default()
}

/// One untimed run, then the median of `runs` timed ones.
async fn timed<T, F, Fut>(runs: usize, mut work: F) -> (Duration, T)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = T>,
{
    let mut last = work().await;
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let started = Instant::now();
        last = work().await;
        times.push(started.elapsed());
    }
    (median(times), last)
}

fn db_size(dir: &Path) -> String {
    let len = |p: &Path| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0) as f64 / 1048576.0;
    format!(
        "database file {:.0} MB (+ WAL {:.0} MB)",
        len(&dir.join(DB_FILE_NAME)),
        len(&dir.join(format!("{DB_FILE_NAME}-wal")))
    )
}

fn rows_of(r: &Report) -> String {
    let rows: usize = r.tables.iter().map(|t| t.rows.len()).sum();
    let left: u64 = r.tables.iter().map(|t| t.rows_left_out).sum();
    format!(
        "{} tables, {} rows shown, {} left out",
        r.tables.len(),
        thousands(rows as u64),
        thousands(left)
    )
}

fn figure(r: &Report, label: &str) -> String {
    r.figures
        .iter()
        .find(|f| f.label == label)
        .map(|f| match &f.value {
            aliquot_reports::Value::Integer(n) => thousands(u64::try_from(*n).unwrap_or(0)),
            aliquot_reports::Value::Text(t) => t.clone(),
            other => format!("{other:?}"),
        })
        .unwrap_or_default()
}

struct Line {
    what: String,
    report: Duration,
    baseline: Duration,
    baseline_name: &'static str,
}

fn print_table(lines: &[Line]) {
    println!(
        "   {:<46} {:>12} {:>12}  baseline is",
        "measured", "report", "baseline"
    );
    for l in lines {
        println!(
            "   {:<46} {:>12} {:>12}  {}",
            l.what,
            shown(l.report),
            shown(l.baseline),
            l.baseline_name
        );
    }
}

async fn new_store(dir: &Path) -> Store {
    let store = Store::open(dir, Arc::new(SystemClock))
        .await
        .expect("the store opens");
    store
        .execute(
            &Actor::system(),
            Command::CreateFirstAdmin {
                user_id: Uuid::now_v7(),
                username: "admin".into(),
                display_name: "Bench Admin".into(),
                password_hash: hash_password("bench admin password").expect("a hash"),
            },
        )
        .await
        .expect("the first administrator");
    store
}

// ------------------------------------------------------------------------- 1. compliance

/// The `i`th bench row: its action, entity, values and reason.
fn audit_entry(i: usize, at: DateTime<Utc>, device: &str, users: &[Uuid]) -> AuditEntry {
    let who = i % USERS;
    let (actor_id, actor_name) = (users[who], format!("user{:02}", who + 1));
    let command = |kind: CommandKind| AuditAction::Command(kind);
    let sample = format!("AQ{:08}", i / 7);
    let mut entry = AuditEntry {
        actor_id,
        actor_name: actor_name.clone(),
        at,
        action: AuditAction::LoginSucceeded,
        entity_type: "session",
        entity_id: Uuid::now_v7().to_string(),
        old_value: None,
        new_value: None,
        reason: None,
        context: AuditContext {
            device_id: device.to_owned(),
            command_id: None,
            subject_user_id: Some(actor_id),
        },
    };
    match i % 20 {
        0..=7 => {}
        8..=13 => entry.action = AuditAction::Logout,
        14 => {
            entry.action = AuditAction::LoginFailed;
            entry.reason = Some("wrong credentials".into());
            entry.actor_id = Uuid::nil();
            entry.context.subject_user_id = None;
            if i % 80 == 14 {
                entry.actor_name = format!("guess{}", i % 300);
            }
            entry.entity_id = entry.actor_name.clone();
        }
        k => {
            entry.context.command_id = Some(Uuid::now_v7());
            entry.entity_type = "sample";
            entry.entity_id = sample.clone();
            let (action, old, new) = match (k, i % 2_000) {
                (15, _) => (
                    command(CommandKind::RegisterKit),
                    None,
                    Some(json!({"participant": "10001", "kit": "Standard", "tubes": [sample]})),
                ),
                (16, _) => (
                    command(CommandKind::TransitionSample),
                    Some(json!({"status": "collected"})),
                    Some(json!({"status": "received"})),
                ),
                (17, _) => (
                    command(CommandKind::PlaceSamples),
                    None,
                    Some(json!({"location": {"box": "F1-R1-B1", "position": "A1"}})),
                ),
                (18, _) => (
                    command(CommandKind::CheckOutSamples),
                    Some(json!({"status": "stored"})),
                    Some(json!({"status": "checked_out"})),
                ),
                (_, 19) => {
                    entry.entity_type = "setting";
                    entry.entity_id = "lab_name".into();
                    entry.reason = Some("rename".into());
                    (
                        command(CommandKind::ChangeSettings),
                        Some(json!("Old name")),
                        Some(json!(format!("Name {i}"))),
                    )
                }
                (_, 39) => {
                    entry.entity_type = "user";
                    entry.entity_id = users[(who + 1) % USERS].to_string();
                    entry.reason = Some("promotion".into());
                    (
                        command(CommandKind::ChangeRole),
                        Some(json!({"role": "technician"})),
                        Some(json!({"role": "lab_manager"})),
                    )
                }
                (_, 59) => {
                    entry.entity_type = "discard_request";
                    entry.entity_id = Uuid::now_v7().to_string();
                    entry.reason = Some("cracked".into());
                    (
                        command(CommandKind::RequestDiscard),
                        None,
                        Some(json!({"sample": sample, "state": "pending"})),
                    )
                }
                (_, 79) => {
                    entry.entity_type = "discard_request";
                    entry.entity_id = Uuid::now_v7().to_string();
                    entry.reason = Some("confirmed".into());
                    (
                        command(CommandKind::DecideDiscard),
                        Some(json!({"state": "pending"})),
                        Some(json!({"state": "approved", "sample": sample})),
                    )
                }
                (_, 99) => {
                    entry.entity_type = "run";
                    entry.entity_id = Uuid::now_v7().to_string();
                    entry.reason = Some("control vial thawed".into());
                    (
                        command(CommandKind::DecideRun),
                        Some(json!({"state": "held"})),
                        Some(json!({"state": "released", "decision": "release"})),
                    )
                }
                _ => (
                    command(CommandKind::CheckInSamples),
                    Some(json!({"status": "checked_out"})),
                    Some(json!({"status": "stored", "time_out_seconds": 600})),
                ),
            };
            entry.action = action;
            entry.old_value = old;
            entry.new_value = new;
        }
    }
    entry
}

/// Appends `rows` chained rows over `[start, start + span)`; answers how long it took.
async fn load_audit(store: &Store, rows: usize, start: DateTime<Utc>, span: Span) -> Duration {
    let started = Instant::now();
    let users: Vec<Uuid> = (0..USERS).map(|_| Uuid::now_v7()).collect();
    let mut tx = store.pool().begin().await.expect("a transaction");
    let (mut seq, mut hash): (i64, String) =
        sqlx::query_as("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
            .fetch_one(&mut *tx)
            .await
            .expect("the chain's head");
    let step = span.num_microseconds().unwrap_or(0) / i64::try_from(rows).unwrap_or(1);
    let device = store.device_id().to_owned();
    let mut i = 0;
    while i < rows {
        let n = ROWS_PER_INSERT.min(rows - i);
        let mut chunk = Vec::with_capacity(n);
        for j in i..i + n {
            let at = start + Span::microseconds(step * i64::try_from(j).unwrap_or(0));
            let row = StoredAuditRow::chain(&audit_entry(j, at, &device, &users), seq, &hash);
            seq = row.seq;
            hash.clone_from(&row.hash);
            chunk.push(row);
        }
        let values = vec!["(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"; n].join(", ");
        let sql = format!(
            "INSERT INTO audit_log (seq, at, actor_id, actor_name, action, entity_type, entity_id,
                                    old_value, new_value, reason, context, prev_hash, hash) VALUES {values}"
        );
        let mut q = sqlx::query(&sql);
        for r in chunk {
            q = q
                .bind(r.seq)
                .bind(r.at)
                .bind(r.actor_id)
                .bind(r.actor_name)
                .bind(r.action)
                .bind(r.entity_type)
                .bind(r.entity_id)
                .bind(r.old_value)
                .bind(r.new_value)
                .bind(r.reason)
                .bind(r.context)
                .bind(r.prev_hash)
                .bind(r.hash);
        }
        q.execute(&mut *tx).await.expect("audit rows");
        i += n;
    }
    tx.commit().await.expect("the commit");
    started.elapsed()
}

async fn compliance(rows: usize, runs: usize) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let store = new_store(dir.path()).await;
    let start = Utc
        .with_ymd_and_hms(2025, 1, 1, 0, 0, 0)
        .single()
        .expect("a date");
    let span = Span::days(365);
    let took = load_audit(&store, rows, start, span).await;
    println!(
        "   setup: {} chained audit rows over 365 days in {:.1} s; {}",
        thousands(rows as u64),
        took.as_secs_f64(),
        db_size(dir.path())
    );
    let mut lines = Vec::new();
    for (what, period) in [
        (
            "the whole year",
            Period {
                from: start,
                to: start + span,
            },
        ),
        (
            "its last 30 days",
            Period {
                from: start + span - Span::days(30),
                to: start + span,
            },
        ),
    ] {
        let (from, to) = (format_utc(period.from), format_utc(period.to));
        let (baseline, n): (Duration, i64) = timed(runs, || async {
            sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE at >= ?1 AND at < ?2")
                .bind(&from)
                .bind(&to)
                .fetch_one(store.pool())
                .await
                .expect("the count")
        })
        .await;
        let request = ReportRequest::Compliance { period };
        let (report, r) = timed(runs, || async {
            store
                .report(&request, "bench")
                .await
                .expect("the compliance report")
        })
        .await;
        println!(
            "   {what}: {} rows in the period; sign-ins {}, failed {}, lockouts {}, settings {}, \
             overrides {}; verification {}; {}",
            thousands(u64::try_from(n).unwrap_or(0)),
            figure(&r, "Sign-ins"),
            figure(&r, "Failed sign-ins"),
            figure(&r, "Lockouts"),
            figure(&r, "Settings changed"),
            figure(&r, "Runs released despite QC (overridden)"),
            figure(&r, "Audit trail verification"),
            rows_of(&r)
        );
        lines.push(Line {
            what: format!("compliance report, {what}"),
            report,
            baseline,
            baseline_name: "COUNT(*) of the period",
        });
    }
    let (verify, v) = timed(runs, || async {
        store.verify_audit_chain().await.expect("the verification")
    })
    .await;
    assert!(v.first_break.is_none(), "the bench chain verifies");
    // For comparison: the same rows read as sqlx pages (the walk's reading before), not hashed.
    let (pages, read) = timed(runs, || async {
        let (mut after, mut read) = (0, 0);
        loop {
            let page = store.audit_rows_after(after, 1_000).await.expect("a page");
            let Some(last) = page.last() else { break read };
            after = last.seq;
            read += page.len();
        }
    })
    .await;
    let (count, _): (Duration, i64) = timed(runs, || async {
        sqlx::query_scalar("SELECT COUNT(*) FROM audit_log")
            .fetch_one(store.pool())
            .await
            .expect("the count")
    })
    .await;
    lines.push(Line {
        what: format!(
            "verify_audit_chain alone ({} rows)",
            thousands(u64::try_from(v.entries_checked).unwrap_or(0))
        ),
        report: verify,
        baseline: count,
        baseline_name: "COUNT(*) FROM audit_log",
    });
    lines.push(Line {
        what: format!(
            "the same rows as sqlx pages ({} rows, no hashing)",
            thousands(read as u64)
        ),
        report: pages,
        baseline: count,
        baseline_name: "COUNT(*) FROM audit_log",
    });
    print_table(&lines);
    for l in &lines[..2] {
        println!(
            "   {}: beyond the walk ≈ {} (the queries run beside it)",
            l.what,
            shown(l.report.saturating_sub(verify))
        );
    }
    store.close().await;
}

// ------------------------------------------------------------------------- 2. occupancy

async fn load_storage(store: &Store, boxes: usize) -> (Duration, i64) {
    let started = Instant::now();
    let stamp = format_utc(Utc::now());
    let racks = boxes.div_ceil(BOXES_PER_RACK);
    let freezers = racks.div_ceil(RACKS_PER_FREEZER);
    let mut tx = store.pool().begin().await.expect("a transaction");
    sqlx::query(
        "INSERT INTO sites (id, code, name, participant_range_start, participant_range_end, created_at, updated_at)
         VALUES ('site-1', 'BENCH', 'Bench site', 1, 1000, ?1, ?1)",
    )
    .bind(&stamp)
    .execute(&mut *tx)
    .await
    .expect("a site");
    sqlx::query(
        "INSERT INTO participants (id, site_id, number, code, consent, consent_date, created_at, created_by, updated_at)
         VALUES ('participant-1', 'site-1', 1, 'P1', 'given', '2025-01-01', ?1, 'bench', ?1)",
    )
    .bind(&stamp)
    .execute(&mut *tx)
    .await
    .expect("a participant");
    let numbers =
        "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ?1 - 1)";
    let freezer_ids: Vec<String> = (0..freezers).map(|_| Uuid::now_v7().to_string()).collect();
    for (i, id) in freezer_ids.iter().enumerate() {
        sqlx::query(
            "INSERT INTO freezers (id, name, location, kind, temperature_c, created_at)
             VALUES (?1, ?2, 'Bench room', 'ultra_low', -80, ?3)",
        )
        .bind(id)
        .bind(format!("Freezer {:02}", i + 1))
        .bind(&stamp)
        .execute(&mut *tx)
        .await
        .expect("a freezer");
    }
    let freezer_ids = serde_json::to_string(&freezer_ids).expect("the ids as JSON");
    sqlx::query(&format!(
        "{numbers} INSERT INTO racks (id, freezer_id, name, created_at)
         SELECT printf('rk-%05d', i), json_extract(?4, '$[' || (i / ?3) || ']'),
                printf('Rack %03d', i % ?3 + 1), ?2 FROM n"
    ))
    .bind(i64::try_from(racks).unwrap_or(0))
    .bind(&stamp)
    .bind(i64::try_from(RACKS_PER_FREEZER).unwrap_or(1))
    .bind(&freezer_ids)
    .execute(&mut *tx)
    .await
    .expect("racks");
    // One in 100 a bag of 50; the rest alternate 9 × 9 and 10 × 10.
    sqlx::query(&format!(
        "{numbers} INSERT INTO boxes (id, rack_id, name, barcode, box_type, rows, columns, capacity, created_at)
         SELECT printf('bx-%06d', i), printf('rk-%05d', i / ?3), printf('Box %06d', i), printf('BC%06d', i),
                CASE WHEN i % 100 = 99 THEN 'bag' WHEN i % 2 = 0 THEN '81-tube box' ELSE '100-tube box' END,
                CASE WHEN i % 100 = 99 THEN NULL WHEN i % 2 = 0 THEN 9 ELSE 10 END,
                CASE WHEN i % 100 = 99 THEN NULL WHEN i % 2 = 0 THEN 9 ELSE 10 END,
                CASE WHEN i % 100 = 99 THEN 50 WHEN i % 2 = 0 THEN 81 ELSE 100 END, ?2
         FROM n"
    ))
    .bind(i64::try_from(boxes).unwrap_or(0))
    .bind(&stamp)
    .bind(i64::try_from(BOXES_PER_RACK).unwrap_or(1))
    .execute(&mut *tx)
    .await
    .expect("boxes");
    let wanted = "WITH RECURSIVE k(v) AS (SELECT 0 UNION ALL SELECT v + 1 FROM k WHERE v < 99),
         want AS (SELECT id, rows, columns, capacity,
                         CASE WHEN rows IS NULL THEN 10
                              ELSE CASE (CAST(substr(id, 4) AS INTEGER) / 2) % 10
                                   WHEN 0 THEN capacity WHEN 3 THEN 5 WHEN 4 THEN 12 WHEN 6 THEN 3
                                   WHEN 7 THEN 20 WHEN 9 THEN 1 ELSE 0 END END AS fill
                  FROM boxes)";
    sqlx::query(&format!(
        "{wanted} INSERT INTO samples (id, code, participant_id, sample_type, status, collected_at, collector, created_at, updated_at)
         SELECT w.id || '-' || k.v, 'T' || substr(w.id, 4) || '-' || k.v, 'participant-1', 'plasma', 'stored',
                ?1, 'bench', ?1, ?1
         FROM want w JOIN k ON k.v < w.fill"
    ))
    .bind(&stamp)
    .execute(&mut *tx)
    .await
    .expect("samples");
    let placed = sqlx::query(&format!(
        "{wanted} INSERT INTO placements (sample_id, box_id, position, row_index, column_index, placed_at)
         SELECT w.id || '-' || k.v, w.id,
                CASE WHEN w.rows IS NULL THEN NULL ELSE char(65 + k.v / w.columns) || (k.v % w.columns + 1) END,
                CASE WHEN w.rows IS NULL THEN NULL ELSE k.v / w.columns END,
                CASE WHEN w.rows IS NULL THEN NULL ELSE k.v % w.columns END, ?1
         FROM want w JOIN k ON k.v < w.fill"
    ))
    .bind(&stamp)
    .execute(&mut *tx)
    .await
    .expect("placements")
    .rows_affected();
    tx.commit().await.expect("the commit");
    (started.elapsed(), i64::try_from(placed).unwrap_or(0))
}

async fn occupancy(boxes: usize, runs: usize) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let store = new_store(dir.path()).await;
    let (took, placed) = load_storage(&store, boxes).await;
    println!(
        "   setup: {} boxes in {} racks of {} freezers, {} placements (and samples) in {:.1} s; {}",
        thousands(boxes as u64),
        thousands(boxes.div_ceil(BOXES_PER_RACK) as u64),
        boxes.div_ceil(BOXES_PER_RACK).div_ceil(RACKS_PER_FREEZER),
        thousands(u64::try_from(placed).unwrap_or(0)),
        took.as_secs_f64(),
        db_size(dir.path())
    );
    let (baseline, _): (Duration, i64) = timed(runs, || async {
        sqlx::query_scalar("SELECT COUNT(*) FROM boxes")
            .fetch_one(store.pool())
            .await
            .expect("the count")
    })
    .await;
    let first: String = sqlx::query_scalar("SELECT id FROM freezers ORDER BY name LIMIT 1")
        .fetch_one(store.pool())
        .await
        .expect("a freezer");
    let first: Uuid = first.parse().expect("a freezer id");
    let mut lines = Vec::new();
    for (what, freezer_id) in [
        ("occupancy report, all freezers", None),
        ("occupancy report, one freezer", Some(first)),
    ] {
        let request = ReportRequest::Occupancy { freezer_id };
        let (report, r) = timed(runs, || async {
            store
                .report(&request, "bench")
                .await
                .expect("the occupancy report")
        })
        .await;
        println!(
            "   {what}: positions {}, used {}, free {}, boxes with space {}, merge would empty {}; {}",
            figure(&r, "Positions"),
            figure(&r, "Used"),
            figure(&r, "Free"),
            figure(&r, "Boxes with space"),
            figure(&r, "Boxes that merging would empty"),
            rows_of(&r)
        );
        lines.push(Line {
            what: what.to_owned(),
            report,
            baseline,
            baseline_name: "COUNT(*) FROM boxes",
        });
    }
    print_table(&lines);
    store.close().await;
}

// ------------------------------------------------------------------------- main

#[tokio::main]
async fn main() {
    let started = Instant::now();
    let rows = env("REPORTS_BENCH_AUDIT_ROWS", 1_000_000);
    let boxes = env("REPORTS_BENCH_BOXES", 100_000);
    let runs = env("REPORTS_BENCH_RUNS", 3);
    println!(
        "Reports bench: medians of {runs} runs after one untimed run (REPORTS_BENCH_RUNS); \
         Store::open (WAL, synchronous=FULL, foreign keys on), a fresh temp dir per section."
    );
    println!();
    println!(
        "1. Compliance over {} audit rows (REPORTS_BENCH_AUDIT_ROWS)",
        thousands(rows as u64)
    );
    compliance(rows, runs).await;
    println!();
    println!(
        "2. Storage occupancy at {} boxes (REPORTS_BENCH_BOXES)",
        thousands(boxes as u64)
    );
    occupancy(boxes, runs).await;
    println!();
    println!("Total {:.1} s", started.elapsed().as_secs_f64());
}
