//! A report as data: what it is about, who made it and when, its figures, charts and tables.
//! The store fills one from SQL; the UI shows it, `csv` and `pdf` write it. Every chart's
//! numbers are also a table, so a reader who cannot see the chart loses nothing.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// What a column holds. It decides how a cell is written: text cells are neutralised in
/// CSV (a formula start gets a leading `'`), numbers never are, so a negative stays a number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum ColumnKind {
    Text,
    Integer,
    Decimal,
    /// A moment, written as RFC 3339 in UTC.
    Time,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Column {
    /// Stable name for programs (the CSV header is the label).
    pub key: String,
    pub label: String,
    pub kind: ColumnKind,
}

impl Column {
    pub fn new(key: &str, label: &str, kind: ColumnKind) -> Column {
        Column {
            key: key.to_owned(),
            label: label.to_owned(),
            kind,
        }
    }
}

/// One cell. Serialised as plain JSON (`null`, a string or a number) for the UI.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(untagged)]
#[ts(export)]
pub enum Value {
    Empty,
    Text(String),
    Integer(#[ts(type = "number")] i64),
    Decimal(f64),
    Time(DateTime<Utc>),
}

impl Value {
    pub fn text(s: impl Into<String>) -> Value {
        Value::Text(s.into())
    }

    /// `None` is an empty cell.
    pub fn opt_text(s: Option<impl Into<String>>) -> Value {
        s.map_or(Value::Empty, |s| Value::Text(s.into()))
    }
}

impl From<i64> for Value {
    fn from(n: i64) -> Self {
        Value::Integer(n)
    }
}

impl From<DateTime<Utc>> for Value {
    fn from(t: DateTime<Utc>) -> Self {
        Value::Time(t)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Table {
    pub title: String,
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<Value>>,
    /// Rows the table would have beyond those it holds (a report's table is bounded; the
    /// whole list is a page operation or the streamed export). 0 when it holds them all.
    #[ts(type = "number")]
    pub rows_left_out: u64,
}

/// A report's headline number ("Samples stored: 1,204"). Named `ReportFigure` in
/// TypeScript: the instruments' `Figure` (a number a command carries) has that name there.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export, rename = "ReportFigure")]
pub struct Figure {
    pub label: String,
    pub value: Value,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum ChartKind {
    /// One bar per label per series, side by side.
    Bar,
    /// The series stacked in one bar per label (used and free positions).
    StackedBar,
    /// Points over the labels in order (counts per day).
    Line,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Series {
    pub name: String,
    pub values: Vec<f64>,
}

/// A chart's data. `table` names the report table holding the same numbers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Chart {
    pub title: String,
    pub kind: ChartKind,
    pub labels: Vec<String>,
    pub series: Vec<Series>,
    /// Index into `Report::tables` of the table with these numbers.
    pub table: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Parameter {
    pub name: String,
    pub value: String,
}

/// A finished report: everything its PDF and CSV say, made once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Report {
    pub title: String,
    /// The lab's name as its settings give it, printed on every page.
    pub lab_name: String,
    /// What the report was asked for (sample code, period, freezer…), in the lab's words.
    pub parameters: Vec<Parameter>,
    pub made_at: DateTime<Utc>,
    /// The user who made it (username and full name).
    pub made_by: String,
    pub figures: Vec<Figure>,
    pub charts: Vec<Chart>,
    pub tables: Vec<Table>,
    /// Things the reader must not miss: gaps in custody, a broken audit chain.
    pub warnings: Vec<String>,
}
