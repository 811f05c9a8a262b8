//! Runs on instruments: plate templates, runs and their plates, the plate map filled by
//! scanning, result imports with QC on the run's controls, and a lab manager's decision on
//! a run QC held. Apply functions (called only by the executor) and queries, every list one
//! page with its filters in SQL.

use crate::executor::{Applied, Change, Ctx};
use crate::users::parse_uuid;
use crate::{format_utc, parse_utc, Result, Store, StoreError};
use aliquot_domain::instruments::{Figure, InstrumentStatus, ResultFormat};
use aliquot_domain::paging::{Page, PageRequest};
use aliquot_domain::qc::{self, ControlSeries, Rule, Verdict};
use aliquot_domain::runs::{
    check_layout, Bound, Flag, LayoutRole, LayoutWell, NewPlate, PlateFormat, Reading, RunDecision,
    RunState,
};
use aliquot_domain::sample::SampleStatus;
use aliquot_domain::storage::Position;
use aliquot_domain::{Command, DomainError};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;
use sqlx::SqliteConnection;
use std::collections::BTreeMap;
use ts_rs::TS;
use uuid::Uuid;

/// At most this many plates in one run: a run is what one instrument reads in one go.
const MAX_PLATES: usize = 40;

fn name_text(field: &'static str, value: &str) -> Result<String> {
    let value = value.trim();
    if value.is_empty() || value.chars().count() > 80 {
        return Err(DomainError::invalid(field, "1 to 80 characters").into());
    }
    Ok(value.to_owned())
}

fn decode<T: serde::de::DeserializeOwned>(what: &str, text: &str) -> Result<T> {
    serde_json::from_str(text).map_err(|e| StoreError::Decode(format!("{what}: {e}")))
}

fn encode<T: Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| StoreError::Decode(e.to_string()))
}

fn bad(what: &str, value: &str) -> StoreError {
    StoreError::Decode(format!("{what} {value:?}"))
}

// ---------------------------------------------------------------------------------------
// Records

/// A plate layout the lab reuses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct PlateTemplateRecord {
    pub id: Uuid,
    pub name: String,
    pub format: PlateFormat,
    pub layout: Vec<LayoutWell>,
    pub created_at: DateTime<Utc>,
}

/// A run as listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct RunRecord {
    pub id: Uuid,
    pub name: String,
    pub instrument_id: Uuid,
    pub instrument_name: String,
    pub result_format: ResultFormat,
    pub state: RunState,
    pub qc_verdict: Option<Verdict>,
    pub qc_rules: Vec<Rule>,
    /// A control QC could not judge (no value for its read), and why.
    pub qc_note: Option<String>,
    pub current_import_id: Option<Uuid>,
    pub decision_reason: Option<String>,
    #[ts(type = "number")]
    pub plates: i64,
    #[ts(type = "number")]
    pub samples: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A plate of a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct PlateRecord {
    pub id: Uuid,
    pub run_id: Uuid,
    #[ts(type = "number")]
    pub ordinal: i64,
    pub name: String,
    pub format: PlateFormat,
    pub template_id: Option<Uuid>,
    #[ts(type = "number")]
    pub filled: i64,
}

/// What a well of a plate map holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum WellRole {
    Sample,
    Control,
    Standard,
    Blank,
}

impl WellRole {
    pub fn as_str(self) -> &'static str {
        match self {
            WellRole::Sample => "sample",
            WellRole::Control => "control",
            WellRole::Standard => "standard",
            WellRole::Blank => "blank",
        }
    }
    fn parse(s: &str) -> Option<WellRole> {
        [
            WellRole::Sample,
            WellRole::Control,
            WellRole::Standard,
            WellRole::Blank,
        ]
        .into_iter()
        .find(|r| r.as_str() == s)
    }
}

/// A value as recorded, with the read it belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct WellValue {
    pub read: String,
    pub value: Reading,
    pub unit: Option<String>,
    /// A control's distance from its lot's target, in SDs.
    pub z_score: Option<Figure>,
}

/// A filled well of a plate map, with the current import's values for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct PlateWell {
    pub well: String,
    pub row: u8,
    pub column: u8,
    pub role: WellRole,
    pub sample_id: Option<Uuid>,
    pub sample_code: Option<String>,
    pub control_lot_id: Option<Uuid>,
    /// "Lyphochek 1 · L123", for a control.
    pub control_label: Option<String>,
    pub standard_name: Option<String>,
    pub concentration: Option<Figure>,
    pub values: Vec<WellValue>,
}

/// A plate with every filled well: a plate is one record, at most 1,536 wells.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct PlateMap {
    pub plate: PlateRecord,
    pub run_name: String,
    pub run_state: RunState,
    pub wells: Vec<PlateWell>,
}

/// A run a tube was on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct SampleRun {
    pub run_id: Uuid,
    pub run_name: String,
    pub instrument_name: String,
    pub state: RunState,
    pub plate_id: Uuid,
    pub plate_name: String,
    pub well: String,
    pub created_at: DateTime<Utc>,
}

/// Whether a recorded value counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum ResultStanding {
    /// Reported: the run's QC passed, or a lab manager released it.
    Reported,
    /// Held: QC rejected the run and no one has decided yet.
    Held,
    /// Withdrawn: the run is to be repeated.
    Withdrawn,
    /// A corrected file replaced it; kept as history.
    Superseded,
}

/// A value recorded for a tube.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct SampleResult {
    pub run_id: Uuid,
    pub run_name: String,
    pub instrument_name: String,
    pub import_id: Uuid,
    pub file_name: String,
    pub imported_at: DateTime<Utc>,
    pub plate_name: String,
    pub well: String,
    pub read: String,
    pub value: Reading,
    pub unit: Option<String>,
    pub standing: ResultStanding,
}

/// One import of a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct ResultImportRecord {
    pub id: Uuid,
    pub run_id: Uuid,
    pub file_name: String,
    pub sha256: String,
    pub format: ResultFormat,
    #[ts(type = "number")]
    pub result_count: i64,
    pub qc_verdict: Option<Verdict>,
    pub qc_rules: Vec<Rule>,
    pub qc_note: Option<String>,
    pub supersedes: Option<Uuid>,
    pub superseded_by: Option<Uuid>,
    pub reason: Option<String>,
    pub imported_at: DateTime<Utc>,
    pub imported_by: String,
}

/// A control's value in one run: a point of its Levey-Jennings chart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct ControlPoint {
    pub run_id: Uuid,
    pub run_name: String,
    pub import_id: Uuid,
    pub imported_at: DateTime<Utc>,
    pub well: String,
    pub value: Figure,
    pub z_score: Figure,
    pub run_state: RunState,
}

/// Which runs to list; every part is optional and applied in SQL.
#[derive(Debug, Clone, Default)]
pub struct RunFilter {
    /// Start of the run's name.
    pub search: Option<String>,
    pub instrument_id: Option<Uuid>,
    pub state: Option<RunState>,
}

// ---------------------------------------------------------------------------------------
// Loading

struct RunSql {
    id: String,
    name: String,
    instrument_id: String,
    instrument_name: String,
    result_format: String,
    state: String,
    qc_verdict: Option<String>,
    qc_rules: Option<String>,
    qc_note: Option<String>,
    current_import_id: Option<String>,
    decision_reason: Option<String>,
    plates: i64,
    samples: i64,
    created_at: String,
    updated_at: String,
}

fn verdict(text: Option<&str>) -> Result<Option<Verdict>> {
    text.map(|v| decode::<Verdict>("qc verdict", &format!("\"{v}\"")))
        .transpose()
}

fn verdict_text(v: Verdict) -> &'static str {
    match v {
        Verdict::Accepted => "accepted",
        Verdict::Warning => "warning",
        Verdict::Rejected => "rejected",
    }
}

impl TryFrom<RunSql> for RunRecord {
    type Error = StoreError;
    fn try_from(r: RunSql) -> Result<Self> {
        Ok(RunRecord {
            id: parse_uuid(&r.id)?,
            instrument_id: parse_uuid(&r.instrument_id)?,
            result_format: ResultFormat::parse(&r.result_format)
                .ok_or_else(|| bad("result format", &r.result_format))?,
            state: RunState::parse(&r.state).ok_or_else(|| bad("run state", &r.state))?,
            qc_verdict: verdict(r.qc_verdict.as_deref())?,
            qc_rules: r
                .qc_rules
                .as_deref()
                .map(|t| decode("qc rules", t))
                .transpose()?
                .unwrap_or_default(),
            qc_note: r.qc_note,
            current_import_id: r.current_import_id.as_deref().map(parse_uuid).transpose()?,
            decision_reason: r.decision_reason,
            name: r.name,
            instrument_name: r.instrument_name,
            plates: r.plates,
            samples: r.samples,
            created_at: parse_utc(&r.created_at)?,
            updated_at: parse_utc(&r.updated_at)?,
        })
    }
}

/// The one run SELECT; callers add the WHERE clause and its parameters.
macro_rules! select_runs {
    ($tail:literal, $($arg:expr),*) => {
        sqlx::query_as!(
            RunSql,
            r#"SELECT r.id AS "id!", r.name, r.instrument_id, i.name AS instrument_name,
                      i.result_format, r.state, r.qc_verdict, r.qc_rules, r.qc_note,
                      r.current_import_id, r.decision_reason,
                      (SELECT COUNT(*) FROM plates p WHERE p.run_id = r.id) AS "plates!: i64",
                      (SELECT COUNT(*) FROM plate_wells w JOIN plates p ON p.id = w.plate_id
                        WHERE p.run_id = r.id AND w.role = 'sample') AS "samples!: i64",
                      r.created_at, r.updated_at
               FROM runs r JOIN instruments i ON i.id = r.instrument_id "# + $tail,
            $($arg),*
        )
    };
}

async fn load_run(conn: &mut SqliteConnection, id: Uuid) -> Result<RunRecord> {
    let id = id.to_string();
    select_runs!("WHERE r.id = ?1", id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(DomainError::NotFound("run"))?
        .try_into()
}

struct PlateSql {
    id: String,
    run_id: String,
    ordinal: i64,
    name: String,
    format: String,
    template_id: Option<String>,
    filled: i64,
}

impl TryFrom<PlateSql> for PlateRecord {
    type Error = StoreError;
    fn try_from(p: PlateSql) -> Result<Self> {
        Ok(PlateRecord {
            id: parse_uuid(&p.id)?,
            run_id: parse_uuid(&p.run_id)?,
            ordinal: p.ordinal,
            format: PlateFormat::parse(&p.format).ok_or_else(|| bad("plate format", &p.format))?,
            template_id: p.template_id.as_deref().map(parse_uuid).transpose()?,
            name: p.name,
            filled: p.filled,
        })
    }
}

macro_rules! select_plates {
    ($tail:literal, $($arg:expr),*) => {
        sqlx::query_as!(
            PlateSql,
            r#"SELECT p.id AS "id!", p.run_id, p.ordinal, p.name, p.format, p.template_id,
                      (SELECT COUNT(*) FROM plate_wells w WHERE w.plate_id = p.id) AS "filled!: i64"
               FROM plates p "# + $tail,
            $($arg),*
        )
    };
}

async fn load_plate(conn: &mut SqliteConnection, id: Uuid) -> Result<PlateRecord> {
    let id = id.to_string();
    select_plates!("WHERE p.id = ?1", id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(DomainError::NotFound("plate"))?
        .try_into()
}

/// A filled well as the plate map has it (what an import must match).
struct MappedWell {
    role: WellRole,
    sample_id: Option<Uuid>,
    control_lot_id: Option<Uuid>,
}

async fn mapped_well(
    conn: &mut SqliteConnection,
    plate_id: Uuid,
    well: Position,
) -> Result<Option<MappedWell>> {
    let (plate, name) = (plate_id.to_string(), well.name());
    let row = sqlx::query!(
        "SELECT role, sample_id, control_lot_id FROM plate_wells WHERE plate_id = ?1 AND well = ?2",
        plate,
        name
    )
    .fetch_optional(&mut *conn)
    .await?;
    row.map(|r| {
        Ok(MappedWell {
            role: WellRole::parse(&r.role).ok_or_else(|| bad("well role", &r.role))?,
            sample_id: r.sample_id.as_deref().map(parse_uuid).transpose()?,
            control_lot_id: r.control_lot_id.as_deref().map(parse_uuid).transpose()?,
        })
    })
    .transpose()
}

// ---------------------------------------------------------------------------------------
// Applying commands

pub(crate) async fn apply(
    conn: &mut SqliteConnection,
    ctx: &Ctx<'_>,
    command: &Command,
) -> Result<Applied> {
    match command {
        Command::CreatePlateTemplate {
            template_id,
            name,
            format,
            layout,
        } => create_template(conn, ctx, *template_id, name, *format, layout).await,
        Command::CreateRun {
            run_id,
            instrument_id,
            name,
            plates,
        } => create_run(conn, ctx, *run_id, *instrument_id, name, plates).await,
        Command::FillWell {
            plate_id,
            sample_id,
            well,
            order,
        } => {
            fill_well(
                conn,
                ctx,
                command,
                *plate_id,
                *sample_id,
                well.as_deref(),
                *order,
            )
            .await
        }
        Command::ClearWell { plate_id, well, .. } => clear_well(conn, *plate_id, well).await,
        Command::ImportResults { .. } => import_results(conn, ctx, command).await,
        Command::DecideRun {
            run_id,
            decision,
            reason,
        } => decide_run(conn, ctx, *run_id, *decision, reason).await,
        _ => Err(StoreError::Decode(format!(
            "{} is not a run command",
            command.kind().as_str()
        ))),
    }
}

/// Refuses a control lot that is not the instrument's, or retired.
async fn check_control_lots(
    conn: &mut SqliteConnection,
    instrument_id: Option<Uuid>,
    layout: &[(Position, LayoutRole)],
) -> Result<()> {
    for (well, role) in layout {
        if let LayoutRole::Control { control_lot_id } = role {
            let id = control_lot_id.to_string();
            let lot = sqlx::query!(
                "SELECT instrument_id, material, lot, retired_at FROM control_lots WHERE id = ?1",
                id
            )
            .fetch_optional(&mut *conn)
            .await?
            .ok_or(DomainError::NotFound("control lot"))?;
            if lot.retired_at.is_some() {
                return Err(DomainError::Refused(format!(
                    "the control in {well} is {} lot {}, which is retired",
                    lot.material, lot.lot
                ))
                .into());
            }
            if let Some(instrument) = instrument_id {
                if lot.instrument_id != instrument.to_string() {
                    return Err(DomainError::Refused(format!(
                        "the control in {well} is {} lot {}, a target set for another instrument",
                        lot.material, lot.lot
                    ))
                    .into());
                }
            }
        }
    }
    Ok(())
}

async fn create_template(
    conn: &mut SqliteConnection,
    ctx: &Ctx<'_>,
    template_id: Uuid,
    name: &str,
    format: PlateFormat,
    layout: &[LayoutWell],
) -> Result<Applied> {
    let name = name_text("name", name)?;
    let checked = check_layout(format, layout)?;
    check_control_lots(conn, None, &checked).await?;
    let taken = sqlx::query_scalar!("SELECT COUNT(*) FROM plate_templates WHERE name = ?1", name)
        .fetch_one(&mut *conn)
        .await?;
    if taken > 0 {
        return Err(DomainError::Taken(format!("plate template name {name}")).into());
    }
    let stored: Vec<LayoutWell> = checked
        .iter()
        .map(|(w, c)| LayoutWell {
            well: w.name(),
            content: c.clone(),
        })
        .collect();
    let (id, fmt, json, now) = (
        template_id.to_string(),
        format.as_str(),
        encode(&stored)?,
        format_utc(ctx.now),
    );
    sqlx::query!(
        "INSERT INTO plate_templates (id, name, format, layout, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        id, name, fmt, json, now
    )
    .execute(&mut *conn)
    .await?;
    Ok(Change {
        entity_type: "plate_template",
        entity_id: id,
        old: None,
        new: Some(json!({"name": name, "format": format, "layout": stored})),
        subject_user_id: None,
    }
    .into())
}

async fn create_run(
    conn: &mut SqliteConnection,
    ctx: &Ctx<'_>,
    run_id: Uuid,
    instrument_id: Uuid,
    name: &str,
    plates: &[NewPlate],
) -> Result<Applied> {
    let name = name_text("name", name)?;
    let instrument = crate::instruments::load_instrument(conn, instrument_id).await?;
    if instrument.status != InstrumentStatus::InService {
        return Err(DomainError::Refused(format!(
            "{} is {}: runs go on an instrument in service",
            instrument.description.name,
            instrument.status.as_str().replace('_', " ")
        ))
        .into());
    }
    if plates.is_empty() || plates.len() > MAX_PLATES {
        return Err(
            DomainError::invalid("plates", format!("a run has 1 to {MAX_PLATES} plates")).into(),
        );
    }
    let taken = sqlx::query_scalar!("SELECT COUNT(*) FROM runs WHERE name = ?1", name)
        .fetch_one(&mut *conn)
        .await?;
    if taken > 0 {
        return Err(DomainError::Taken(format!("run name {name}")).into());
    }
    let now = format_utc(ctx.now);
    let (id, instrument_text, state) = (
        run_id.to_string(),
        instrument_id.to_string(),
        RunState::Planned.as_str(),
    );
    sqlx::query!(
        "INSERT INTO runs (id, instrument_id, name, state, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
        id, instrument_text, name, state, now
    )
    .execute(&mut *conn)
    .await?;
    let mut described = Vec::with_capacity(plates.len());
    let mut seen_names = std::collections::HashSet::new();
    for (ordinal, plate) in (1_i64..).zip(plates) {
        let plate_name = name_text("plate name", &plate.name)?;
        if !seen_names.insert(plate_name.clone()) {
            return Err(DomainError::invalid(
                "plates",
                format!("two plates are named {plate_name}"),
            )
            .into());
        }
        let taken = sqlx::query_scalar!("SELECT COUNT(*) FROM plates WHERE name = ?1", plate_name)
            .fetch_one(&mut *conn)
            .await?;
        if taken > 0 {
            return Err(DomainError::Taken(format!("plate name {plate_name}")).into());
        }
        if let Some(template) = plate.template_id {
            let t = template.to_string();
            let format = sqlx::query_scalar!("SELECT format FROM plate_templates WHERE id = ?1", t)
                .fetch_optional(&mut *conn)
                .await?
                .ok_or(DomainError::NotFound("plate template"))?;
            if format != plate.format.as_str() {
                return Err(DomainError::invalid(
                    "plates",
                    format!(
                        "{plate_name} is a {}-well plate; its template is for {format} wells",
                        plate.format.as_str()
                    ),
                )
                .into());
            }
        }
        let layout = check_layout(plate.format, &plate.layout)?;
        check_control_lots(conn, Some(instrument_id), &layout).await?;
        let (plate_id, format, template) = (
            plate.plate_id.to_string(),
            plate.format.as_str(),
            plate.template_id.map(|t| t.to_string()),
        );
        sqlx::query!(
            "INSERT INTO plates (id, run_id, ordinal, name, format, template_id, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            plate_id,
            id,
            ordinal,
            plate_name,
            format,
            template,
            now
        )
        .execute(&mut *conn)
        .await?;
        for (seq, (well, role)) in (0_i64..).zip(&layout) {
            insert_well(conn, &plate_id, *well, WellContent::Layout(role), seq, &now).await?;
        }
        described.push(json!({"plate_id": plate.plate_id, "name": plate_name,
            "format": plate.format, "template_id": plate.template_id, "layout_wells": layout.len()}));
    }
    Ok(Change {
        entity_type: "run",
        entity_id: id,
        old: None,
        new: Some(
            json!({"name": name, "instrument": instrument.description.name,
            "plates": described}),
        ),
        subject_user_id: None,
    }
    .into())
}

enum WellContent<'a> {
    Layout(&'a LayoutRole),
    Sample(Uuid),
}

async fn insert_well(
    conn: &mut SqliteConnection,
    plate_id: &str,
    well: Position,
    content: WellContent<'_>,
    seq: i64,
    now: &str,
) -> Result<()> {
    let (role, sample, lot, standard, concentration) = match content {
        WellContent::Sample(id) => (WellRole::Sample, Some(id.to_string()), None, None, None),
        WellContent::Layout(LayoutRole::Control { control_lot_id }) => (
            WellRole::Control,
            None,
            Some(control_lot_id.to_string()),
            None,
            None,
        ),
        WellContent::Layout(LayoutRole::Standard {
            name,
            concentration,
        }) => (
            WellRole::Standard,
            None,
            None,
            Some(name.clone()),
            concentration.map(|c| c.0),
        ),
        WellContent::Layout(LayoutRole::Blank) => (WellRole::Blank, None, None, None, None),
    };
    let (name, row, column, role) = (
        well.name(),
        i64::from(well.row),
        i64::from(well.column),
        role.as_str(),
    );
    sqlx::query!(
        "INSERT INTO plate_wells (plate_id, well, row_index, column_index, role, sample_id, control_lot_id,
                                  standard_name, concentration, filled_seq, filled_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        plate_id, name, row, column, role, sample, lot, standard, concentration, seq, now
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The plate and its run, refused unless the run's plates may still change.
async fn editable_plate(
    conn: &mut SqliteConnection,
    plate_id: Uuid,
) -> Result<(PlateRecord, RunRecord)> {
    let plate = load_plate(conn, plate_id).await?;
    let run = load_run(conn, plate.run_id).await?;
    if !run.state.plates_editable() {
        return Err(DomainError::Refused(format!(
            "run {} has results; its plate map is kept as it was read",
            run.name
        ))
        .into());
    }
    Ok((plate, run))
}

#[allow(clippy::too_many_arguments)]
async fn fill_well(
    conn: &mut SqliteConnection,
    ctx: &Ctx<'_>,
    command: &Command,
    plate_id: Uuid,
    sample_id: Uuid,
    well: Option<&str>,
    order: aliquot_domain::runs::FillOrder,
) -> Result<Applied> {
    let (plate, run) = editable_plate(conn, plate_id).await?;
    let sample = sample_id.to_string();
    let tube = sqlx::query!("SELECT code, status FROM samples WHERE id = ?1", sample)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(DomainError::NotFound("sample"))?;
    let status = SampleStatus::parse(&tube.status).ok_or_else(|| bad("status", &tube.status))?;
    match status {
        SampleStatus::Received
        | SampleStatus::Processing
        | SampleStatus::Stored
        | SampleStatus::CheckedOut => {}
        SampleStatus::Collected | SampleStatus::InTransit => {
            return Err(DomainError::NotReceived { code: tube.code }.into())
        }
        other => {
            return Err(DomainError::Refused(format!(
                "{} is {}: it cannot go on a plate",
                tube.code,
                other.as_str().replace('_', " ")
            ))
            .into())
        }
    }
    let plate_text = plate_id.to_string();
    if let Some(at) = sqlx::query_scalar!(
        "SELECT well FROM plate_wells WHERE plate_id = ?1 AND sample_id = ?2",
        plate_text,
        sample
    )
    .fetch_optional(&mut *conn)
    .await?
    {
        return Err(DomainError::Refused(format!(
            "{} is already in {at} of {}",
            tube.code, plate.name
        ))
        .into());
    }
    let filled: Vec<(String, i64)> = sqlx::query!(
        "SELECT well, filled_seq FROM plate_wells WHERE plate_id = ?1",
        plate_text
    )
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(|r| (r.well, r.filled_seq))
    .collect();
    let taken: std::collections::HashSet<Position> = filled
        .iter()
        .filter_map(|(w, _)| Position::parse(w))
        .collect();
    let chosen = match well {
        Some(text) => {
            let w = plate.format.well(text)?;
            if taken.contains(&w) {
                return Err(DomainError::Refused(format!(
                    "{w} of {} is taken; choose an empty well",
                    plate.name
                ))
                .into());
            }
            w
        }
        None => {
            let last_sample = sqlx::query_scalar!(
                "SELECT well FROM plate_wells WHERE plate_id = ?1 AND role = 'sample'
                 ORDER BY filled_seq DESC LIMIT 1",
                plate_text
            )
            .fetch_optional(&mut *conn)
            .await?
            .and_then(|w| Position::parse(&w));
            plate
                .format
                .next_free_well(order, last_sample, |w| taken.contains(&w))
                .ok_or_else(|| DomainError::Refused(format!("{} is full", plate.name)))?
        }
    };
    let seq = filled.iter().map(|(_, s)| *s).max().map_or(0, |s| s + 1);
    insert_well(
        conn,
        &plate_text,
        chosen,
        WellContent::Sample(sample_id),
        seq,
        &format_utc(ctx.now),
    )
    .await?;
    let fact =
        json!({"run": run.name, "plate": plate.name, "well": chosen.name(), "sample": tube.code});
    let mut applied = Applied::per_record(vec![
        Change {
            entity_type: "plate",
            entity_id: plate_text,
            old: None,
            new: Some(fact.clone()),
            subject_user_id: None,
        },
        Change {
            entity_type: "sample",
            entity_id: tube.code.clone(),
            old: None,
            new: Some(fact),
            subject_user_id: None,
        },
    ])?;
    if well.is_none() {
        if let Command::FillWell {
            plate_id,
            sample_id,
            order,
            ..
        } = command
        {
            applied.resolved = Some(Command::FillWell {
                plate_id: *plate_id,
                sample_id: *sample_id,
                well: Some(chosen.name()),
                order: *order,
            });
        }
    }
    Ok(applied)
}

async fn clear_well(conn: &mut SqliteConnection, plate_id: Uuid, well: &str) -> Result<Applied> {
    let (plate, run) = editable_plate(conn, plate_id).await?;
    let w = plate.format.well(well)?;
    let (plate_text, name) = (plate_id.to_string(), w.name());
    let row = sqlx::query!(
        "SELECT w.role, w.sample_id, s.code AS \"code?\" FROM plate_wells w
         LEFT JOIN samples s ON s.id = w.sample_id WHERE w.plate_id = ?1 AND w.well = ?2",
        plate_text,
        name
    )
    .fetch_optional(&mut *conn)
    .await?
    .ok_or_else(|| DomainError::Refused(format!("{name} of {} is empty", plate.name)))?;
    sqlx::query!(
        "DELETE FROM plate_wells WHERE plate_id = ?1 AND well = ?2",
        plate_text,
        name
    )
    .execute(&mut *conn)
    .await?;
    let fact = json!({"run": run.name, "plate": plate.name, "well": name, "role": row.role,
        "sample": row.code});
    let mut changes = vec![Change {
        entity_type: "plate",
        entity_id: plate_text,
        old: Some(fact.clone()),
        new: None,
        subject_user_id: None,
    }];
    if let Some(code) = row.code {
        changes.push(Change {
            entity_type: "sample",
            entity_id: code,
            old: Some(fact),
            new: None,
            subject_user_id: None,
        });
    }
    Applied::per_record(changes)
}

/// A value's columns as stored.
pub(crate) struct ValueColumns<'a> {
    pub kind: &'static str,
    pub value: Option<f64>,
    pub bound: Option<&'static str>,
    pub flag: Option<&'static str>,
    pub text: Option<&'a str>,
}

pub(crate) fn value_columns(r: &Reading) -> ValueColumns<'_> {
    match r {
        Reading::Number { value } => ValueColumns {
            kind: "number",
            value: Some(*value),
            bound: None,
            flag: None,
            text: None,
        },
        Reading::Censored { bound, limit, text } => ValueColumns {
            kind: "censored",
            value: *limit,
            bound: Some(match bound {
                Bound::Below => "below",
                Bound::Above => "above",
            }),
            flag: None,
            text: Some(text),
        },
        Reading::Flagged { flag, text } => ValueColumns {
            kind: "flagged",
            value: None,
            bound: None,
            flag: Some(flag_text(*flag)),
            text: Some(text),
        },
    }
}

fn flag_text(flag: Flag) -> &'static str {
    match flag {
        Flag::Overflow => "overflow",
        Flag::Missed => "missed",
        Flag::Undetermined => "undetermined",
        Flag::NotANumber => "not_a_number",
        Flag::Other => "other",
    }
}

pub(crate) fn reading_from(
    kind: &str,
    value: Option<f64>,
    bound: Option<&str>,
    flag: Option<&str>,
    text: Option<String>,
) -> Result<Reading> {
    Ok(match kind {
        "number" => Reading::Number {
            value: value.ok_or_else(|| bad("number", "missing"))?,
        },
        "censored" => Reading::Censored {
            bound: match bound {
                Some("below") => Bound::Below,
                Some("above") => Bound::Above,
                other => return Err(bad("bound", other.unwrap_or(""))),
            },
            limit: value,
            text: text.unwrap_or_default(),
        },
        "flagged" => Reading::Flagged {
            flag: match flag.unwrap_or("") {
                "overflow" => Flag::Overflow,
                "missed" => Flag::Missed,
                "undetermined" => Flag::Undetermined,
                "not_a_number" => Flag::NotANumber,
                "other" => Flag::Other,
                other => return Err(bad("flag", other)),
            },
            text: text.unwrap_or_default(),
        },
        other => return Err(bad("value kind", other)),
    })
}

/// A control lot's target, for QC.
struct Target {
    label: String,
    read: String,
    mean: f64,
    sd: f64,
}

async fn import_results(
    conn: &mut SqliteConnection,
    ctx: &Ctx<'_>,
    command: &Command,
) -> Result<Applied> {
    let Command::ImportResults {
        import_id,
        run_id,
        file_name,
        sha256,
        format,
        results,
        supersedes,
        reason,
    } = command
    else {
        return Err(StoreError::Decode("not an import".into()));
    };
    let run = load_run(conn, *run_id).await?;
    if !run.state.takes_results() {
        return Err(DomainError::Refused(format!(
            "run {} is {}: it takes no more results",
            run.name,
            run.state.as_str()
        ))
        .into());
    }
    let file_name = name_text("file_name", file_name)?;
    if sha256.len() != 64 || !sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(DomainError::invalid("sha256", "64 hexadecimal characters").into());
    }
    let sha = sha256.to_ascii_lowercase();
    let run_text = run_id.to_string();
    if let Some(at) = sqlx::query_scalar!(
        "SELECT imported_at FROM result_imports WHERE run_id = ?1 AND sha256 = ?2",
        run_text,
        sha
    )
    .fetch_optional(&mut *conn)
    .await?
    {
        return Err(DomainError::Refused(format!(
            "this file was already imported into run {} at {at}",
            run.name
        ))
        .into());
    }
    match (run.current_import_id, supersedes) {
        (None, None) => {}
        (Some(current), Some(s)) if current == *s => {
            if reason.is_none() {
                return Err(DomainError::invalid(
                    "reason",
                    "a corrected file supersedes the run's results: say why",
                )
                .into());
            }
        }
        (Some(_), None) => {
            return Err(DomainError::Refused(format!(
                "run {} already has results; a corrected file supersedes them, with a reason",
                run.name
            ))
            .into())
        }
        _ => {
            return Err(DomainError::Refused(format!(
                "the import superseded is not run {}'s current results",
                run.name
            ))
            .into())
        }
    }
    if results.is_empty() {
        return Err(DomainError::invalid("results", "no value matched the plate map").into());
    }
    if *format != run.result_format {
        return Err(DomainError::invalid(
            "format",
            format!(
                "{} writes {} files, not {}",
                run.instrument_name,
                run.result_format.as_str(),
                format.as_str()
            ),
        )
        .into());
    }

    // Check every value against the plate map, as the preview matched it.
    let mut plates: BTreeMap<Uuid, PlateRecord> = BTreeMap::new();
    let mut checked = Vec::with_capacity(results.len());
    for r in results {
        r.value.check()?;
        let read = r.read.trim();
        if read.is_empty() {
            return Err(DomainError::invalid("results", "a value without its read").into());
        }
        if let std::collections::btree_map::Entry::Vacant(e) = plates.entry(r.plate_id) {
            let plate = load_plate(conn, r.plate_id).await?;
            if plate.run_id != *run_id {
                return Err(DomainError::Refused(format!(
                    "plate {} is not a plate of run {}",
                    plate.name, run.name
                ))
                .into());
            }
            e.insert(plate);
        }
        let plate = &plates[&r.plate_id];
        let well = plate.format.well(&r.well)?;
        let mapped = mapped_well(conn, r.plate_id, well).await?.ok_or_else(|| {
            DomainError::Refused(format!(
                "{well} of {} holds nothing: the plate map changed since the preview",
                plate.name
            ))
        })?;
        if mapped.sample_id != r.sample_id || mapped.control_lot_id != r.control_lot_id {
            return Err(DomainError::Refused(format!(
                "{well} of {} holds something else now: the plate map changed since the preview",
                plate.name
            ))
            .into());
        }
        checked.push((r, well, mapped.role, read));
    }

    // QC: each control lot's values for its read, as distances from its target.
    let mut targets: BTreeMap<Uuid, Target> = BTreeMap::new();
    for (r, ..) in &checked {
        if let Some(lot) = r.control_lot_id {
            if let std::collections::btree_map::Entry::Vacant(e) = targets.entry(lot) {
                let id = lot.to_string();
                let t = sqlx::query!(
                    "SELECT material, lot, read, target_mean, target_sd FROM control_lots WHERE id = ?1",
                    id
                )
                .fetch_one(&mut *conn)
                .await?;
                e.insert(Target {
                    label: format!("{} lot {}", t.material, t.lot),
                    read: t.read,
                    mean: t.target_mean,
                    sd: t.target_sd,
                });
            }
        }
    }
    let mut this_run: BTreeMap<Uuid, Vec<f64>> = BTreeMap::new();
    let mut notes = Vec::new();
    let mut z_of = Vec::with_capacity(checked.len());
    for (r, well, ..) in &checked {
        let z = match r
            .control_lot_id
            .and_then(|l| targets.get(&l).map(|t| (l, t)))
        {
            Some((lot, t)) if r.read.trim() == t.read => match r.value.number() {
                Some(v) => {
                    let z = qc::z_score(v, t.mean, t.sd);
                    if let Some(z) = z {
                        this_run.entry(lot).or_default().push(z);
                    }
                    z
                }
                None => {
                    notes.push(format!("{} in {well} has no number ({})", t.label, t.read));
                    None
                }
            },
            _ => None,
        };
        z_of.push(z);
    }
    for (lot, t) in &targets {
        if !this_run.contains_key(lot) && !notes.iter().any(|n| n.starts_with(&t.label)) {
            notes.push(format!("{} has no value for its read {}", t.label, t.read));
        }
    }
    let mut earlier: BTreeMap<Uuid, Vec<f64>> = BTreeMap::new();
    for lot in this_run.keys() {
        let lot_text = lot.to_string();
        // Ten in a row needs at most nine before this run.
        let mut zs: Vec<f64> = sqlx::query_scalar!(
            r#"SELECT r.z_score AS "z!: f64" FROM results r JOIN result_imports i ON i.id = r.import_id
               WHERE r.control_lot_id = ?1 AND r.z_score IS NOT NULL AND i.superseded_by IS NULL
                 AND i.run_id <> ?2
               ORDER BY i.imported_at DESC, r.seq DESC LIMIT 9"#,
            lot_text,
            run_text
        )
        .fetch_all(&mut *conn)
        .await?;
        zs.reverse();
        earlier.insert(*lot, zs);
    }
    let series: Vec<ControlSeries<'_>> = this_run
        .iter()
        .map(|(lot, zs)| ControlSeries {
            earlier: earlier.get(lot).map_or(&[][..], Vec::as_slice),
            this_run: zs,
        })
        .collect();
    let evaluation = qc::evaluate(&series);
    // A control QC could not judge holds the run as a broken rule would.
    let verdict = if targets.is_empty() {
        None
    } else if notes.is_empty() {
        Some(evaluation.verdict)
    } else {
        Some(Verdict::Rejected)
    };
    let note = (!notes.is_empty()).then(|| notes.join("; "));
    let state = if verdict == Some(Verdict::Rejected) {
        RunState::Held
    } else {
        RunState::Resulted
    };

    let now = format_utc(ctx.now);
    let (id, fmt, count, verdict_txt, rules, superseded, by) = (
        import_id.to_string(),
        format.as_str(),
        i64::try_from(checked.len()).unwrap_or(i64::MAX),
        verdict.map(verdict_text),
        encode(&evaluation.broken)?,
        supersedes.map(|s| s.to_string()),
        ctx.actor.username.clone(),
    );
    sqlx::query!(
        "INSERT INTO result_imports (id, run_id, file_name, sha256, format, result_count, qc_verdict,
                                     qc_rules, qc_note, supersedes, reason, imported_at, imported_by)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
        id, run_text, file_name, sha, fmt, count, verdict_txt, rules, note, superseded, reason, now, by
    )
    .execute(&mut *conn)
    .await?;
    if let Some(old) = &superseded {
        sqlx::query!(
            "UPDATE result_imports SET superseded_by = ?1 WHERE id = ?2",
            id,
            old
        )
        .execute(&mut *conn)
        .await?;
    }
    let mut per_sample: BTreeMap<Uuid, Vec<serde_json::Value>> = BTreeMap::new();
    for (seq, ((r, well, role, read), z)) in (0_i64..).zip(checked.iter().zip(&z_of)) {
        let v = value_columns(&r.value);
        let (plate, well_name, role_text, sample, lot, unit) = (
            r.plate_id.to_string(),
            well.name(),
            role.as_str(),
            r.sample_id.map(|s| s.to_string()),
            r.control_lot_id.map(|l| l.to_string()),
            r.unit.as_deref().map(str::trim).filter(|u| !u.is_empty()),
        );
        sqlx::query!(
            "INSERT INTO results (import_id, seq, run_id, plate_id, well, role, sample_id, control_lot_id,
                                  read, value_kind, value, bound, flag, text, unit, z_score)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
            id, seq, run_text, plate, well_name, role_text, sample, lot, read, v.kind, v.value,
            v.bound, v.flag, v.text, unit, *z
        )
        .execute(&mut *conn)
        .await?;
        if let Some(s) = r.sample_id {
            per_sample.entry(s).or_default().push(
                json!({"plate": plates[&r.plate_id].name, "well": well_name, "read": read,
                       "value": r.value, "unit": unit}),
            );
        }
    }
    let (state_text, rules_text) = (state.as_str(), encode(&evaluation.broken)?);
    sqlx::query!(
        "UPDATE runs SET state = ?1, qc_verdict = ?2, qc_rules = ?3, qc_note = ?4, current_import_id = ?5,
                         updated_at = ?6 WHERE id = ?7",
        state_text, verdict_txt, rules_text, note, id, now, run_text
    )
    .execute(&mut *conn)
    .await?;
    let mut changes = vec![Change {
        entity_type: "run",
        entity_id: run_text.clone(),
        old: run
            .current_import_id
            .map(|i| json!({"import": i, "state": run.state})),
        new: Some(
            json!({"import": id, "file": file_name, "sha256": sha, "results": count,
            "qc": verdict, "rules": evaluation.broken, "note": note, "state": state}),
        ),
        subject_user_id: None,
    }];
    let codes = crate::samples::codes_of(conn, per_sample.keys()).await?;
    for (sample, values) in per_sample {
        changes.push(Change {
            entity_type: "sample",
            entity_id: codes.get(&sample).cloned().ok_or_else(|| {
                StoreError::Decode(format!(
                    "a result names tube {sample}, which is not in the lab"
                ))
            })?,
            old: None,
            new: Some(json!({"run": run.name, "import": id, "state": state, "results": values})),
            subject_user_id: None,
        });
    }
    Applied::per_record(changes)
}

async fn decide_run(
    conn: &mut SqliteConnection,
    ctx: &Ctx<'_>,
    run_id: Uuid,
    decision: RunDecision,
    reason: &str,
) -> Result<Applied> {
    let run = load_run(conn, run_id).await?;
    if run.state != RunState::Held {
        return Err(DomainError::Refused(format!(
            "run {} is {}: only a run QC held is released or repeated",
            run.name,
            run.state.as_str()
        ))
        .into());
    }
    let to = match decision {
        RunDecision::Release => RunState::Released,
        RunDecision::Repeat => RunState::Repeat,
    };
    let (id, state, now) = (run_id.to_string(), to.as_str(), format_utc(ctx.now));
    sqlx::query!(
        "UPDATE runs SET state = ?1, decision_reason = ?2, updated_at = ?3 WHERE id = ?4",
        state,
        reason,
        now,
        id
    )
    .execute(&mut *conn)
    .await?;
    let samples: Vec<String> = sqlx::query_scalar!(
        r#"SELECT DISTINCT s.code AS "s!" FROM results r JOIN samples s ON s.id = r.sample_id
           WHERE r.import_id = (SELECT current_import_id FROM runs WHERE id = ?1)
           ORDER BY s.code"#,
        id
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut changes = vec![Change {
        entity_type: "run",
        entity_id: id,
        old: Some(json!({"state": run.state})),
        new: Some(json!({"state": to, "decision": decision})),
        subject_user_id: None,
    }];
    for s in samples {
        changes.push(Change {
            entity_type: "sample",
            entity_id: s,
            old: Some(json!({"run": run.name, "results": "held"})),
            new: Some(json!({"run": run.name, "results": match decision {
                RunDecision::Release => "reported",
                RunDecision::Repeat => "withdrawn: the run is repeated",
            }})),
            subject_user_id: None,
        });
    }
    Applied::per_record(changes)
}

// ---------------------------------------------------------------------------------------
// Queries

fn standing(state: RunState, superseded: bool) -> ResultStanding {
    if superseded {
        ResultStanding::Superseded
    } else {
        match state {
            RunState::Held => ResultStanding::Held,
            RunState::Repeat => ResultStanding::Withdrawn,
            _ => ResultStanding::Reported,
        }
    }
}

impl Store {
    /// A page of the runs, newest first, narrowed by `filter`.
    pub async fn runs(&self, filter: &RunFilter, request: PageRequest) -> Result<Page<RunRecord>> {
        let page = request.validate()?;
        let search = crate::starts_with(filter.search.as_deref());
        let instrument = filter.instrument_id.map(|i| i.to_string());
        let state = filter.state.map(RunState::as_str);
        let (limit, offset) = (page.limit(), page.offset());
        let total = sqlx::query_scalar!(
            r#"SELECT COUNT(*) AS "n!: i64" FROM runs r
               WHERE (?1 IS NULL OR r.name LIKE ?1) AND (?2 IS NULL OR r.instrument_id = ?2)
                 AND (?3 IS NULL OR r.state = ?3)"#,
            search,
            instrument,
            state
        )
        .fetch_one(&self.pool)
        .await?;
        let items = select_runs!(
            "WHERE (?1 IS NULL OR r.name LIKE ?1) AND (?2 IS NULL OR r.instrument_id = ?2)
               AND (?3 IS NULL OR r.state = ?3)
             ORDER BY r.created_at DESC, r.id DESC LIMIT ?4 OFFSET ?5",
            search,
            instrument,
            state,
            limit,
            offset
        )
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .map(RunRecord::try_from)
        .collect::<Result<Vec<_>>>()?;
        Ok(Page::new(items, page, u64::try_from(total).unwrap_or(0)))
    }

    pub async fn run(&self, id: Uuid) -> Result<RunRecord> {
        let mut conn = self.pool.acquire().await?;
        load_run(&mut conn, id).await
    }

    /// A page of a run's plates, in their order.
    pub async fn plates(&self, run_id: Uuid, request: PageRequest) -> Result<Page<PlateRecord>> {
        let page = request.validate()?;
        let (id, limit, offset) = (run_id.to_string(), page.limit(), page.offset());
        let total = sqlx::query_scalar!(
            r#"SELECT COUNT(*) AS "n!: i64" FROM plates WHERE run_id = ?1"#,
            id
        )
        .fetch_one(&self.pool)
        .await?;
        let items = select_plates!(
            "WHERE p.run_id = ?1 ORDER BY p.ordinal LIMIT ?2 OFFSET ?3",
            id,
            limit,
            offset
        )
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .map(PlateRecord::try_from)
        .collect::<Result<Vec<_>>>()?;
        Ok(Page::new(items, page, u64::try_from(total).unwrap_or(0)))
    }

    pub async fn plate(&self, id: Uuid) -> Result<PlateRecord> {
        let mut conn = self.pool.acquire().await?;
        load_plate(&mut conn, id).await
    }

    /// The plate by the name its label carries (a scanned plate label).
    pub async fn plate_by_name(&self, name: &str) -> Result<Option<PlateRecord>> {
        let name = name.trim();
        select_plates!("WHERE p.name = ?1", name)
            .fetch_optional(&self.pool)
            .await?
            .map(PlateRecord::try_from)
            .transpose()
    }

    /// The plate with every filled well and the current import's values.
    pub async fn plate_map(&self, plate_id: Uuid) -> Result<PlateMap> {
        let mut conn = self.pool.acquire().await?;
        let plate = load_plate(&mut conn, plate_id).await?;
        let run = load_run(&mut conn, plate.run_id).await?;
        let id = plate_id.to_string();
        let rows = sqlx::query!(
            r#"SELECT w.well, w.row_index, w.column_index, w.role, w.sample_id, s.code AS "code?",
                      w.control_lot_id, c.material AS "material?", c.lot AS "lot?",
                      w.standard_name, w.concentration
               FROM plate_wells w
               LEFT JOIN samples s ON s.id = w.sample_id
               LEFT JOIN control_lots c ON c.id = w.control_lot_id
               WHERE w.plate_id = ?1 ORDER BY w.row_index, w.column_index"#,
            id
        )
        .fetch_all(&mut *conn)
        .await?;
        let current = run.current_import_id.map(|i| i.to_string());
        let mut values: BTreeMap<String, Vec<WellValue>> = BTreeMap::new();
        if let Some(import) = &current {
            let found = sqlx::query!(
                "SELECT well, read, value_kind, value, bound, flag, text, unit, z_score FROM results
                 WHERE import_id = ?1 AND plate_id = ?2 ORDER BY seq",
                import,
                id
            )
            .fetch_all(&mut *conn)
            .await?;
            for v in found {
                values.entry(v.well).or_default().push(WellValue {
                    read: v.read,
                    value: reading_from(
                        &v.value_kind,
                        v.value,
                        v.bound.as_deref(),
                        v.flag.as_deref(),
                        v.text,
                    )?,
                    unit: v.unit,
                    z_score: v.z_score.map(Figure),
                });
            }
        }
        let wells = rows
            .into_iter()
            .map(|w| {
                Ok(PlateWell {
                    values: values.remove(&w.well).unwrap_or_default(),
                    row: u8::try_from(w.row_index).map_err(|_| bad("row", &w.well))?,
                    column: u8::try_from(w.column_index).map_err(|_| bad("column", &w.well))?,
                    role: WellRole::parse(&w.role).ok_or_else(|| bad("role", &w.role))?,
                    sample_id: w.sample_id.as_deref().map(parse_uuid).transpose()?,
                    sample_code: w.code,
                    control_lot_id: w.control_lot_id.as_deref().map(parse_uuid).transpose()?,
                    control_label: w.material.zip(w.lot).map(|(m, l)| format!("{m} · {l}")),
                    standard_name: w.standard_name,
                    concentration: w.concentration.map(Figure),
                    well: w.well,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(PlateMap {
            run_name: run.name,
            run_state: run.state,
            plate,
            wells,
        })
    }

    /// A page of the runs a tube was on, newest first.
    pub async fn sample_runs(
        &self,
        sample_id: Uuid,
        request: PageRequest,
    ) -> Result<Page<SampleRun>> {
        let page = request.validate()?;
        let (id, limit, offset) = (sample_id.to_string(), page.limit(), page.offset());
        let total = sqlx::query_scalar!(
            r#"SELECT COUNT(*) AS "n!: i64" FROM plate_wells WHERE sample_id = ?1"#,
            id
        )
        .fetch_one(&self.pool)
        .await?;
        let items = sqlx::query!(
            r#"SELECT r.id AS "run_id!", r.name AS run_name, i.name AS instrument_name, r.state,
                      p.id AS "plate_id!", p.name AS plate_name, w.well, r.created_at
               FROM plate_wells w JOIN plates p ON p.id = w.plate_id
               JOIN runs r ON r.id = p.run_id JOIN instruments i ON i.id = r.instrument_id
               WHERE w.sample_id = ?1 ORDER BY r.created_at DESC, r.id DESC LIMIT ?2 OFFSET ?3"#,
            id,
            limit,
            offset
        )
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .map(|r| {
            Ok(SampleRun {
                run_id: parse_uuid(&r.run_id)?,
                state: RunState::parse(&r.state).ok_or_else(|| bad("state", &r.state))?,
                plate_id: parse_uuid(&r.plate_id)?,
                run_name: r.run_name,
                instrument_name: r.instrument_name,
                plate_name: r.plate_name,
                well: r.well,
                created_at: parse_utc(&r.created_at)?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
        Ok(Page::new(items, page, u64::try_from(total).unwrap_or(0)))
    }

    /// A page of the values recorded for a tube, newest first, superseded ones included
    /// (marked) unless `current_only`.
    pub async fn sample_results(
        &self,
        sample_id: Uuid,
        current_only: bool,
        request: PageRequest,
    ) -> Result<Page<SampleResult>> {
        let page = request.validate()?;
        let (id, limit, offset) = (sample_id.to_string(), page.limit(), page.offset());
        let total = sqlx::query_scalar!(
            r#"SELECT COUNT(*) AS "n!: i64" FROM results x JOIN result_imports m ON m.id = x.import_id
               WHERE x.sample_id = ?1 AND (NOT ?2 OR m.superseded_by IS NULL)"#,
            id,
            current_only
        )
        .fetch_one(&self.pool)
        .await?;
        let items = sqlx::query!(
            r#"SELECT r.id AS "run_id!", r.name AS run_name, i.name AS instrument_name, r.state,
                      m.id AS "import_id!", m.file_name, m.imported_at, m.superseded_by,
                      p.name AS plate_name, x.well, x.read, x.value_kind, x.value, x.bound,
                      x.flag, x.text, x.unit
               FROM results x JOIN result_imports m ON m.id = x.import_id
               JOIN runs r ON r.id = x.run_id JOIN instruments i ON i.id = r.instrument_id
               JOIN plates p ON p.id = x.plate_id
               WHERE x.sample_id = ?1 AND (NOT ?2 OR m.superseded_by IS NULL)
               ORDER BY m.imported_at DESC, x.seq LIMIT ?3 OFFSET ?4"#,
            id,
            current_only,
            limit,
            offset
        )
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .map(|r| {
            let state = RunState::parse(&r.state).ok_or_else(|| bad("state", &r.state))?;
            Ok(SampleResult {
                run_id: parse_uuid(&r.run_id)?,
                import_id: parse_uuid(&r.import_id)?,
                imported_at: parse_utc(&r.imported_at)?,
                value: reading_from(
                    &r.value_kind,
                    r.value,
                    r.bound.as_deref(),
                    r.flag.as_deref(),
                    r.text,
                )?,
                standing: standing(state, r.superseded_by.is_some()),
                run_name: r.run_name,
                instrument_name: r.instrument_name,
                file_name: r.file_name,
                plate_name: r.plate_name,
                well: r.well,
                read: r.read,
                unit: r.unit,
            })
        })
        .collect::<Result<Vec<_>>>()?;
        Ok(Page::new(items, page, u64::try_from(total).unwrap_or(0)))
    }

    /// A page of a run's imports, newest first: the current one and those it superseded.
    pub async fn result_imports(
        &self,
        run_id: Uuid,
        request: PageRequest,
    ) -> Result<Page<ResultImportRecord>> {
        let page = request.validate()?;
        let (id, limit, offset) = (run_id.to_string(), page.limit(), page.offset());
        let total = sqlx::query_scalar!(
            r#"SELECT COUNT(*) AS "n!: i64" FROM result_imports WHERE run_id = ?1"#,
            id
        )
        .fetch_one(&self.pool)
        .await?;
        let items = sqlx::query!(
            r#"SELECT id AS "id!", run_id, file_name, sha256, format, result_count, qc_verdict, qc_rules,
                      qc_note, supersedes, superseded_by, reason, imported_at, imported_by
               FROM result_imports WHERE run_id = ?1
               ORDER BY imported_at DESC, id DESC LIMIT ?2 OFFSET ?3"#,
            id,
            limit,
            offset
        )
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .map(|m| {
            Ok(ResultImportRecord {
                id: parse_uuid(&m.id)?,
                run_id: parse_uuid(&m.run_id)?,
                format: ResultFormat::parse(&m.format).ok_or_else(|| bad("format", &m.format))?,
                qc_verdict: verdict(m.qc_verdict.as_deref())?,
                qc_rules: m
                    .qc_rules
                    .as_deref()
                    .map(|t| decode("qc rules", t))
                    .transpose()?
                    .unwrap_or_default(),
                supersedes: m.supersedes.as_deref().map(parse_uuid).transpose()?,
                superseded_by: m.superseded_by.as_deref().map(parse_uuid).transpose()?,
                imported_at: parse_utc(&m.imported_at)?,
                file_name: m.file_name,
                sha256: m.sha256,
                result_count: m.result_count,
                qc_note: m.qc_note,
                reason: m.reason,
                imported_by: m.imported_by,
            })
        })
        .collect::<Result<Vec<_>>>()?;
        Ok(Page::new(items, page, u64::try_from(total).unwrap_or(0)))
    }

    /// The import of a run that took the file with this SHA-256, if one did.
    pub async fn import_of_file(
        &self,
        run_id: Uuid,
        sha256: &str,
    ) -> Result<Option<(Uuid, DateTime<Utc>)>> {
        let (id, sha) = (run_id.to_string(), sha256.to_ascii_lowercase());
        sqlx::query!(
            r#"SELECT id AS "id!", imported_at FROM result_imports WHERE run_id = ?1 AND sha256 = ?2"#,
            id,
            sha
        )
        .fetch_optional(&self.pool)
        .await?
        .map(|r| Ok((parse_uuid(&r.id)?, parse_utc(&r.imported_at)?)))
        .transpose()
    }

    /// The run of an instrument that took the file with this SHA-256, and the import, if
    /// one did: a watch folder's copy of a file already imported is the same file.
    pub async fn instrument_import_of_file(
        &self,
        instrument_id: Uuid,
        sha256: &str,
    ) -> Result<Option<(Uuid, Uuid)>> {
        let (id, sha) = (instrument_id.to_string(), sha256.to_ascii_lowercase());
        sqlx::query!(
            r#"SELECT m.id AS "id!", m.run_id FROM result_imports m JOIN runs r ON r.id = m.run_id
               WHERE r.instrument_id = ?1 AND m.sha256 = ?2 ORDER BY m.imported_at LIMIT 1"#,
            id,
            sha
        )
        .fetch_optional(&self.pool)
        .await?
        .map(|r| Ok((parse_uuid(&r.run_id)?, parse_uuid(&r.id)?)))
        .transpose()
    }

    /// A page of a control lot's values in current imports, oldest first: the points of
    /// its Levey-Jennings chart.
    pub async fn control_points(
        &self,
        control_lot_id: Uuid,
        request: PageRequest,
    ) -> Result<Page<ControlPoint>> {
        let page = request.validate()?;
        let (id, limit, offset) = (control_lot_id.to_string(), page.limit(), page.offset());
        let total = sqlx::query_scalar!(
            r#"SELECT COUNT(*) AS "n!: i64" FROM results x JOIN result_imports m ON m.id = x.import_id
               WHERE x.control_lot_id = ?1 AND x.z_score IS NOT NULL AND m.superseded_by IS NULL"#,
            id
        )
        .fetch_one(&self.pool)
        .await?;
        let items = sqlx::query!(
            r#"SELECT r.id AS "run_id!", r.name AS run_name, r.state, m.id AS "import_id!",
                      m.imported_at, x.well, x.value AS "value!: f64", x.z_score AS "z!: f64"
               FROM results x JOIN result_imports m ON m.id = x.import_id JOIN runs r ON r.id = x.run_id
               WHERE x.control_lot_id = ?1 AND x.z_score IS NOT NULL AND m.superseded_by IS NULL
               ORDER BY m.imported_at, x.seq LIMIT ?2 OFFSET ?3"#,
            id,
            limit,
            offset
        )
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .map(|p| {
            Ok(ControlPoint {
                run_id: parse_uuid(&p.run_id)?,
                import_id: parse_uuid(&p.import_id)?,
                imported_at: parse_utc(&p.imported_at)?,
                run_state: RunState::parse(&p.state).ok_or_else(|| bad("state", &p.state))?,
                run_name: p.run_name,
                well: p.well,
                value: Figure(p.value),
                z_score: Figure(p.z),
            })
        })
        .collect::<Result<Vec<_>>>()?;
        Ok(Page::new(items, page, u64::try_from(total).unwrap_or(0)))
    }

    /// A page of the plate templates by name, optionally of one format.
    pub async fn plate_templates(
        &self,
        format: Option<PlateFormat>,
        request: PageRequest,
    ) -> Result<Page<PlateTemplateRecord>> {
        let page = request.validate()?;
        let (fmt, limit, offset) = (format.map(PlateFormat::as_str), page.limit(), page.offset());
        let total = sqlx::query_scalar!(
            r#"SELECT COUNT(*) AS "n!: i64" FROM plate_templates WHERE (?1 IS NULL OR format = ?1)"#,
            fmt
        )
        .fetch_one(&self.pool)
        .await?;
        let items = sqlx::query!(
            r#"SELECT id AS "id!", name, format, layout, created_at FROM plate_templates
               WHERE (?1 IS NULL OR format = ?1) ORDER BY name LIMIT ?2 OFFSET ?3"#,
            fmt,
            limit,
            offset
        )
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .map(|t| {
            Ok(PlateTemplateRecord {
                id: parse_uuid(&t.id)?,
                format: PlateFormat::parse(&t.format).ok_or_else(|| bad("format", &t.format))?,
                layout: decode("layout", &t.layout)?,
                created_at: parse_utc(&t.created_at)?,
                name: t.name,
            })
        })
        .collect::<Result<Vec<_>>>()?;
        Ok(Page::new(items, page, u64::try_from(total).unwrap_or(0)))
    }

    pub async fn plate_template(&self, id: Uuid) -> Result<PlateTemplateRecord> {
        let id_text = id.to_string();
        let t = sqlx::query!(
            r#"SELECT id AS "id!", name, format, layout, created_at FROM plate_templates WHERE id = ?1"#,
            id_text
        )
        .fetch_optional(&self.pool)
        .await?
        .ok_or(DomainError::NotFound("plate template"))?;
        Ok(PlateTemplateRecord {
            id,
            format: PlateFormat::parse(&t.format).ok_or_else(|| bad("format", &t.format))?,
            layout: decode("layout", &t.layout)?,
            created_at: parse_utc(&t.created_at)?,
            name: t.name,
        })
    }
}
