//! The query builder's rules (issue 17, item 2): which records a lab member may ask about,
//! the closed set of fields of each, which comparison applies to which kind of field, and a
//! filter tree of conditions checked as a whole before the store turns it into SQL.
//!
//! A field is named by its key from [`fields`]; nothing else reaches the store. Every value
//! arrives as the text the screen holds and is read here by its field's type (whole numbers,
//! decimals, RFC 3339 moments, `YYYY-MM-DD` dates, a choice from the field's list, yes/no),
//! so the store binds typed values and never SQL text from a request.

use crate::DomainError;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// Groups nest at most this deep (the whole filter is depth 1).
pub const MAX_DEPTH: usize = 4;
/// At most this many conditions in one query, in all its groups together.
pub const MAX_CONDITIONS: usize = 50;
/// At most this many columns in a table or an export.
pub const MAX_COLUMNS: usize = 60;
/// At most this many sort keys (the record's own key always breaks the last tie).
pub const MAX_SORT_KEYS: usize = 3;
/// At most this many values in one "is one of" (a pasted list of codes).
pub const MAX_ONE_OF: usize = 500;
/// At most this many characters in one text value.
pub const MAX_TEXT: usize = 200;

/// What a query lists: one row per record of this kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum QueryEntity {
    Samples,
    Participants,
    Boxes,
    Results,
}

impl QueryEntity {
    pub const ALL: [QueryEntity; 4] = [
        QueryEntity::Samples,
        QueryEntity::Participants,
        QueryEntity::Boxes,
        QueryEntity::Results,
    ];

    /// The records' name in the lab's words ("samples").
    pub fn label(self) -> &'static str {
        match self {
            QueryEntity::Samples => "samples",
            QueryEntity::Participants => "participants",
            QueryEntity::Boxes => "boxes",
            QueryEntity::Results => "results",
        }
    }
}

/// What a field holds, which decides the comparisons it offers and how its values are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum FieldType {
    Text,
    /// A whole number.
    Integer,
    Decimal,
    /// A moment, stored and compared in UTC.
    Time,
    /// A calendar date without a time (a consent date).
    Date,
    /// One of the field's fixed list (a sample's status, a participant's consent).
    Choice,
    /// Yes or no.
    Flag,
}

impl FieldType {
    /// The type in the lab's words, for messages ("a number").
    pub fn label(self) -> &'static str {
        match self {
            FieldType::Text => "text",
            FieldType::Integer => "a whole number",
            FieldType::Decimal => "a number",
            FieldType::Time => "a moment",
            FieldType::Date => "a date",
            FieldType::Choice => "a choice from a list",
            FieldType::Flag => "yes or no",
        }
    }
}

/// One field a query can filter, show or sort by. The closed set is [`fields`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct Field {
    /// Stable name a query uses.
    pub key: &'static str,
    /// The column heading, in the lab's words.
    pub label: &'static str,
    pub field_type: FieldType,
    /// A `Choice` field's values, as stored; empty for every other type.
    pub choices: &'static [&'static str],
}

const fn field(key: &'static str, label: &'static str, field_type: FieldType) -> Field {
    Field {
        key,
        label,
        field_type,
        choices: &[],
    }
}

const fn choice(key: &'static str, label: &'static str, choices: &'static [&'static str]) -> Field {
    Field {
        key,
        label,
        field_type: FieldType::Choice,
        choices,
    }
}

/// A sample's statuses, as `sample::SampleStatus` names them (a test keeps them equal).
pub const SAMPLE_STATUSES: &[&str] = &[
    "collected",
    "in_transit",
    "received",
    "processing",
    "stored",
    "checked_out",
    "depleted",
    "disposed",
];
pub const CONSENT_STATES: &[&str] = &["given", "withdrawn"];
pub const SEXES: &[&str] = &["female", "male", "other", "unknown"];
pub const RUN_STATES: &[&str] = &["planned", "resulted", "held", "released", "repeat"];
/// What a plate well held: a tube, a control, a standard or a blank.
pub const WELL_ROLES: &[&str] = &["sample", "control", "standard", "blank"];

use FieldType::{Date, Decimal, Flag, Integer, Text, Time};

const SAMPLE_FIELDS: &[Field] = &[
    field("code", "Sample code", Text),
    field("sample_type", "Sample type", Text),
    field("sample_type_name", "Sample type name", Text),
    choice("status", "Status", SAMPLE_STATUSES),
    field("participant", "Participant", Text),
    field("site", "Site", Text),
    choice("consent", "Consent", CONSENT_STATES),
    field("field_event", "Field event", Text),
    field("collected_at", "Collected at", Time),
    field("collector", "Collector", Text),
    field("volume_ul", "Volume (µL)", Integer),
    field("parent", "Parent sample", Text),
    field("freezer", "Freezer", Text),
    field("rack", "Rack", Text),
    field("box", "Box", Text),
    field("box_barcode", "Box barcode", Text),
    field("position", "Position", Text),
    field("registered_at", "Registered at", Time),
    field("checked_out_at", "Checked out at", Time),
    field("time_out_seconds", "Time out of the freezer (s)", Integer),
];

const PARTICIPANT_FIELDS: &[Field] = &[
    field("code", "Participant code", Text),
    field("site", "Site", Text),
    field("external_id", "External ID", Text),
    choice("consent", "Consent", CONSENT_STATES),
    field("consent_date", "Consent date", Date),
    choice("sex", "Sex", SEXES),
    field("birth_year", "Birth year", Integer),
    field("registered_at", "Registered at", Time),
    field("samples", "Number of samples", Integer),
];

const BOX_FIELDS: &[Field] = &[
    field("barcode", "Box barcode", Text),
    field("name", "Box name", Text),
    field("box_type", "Box type", Text),
    field("freezer", "Freezer", Text),
    field("rack", "Rack", Text),
    field("capacity", "Capacity", Integer),
    field("used", "Positions used", Integer),
    field("free", "Positions free", Integer),
    field("created_at", "Created at", Time),
    field("voided", "Voided", Flag),
    field("void_reason", "Why voided", Text),
];

const RESULT_FIELDS: &[Field] = &[
    field("sample", "Sample code", Text),
    field("participant", "Participant", Text),
    choice("role", "Well content", WELL_ROLES),
    field("run", "Run", Text),
    choice("run_state", "Run state", RUN_STATES),
    field("instrument", "Instrument", Text),
    field("plate", "Plate", Text),
    field("well", "Well", Text),
    field("read", "Read or analyte", Text),
    field("value", "Value", Decimal),
    field("as_written", "Value as written", Text),
    field("unit", "Unit", Text),
    field("flag", "Flag", Text),
    field("censored", "Censored", Flag),
    field("z_score", "z-score", Decimal),
    field("current", "Current import", Flag),
    field("file_name", "File", Text),
    field("imported_at", "Imported at", Time),
];

/// The closed set of fields of an entity, in the order a screen offers them.
pub fn fields(entity: QueryEntity) -> &'static [Field] {
    match entity {
        QueryEntity::Samples => SAMPLE_FIELDS,
        QueryEntity::Participants => PARTICIPANT_FIELDS,
        QueryEntity::Boxes => BOX_FIELDS,
        QueryEntity::Results => RESULT_FIELDS,
    }
}

/// The field of `entity` named `key`, if it has one.
pub fn field_of(entity: QueryEntity, key: &str) -> Option<&'static Field> {
    fields(entity).iter().find(|f| f.key == key)
}

/// A comparison a condition makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum Operator {
    Equals,
    NotEquals,
    LessThan,
    AtMost,
    GreaterThan,
    AtLeast,
    /// Both ends included.
    Between,
    /// Text anywhere in the field, letters A–Z in either case; `%` and `_` are letters.
    Contains,
    StartsWith,
    IsEmpty,
    IsNotEmpty,
    OneOf,
}

impl Operator {
    pub const ALL: [Operator; 12] = [
        Operator::Equals,
        Operator::NotEquals,
        Operator::LessThan,
        Operator::AtMost,
        Operator::GreaterThan,
        Operator::AtLeast,
        Operator::Between,
        Operator::Contains,
        Operator::StartsWith,
        Operator::IsEmpty,
        Operator::IsNotEmpty,
        Operator::OneOf,
    ];

    /// The comparison in the lab's words ("is at least").
    pub fn label(self) -> &'static str {
        match self {
            Operator::Equals => "is",
            Operator::NotEquals => "is not",
            Operator::LessThan => "is less than",
            Operator::AtMost => "is at most",
            Operator::GreaterThan => "is greater than",
            Operator::AtLeast => "is at least",
            Operator::Between => "is between",
            Operator::Contains => "contains",
            Operator::StartsWith => "starts with",
            Operator::IsEmpty => "is empty",
            Operator::IsNotEmpty => "is not empty",
            Operator::OneOf => "is one of",
        }
    }

    /// How many values the comparison takes: (fewest, most).
    pub fn value_count(self) -> (usize, usize) {
        match self {
            Operator::IsEmpty | Operator::IsNotEmpty => (0, 0),
            Operator::Between => (2, 2),
            Operator::OneOf => (1, MAX_ONE_OF),
            _ => (1, 1),
        }
    }
}

/// The comparisons a field of this type offers.
pub fn operators(field_type: FieldType) -> &'static [Operator] {
    use Operator::*;
    match field_type {
        FieldType::Text => &[
            Equals, NotEquals, Contains, StartsWith, OneOf, IsEmpty, IsNotEmpty,
        ],
        FieldType::Integer | FieldType::Decimal | FieldType::Time | FieldType::Date => &[
            Equals,
            NotEquals,
            LessThan,
            AtMost,
            GreaterThan,
            AtLeast,
            Between,
            IsEmpty,
            IsNotEmpty,
        ],
        FieldType::Choice => &[Equals, NotEquals, OneOf, IsEmpty, IsNotEmpty],
        FieldType::Flag => &[Equals, NotEquals, IsEmpty, IsNotEmpty],
    }
}

/// How a group joins its items.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum Join {
    /// Every item holds.
    All,
    /// At least one item holds.
    Any,
}

/// One comparison: a field, how it compares, and the values as the screen holds them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct Condition {
    pub field: String,
    pub operator: Operator,
    #[serde(default)]
    pub values: Vec<String>,
}

/// Conditions and groups joined by all or any. A group without items narrows nothing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct FilterGroup {
    pub join: Join,
    #[serde(default)]
    pub items: Vec<FilterItem>,
}

impl Default for FilterGroup {
    /// No filter: every record.
    fn default() -> Self {
        FilterGroup {
            join: Join::All,
            items: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "item", rename_all = "snake_case")]
#[ts(export)]
pub enum FilterItem {
    Condition(Condition),
    Group(FilterGroup),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct Sort {
    pub field: String,
    #[serde(default)]
    pub descending: bool,
}

/// A query as a screen builds it: what to list, which of them, which columns, in what order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct Query {
    pub entity: QueryEntity,
    #[serde(default)]
    pub filter: FilterGroup,
    pub columns: Vec<String>,
    #[serde(default)]
    pub sort: Vec<Sort>,
}

/// A value read by its field's type.
#[derive(Debug, Clone, PartialEq)]
pub enum Typed {
    /// A text or a choice.
    Text(String),
    Integer(i64),
    Decimal(f64),
    Time(DateTime<Utc>),
    Date(NaiveDate),
    Flag(bool),
}

impl Typed {
    /// Whether `self` comes after `other` (values of one field only).
    fn after(&self, other: &Typed) -> bool {
        match (self, other) {
            (Typed::Integer(a), Typed::Integer(b)) => a > b,
            (Typed::Decimal(a), Typed::Decimal(b)) => a > b,
            (Typed::Time(a), Typed::Time(b)) => a > b,
            (Typed::Date(a), Typed::Date(b)) => a > b,
            _ => false,
        }
    }
}

/// A condition whose field exists, whose comparison applies and whose values were read.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckedCondition {
    pub field: &'static Field,
    pub operator: Operator,
    pub values: Vec<Typed>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum CheckedItem {
    Condition(CheckedCondition),
    Group(CheckedGroup),
}

#[derive(Debug, Clone, PartialEq)]
pub struct CheckedGroup {
    pub join: Join,
    pub items: Vec<CheckedItem>,
}

impl CheckedGroup {
    /// Every condition of the group and its groups, depth first.
    pub fn conditions(&self) -> Vec<&CheckedCondition> {
        let mut out = Vec::new();
        let mut stack: Vec<&CheckedGroup> = vec![self];
        while let Some(group) = stack.pop() {
            for item in &group.items {
                match item {
                    CheckedItem::Condition(c) => out.push(c),
                    CheckedItem::Group(g) => stack.push(g),
                }
            }
        }
        out
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckedSort {
    pub field: &'static Field,
    pub descending: bool,
}

/// A query the store may run: every name one of the entity's fields, every value typed.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckedQuery {
    pub entity: QueryEntity,
    pub filter: CheckedGroup,
    pub columns: Vec<&'static Field>,
    pub sort: Vec<CheckedSort>,
}

impl Query {
    /// The query with its fields looked up and its values read, or the first thing wrong
    /// with it in the lab's words.
    pub fn checked(&self) -> Result<CheckedQuery, DomainError> {
        let entity = self.entity;
        if self.columns.is_empty() {
            return Err(DomainError::invalid(
                "columns",
                "choose at least one column to show",
            ));
        }
        if self.columns.len() > MAX_COLUMNS {
            return Err(DomainError::invalid(
                "columns",
                format!("at most {MAX_COLUMNS} columns, not {}", self.columns.len()),
            ));
        }
        let mut columns: Vec<&'static Field> = Vec::with_capacity(self.columns.len());
        for key in &self.columns {
            let field = known(entity, "columns", key)?;
            if columns.iter().any(|c| c.key == field.key) {
                return Err(DomainError::invalid(
                    "columns",
                    format!("{} is chosen twice; show each column once", field.label),
                ));
            }
            columns.push(field);
        }
        if self.sort.len() > MAX_SORT_KEYS {
            return Err(DomainError::invalid(
                "sort",
                format!("sort by at most {MAX_SORT_KEYS} fields"),
            ));
        }
        let mut sort: Vec<CheckedSort> = Vec::with_capacity(self.sort.len());
        for s in &self.sort {
            let field = known(entity, "sort", &s.field)?;
            if sort.iter().any(|c| c.field.key == field.key) {
                return Err(DomainError::invalid(
                    "sort",
                    format!("{} is in the sort twice", field.label),
                ));
            }
            sort.push(CheckedSort {
                field,
                descending: s.descending,
            });
        }
        let mut conditions = 0;
        let filter = check_group(entity, &self.filter, 1, &mut conditions)?;
        Ok(CheckedQuery {
            entity,
            filter,
            columns,
            sort,
        })
    }
}

fn known(
    entity: QueryEntity,
    role: &'static str,
    key: &str,
) -> Result<&'static Field, DomainError> {
    field_of(entity, key).ok_or_else(|| {
        DomainError::invalid(
            role,
            format!(
                "{} have no field “{}”; choose one from the list",
                capitalised(entity.label()),
                shown(key)
            ),
        )
    })
}

fn capitalised(s: &str) -> String {
    let mut chars = s.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// A value as a message quotes it: at most 40 characters, control characters escaped.
fn shown(value: &str) -> String {
    let mut out: String = value
        .chars()
        .take(40)
        .flat_map(char::escape_debug)
        .collect();
    if value.chars().count() > 40 {
        out.push('…');
    }
    out
}

fn check_group(
    entity: QueryEntity,
    group: &FilterGroup,
    depth: usize,
    conditions: &mut usize,
) -> Result<CheckedGroup, DomainError> {
    if depth > MAX_DEPTH {
        return Err(DomainError::invalid(
            "filter",
            format!("groups nest at most {MAX_DEPTH} deep"),
        ));
    }
    let mut items = Vec::with_capacity(group.items.len());
    for item in &group.items {
        items.push(match item {
            FilterItem::Condition(c) => {
                *conditions += 1;
                if *conditions > MAX_CONDITIONS {
                    return Err(DomainError::invalid(
                        "filter",
                        format!("at most {MAX_CONDITIONS} conditions in one query"),
                    ));
                }
                CheckedItem::Condition(check_condition(entity, c)?)
            }
            FilterItem::Group(g) => {
                CheckedItem::Group(check_group(entity, g, depth + 1, conditions)?)
            }
        });
    }
    Ok(CheckedGroup {
        join: group.join,
        items,
    })
}

fn check_condition(entity: QueryEntity, c: &Condition) -> Result<CheckedCondition, DomainError> {
    let field = known(entity, "filter", &c.field)?;
    let allowed = operators(field.field_type);
    if !allowed.contains(&c.operator) {
        let offered: Vec<&str> = allowed.iter().map(|o| o.label()).collect();
        return Err(DomainError::invalid(
            field.key,
            format!(
                "“{}” does not apply to {}, which is {}; use one of: {}",
                c.operator.label(),
                field.label,
                field.field_type.label(),
                offered.join(", ")
            ),
        ));
    }
    let (fewest, most) = c.operator.value_count();
    let n = c.values.len();
    if n < fewest || n > most {
        let wanted = match (fewest, most) {
            (0, 0) => "no value".to_owned(),
            (1, 1) => "one value".to_owned(),
            (2, 2) => "two values, the lowest and the highest".to_owned(),
            (a, b) => format!("{a} to {b} values"),
        };
        return Err(DomainError::invalid(
            field.key,
            format!(
                "{} {} takes {wanted}, not {n}",
                field.label,
                c.operator.label()
            ),
        ));
    }
    let values = c
        .values
        .iter()
        .map(|v| parse_value(field, c.operator, v))
        .collect::<Result<Vec<Typed>, DomainError>>()?;
    if let [low, high] = values.as_slice() {
        if low.after(high) {
            return Err(DomainError::invalid(
                field.key,
                format!(
                    "{} is between: the first value is after the second; give the lowest first",
                    field.label
                ),
            ));
        }
    }
    Ok(CheckedCondition {
        field,
        operator: c.operator,
        values,
    })
}

/// Reads one value of a condition by its field's type. Text is taken as typed (spaces,
/// tabs and quotes are part of it); every other type is trimmed first.
pub fn parse_value(
    field: &'static Field,
    operator: Operator,
    value: &str,
) -> Result<Typed, DomainError> {
    let refuse = |problem: String| Err(DomainError::invalid(field.key, problem));
    if value.chars().count() > MAX_TEXT {
        return refuse(format!(
            "{}: a value of at most {MAX_TEXT} characters",
            field.label
        ));
    }
    let trimmed = value.trim();
    match field.field_type {
        FieldType::Text => {
            if value.is_empty() {
                let instead = if operator == Operator::NotEquals {
                    "is not empty"
                } else {
                    "is empty"
                };
                return refuse(format!(
                    "{} {} needs some text; to find rows without any, use “{instead}”",
                    field.label,
                    operator.label()
                ));
            }
            Ok(Typed::Text(value.to_owned()))
        }
        FieldType::Integer => match trimmed.parse::<i64>() {
            Ok(n) => Ok(Typed::Integer(n)),
            Err(_) => refuse(format!(
                "{} takes a whole number such as 250, not “{}”",
                field.label,
                shown(value)
            )),
        },
        FieldType::Decimal => match trimmed.parse::<f64>() {
            Ok(x) if x.is_finite() => Ok(Typed::Decimal(x)),
            _ => refuse(format!(
                "{} takes a number such as -0.25 or 12.5 (a point before the decimals), not “{}”",
                field.label,
                shown(value)
            )),
        },
        FieldType::Time => match DateTime::parse_from_rfc3339(trimmed) {
            Ok(t) => Ok(Typed::Time(t.with_timezone(&Utc))),
            Err(_) => refuse(format!(
                "{} takes a date and time with its offset, such as 2026-03-01T09:30:00Z, not “{}”",
                field.label,
                shown(value)
            )),
        },
        FieldType::Date => match NaiveDate::parse_from_str(trimmed, "%Y-%m-%d") {
            Ok(d) if trimmed.len() == 10 => Ok(Typed::Date(d)),
            _ => refuse(format!(
                "{} takes a date written as year-month-day, such as 2026-03-01, not “{}”",
                field.label,
                shown(value)
            )),
        },
        FieldType::Choice => match field.choices.iter().find(|c| **c == trimmed) {
            Some(c) => Ok(Typed::Text((*c).to_owned())),
            None => refuse(format!(
                "{} is one of {}; “{}” is not among them",
                field.label,
                field.choices.join(", "),
                shown(value)
            )),
        },
        FieldType::Flag => match trimmed.to_ascii_lowercase().as_str() {
            "true" | "yes" => Ok(Typed::Flag(true)),
            "false" | "no" => Ok(Typed::Flag(false)),
            _ => refuse(format!(
                "{} takes yes or no, not “{}”",
                field.label,
                shown(value)
            )),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use rstest::rstest;

    fn cond(field: &str, operator: Operator, values: &[&str]) -> FilterItem {
        FilterItem::Condition(Condition {
            field: field.into(),
            operator,
            values: values.iter().map(|v| (*v).to_owned()).collect(),
        })
    }

    fn query(entity: QueryEntity, items: Vec<FilterItem>) -> Query {
        Query {
            entity,
            filter: FilterGroup {
                join: Join::All,
                items,
            },
            columns: vec![fields(entity)[0].key.to_owned()],
            sort: vec![],
        }
    }

    fn problem(result: Result<CheckedQuery, DomainError>) -> (String, String) {
        match result {
            Err(DomainError::Invalid { field, problem }) => (field.to_owned(), problem),
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    /// A field of each type, with a value it reads.
    fn example(t: FieldType) -> (QueryEntity, &'static str, &'static str) {
        match t {
            FieldType::Text => (QueryEntity::Samples, "collector", "Nurse Joy"),
            FieldType::Integer => (QueryEntity::Samples, "volume_ul", "250"),
            FieldType::Decimal => (QueryEntity::Results, "value", "-0.25"),
            FieldType::Time => (QueryEntity::Samples, "collected_at", "2026-03-01T09:00:00Z"),
            FieldType::Date => (QueryEntity::Participants, "consent_date", "2026-03-01"),
            FieldType::Choice => (QueryEntity::Samples, "status", "stored"),
            FieldType::Flag => (QueryEntity::Boxes, "voided", "yes"),
        }
    }

    /// Which comparison each type offers: every (type, operator) pair, allowed or refused.
    #[rstest]
    #[case(FieldType::Text, "= != contains starts one_of empty not_empty")]
    #[case(FieldType::Integer, "= != < <= > >= between empty not_empty")]
    #[case(FieldType::Decimal, "= != < <= > >= between empty not_empty")]
    #[case(FieldType::Time, "= != < <= > >= between empty not_empty")]
    #[case(FieldType::Date, "= != < <= > >= between empty not_empty")]
    #[case(FieldType::Choice, "= != one_of empty not_empty")]
    #[case(FieldType::Flag, "= != empty not_empty")]
    fn operators_per_field_type(#[case] t: FieldType, #[case] allowed: &str) {
        let short = |o: Operator| match o {
            Operator::Equals => "=",
            Operator::NotEquals => "!=",
            Operator::LessThan => "<",
            Operator::AtMost => "<=",
            Operator::GreaterThan => ">",
            Operator::AtLeast => ">=",
            Operator::Between => "between",
            Operator::Contains => "contains",
            Operator::StartsWith => "starts",
            Operator::IsEmpty => "empty",
            Operator::IsNotEmpty => "not_empty",
            Operator::OneOf => "one_of",
        };
        let allowed: Vec<&str> = allowed.split(' ').collect();
        let (entity, key, value) = example(t);
        assert_eq!(field_of(entity, key).unwrap().field_type, t);
        for op in Operator::ALL {
            let values: Vec<&str> = match op.value_count() {
                (0, _) => vec![],
                (2, _) => vec![value, value],
                _ => vec![value],
            };
            let result = query(entity, vec![cond(key, op, &values)]).checked();
            let expected = allowed.contains(&short(op));
            assert_eq!(operators(t).contains(&op), expected, "{t:?} {op:?}");
            match result {
                Ok(_) => assert!(expected, "{t:?} {op:?} was allowed"),
                Err(DomainError::Invalid { field, problem }) => {
                    assert!(!expected, "{t:?} {op:?} was refused: {problem}");
                    assert_eq!(field, key);
                    assert!(problem.contains("does not apply"), "{problem}");
                }
                Err(e) => panic!("{e}"),
            }
        }
    }

    /// Every type reads its own kind of value and refuses another, naming the field.
    #[rstest]
    #[case(FieldType::Text, "  spaced\t", Some(Typed::Text("  spaced\t".into())))]
    #[case(FieldType::Text, "=1+1", Some(Typed::Text("=1+1".into())))]
    #[case(FieldType::Text, "", None)]
    #[case(FieldType::Integer, " 250 ", Some(Typed::Integer(250)))]
    #[case(FieldType::Integer, "-3", Some(Typed::Integer(-3)))]
    #[case(FieldType::Integer, "2.5", None)]
    #[case(FieldType::Integer, "many", None)]
    #[case(FieldType::Integer, "99999999999999999999", None)]
    #[case(FieldType::Decimal, "-0.25", Some(Typed::Decimal(-0.25)))]
    #[case(FieldType::Decimal, "1e3", Some(Typed::Decimal(1000.0)))]
    #[case(FieldType::Decimal, "0,25", None)]
    #[case(FieldType::Decimal, "NaN", None)]
    #[case(FieldType::Decimal, "inf", None)]
    #[case(
        FieldType::Time,
        "2026-03-01T10:00:00+01:00",
        Some(Typed::Time(Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap()))
    )]
    #[case(FieldType::Time, "2026-03-01", None)]
    #[case(FieldType::Time, "yesterday", None)]
    #[case(
        FieldType::Date,
        "2026-03-01",
        Some(Typed::Date(NaiveDate::from_ymd_opt(2026, 3, 1).unwrap()))
    )]
    #[case(FieldType::Date, "2026-3-1", None)]
    #[case(FieldType::Date, "2026-02-30", None)]
    #[case(FieldType::Date, "01/03/2026", None)]
    #[case(FieldType::Choice, "stored", Some(Typed::Text("stored".into())))]
    #[case(FieldType::Choice, "Stored", None)]
    #[case(FieldType::Choice, "lost", None)]
    #[case(FieldType::Flag, "Yes", Some(Typed::Flag(true)))]
    #[case(FieldType::Flag, "false", Some(Typed::Flag(false)))]
    #[case(FieldType::Flag, "1", None)]
    fn values_are_read_by_the_fields_type(
        #[case] t: FieldType,
        #[case] value: &str,
        #[case] expected: Option<Typed>,
    ) {
        let (entity, key, _) = example(t);
        let field = field_of(entity, key).unwrap();
        match (parse_value(field, Operator::Equals, value), expected) {
            (Ok(got), Some(want)) => assert_eq!(got, want),
            (Err(DomainError::Invalid { field: f, problem }), None) => {
                assert_eq!(f, key);
                assert!(problem.contains(field.label), "{problem}");
            }
            (got, want) => panic!("{t:?} {value:?}: got {got:?}, wanted {want:?}"),
        }
    }

    /// How many values each comparison takes.
    #[rstest]
    #[case(Operator::Equals, 0, false)]
    #[case(Operator::Equals, 1, true)]
    #[case(Operator::Equals, 2, false)]
    #[case(Operator::Between, 1, false)]
    #[case(Operator::Between, 2, true)]
    #[case(Operator::Between, 3, false)]
    #[case(Operator::IsEmpty, 0, true)]
    #[case(Operator::IsEmpty, 1, false)]
    #[case(Operator::IsNotEmpty, 1, false)]
    #[case(Operator::OneOf, 0, false)]
    #[case(Operator::OneOf, 1, true)]
    #[case(Operator::OneOf, MAX_ONE_OF, true)]
    #[case(Operator::OneOf, MAX_ONE_OF + 1, false)]
    fn value_counts(#[case] op: Operator, #[case] n: usize, #[case] ok: bool) {
        let values: Vec<String> = (0..n)
            .map(|i| {
                if op == Operator::Between {
                    i.to_string()
                } else {
                    format!("AQ{i:06}")
                }
            })
            .collect();
        let values: Vec<&str> = values.iter().map(String::as_str).collect();
        let field = if op == Operator::Between {
            "volume_ul"
        } else {
            "code"
        };
        let result = query(QueryEntity::Samples, vec![cond(field, op, &values)]).checked();
        assert_eq!(result.is_ok(), ok, "{op:?} with {n}: {result:?}");
    }

    #[test]
    fn between_wants_the_lowest_first() {
        let ok = query(
            QueryEntity::Samples,
            vec![cond("volume_ul", Operator::Between, &["100", "100"])],
        );
        assert!(ok.checked().is_ok());
        let (field, problem) = problem(
            query(
                QueryEntity::Samples,
                vec![cond("volume_ul", Operator::Between, &["500", "100"])],
            )
            .checked(),
        );
        assert_eq!(field, "volume_ul");
        assert!(problem.contains("lowest first"), "{problem}");
    }

    fn nested(depth: usize) -> FilterGroup {
        let mut group = FilterGroup {
            join: Join::Any,
            items: vec![cond("code", Operator::Equals, &["AQ1"])],
        };
        for _ in 1..depth {
            group = FilterGroup {
                join: Join::All,
                items: vec![FilterItem::Group(group)],
            };
        }
        group
    }

    #[rstest]
    #[case(1, true)]
    #[case(MAX_DEPTH, true)]
    #[case(MAX_DEPTH + 1, false)]
    fn groups_nest_to_the_limit(#[case] depth: usize, #[case] ok: bool) {
        let mut q = query(QueryEntity::Samples, vec![]);
        q.filter = nested(depth);
        let result = q.checked();
        assert_eq!(result.is_ok(), ok, "{result:?}");
        if !ok {
            assert_eq!(problem(result).0, "filter");
        }
    }

    #[rstest]
    #[case(MAX_CONDITIONS, true)]
    #[case(MAX_CONDITIONS + 1, false)]
    fn conditions_are_counted_across_groups(#[case] n: usize, #[case] ok: bool) {
        // Half at the top, half in a nested group: the limit is for the whole query.
        let top = n / 2;
        let mut items: Vec<FilterItem> = (0..top)
            .map(|_| cond("volume_ul", Operator::AtLeast, &["1"]))
            .collect();
        items.push(FilterItem::Group(FilterGroup {
            join: Join::Any,
            items: (top..n)
                .map(|_| cond("volume_ul", Operator::AtLeast, &["1"]))
                .collect(),
        }));
        let result = query(QueryEntity::Samples, items).checked();
        assert_eq!(result.is_ok(), ok);
        if ok {
            assert_eq!(result.unwrap().filter.conditions().len(), n);
        }
    }

    #[rstest]
    #[case(vec![], false, "at least one column")]
    #[case(vec!["code", "code"], false, "twice")]
    #[case(vec!["code", "shoe_size"], false, "no field “shoe_size”")]
    #[case(vec!["code", "status", "box"], true, "")]
    fn columns_are_checked(#[case] columns: Vec<&str>, #[case] ok: bool, #[case] says: &str) {
        let mut q = query(QueryEntity::Samples, vec![]);
        q.columns = columns.into_iter().map(String::from).collect();
        let result = q.checked();
        assert_eq!(result.is_ok(), ok, "{result:?}");
        if !ok {
            let (field, problem) = problem(result);
            assert_eq!(field, "columns");
            assert!(problem.contains(says), "{problem}");
        }
    }

    #[test]
    fn at_most_sixty_columns() {
        let mut q = query(QueryEntity::Samples, vec![]);
        q.columns = (0..=MAX_COLUMNS).map(|i| format!("c{i}")).collect();
        assert!(problem(q.checked()).1.contains("at most 60 columns"));
    }

    #[rstest]
    #[case(&["code"], true)]
    #[case(&["collected_at", "status", "code"], true)]
    #[case(&["collected_at", "status", "code", "box"], false)]
    #[case(&["status", "status"], false)]
    #[case(&["weight"], false)]
    fn sort_keys_are_checked(#[case] keys: &[&str], #[case] ok: bool) {
        let mut q = query(QueryEntity::Samples, vec![]);
        q.sort = keys
            .iter()
            .map(|k| Sort {
                field: (*k).into(),
                descending: true,
            })
            .collect();
        let result = q.checked();
        assert_eq!(result.is_ok(), ok, "{result:?}");
        if !ok {
            assert_eq!(problem(result).0, "sort");
        }
    }

    /// A field of one entity is not a field of another.
    #[test]
    fn fields_belong_to_their_entity() {
        let (field, problem) = problem(
            query(
                QueryEntity::Boxes,
                vec![cond("collector", Operator::Equals, &["Joy"])],
            )
            .checked(),
        );
        assert_eq!(field, "filter");
        assert_eq!(
            problem,
            "Boxes have no field “collector”; choose one from the list"
        );
    }

    #[test]
    fn every_entity_has_unique_keys_and_choices_only_on_choice_fields() {
        for entity in QueryEntity::ALL {
            let fs = fields(entity);
            assert!(fs.len() <= MAX_COLUMNS);
            for (i, f) in fs.iter().enumerate() {
                assert!(
                    fs[..i].iter().all(|g| g.key != f.key),
                    "{entity:?} {}",
                    f.key
                );
                assert_eq!(
                    f.choices.is_empty(),
                    f.field_type != FieldType::Choice,
                    "{}",
                    f.key
                );
            }
            // Every field can be shown and sorted by.
            let q = Query {
                entity,
                filter: FilterGroup::default(),
                columns: fs.iter().map(|f| f.key.to_owned()).collect(),
                sort: vec![Sort {
                    field: fs[fs.len() - 1].key.into(),
                    descending: false,
                }],
            };
            assert_eq!(q.checked().unwrap().columns.len(), fs.len());
        }
    }

    #[test]
    fn choice_lists_match_the_domains_enums() {
        use crate::runs::RunState;
        use crate::sample::{ConsentStatus, SampleStatus};
        let statuses: Vec<&str> = SampleStatus::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(statuses, SAMPLE_STATUSES);
        let states: Vec<&str> = RunState::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(states, RUN_STATES);
        for c in CONSENT_STATES {
            assert!(ConsentStatus::parse(c).is_some());
        }
        for s in [
            crate::command::Sex::Female,
            crate::command::Sex::Male,
            crate::command::Sex::Other,
            crate::command::Sex::Unknown,
        ] {
            assert!(SEXES.contains(&s.as_str()));
        }
    }

    /// A query as the screen sends it, nested groups included, and unknown names refused.
    #[test]
    fn a_query_reads_from_json_and_refuses_unknown_names() {
        let json = r#"{
            "entity": "samples",
            "filter": {"join": "all", "items": [
                {"item": "condition", "field": "status", "operator": "one_of", "values": ["stored", "received"]},
                {"item": "group", "join": "any", "items": [
                    {"item": "condition", "field": "volume_ul", "operator": "at_least", "values": ["100"]},
                    {"item": "condition", "field": "parent", "operator": "is_empty"}
                ]}
            ]},
            "columns": ["code", "status"],
            "sort": [{"field": "collected_at", "descending": true}]
        }"#;
        let q: Query = serde_json::from_str(json).unwrap();
        let checked = q.checked().unwrap();
        assert_eq!(checked.filter.conditions().len(), 3);
        assert!(serde_json::from_str::<Query>(
            r#"{"entity": "samples", "columns": ["code"], "limit": 5}"#
        )
        .is_err());
        assert!(serde_json::from_str::<Query>(
            r#"{"entity": "samples", "columns": ["code"], "filter": {"join": "all", "items": [
                {"item": "condition", "field": "code", "operator": "equals", "values": ["A"], "sql": "1"}]}}"#
        )
        .is_err());
        assert!(serde_json::from_str::<Query>(
            r#"{"entity": "samples", "columns": ["code"], "filter": {"join": "all", "items": [
                {"item": "condition", "field": "code", "operator": "like", "values": ["A"]}]}}"#
        )
        .is_err());
        assert!(
            serde_json::from_str::<Query>(r#"{"entity": "freezers", "columns": ["code"]}"#)
                .is_err()
        );
    }
}
