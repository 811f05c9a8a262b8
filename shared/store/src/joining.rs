//! A workstation joining its hub: the lab copied from the hub's snapshot in chunks, each
//! committed with where the copy stands (`sync_join`), so a copy cut short (the app
//! killed, the network gone) goes on from its last chunk at the next sync round.
//!
//! One attempt reads one state of the hub. Every table is copied whole at one state: a
//! resumed attempt goes on after the last key only if the hub is still at the state the
//! rows before it were read at; otherwise the hub sends that table whole and the part kept
//! is set aside first. Tables then may stand at different states ("mixed"): the feed is
//! pulled from the first attempt's cursor, and each table skips the changes its copy
//! already holds (`tables_at`), so no table is ever replayed through states that never
//! existed (two tubes in one well). The foreign keys, off for the copy, are checked once
//! the feed is caught up ([`Store::finish_join`]); nobody signs in while a workstation
//! joins. A copy of one state is finished at its end, as a single copy always was.

use crate::lab_tables::{self, LAB_TABLES};
use crate::sync::{bind_value, linked_cursor};
use crate::{format_utc, parse_utc, Result, Store, StoreError};
use aliquot_domain::DomainError;
use aliquot_sync::SnapshotFrom;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::{Connection, Row, SqliteConnection};
use std::collections::HashMap;
use std::sync::atomic::Ordering;

/// Where a joining workstation's copy of the lab stands.
#[derive(Debug, Clone, PartialEq)]
pub struct JoinState {
    /// The feed position the copy is pulled on from, once whole.
    pub cursor: i64,
    /// Where the next attempt starts (none: from the beginning).
    pub resume_from: Option<SnapshotFrom>,
    /// Tables copied at a later feed position than `cursor`, with it: the catch-up skips
    /// their changes up to it.
    pub tables_at: HashMap<String, i64>,
    /// The copy is whole; the feed is being caught up.
    pub complete: bool,
    /// Rows copied and committed, in all attempts.
    pub copied: i64,
    pub total: Option<i64>,
    pub started_at: DateTime<Utc>,
}

/// An index of a lab table, set aside for the copy.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct SetAside {
    name: String,
    sql: String,
}

/// Commit a chunk of the copy once this many rows wait, or this long has passed.
const COMMIT_ROWS: i64 = 25_000;
const COMMIT_EVERY: std::time::Duration = std::time::Duration::from_secs(2);
/// Bound values of one statement at most (SQLite allows 32,766).
const SNAPSHOT_VALUES: usize = 30_000;
/// Rows of one statement at most.
const SNAPSHOT_ROWS: usize = 500;

/// One attempt at copying the lab.
pub struct SnapshotLoad {
    /// A connection of its own, taken out of the pool and closed at the end, with foreign
    /// keys off: chunks commit one by one while a row may point at one still to come.
    conn: SqliteConnection,
    in_transaction: bool,
    /// This workstation's columns of each lab table (a hub's column this workstation does
    /// not have is left out, as a pulled row image's would be).
    columns: HashMap<&'static str, Vec<String>>,
    /// The insert of `n` rows of a table's columns, by (table, columns, n).
    statements: HashMap<(&'static str, String, usize), String>,
    /// Rows of this attempt, and those not committed yet.
    rows: i64,
    uncommitted: i64,
    /// The table and key of the last row written.
    last: Option<(&'static str, Vec<serde_json::Value>)>,
    committed_at: std::time::Instant,
    /// The first attempt's feed position, and this one's.
    cursor: i64,
    attempt_cursor: i64,
    /// Tables at a later position than `cursor` (the copy is then mixed).
    mixed: bool,
    indexes: Vec<SetAside>,
}

impl Store {
    /// Where this workstation's copy of the lab stands, while it joins its hub.
    pub async fn join_state(&self) -> Result<Option<JoinState>> {
        let row = sqlx::query!(
            "SELECT cursor, attempt_cursor, last_table, last_key, complete, tables_at, copied,
                    total, started_at
             FROM sync_join WHERE singleton = 1"
        )
        .fetch_optional(&self.pool)
        .await?;
        let Some(r) = row else { return Ok(None) };
        let resume_from = match (r.last_table, r.last_key) {
            (Some(table), Some(key)) => Some(SnapshotFrom {
                table,
                after: serde_json::from_str(&key)
                    .map_err(|e| StoreError::Decode(format!("the copy's last key: {e}")))?,
                at_cursor: r.attempt_cursor,
            }),
            _ => None,
        };
        Ok(Some(JoinState {
            cursor: r.cursor,
            resume_from,
            complete: r.complete != 0,
            tables_at: serde_json::from_str(&r.tables_at)
                .map_err(|e| StoreError::Decode(format!("the copy's tables: {e}")))?,
            copied: r.copied,
            total: r.total,
            started_at: parse_utc(&r.started_at)?,
        }))
    }

    /// Whether this workstation is still copying the lab from its hub (nothing but the
    /// copy's progress is answered meanwhile).
    pub fn is_joining(&self) -> bool {
        self.joining.load(Ordering::SeqCst)
    }

    /// Starts an attempt at copying the lab, from a snapshot read at the hub's `cursor`
    /// with `rows` rows to come, asked for `from` a point: the first attempt (only into a
    /// workstation linked to a hub that has pulled nothing and queued nothing; the lab's
    /// indexes are set aside), or one that goes on from where the last stopped.
    pub async fn begin_snapshot(
        &self,
        cursor: i64,
        rows: i64,
        from: Option<&SnapshotFrom>,
    ) -> Result<SnapshotLoad> {
        let mut conn = self.pool.acquire().await?.detach();
        sqlx::query("PRAGMA foreign_keys = OFF")
            .execute(&mut conn)
            .await?;
        // The copy's chunks are not checkpointed one by one into the database file (each
        // page would be written twice while the copy runs): the WAL holds them until the
        // pool's next checkpoint after the copy, as one transaction's pages would.
        sqlx::query("PRAGMA wal_autocheckpoint = 0")
            .execute(&mut conn)
            .await?;
        let mut tx = conn.begin_with("BEGIN IMMEDIATE").await?;
        let now = format_utc(self.clock.now());
        let join = sqlx::query!(
            "SELECT cursor, attempt_cursor, complete, copied, tables_at, indexes
             FROM sync_join WHERE singleton = 1"
        )
        .fetch_optional(&mut *tx)
        .await?;
        let (first, mixed, indexes) = match join {
            None => {
                let linked = linked_cursor(&mut tx).await?;
                let queued: i64 =
                    sqlx::query_scalar!(r#"SELECT COALESCE(MAX(seq), 0) AS "n!: i64" FROM outbox"#)
                        .fetch_one(&mut *tx)
                        .await?;
                if linked != 0 || queued != 0 || from.is_some() {
                    return Err(StoreError::Domain(DomainError::Refused(
                        "a snapshot is copied only into a workstation that has pulled and \
                         queued nothing"
                            .into(),
                    )));
                }
                let indexes = set_indexes_aside(&mut tx).await?;
                let listed = serde_json::to_string(&indexes)
                    .map_err(|e| StoreError::Decode(format!("the set-aside indexes: {e}")))?;
                sqlx::query!(
                    "INSERT INTO sync_join (singleton, cursor, attempt_cursor, total, indexes,
                                            started_at)
                     VALUES (1, ?1, ?1, ?2, ?3, ?4)",
                    cursor,
                    rows,
                    listed,
                    now
                )
                .execute(&mut *tx)
                .await?;
                (cursor, false, indexes)
            }
            Some(join) if join.complete != 0 => {
                return Err(StoreError::Domain(DomainError::Refused(
                    "the copy of the lab is whole; the feed brings the rest".into(),
                )))
            }
            Some(join) => {
                let mut copied = join.copied;
                // The table the hub resumes: after the key at the same state, whole at
                // another (its part kept here is set aside first).
                let resumed = match from {
                    Some(from) => lab_tables::lab_table(&from.table).ok_or_else(|| {
                        StoreError::Decode(format!("no lab table {:?}", from.table))
                    })?,
                    None => &LAB_TABLES[0],
                };
                if from.is_some() && cursor != join.attempt_cursor {
                    sqlx::query!("INSERT INTO sync_rebasing (singleton) VALUES (1)")
                        .execute(&mut *tx)
                        .await?;
                    let gone = sqlx::query(&format!(
                        "DELETE FROM \"{}\" WHERE {}",
                        resumed.name,
                        resumed.shared_rows_sql("")
                    ))
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                    sqlx::query!("DELETE FROM sync_rebasing")
                        .execute(&mut *tx)
                        .await?;
                    copied -= i64::try_from(gone).unwrap_or(0);
                }
                // Nothing kept yet: this attempt is the first state.
                let first = if copied == 0 { cursor } else { join.cursor };
                let mut tables_at: HashMap<String, i64> = serde_json::from_str(&join.tables_at)
                    .map_err(|e| StoreError::Decode(format!("the copy's tables: {e}")))?;
                let start = LAB_TABLES
                    .iter()
                    .position(|t| t.name == resumed.name)
                    .unwrap_or(0);
                for table in &LAB_TABLES[start..] {
                    tables_at.remove(table.name);
                    if cursor != first {
                        tables_at.insert(table.name.to_owned(), cursor);
                    }
                }
                let mixed = !tables_at.is_empty();
                let tables_at = serde_json::to_string(&tables_at)
                    .map_err(|e| StoreError::Decode(format!("the copy's tables: {e}")))?;
                let total = copied + rows;
                sqlx::query!(
                    "UPDATE sync_join SET cursor = ?1, attempt_cursor = ?2, tables_at = ?3,
                            copied = ?4, total = ?5",
                    first,
                    cursor,
                    tables_at,
                    copied,
                    total
                )
                .execute(&mut *tx)
                .await?;
                let indexes: Vec<SetAside> = serde_json::from_str(&join.indexes)
                    .map_err(|e| StoreError::Decode(format!("the set-aside indexes: {e}")))?;
                (first, mixed, indexes)
            }
        };
        let mut columns = HashMap::new();
        for table in LAB_TABLES {
            columns.insert(table.name, lab_tables::columns(&mut tx, table).await?);
        }
        tx.commit().await?;
        self.joining.store(true, Ordering::SeqCst);
        Ok(SnapshotLoad {
            conn,
            in_transaction: false,
            columns,
            statements: HashMap::new(),
            rows: 0,
            uncommitted: 0,
            last: None,
            committed_at: std::time::Instant::now(),
            cursor: first,
            attempt_cursor: cursor,
            mixed,
            indexes,
        })
    }

    /// Ends a mixed copy once the feed is caught up to the hub's head: the foreign keys,
    /// off for the copy, are checked (refused if a row points at none, which would be a
    /// fault of sync), and the workstation has joined.
    pub async fn finish_join(&self) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let conn = tx.conn();
        check_foreign_keys(conn).await?;
        sqlx::query!("DELETE FROM sync_join")
            .execute(&mut *conn)
            .await?;
        self.commit_write(tx).await?;
        self.joining.store(false, Ordering::SeqCst);
        tracing::info!("the copy of the lab is caught up with the hub; joined");
        Ok(())
    }
}

/// Drops the lab tables' indexes (not a key's own, which the copy's upsert names) and
/// says what they were: built once over the copied rows rather than kept up row by row
/// (most are on ids in no order: three times the work).
async fn set_indexes_aside(conn: &mut SqliteConnection) -> Result<Vec<SetAside>> {
    let mut indexes = Vec::new();
    for table in LAB_TABLES {
        let defined = sqlx::query(
            "SELECT m.name, m.sql, (SELECT group_concat(i.name, ',') FROM pragma_index_info(m.name) AS i) AS cols
             FROM sqlite_master AS m WHERE m.type = 'index' AND m.tbl_name = ?1 AND m.sql IS NOT NULL",
        )
        .bind(table.name)
        .fetch_all(&mut *conn)
        .await?;
        for index in defined {
            let (name, sql, cols): (String, String, Option<String>) =
                (index.get(0), index.get(1), index.get(2));
            if cols.as_deref() == Some(table.key.join(",").as_str()) {
                continue;
            }
            sqlx::query(&format!("DROP INDEX \"{name}\""))
                .execute(&mut *conn)
                .await?;
            indexes.push(SetAside { name, sql });
        }
    }
    Ok(indexes)
}

/// Every row's foreign keys point at a row (they were off for the copy).
async fn check_foreign_keys(conn: &mut SqliteConnection) -> Result<()> {
    let broken = sqlx::query("PRAGMA foreign_key_check")
        .fetch_all(&mut *conn)
        .await?;
    if let Some(first) = broken.first() {
        let (table, parent): (String, String) = (first.get(0), first.get(2));
        return Err(StoreError::Decode(format!(
            "the copy of the lab is not whole: {} row(s) point at rows that are not there \
             (the first: a {table} row at a missing {parent} row)",
            broken.len()
        )));
    }
    Ok(())
}

impl SnapshotLoad {
    /// Writes a run of one table's rows (each the values of `columns`, in that order);
    /// commits with where the copy stands now and then.
    pub async fn add(
        &mut self,
        table: &str,
        columns: &[String],
        rows: Vec<Vec<serde_json::Value>>,
    ) -> Result<()> {
        let lab = lab_tables::lab_table(table)
            .ok_or_else(|| StoreError::Decode(format!("a row of an unknown table {table:?}")))?;
        let mine = &self.columns[lab.name];
        let picked: Vec<usize> = (0..columns.len())
            .filter(|i| mine.contains(&columns[*i]))
            .collect();
        let mut key_at = Vec::new();
        for k in lab.key {
            let Some(i) = columns.iter().position(|c| c == k) else {
                return Err(StoreError::Decode(format!(
                    "the snapshot's {table} rows lack their key column {k}"
                )));
            };
            key_at.push(i);
        }
        let Some(last_key) = rows.last().map(|row| {
            key_at
                .iter()
                .map(|i| row.get(*i).cloned())
                .collect::<Option<Vec<_>>>()
        }) else {
            return Ok(());
        };
        let last_key =
            last_key.ok_or_else(|| StoreError::Decode(format!("a {table} row without its key")))?;
        if !self.in_transaction {
            sqlx::query("BEGIN IMMEDIATE")
                .execute(&mut self.conn)
                .await?;
            // Box counts come with the boxes, not counted again as placements arrive.
            sqlx::query!("INSERT INTO sync_rebasing (singleton) VALUES (1)")
                .execute(&mut self.conn)
                .await?;
            self.in_transaction = true;
        }
        let names: Vec<&str> = picked.iter().map(|i| columns[*i].as_str()).collect();
        let per_statement = (SNAPSHOT_VALUES / names.len()).clamp(1, SNAPSHOT_ROWS);
        let count = rows.len();
        let mut rows = rows.into_iter().peekable();
        while rows.peek().is_some() {
            let chunk: Vec<Vec<serde_json::Value>> = rows.by_ref().take(per_statement).collect();
            let sql = self
                .statements
                .entry((lab.name, names.join(","), chunk.len()))
                .or_insert_with(|| snapshot_insert(lab, &names, chunk.len()))
                .clone();
            let mut query = sqlx::query(&sql);
            for mut row in chunk {
                if row.len() != columns.len() {
                    return Err(StoreError::Decode(format!(
                        "a {table} row of {} values for {} columns",
                        row.len(),
                        columns.len()
                    )));
                }
                for i in &picked {
                    query = bind_value(query, std::mem::take(&mut row[*i]))?;
                }
            }
            query.execute(&mut self.conn).await?;
        }
        let count = i64::try_from(count).unwrap_or(i64::MAX);
        self.rows += count;
        self.uncommitted += count;
        self.last = Some((lab.name, last_key));
        if self.uncommitted >= COMMIT_ROWS || self.committed_at.elapsed() >= COMMIT_EVERY {
            self.commit(false).await?;
        }
        Ok(())
    }

    /// Commits what was written, with where the copy stands.
    async fn commit(&mut self, whole: bool) -> Result<()> {
        self.record_progress(whole).await?;
        sqlx::query("COMMIT").execute(&mut self.conn).await?;
        self.in_transaction = false;
        self.uncommitted = 0;
        self.committed_at = std::time::Instant::now();
        Ok(())
    }

    /// Writes where the copy stands (`whole`: all of it) into the open transaction.
    async fn record_progress(&mut self, whole: bool) -> Result<()> {
        if !self.in_transaction {
            sqlx::query("BEGIN IMMEDIATE")
                .execute(&mut self.conn)
                .await?;
            self.in_transaction = true;
        }
        sqlx::query!("DELETE FROM sync_rebasing")
            .execute(&mut self.conn)
            .await?;
        let (table, key) = match &self.last {
            Some((table, key)) => (
                Some(*table),
                Some(
                    serde_json::to_string(key)
                        .map_err(|e| StoreError::Decode(format!("a key: {e}")))?,
                ),
            ),
            None => (None, None),
        };
        sqlx::query!(
            "UPDATE sync_join SET last_table = COALESCE(?1, last_table),
                    last_key = COALESCE(?2, last_key), copied = copied + ?3, complete = ?4",
            table,
            key,
            self.uncommitted,
            whole
        )
        .execute(&mut self.conn)
        .await?;
        Ok(())
    }

    /// Rows written by this attempt, committed or not.
    pub fn rows(&self) -> i64 {
        self.rows
    }

    /// Ends the attempt once every one of its `rows` arrived, in one transaction with its
    /// last rows: the indexes are built (each table is whole at one state), the feed is to
    /// be pulled from the first attempt's cursor. A copy of one state is finished here (its
    /// keys checked, the workstation joined); a mixed one once the feed is caught up
    /// ([`Store::finish_join`]).
    pub async fn finish(mut self, store: &Store, rows: i64) -> Result<()> {
        if rows != self.rows {
            return Err(StoreError::Decode(format!(
                "the snapshot names {rows} rows, {} arrived",
                self.rows
            )));
        }
        let started = std::time::Instant::now();
        let now = format_utc(store.clock.now());
        self.record_progress(true).await?;
        for index in &self.indexes {
            sqlx::query(&index.sql).execute(&mut self.conn).await?;
        }
        sqlx::query!(
            "UPDATE sync_state SET cursor = ?1, last_pull_at = ?2, last_error = NULL",
            self.cursor,
            now
        )
        .execute(&mut self.conn)
        .await?;
        if !self.mixed {
            check_foreign_keys(&mut self.conn).await?;
            sqlx::query!("DELETE FROM sync_join")
                .execute(&mut self.conn)
                .await?;
        }
        sqlx::query("COMMIT").execute(&mut self.conn).await?;
        tracing::info!(
            rows,
            cursor = self.cursor,
            attempt_cursor = self.attempt_cursor,
            indexes = self.indexes.len(),
            mixed = self.mixed,
            seconds = started.elapsed().as_secs_f64(),
            "snapshot copied; indexes built"
        );
        if !self.mixed {
            store.joining.store(false, Ordering::SeqCst);
        }
        self.conn.close().await?;
        Ok(())
    }

    /// Keeps what was written so far (whole lines of the snapshot: the next attempt goes
    /// on after the last row) and closes.
    pub async fn keep(mut self) -> Result<()> {
        if self.in_transaction {
            self.commit(false).await?;
        }
        self.conn.close().await?;
        Ok(())
    }
}

/// `INSERT … VALUES (?, …), … ON CONFLICT (key) DO UPDATE …` for `n` rows of `columns`.
fn snapshot_insert(table: &lab_tables::LabTable, columns: &[&str], n: usize) -> String {
    let quoted: Vec<String> = columns.iter().map(|c| format!("\"{c}\"")).collect();
    let one = format!("({})", vec!["?"; columns.len()].join(", "));
    let updates: Vec<String> = columns
        .iter()
        .filter(|c| !table.key.contains(c))
        .map(|c| format!("\"{c}\" = excluded.\"{c}\""))
        .collect();
    let conflict = if updates.is_empty() {
        "DO NOTHING".to_owned()
    } else {
        format!("DO UPDATE SET {}", updates.join(", "))
    };
    format!(
        "INSERT INTO \"{}\" ({}) VALUES {} ON CONFLICT ({}) {conflict}",
        table.name,
        quoted.join(", "),
        vec![one; n].join(", "),
        table.key.join(", ")
    )
}
