//! The pieces every report of this module is built from: a figure, a bounded table and the
//! count of what it left out, a chart over a table, a status and a time as a cell, a stored
//! audit value read back.

use crate::{parse_utc, Result, StoreError};
use aliquot_domain::sample::SampleStatus;
use aliquot_reports::{Chart, ChartKind, Column, Figure, Series, Table, Value};
use serde_json::Value as Json;

/// The most rows a detail table of a report holds; the rest are counted in `rows_left_out`.
pub(super) const TABLE_ROWS: i64 = 1_000;

pub(super) fn figure(label: &str, value: impl Into<Value>) -> Figure {
    Figure {
        label: label.to_owned(),
        value: value.into(),
    }
}

/// Rows a bounded table left out: the SQL count less the rows it holds.
pub(super) fn left_out(total: i64, shown: usize) -> u64 {
    u64::try_from(total.saturating_sub(i64::try_from(shown).unwrap_or(i64::MAX))).unwrap_or(0)
}

/// A report table; `rows_left_out` as [`left_out`] counts it.
pub(super) fn table(title: &str, columns: Vec<Column>, rows: Vec<Vec<Value>>, left: u64) -> Table {
    Table {
        title: title.to_owned(),
        columns,
        rows,
        rows_left_out: left,
    }
}

/// A sample status as the lab says it (the UI's words).
pub(super) fn status_label(status: &str) -> String {
    match SampleStatus::parse(status) {
        Some(SampleStatus::Collected) => "Collected",
        Some(SampleStatus::InTransit) => "In transit",
        Some(SampleStatus::Received) => "Received",
        Some(SampleStatus::Processing) => "Processing",
        Some(SampleStatus::Stored) => "Stored",
        Some(SampleStatus::CheckedOut) => "Checked out",
        Some(SampleStatus::Depleted) => "Depleted",
        Some(SampleStatus::Disposed) => "Disposed",
        None => status,
    }
    .to_owned()
}

/// A count as a figure's or a cell's number.
pub(super) fn int(n: usize) -> Value {
    Value::Integer(i64::try_from(n).unwrap_or(i64::MAX))
}

/// A chart over a table's label column and some of its integer columns.
pub(super) fn chart(
    title: &str,
    kind: ChartKind,
    table: usize,
    labels: Vec<String>,
    series: Vec<(&str, Vec<i64>)>,
) -> Chart {
    Chart {
        title: title.to_owned(),
        kind,
        labels,
        series: series
            .into_iter()
            .map(|(name, values)| Series {
                name: name.to_owned(),
                // Counts far below 2^53: exact as f64.
                values: values.into_iter().map(|v| v as f64).collect(),
            })
            .collect(),
        table: u32::try_from(table).unwrap_or(u32::MAX),
    }
}

/// A stored time (`format_utc` text) as a cell.
pub(super) fn time(text: &str) -> Result<Value> {
    Ok(Value::Time(parse_utc(text)?))
}

/// An optional stored time as a cell (empty when there is none).
pub(super) fn opt_time(text: Option<&str>) -> Result<Value> {
    text.map_or(Ok(Value::Empty), time)
}

/// A stored audit value (JSON text), or null when there is none.
pub(super) fn audit_json(text: Option<&str>) -> Result<Json> {
    text.map_or(Ok(Json::Null), |t| {
        serde_json::from_str(t).map_err(|e| StoreError::Decode(format!("an audit value: {e}")))
    })
}
