//! Result import figures on this machine, each beside a baseline measured in the same run:
//!
//! 1. **A 1536-well plate.** A BMG MARS absorbance export of a 1536-well plate, every well
//!    read (the generator of `aliquot-instruments`' `parse` bench), imported into a run of
//!    one 1536-well plate. Baseline: `std::fs::read` of the file. Measured: the median of
//!    `std::fs::read` + `Store::preview_import` (parse, then match against the run's plate
//!    map: the run, its instrument, the import of the same file if any, the map's wells with
//!    their tubes' codes), and once, `Store::execute` of the `ImportResults` command
//!    `import_command` builds from the preview (the one commit: each value checked against
//!    the plate map, QC of the control, a `results` row per value, an audit row for the run
//!    and one per tube, the outbox row).
//! 2. **A 100,000-row result set.** A long CSV (`sample;analyte;value;unit;flag`, semicolons,
//!    decimal commas, one value in 50 censored, one in 200 empty, a flag now and then: the
//!    `parse` bench's generator) of 1,000 sample codes × 100 analytes; 900 of the codes are
//!    tubes of the store, 100 are none of its codes. Baseline: `std::fs::read`. Measured: the
//!    median of `std::fs::read` + `Store::match_result_set(LongCsv, no partner)` (parse,
//!    the distinct codes looked up in chunks of 500, every row matched), and once,
//!    `Store::execute` of `Command::ImportResultSet` with the matched values (each linked
//!    tube checked against its code, a `result_set_values` row per value, an audit row for
//!    the set and one per tube, the outbox row).
//!
//! Beside each preview, the format's parser alone (`aliquot_instruments::parse`,
//! `parse_result_set`) after the same read, so the preview's own part (the store's queries
//! and the matching) shows. Beside each commit, two more baselines, each also run once: the
//! same value rows and their import's (or set's) row written with plain INSERTs in one
//! `BEGIN IMMEDIATE` transaction, committed, on the same store, with no checks, no QC, no
//! audit and no outbox: first one row per INSERT (the executor's way), then 256 rows per
//! INSERT. Their values are prepared before the clock starts. They run after the commit, so
//! they write into tables that already hold its rows; the store keeps their rows (two more
//! imports of the run, two more sets, under other SHA-256s).
//!
//! Setup, through commands as a lab does it: an administrator, a lab manager and a
//! technician; a site; a BMG MARS plate reader (`ResultFormat::BmgMars`); a control lot for
//! its read `Raw Data (450)`, targeted at the value the generated file has in AF48 (so QC
//! accepts the run); a run with one 1536-well plate whose layout puts the control in AF48
//! and blanks in AF47 and AF46. 1,500 received tubes (300 participants × 5) are bulk-loaded
//! with raw INSERTs in one transaction (setup, not a measured path; no status history, audit
//! or outbox rows for them), then put on the plate by 1,500 `FillWell` commands, as scanning
//! them would (`well: None`, column order): that is timed too, per well, and printed with
//! no baseline, for information. The file's other 33 wells are empty on the plate map (read,
//! not imported). Section 2 uses 900 of the same 1,500 tubes.
//!
//! Timing: the file is written and read once before timing, so every read comes from the
//! page cache. `IMPORT_BENCH_RUNS` (default 5) is the number of timed runs each median is
//! taken over; in each run, read alone, read + parse and read + preview take turns. The
//! figures below the table give each per well or row. The store is the real
//! one (`Store::open`: WAL, synchronous=FULL, foreign keys on) in a fresh temporary
//! directory. A commit is measured once (a second import of the same file is refused), so
//! its figure is one sample, not a median. Before each measured write (the commit and each
//! raw baseline) the WAL is checkpointed and truncated, untimed, so each starts from an empty
//! WAL; SQLite's automatic checkpoint at the end of a large commit (more than 1,000 WAL
//! pages) is part of that commit's time, as it is in the app.
//!
//! Memory, as in the `parse` bench: the growth of the process's peak resident memory (RSS)
//! over one call, VmHWM after it less VmRSS before it, the peak reset through
//! /proc/self/clear_refs just before (Linux only; `n/a` elsewhere). It counts every page
//! that becomes resident during the call, in any thread of the process (sqlx runs each
//! SQLite connection on its own thread, so SQLite's page cache and statement memory count):
//! the heap touched, the result (alive at the peak) included, allocator overhead, stacks,
//! code faulted in for the first time. It does not count memory the allocator reuses that
//! was already resident, freed by earlier work. So it is taken on the first execution of
//! each, before the timed repeats: the first preview (or match) right after the file's
//! bytes are read, then the commit of the command built from it, then the timed previews.
//! The commit follows one preview whose freed intermediates (the decoded text, the raw
//! results) it may reuse, and section 2 follows section 1: both figures are lower bounds.
//! The timed previews of a file run after its commit (the preview then also finds the file
//! already imported, and does the same parse and match).
//!
//! Run: `cargo bench -p aliquot-store --bench import`
//! More runs per median: `IMPORT_BENCH_RUNS=15 cargo bench -p aliquot-store --bench import`

use aliquot_domain::audit::format_utc;
use aliquot_domain::instruments::{
    Figure, InstrumentDescription, InstrumentKind, NewControlLot, ResultFormat,
};
use aliquot_domain::numbering::{participant_code, sample_code};
use aliquot_domain::result_sets::{ResultSetFormat, SetValue};
use aliquot_domain::runs::{
    Bound, FillOrder, Flag, ImportedResult, LayoutRole, LayoutWell, NewPlate, PlateFormat, Reading,
};
use aliquot_domain::sample::{ConsentStatus, SampleType};
use aliquot_domain::{Actor, Command, Role, SystemClock};
use aliquot_store::result_import::{import_command, PreviewMatch};
use aliquot_store::{hash_password, Store, DB_FILE_NAME};
use sqlx::SqliteConnection;
use std::future::Future;
use std::hint::black_box;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};
use uuid::Uuid;

const SAMPLE_PREFIX: &str = "AQ";
const SAMPLE_DIGITS: u8 = 8;
/// Tubes bulk-loaded and put on the plate.
const TUBES: usize = 1_500;
const TUBES_PER_PARTICIPANT: usize = 5;
const SITE_START: i64 = 1_000_000;
/// The read the generated file's one section is.
const READ: &str = "Raw Data (450)";
const CONTROL_WELL: &str = "AF48";
const BLANK_WELLS: [&str; 2] = ["AF47", "AF46"];
/// The result set: codes × analytes, every `UNKNOWN_EVERY`th code none of the store's.
const SET_CODES: usize = 1_000;
const SET_ANALYTES: usize = 100;
const UNKNOWN_EVERY: usize = 10;
/// Rows to an INSERT in the second commit baseline.
const MULTI_ROW: usize = 256;

// ------------------------------------------------------------------------- figures

struct Stats {
    n: usize,
    p50: Duration,
    p99: Duration,
    max: Duration,
    total: Duration,
}

impl Stats {
    fn of(mut samples: Vec<Duration>) -> Stats {
        assert!(!samples.is_empty());
        samples.sort();
        let n = samples.len();
        // Nearest rank.
        let rank = |q: f64| samples[((q * n as f64).ceil() as usize).clamp(1, n) - 1];
        Stats {
            n,
            p50: rank(0.50),
            p99: rank(0.99),
            max: samples[n - 1],
            total: samples.iter().sum(),
        }
    }

    fn line(&self) -> String {
        format!(
            "p50 {:>8.3} ms  p99 {:>8.3} ms  max {:>8.3} ms  (n = {})",
            ms(self.p50),
            ms(self.p99),
            ms(self.max),
            self.n
        )
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times.get(times.len() / 2).copied().unwrap_or_default()
}

fn shown(d: Duration) -> String {
    let micros = d.as_secs_f64() * 1e6;
    if micros < 1_000.0 {
        format!("{micros:.0} µs")
    } else if micros < 10_000_000.0 {
        format!("{:.2} ms", micros / 1_000.0)
    } else {
        format!("{:.2} s", micros / 1e6)
    }
}

fn mb(bytes: usize) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

fn size_shown(bytes: usize) -> String {
    if bytes < 1024 * 1024 {
        format!("{:.1} KB", bytes as f64 / 1024.0)
    } else {
        format!("{:.2} MB", mb(bytes))
    }
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

fn peak_shown(kib: Option<usize>) -> String {
    kib.map_or_else(
        || "n/a".to_owned(),
        |kib| format!("{:.1} MB", mb(kib * 1024)),
    )
}

fn file_len(path: &Path) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

fn db_size_line(dir: &Path) -> String {
    let db = file_len(&dir.join(DB_FILE_NAME));
    let wal = file_len(&dir.join(format!("{DB_FILE_NAME}-wal")));
    format!(
        "database file {:.1} MB (+ WAL {:.1} MB)",
        db as f64 / 1048576.0,
        wal as f64 / 1048576.0
    )
}

// ------------------------------------------------------------------------- peak RSS

/// A `kB` field of /proc/self/status (`VmRSS:`, `VmHWM:`), in KiB; `None` if it cannot be
/// read (not Linux).
fn status_kib(field: &str) -> Option<usize> {
    std::fs::read_to_string("/proc/self/status")
        .ok()?
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
}

/// Resets VmHWM to the current RSS, so the next reading is the peak of what follows; `false`
/// if the kernel did not take it.
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

/// Medians over `runs` runs of `std::fs::read` of `path` alone, of `std::fs::read` + `parse`
/// (the format's parser alone) and of `std::fs::read` + `preview`, the three in turn in each
/// run. `parse` and `preview` answer how many items they read.
async fn timed_previews<F, Fut>(
    what: &str,
    path: &Path,
    runs: usize,
    items: usize,
    parse: impl Fn(&[u8]) -> usize,
    preview: F,
) -> [Duration; 3]
where
    F: Fn(Vec<u8>) -> Fut,
    Fut: Future<Output = usize>,
{
    let mut times: [Vec<Duration>; 3] = Default::default();
    for _ in 0..runs {
        let started = Instant::now();
        let read = std::fs::read(path).expect("the file read");
        black_box(&read);
        times[0].push(started.elapsed());
        drop(read);

        let started = Instant::now();
        let read = std::fs::read(path).expect("the file read");
        let n = parse(black_box(&read));
        drop(read);
        times[1].push(started.elapsed());
        assert_eq!(n, items, "{what}: a parse read a different number of items");

        let started = Instant::now();
        let read = std::fs::read(path).expect("the file read");
        let n = preview(read).await;
        times[2].push(started.elapsed());
        assert_eq!(
            n, items,
            "{what}: a preview read a different number of items"
        );
    }
    times.map(median)
}

/// What one file measured.
struct Figures {
    what: &'static str,
    items: usize,
    /// What an item is: wells, rows.
    item: &'static str,
    size: usize,
    read: Duration,
    parse: Duration,
    preview: Duration,
    first_preview: Duration,
    commit: Duration,
    /// The baselines of the commit: the rows with one INSERT per row, and 256 per INSERT.
    raw_commit: Duration,
    raw_multi: Duration,
    preview_peak: Option<usize>,
    commit_peak: Option<usize>,
}

// ------------------------------------------------------------------------- generators

/// A deterministic stream of numbers (a 64-bit LCG, Knuth's constants).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }
}

/// A BMG MARS absorbance export of a 1536-well plate, laid out as the fixture
/// `bmg_mars/16-03-03 16-54-03 472 ABS 384 QC.csv` (comma-separated, CRLF, a header of
/// `Key: value` cells, a title line, a row of column numbers, a line per plate row), every
/// well read. The `parse` bench's generator, unchanged.
fn bmg_mars_1536() -> String {
    let mut lcg = Lcg(1536);
    let pad = ",".repeat(47);
    let mut text = format!(
        "User: USER,Path: C:\\Program Files (x86)\\BMG\\PHERAstar\\User\\Data,Test run no.: 3{}\r\n\
         Test name: BENCH ABS 1536,Date: 03/03/2016,Time: 16:54:03{}\r\n\
         {pad}\r\nID1: BENCH-1536{pad}\r\nAbsorbance{pad}\r\n{pad}\r\nRaw Data (450){pad}\r\n{pad}\r\n",
        ",".repeat(45),
        ",".repeat(45),
    );
    let columns: Vec<String> = (1..=48).map(|c| c.to_string()).collect();
    text += &format!(",{}\r\n", columns.join(","));
    let rows = (b'A'..=b'Z')
        .map(|b| char::from(b).to_string())
        .chain(["AA", "AB", "AC", "AD", "AE", "AF"].map(String::from));
    for row in rows {
        text += &row;
        for _ in 0..48 {
            let milli = lcg.next() % 4000;
            text += &format!(",{}.{:03}", milli / 1000, milli % 1000);
        }
        text += "\r\n";
    }
    text
}

/// The value the generated plate has in AF48: the last cell of its last line.
fn af48_value(plate: &str) -> f64 {
    plate
        .lines()
        .last()
        .and_then(|l| l.split(',').next_back())
        .and_then(|v| v.trim().parse().ok())
        .expect("AF48's value in the generated file")
}

/// The result set's analytes: the `parse` bench's eight, numbered to a hundred.
fn analytes() -> Vec<(String, &'static str)> {
    const ANALYTES: [(&str, &str); 8] = [
        ("CRP", "mg/L"),
        ("IL6", "pg/mL"),
        ("TNF", "pg/mL"),
        ("Ferritin", "ng/mL"),
        ("HbA1c", "mmol/mol"),
        ("Glucose", "mmol/L"),
        ("Creatinine", "µmol/L"),
        ("Cholesterol", "mmol/L"),
    ];
    (0..SET_ANALYTES)
        .map(|i| {
            let (name, unit) = ANALYTES[i % ANALYTES.len()];
            (format!("{name}-{:02}", i / ANALYTES.len() + 1), unit)
        })
        .collect()
}

/// A long CSV result set, a row per code and analyte (code by code): semicolons, decimal
/// commas, a unit, a flag now and then, one value in 50 censored, one in 200 empty (the
/// `parse` bench's generator, with the store's codes and a hundred analytes).
fn long_csv(codes: &[String]) -> String {
    let analytes = analytes();
    let mut lcg = Lcg(100_000);
    let mut text = String::from("sample;analyte;value;unit;flag\r\n");
    for code in codes {
        for (analyte, unit) in &analytes {
            let draw = lcg.next();
            let value = match draw % 200 {
                0 => String::new(),
                1..=4 => "< 0,5".to_owned(),
                _ => format!("{},{:02}", draw % 500, (draw >> 9) % 100),
            };
            let flag = match draw % 37 {
                0 => "hemolysed",
                _ => "",
            };
            text += &format!("{code};{analyte};{value};{unit};{flag}\r\n");
        }
    }
    text
}

// ------------------------------------------------------------------------- the lab, through commands

struct Lab {
    dir: tempfile::TempDir,
    store: Store,
    manager: Actor,
    tech: Actor,
    site: Uuid,
}

async fn run(store: &Store, actor: &Actor, command: Command) {
    let kind = command.kind();
    store
        .execute(actor, command)
        .await
        .unwrap_or_else(|e| panic!("{kind:?}: {e}"));
}

fn actor(user_id: Uuid, username: &str, role: Role) -> Actor {
    Actor {
        user_id,
        username: username.into(),
        role,
    }
}

async fn count(store: &Store, sql: &str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(store.pool())
        .await
        .unwrap()
}

/// A fresh store with an administrator, a lab manager, a technician and a site.
async fn new_lab() -> Lab {
    let password_hash = hash_password("bench passphrase, never used to sign in").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), Arc::new(SystemClock))
        .await
        .unwrap();
    let admin_id = Uuid::now_v7();
    run(
        &store,
        &Actor::system(),
        Command::CreateFirstAdmin {
            user_id: admin_id,
            username: "admin".into(),
            display_name: "Bench Admin".into(),
            password_hash: password_hash.clone(),
        },
    )
    .await;
    let admin = actor(admin_id, "admin", Role::Admin);
    let mut users = Vec::new();
    for (name, role) in [("manager", Role::LabManager), ("tech", Role::Technician)] {
        let user_id = Uuid::now_v7();
        run(
            &store,
            &admin,
            Command::CreateUser {
                user_id,
                username: name.into(),
                display_name: format!("Bench {name}"),
                role,
                password_hash: password_hash.clone(),
            },
        )
        .await;
        users.push(actor(user_id, name, role));
    }
    let tech = users.pop().unwrap();
    let manager = users.pop().unwrap();
    let site = Uuid::now_v7();
    run(
        &store,
        &admin,
        Command::CreateSite {
            site_id: site,
            code: "NORTH".into(),
            name: "North Clinic".into(),
            participant_range_start: SITE_START,
            participant_range_end: SITE_START + 999_999,
        },
    )
    .await;
    Lab {
        dir,
        store,
        manager,
        tech,
        site,
    }
}

/// Copies the WAL into the database file and empties it, so the write measured next starts
/// from an empty WAL and its commit checkpoints its own pages only (not timed).
async fn checkpoint(store: &Store) {
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(store.pool())
        .await
        .unwrap();
}

/// A tube as the bulk load made it.
struct Tube {
    id: Uuid,
    code: String,
}

/// `TUBES` received tubes, `TUBES_PER_PARTICIPANT` per participant, written with raw
/// INSERTs into the schema the commands write, in one transaction (setup, not measured).
async fn bulk_load_tubes(lab: &Lab) -> Vec<Tube> {
    let now = format_utc(lab.store.now());
    let collected = format_utc(lab.store.now() - chrono::Duration::days(2));
    let (site, creator) = (lab.site.to_string(), lab.manager.user_id.to_string());
    let mut tx = lab
        .store
        .pool()
        .begin_with("BEGIN IMMEDIATE")
        .await
        .unwrap();
    let mut tubes = Vec::with_capacity(TUBES);
    for p in 0..TUBES / TUBES_PER_PARTICIPANT {
        let number = SITE_START + p as i64;
        let participant = Uuid::now_v7().to_string();
        sqlx::query(
            "INSERT INTO participants (id, site_id, number, code, external_id, consent, consent_date,
                                       sex, birth_year, created_at, created_by, updated_at)
             VALUES (?1, ?2, ?3, ?4, NULL, ?5, '2025-06-01', ?6, ?7, ?8, ?9, ?8)",
        )
        .bind(&participant)
        .bind(&site)
        .bind(number)
        .bind(participant_code(number))
        .bind(ConsentStatus::Given.as_str())
        .bind(if p % 2 == 0 { "female" } else { "male" })
        .bind(1940 + (p % 60) as i64)
        .bind(&now)
        .bind(&creator)
        .execute(&mut *tx)
        .await
        .unwrap();
        for k in 0..TUBES_PER_PARTICIPANT {
            let id = Uuid::now_v7();
            let code = sample_code(SAMPLE_PREFIX, SAMPLE_DIGITS, (tubes.len() + 1) as i64).unwrap();
            let sample_type = if k % 2 == 0 {
                SampleType::PLASMA
            } else {
                SampleType::SERUM
            };
            sqlx::query(
                "INSERT INTO samples (id, code, participant_id, sample_type, status, parent_id, registration_id,
                                      event_id, collected_at, collector, volume_ul, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, 'received', NULL, NULL, NULL, ?5, 'Nurse Joy', 500, ?6, ?6)",
            )
            .bind(id.to_string())
            .bind(&code)
            .bind(&participant)
            .bind(sample_type)
            .bind(&collected)
            .bind(&now)
            .execute(&mut *tx)
            .await
            .unwrap();
            tubes.push(Tube { id, code });
        }
    }
    tx.commit().await.unwrap();
    tubes
}

// ------------------------------------------------------------------------- 1. the plate

struct Plate {
    run: Uuid,
    plate: Uuid,
}

/// A BMG MARS reader, a control lot targeted at `control_value`, a run of one 1536-well
/// plate with the control in AF48 and blanks in AF47 and AF46.
async fn plan_run(lab: &Lab, control_value: f64) -> Plate {
    let instrument = Uuid::now_v7();
    run(
        &lab.store,
        &lab.manager,
        Command::RegisterInstrument {
            instrument_id: instrument,
            instrument: InstrumentDescription {
                name: "PHERAstar".into(),
                kind: InstrumentKind::PlateReader,
                model: "PHERAstar FSX".into(),
                serial_number: "SN-1536".into(),
                location: "Lab 2, bench 3".into(),
                result_format: ResultFormat::BmgMars,
                csv_mapping: None,
            },
        },
    )
    .await;
    let lot = Uuid::now_v7();
    run(
        &lab.store,
        &lab.manager,
        Command::AddControlLot {
            control_lot_id: lot,
            instrument_id: instrument,
            lot: NewControlLot {
                material: "Level 1".into(),
                lot: "L1536".into(),
                read: READ.into(),
                unit: None,
                target_mean: Figure(control_value),
                target_sd: Figure(0.05),
            },
        },
    )
    .await;
    let mut layout = vec![LayoutWell {
        well: CONTROL_WELL.into(),
        content: LayoutRole::Control {
            control_lot_id: lot,
        },
    }];
    layout.extend(BLANK_WELLS.map(|well| LayoutWell {
        well: well.into(),
        content: LayoutRole::Blank,
    }));
    let (run_id, plate) = (Uuid::now_v7(), Uuid::now_v7());
    run(
        &lab.store,
        &lab.tech,
        Command::CreateRun {
            run_id,
            instrument_id: instrument,
            name: "ABS-1536".into(),
            plates: vec![NewPlate {
                plate_id: plate,
                name: "ABS-1536-P1".into(),
                format: PlateFormat::Wells1536,
                template_id: None,
                layout,
            }],
        },
    )
    .await;
    Plate { run: run_id, plate }
}

/// Every tube put on the plate by a `FillWell` command, as scanning it would: each timed.
async fn fill_plate(lab: &Lab, plate: &Plate, tubes: &[Tube]) -> Stats {
    let mut times = Vec::with_capacity(tubes.len());
    for tube in tubes {
        let command = Command::FillWell {
            plate_id: plate.plate,
            sample_id: tube.id,
            well: None,
            order: FillOrder::Columns,
        };
        let started = Instant::now();
        lab.store.execute(&lab.tech, command).await.unwrap();
        times.push(started.elapsed());
    }
    Stats::of(times)
}

/// A `results` row as the executor writes it, prepared before the clock starts.
struct RawResultRow {
    seq: i64,
    plate: String,
    well: String,
    role: &'static str,
    sample: Option<String>,
    lot: Option<String>,
    read: String,
    cols: RawValue,
    unit: Option<String>,
}

/// A value's columns as the store keeps them.
struct RawValue {
    kind: Option<&'static str>,
    value: Option<f64>,
    bound: Option<&'static str>,
    flag: Option<&'static str>,
    text: Option<String>,
}

fn raw_value(reading: Option<&Reading>) -> RawValue {
    let none = RawValue {
        kind: None,
        value: None,
        bound: None,
        flag: None,
        text: None,
    };
    match reading {
        None => none,
        Some(Reading::Number { value }) => RawValue {
            kind: Some("number"),
            value: Some(*value),
            ..none
        },
        Some(Reading::Censored { bound, limit, text }) => RawValue {
            kind: Some("censored"),
            value: *limit,
            bound: Some(match bound {
                Bound::Below => "below",
                Bound::Above => "above",
            }),
            text: Some(text.clone()),
            ..none
        },
        Some(Reading::Flagged { flag, text }) => RawValue {
            kind: Some("flagged"),
            flag: Some(match flag {
                Flag::Overflow => "overflow",
                Flag::Missed => "missed",
                Flag::Undetermined => "undetermined",
                Flag::NotANumber => "not_a_number",
                Flag::Other => "other",
            }),
            text: Some(text.clone()),
            ..none
        },
    }
}

fn raw_results(results: &[ImportedResult]) -> Vec<RawResultRow> {
    (0_i64..)
        .zip(results)
        .map(|(seq, r)| RawResultRow {
            seq,
            plate: r.plate_id.to_string(),
            well: r.well.clone(),
            role: match (r.sample_id, r.control_lot_id) {
                (Some(_), _) => "sample",
                (None, Some(_)) => "control",
                (None, None) => "blank",
            },
            sample: r.sample_id.map(|s| s.to_string()),
            lot: r.control_lot_id.map(|l| l.to_string()),
            read: r.read.trim().to_owned(),
            cols: raw_value(Some(&r.value)),
            unit: r.unit.clone(),
        })
        .collect()
}

type Query<'q> = sqlx::query::Query<'q, sqlx::Sqlite, sqlx::sqlite::SqliteArguments<'q>>;

fn insert_sql(head: &str, cols: usize, rows: usize) -> String {
    let one = format!("({})", vec!["?"; cols].join(", "));
    format!("{head} VALUES {}", vec![one; rows].join(", "))
}

/// `rows` written with INSERTs of `per` rows each (the last one fewer), each row's `cols`
/// values bound by `bind`.
async fn insert_rows<T>(
    conn: &mut SqliteConnection,
    head: &str,
    cols: usize,
    per: usize,
    rows: &[T],
    bind: impl for<'q> Fn(Query<'q>, &'q T) -> Query<'q>,
) {
    let full = insert_sql(head, cols, per);
    for chunk in rows.chunks(per) {
        let tail;
        let sql: &str = if chunk.len() == per {
            &full
        } else {
            tail = insert_sql(head, cols, chunk.len());
            &tail
        };
        let mut query = sqlx::query(sql);
        for row in chunk {
            query = bind(query, row);
        }
        query.execute(&mut *conn).await.unwrap();
    }
}

/// The baseline of the import's commit: an import row and its `results` rows, `per` rows
/// to an INSERT (1: the executor's way), one transaction, committed.
async fn raw_import(store: &Store, run_id: Uuid, rows: &[RawResultRow], per: usize) -> Duration {
    let (id, run_text, sha) = (
        Uuid::now_v7().to_string(),
        run_id.to_string(),
        format!("{:064x}", Uuid::now_v7().as_u128()),
    );
    let now = format_utc(store.now());
    let started = Instant::now();
    let mut tx = store.pool().begin_with("BEGIN IMMEDIATE").await.unwrap();
    sqlx::query(
        "INSERT INTO result_imports (id, run_id, file_name, sha256, format, result_count, qc_verdict,
                                     qc_rules, qc_note, supersedes, reason, imported_at, imported_by)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
    )
    .bind(&id)
    .bind(&run_text)
    .bind("baseline.csv")
    .bind(&sha)
    .bind(ResultFormat::BmgMars.as_str())
    .bind(rows.len() as i64)
    .bind("accepted")
    .bind("[]")
    .bind(None::<String>)
    .bind(None::<String>)
    .bind(None::<String>)
    .bind(&now)
    .bind("tech")
    .execute(&mut *tx)
    .await
    .unwrap();
    insert_rows(
        &mut tx,
        "INSERT INTO results (import_id, seq, run_id, plate_id, well, role, sample_id, control_lot_id,
                              read, value_kind, value, bound, flag, text, unit, z_score)",
        16,
        per,
        rows,
        |q, r| {
            q.bind(id.clone())
                .bind(r.seq)
                .bind(run_text.clone())
                .bind(r.plate.as_str())
                .bind(r.well.as_str())
                .bind(r.role)
                .bind(r.sample.as_deref())
                .bind(r.lot.as_deref())
                .bind(r.read.as_str())
                .bind(r.cols.kind)
                .bind(r.cols.value)
                .bind(r.cols.bound)
                .bind(r.cols.flag)
                .bind(r.cols.text.as_deref())
                .bind(r.unit.as_deref())
                .bind(r.lot.as_ref().map(|_| 0.0_f64))
        },
    )
    .await;
    tx.commit().await.unwrap();
    started.elapsed()
}

async fn plate_import(lab: &Lab, tubes: &[Tube], dir: &Path, runs: usize) -> Figures {
    let text = bmg_mars_1536();
    let plate = plan_run(lab, af48_value(&text)).await;
    let fill = fill_plate(lab, &plate, tubes).await;
    println!(
        "   fill by scanning, per well (Store::execute(FillWell), well: None, column order; \
         no baseline): {}, {:.1} s in all",
        fill.line(),
        fill.total.as_secs_f64()
    );
    let path = dir.join("ABS 1536.csv");
    std::fs::write(&path, &text).expect("the plate file written");
    drop(text);
    let file_name = "ABS 1536.csv";

    // The first preview: its memory, before any other preview ran.
    let bytes = std::fs::read(&path).expect("the plate file read");
    let size = bytes.len();
    let (preview, preview_peak, first_preview) =
        with_peak(lab.store.preview_import(plate.run, file_name, &bytes)).await;
    let preview = preview.expect("the plate previewed");
    drop(bytes);
    let c = &preview.counts;
    assert_eq!(c.values, 1536);
    assert_eq!(c.samples as usize, tubes.len());
    assert_eq!((c.controls, c.standards_and_blanks), (1, 2));
    assert_eq!(c.no_sample_there as usize, 1536 - 3 - tubes.len());
    assert!(preview.already_imported.is_none());
    assert_eq!(
        preview
            .rows
            .iter()
            .filter(|r| r.matched == PreviewMatch::Sample)
            .count(),
        tubes.len()
    );
    println!(
        "   preview: {} values: {} tubes, {} control, {} blanks, {} wells empty on the map (not imported)",
        c.values, c.samples, c.controls, c.standards_and_blanks, c.no_sample_there
    );

    // The one commit.
    let (_, command) = import_command(&preview, None).expect("a new import");
    let Command::ImportResults { results, .. } = &command else {
        unreachable!()
    };
    let raw_rows = raw_results(results);
    let imported = results.len();
    let audit_before = count(&lab.store, "SELECT COUNT(*) FROM audit_log").await;
    checkpoint(&lab.store).await;
    let (executed, commit_peak, commit) = with_peak(lab.store.execute(&lab.tech, command)).await;
    executed.expect("the import committed");
    let audit_rows = count(&lab.store, "SELECT COUNT(*) FROM audit_log").await - audit_before;
    assert_eq!(
        count(&lab.store, "SELECT COUNT(*) FROM results").await,
        imported as i64
    );
    let run = lab.store.run(plate.run).await.unwrap();
    println!(
        "   commit: {imported} results rows, {audit_rows} audit rows, 1 outbox row; run {}, QC {}",
        run.state.as_str(),
        run.qc_verdict
            .map_or_else(|| "none".to_owned(), |v| format!("{v:?}").to_lowercase())
    );
    checkpoint(&lab.store).await;
    let raw_commit = raw_import(&lab.store, plate.run, &raw_rows, 1).await;
    checkpoint(&lab.store).await;
    let raw_multi = raw_import(&lab.store, plate.run, &raw_rows, MULTI_ROW).await;
    drop(preview);

    let store = lab.store.clone();
    let run_id = plate.run;
    let parse = |bytes: &[u8]| {
        aliquot_instruments::parse(ResultFormat::BmgMars, bytes, None)
            .expect("the plate read")
            .len()
    };
    let [read, parsed, previewed] =
        timed_previews("plate", &path, runs, 1536, parse, move |bytes| {
            let store = store.clone();
            async move {
                let p = store
                    .preview_import(run_id, file_name, &bytes)
                    .await
                    .expect("the plate previewed");
                assert!(p.already_imported.is_some());
                p.rows.len()
            }
        })
        .await;
    Figures {
        what: "BMG MARS 1536-well plate",
        items: 1536,
        item: "wells",
        size,
        read,
        parse: parsed,
        preview: previewed,
        first_preview,
        commit,
        raw_commit,
        raw_multi,
        preview_peak,
        commit_peak,
    }
}

// ------------------------------------------------------------------------- 2. the result set

/// The result set's codes: every `UNKNOWN_EVERY`th none of the store's, the others the
/// first tubes' codes in order.
fn set_codes(tubes: &[Tube]) -> Vec<String> {
    let mut known = tubes.iter();
    (0..SET_CODES)
        .map(|i| {
            if i % UNKNOWN_EVERY == UNKNOWN_EVERY - 1 {
                sample_code(SAMPLE_PREFIX, SAMPLE_DIGITS, 90_000_000 + i as i64).unwrap()
            } else {
                known.next().expect("enough tubes").code.clone()
            }
        })
        .collect()
}

/// A `result_set_values` row as the executor writes it, prepared before the clock starts.
struct RawSetRow {
    seq: i64,
    code: String,
    sample: Option<String>,
    analyte: String,
    cols: RawValue,
    unit: Option<String>,
    flag: Option<String>,
}

fn raw_set_rows(values: &[SetValue]) -> Vec<RawSetRow> {
    (0_i64..)
        .zip(values)
        .map(|(seq, v)| RawSetRow {
            seq,
            code: v.sample_code.clone(),
            sample: v.sample_id.map(|s| s.to_string()),
            analyte: v.analyte.clone(),
            cols: raw_value(v.value.as_ref()),
            unit: v.unit.clone(),
            flag: v.flag.clone(),
        })
        .collect()
}

/// The baseline of the set's commit: a set row and its `result_set_values` rows, `per`
/// rows to an INSERT (1: the executor's way), one transaction, committed.
async fn raw_set(store: &Store, rows: &[RawSetRow], per: usize) -> Duration {
    let (id, sha) = (
        Uuid::now_v7().to_string(),
        format!("{:064x}", Uuid::now_v7().as_u128()),
    );
    let now = format_utc(store.now());
    let started = Instant::now();
    let mut tx = store.pool().begin_with("BEGIN IMMEDIATE").await.unwrap();
    sqlx::query(
        "INSERT INTO result_sets (id, name, format, partner, file_name, sha256, value_count, samples_matched,
                                  unknown_codes, analytes, unmapped_codes, imported_at, imported_by)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
    )
    .bind(&id)
    .bind(format!("Baseline set, {per} per INSERT"))
    .bind(ResultSetFormat::LongCsv.as_str())
    .bind(None::<String>)
    .bind("baseline.csv")
    .bind(&sha)
    .bind(rows.len() as i64)
    .bind(0_i64)
    .bind(0_i64)
    .bind(0_i64)
    .bind(0_i64)
    .bind(&now)
    .bind("tech")
    .execute(&mut *tx)
    .await
    .unwrap();
    insert_rows(
        &mut tx,
        "INSERT INTO result_set_values (set_id, seq, sample_code, sample_id, analyte, value_kind, value,
                                        bound, flag, text, unit, flag_text, control, test_code, converted_value)",
        15,
        per,
        rows,
        |q, r| {
            q.bind(id.clone())
                .bind(r.seq)
                .bind(r.code.as_str())
                .bind(r.sample.as_deref())
                .bind(r.analyte.as_str())
                .bind(r.cols.kind)
                .bind(r.cols.value)
                .bind(r.cols.bound)
                .bind(r.cols.flag)
                .bind(r.cols.text.as_deref())
                .bind(r.unit.as_deref())
                .bind(r.flag.as_deref())
                .bind(false)
                .bind(None::<String>)
                .bind(None::<f64>)
        },
    )
    .await;
    tx.commit().await.unwrap();
    started.elapsed()
}

async fn result_set_import(lab: &Lab, tubes: &[Tube], dir: &Path, runs: usize) -> Figures {
    let codes = set_codes(tubes);
    let rows = SET_CODES * SET_ANALYTES;
    let path = dir.join("partner results.csv");
    std::fs::write(&path, long_csv(&codes)).expect("the result set written");
    let file_name = "partner results.csv";
    let known = SET_CODES - SET_CODES / UNKNOWN_EVERY;

    let bytes = std::fs::read(&path).expect("the result set read");
    let size = bytes.len();
    let (matched, preview_peak, first_preview) =
        with_peak(
            lab.store
                .match_result_set(ResultSetFormat::LongCsv, None, file_name, &bytes),
        )
        .await;
    let matched = matched.expect("the result set matched");
    drop(bytes);
    let p = &matched.preview;
    assert_eq!(p.values as usize, rows);
    assert_eq!(p.samples_matched as usize, known);
    assert_eq!(p.unknown_count as usize, SET_CODES - known);
    assert_eq!(p.analytes as usize, SET_ANALYTES);
    assert!(p.already_imported.is_none());
    println!(
        "   match: {} values, {} tubes matched, {} unknown codes, {} analytes",
        thousands(p.values),
        p.samples_matched,
        p.unknown_count,
        p.analytes
    );

    let raw_rows = raw_set_rows(&matched.values);
    let command = Command::ImportResultSet {
        set_id: Uuid::now_v7(),
        name: "Partner panel, batch 1".into(),
        format: ResultSetFormat::LongCsv,
        partner: None,
        file_name: file_name.into(),
        sha256: matched.preview.sha256.clone(),
        values: matched.values,
    };
    let audit_before = count(&lab.store, "SELECT COUNT(*) FROM audit_log").await;
    checkpoint(&lab.store).await;
    let (executed, commit_peak, commit) = with_peak(lab.store.execute(&lab.tech, command)).await;
    executed.expect("the result set committed");
    let audit_rows = count(&lab.store, "SELECT COUNT(*) FROM audit_log").await - audit_before;
    assert_eq!(
        count(&lab.store, "SELECT COUNT(*) FROM result_set_values").await,
        rows as i64
    );
    println!(
        "   commit: {} result_set_values rows, {audit_rows} audit rows, 1 outbox row",
        thousands(rows as u64)
    );
    checkpoint(&lab.store).await;
    let raw_commit = raw_set(&lab.store, &raw_rows, 1).await;
    checkpoint(&lab.store).await;
    let raw_multi = raw_set(&lab.store, &raw_rows, MULTI_ROW).await;
    drop(raw_rows);

    let store = lab.store.clone();
    let parse = |bytes: &[u8]| {
        aliquot_instruments::result_set::parse_result_set(ResultSetFormat::LongCsv, bytes)
            .expect("the result set read")
            .len()
    };
    let [read, parsed, previewed] =
        timed_previews("result set", &path, runs, rows, parse, move |bytes| {
            let store = store.clone();
            async move {
                let m = store
                    .match_result_set(ResultSetFormat::LongCsv, None, file_name, &bytes)
                    .await
                    .expect("the result set matched");
                assert!(m.preview.already_imported.is_some());
                m.values.len()
            }
        })
        .await;
    Figures {
        what: "long CSV result set",
        items: rows,
        item: "rows",
        size,
        read,
        parse: parsed,
        preview: previewed,
        first_preview,
        commit,
        raw_commit,
        raw_multi,
        preview_peak,
        commit_peak,
    }
}

// ------------------------------------------------------------------------- main

#[tokio::main]
async fn main() {
    let started = Instant::now();
    let runs: usize = std::env::var("IMPORT_BENCH_RUNS")
        .ok()
        .and_then(|n| n.parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or(5);
    println!(
        "Import bench: medians of {runs} runs (IMPORT_BENCH_RUNS); read = std::fs::read of the file \
         (page cache warm); commits run once"
    );
    println!("Store: Store::open (WAL, synchronous=FULL, foreign keys on) in a fresh temp dir.");
    let files = tempfile::tempdir().expect("a temporary directory");

    let setup = Instant::now();
    let lab = new_lab().await;
    let tubes = bulk_load_tubes(&lab).await;
    println!(
        "Setup: users, a site, a BMG MARS reader, a control lot and a run through commands; \
         {} received tubes of {} participants bulk-loaded with raw INSERTs (one transaction)",
        thousands(tubes.len() as u64),
        tubes.len() / TUBES_PER_PARTICIPANT
    );

    println!();
    println!(
        "1. BMG MARS 1536-well plate: control in {CONTROL_WELL}, blanks in {}, {} tubes filled by scanning",
        BLANK_WELLS.join(" and "),
        thousands(tubes.len() as u64)
    );
    let plate = plate_import(&lab, &tubes, files.path(), runs).await;
    println!(
        "   setup and section 1: {:.1} s",
        setup.elapsed().as_secs_f64()
    );

    println!();
    println!(
        "2. Long CSV result set: {} codes ({} of them the store's tubes) × {SET_ANALYTES} analytes",
        thousands(SET_CODES as u64),
        SET_CODES - SET_CODES / UNKNOWN_EVERY
    );
    let set = result_set_import(&lab, &tubes, files.path(), runs).await;
    println!("   {}", db_size_line(lab.dir.path()));

    let figures = [plate, set];
    println!();
    println!(
        "{:<25} {:>12} {:>8} {:>8} {:>10} {:>12} {:>6} {:>10} {:>10} {:>10} {:>6} {:>8} {:>8}",
        "what",
        "size",
        "file",
        "read",
        "read+parse",
        "read+preview",
        "ratio",
        "commit",
        "raw 1/ins",
        "raw 256/ins",
        "ratio",
        "RSS prev",
        "RSS comm"
    );
    for f in &figures {
        println!(
            "{:<25} {:>12} {:>8} {:>8} {:>10} {:>12} {:>5.0}× {:>10} {:>10} {:>10} {:>5.1}× {:>8} {:>8}",
            f.what,
            format!("{} {}", thousands(f.items as u64), f.item),
            size_shown(f.size),
            shown(f.read),
            shown(f.parse),
            shown(f.preview),
            f.preview.as_secs_f64() / f.read.as_secs_f64().max(1e-9),
            shown(f.commit),
            shown(f.raw_commit),
            shown(f.raw_multi),
            f.commit.as_secs_f64() / f.raw_commit.as_secs_f64().max(1e-9),
            peak_shown(f.preview_peak),
            peak_shown(f.commit_peak),
        );
    }
    println!();
    println!(
        "read: std::fs::read (baseline); read+parse: the format's parser alone; read+preview: \
         Store::preview_import (1) or Store::match_result_set (2); ratio: read+preview / read"
    );
    println!(
        "commit: Store::execute of the command, once; raw 1/ins and 256/ins: the same value rows \
         and their import/set row, one or 256 rows per INSERT, one committed transaction, once \
         (no checks, QC, audit, outbox); ratio: commit / raw 1/ins"
    );
    println!(
        "RSS prev / comm: growth of the process's peak resident memory over the first preview \
         and over the commit (lower bounds: see the doc comment)"
    );
    for f in &figures {
        let per_item = |d: Duration| d.as_secs_f64() * 1e6 / f.items.max(1) as f64;
        println!(
            "{}: per {}: parse {:.2} µs, preview {:.2} µs, commit {:.1} µs (read subtracted from \
             the first two); first preview (bytes already read; the one the RSS is of) {}; \
             preview peak RSS {} the file",
            f.what,
            f.item.trim_end_matches('s'),
            per_item(f.parse.saturating_sub(f.read)),
            per_item(f.preview.saturating_sub(f.read)),
            per_item(f.commit),
            shown(f.first_preview),
            f.preview_peak.map_or_else(
                || "n/a ×".to_owned(),
                |kib| format!("{:.1}×", (kib * 1024) as f64 / f.size.max(1) as f64)
            ),
        );
    }
    println!();
    println!("whole bench: {:.1} s", started.elapsed().as_secs_f64());
}
