//! Saved reports and their schedules (issue 17, item 3).
//!
//! A saved report is the lab's: `saved_reports` is a lab table, changed only by
//! `SaveReport`, `ChangeSavedReport` and `VoidSavedReport`, each checked here again on the
//! hub (only the owner changes or voids theirs; the owner's role must be allowed what it
//! shows). A schedule and its runs are this workstation's own (`report_schedules`,
//! `report_runs`): `ScheduleReport`, `VoidSchedule` and `RecordReportRun` are workstation
//! commands, audited here and never synced. A run's notice to its owner is a notification of
//! kind `report_run`, which `lab_tables` keeps out of the lab's rows like the audit alarm.
//!
//! The runner (`aliquot_api::schedules`) reads the schedules due, writes each file, and
//! records the run through the executor as the schedule's owner.

use crate::executor::{Applied, Change, Ctx};
use crate::notifications::{notify, Notify};
use crate::users::parse_uuid;
use crate::{format_utc, parse_utc, Result, Store, StoreError};
use aliquot_domain::paging::{Page, PageRequest};
use aliquot_domain::saved_reports::{
    self as rules, ReportFormat, RunOutcome, RunReport, SavedWhat,
};
use aliquot_domain::schedule::{Cadence, CheckedSchedule, Schedule};
use aliquot_domain::{derived_id, Command, DomainError};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;
use sqlx::SqliteConnection;
use ts_rs::TS;
use uuid::Uuid;

/// The kind of the notification a run sends its owner (this workstation's own).
pub const RUN_NOTIFICATION: &str = "report_run";

/// A saved report, active or voided.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct SavedReportRecord {
    pub id: Uuid,
    pub owner_id: Uuid,
    pub name: String,
    pub what: SavedWhat,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub voided_at: Option<DateTime<Utc>>,
    pub void_reason: Option<String>,
}

/// A schedule on this workstation, with its saved report's name and where it stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct ReportScheduleRecord {
    pub id: Uuid,
    pub saved_id: Uuid,
    /// None when the saved report is not in this workstation's copy of the lab (its
    /// `SaveReport` was refused by the hub).
    pub saved_name: Option<String>,
    pub owner_id: Uuid,
    pub schedule: Schedule,
    pub folder: String,
    pub format: ReportFormat,
    pub bom: bool,
    pub created_at: DateTime<Utc>,
    /// The due time of the last run, or when the schedule was made.
    pub last_due: DateTime<Utc>,
    /// The next due time after `last_due`; a time already past means a run is due now.
    pub next_due: DateTime<Utc>,
    /// How the last run ended; none before the first.
    pub last_outcome: Option<RunOutcome>,
    pub voided_at: Option<DateTime<Utc>>,
    pub void_reason: Option<String>,
}

impl ReportScheduleRecord {
    /// The schedule with its time and zone read (checked when it was made).
    pub fn checked(&self) -> Result<CheckedSchedule> {
        self.schedule
            .checked()
            .map_err(|e| StoreError::Decode(format!("schedule {}: {e}", self.id)))
    }
}

/// One run of a schedule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct ReportRunRecord {
    pub id: Uuid,
    pub schedule_id: Uuid,
    pub due_at: DateTime<Utc>,
    pub ran_at: DateTime<Utc>,
    /// How many due times it stands for: 1 on schedule, more after the workstation was off.
    pub missed: u32,
    pub late: bool,
    pub file: Option<String>,
    #[ts(type = "number | null")]
    pub rows: Option<u64>,
    pub outcome: RunOutcome,
    pub message: Option<String>,
}

pub(crate) async fn apply(
    conn: &mut SqliteConnection,
    ctx: &Ctx<'_>,
    command: &Command,
) -> Result<Applied> {
    let change = match command {
        Command::SaveReport {
            saved_id,
            name,
            what,
        } => save(conn, ctx, *saved_id, name, what).await,
        Command::ChangeSavedReport {
            saved_id,
            name,
            what,
            ..
        } => change(conn, ctx, *saved_id, name, what).await,
        Command::VoidSavedReport { saved_id, reason } => void(conn, ctx, *saved_id, reason).await,
        Command::ScheduleReport {
            schedule_id,
            saved_id,
            schedule,
            folder,
            format,
            bom,
        } => {
            add_schedule(
                conn,
                ctx,
                NewSchedule {
                    schedule_id: *schedule_id,
                    saved_id: *saved_id,
                    schedule,
                    folder,
                    format: *format,
                    bom: *bom,
                },
            )
            .await
        }
        Command::VoidSchedule {
            schedule_id,
            reason,
        } => void_schedule(conn, ctx, *schedule_id, reason).await,
        Command::RecordReportRun {
            run_id,
            schedule_id,
            due_at,
            ran_at,
            missed,
            late,
            file,
            rows,
            outcome,
            message,
        } => {
            record_run(
                conn,
                ctx,
                Run {
                    run_id: *run_id,
                    schedule_id: *schedule_id,
                    due_at: *due_at,
                    ran_at: *ran_at,
                    missed: *missed,
                    late: *late,
                    file: file.as_deref(),
                    rows: *rows,
                    outcome: *outcome,
                    message: message.as_deref(),
                },
            )
            .await
        }
        other => Err(StoreError::Decode(format!(
            "{:?} is not a saved-report command",
            other.kind()
        ))),
    }?;
    Ok(change.into())
}

fn to_json<T: Serialize>(value: &T, what: &str) -> Result<String> {
    serde_json::to_string(value).map_err(|e| StoreError::Decode(format!("{what}: {e}")))
}

fn from_json<T: serde::de::DeserializeOwned>(text: &str, what: &str) -> Result<T> {
    serde_json::from_str(text).map_err(|e| StoreError::Decode(format!("{what}: {e}")))
}

struct SavedSql {
    id: String,
    owner_id: String,
    name: String,
    what: String,
    created_at: String,
    updated_at: String,
    voided_at: Option<String>,
    void_reason: Option<String>,
}

impl TryFrom<SavedSql> for SavedReportRecord {
    type Error = StoreError;
    fn try_from(s: SavedSql) -> Result<Self> {
        Ok(SavedReportRecord {
            id: parse_uuid(&s.id)?,
            owner_id: parse_uuid(&s.owner_id)?,
            what: from_json(&s.what, "a saved report")?,
            created_at: parse_utc(&s.created_at)?,
            updated_at: parse_utc(&s.updated_at)?,
            voided_at: s.voided_at.as_deref().map(parse_utc).transpose()?,
            name: s.name,
            void_reason: s.void_reason,
        })
    }
}

async fn load_saved(conn: &mut SqliteConnection, saved_id: Uuid) -> Result<SavedReportRecord> {
    let id = saved_id.to_string();
    sqlx::query_as!(
        SavedSql,
        "SELECT id, owner_id, name, what, created_at, updated_at, voided_at, void_reason
         FROM saved_reports WHERE id = ?1",
        id
    )
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(DomainError::NotFound("saved report"))?
    .try_into()
}

/// Refused unless the actor owns it.
fn owned_by_actor(owner_id: Uuid, ctx: &Ctx<'_>, what: &str) -> Result<()> {
    if owner_id == ctx.actor.user_id {
        Ok(())
    } else {
        Err(DomainError::Refused(format!(
            "this {what} is someone else's: only its owner may change, void or schedule it"
        ))
        .into())
    }
}

/// The actor's own saved report, not voided: what changing, voiding or scheduling one needs.
async fn own_active_saved(
    conn: &mut SqliteConnection,
    ctx: &Ctx<'_>,
    saved_id: Uuid,
) -> Result<SavedReportRecord> {
    let saved = load_saved(conn, saved_id).await?;
    owned_by_actor(saved.owner_id, ctx, "saved report")?;
    if saved.voided_at.is_some() {
        return Err(DomainError::Voided("the saved report").into());
    }
    Ok(saved)
}

/// Refused when the owner has another active saved report of this name (any case).
async fn name_free(
    conn: &mut SqliteConnection,
    owner: &str,
    name: &str,
    except: &str,
) -> Result<()> {
    let taken = sqlx::query_scalar!(
        "SELECT id FROM saved_reports
         WHERE owner_id = ?1 AND name = ?2 COLLATE NOCASE AND voided_at IS NULL AND id != ?3",
        owner,
        name,
        except
    )
    .fetch_optional(&mut *conn)
    .await?;
    match taken {
        Some(_) => {
            Err(DomainError::Taken(format!("the name “{name}” (one of your saved reports)")).into())
        }
        None => Ok(()),
    }
}

async fn save(
    conn: &mut SqliteConnection,
    ctx: &Ctx<'_>,
    saved_id: Uuid,
    name: &str,
    what: &SavedWhat,
) -> Result<Change> {
    let name = rules::check_saved(ctx.actor.role, name, what)?;
    let (id, owner, now) = (
        saved_id.to_string(),
        ctx.actor.user_id.to_string(),
        format_utc(ctx.now),
    );
    let exists = sqlx::query_scalar!("SELECT id FROM saved_reports WHERE id = ?1", id)
        .fetch_optional(&mut *conn)
        .await?;
    if exists.is_some() {
        return Err(DomainError::Taken(format!("saved report id {id}")).into());
    }
    name_free(conn, &owner, &name, &id).await?;
    let what_json = to_json(what, "a saved report")?;
    sqlx::query!(
        "INSERT INTO saved_reports (id, owner_id, name, what, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
        id,
        owner,
        name,
        what_json,
        now
    )
    .execute(&mut *conn)
    .await?;
    Ok(Change {
        entity_type: "saved_report",
        entity_id: id,
        old: None,
        new: Some(json!({"name": name, "what": what, "owner_id": owner})),
        subject_user_id: None,
    })
}

async fn change(
    conn: &mut SqliteConnection,
    ctx: &Ctx<'_>,
    saved_id: Uuid,
    name: &str,
    what: &SavedWhat,
) -> Result<Change> {
    let saved = own_active_saved(conn, ctx, saved_id).await?;
    let name = rules::check_saved(ctx.actor.role, name, what)?;
    if name == saved.name && *what == saved.what {
        return Err(DomainError::invalid("name", "nothing to change").into());
    }
    let (id, owner, now) = (
        saved_id.to_string(),
        saved.owner_id.to_string(),
        format_utc(ctx.now),
    );
    name_free(conn, &owner, &name, &id).await?;
    let what_json = to_json(what, "a saved report")?;
    sqlx::query!(
        "UPDATE saved_reports SET name = ?1, what = ?2, updated_at = ?3 WHERE id = ?4",
        name,
        what_json,
        now,
        id
    )
    .execute(&mut *conn)
    .await?;
    Ok(Change {
        entity_type: "saved_report",
        entity_id: id,
        old: Some(json!({"name": saved.name, "what": saved.what})),
        new: Some(json!({"name": name, "what": what})),
        subject_user_id: None,
    })
}

async fn void(
    conn: &mut SqliteConnection,
    ctx: &Ctx<'_>,
    saved_id: Uuid,
    reason: &str,
) -> Result<Change> {
    let saved = own_active_saved(conn, ctx, saved_id).await?;
    let (id, now) = (saved_id.to_string(), format_utc(ctx.now));
    sqlx::query!(
        "UPDATE saved_reports SET voided_at = ?1, void_reason = ?2, updated_at = ?1 WHERE id = ?3",
        now,
        reason,
        id
    )
    .execute(&mut *conn)
    .await?;
    Ok(Change {
        entity_type: "saved_report",
        entity_id: id,
        old: Some(json!({"name": saved.name, "voided": false})),
        new: Some(json!({"name": saved.name, "voided": true})),
        subject_user_id: None,
    })
}

struct NewSchedule<'a> {
    schedule_id: Uuid,
    saved_id: Uuid,
    schedule: &'a Schedule,
    folder: &'a str,
    format: ReportFormat,
    bom: bool,
}

async fn add_schedule(
    conn: &mut SqliteConnection,
    ctx: &Ctx<'_>,
    new: NewSchedule<'_>,
) -> Result<Change> {
    new.schedule.checked()?;
    let folder = rules::check_folder(new.folder)?;
    let saved = own_active_saved(conn, ctx, new.saved_id).await?;
    rules::owner_may(ctx.actor.role, &saved.what)?;
    if !saved.what.formats().contains(&new.format) {
        return Err(DomainError::invalid(
            "format",
            "a query is written as CSV; PDF is for the reports",
        )
        .into());
    }
    let (id, saved_id, owner, now) = (
        new.schedule_id.to_string(),
        new.saved_id.to_string(),
        ctx.actor.user_id.to_string(),
        format_utc(ctx.now),
    );
    let exists = sqlx::query_scalar!("SELECT id FROM report_schedules WHERE id = ?1", id)
        .fetch_optional(&mut *conn)
        .await?;
    if exists.is_some() {
        return Err(DomainError::Taken(format!("schedule id {id}")).into());
    }
    let cadence = to_json(&new.schedule.cadence, "a cadence")?;
    let format = new.format.as_str();
    sqlx::query!(
        "INSERT INTO report_schedules (id, saved_id, owner_id, cadence, local_time, time_zone,
             folder, format, bom, created_at, last_due)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10)",
        id,
        saved_id,
        owner,
        cadence,
        new.schedule.local_time,
        new.schedule.time_zone,
        folder,
        format,
        new.bom,
        now
    )
    .execute(&mut *conn)
    .await?;
    Ok(Change {
        entity_type: "report_schedule",
        entity_id: id,
        old: None,
        new: Some(json!({
            "saved_id": saved_id,
            "name": saved.name,
            "schedule": new.schedule,
            "folder": folder,
            "format": format,
            "bom": new.bom,
        })),
        subject_user_id: None,
    })
}

struct ScheduleSql {
    id: String,
    saved_id: String,
    saved_name: Option<String>,
    owner_id: String,
    cadence: String,
    local_time: String,
    time_zone: String,
    folder: String,
    format: String,
    bom: i64,
    created_at: String,
    last_due: String,
    last_outcome: Option<String>,
    voided_at: Option<String>,
    void_reason: Option<String>,
}

impl TryFrom<ScheduleSql> for ReportScheduleRecord {
    type Error = StoreError;
    fn try_from(s: ScheduleSql) -> Result<Self> {
        let cadence: Cadence = from_json(&s.cadence, "a schedule's cadence")?;
        let schedule = Schedule {
            cadence,
            local_time: s.local_time,
            time_zone: s.time_zone,
        };
        let last_due = parse_utc(&s.last_due)?;
        let next_due = schedule
            .checked()
            .map_err(|e| StoreError::Decode(format!("schedule {}: {e}", s.id)))?
            .next_after(last_due);
        Ok(ReportScheduleRecord {
            id: parse_uuid(&s.id)?,
            saved_id: parse_uuid(&s.saved_id)?,
            saved_name: s.saved_name,
            owner_id: parse_uuid(&s.owner_id)?,
            schedule,
            format: ReportFormat::parse(&s.format)
                .ok_or_else(|| StoreError::Decode(format!("report format {:?}", s.format)))?,
            bom: s.bom != 0,
            created_at: parse_utc(&s.created_at)?,
            last_due,
            next_due,
            last_outcome: s
                .last_outcome
                .as_deref()
                .map(|o| {
                    RunOutcome::parse(o)
                        .ok_or_else(|| StoreError::Decode(format!("run outcome {o:?}")))
                })
                .transpose()?,
            voided_at: s.voided_at.as_deref().map(parse_utc).transpose()?,
            folder: s.folder,
            void_reason: s.void_reason,
        })
    }
}

/// The one schedule SELECT; callers add the WHERE clause and its parameters.
macro_rules! select_schedules {
    ($tail:literal, $($arg:expr),*) => {
        sqlx::query_as!(
            ScheduleSql,
            r#"SELECT s.id, s.saved_id, r.name AS "saved_name?", s.owner_id, s.cadence,
                      s.local_time, s.time_zone, s.folder, s.format, s.bom, s.created_at,
                      s.last_due,
                      (SELECT u.outcome FROM report_runs u WHERE u.schedule_id = s.id
                       ORDER BY u.due_at DESC LIMIT 1) AS "last_outcome?: String",
                      s.voided_at, s.void_reason
               FROM report_schedules s LEFT JOIN saved_reports r ON r.id = s.saved_id "# + $tail,
            $($arg),*
        )
    };
}

async fn load_schedule(
    conn: &mut SqliteConnection,
    schedule_id: Uuid,
) -> Result<ReportScheduleRecord> {
    let id = schedule_id.to_string();
    select_schedules!("WHERE s.id = ?1", id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(DomainError::NotFound("report schedule"))?
        .try_into()
}

async fn void_schedule(
    conn: &mut SqliteConnection,
    ctx: &Ctx<'_>,
    schedule_id: Uuid,
    reason: &str,
) -> Result<Change> {
    let schedule = load_schedule(conn, schedule_id).await?;
    owned_by_actor(schedule.owner_id, ctx, "schedule")?;
    if schedule.voided_at.is_some() {
        return Err(DomainError::Voided("the schedule").into());
    }
    let (id, now) = (schedule_id.to_string(), format_utc(ctx.now));
    sqlx::query!(
        "UPDATE report_schedules SET voided_at = ?1, void_reason = ?2 WHERE id = ?3",
        now,
        reason,
        id
    )
    .execute(&mut *conn)
    .await?;
    Ok(Change {
        entity_type: "report_schedule",
        entity_id: id,
        old: Some(json!({"voided": false})),
        new: Some(json!({"voided": true})),
        subject_user_id: None,
    })
}

struct Run<'a> {
    run_id: Uuid,
    schedule_id: Uuid,
    due_at: DateTime<Utc>,
    ran_at: DateTime<Utc>,
    missed: u32,
    late: bool,
    file: Option<&'a str>,
    rows: Option<u64>,
    outcome: RunOutcome,
    message: Option<&'a str>,
}

async fn record_run(conn: &mut SqliteConnection, ctx: &Ctx<'_>, run: Run<'_>) -> Result<Change> {
    let schedule = load_schedule(conn, run.schedule_id).await?;
    if schedule.owner_id != ctx.actor.user_id {
        return Err(
            DomainError::Refused("a schedule's runs are recorded under its owner".into()).into(),
        );
    }
    if schedule.voided_at.is_some() {
        return Err(DomainError::Voided("the schedule").into());
    }
    if run.due_at <= schedule.last_due {
        return Err(DomainError::Refused(format!(
            "this schedule has already run for {}",
            format_utc(schedule.last_due)
        ))
        .into());
    }
    let file = run.file.map(str::trim).filter(|f| !f.is_empty());
    let message = run.message.map(str::trim).filter(|m| !m.is_empty());
    match (run.outcome, file, message) {
        (RunOutcome::Written, None, _) => {
            return Err(DomainError::invalid("file", "a written run names its file").into())
        }
        (RunOutcome::Failed, _, None) => {
            return Err(DomainError::invalid("message", "a failed run says why").into())
        }
        _ => {}
    }
    if file.is_some_and(|f| f.chars().count() > 2 * rules::MAX_FOLDER) {
        return Err(DomainError::invalid("file", "the file's path is too long").into());
    }
    if message.is_some_and(|m| m.chars().count() > rules::MAX_MESSAGE) {
        return Err(DomainError::invalid(
            "message",
            format!("at most {} characters", rules::MAX_MESSAGE),
        )
        .into());
    }
    let (id, schedule_id) = (run.run_id.to_string(), run.schedule_id.to_string());
    let (due_at, ran_at) = (format_utc(run.due_at), format_utc(run.ran_at));
    let rows = run
        .rows
        .map(i64::try_from)
        .transpose()
        .map_err(|_| DomainError::invalid("rows", "more rows than a file can hold"))?;
    let outcome = run.outcome.as_str();
    sqlx::query!(
        "INSERT INTO report_runs (id, schedule_id, due_at, ran_at, missed, late, file, rows,
             outcome, message)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        id,
        schedule_id,
        due_at,
        ran_at,
        run.missed,
        run.late,
        file,
        rows,
        outcome,
        message
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        "UPDATE report_schedules SET last_due = ?1 WHERE id = ?2",
        due_at,
        schedule_id
    )
    .execute(&mut *conn)
    .await?;
    let checked = schedule.checked()?;
    let name = schedule
        .saved_name
        .clone()
        .unwrap_or_else(|| "A scheduled report".to_owned());
    let notice = rules::run_notice(&RunReport {
        name: &name,
        outcome: run.outcome,
        file,
        rows: run.rows,
        missed: run.missed,
        late: run.late,
        message,
        due: &rules::due_in_words(run.due_at, &checked),
    });
    let owner = schedule.owner_id.to_string();
    notify(
        conn,
        Notify {
            id: derived_id(ctx.command_id, RUN_NOTIFICATION),
            at: ctx.now,
            user_id: &owner,
            kind: RUN_NOTIFICATION,
            message: &notice,
            entity_type: "report_schedule",
            entity_id: &schedule_id,
        },
    )
    .await?;
    Ok(Change {
        entity_type: "report_schedule",
        entity_id: schedule_id,
        old: Some(json!({"last_due": format_utc(schedule.last_due)})),
        new: Some(json!({
            "last_due": due_at,
            "run": {
                "id": id,
                "outcome": outcome,
                "file": file,
                "rows": run.rows,
                "missed": run.missed,
                "late": run.late,
                "message": message,
            },
        })),
        subject_user_id: None,
    })
}

struct RunSql {
    id: String,
    schedule_id: String,
    due_at: String,
    ran_at: String,
    missed: i64,
    late: i64,
    file: Option<String>,
    rows: Option<i64>,
    outcome: String,
    message: Option<String>,
}

impl TryFrom<RunSql> for ReportRunRecord {
    type Error = StoreError;
    fn try_from(r: RunSql) -> Result<Self> {
        Ok(ReportRunRecord {
            id: parse_uuid(&r.id)?,
            schedule_id: parse_uuid(&r.schedule_id)?,
            due_at: parse_utc(&r.due_at)?,
            ran_at: parse_utc(&r.ran_at)?,
            missed: u32::try_from(r.missed)
                .map_err(|_| StoreError::Decode(format!("missed runs {}", r.missed)))?,
            late: r.late != 0,
            rows: r.rows.map(|n| u64::try_from(n).unwrap_or(0)),
            outcome: RunOutcome::parse(&r.outcome)
                .ok_or_else(|| StoreError::Decode(format!("run outcome {:?}", r.outcome)))?,
            file: r.file,
            message: r.message,
        })
    }
}

fn total(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

impl Store {
    /// A saved report, active or voided, whoever owns it.
    pub async fn saved_report(&self, saved_id: Uuid) -> Result<SavedReportRecord> {
        let mut conn = self.pool.acquire().await?;
        load_saved(&mut conn, saved_id).await
    }

    /// A page of the owner's active saved reports, by name.
    pub async fn saved_reports(
        &self,
        owner_id: Uuid,
        request: PageRequest,
    ) -> Result<Page<SavedReportRecord>> {
        let page = request.validate()?;
        let (owner, limit, offset) = (owner_id.to_string(), page.limit(), page.offset());
        let n = sqlx::query_scalar!(
            r#"SELECT COUNT(*) AS "n!: i64" FROM saved_reports
               WHERE owner_id = ?1 AND voided_at IS NULL"#,
            owner
        )
        .fetch_one(&self.pool)
        .await?;
        let items = sqlx::query_as!(
            SavedSql,
            "SELECT id, owner_id, name, what, created_at, updated_at, voided_at, void_reason
             FROM saved_reports WHERE owner_id = ?1 AND voided_at IS NULL
             ORDER BY name COLLATE NOCASE, id LIMIT ?2 OFFSET ?3",
            owner,
            limit,
            offset
        )
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .map(SavedReportRecord::try_from)
        .collect::<Result<Vec<_>>>()?;
        Ok(Page::new(items, page, total(n)))
    }

    /// A schedule on this workstation, active or voided.
    pub async fn report_schedule(&self, schedule_id: Uuid) -> Result<ReportScheduleRecord> {
        let mut conn = self.pool.acquire().await?;
        load_schedule(&mut conn, schedule_id).await
    }

    /// A page of the owner's active schedules on this workstation, newest first.
    pub async fn report_schedules(
        &self,
        owner_id: Uuid,
        request: PageRequest,
    ) -> Result<Page<ReportScheduleRecord>> {
        let page = request.validate()?;
        let (owner, limit, offset) = (owner_id.to_string(), page.limit(), page.offset());
        let n = sqlx::query_scalar!(
            r#"SELECT COUNT(*) AS "n!: i64" FROM report_schedules
               WHERE owner_id = ?1 AND voided_at IS NULL"#,
            owner
        )
        .fetch_one(&self.pool)
        .await?;
        let items = select_schedules!(
            "WHERE s.owner_id = ?1 AND s.voided_at IS NULL
             ORDER BY s.created_at DESC, s.id DESC LIMIT ?2 OFFSET ?3",
            owner,
            limit,
            offset
        )
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .map(ReportScheduleRecord::try_from)
        .collect::<Result<Vec<_>>>()?;
        Ok(Page::new(items, page, total(n)))
    }

    /// A page of the owner's active schedules of one saved report on this workstation (what
    /// voiding the saved report voids with it), in a stable order.
    pub async fn active_schedules_of_saved(
        &self,
        owner_id: Uuid,
        saved_id: Uuid,
        request: PageRequest,
    ) -> Result<Page<ReportScheduleRecord>> {
        let page = request.validate()?;
        let (owner, saved, limit, offset) = (
            owner_id.to_string(),
            saved_id.to_string(),
            page.limit(),
            page.offset(),
        );
        let n = sqlx::query_scalar!(
            r#"SELECT COUNT(*) AS "n!: i64" FROM report_schedules
               WHERE owner_id = ?1 AND saved_id = ?2 AND voided_at IS NULL"#,
            owner,
            saved
        )
        .fetch_one(&self.pool)
        .await?;
        let items = select_schedules!(
            "WHERE s.owner_id = ?1 AND s.saved_id = ?2 AND s.voided_at IS NULL
             ORDER BY s.id LIMIT ?3 OFFSET ?4",
            owner,
            saved,
            limit,
            offset
        )
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .map(ReportScheduleRecord::try_from)
        .collect::<Result<Vec<_>>>()?;
        Ok(Page::new(items, page, total(n)))
    }

    /// A page of every active schedule on this workstation, whoever owns it (the runner's
    /// list), in a stable order.
    pub async fn active_report_schedules(
        &self,
        request: PageRequest,
    ) -> Result<Page<ReportScheduleRecord>> {
        let page = request.validate()?;
        let (limit, offset) = (page.limit(), page.offset());
        let n = sqlx::query_scalar!(
            r#"SELECT COUNT(*) AS "n!: i64" FROM report_schedules WHERE voided_at IS NULL"#
        )
        .fetch_one(&self.pool)
        .await?;
        let items = select_schedules!(
            "WHERE s.voided_at IS NULL ORDER BY s.id LIMIT ?1 OFFSET ?2",
            limit,
            offset
        )
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .map(ReportScheduleRecord::try_from)
        .collect::<Result<Vec<_>>>()?;
        Ok(Page::new(items, page, total(n)))
    }

    /// A page of one schedule's runs, newest first; the schedule must be `owner_id`'s (any
    /// other schedule has no runs to show them).
    pub async fn report_runs(
        &self,
        schedule_id: Uuid,
        owner_id: Uuid,
        request: PageRequest,
    ) -> Result<Page<ReportRunRecord>> {
        let page = request.validate()?;
        let (id, owner, limit, offset) = (
            schedule_id.to_string(),
            owner_id.to_string(),
            page.limit(),
            page.offset(),
        );
        let n = sqlx::query_scalar!(
            r#"SELECT COUNT(*) AS "n!: i64" FROM report_runs u
               JOIN report_schedules s ON s.id = u.schedule_id
               WHERE u.schedule_id = ?1 AND s.owner_id = ?2"#,
            id,
            owner
        )
        .fetch_one(&self.pool)
        .await?;
        let items = sqlx::query_as!(
            RunSql,
            "SELECT u.id, u.schedule_id, u.due_at, u.ran_at, u.missed, u.late, u.file, u.rows,
                    u.outcome, u.message
             FROM report_runs u JOIN report_schedules s ON s.id = u.schedule_id
             WHERE u.schedule_id = ?1 AND s.owner_id = ?2
             ORDER BY u.due_at DESC LIMIT ?3 OFFSET ?4",
            id,
            owner,
            limit,
            offset
        )
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .map(ReportRunRecord::try_from)
        .collect::<Result<Vec<_>>>()?;
        Ok(Page::new(items, page, total(n)))
    }
}
