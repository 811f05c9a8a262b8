//! Lab-scale figures on this machine, each with a baseline measured in the same run:
//!
//! 1. lookup by scan (`Store::lookup_scan`) at 1,000,000 samples, against a bare
//!    `SELECT id FROM samples WHERE code = ?` on the same pool;
//! 2. kit registration through `Store::execute(RegisterKit)` (permission, rule, codes from this
//!    workstation's block, audit, history, outbox, one commit with synchronous=FULL), against
//!    raw INSERTs of the same rows with the same pragmas, one committed transaction per kit;
//! 3. the `has_space` box page (`Store::boxes`) at 100,000 boxes, a third of them full, against
//!    a bare count and `ORDER BY name LIMIT/OFFSET` page without the occupancy filter.
//!
//! Users, sites, number blocks, the kit template and the section-2 participants are made
//! through commands. The large data sets are bulk-loaded with raw INSERTs into the same schema
//! (one transaction per load, prepared multi-row statements): that is setup, not a measured
//! path, because executing a million commands would take hours.
//!
//! Run: cargo bench -p aliquot-store --bench lab
//! Quick run: LAB_BENCH_SAMPLES=50000 cargo bench -p aliquot-store --bench lab
//! Lookup alone at ten million: LAB_BENCH_SAMPLES=10000000 LAB_BENCH_ONLY_LOOKUP=1 cargo bench …
//! (sections 2 and 3 skipped: section 3 would grow the store to a million boxes)

use aliquot_domain::audit::format_utc;
use aliquot_domain::command::NewTube;
use aliquot_domain::numbering::{participant_code, sample_code, BlockKind, NewBlock};
use aliquot_domain::paging::{PageRequest, SortOrder};
use aliquot_domain::sample::{ConsentStatus, KitItem, SampleType};
use aliquot_domain::storage::{BoxSort, Position};
use aliquot_domain::{Actor, Command, Role, SystemClock};
use aliquot_store::lookup::Scanned;
use aliquot_store::storage::BoxFilter;
use aliquot_store::{hash_password, Store, DB_FILE_NAME};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use sqlx::SqliteConnection;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};
use uuid::Uuid;

const DEFAULT_SAMPLES: usize = 1_000_000;
const SAMPLE_PREFIX: &str = "AQ";
/// Eight digits: up to 99,999,999 codes, so the lookup can be measured at 10,000,000.
const SAMPLE_DIGITS: u8 = 8;
/// The kit every participant gets: (type, volume µL), in template order.
const KIT: [(&str, u32); 5] = [
    (SampleType::PLASMA, 500),
    (SampleType::PLASMA, 500),
    (SampleType::SERUM, 500),
    (SampleType::BUFFY_COAT, 200),
    (SampleType::URINE, 1000),
];
const SITES: [(&str, &str, i64); 3] = [
    ("NORTH", "North Clinic", 1_000_000),
    ("SOUTH", "South Health Centre", 2_000_000),
    ("EAST", "East Field Station", 3_000_000),
];
const SITE_RANGE: i64 = 999_999;
const BOX_COLUMNS: usize = 12;
const BOX_CAPACITY: usize = 96;
const BOXES_PER_RACK: usize = 25;
const RACKS_PER_FREEZER: usize = 20;
/// Every 20th sample is not in a box (received, waiting to be stored).
const UNPLACED_EVERY: usize = 20;
/// Timed lookups per form, in the order of `FORMS`: 2,000 in all. Participant codes are
/// fewer because each one costs far more (see the figures); the mix is printed.
const LOOKUPS_PER_FORM: [usize; 4] = [600, 600, 600, 200];
const WARMUP_PER_FORM: [usize; 4] = [10, 10, 10, 3];
const KITS: usize = 300;
const KIT_WARMUP: usize = 10;
const KIT_PARTICIPANTS: usize = 60;
const PAGE_RUNS: usize = 15;
const DEEP_PAGE: u32 = 1_000;
const PER_PAGE: u32 = 50;

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

fn print_row(label: &str, stats: &Stats) {
    println!("   {label:<58} {}", stats.line());
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
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

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}

fn file_len(path: &Path) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

fn db_size_line(dir: &Path) -> String {
    let db = file_len(&dir.join(DB_FILE_NAME));
    let wal = file_len(&dir.join(format!("{DB_FILE_NAME}-wal")));
    format!("database file {} (+ WAL {})", mib(db), mib(wal))
}

// ------------------------------------------------------------------------- sizes

struct Sizes {
    samples: usize,
    participants: usize,
    /// Boxes of 96 holding section 1's placed samples (~10,500 at 1M).
    boxes: usize,
    /// Boxes in all for section 3 (100,000 at 1M).
    page_boxes: usize,
}

fn sizes() -> Sizes {
    let requested = std::env::var("LAB_BENCH_SAMPLES")
        .ok()
        .map(|v| {
            v.replace(['_', ','], "")
                .parse::<usize>()
                .expect("LAB_BENCH_SAMPLES must be a number of samples")
        })
        .unwrap_or(DEFAULT_SAMPLES);
    assert!(
        (5_000..=10_000_000).contains(&requested),
        "LAB_BENCH_SAMPLES must be between 5000 and 10000000"
    );
    let samples = requested / KIT.len() * KIT.len();
    Sizes {
        samples,
        participants: samples / KIT.len(),
        boxes: (samples * 21).div_ceil(2_000),
        page_boxes: samples / 10,
    }
}

// ------------------------------------------------------------------------- the lab, through commands

struct Lab {
    dir: tempfile::TempDir,
    store: Store,
    desk: Actor,
    sites: Vec<Uuid>,
    participant_blocks: Vec<Uuid>,
    sample_block: Uuid,
    kit: Uuid,
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

/// A fresh store with users, three sites with this workstation's participant blocks, a sample
/// block (prefix AQ, 7 digits) and a 5-tube kit template, all made through commands.
async fn new_lab(password_hash: &str) -> Lab {
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
            password_hash: password_hash.into(),
        },
    )
    .await;
    let admin = actor(admin_id, "admin", Role::Admin);
    let mut users = Vec::new();
    for (name, role) in [
        ("manager", Role::LabManager),
        ("tech", Role::Technician),
        ("desk", Role::FieldCoordinator),
    ] {
        let user_id = Uuid::now_v7();
        run(
            &store,
            &admin,
            Command::CreateUser {
                user_id,
                username: name.into(),
                display_name: format!("Bench {name}"),
                role,
                password_hash: password_hash.into(),
            },
        )
        .await;
        users.push(actor(user_id, name, role));
    }
    let desk = users.pop().unwrap();
    let manager = users.remove(0);

    let device = store.device_id().to_owned();
    let (mut sites, mut participant_blocks) = (Vec::new(), Vec::new());
    for (code, name, start) in SITES {
        let (site_id, block_id) = (Uuid::now_v7(), Uuid::now_v7());
        run(
            &store,
            &admin,
            Command::CreateSite {
                site_id,
                code: code.into(),
                name: name.into(),
                participant_range_start: start,
                participant_range_end: start + SITE_RANGE,
            },
        )
        .await;
        run(
            &store,
            &admin,
            Command::AssignNumberBlock {
                block_id,
                block: NewBlock {
                    kind: BlockKind::Participant,
                    device_id: device.clone(),
                    site_id: Some(site_id),
                    prefix: String::new(),
                    digits: 0,
                    first: start,
                    last: start + SITE_RANGE,
                },
                reason: "bench workstation block".into(),
            },
        )
        .await;
        sites.push(site_id);
        participant_blocks.push(block_id);
    }
    let sample_block = Uuid::now_v7();
    run(
        &store,
        &admin,
        Command::AssignNumberBlock {
            block_id: sample_block,
            block: NewBlock {
                kind: BlockKind::Sample,
                device_id: device,
                site_id: None,
                prefix: SAMPLE_PREFIX.into(),
                digits: SAMPLE_DIGITS,
                first: 1,
                last: 99_999_999,
            },
            reason: "bench workstation block".into(),
        },
    )
    .await;
    let kit = Uuid::now_v7();
    let mut items: Vec<KitItem> = Vec::new();
    for (sample_type, volume) in KIT {
        match items.last_mut() {
            Some(last) if last.sample_type.as_str() == sample_type => last.count += 1,
            _ => items.push(KitItem {
                sample_type: SampleType::new(sample_type),
                count: 1,
                volume_ul: Some(volume),
            }),
        }
    }
    run(
        &store,
        &manager,
        Command::CreateKitTemplate {
            template_id: kit,
            name: "Standard blood and urine".into(),
            items,
        },
    )
    .await;
    Lab {
        dir,
        store,
        desk,
        sites,
        participant_blocks,
        sample_block,
        kit,
    }
}

// ------------------------------------------------------------------------- bulk load (setup)

/// One bound value of a bulk row.
enum V {
    T(String),
    I(i64),
    N,
}

fn t(s: impl Into<String>) -> V {
    V::T(s.into())
}

fn int(n: impl TryInto<i64>) -> V {
    match n.try_into() {
        Ok(n) => V::I(n),
        Err(_) => panic!("a bulk value does not fit in i64"),
    }
}

/// Buffered rows of one table, written as prepared multi-row INSERTs.
struct Batch {
    head: String,
    cols: usize,
    per_stmt: usize,
    full_sql: String,
    buf: Vec<V>,
    rows: usize,
    total: u64,
}

fn insert_sql(head: &str, cols: usize, rows: usize) -> String {
    let one = format!("({})", vec!["?"; cols].join(","));
    format!("{head}{}", vec![one; rows].join(","))
}

impl Batch {
    fn new(table: &str, cols: &[&str]) -> Batch {
        let head = format!("INSERT INTO {table} ({}) VALUES ", cols.join(", "));
        let per_stmt = (30_000 / cols.len()).min(256);
        Batch {
            full_sql: insert_sql(&head, cols.len(), per_stmt),
            head,
            cols: cols.len(),
            per_stmt,
            buf: Vec::with_capacity(per_stmt * cols.len()),
            rows: 0,
            total: 0,
        }
    }

    async fn flush(&mut self, conn: &mut SqliteConnection) {
        if self.rows == 0 {
            return;
        }
        let tail;
        let sql: &str = if self.rows == self.per_stmt {
            &self.full_sql
        } else {
            tail = insert_sql(&self.head, self.cols, self.rows);
            &tail
        };
        let mut query = sqlx::query(sql);
        for v in self.buf.drain(..) {
            query = match v {
                V::T(s) => query.bind(s),
                V::I(i) => query.bind(i),
                V::N => query.bind(None::<String>),
            };
        }
        query.execute(&mut *conn).await.unwrap();
        self.total += self.rows as u64;
        self.rows = 0;
    }
}

/// Batches in foreign-key order: a full batch first flushes every batch before it, so the
/// rows a row refers to are always written first.
struct Loader {
    batches: Vec<Batch>,
}

const FREEZERS: usize = 0;
const RACKS: usize = 1;
const BOXES: usize = 2;
const PARTICIPANTS: usize = 3;
const KIT_REGISTRATIONS: usize = 4;
const SAMPLES: usize = 5;
const PLACEMENTS: usize = 6;

impl Loader {
    fn new() -> Loader {
        Loader {
            batches: vec![
                Batch::new(
                    "freezers",
                    &[
                        "id",
                        "name",
                        "location",
                        "kind",
                        "temperature_c",
                        "created_at",
                    ],
                ),
                Batch::new("racks", &["id", "freezer_id", "name", "created_at"]),
                Batch::new(
                    "boxes",
                    &[
                        "id",
                        "rack_id",
                        "name",
                        "barcode",
                        "box_type",
                        "rows",
                        "columns",
                        "capacity",
                        "created_at",
                    ],
                ),
                Batch::new(
                    "participants",
                    &[
                        "id",
                        "site_id",
                        "number",
                        "code",
                        "external_id",
                        "consent",
                        "consent_date",
                        "sex",
                        "birth_year",
                        "created_at",
                        "created_by",
                        "updated_at",
                    ],
                ),
                Batch::new(
                    "kit_registrations",
                    &[
                        "id",
                        "participant_id",
                        "template_id",
                        "event_id",
                        "collected_at",
                        "collector",
                        "registered_at",
                        "registered_by",
                    ],
                ),
                Batch::new(
                    "samples",
                    &[
                        "id",
                        "code",
                        "participant_id",
                        "sample_type",
                        "status",
                        "parent_id",
                        "registration_id",
                        "event_id",
                        "collected_at",
                        "collector",
                        "volume_ul",
                        "created_at",
                        "updated_at",
                    ],
                ),
                Batch::new(
                    "placements",
                    &[
                        "sample_id",
                        "box_id",
                        "position",
                        "row_index",
                        "column_index",
                        "placed_at",
                    ],
                ),
            ],
        }
    }

    async fn push<const N: usize>(
        &mut self,
        conn: &mut SqliteConnection,
        table: usize,
        row: [V; N],
    ) {
        let batch = &mut self.batches[table];
        assert_eq!(N, batch.cols, "{}", batch.head);
        batch.buf.extend(row);
        batch.rows += 1;
        if batch.rows == batch.per_stmt {
            for b in &mut self.batches[..=table] {
                b.flush(conn).await;
            }
        }
    }

    async fn finish(&mut self, conn: &mut SqliteConnection) {
        for b in &mut self.batches {
            b.flush(conn).await;
        }
    }

    fn rows(&self, table: usize) -> u64 {
        self.batches[table].total
    }
}

/// Freezers, racks and boxes as the bulk load made them.
#[derive(Default)]
struct Storage {
    boxes: Vec<String>,
    racks: usize,
    freezers: usize,
    freezer_id: String,
    rack_id: String,
}

fn box_barcode(index: usize) -> String {
    format!("BX{:07}", index + 1)
}

async fn add_boxes(
    loader: &mut Loader,
    conn: &mut SqliteConnection,
    storage: &mut Storage,
    count: usize,
    now: &str,
) {
    for _ in 0..count {
        let i = storage.boxes.len();
        if storage.racks == 0 || i >= storage.racks * BOXES_PER_RACK {
            if storage.freezers == 0 || storage.racks >= storage.freezers * RACKS_PER_FREEZER {
                storage.freezer_id = Uuid::now_v7().to_string();
                storage.freezers += 1;
                let row = [
                    t(&storage.freezer_id),
                    t(format!("Freezer {:03}", storage.freezers)),
                    t(format!("Room {}", storage.freezers.div_ceil(10))),
                    t("ultra_low"),
                    int(-80),
                    t(now),
                ];
                loader.push(conn, FREEZERS, row).await;
            }
            storage.rack_id = Uuid::now_v7().to_string();
            let row = [
                t(&storage.rack_id),
                t(&storage.freezer_id),
                t(format!("Rack {:02}", storage.racks % RACKS_PER_FREEZER + 1)),
                t(now),
            ];
            storage.racks += 1;
            loader.push(conn, RACKS, row).await;
        }
        let id = Uuid::now_v7().to_string();
        let row = [
            t(&id),
            t(&storage.rack_id),
            t(format!("Box {:06}", i + 1)),
            t(box_barcode(i)),
            t("cryobox"),
            int(BOX_CAPACITY / BOX_COLUMNS),
            int(BOX_COLUMNS),
            int(BOX_CAPACITY),
            t(now),
        ];
        loader.push(conn, BOXES, row).await;
        storage.boxes.push(id);
    }
}

fn placement_row(sample_id: &str, box_id: &str, slot: usize, now: &str) -> [V; 6] {
    let (row, column) = (slot / BOX_COLUMNS, slot % BOX_COLUMNS);
    let name = Position {
        row: u8::try_from(row).unwrap(),
        column: u8::try_from(column).unwrap(),
    }
    .name();
    [
        t(sample_id),
        t(box_id),
        t(name),
        int(row),
        int(column),
        t(now),
    ]
}

/// What the section-1 bulk load made, kept for the lookups and for section 3.
struct Bulk {
    participants: Vec<Uuid>,
    participant_numbers: Vec<i64>,
    samples: Vec<Uuid>,
    storage: Storage,
    placed: usize,
    /// Next sample number to issue from the AQ block.
    next_sample: i64,
}

type Conn = sqlx::pool::PoolConnection<sqlx::Sqlite>;

/// Opens a bulk load: one connection, a larger page cache for the load only, one transaction.
async fn begin_bulk(store: &Store) -> (Conn, i64) {
    let mut conn = store.pool().acquire().await.unwrap();
    let cache: i64 = sqlx::query_scalar("PRAGMA cache_size")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    sqlx::query("PRAGMA cache_size = -262144")
        .execute(&mut *conn)
        .await
        .unwrap();
    sqlx::query("BEGIN IMMEDIATE")
        .execute(&mut *conn)
        .await
        .unwrap();
    (conn, cache)
}

/// Commits a bulk load and sets the connection's page cache back to what it was.
async fn commit_bulk((mut conn, cache): (Conn, i64)) {
    sqlx::query("COMMIT").execute(&mut *conn).await.unwrap();
    let reset = format!("PRAGMA cache_size = {cache}");
    sqlx::query(&reset).execute(&mut *conn).await.unwrap();
}

/// Copies the WAL into the database file so the file size is the data's size.
async fn checkpoint(store: &Store) -> Duration {
    let start = Instant::now();
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(store.pool())
        .await
        .unwrap();
    start.elapsed()
}

async fn set_next_value(conn: &mut SqliteConnection, block: Uuid, next: i64) {
    sqlx::query("UPDATE number_blocks SET next_value = ?1 WHERE id = ?2")
        .bind(next)
        .bind(block.to_string())
        .execute(&mut *conn)
        .await
        .unwrap();
}

fn load_line(loader: &Loader) -> String {
    let names = [
        "freezers",
        "racks",
        "boxes",
        "participants",
        "kit registrations",
        "samples",
        "placements",
    ];
    names
        .iter()
        .enumerate()
        .filter(|(i, _)| loader.rows(*i) > 0)
        .map(|(i, name)| format!("{} {name}", thousands(loader.rows(i))))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Section 1's data set: participants spread over the three sites, one 5-tube kit each, and
/// 95 % of the samples placed in boxes of 96 in order (the rest received, not yet stored).
async fn bulk_load_lab(lab: &Lab, sizes: &Sizes) -> Bulk {
    let start = Instant::now();
    let now = format_utc(lab.store.now());
    let collected = format_utc(lab.store.now() - chrono::Duration::days(30));
    let (kit, desk) = (lab.kit.to_string(), lab.desk.user_id.to_string());
    let sites: Vec<String> = lab.sites.iter().map(Uuid::to_string).collect();
    let (mut conn, cache) = begin_bulk(&lab.store).await;
    let mut loader = Loader::new();
    let mut storage = Storage::default();
    add_boxes(&mut loader, &mut conn, &mut storage, sizes.boxes, &now).await;

    let mut participants = Vec::with_capacity(sizes.participants);
    let mut participant_numbers = Vec::with_capacity(sizes.participants);
    let mut samples = Vec::with_capacity(sizes.samples);
    let (mut placed, mut next_sample) = (0_usize, 1_i64);
    let mut per_site = [0_i64; SITES.len()];
    for p in 0..sizes.participants {
        let site = p % SITES.len();
        let number = SITES[site].2 + per_site[site];
        per_site[site] += 1;
        let participant = Uuid::now_v7();
        let participant_text = participant.to_string();
        let row = [
            t(&participant_text),
            t(&sites[site]),
            int(number),
            t(participant_code(number)),
            if p % 4 == 0 {
                t(format!("EXT-{number}"))
            } else {
                V::N
            },
            t(ConsentStatus::Given.as_str()),
            t("2025-06-01"),
            t(if p % 2 == 0 { "female" } else { "male" }),
            int(1940 + (p % 60)),
            t(&now),
            t(&desk),
            t(&now),
        ];
        loader.push(&mut conn, PARTICIPANTS, row).await;
        let registration = Uuid::now_v7().to_string();
        let row = [
            t(&registration),
            t(&participant_text),
            t(&kit),
            V::N,
            t(&collected),
            t("Nurse Joy"),
            t(&now),
            t(&desk),
        ];
        loader.push(&mut conn, KIT_REGISTRATIONS, row).await;
        for (sample_type, volume) in KIT {
            let number = next_sample;
            next_sample += 1;
            let sample = Uuid::now_v7();
            let sample_text = sample.to_string();
            let is_placed = number % UNPLACED_EVERY as i64 != 0;
            let row = [
                t(&sample_text),
                t(sample_code(SAMPLE_PREFIX, SAMPLE_DIGITS, number).unwrap()),
                t(&participant_text),
                t(sample_type),
                t(if is_placed { "stored" } else { "received" }),
                V::N,
                t(&registration),
                V::N,
                t(&collected),
                t("Nurse Joy"),
                int(volume),
                t(&now),
                t(&now),
            ];
            loader.push(&mut conn, SAMPLES, row).await;
            if is_placed {
                let row = placement_row(
                    &sample_text,
                    &storage.boxes[placed / BOX_CAPACITY],
                    placed % BOX_CAPACITY,
                    &now,
                );
                loader.push(&mut conn, PLACEMENTS, row).await;
                placed += 1;
            }
            samples.push(sample);
        }
        participants.push(participant);
        participant_numbers.push(number);
    }
    loader.finish(&mut conn).await;
    for (i, block) in lab.participant_blocks.iter().enumerate() {
        set_next_value(&mut conn, *block, SITES[i].2 + per_site[i]).await;
    }
    set_next_value(&mut conn, lab.sample_block, next_sample).await;
    assert_eq!(loader.rows(SAMPLES), sizes.samples as u64);
    assert_eq!(loader.rows(PLACEMENTS), placed as u64);
    commit_bulk((conn, cache)).await;
    let loaded = start.elapsed();
    let checkpointed = checkpoint(&lab.store).await;
    println!(
        "   bulk load (setup, not the measured path): raw INSERTs in one transaction, {:.1} s \
         (+ WAL checkpoint {:.1} s):",
        loaded.as_secs_f64(),
        checkpointed.as_secs_f64()
    );
    println!("     {}", load_line(&loader));
    println!(
        "     (no status/placement history, audit or outbox rows for bulk rows, so the file is \
         smaller than a real lab's)"
    );
    Bulk {
        participants,
        participant_numbers,
        samples,
        storage,
        placed,
        next_sample,
    }
}

// ------------------------------------------------------------------------- 1. lookup by scan

const FORMS: [&str; 4] = [
    "full sample code",
    "sample code without check character",
    "box barcode",
    "participant code",
];

fn random_code(rng: &mut StdRng, sizes: &Sizes) -> String {
    let n = rng.gen_range(1..=sizes.samples as i64);
    sample_code(SAMPLE_PREFIX, SAMPLE_DIGITS, n).unwrap()
}

/// (form, scanned text, the code the result must carry)
fn scans(
    rng: &mut StdRng,
    sizes: &Sizes,
    bulk: &Bulk,
    per_form: [usize; 4],
) -> Vec<(usize, String, String)> {
    let mut scans = Vec::with_capacity(per_form.iter().sum());
    for _ in 0..per_form[0] {
        let code = random_code(rng, sizes);
        scans.push((0, code.clone(), code));
    }
    for _ in 0..per_form[1] {
        let code = random_code(rng, sizes);
        scans.push((1, code[..code.len() - 1].to_owned(), code));
    }
    for _ in 0..per_form[2] {
        let barcode = box_barcode(rng.gen_range(0..bulk.storage.boxes.len()));
        scans.push((2, barcode.clone(), barcode));
    }
    for _ in 0..per_form[3] {
        let number = bulk.participant_numbers[rng.gen_range(0..bulk.participant_numbers.len())];
        let code = participant_code(number);
        scans.push((3, code.clone(), code));
    }
    scans.shuffle(rng);
    scans
}

fn check_scan(found: Option<Scanned>, form: usize, expected: &str) {
    let ok = match (&found, form) {
        (Some(Scanned::Sample(s)), 0 | 1) => s.code == expected,
        (Some(Scanned::Box(b)), 2) => b.barcode == expected,
        (Some(Scanned::Participant(p)), 3) => p.code == expected,
        _ => false,
    };
    assert!(ok, "{}: {expected} found {found:?}", FORMS[form]);
}

async fn bare_lookup(store: &Store, code: &str) {
    let id: Option<String> = sqlx::query_scalar("SELECT id FROM samples WHERE code = ?1")
        .bind(code)
        .fetch_optional(store.pool())
        .await
        .unwrap();
    assert!(id.is_some(), "{code} not found");
}

async fn lookups(lab: &Lab, bulk: &Bulk, sizes: &Sizes) {
    let mut rng = StdRng::seed_from_u64(20_260_301);
    // Warm-up (untimed): prepares the statements on the pool's connections.
    for (form, text, expected) in scans(&mut rng, sizes, bulk, WARMUP_PER_FORM) {
        check_scan(lab.store.lookup_scan(&text).await.unwrap(), form, &expected);
        bare_lookup(&lab.store, &random_code(&mut rng, sizes)).await;
    }
    let timed = scans(&mut rng, sizes, bulk, LOOKUPS_PER_FORM);
    let baseline_codes: Vec<String> = (0..timed.len())
        .map(|_| random_code(&mut rng, sizes))
        .collect();
    let mut by_form: [Vec<Duration>; 4] = Default::default();
    let mut baseline = Vec::with_capacity(timed.len());
    // Interleaved, with different random codes, so neither warms the other's pages.
    for (i, (form, text, expected)) in timed.iter().enumerate() {
        let start = Instant::now();
        let found = lab.store.lookup_scan(text).await.unwrap();
        by_form[*form].push(start.elapsed());
        check_scan(found, *form, expected);
        if let Some(code) = baseline_codes.get(i) {
            let start = Instant::now();
            bare_lookup(&lab.store, code).await;
            baseline.push(start.elapsed());
        }
    }
    let all = Stats::of(by_form.iter().flatten().copied().collect());
    let base = Stats::of(baseline);
    print_row("Store::lookup_scan, all forms mixed", &all);
    for (form, samples) in by_form.into_iter().enumerate() {
        print_row(&format!("  {}", FORMS[form]), &Stats::of(samples));
    }
    print_row("baseline: SELECT id FROM samples WHERE code = ?", &base);
    println!(
        "   lookup_scan / baseline: p50 {:.1}×, p99 {:.1}×",
        ms(all.p50) / ms(base.p50),
        ms(all.p99) / ms(base.p99)
    );
}

// ------------------------------------------------------------------------- 2. kit registration

async fn participants_by_command(lab: &Lab, count: usize) -> Vec<Uuid> {
    let today = lab.store.now().date_naive();
    let mut ids = Vec::with_capacity(count);
    for i in 0..count {
        let participant_id = Uuid::now_v7();
        run(
            &lab.store,
            &lab.desk,
            Command::RegisterParticipant {
                participant_id,
                site_id: lab.sites[i % lab.sites.len()],
                number: None,
                external_id: None,
                consent: ConsentStatus::Given,
                consent_date: today,
                sex: None,
                birth_year: None,
            },
        )
        .await;
        ids.push(participant_id);
    }
    ids
}

fn kit_command(lab: &Lab, participant_id: Uuid, codes: Option<&[String]>) -> Command {
    Command::RegisterKit {
        registration_id: Uuid::now_v7(),
        participant_id,
        template_id: lab.kit,
        template_version: Some(1),
        event_id: None,
        collected_at: lab.store.now() - chrono::Duration::hours(1),
        collector: "Nurse Joy".into(),
        tubes: (0..KIT.len())
            .map(|i| NewTube {
                sample_id: Uuid::now_v7(),
                code: codes.map(|c| c[i].clone()),
            })
            .collect(),
    }
}

/// The rows one kit registration writes, made before the clock starts.
struct RawKit {
    registration: String,
    participant: String,
    collected: String,
    now: String,
    tubes: Vec<(String, String, &'static str, i64)>,
    command_id: String,
    /// The kit's audit row and one per tube (each tube's story is found by its code).
    audits: Vec<RawAudit>,
    audit_context: String,
    payload: String,
    /// The sample block's counter after this kit's codes.
    next_code: i64,
}

struct RawAudit {
    seq: i64,
    entity_type: &'static str,
    entity_id: String,
    new: String,
    prev_hash: String,
    hash: String,
}

/// The baseline: the same rows as a kit registration, written with plain INSERTs.
struct RawKits {
    template: String,
    actor_id: String,
    actor_name: String,
    device: String,
    next_code: i64,
    seq: i64,
    prev_hash: String,
    sample_block: String,
}

impl RawKits {
    async fn new(lab: &Lab) -> RawKits {
        let (seq, prev_hash): (i64, String) =
            sqlx::query_as("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
                .fetch_one(lab.store.pool())
                .await
                .unwrap();
        RawKits {
            template: lab.kit.to_string(),
            actor_id: lab.desk.user_id.to_string(),
            actor_name: lab.desk.username.clone(),
            device: lab.store.device_id().to_owned(),
            next_code: 1,
            seq,
            prev_hash,
            sample_block: lab.sample_block.to_string(),
        }
    }

    fn prepare(&mut self, lab: &Lab, participant: Uuid) -> RawKit {
        use sha2::Digest;
        let codes: Vec<String> = (0..KIT.len())
            .map(|i| sample_code(SAMPLE_PREFIX, SAMPLE_DIGITS, self.next_code + i as i64).unwrap())
            .collect();
        self.next_code += KIT.len() as i64;
        let command = kit_command(lab, participant, Some(&codes));
        let Command::RegisterKit {
            registration_id,
            collected_at,
            tubes,
            ..
        } = &command
        else {
            unreachable!()
        };
        let (registration_id, collected_at) = (*registration_id, *collected_at);
        let tubes: Vec<(String, String, &'static str, i64)> = tubes
            .iter()
            .zip(KIT)
            .map(|(tube, (sample_type, volume))| {
                (
                    tube.sample_id.to_string(),
                    tube.code.clone().unwrap(),
                    sample_type,
                    i64::from(volume),
                )
            })
            .collect();
        let command_id = Uuid::now_v7().to_string();
        let audit_new = serde_json::json!({
            "participant": participant_code(1_000_000),
            "kit": "Standard blood and urine",
            "event_id": null,
            "collected_at": format_utc(collected_at),
            "collector": "Nurse Joy",
            "tubes": tubes.iter().map(|(id, code, kind, _)| serde_json::json!({"sample_id": id, "code": code, "type": kind})).collect::<Vec<_>>(),
        })
        .to_string();
        let audit_context = serde_json::json!({
            "device_id": self.device,
            "command_id": command_id,
            "subject_user_id": null,
        })
        .to_string();
        let mut rows = vec![("kit_registration", registration_id.to_string(), audit_new)];
        for (_, code, kind, _) in &tubes {
            let new = serde_json::json!({"status": "collected", "participant": participant_code(1_000_000), "kit_registration": registration_id.to_string(), "type": kind});
            rows.push(("sample", code.clone(), new.to_string()));
        }
        let audits = rows
            .into_iter()
            .map(|(entity_type, entity_id, new)| {
                self.seq += 1;
                let prev_hash = std::mem::take(&mut self.prev_hash);
                let hash = hex::encode(sha2::Sha256::digest(
                    format!("{prev_hash}{}{new}", self.seq).as_bytes(),
                ));
                self.prev_hash = hash.clone();
                RawAudit {
                    seq: self.seq,
                    entity_type,
                    entity_id,
                    new,
                    prev_hash,
                    hash,
                }
            })
            .collect();
        RawKit {
            registration: registration_id.to_string(),
            participant: participant.to_string(),
            collected: format_utc(collected_at),
            now: format_utc(lab.store.now()),
            tubes,
            command_id,
            audits,
            audit_context,
            payload: serde_json::to_string(&command).unwrap(),
            next_code: self.next_code,
        }
    }

    /// One transaction, committed: the kit row, its samples with their first history row,
    /// the block's counter, the kit's and each tube's audit rows and one outbox row.
    async fn insert(&self, store: &Store, kit: &RawKit) {
        let mut tx = store.pool().begin_with("BEGIN IMMEDIATE").await.unwrap();
        sqlx::query(
            "INSERT INTO kit_registrations (id, participant_id, template_id, event_id, collected_at, collector, registered_at, registered_by)
             VALUES (?1, ?2, ?3, NULL, ?4, ?5, ?6, ?7)",
        )
        .bind(&kit.registration)
        .bind(&kit.participant)
        .bind(&self.template)
        .bind(&kit.collected)
        .bind("Nurse Joy")
        .bind(&kit.now)
        .bind(&self.actor_id)
        .execute(&mut *tx)
        .await
        .unwrap();
        for (id, code, sample_type, volume) in &kit.tubes {
            sqlx::query(
                "INSERT INTO samples (id, code, participant_id, sample_type, status, parent_id, registration_id, event_id,
                                      collected_at, collector, volume_ul, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, 'collected', NULL, ?5, NULL, ?6, ?7, ?8, ?9, ?9)",
            )
            .bind(id)
            .bind(code)
            .bind(&kit.participant)
            .bind(*sample_type)
            .bind(&kit.registration)
            .bind(&kit.collected)
            .bind("Nurse Joy")
            .bind(*volume)
            .bind(&kit.now)
            .execute(&mut *tx)
            .await
            .unwrap();
            sqlx::query(
                "INSERT INTO sample_status_history (sample_id, from_status, to_status, via, actor_id, at, reason, command_id)
                 VALUES (?1, NULL, 'collected', 'registration', ?2, ?3, NULL, ?4)",
            )
            .bind(id)
            .bind(&self.actor_id)
            .bind(&kit.now)
            .bind(&kit.command_id)
            .execute(&mut *tx)
            .await
            .unwrap();
        }
        sqlx::query("UPDATE number_blocks SET next_value = ?1 WHERE id = ?2")
            .bind(kit.next_code)
            .bind(&self.sample_block)
            .execute(&mut *tx)
            .await
            .unwrap();
        for audit in &kit.audits {
            sqlx::query(
                "INSERT INTO audit_log (seq, at, actor_id, actor_name, action, entity_type, entity_id,
                                        old_value, new_value, reason, context, prev_hash, hash)
                 VALUES (?1, ?2, ?3, ?4, 'register_kit', ?5, ?6, NULL, ?7, NULL, ?8, ?9, ?10)",
            )
            .bind(audit.seq)
            .bind(&kit.now)
            .bind(&self.actor_id)
            .bind(&self.actor_name)
            .bind(audit.entity_type)
            .bind(&audit.entity_id)
            .bind(&audit.new)
            .bind(&kit.audit_context)
            .bind(&audit.prev_hash)
            .bind(&audit.hash)
            .execute(&mut *tx)
            .await
            .unwrap();
        }
        sqlx::query(
            "INSERT INTO outbox (command_id, device_id, recorded_at, kind, schema_version, actor_id, payload)
             VALUES (?1, ?2, ?3, 'register_kit', 1, ?4, ?5)",
        )
        .bind(&kit.command_id)
        .bind(&self.device)
        .bind(&kit.now)
        .bind(&self.actor_id)
        .bind(&kit.payload)
        .execute(&mut *tx)
        .await
        .unwrap();
        tx.commit().await.unwrap();
    }
}

async fn count(store: &Store, sql: &str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(store.pool())
        .await
        .unwrap()
}

async fn kit_registration(password_hash: &str) {
    let real = new_lab(password_hash).await;
    let raw = new_lab(password_hash).await;
    let real_people = participants_by_command(&real, KIT_PARTICIPANTS).await;
    let raw_people = participants_by_command(&raw, KIT_PARTICIPANTS).await;
    let mut raw_kits = RawKits::new(&raw).await;
    for i in 0..KIT_WARMUP {
        let command = kit_command(&real, real_people[i % KIT_PARTICIPANTS], None);
        run(&real.store, &real.desk, command).await;
        let kit = raw_kits.prepare(&raw, raw_people[i % KIT_PARTICIPANTS]);
        raw_kits.insert(&raw.store, &kit).await;
    }
    let (mut executed, mut baseline) = (Vec::with_capacity(KITS), Vec::with_capacity(KITS));
    // Interleaved kit by kit, so both see the same disk and the same background load.
    for i in 0..KITS {
        let command = kit_command(&real, real_people[i % KIT_PARTICIPANTS], None);
        let start = Instant::now();
        real.store.execute(&real.desk, command).await.unwrap();
        executed.push(start.elapsed());
        let kit = raw_kits.prepare(&raw, raw_people[i % KIT_PARTICIPANTS]);
        let start = Instant::now();
        raw_kits.insert(&raw.store, &kit).await;
        baseline.push(start.elapsed());
    }
    let tubes = ((KITS + KIT_WARMUP) * KIT.len()) as i64;
    for lab in [&real, &raw] {
        assert_eq!(
            count(&lab.store, "SELECT COUNT(*) FROM samples").await,
            tubes
        );
        assert_eq!(
            count(&lab.store, "SELECT COUNT(*) FROM sample_status_history").await,
            tubes
        );
    }
    let (executed, baseline) = (Stats::of(executed), Stats::of(baseline));
    let rate = |s: &Stats| KITS as f64 / s.total.as_secs_f64();
    println!(
        "   Store::execute(RegisterKit): {:>7.1} kits/s {:>8.1} tubes/s   {}",
        rate(&executed),
        rate(&executed) * KIT.len() as f64,
        executed.line()
    );
    println!(
        "   baseline: raw INSERTs:       {:>7.1} kits/s {:>8.1} tubes/s   {}",
        rate(&baseline),
        rate(&baseline) * KIT.len() as f64,
        baseline.line()
    );
    println!(
        "   execute / raw: p50 {:.2}×, p99 {:.2}×, throughput {:.2}× lower",
        ms(executed.p50) / ms(baseline.p50),
        ms(executed.p99) / ms(baseline.p99),
        rate(&baseline) / rate(&executed)
    );
}

// ------------------------------------------------------------------------- 3. has_space page

/// Section 3's data set: section 1's store grown to the page size in boxes, a third of them
/// full. The new full boxes hold aliquots of section 1's samples (a biobank's usual content).
async fn bulk_load_boxes(lab: &Lab, bulk: Bulk, sizes: &Sizes) -> (usize, usize) {
    let start = Instant::now();
    let now = format_utc(lab.store.now());
    let collected = format_utc(lab.store.now() - chrono::Duration::days(30));
    let (mut conn, cache) = begin_bulk(&lab.store).await;
    let mut loader = Loader::new();
    let mut storage = bulk.storage;
    let first_new = storage.boxes.len();
    let new_boxes = sizes.page_boxes.saturating_sub(first_new);
    add_boxes(&mut loader, &mut conn, &mut storage, new_boxes, &now).await;
    let full_before = bulk.placed / BOX_CAPACITY;
    let new_full = (sizes.page_boxes / 3)
        .saturating_sub(full_before)
        .min(new_boxes);
    let mut next_sample = bulk.next_sample;
    let mut aliquots = 0_usize;
    for j in 0..new_boxes {
        // Spread the full boxes evenly among the new ones.
        if (j + 1) * new_full / new_boxes == j * new_full / new_boxes {
            continue;
        }
        for slot in 0..BOX_CAPACITY {
            let parent = aliquots % bulk.samples.len();
            let id = Uuid::now_v7().to_string();
            let row = [
                t(&id),
                t(sample_code(SAMPLE_PREFIX, SAMPLE_DIGITS, next_sample).unwrap()),
                t(bulk.participants[parent / KIT.len()].to_string()),
                t(KIT[parent % KIT.len()].0),
                t("stored"),
                t(bulk.samples[parent].to_string()),
                V::N,
                V::N,
                t(&collected),
                t("Nurse Joy"),
                int(100),
                t(&now),
                t(&now),
            ];
            loader.push(&mut conn, SAMPLES, row).await;
            let row = placement_row(&id, &storage.boxes[first_new + j], slot, &now);
            loader.push(&mut conn, PLACEMENTS, row).await;
            next_sample += 1;
            aliquots += 1;
        }
    }
    loader.finish(&mut conn).await;
    set_next_value(&mut conn, lab.sample_block, next_sample).await;
    commit_bulk((conn, cache)).await;
    let loaded = start.elapsed();
    let checkpointed = checkpoint(&lab.store).await;
    println!(
        "   bulk load (setup, not the measured path): raw INSERTs in one transaction, {:.1} s \
         (+ WAL checkpoint {:.1} s):",
        loaded.as_secs_f64(),
        checkpointed.as_secs_f64()
    );
    println!(
        "     {} (the samples are aliquots of section 1's tubes, filling the new full boxes)",
        load_line(&loader)
    );
    (storage.boxes.len(), full_before + new_full)
}

async fn bare_page(store: &Store, page: u32) -> usize {
    let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM boxes WHERE voided_at IS NULL")
        .fetch_one(store.pool())
        .await
        .unwrap();
    let rows = sqlx::query(
        "SELECT id, name, barcode, box_type, rows, columns, capacity, rack_id, created_at
         FROM boxes WHERE voided_at IS NULL ORDER BY name, id LIMIT ?1 OFFSET ?2",
    )
    .bind(i64::from(PER_PAGE))
    .bind(i64::from(page - 1) * i64::from(PER_PAGE))
    .fetch_all(store.pool())
    .await
    .unwrap();
    assert!(total > 0);
    rows.len()
}

/// "Before": a has-space page by name as every one ran until migration 0018, through the
/// general statement `Store::boxes` keeps for other filters (its space filter inside an
/// `OR` with the parameter, which no partial index can serve).
async fn general_statement_page(store: &Store, page: u32) -> usize {
    const WHERE: &str = "WHERE b.voided_at IS NULL AND (?1 IS NULL OR b.rack_id IN (SELECT id FROM racks WHERE freezer_id = ?1))
          AND (?2 IS NULL OR b.rack_id = ?2)
          AND (?4 IS NULL OR b.box_type = ?4) AND (?5 IS NULL OR b.name LIKE ?5 OR b.barcode LIKE ?5)
          AND (?3 IS NULL OR (?3 = 1 AND (b.capacity IS NULL OR b.occupied < b.capacity))
                          OR (?3 = 0 AND b.capacity IS NOT NULL AND b.occupied >= b.capacity))
          AND (?8 IS NULL OR (b.rows IS NOT NULL AND b.capacity - b.occupied >= ?8))";
    let none: Option<String> = None;
    let total: i64 = sqlx::query_scalar(&format!(
        "SELECT COUNT(*) FROM boxes b {WHERE} AND ?6 IS NOT NULL AND ?7 IS NOT NULL"
    ))
    .bind(&none)
    .bind(&none)
    .bind(1_i64)
    .bind(&none)
    .bind(&none)
    .bind(0_i64)
    .bind(0_i64)
    .bind(&none)
    .fetch_one(store.pool())
    .await
    .unwrap();
    let rows = sqlx::query(&format!(
        "SELECT b.id, b.name, r.name, f.name FROM boxes b JOIN racks r ON r.id = b.rack_id
         JOIN freezers f ON f.id = r.freezer_id {WHERE} ORDER BY b.name, b.id LIMIT ?6 OFFSET ?7"
    ))
    .bind(&none)
    .bind(&none)
    .bind(1_i64)
    .bind(&none)
    .bind(&none)
    .bind(i64::from(PER_PAGE))
    .bind(i64::from(page - 1) * i64::from(PER_PAGE))
    .bind(&none)
    .fetch_all(store.pool())
    .await
    .unwrap();
    assert!(total > 0);
    rows.len()
}

async fn has_space_pages(lab: &Lab, bulk: Bulk, sizes: &Sizes) {
    let (boxes, full) = bulk_load_boxes(lab, bulk, sizes).await;
    let samples = count(&lab.store, "SELECT COUNT(*) FROM samples").await;
    let placements = count(&lab.store, "SELECT COUNT(*) FROM placements").await;
    println!(
        "   data: {} boxes ({} full, {} with space), {} samples, {} placed; {}",
        thousands(boxes as u64),
        thousands(full as u64),
        thousands((boxes - full) as u64),
        thousands(samples as u64),
        thousands(placements as u64),
        db_size_line(lab.dir.path())
    );
    let filter = BoxFilter {
        has_space: Some(true),
        ..Default::default()
    };
    let request = |page| PageRequest {
        page,
        per_page: PER_PAGE,
    };
    let page_of = |page: u32| {
        let store = lab.store.clone();
        let filter = filter.clone();
        async move {
            store
                .boxes(&filter, BoxSort::Name, SortOrder::Asc, request(page))
                .await
                .unwrap()
        }
    };
    let first = page_of(1).await;
    assert_eq!(first.total, (boxes - full) as u64, "has_space total");
    assert_eq!(first.items.len(), PER_PAGE as usize);
    assert!(first.items.iter().all(|b| b.has_space));
    let deep = DEEP_PAGE.min(first.total_pages);
    let deep_page = page_of(deep).await;
    assert!(!deep_page.items.is_empty() && deep_page.items.iter().all(|b| b.has_space));
    bare_page(&lab.store, 1).await;
    bare_page(&lab.store, deep).await;

    assert_eq!(
        general_statement_page(&lab.store, 1).await,
        PER_PAGE as usize
    );
    let mut timings: [Vec<Duration>; 6] = Default::default();
    for _ in 0..PAGE_RUNS {
        for (i, page) in [1, deep].into_iter().enumerate() {
            let start = Instant::now();
            let got = page_of(page).await;
            timings[i].push(start.elapsed());
            assert!(!got.items.is_empty());
            let start = Instant::now();
            assert!(bare_page(&lab.store, page).await > 0);
            timings[2 + i].push(start.elapsed());
            let start = Instant::now();
            assert!(general_statement_page(&lab.store, page).await > 0);
            timings[4 + i].push(start.elapsed());
        }
    }
    let [first_t, deep_t, bare_first, bare_deep, before_first, before_deep] =
        timings.map(Stats::of);
    let label = "before: the general statement (until migration 0018)";
    print_row(&format!("{label}, page 1"), &before_first);
    print_row(&format!("{label}, page {deep}"), &before_deep);
    let offset = |page: u32| thousands(u64::from(page - 1) * u64::from(PER_PAGE));
    let label = format!("Store::boxes(has_space, by name, {PER_PAGE}/page)");
    print_row(&format!("{label}, page 1"), &first_t);
    print_row(&format!("{label}, page {deep}"), &deep_t);
    let label = format!("baseline: COUNT(*) + ORDER BY name LIMIT {PER_PAGE}");
    print_row(&format!("{label} OFFSET 0"), &bare_first);
    print_row(&format!("{label} OFFSET {}", offset(deep)), &bare_deep);
    println!(
        "   has_space / baseline p50: page 1 {:.1}×, page {deep} {:.1}× (goal: page 1 under 10 ms at 100,000 boxes)",
        ms(first_t.p50) / ms(bare_first.p50),
        ms(deep_t.p50) / ms(bare_deep.p50)
    );
    println!(
        "   before / after p50: page 1 {:.1}×, page {deep} {:.1}×",
        ms(before_first.p50) / ms(first_t.p50),
        ms(before_deep.p50) / ms(deep_t.p50)
    );
}

// ------------------------------------------------------------------------- main

#[tokio::main]
async fn main() {
    let started = Instant::now();
    let sizes = sizes();
    let scale = if std::env::var_os("LAB_BENCH_SAMPLES").is_some() {
        "LAB_BENCH_SAMPLES"
    } else {
        "default"
    };
    println!(
        "Lab-scale bench: {} samples ({scale}); {} participants over {} sites, {} boxes of {BOX_CAPACITY} \
         for section 1, {} boxes for section 3",
        thousands(sizes.samples as u64),
        thousands(sizes.participants as u64),
        SITES.len(),
        thousands(sizes.boxes as u64),
        thousands(sizes.page_boxes as u64)
    );
    println!(
        "Stores: WAL, synchronous=FULL, foreign keys on (Store::open); each in a fresh temp dir."
    );
    let password_hash = hash_password("bench passphrase, never used to sign in").unwrap();

    let lab = new_lab(&password_hash).await;
    println!();
    println!(
        "1. Lookup by scan at {} samples",
        thousands(sizes.samples as u64)
    );
    let bulk = bulk_load_lab(&lab, &sizes).await;
    println!(
        "   data: {} participants, {} samples, {} placed in {} boxes; {}",
        thousands(bulk.participants.len() as u64),
        thousands(bulk.samples.len() as u64),
        thousands(bulk.placed as u64),
        thousands(bulk.storage.boxes.len() as u64),
        db_size_line(lab.dir.path())
    );
    lookups(&lab, &bulk, &sizes).await;
    if std::env::var_os("LAB_BENCH_ONLY_LOOKUP").is_some() {
        println!();
        println!(
            "whole bench (lookup only): {:.0} s",
            started.elapsed().as_secs_f64()
        );
        return;
    }

    println!();
    println!(
        "2. Kit registration: {KITS} kits × {} tubes on a fresh store, one command per kit, \
         interleaved kit by kit with the baseline (after {KIT_WARMUP} warm-up kits each)",
        KIT.len()
    );
    println!(
        "   baseline: a second fresh store (same Store::open pragmas); per kit one committed BEGIN IMMEDIATE \
         transaction of 1 kit_registrations + 5 samples + 5 status-history + 6 audit_log (the kit's, each tube's) \
         + 1 outbox rows and the sample block's counter, \
         values prepared before the clock starts"
    );
    kit_registration(&password_hash).await;

    println!();
    println!(
        "3. has_space box page at {} boxes (section 1's store, grown)",
        thousands(sizes.page_boxes as u64)
    );
    has_space_pages(&lab, bulk, &sizes).await;

    println!();
    println!("whole bench: {:.0} s", started.elapsed().as_secs_f64());
}
