//! The hub's record on PostgreSQL, all of its SQL: devices and enrollment codes, claims
//! and per-device sequences, device audit chains, the lease policy, the feed and its head.
//! The lab's tables are not here (each process's SQLite copy holds them, `copy`), so no
//! lab query and no domain rule exists a second time.
//!
//! The queries are checked at run time: sqlx's macros check one database kind per crate,
//! and every one of them runs in the hub suite against a real PostgreSQL
//! (`scripts/with-postgres`).

use crate::db::{Device, DeviceChain, FeedPage, NewClaim};
use crate::HubFailure;
use aliquot_domain::numbering::LeasePolicy;
use aliquot_domain::paging::{Page, ValidPage};
use aliquot_sync::plan::Claim;
use aliquot_sync::{CommandResult, Outcome, RowChange};
use chrono::{DateTime, Utc};
use serde_json::value::RawValue;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{PgConnection, PgPool, Row};
use std::collections::HashMap;
use std::str::FromStr;
use std::time::Duration;
use uuid::Uuid;

type Result<T> = std::result::Result<T, HubFailure>;

const MIGRATIONS: &[(i64, &str)] = &[(
    1,
    include_str!("../migrations/postgres/0001_hub_record.sql"),
)];

/// The newest of the hub's PostgreSQL migrations this build has.
pub const PG_SCHEMA: i64 = MIGRATIONS[MIGRATIONS.len() - 1].0;

/// The advisory lock every decision takes (one lab, one lock): decisions are ordered
/// across processes as SQLite's one writer orders them in one process. The value is
/// "Aliq" in ASCII, so it is recognisable in `pg_locks`.
const DECISION_LOCK: i64 = 0x416C_6971;
/// The lock `migrate` takes, so two processes starting at once migrate once.
const MIGRATION_LOCK: i64 = 0x416C_6972;

/// How the hub connects: at most `max_connections` at once (a pool per process; the
/// server's `max_connections` bounds the sum), a statement that runs longer than
/// `statement_timeout` is cancelled, and a connection that waits longer than
/// `acquire_timeout` for the pool fails the request with `retry_later`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PgSettings {
    pub max_connections: u32,
    pub statement_timeout: Duration,
    pub acquire_timeout: Duration,
}

impl Default for PgSettings {
    fn default() -> Self {
        PgSettings {
            max_connections: 16,
            statement_timeout: Duration::from_secs(30),
            acquire_timeout: Duration::from_secs(10),
        }
    }
}

impl PgSettings {
    /// The settings an operator gave (`--pool-size`, `--statement-timeout` and
    /// `--pool-wait`, in seconds), the defaults for the rest; a value out of range is
    /// refused, naming the option.
    pub fn with_limits(
        pool_size: Option<u32>,
        statement_timeout_s: Option<u64>,
        pool_wait_s: Option<u64>,
    ) -> Result<PgSettings> {
        fn check(
            value: u64,
            range: std::ops::RangeInclusive<u64>,
            option: &str,
            unit: &str,
        ) -> Result<u64> {
            if range.contains(&value) {
                Ok(value)
            } else {
                Err(HubFailure::bad_request(
                    "invalid",
                    format!(
                        "{option} is {} to {} {unit}, not {value}",
                        range.start(),
                        range.end()
                    ),
                ))
            }
        }
        let mut settings = PgSettings::default();
        if let Some(size) = pool_size {
            check(u64::from(size), 1..=1000, "--pool-size", "connections")?;
            settings.max_connections = size;
        }
        if let Some(seconds) = statement_timeout_s {
            let seconds = check(seconds, 1..=3600, "--statement-timeout", "seconds")?;
            settings.statement_timeout = Duration::from_secs(seconds);
        }
        if let Some(seconds) = pool_wait_s {
            let seconds = check(seconds, 1..=300, "--pool-wait", "seconds")?;
            settings.acquire_timeout = Duration::from_secs(seconds);
        }
        Ok(settings)
    }
}

/// Whether a `--database` value names PostgreSQL.
pub fn is_postgres_url(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

pub async fn connect(url: &str, settings: &PgSettings) -> Result<PgPool> {
    let timeout = format!("{}ms", settings.statement_timeout.as_millis());
    let options = PgConnectOptions::from_str(url)
        .map_err(|e| {
            HubFailure::bad_request("invalid", format!("the database address is not valid: {e}"))
        })?
        .application_name("aliquot-hub")
        .options([
            ("statement_timeout", timeout.as_str()),
            // A process that dies inside a transaction does not hold the decision lock.
            ("idle_in_transaction_session_timeout", "60s"),
        ]);
    tracing::info!(
        max_connections = settings.max_connections,
        statement_timeout_s = settings.statement_timeout.as_secs(),
        pool_wait_s = settings.acquire_timeout.as_secs(),
        "connecting to PostgreSQL"
    );
    PgPoolOptions::new()
        .max_connections(settings.max_connections)
        .acquire_timeout(settings.acquire_timeout)
        .connect_with(options)
        .await
        .map_err(refused_or_retry)
}

/// A connection refused for the hub's own settings (the server's certificate, the address's
/// parameters, the credentials, a database that does not exist) is said as such, since
/// trying again will not help; anything else (a server not up yet) is `retry_later`.
fn refused_or_retry(e: sqlx::Error) -> HubFailure {
    let settings_refused = match &e {
        sqlx::Error::Tls(_) | sqlx::Error::Configuration(_) => true,
        // The server's certificate refused in the handshake comes as I/O carrying rustls's
        // reason.
        sqlx::Error::Io(io) => io
            .get_ref()
            .is_some_and(|inner| inner.is::<rustls::Error>()),
        // invalid_authorization_specification, invalid_password, invalid_catalog_name
        sqlx::Error::Database(d) => {
            matches!(d.code().as_deref(), Some("28000" | "28P01" | "3D000"))
        }
        _ => false,
    };
    if settings_refused {
        HubFailure::bad_request(
            "database_refused",
            format!("PostgreSQL does not accept this hub's connection: {e}"),
        )
    } else {
        HubFailure::internal(e)
    }
}

fn utc(at: DateTime<Utc>) -> String {
    aliquot_domain::audit::format_utc(at)
}

fn parse_utc(s: &str) -> Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .map(|d| d.with_timezone(&Utc))
        .map_err(|e| HubFailure::internal(format!("stored time {s:?}: {e}")))
}

/// Applies the hub's PostgreSQL migrations; refuses a database a newer aliquot-hub has
/// migrated. Returns the schema version now applied.
pub async fn migrate(pool: &PgPool) -> Result<i64> {
    let mut tx = pool.begin().await?;
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(MIGRATION_LOCK)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "CREATE TABLE IF NOT EXISTS hub_schema (version BIGINT PRIMARY KEY, applied_at TEXT NOT NULL)",
    )
    .execute(&mut *tx)
    .await?;
    let current: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(version), 0) FROM hub_schema")
        .fetch_one(&mut *tx)
        .await?;
    if current > PG_SCHEMA {
        return Err(HubFailure::conflict(
            "schema_newer",
            format!(
                "the hub's PostgreSQL database was last migrated by a newer aliquot-hub (its \
                 schema is at {current}; this program knows up to {PG_SCHEMA}): run that \
                 version or a later one"
            ),
        ));
    }
    for (version, sql) in MIGRATIONS {
        if *version > current {
            sqlx::raw_sql(sql).execute(&mut *tx).await?;
            sqlx::query("INSERT INTO hub_schema (version, applied_at) VALUES ($1, $2)")
                .bind(version)
                .bind(utc(Utc::now()))
                .execute(&mut *tx)
                .await?;
        }
    }
    tx.commit().await?;
    Ok(current.max(PG_SCHEMA))
}

pub async fn schema(pool: &PgPool) -> Result<i64> {
    Ok(
        sqlx::query_scalar("SELECT COALESCE(MAX(version), 0) FROM hub_schema")
            .fetch_one(pool)
            .await?,
    )
}

/// The hub's id: the first process to open the database names it, every later one
/// answers with the same.
pub async fn hub_identity(pool: &PgPool, candidate: &str) -> Result<String> {
    sqlx::query(
        "INSERT INTO hub_identity (singleton, hub_id) VALUES (1, $1) ON CONFLICT (singleton) DO NOTHING",
    )
    .bind(candidate)
    .execute(pool)
    .await?;
    Ok(
        sqlx::query_scalar("SELECT hub_id FROM hub_identity WHERE singleton = 1")
            .fetch_one(pool)
            .await?,
    )
}

/// Takes the decision lock for the rest of the transaction.
pub async fn take_decision_lock(conn: &mut PgConnection) -> Result<()> {
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(DECISION_LOCK)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub async fn head(conn: &mut PgConnection) -> Result<i64> {
    Ok(
        sqlx::query_scalar("SELECT value FROM hub_counter WHERE singleton = 1")
            .fetch_one(&mut *conn)
            .await?,
    )
}

pub async fn head_of(pool: &PgPool) -> Result<i64> {
    let mut conn = pool.acquire().await?;
    head(&mut conn).await
}

pub async fn feed_rows(pool: &PgPool) -> Result<i64> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM hub_changes")
        .fetch_one(pool)
        .await?)
}

/// Appends a decision's row images to the feed and moves the head to `head` (the caller
/// holds the decision lock).
pub async fn append_changes(conn: &mut PgConnection, rows: &[FeedImage], head: i64) -> Result<()> {
    if !rows.is_empty() {
        let changes: Vec<i64> = rows.iter().map(|r| r.change).collect();
        let tables: Vec<&str> = rows.iter().map(|r| r.tbl.as_str()).collect();
        let keys: Vec<&str> = rows.iter().map(|r| r.key.as_str()).collect();
        let images: Vec<Option<&str>> = rows.iter().map(|r| r.row.as_deref()).collect();
        // One statement for the batch; ORDINALITY keeps the rows' order in `seq`.
        sqlx::query(
            "INSERT INTO hub_changes (change, tbl, key, row)
             SELECT c, t, k, r FROM UNNEST($1::BIGINT[], $2::TEXT[], $3::TEXT[], $4::TEXT[])
                  WITH ORDINALITY AS u(c, t, k, r, n) ORDER BY n",
        )
        .bind(&changes)
        .bind(&tables)
        .bind(&keys)
        .bind(&images)
        .execute(&mut *conn)
        .await?;
    }
    let moved =
        sqlx::query("UPDATE hub_counter SET value = $1 WHERE singleton = 1 AND value <= $1")
            .bind(head)
            .execute(&mut *conn)
            .await?
            .rows_affected();
    if moved != 1 {
        return Err(HubFailure::internal(format!(
            "the feed's head is past {head}: a decision was made without the lock"
        )));
    }
    Ok(())
}

/// One row of the feed as stored.
#[derive(Debug, Clone)]
pub struct FeedImage {
    pub change: i64,
    pub tbl: String,
    pub key: String,
    pub row: Option<String>,
}

impl FeedImage {
    pub fn into_change(self) -> Result<RowChange> {
        // Checked as JSON, never parsed into values: the text goes out as stored.
        let raw = |s: String| {
            RawValue::from_string(s).map_err(|e| HubFailure::internal(format!("feed row: {e}")))
        };
        Ok(RowChange {
            change: self.change,
            table: self.tbl,
            key: raw(self.key)?,
            row: self.row.map(raw).transpose()?,
        })
    }
}

fn feed_image(row: &sqlx::postgres::PgRow) -> FeedImage {
    FeedImage {
        change: row.get(0),
        tbl: row.get(1),
        key: row.get(2),
        row: row.get(3),
    }
}

/// The feed's rows after `after`, up to `upto`: whole changes only, at most `limit` rows
/// unless one change is larger (it comes whole), and the cursor they end at.
pub async fn feed_after(
    conn: &mut PgConnection,
    after: i64,
    upto: i64,
    limit: i64,
) -> Result<(Vec<FeedImage>, i64)> {
    let rows = sqlx::query(
        "SELECT change, tbl, key, row FROM hub_changes
         WHERE change > $1 AND change <= $2 ORDER BY change, seq LIMIT $3",
    )
    .bind(after)
    .bind(upto)
    .bind(limit + 1)
    .fetch_all(&mut *conn)
    .await?;
    let mut images: Vec<FeedImage> = rows.iter().map(feed_image).collect();
    if images.len() as i64 <= limit {
        return Ok((images, upto));
    }
    let cut = images[limit as usize].change;
    if images[0].change == cut {
        // One change larger than a page comes whole.
        let rows = sqlx::query(
            "SELECT change, tbl, key, row FROM hub_changes WHERE change = $1 ORDER BY seq",
        )
        .bind(cut)
        .fetch_all(&mut *conn)
        .await?;
        Ok((rows.iter().map(feed_image).collect(), cut))
    } else {
        images.retain(|r| r.change < cut);
        Ok((images, cut - 1))
    }
}

/// One page of the feed for a device (the changes and its decided commands), read in one
/// snapshot. The digests are the caller's: they come from a lab copy at the page's end.
pub async fn pull_page(
    pool: &PgPool,
    device_id: &str,
    cursor: i64,
    limit: i64,
) -> Result<FeedPage> {
    let mut tx = pool.begin().await?;
    sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .execute(&mut *tx)
        .await?;
    let head = head(&mut tx).await?;
    let cursor = cursor.clamp(0, head);
    let (images, next_cursor) = feed_after(&mut tx, cursor, head, limit).await?;
    let has_more = next_cursor < head;
    let decided_rows = sqlx::query(
        "SELECT seq, command_id, outcome FROM hub_claims
         WHERE device_id = $1 AND change > $2 AND change <= $3 ORDER BY seq",
    )
    .bind(device_id)
    .bind(cursor)
    .bind(next_cursor)
    .fetch_all(&mut *tx)
    .await?;
    let mut decided = Vec::with_capacity(decided_rows.len());
    for r in decided_rows {
        let id: String = r.get(1);
        let outcome: String = r.get(2);
        decided.push(CommandResult {
            seq: r.get(0),
            command_id: Uuid::parse_str(&id)
                .map_err(|e| HubFailure::internal(format!("stored command id: {e}")))?,
            outcome: serde_json::from_str(&outcome)
                .map_err(|e| HubFailure::internal(format!("stored outcome: {e}")))?,
            duplicate: false,
        });
    }
    tx.commit().await?;
    let changes = images
        .into_iter()
        .map(FeedImage::into_change)
        .collect::<Result<Vec<_>>>()?;
    Ok(FeedPage {
        changes,
        next_cursor,
        has_more,
        decided,
        digests: None,
    })
}

pub async fn create_enrollment(
    pool: &PgPool,
    code_hash: &str,
    name: &str,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO hub_enrollments (code_hash, name, created_at, expires_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(code_hash)
    .bind(name)
    .bind(utc(now))
    .bind(utc(expires_at))
    .execute(pool)
    .await?;
    Ok(())
}

/// Uses a one-time code (the row locked, so two processes cannot both use it).
pub async fn redeem_enrollment(
    pool: &PgPool,
    code_hash: &str,
    device_id: &str,
    credential_hash: &str,
    now: DateTime<Utc>,
) -> Result<String> {
    let mut tx = pool.begin().await?;
    let row = sqlx::query(
        "SELECT name, expires_at, used_at FROM hub_enrollments WHERE code_hash = $1 FOR UPDATE",
    )
    .bind(code_hash)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(row) = row else {
        return Err(crate::db::enrollment_invalid());
    };
    let (name, expires_at, used_at): (String, String, Option<String>) =
        (row.get(0), row.get(1), row.get(2));
    crate::db::check_enrollment(used_at.is_some(), parse_utc(&expires_at)?, now)?;
    let known: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM hub_devices WHERE device_id = $1")
        .bind(device_id)
        .fetch_one(&mut *tx)
        .await?;
    if known > 0 {
        return Err(crate::db::device_enrolled());
    }
    let at = utc(now);
    sqlx::query("UPDATE hub_enrollments SET used_at = $1, used_by = $2 WHERE code_hash = $3")
        .bind(&at)
        .bind(device_id)
        .bind(code_hash)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "INSERT INTO hub_devices (device_id, name, credential_hash, enrolled_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(device_id)
    .bind(&name)
    .bind(credential_hash)
    .bind(&at)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(name)
}

const DEVICE_COLUMNS: &str =
    "device_id, name, enrolled_at, revoked_at, revoked_why, last_seq, last_seen_at, chain_broken";

fn device(row: &sqlx::postgres::PgRow) -> Device {
    Device {
        device_id: row.get(0),
        name: row.get(1),
        enrolled_at: row.get(2),
        revoked_at: row.get(3),
        revoked_why: row.get(4),
        last_seq: row.get(5),
        last_seen_at: row.get(6),
        chain_broken: row.get(7),
    }
}

pub async fn device_by_credential(pool: &PgPool, credential_hash: &str) -> Result<Device> {
    let row = sqlx::query(&format!(
        "SELECT {DEVICE_COLUMNS} FROM hub_devices WHERE credential_hash = $1"
    ))
    .bind(credential_hash)
    .fetch_optional(pool)
    .await?;
    crate::db::usable_device(row.as_ref().map(device))
}

pub async fn devices(pool: &PgPool, page: ValidPage) -> Result<Page<Device>> {
    let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM hub_devices")
        .fetch_one(pool)
        .await?;
    let rows = sqlx::query(&format!(
        "SELECT {DEVICE_COLUMNS} FROM hub_devices ORDER BY enrolled_at, device_id LIMIT $1 OFFSET $2"
    ))
    .bind(page.limit())
    .bind(page.offset())
    .fetch_all(pool)
    .await?;
    Ok(Page::new(
        rows.iter().map(device).collect(),
        page,
        total.max(0) as u64,
    ))
}

pub async fn revoke(pool: &PgPool, device_id: &str, why: &str, now: DateTime<Utc>) -> Result<()> {
    let changed = sqlx::query(
        "UPDATE hub_devices SET revoked_at = $1, revoked_why = $2 WHERE device_id = $3 AND revoked_at IS NULL",
    )
    .bind(utc(now))
    .bind(why)
    .bind(device_id)
    .execute(pool)
    .await?
    .rows_affected();
    if changed == 0 {
        return Err(HubFailure::not_found(
            "no enrolled, unrevoked workstation has this id",
        ));
    }
    Ok(())
}

pub async fn touch_device(pool: &PgPool, device_id: &str, now: DateTime<Utc>) -> Result<()> {
    sqlx::query("UPDATE hub_devices SET last_seen_at = $1 WHERE device_id = $2")
        .bind(utc(now))
        .bind(device_id)
        .execute(pool)
        .await?;
    Ok(())
}

pub async fn release_device_chain(pool: &PgPool, device_id: &str) -> Result<()> {
    let changed = sqlx::query(
        "UPDATE hub_devices SET chain_broken = NULL, chain_restart = TRUE WHERE device_id = $1 AND chain_broken IS NOT NULL",
    )
    .bind(device_id)
    .execute(pool)
    .await?
    .rows_affected();
    if changed == 0 {
        return Err(HubFailure::not_found(
            "no workstation with this id has its commands held",
        ));
    }
    Ok(())
}

pub async fn device_last_seq(conn: &mut PgConnection, device_id: &str) -> Result<i64> {
    Ok(
        sqlx::query_scalar("SELECT last_seq FROM hub_devices WHERE device_id = $1")
            .bind(device_id)
            .fetch_one(&mut *conn)
            .await?,
    )
}

pub async fn set_device_last_seq(conn: &mut PgConnection, device_id: &str, seq: i64) -> Result<()> {
    sqlx::query("UPDATE hub_devices SET last_seq = $1 WHERE device_id = $2")
        .bind(seq)
        .bind(device_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// See [`crate::db::claims_of`].
pub async fn claims_of(
    conn: &mut PgConnection,
    command_ids: &[Uuid],
    device_id: &str,
) -> Result<HashMap<Uuid, Claim>> {
    let ids: Vec<String> = command_ids.iter().map(Uuid::to_string).collect();
    let rows = sqlx::query(
        "SELECT command_id, device_id, payload_hash, outcome FROM hub_claims WHERE command_id = ANY($1)",
    )
    .bind(&ids)
    .fetch_all(&mut *conn)
    .await?;
    let mut claims = HashMap::with_capacity(rows.len());
    for row in rows {
        let (id, owner, payload_hash, outcome): (String, String, String, String) =
            (row.get(0), row.get(1), row.get(2), row.get(3));
        let command_id = Uuid::parse_str(&id)
            .map_err(|e| HubFailure::internal(format!("stored command id: {e}")))?;
        let outcome: Outcome = serde_json::from_str(&outcome)
            .map_err(|e| HubFailure::internal(format!("stored outcome: {e}")))?;
        claims.insert(
            command_id,
            Claim {
                payload_hash: crate::db::claim_hash(owner == device_id, payload_hash),
                outcome,
            },
        );
    }
    Ok(claims)
}

pub async fn record_claims(
    conn: &mut PgConnection,
    device_id: &str,
    received_at: DateTime<Utc>,
    claims: &[NewClaim],
) -> Result<()> {
    if claims.is_empty() {
        return Ok(());
    }
    let ids: Vec<String> = claims.iter().map(|c| c.command_id.to_string()).collect();
    let seqs: Vec<i64> = claims.iter().map(|c| c.seq).collect();
    let hashes: Vec<&str> = claims.iter().map(|c| c.payload_hash.as_str()).collect();
    let outcomes: Vec<&str> = claims.iter().map(|c| c.outcome.as_str()).collect();
    let changes: Vec<i64> = claims.iter().map(|c| c.change).collect();
    sqlx::query(
        "INSERT INTO hub_claims (command_id, device_id, seq, payload_hash, outcome, change, received_at)
         SELECT i, $6, s, h, o, c, $7
         FROM UNNEST($1::TEXT[], $2::BIGINT[], $3::TEXT[], $4::TEXT[], $5::BIGINT[]) AS u(i, s, h, o, c)",
    )
    .bind(&ids)
    .bind(&seqs)
    .bind(&hashes)
    .bind(&outcomes)
    .bind(&changes)
    .bind(device_id)
    .bind(utc(received_at))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn device_chain(conn: &mut PgConnection, device_id: &str) -> Result<DeviceChain> {
    let r = sqlx::query(
        "SELECT chain_seq, chain_hash, chain_broken, chain_restart FROM hub_devices WHERE device_id = $1",
    )
    .bind(device_id)
    .fetch_one(&mut *conn)
    .await?;
    Ok(DeviceChain {
        seq: r.get(0),
        hash: r.get(1),
        broken: r.get(2),
        restart: r.get(3),
    })
}

pub async fn device_audit_hash(
    conn: &mut PgConnection,
    device_id: &str,
    seq: i64,
) -> Result<Option<String>> {
    Ok(
        sqlx::query_scalar("SELECT hash FROM hub_device_audit WHERE device_id = $1 AND seq = $2")
            .bind(device_id)
            .bind(seq)
            .fetch_optional(&mut *conn)
            .await?,
    )
}

pub async fn keep_device_audit(
    conn: &mut PgConnection,
    device_id: &str,
    rows: &[&aliquot_domain::audit::StoredAuditRow],
) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let seqs: Vec<i64> = rows.iter().map(|r| r.seq).collect();
    let hashes: Vec<&str> = rows.iter().map(|r| r.hash.as_str()).collect();
    let texts = rows
        .iter()
        .map(serde_json::to_string)
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| HubFailure::internal(format!("audit rows: {e}")))?;
    sqlx::query(
        "INSERT INTO hub_device_audit (device_id, seq, hash, row)
         SELECT $1, s, h, r FROM UNNEST($2::BIGINT[], $3::TEXT[], $4::TEXT[]) AS u(s, h, r)",
    )
    .bind(device_id)
    .bind(&seqs)
    .bind(&hashes)
    .bind(&texts)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn set_device_chain(
    conn: &mut PgConnection,
    device_id: &str,
    seq: i64,
    hash: &str,
) -> Result<()> {
    sqlx::query(
        "UPDATE hub_devices SET chain_seq = $1, chain_hash = $2, chain_restart = FALSE WHERE device_id = $3",
    )
    .bind(seq)
    .bind(hash)
    .bind(device_id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn break_device_chain(conn: &mut PgConnection, device_id: &str, why: &str) -> Result<()> {
    sqlx::query("UPDATE hub_devices SET chain_broken = $1 WHERE device_id = $2")
        .bind(why)
        .bind(device_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub async fn lease_policy(pool: &PgPool) -> Result<LeasePolicy> {
    let r = sqlx::query(
        "SELECT sample_prefix, sample_digits, sample_block, participant_block FROM hub_lease_policy",
    )
    .fetch_one(pool)
    .await?;
    let digits: i32 = r.get(1);
    Ok(LeasePolicy {
        sample_prefix: r.get(0),
        sample_digits: u8::try_from(digits)
            .map_err(|_| HubFailure::internal("stored sample digits"))?,
        sample_block: r.get(2),
        participant_block: r.get(3),
    })
}

pub async fn set_lease_policy(pool: &PgPool, policy: &LeasePolicy) -> Result<()> {
    sqlx::query(
        "UPDATE hub_lease_policy SET sample_prefix = $1, sample_digits = $2, sample_block = $3, participant_block = $4",
    )
    .bind(&policy.sample_prefix)
    .bind(i32::from(policy.sample_digits))
    .bind(policy.sample_block)
    .bind(policy.participant_block)
    .execute(pool)
    .await?;
    Ok(())
}

/// Moves a SQLite hub's record into an empty PostgreSQL database, in one PostgreSQL
/// transaction, a page of rows at a time (the feed of a busy lab is millions of rows):
/// the hub's id, devices and their chains, enrollment codes, claims, the device trails,
/// the lease policy, the feed and its head. The SQLite file is read, never changed; the
/// caller then empties its change table, since from here on it is a copy of the lab.
pub async fn import_sqlite_record(
    pool: &PgPool,
    sqlite: &sqlx::SqlitePool,
    hub_id: &str,
) -> Result<ImportedRecord> {
    use futures_util::TryStreamExt;
    let mut tx = pool.begin().await?;
    take_decision_lock(&mut tx).await?;
    let (head, devices): (i64, i64) = (
        head(&mut tx).await?,
        sqlx::query_scalar("SELECT COUNT(*) FROM hub_devices")
            .fetch_one(&mut *tx)
            .await?,
    );
    if head != 0 || devices != 0 {
        return Err(HubFailure::conflict(
            "not_empty",
            format!(
                "the PostgreSQL database holds a hub already (feed at change {head}, {devices} \
                 workstations): a hub moves only into an empty database"
            ),
        ));
    }
    let mut read = sqlite.begin().await?;
    let mut imported = ImportedRecord::default();
    sqlx::query("INSERT INTO hub_identity (singleton, hub_id) VALUES (1, $1)")
        .bind(hub_id)
        .execute(&mut *tx)
        .await?;

    let mut rows = sqlx::query(
        "SELECT device_id, name, credential_hash, enrolled_at, revoked_at, revoked_why, last_seq,
                last_seen_at, chain_seq, chain_hash, chain_broken, chain_restart
         FROM hub_devices ORDER BY device_id",
    )
    .fetch(&mut *read);
    while let Some(r) = rows.try_next().await? {
        let restart: i64 = r.get(11);
        sqlx::query(
            "INSERT INTO hub_devices (device_id, name, credential_hash, enrolled_at, revoked_at,
                revoked_why, last_seq, last_seen_at, chain_seq, chain_hash, chain_broken, chain_restart)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(r.get::<String, _>(0))
        .bind(r.get::<String, _>(1))
        .bind(r.get::<String, _>(2))
        .bind(r.get::<String, _>(3))
        .bind(r.get::<Option<String>, _>(4))
        .bind(r.get::<Option<String>, _>(5))
        .bind(r.get::<i64, _>(6))
        .bind(r.get::<Option<String>, _>(7))
        .bind(r.get::<i64, _>(8))
        .bind(r.get::<String, _>(9))
        .bind(r.get::<Option<String>, _>(10))
        .bind(restart != 0)
        .execute(&mut *tx)
        .await?;
        imported.devices += 1;
    }
    drop(rows);

    let mut rows = sqlx::query(
        "SELECT code_hash, name, created_at, expires_at, used_at, used_by FROM hub_enrollments",
    )
    .fetch(&mut *read);
    while let Some(r) = rows.try_next().await? {
        sqlx::query(
            "INSERT INTO hub_enrollments (code_hash, name, created_at, expires_at, used_at, used_by)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(r.get::<String, _>(0))
        .bind(r.get::<String, _>(1))
        .bind(r.get::<String, _>(2))
        .bind(r.get::<String, _>(3))
        .bind(r.get::<Option<String>, _>(4))
        .bind(r.get::<Option<String>, _>(5))
        .execute(&mut *tx)
        .await?;
    }
    drop(rows);

    sqlx::query(
        "UPDATE hub_lease_policy SET sample_prefix = $1, sample_digits = $2, sample_block = $3, participant_block = $4",
    )
    .bind(
        sqlx::query_scalar::<_, String>("SELECT sample_prefix FROM hub_lease_policy")
            .fetch_one(&mut *read)
            .await?,
    )
    .bind(
        sqlx::query_scalar::<_, i32>("SELECT sample_digits FROM hub_lease_policy")
            .fetch_one(&mut *read)
            .await?,
    )
    .bind(
        sqlx::query_scalar::<_, i64>("SELECT sample_block FROM hub_lease_policy")
            .fetch_one(&mut *read)
            .await?,
    )
    .bind(
        sqlx::query_scalar::<_, i64>("SELECT participant_block FROM hub_lease_policy")
            .fetch_one(&mut *read)
            .await?,
    )
    .execute(&mut *tx)
    .await?;

    // The long tables go over a page at a time, each page one statement.
    const PAGE: usize = 5_000;
    let mut rows = sqlx::query(
        "SELECT command_id, device_id, seq, payload_hash, outcome, change, received_at
         FROM hub_claims ORDER BY change, seq",
    )
    .fetch(&mut *read);
    let mut page: Vec<sqlx::sqlite::SqliteRow> = Vec::with_capacity(PAGE);
    loop {
        let row = rows.try_next().await?;
        let end = row.is_none();
        page.extend(row);
        if page.len() == PAGE || (end && !page.is_empty()) {
            let column = |i: usize| {
                page.iter()
                    .map(|r| r.get::<String, _>(i))
                    .collect::<Vec<_>>()
            };
            let number = |i: usize| page.iter().map(|r| r.get::<i64, _>(i)).collect::<Vec<_>>();
            sqlx::query(
                "INSERT INTO hub_claims (command_id, device_id, seq, payload_hash, outcome, change, received_at)
                 SELECT * FROM UNNEST($1::TEXT[], $2::TEXT[], $3::BIGINT[], $4::TEXT[], $5::TEXT[], $6::BIGINT[], $7::TEXT[])",
            )
            .bind(column(0))
            .bind(column(1))
            .bind(number(2))
            .bind(column(3))
            .bind(column(4))
            .bind(number(5))
            .bind(column(6))
            .execute(&mut *tx)
            .await?;
            imported.claims += page.len() as i64;
            page.clear();
        }
        if end {
            break;
        }
    }
    drop(rows);

    let mut rows = sqlx::query(
        "SELECT device_id, seq, hash, row FROM hub_device_audit ORDER BY device_id, seq",
    )
    .fetch(&mut *read);
    loop {
        let row = rows.try_next().await?;
        let end = row.is_none();
        page.extend(row);
        if page.len() == PAGE || (end && !page.is_empty()) {
            let text = |i: usize| {
                page.iter()
                    .map(|r| r.get::<String, _>(i))
                    .collect::<Vec<_>>()
            };
            let seqs: Vec<i64> = page.iter().map(|r| r.get::<i64, _>(1)).collect();
            sqlx::query(
                "INSERT INTO hub_device_audit (device_id, seq, hash, row)
                 SELECT * FROM UNNEST($1::TEXT[], $2::BIGINT[], $3::TEXT[], $4::TEXT[])",
            )
            .bind(text(0))
            .bind(seqs)
            .bind(text(2))
            .bind(text(3))
            .execute(&mut *tx)
            .await?;
            imported.audit_rows += page.len() as i64;
            page.clear();
        }
        if end {
            break;
        }
    }
    drop(rows);

    let mut rows =
        sqlx::query("SELECT change, tbl, key, row FROM hub_changes ORDER BY seq").fetch(&mut *read);
    let mut images = Vec::with_capacity(PAGE);
    loop {
        let row = rows.try_next().await?;
        let end = row.is_none();
        if let Some(r) = row {
            images.push(FeedImage {
                change: r.get(0),
                tbl: r.get(1),
                key: r.get(2),
                row: r.get(3),
            });
        }
        if images.len() == PAGE || (end && !images.is_empty()) {
            let last = images.last().map_or(0, |i: &FeedImage| i.change);
            append_changes(&mut tx, &images, last).await?;
            imported.feed_rows += images.len() as i64;
            images.clear();
        }
        if end {
            break;
        }
    }
    drop(rows);
    let sqlite_head: i64 = sqlx::query_scalar("SELECT value FROM hub_counter")
        .fetch_one(&mut *read)
        .await?;
    append_changes(&mut tx, &[], sqlite_head).await?;
    imported.head = sqlite_head;
    read.commit().await?;
    tx.commit().await?;
    Ok(imported)
}

/// What a move to PostgreSQL copied.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportedRecord {
    pub devices: i64,
    pub claims: i64,
    pub audit_rows: i64,
    pub feed_rows: i64,
    pub head: i64,
}
