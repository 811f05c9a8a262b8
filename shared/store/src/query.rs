//! The query builder's SQL (issue 17, item 2): a checked [`Query`] becomes one SELECT, its
//! preview a page counted and cut in SQL, its export a CSV written row by row from a cursor.
//!
//! **How the SQL is made.** Only from the `&'static str` fragments of this file: each
//! entity's FROM and its LEFT JOINs, each field's expression, and the operators' words.
//! [`Sql`] is the only way text enters a statement, and it takes nothing but `&'static str`,
//! so no text of a request can reach the SQL; every value of a condition (and a page's
//! LIMIT and OFFSET) is bound as a parameter. A query joins only the tables its columns,
//! conditions and sort need. Every join is on its table's key, so a join never adds a row
//! and a count needs only the filter's joins. The statement is built at run time, so it is
//! not a `query!` macro and has no `.sqlx` entry; `sqlx_offline_data_is_fresh` only checks
//! the entries that exist.
//!
//! **Text comparisons.** "is" and "is one of" compare exactly. "contains" and "starts with"
//! are `LIKE … ESCAPE '\'` with the value's `\`, `%` and `_` escaped, so each is a literal
//! character; like every LIKE they ignore the case of A–Z only. "is not" keeps the rows
//! with no value (`IS NOT`): a tube with no box is not in box 7. "is empty" is NULL or `''`
//! for text, choices and dates, NULL for the rest.
//!
//! **The export** reads through a connection of its own, in one read transaction (WAL: a
//! snapshot that writers do not wait for), and streams: a row is fetched, written to the CSV
//! and dropped. Sorting by something no index orders makes SQLite sort first; on the
//! export's connection that sort spills to a temporary file rather than memory.

use crate::{format_utc, parse_utc, Result, Store, StoreError};
use aliquot_domain::paging::{Page, PageRequest};
use aliquot_domain::query::{
    CheckedCondition, CheckedGroup, CheckedItem, CheckedQuery, Field, FieldType, Join, Operator,
    Query, QueryEntity, Typed,
};
use aliquot_reports::csv::{CsvExport, CsvOptions};
use aliquot_reports::{Column, ColumnKind, ReportError, Value};
use futures_util::{FutureExt, TryStreamExt};
use serde::Serialize;
use sqlx::sqlite::SqliteRow;
use sqlx::{ConnectOptions, Connection, QueryBuilder, Row, Sqlite, ValueRef};
use std::sync::atomic::{AtomicBool, Ordering};
use ts_rs::TS;

/// One row of a preview: a cell per chosen column, in their order.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct QueryRow {
    pub cells: Vec<Value>,
}

/// What an export reports while it runs: `on_rows` with the rows written so far (every
/// [`PROGRESS_EVERY`] rows and once at the end), and the flag it reads to stop early.
pub struct ExportProgress<'a> {
    pub on_rows: &'a (dyn Fn(u64) + Send + Sync),
    pub cancelled: &'a AtomicBool,
}

/// How an export ended. A cancelled export's file holds the header and `rows` whole rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(tag = "outcome", rename_all = "snake_case")]
#[ts(export)]
pub enum ExportOutcome {
    Finished {
        #[ts(type = "number")]
        rows: u64,
    },
    Cancelled {
        #[ts(type = "number")]
        rows: u64,
    },
}

/// `on_rows` is called after this many rows.
pub const PROGRESS_EVERY: u64 = 10_000;
/// The cancel flag is read after this many rows.
pub const CANCEL_CHECK_EVERY: u64 = 1_000;
/// Rows the export's connection thread may fetch ahead of the CSV writer.
const EXPORT_ROW_BUFFER: usize = 2_048;
/// How long the export waits when no row is ready yet (tokio's timers tick in milliseconds).
const EXPORT_IDLE: std::time::Duration = std::time::Duration::from_millis(1);

/// A field's SQL: its expression and the joins (bits of its entity's `joins`) it needs,
/// with every join those depend on.
#[derive(Debug, Clone, Copy)]
struct FieldSql {
    expr: &'static str,
    joins: u16,
}

/// An entity's SQL: its table, its joins in the order they may be written, and the key
/// that ends every ORDER BY so a page is the same on every read.
struct EntitySql {
    from: &'static str,
    joins: &'static [&'static str],
    key: &'static str,
}

const fn sql(expr: &'static str, joins: u16) -> FieldSql {
    FieldSql { expr, joins }
}

// Samples' joins.
const S_PARTICIPANT: u16 = 1;
const S_SITE: u16 = 1 << 1 | S_PARTICIPANT;
const S_EVENT: u16 = 1 << 2;
const S_PARENT: u16 = 1 << 3;
const S_PLACEMENT: u16 = 1 << 4;
const S_BOX: u16 = 1 << 5 | S_PLACEMENT;
const S_RACK: u16 = 1 << 6 | S_BOX;
const S_FREEZER: u16 = 1 << 7 | S_RACK;
const S_TYPE: u16 = 1 << 8;

const SAMPLES: EntitySql = EntitySql {
    from: "FROM samples s",
    joins: &[
        " LEFT JOIN participants p ON p.id = s.participant_id",
        " LEFT JOIN sites si ON si.id = p.site_id",
        " LEFT JOIN field_events fe ON fe.id = s.event_id",
        " LEFT JOIN samples ps ON ps.id = s.parent_id",
        " LEFT JOIN placements pl ON pl.sample_id = s.id",
        " LEFT JOIN boxes b ON b.id = pl.box_id",
        " LEFT JOIN racks r ON r.id = b.rack_id",
        " LEFT JOIN freezers fz ON fz.id = r.freezer_id",
        " LEFT JOIN sample_types st ON st.code = s.sample_type",
    ],
    key: "s.code",
};

fn sample_sql(key: &str) -> Option<FieldSql> {
    Some(match key {
        "code" => sql("s.code", 0),
        "sample_type" => sql("s.sample_type", 0),
        "sample_type_name" => sql("st.label", S_TYPE),
        "status" => sql("s.status", 0),
        "participant" => sql("p.code", S_PARTICIPANT),
        "site" => sql("si.code", S_SITE),
        "consent" => sql("p.consent", S_PARTICIPANT),
        "field_event" => sql("fe.name", S_EVENT),
        "collected_at" => sql("s.collected_at", 0),
        "collector" => sql("s.collector", 0),
        "volume_ul" => sql("s.volume_ul", 0),
        "parent" => sql("ps.code", S_PARENT),
        "freezer" => sql("fz.name", S_FREEZER),
        "rack" => sql("r.name", S_RACK),
        "box" => sql("b.name", S_BOX),
        "box_barcode" => sql("b.barcode", S_BOX),
        "position" => sql("pl.position", S_PLACEMENT),
        "registered_at" => sql("s.created_at", 0),
        "checked_out_at" => sql("s.checked_out_at", 0),
        "time_out_seconds" => sql("s.time_out_seconds", 0),
        _ => return None,
    })
}

const P_SITE: u16 = 1;

const PARTICIPANTS: EntitySql = EntitySql {
    from: "FROM participants p",
    joins: &[" LEFT JOIN sites si ON si.id = p.site_id"],
    key: "p.code",
};

fn participant_sql(key: &str) -> Option<FieldSql> {
    Some(match key {
        "code" => sql("p.code", 0),
        "site" => sql("si.code", P_SITE),
        "external_id" => sql("p.external_id", 0),
        "consent" => sql("p.consent", 0),
        "consent_date" => sql("p.consent_date", 0),
        "sex" => sql("p.sex", 0),
        "birth_year" => sql("p.birth_year", 0),
        "registered_at" => sql("p.created_at", 0),
        // samples_participant (migration 0002) answers it by the index alone.
        "samples" => sql(
            "(SELECT COUNT(*) FROM samples sc WHERE sc.participant_id = p.id)",
            0,
        ),
        _ => return None,
    })
}

const B_RACK: u16 = 1;
const B_FREEZER: u16 = 1 << 1 | B_RACK;

const BOXES: EntitySql = EntitySql {
    from: "FROM boxes b",
    joins: &[
        " LEFT JOIN racks r ON r.id = b.rack_id",
        " LEFT JOIN freezers fz ON fz.id = r.freezer_id",
    ],
    key: "b.barcode",
};

fn box_sql(key: &str) -> Option<FieldSql> {
    Some(match key {
        "barcode" => sql("b.barcode", 0),
        "name" => sql("b.name", 0),
        "box_type" => sql("b.box_type", 0),
        "freezer" => sql("fz.name", B_FREEZER),
        "rack" => sql("r.name", B_RACK),
        "capacity" => sql("b.capacity", 0),
        // The occupancy counter the placement triggers keep (migration 0004).
        "used" => sql("b.occupied", 0),
        "free" => sql("(b.capacity - b.occupied)", 0),
        "created_at" => sql("b.created_at", 0),
        "voided" => sql("(b.voided_at IS NOT NULL)", 0),
        "void_reason" => sql("b.void_reason", 0),
        _ => return None,
    })
}

const R_SAMPLE: u16 = 1;
const R_PARTICIPANT: u16 = 1 << 1 | R_SAMPLE;
const R_RUN: u16 = 1 << 2;
const R_INSTRUMENT: u16 = 1 << 3 | R_RUN;
const R_PLATE: u16 = 1 << 4;
const R_IMPORT: u16 = 1 << 5;

const RESULTS: EntitySql = EntitySql {
    from: "FROM results res",
    joins: &[
        " LEFT JOIN samples s ON s.id = res.sample_id",
        " LEFT JOIN participants p ON p.id = s.participant_id",
        " LEFT JOIN runs ru ON ru.id = res.run_id",
        " LEFT JOIN instruments i ON i.id = ru.instrument_id",
        " LEFT JOIN plates pt ON pt.id = res.plate_id",
        " LEFT JOIN result_imports ri ON ri.id = res.import_id",
    ],
    key: "res.import_id, res.seq",
};

fn result_sql(key: &str) -> Option<FieldSql> {
    Some(match key {
        "sample" => sql("s.code", R_SAMPLE),
        "participant" => sql("p.code", R_PARTICIPANT),
        "role" => sql("res.role", 0),
        "run" => sql("ru.name", R_RUN),
        "run_state" => sql("ru.state", R_RUN),
        "instrument" => sql("i.name", R_INSTRUMENT),
        "plate" => sql("pt.name", R_PLATE),
        "well" => sql("res.well", 0),
        "read" => sql("res.read", 0),
        // A number, or a censored value's limit; none for a flagged value.
        "value" => sql("res.value", 0),
        "as_written" => sql("res.text", 0),
        "unit" => sql("res.unit", 0),
        "flag" => sql("res.flag", 0),
        "censored" => sql("(res.value_kind = 'censored')", 0),
        "z_score" => sql("res.z_score", 0),
        // A corrected file supersedes an import; its values stay, no longer current.
        "current" => sql("(ri.superseded_by IS NULL)", R_IMPORT),
        "file_name" => sql("ri.file_name", R_IMPORT),
        "imported_at" => sql("ri.imported_at", R_IMPORT),
        _ => return None,
    })
}

fn entity_sql(entity: QueryEntity) -> &'static EntitySql {
    match entity {
        QueryEntity::Samples => &SAMPLES,
        QueryEntity::Participants => &PARTICIPANTS,
        QueryEntity::Boxes => &BOXES,
        QueryEntity::Results => &RESULTS,
    }
}

/// The SQL of a field of `entity`: every field the domain lists has one (a test asks each).
fn field_sql(entity: QueryEntity, field: &Field) -> Result<FieldSql> {
    let found = match entity {
        QueryEntity::Samples => sample_sql(field.key),
        QueryEntity::Participants => participant_sql(field.key),
        QueryEntity::Boxes => box_sql(field.key),
        QueryEntity::Results => result_sql(field.key),
    };
    found.ok_or_else(|| {
        StoreError::Domain(aliquot_domain::DomainError::invalid(
            "field",
            format!("{} has no column in the database", field.label),
        ))
    })
}

/// A statement being written: text only from `&'static str`, values only as parameters.
struct Sql {
    builder: QueryBuilder<'static, Sqlite>,
}

impl Sql {
    fn new(text: &'static str) -> Sql {
        Sql {
            builder: QueryBuilder::new(text),
        }
    }

    fn text(&mut self, text: &'static str) -> &mut Self {
        self.builder.push(text);
        self
    }

    fn bind_typed(&mut self, value: &Typed) -> &mut Self {
        match value {
            Typed::Text(s) => self.builder.push_bind(s.clone()),
            Typed::Integer(n) => self.builder.push_bind(*n),
            Typed::Decimal(x) => self.builder.push_bind(*x),
            // As stored (`format_utc`): text that orders as the moments do.
            Typed::Time(t) => self.builder.push_bind(format_utc(*t)),
            Typed::Date(d) => self.builder.push_bind(d.format("%Y-%m-%d").to_string()),
            Typed::Flag(b) => self.builder.push_bind(*b),
        };
        self
    }

    fn bind_text(&mut self, value: String) -> &mut Self {
        self.builder.push_bind(value);
        self
    }

    fn bind_integer(&mut self, value: i64) -> &mut Self {
        self.builder.push_bind(value);
        self
    }
}

/// A checked query with each field's SQL found.
struct Plan<'q> {
    query: &'q CheckedQuery,
    entity: &'static EntitySql,
    columns: Vec<(FieldSql, FieldType)>,
}

impl<'q> Plan<'q> {
    fn new(query: &'q CheckedQuery) -> Result<Plan<'q>> {
        let columns = query
            .columns
            .iter()
            .map(|f| Ok((field_sql(query.entity, f)?, f.field_type)))
            .collect::<Result<Vec<_>>>()?;
        Ok(Plan {
            query,
            entity: entity_sql(query.entity),
            columns,
        })
    }

    fn field(&self, field: &Field) -> Result<FieldSql> {
        field_sql(self.query.entity, field)
    }

    /// The joins the filter needs.
    fn filter_joins(&self) -> Result<u16> {
        let mut joins = 0;
        for c in self.query.filter.conditions() {
            joins |= self.field(c.field)?.joins;
        }
        Ok(joins)
    }

    fn push_from(&self, sql: &mut Sql, joins: u16) {
        sql.text(self.entity.from);
        for (i, join) in self.entity.joins.iter().enumerate() {
            if joins & (1 << i) != 0 {
                sql.text(join);
            }
        }
    }

    fn push_where(&self, sql: &mut Sql) -> Result<()> {
        if effective(&self.query.filter) {
            sql.text(" WHERE ");
            self.push_group(sql, &self.query.filter)?;
        }
        Ok(())
    }

    fn push_group(&self, sql: &mut Sql, group: &CheckedGroup) -> Result<()> {
        let glue = match group.join {
            Join::All => " AND ",
            Join::Any => " OR ",
        };
        sql.text("(");
        let mut first = true;
        for item in &group.items {
            match item {
                CheckedItem::Condition(c) => {
                    if !first {
                        sql.text(glue);
                    }
                    self.push_condition(sql, c)?;
                }
                CheckedItem::Group(g) if effective(g) => {
                    if !first {
                        sql.text(glue);
                    }
                    self.push_group(sql, g)?;
                }
                CheckedItem::Group(_) => continue,
            }
            first = false;
        }
        sql.text(")");
        Ok(())
    }

    fn push_condition(&self, sql: &mut Sql, c: &CheckedCondition) -> Result<()> {
        let expr = self.field(c.field)?.expr;
        let texty = matches!(
            c.field.field_type,
            FieldType::Text | FieldType::Choice | FieldType::Date
        );
        let first = c.values.first();
        let compare = |sql: &mut Sql, op: &'static str| {
            sql.text(expr).text(op);
            if let Some(v) = first {
                sql.bind_typed(v);
            }
        };
        match c.operator {
            Operator::Equals => compare(sql, " = "),
            Operator::NotEquals => compare(sql, " IS NOT "),
            Operator::LessThan => compare(sql, " < "),
            Operator::AtMost => compare(sql, " <= "),
            Operator::GreaterThan => compare(sql, " > "),
            Operator::AtLeast => compare(sql, " >= "),
            Operator::Between => {
                sql.text("(").text(expr).text(" BETWEEN ");
                for (i, v) in c.values.iter().enumerate() {
                    if i > 0 {
                        sql.text(" AND ");
                    }
                    sql.bind_typed(v);
                }
                sql.text(")");
            }
            Operator::Contains | Operator::StartsWith => {
                let text = match first {
                    Some(Typed::Text(t)) => like_literal(t),
                    _ => String::new(),
                };
                let pattern = if c.operator == Operator::Contains {
                    format!("%{text}%")
                } else {
                    format!("{text}%")
                };
                sql.text(expr)
                    .text(" LIKE ")
                    .bind_text(pattern)
                    .text(" ESCAPE '\\'");
            }
            Operator::IsEmpty => {
                sql.text("(").text(expr).text(" IS NULL");
                if texty {
                    sql.text(" OR ").text(expr).text(" = ''");
                }
                sql.text(")");
            }
            Operator::IsNotEmpty => {
                sql.text("(").text(expr).text(" IS NOT NULL");
                if texty {
                    sql.text(" AND ").text(expr).text(" <> ''");
                }
                sql.text(")");
            }
            Operator::OneOf => {
                sql.text(expr).text(" IN (");
                for (i, v) in c.values.iter().enumerate() {
                    if i > 0 {
                        sql.text(", ");
                    }
                    sql.bind_typed(v);
                }
                sql.text(")");
            }
        }
        Ok(())
    }

    /// The sort asked for, then the record's key (unless sorted by already), so rows that
    /// tie come in the same order on every read and pages neither overlap nor skip.
    fn push_order(&self, sql: &mut Sql) -> Result<()> {
        sql.text(" ORDER BY ");
        let mut keyed = false;
        for (i, s) in self.query.sort.iter().enumerate() {
            if i > 0 {
                sql.text(", ");
            }
            let expr = self.field(s.field)?.expr;
            sql.text(expr)
                .text(if s.descending { " DESC" } else { " ASC" });
            keyed |= expr == self.entity.key;
        }
        if !keyed {
            if !self.query.sort.is_empty() {
                sql.text(", ");
            }
            sql.text(self.entity.key);
        }
        Ok(())
    }

    /// The SELECT of the chosen columns, filtered and sorted.
    fn select(&self) -> Result<Sql> {
        let mut sql = Sql::new("SELECT ");
        let mut joins = self.filter_joins()?;
        for (i, (column, _)) in self.columns.iter().enumerate() {
            if i > 0 {
                sql.text(", ");
            }
            sql.text(column.expr);
            joins |= column.joins;
        }
        for s in &self.query.sort {
            joins |= self.field(s.field)?.joins;
        }
        sql.text(" ");
        self.push_from(&mut sql, joins);
        self.push_where(&mut sql)?;
        self.push_order(&mut sql)?;
        Ok(sql)
    }

    /// COUNT(*) of the filter: only its joins, each of which keeps one row per record.
    fn count(&self) -> Result<Sql> {
        let mut sql = Sql::new("SELECT COUNT(*) ");
        self.push_from(&mut sql, self.filter_joins()?);
        self.push_where(&mut sql)?;
        Ok(sql)
    }

    /// A row's cells, each read by its field's type.
    fn cells(&self, row: &SqliteRow, cells: &mut Vec<Value>) -> Result<()> {
        cells.clear();
        for (i, (_, field_type)) in self.columns.iter().enumerate() {
            cells.push(cell(row, i, *field_type)?);
        }
        Ok(())
    }
}

/// Whether a group holds any condition (an empty group narrows nothing and is left out).
fn effective(group: &CheckedGroup) -> bool {
    group.items.iter().any(|item| match item {
        CheckedItem::Condition(_) => true,
        CheckedItem::Group(g) => effective(g),
    })
}

/// `text` as a LIKE pattern that matches exactly it: `\`, `%` and `_` escaped with `\`.
fn like_literal(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 4);
    for c in text.chars() {
        if matches!(c, '\\' | '%' | '_') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn column_kind(field_type: FieldType) -> ColumnKind {
    match field_type {
        FieldType::Integer => ColumnKind::Integer,
        FieldType::Decimal => ColumnKind::Decimal,
        FieldType::Time => ColumnKind::Time,
        FieldType::Text | FieldType::Date | FieldType::Choice | FieldType::Flag => ColumnKind::Text,
    }
}

/// One cell, read as its field's type says. A flag is "yes" or "no"; a date its
/// `YYYY-MM-DD` text; a moment stored as RFC 3339 text becomes a time (or a decode error).
fn cell(row: &SqliteRow, i: usize, field_type: FieldType) -> Result<Value> {
    if row.try_get_raw(i)?.is_null() {
        return Ok(Value::Empty);
    }
    Ok(match field_type {
        FieldType::Text | FieldType::Choice | FieldType::Date => {
            Value::Text(row.try_get_unchecked::<String, _>(i)?)
        }
        FieldType::Integer => Value::Integer(row.try_get_unchecked::<i64, _>(i)?),
        FieldType::Decimal => Value::Decimal(row.try_get_unchecked::<f64, _>(i)?),
        FieldType::Time => Value::Time(parse_utc(row.try_get_unchecked::<&str, _>(i)?)?),
        FieldType::Flag => {
            let yes = row.try_get_unchecked::<i64, _>(i)? != 0;
            Value::text(if yes { "yes" } else { "no" })
        }
    })
}

fn report_error(e: ReportError) -> StoreError {
    match e {
        ReportError::Io(e) => StoreError::Io(e),
        ReportError::Csv(e) => StoreError::Io(e.into()),
        other => StoreError::Io(std::io::Error::other(other.to_string())),
    }
}

/// The SELECT [`Store::export_query_csv`] runs for `query`, with a `?` where each value is
/// bound: for diagnostics (EXPLAIN) and the export bench's baseline.
pub fn select_sql(query: &Query) -> Result<String> {
    let checked = query.checked()?;
    let plan = Plan::new(&checked)?;
    Ok(plan.select()?.builder.sql().to_owned())
}

impl Store {
    /// The chosen columns' labels and kinds, in their order: the CSV header and the
    /// preview's table head.
    pub async fn query_columns(&self, query: &Query) -> Result<Vec<Column>> {
        let checked = query.checked()?;
        let plan = Plan::new(&checked)?;
        Ok(checked
            .columns
            .iter()
            .zip(&plan.columns)
            .map(|(f, (_, t))| Column::new(f.key, f.label, column_kind(*t)))
            .collect())
    }

    /// How many records the query's filter keeps, counted in SQL.
    pub async fn query_count(&self, query: &Query) -> Result<u64> {
        let checked = query.checked()?;
        let plan = Plan::new(&checked)?;
        let mut sql = plan.count()?;
        let n: i64 = sql
            .builder
            .build_query_scalar()
            .fetch_one(self.pool())
            .await?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// A page of the query's rows, filtered, counted and cut (LIMIT/OFFSET) in SQL, in one
    /// read transaction so the total and the rows agree.
    pub async fn query_preview(&self, query: &Query, page: PageRequest) -> Result<Page<QueryRow>> {
        let page = page.validate()?;
        let checked = query.checked()?;
        let plan = Plan::new(&checked)?;
        let mut tx = self.pool().begin().await?;
        let mut count = plan.count()?;
        let total: i64 = count
            .builder
            .build_query_scalar()
            .fetch_one(&mut *tx)
            .await?;
        let mut select = plan.select()?;
        select
            .text(" LIMIT ")
            .bind_integer(page.limit())
            .text(" OFFSET ")
            .bind_integer(page.offset());
        let rows = select.builder.build().fetch_all(&mut *tx).await?;
        tx.commit().await?;
        let mut items = Vec::with_capacity(rows.len());
        for row in &rows {
            let mut cells = Vec::with_capacity(plan.columns.len());
            plan.cells(row, &mut cells)?;
            items.push(QueryRow { cells });
        }
        Ok(Page::new(items, page, u64::try_from(total).unwrap_or(0)))
    }

    /// Writes every row of the query to `out` as CSV (the header is the columns' labels),
    /// streaming from a cursor: one row in memory at a time. Reads through a connection of
    /// its own in one read transaction, so a long export sees one state of the lab and
    /// writers do not wait for it. Stops at the next check of `progress.cancelled`.
    pub async fn export_query_csv<W: std::io::Write + Send>(
        &self,
        query: &Query,
        out: W,
        options: CsvOptions,
        progress: ExportProgress<'_>,
    ) -> Result<ExportOutcome> {
        let checked = query.checked()?;
        let plan = Plan::new(&checked)?;
        let columns = self.query_columns(query).await?;
        let mut select = plan.select()?;
        let mut csv = CsvExport::new(out, &columns, options).map_err(report_error)?;
        // Its own connection: a pool connection is not held for minutes, a sort that no
        // index serves spills to a file instead of growing in memory, and its thread may
        // run ahead of this task by up to EXPORT_ROW_BUFFER rows.
        let mut conn = (*self.pool().connect_options())
            .clone()
            .pragma("temp_store", "file")
            .row_buffer_size(EXPORT_ROW_BUFFER)
            .connect()
            .await?;
        let mut tx = conn.begin().await?;
        let mut cancelled = false;
        {
            let mut rows = select.builder.build().fetch(&mut *tx);
            let mut cells: Vec<Value> = Vec::with_capacity(plan.columns.len());
            let mut n: u64 = 0;
            loop {
                // Rows are taken while there are rows waiting; when none is, this task sleeps
                // a moment instead of waiting to be woken, so SQLite's thread fills the buffer
                // without a wake-up (a system call) per row. The same rows, in the same order;
                // a third faster on a two-core machine.
                let Some(next) = rows.try_next().now_or_never() else {
                    tokio::time::sleep(EXPORT_IDLE).await;
                    continue;
                };
                let Some(row) = next? else { break };
                plan.cells(&row, &mut cells)?;
                csv.write_row(&cells).map_err(report_error)?;
                n += 1;
                if n.is_multiple_of(PROGRESS_EVERY) {
                    (progress.on_rows)(n);
                }
                if n.is_multiple_of(CANCEL_CHECK_EVERY)
                    && progress.cancelled.load(Ordering::Relaxed)
                {
                    cancelled = true;
                    break;
                }
            }
        }
        tx.rollback().await?;
        conn.close().await?;
        let rows = csv.rows();
        csv.finish().map_err(report_error)?;
        (progress.on_rows)(rows);
        Ok(if cancelled {
            ExportOutcome::Cancelled { rows }
        } else {
            ExportOutcome::Finished { rows }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aliquot_domain::query::fields;

    /// Every field the domain offers has its SQL here.
    #[test]
    fn every_domain_field_has_sql() {
        for entity in QueryEntity::ALL {
            for f in fields(entity) {
                let s = field_sql(entity, f).unwrap_or_else(|_| panic!("{entity:?} {}", f.key));
                assert_eq!(s.joins >> entity_sql(entity).joins.len(), 0, "{}", f.key);
            }
        }
    }

    #[test]
    fn like_patterns_escape_their_wildcards() {
        assert_eq!(like_literal(r"50%_a\b"), r"50\%\_a\\b");
        assert_eq!(like_literal("plain"), "plain");
    }
}
