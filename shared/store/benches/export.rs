//! The streamed query export on this machine, beside a baseline measured in the same run.
//!
//! **Measured:** `Store::export_query_csv` of one samples query, 8 columns (sample code,
//! sample type, status, participant, site, collected at, volume, box), no filter, in the
//! query's default order (the sample code), into a file through a 64 KiB `BufWriter`: the
//! whole call, from the query's check to the file flushed (a connection of its own opened,
//! its read transaction, SQLite's scan and joins: participants, sites, placements, boxes;
//! sqlx's row stream, each cell read by its field's type (the moment parsed), the CSV
//! writer). Rows per second is rows / that time.
//!
//! **Baseline:** the same SELECT (`aliquot_store::query::select_sql`, the very text the
//! export runs) by the sqlite3 command-line shell, `sqlite3 -csv -header <db> "<SELECT>"`,
//! its standard output to a file: SQLite's own loop and CSV printer, no Rust, no parsing
//! of moments, the process's start included. The ratio is export time / baseline time.
//!
//! **Memory:** the growth of the process's peak resident memory (RSS) over the first export
//! of each store: VmHWM after it less VmRSS before it, the peak reset through
//! /proc/self/clear_refs just before (Linux only; `n/a` elsewhere). It counts every page
//! that becomes resident in any thread (sqlx runs the connection on a thread of its own:
//! SQLite's page cache, up to the store's `cache_size` of 32 MiB, counts), and not memory
//! the allocator reuses that was already resident. Each size runs in a process of its own
//! (the bench runs itself with `EXPORT_BENCH_CHILD=<rows>`) that has only built its store,
//! so neither figure is flattered by the other's freed memory; a flat export has about the
//! same figure at both sizes.
//!
//! **Sizes:** two stores, `EXPORT_BENCH_ROWS` samples (default 1,000,000) and a tenth of
//! that, each a real store (`Store::open`: WAL, synchronous=FULL, foreign keys on) in a
//! fresh temporary directory. Setup (not measured): the first administrator by its
//! command, then in one transaction of raw INSERT … SELECTs: 4 sites, 40 field events, a
//! participant per 5 samples, 10 freezers of 10 racks, 9 × 9 boxes filled in order, the
//! samples (stored, one in three with a field event) and their placements (the placement
//! triggers keep each box's count); then the WAL is checkpointed.
//!
//! **Timing:** `EXPORT_BENCH_RUNS` (default 3) runs of each, the median shown; the first
//! export of each store is also its memory figure. Export and baseline take turns, after
//! one untimed baseline that brings the database file into the page cache.
//!
//! Run: `cargo bench -p aliquot-store --bench export`
//! Smaller: `EXPORT_BENCH_ROWS=200000 cargo bench -p aliquot-store --bench export`

use aliquot_domain::query::{FilterGroup, Query, QueryEntity};
use aliquot_domain::{Actor, Command, SystemClock};
use aliquot_reports::csv::CsvOptions;
use aliquot_store::query::{select_sql, ExportOutcome, ExportProgress};
use aliquot_store::{hash_password, Store, DB_FILE_NAME};
use std::future::Future;
use std::io::BufWriter;
use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::{Duration, Instant};
use uuid::Uuid;

const COLUMNS: [&str; 8] = [
    "code",
    "sample_type",
    "status",
    "participant",
    "site",
    "collected_at",
    "volume_ul",
    "box",
];

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

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times.get(times.len() / 2).copied().unwrap_or_default()
}

fn per_second(rows: u64, took: Duration) -> String {
    thousands((rows as f64 / took.as_secs_f64()) as u64)
}

/// A `kB` field of /proc/self/status (`VmRSS:`, `VmHWM:`), in KiB; `None` if it cannot be
/// read (not Linux).
fn status_kib(field: &str) -> Option<usize> {
    std::fs::read_to_string("/proc/self/status")
        .ok()?
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
}

/// Resets VmHWM to the current RSS, so the next reading is the peak of what follows.
fn reset_peak() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// Awaits `work` and answers its output with the growth of the process's peak RSS over it,
/// in KiB (VmHWM after it less VmRSS before it, the peak reset just before), and its time.
async fn with_peak<T>(work: impl Future<Output = T>) -> (T, Option<usize>, Duration) {
    let reset = reset_peak();
    let before = status_kib("VmRSS:");
    let started = Instant::now();
    let out = work.await;
    let took = started.elapsed();
    let peak = status_kib("VmHWM:");
    let growth = match (reset, before, peak) {
        (true, Some(before), Some(peak)) => Some(peak.saturating_sub(before)),
        _ => None,
    };
    (out, growth, took)
}

fn peak_shown(kib: Option<usize>) -> String {
    kib.map_or_else(
        || "n/a".to_owned(),
        |kib| format!("{:.1} MB", kib as f64 / 1024.0),
    )
}

/// A real store with `rows` samples and everything their joins reach (see the module's
/// notes), loaded raw in one transaction.
async fn bulk_store(rows: u64) -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), Arc::new(SystemClock))
        .await
        .unwrap();
    let admin = Uuid::now_v7();
    store
        .execute(
            &Actor::system(),
            Command::CreateFirstAdmin {
                user_id: admin,
                username: "admin".into(),
                display_name: "Bench Admin".into(),
                password_hash: hash_password("bench passphrase, never used").unwrap(),
            },
        )
        .await
        .unwrap();
    let participants = rows.div_ceil(5);
    let boxes = rows.div_ceil(81);
    let now = "2026-03-01T09:00:00.000000Z";
    let statements: [&str; 7] = [
        "WITH RECURSIVE k(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM k WHERE i < 3)
         INSERT INTO sites (id, code, name, participant_range_start, participant_range_end, created_at, updated_at)
         SELECT printf('00000000-0000-7000-8001-%012d', i), printf('SITE%d', i), printf('Site %d', i),
                1000000 * (i + 1), 1000000 * (i + 1) + 999999, ?3, ?3 FROM k",
        "WITH RECURSIVE k(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM k WHERE i < 39)
         INSERT INTO field_events (id, site_id, name, event_date, coordinator_id, created_at)
         SELECT printf('00000000-0000-7000-8002-%012d', i), printf('00000000-0000-7000-8001-%012d', i % 4),
                printf('Market day %d', i), printf('2025-%02d-%02d', 1 + i % 12, 1 + i % 28), ?4, ?3 FROM k",
        "WITH RECURSIVE k(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM k WHERE i < ?1 - 1)
         INSERT INTO participants (id, site_id, number, code, external_id, consent, consent_date, sex,
                                   birth_year, created_at, created_by, updated_at)
         SELECT printf('00000000-0000-7000-8003-%012d', i), printf('00000000-0000-7000-8001-%012d', i % 4),
                1000000 * (i % 4 + 1) + i / 4, printf('P%07dK', i), NULL, 'given', '2025-06-01',
                CASE i % 2 WHEN 0 THEN 'female' ELSE 'male' END, 1940 + i % 60, ?3, ?4, ?3 FROM k",
        "WITH RECURSIVE k(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM k WHERE i < 9)
         INSERT INTO freezers (id, name, location, kind, temperature_c, created_at)
         SELECT printf('00000000-0000-7000-8004-%012d', i), printf('Freezer %d', i), 'Room 1',
                'ultra_low', -80, ?3 FROM k",
        "WITH RECURSIVE k(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM k WHERE i < 99)
         INSERT INTO racks (id, freezer_id, name, created_at)
         SELECT printf('00000000-0000-7000-8005-%012d', i), printf('00000000-0000-7000-8004-%012d', i / 10),
                printf('Rack %d', i % 10), ?3 FROM k",
        "WITH RECURSIVE k(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM k WHERE i < ?2 - 1)
         INSERT INTO boxes (id, rack_id, name, barcode, box_type, rows, columns, capacity, created_at)
         SELECT printf('00000000-0000-7000-8006-%012d', i), printf('00000000-0000-7000-8005-%012d', i % 100),
                printf('Box %06d', i), printf('BX%08d', i), 'cryobox', 9, 9, 81, ?3 FROM k",
        "WITH RECURSIVE k(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM k WHERE i < ?5 - 1)
         INSERT INTO samples (id, code, participant_id, sample_type, status, event_id, collected_at,
                              collector, volume_ul, created_at, updated_at)
         SELECT printf('00000000-0000-7000-8007-%012d', i), printf('AQ%08dK', i),
                printf('00000000-0000-7000-8003-%012d', i / 5),
                CASE i % 3 WHEN 0 THEN 'plasma' WHEN 1 THEN 'serum' ELSE 'buffy_coat' END, 'stored',
                CASE WHEN i % 3 = 0 THEN printf('00000000-0000-7000-8002-%012d', i % 40) END,
                printf('2025-%02d-%02dT%02d:%02d:00.000000Z', 1 + i % 12, 1 + i % 28, i % 24, i % 60),
                'Nurse Joy', 50 * (1 + i % 10), ?3, ?3 FROM k",
    ];
    let mut tx = store.pool().begin_with("BEGIN IMMEDIATE").await.unwrap();
    for sql in statements {
        sqlx::query(sql)
            .bind(participants as i64)
            .bind(boxes as i64)
            .bind(now)
            .bind(admin.to_string())
            .bind(rows as i64)
            .execute(&mut *tx)
            .await
            .unwrap();
    }
    sqlx::query(
        "INSERT INTO placements (sample_id, box_id, position, row_index, column_index, placed_at)
         SELECT s.id, printf('00000000-0000-7000-8006-%012d', k / 81),
                char(65 + (k % 81) / 9) || (1 + k % 9), (k % 81) / 9, k % 9, ?1
         FROM (SELECT id, CAST(substr(code, 3, 8) AS INTEGER) AS k FROM samples) s",
    )
    .bind(now)
    .execute(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(store.pool())
        .await
        .unwrap();
    (dir, store)
}

fn samples_query() -> Query {
    Query {
        entity: QueryEntity::Samples,
        filter: FilterGroup::default(),
        columns: COLUMNS.iter().map(|c| (*c).to_owned()).collect(),
        sort: vec![],
    }
}

async fn export(store: &Store, path: &Path) -> u64 {
    let file = std::fs::File::create(path).unwrap();
    let cancelled = AtomicBool::new(false);
    let on_rows = |_: u64| {};
    let outcome = store
        .export_query_csv(
            &samples_query(),
            BufWriter::with_capacity(1 << 16, file),
            CsvOptions::default(),
            ExportProgress {
                on_rows: &on_rows,
                cancelled: &cancelled,
            },
        )
        .await
        .unwrap();
    match outcome {
        ExportOutcome::Finished { rows } => rows,
        ExportOutcome::Cancelled { .. } => panic!("nothing cancels the bench"),
    }
}

/// The sqlite3 shell's run of the same SELECT, its output to `path`; its time.
fn baseline(db: &Path, path: &Path) -> Duration {
    let sql = select_sql(&samples_query()).unwrap();
    let out = std::fs::File::create(path).unwrap();
    let started = Instant::now();
    let status = std::process::Command::new("sqlite3")
        .arg("-csv")
        .arg("-header")
        .arg(db)
        .arg(&sql)
        .stdout(out)
        .status()
        .expect("the sqlite3 shell is installed");
    let took = started.elapsed();
    assert!(status.success(), "sqlite3 failed on {sql}");
    took
}

fn lines(path: &Path) -> u64 {
    let bytes = std::fs::read(path).unwrap();
    bytes.iter().filter(|b| **b == b'\n').count() as u64
}

struct Figures {
    rows: u64,
    export: Duration,
    peak: Option<usize>,
    baseline: Duration,
    bytes: u64,
}

async fn measure(store: &Store, dir: &Path, runs: usize) -> Figures {
    let db = dir.join(DB_FILE_NAME);
    let (ours, theirs) = (dir.join("export.csv"), dir.join("sqlite3.csv"));
    let (rows, peak, first) = with_peak(export(store, &ours)).await;
    let bytes = std::fs::metadata(&ours).map(|m| m.len()).unwrap_or(0);
    baseline(&db, &theirs);
    assert_eq!(lines(&theirs), rows + 1, "the shell printed as many rows");
    let (mut exports, mut baselines) = (vec![first], Vec::new());
    for run in 0..runs {
        baselines.push(baseline(&db, &theirs));
        if run + 1 < runs {
            let started = Instant::now();
            assert_eq!(export(store, &ours).await, rows);
            exports.push(started.elapsed());
        }
    }
    Figures {
        rows,
        export: median(exports),
        peak,
        baseline: median(baselines),
        bytes,
    }
}

/// One size, in a process of its own (so its memory figure owes nothing to the other
/// size's freed memory): builds the store, measures, prints one `figures` line.
async fn child(rows: u64, runs: usize) {
    let setup = Instant::now();
    let (dir, store) = bulk_store(rows).await;
    let db = std::fs::metadata(dir.path().join(DB_FILE_NAME)).map_or(0, |m| m.len());
    let setup = setup.elapsed();
    let f = measure(&store, dir.path(), runs).await;
    store.close().await;
    println!(
        "figures {} {} {} {} {} {} {}",
        f.rows,
        f.export.as_nanos(),
        f.peak.map_or(-1, |k| k as i64),
        f.baseline.as_nanos(),
        f.bytes,
        db,
        setup.as_nanos()
    );
}

/// Runs one size in a child process and reads its figures.
fn run_child(rows: u64, runs: usize) -> (Figures, u64, Duration) {
    let exe = std::env::current_exe().expect("the bench's own path");
    let out = std::process::Command::new(exe)
        .env("EXPORT_BENCH_CHILD", rows.to_string())
        .env("EXPORT_BENCH_RUNS", runs.to_string())
        .output()
        .expect("the bench runs itself");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "the {rows}-row run failed: {text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line = text
        .lines()
        .find_map(|l| l.strip_prefix("figures "))
        .expect("a figures line");
    let n: Vec<i128> = line
        .split_whitespace()
        .map(|x| x.parse().expect("a number"))
        .collect();
    let nanos = |x: i128| Duration::from_nanos(x as u64);
    (
        Figures {
            rows: n[0] as u64,
            export: nanos(n[1]),
            peak: (n[2] >= 0).then_some(n[2] as usize),
            baseline: nanos(n[3]),
            bytes: n[4] as u64,
        },
        n[5] as u64,
        nanos(n[6]),
    )
}

#[tokio::main]
async fn main() {
    let started = Instant::now();
    let runs: usize = std::env::var("EXPORT_BENCH_RUNS")
        .ok()
        .and_then(|n| n.parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or(3);
    if let Some(rows) = std::env::var("EXPORT_BENCH_CHILD")
        .ok()
        .and_then(|n| n.parse().ok())
    {
        child(rows, runs).await;
        return;
    }
    let rows: u64 = std::env::var("EXPORT_BENCH_ROWS")
        .ok()
        .and_then(|n| n.parse().ok())
        .filter(|n| *n >= 10)
        .unwrap_or(1_000_000);
    println!(
        "Export bench: Store::export_query_csv of {} columns ({}) vs `sqlite3 -csv` of the same SELECT; \
         medians of {runs} runs (EXPORT_BENCH_RUNS); each size in a process of its own",
        COLUMNS.len(),
        COLUMNS.join(", ")
    );
    println!("SELECT: {}", select_sql(&samples_query()).unwrap());
    let mut figures = Vec::new();
    for size in [rows / 10, rows] {
        let (f, db, setup) = run_child(size, runs);
        println!(
            "{} samples: setup {:.1} s (raw INSERTs, one transaction), database file {:.0} MB",
            thousands(size),
            setup.as_secs_f64(),
            db as f64 / 1048576.0
        );
        figures.push(f);
    }
    println!();
    println!(
        "{:>10} | {:>9} {:>10} {:>12} | {:>9} {:>10} | {:>6} | {:>8}",
        "rows", "export", "rows/s", "peak RSS +", "sqlite3", "rows/s", "ratio", "CSV"
    );
    for f in &figures {
        println!(
            "{:>10} | {:>7.3} s {:>10} {:>12} | {:>7.3} s {:>10} | {:>5.2}× | {:>5.0} MB",
            thousands(f.rows),
            f.export.as_secs_f64(),
            per_second(f.rows, f.export),
            peak_shown(f.peak),
            f.baseline.as_secs_f64(),
            per_second(f.rows, f.baseline),
            f.export.as_secs_f64() / f.baseline.as_secs_f64(),
            f.bytes as f64 / 1048576.0
        );
    }
    println!();
    println!("whole bench: {:.1} s", started.elapsed().as_secs_f64());
}
