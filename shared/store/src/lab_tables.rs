//! The lab's tables: the rows lab commands change, the same on the hub and on every
//! workstation once synced. Everything else in a workstation's database (its identity,
//! sessions, audit chain, outbox, printers, print jobs, its own settings) is its own and is
//! never sent anywhere.
//!
//! Rows travel between databases as JSON objects of their columns ("row images"), read and
//! written here with the column lists SQLite reports, so a migration that adds a column
//! needs no change in this module.

use crate::{Result, StoreError};
use sha2::{Digest, Sha256};
use sqlx::{Row, SqliteConnection};

/// One lab table and the columns of its primary key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LabTable {
    pub name: &'static str,
    pub key: &'static [&'static str],
    /// The rows of the table that are the workstation's own, when some are (a column and
    /// the values that mark them): they are left out of row images, digests, the undo log,
    /// the snapshot and the feed.
    pub local_rows: Option<(&'static str, &'static [&'static str])>,
}

const fn lab(name: &'static str, key: &'static [&'static str]) -> LabTable {
    LabTable {
        name,
        key,
        local_rows: None,
    }
}

/// Parents before children, so row images apply in this order without breaking a
/// foreign key.
#[rustfmt::skip]
pub const LAB_TABLES: &[LabTable] = &[
    lab("users", &["id"]),
    lab("saved_reports", &["id"]),
    lab("password_resets", &["id"]),
    lab("settings", &["key"]),
    lab("sites", &["id"]),
    lab("number_blocks", &["id"]),
    lab("participants", &["id"]),
    lab("field_events", &["id"]),
    lab("event_check_ins", &["event_id", "participant_id"]),
    lab("sample_types", &["code"]),
    lab("kit_templates", &["id"]),
    lab("kit_template_versions", &["template_id", "version"]),
    lab("kit_registrations", &["id"]),
    lab("samples", &["id"]),
    lab("sample_status_history", &["seq"]),
    lab("discard_requests", &["id"]),
    lab("freezers", &["id"]),
    lab("racks", &["id"]),
    lab("boxes", &["id"]),
    lab("placements", &["sample_id"]),
    lab("placement_history", &["seq"]),
    lab("instruments", &["id"]),
    lab("control_lots", &["id"]),
    lab("plate_templates", &["id"]),
    lab("runs", &["id"]),
    lab("plates", &["id"]),
    lab("plate_wells", &["plate_id", "well"]),
    lab("result_imports", &["id"]),
    lab("results", &["import_id", "seq"]),
    lab("result_sets", &["id"]),
    lab("result_set_values", &["set_id", "seq"]),
    lab("partner_mappings", &["id"]),
    lab("box_moves", &["seq"]),
    // The alarm of a workstation's own audit check is about that workstation alone, and so
    // is a run of a report scheduled on it (its folder is on this PC).
    LabTable {
        name: "notifications",
        key: &["id"],
        local_rows: Some(("kind", &["audit_chain_alarm", "report_run"])),
    },
    lab("sync_issues", &["command_id"]),
];

/// Whether a notification of this kind is a workstation's own (never the lab's).
pub(crate) fn is_workstation_notification(kind: &str) -> bool {
    LAB_TABLES
        .iter()
        .find(|t| t.name == "notifications")
        .and_then(|t| t.local_rows)
        .is_some_and(|(_, kinds)| kinds.contains(&kind))
}

impl LabTable {
    /// An SQL condition true of the rows that are the lab's (`prefix` is `NEW.` or `OLD.`
    /// inside a trigger).
    pub fn shared_rows_sql(&self, prefix: &str) -> String {
        match self.local_rows {
            None | Some((_, [])) => "TRUE".to_owned(),
            // `IS NOT` for each value, so a row without a value (NULL) is the lab's, as it
            // would be with one value (`NOT IN` would leave it out).
            Some((column, values)) => {
                let each: Vec<String> = values
                    .iter()
                    .map(|value| format!("{prefix}\"{column}\" IS NOT '{value}'"))
                    .collect();
                format!("({})", each.join(" AND "))
            }
        }
    }

    /// `SELECT {row} FROM` the table's lab rows, in primary-key order (`row`: a row image
    /// or the values of one, in SQL).
    pub fn rows_in_key_order_sql(&self, row: &str) -> String {
        format!(
            "SELECT {row} FROM \"{}\" WHERE {} ORDER BY {}",
            self.name,
            self.shared_rows_sql(""),
            self.key.join(", ")
        )
    }

    /// `json_object` of the primary key's columns.
    pub fn key_sql(&self, prefix: &str) -> String {
        let columns: Vec<String> = self.key.iter().map(|c| (*c).to_owned()).collect();
        json_object_sql(&columns, prefix)
    }
}

pub fn lab_table(name: &str) -> Option<&'static LabTable> {
    LAB_TABLES.iter().find(|t| t.name == name)
}

/// The table's columns, in their declared order.
pub async fn columns(conn: &mut SqliteConnection, table: &LabTable) -> Result<Vec<String>> {
    let rows = sqlx::query("SELECT name FROM pragma_table_info(?1) ORDER BY cid")
        .bind(table.name)
        .fetch_all(conn)
        .await?;
    let columns: Vec<String> = rows.iter().map(|r| r.get::<String, _>(0)).collect();
    if columns.is_empty() {
        return Err(StoreError::Decode(format!("no table {}", table.name)));
    }
    Ok(columns)
}

/// `json_object('a', a, 'b', b, …)` over the columns, for reading row images in SQL.
pub fn json_object_sql(columns: &[String], prefix: &str) -> String {
    let pairs: Vec<String> = columns
        .iter()
        .map(|c| format!("'{c}', {prefix}\"{c}\""))
        .collect();
    format!("json_object({})", pairs.join(", "))
}

/// `json_array(a, b, …)` over the columns: a row's values in column order (a snapshot's
/// rows, which name their columns once per run).
pub fn json_array_sql(columns: &[String], prefix: &str) -> String {
    let values: Vec<String> = columns.iter().map(|c| format!("{prefix}\"{c}\"")).collect();
    format!("json_array({})", values.join(", "))
}

/// Every row of a lab table as a row image, in primary-key order.
pub async fn row_images(
    conn: &mut SqliteConnection,
    table: &LabTable,
) -> Result<Vec<serde_json::Value>> {
    let columns = columns(conn, table).await?;
    let sql = table.rows_in_key_order_sql(&json_object_sql(&columns, ""));
    let rows = sqlx::query(&sql).fetch_all(conn).await?;
    rows.iter()
        .map(|r| {
            serde_json::from_str(&r.get::<String, _>(0))
                .map_err(|e| StoreError::Decode(format!("row image of {}: {e}", table.name)))
        })
        .collect()
}

pub use aliquot_sync::TableDigest;

/// A table's size and a digest of its rows, in primary-key order: two copies of a table
/// hold the same rows exactly when both agree. Each row is hashed in a canonical form (its
/// columns in name order), read one at a time: a table of millions of rows is never held.
pub async fn table_digest(conn: &mut SqliteConnection, table: &LabTable) -> Result<TableDigest> {
    use futures_util::TryStreamExt;
    let columns = columns(conn, table).await?;
    let sql = table.rows_in_key_order_sql(&json_object_sql(&columns, ""));
    let mut hasher = Sha256::new();
    let mut rows = 0i64;
    let mut stream = sqlx::query(&sql).fetch(conn);
    while let Some(row) = stream.try_next().await? {
        let image: serde_json::Value = serde_json::from_str(&row.get::<String, _>(0))
            .map_err(|e| StoreError::Decode(format!("row image of {}: {e}", table.name)))?;
        hasher.update(image.to_string().as_bytes());
        hasher.update(b"\n");
        rows += 1;
    }
    Ok(TableDigest {
        table: table.name.to_owned(),
        rows,
        digest: hex::encode(hasher.finalize()),
    })
}

impl crate::Store {
    /// The digest of every lab table, in [`LAB_TABLES`] order.
    pub async fn lab_digests(&self) -> Result<Vec<TableDigest>> {
        let mut conn = self.pool.acquire().await?;
        let mut out = Vec::with_capacity(LAB_TABLES.len());
        for table in LAB_TABLES {
            out.push(table_digest(&mut conn, table).await?);
        }
        Ok(out)
    }

    /// One page of a lab table's row images, in key order, counted in SQL (what a
    /// workstation reads to resync a table found apart).
    pub async fn lab_rows_page(
        &self,
        table: &LabTable,
        page: aliquot_domain::paging::PageRequest,
    ) -> Result<aliquot_domain::paging::Page<serde_json::Value>> {
        let page = page.validate()?;
        let mut conn = self.pool.acquire().await?;
        let columns = columns(&mut conn, table).await?;
        let shared = table.shared_rows_sql("");
        let total: i64 = sqlx::query(&format!(
            "SELECT COUNT(*) FROM \"{}\" WHERE {shared}",
            table.name
        ))
        .fetch_one(&mut *conn)
        .await?
        .get(0);
        let rows = sqlx::query(&format!(
            "SELECT {} FROM \"{}\" WHERE {shared} ORDER BY {} LIMIT ?1 OFFSET ?2",
            json_object_sql(&columns, ""),
            table.name,
            table.key.join(", ")
        ))
        .bind(page.limit())
        .bind(page.offset())
        .fetch_all(&mut *conn)
        .await?;
        let items = rows
            .iter()
            .map(|r| {
                serde_json::from_str(&r.get::<String, _>(0))
                    .map_err(|e| StoreError::Decode(format!("row image of {}: {e}", table.name)))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(aliquot_domain::paging::Page::new(
            items,
            page,
            total.max(0) as u64,
        ))
    }

    /// Every row image of one lab table (tests and the convergence check compare these).
    pub async fn lab_rows(&self, table: &LabTable) -> Result<Vec<serde_json::Value>> {
        let mut conn = self.pool.acquire().await?;
        row_images(&mut conn, table).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_workstations_own_notifications_are_left_out_of_the_labs_rows() {
        let notifications = lab_table("notifications").unwrap();
        assert_eq!(
            notifications.shared_rows_sql("NEW."),
            "(NEW.\"kind\" IS NOT 'audit_chain_alarm' AND NEW.\"kind\" IS NOT 'report_run')"
        );
        assert_eq!(lab_table("users").unwrap().shared_rows_sql(""), "TRUE");
        // Saved reports are the lab's, after their owners.
        let position = |name: &str| LAB_TABLES.iter().position(|t| t.name == name);
        assert!(position("users") < position("saved_reports"));
        assert!(position("saved_reports").is_some());
    }
}
