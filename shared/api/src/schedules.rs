//! Saved reports and scheduled reports (issue 17, item 3): the operations, and
//! [`Api::run_report_schedules`], the runner (spawned by the desktop app and the HTTP mode).
//!
//! A saved report is the lab's (synced); a schedule writes it to a folder on this PC and is
//! this workstation's own. The runner looks at every active schedule at start and then every
//! 30 seconds; a schedule whose due time has passed runs **once**, even when the workstation
//! was off for several due times (the run says it was late and how many it stands for:
//! `aliquot_domain::schedule::CheckedSchedule::due`). A run uses its owner's permissions as
//! they are when it runs: an owner deactivated, or whose role may no longer see the report,
//! gets a failed run saying so and no file. The file is written under a hidden temporary name
//! in the folder and renamed when whole, so a half-written file never has the final name
//! (`<stem>-<due date and time in the schedule's zone>.<csv|pdf>`), and an existing file is
//! never overwritten (`-2`, `-3` … are added). The run is recorded through the executor as
//! the owner (`RecordReportRun`), which moves the schedule on and tells the owner.

use crate::dto::{default_per_page, first_page, CoreEvent, PageArgs};
use crate::registration::IdArgs;
use crate::{Api, ApiError};
use aliquot_domain::paging::{Page, PageRequest};
use aliquot_domain::saved_reports::{
    run_file_name, ReportFormat, RunOutcome, SavedWhat, MAX_MESSAGE,
};
use aliquot_domain::schedule::{CheckedSchedule, Due, Schedule};
use aliquot_domain::{Actor, Command, DomainError, Permission};
use aliquot_reports::csv::{table_csv, CsvOptions};
use aliquot_store::query::{ExportOutcome, ExportProgress};
use aliquot_store::saved_reports::{ReportRunRecord, ReportScheduleRecord, SavedReportRecord};
use aliquot_store::users::UserRecord;
use aliquot_store::StoreError;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use ts_rs::TS;
use uuid::Uuid;

type Result<T> = std::result::Result<T, ApiError>;

/// How often the runner looks for schedules that are due.
pub const TICK: std::time::Duration = std::time::Duration::from_secs(30);

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct SaveReportArgs {
    pub name: String,
    pub what: SavedWhat,
}

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct ChangeSavedReportArgs {
    pub saved_id: Uuid,
    pub name: String,
    pub what: SavedWhat,
    pub reason: String,
}

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct VoidSavedReportArgs {
    pub saved_id: Uuid,
    pub reason: String,
}

/// A saved report voided, and how many of the caller's schedules of it on this
/// workstation were voided with it (with the same reason).
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct SavedReportVoided {
    pub saved_report: SavedReportRecord,
    pub schedules_voided: u32,
}

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct ScheduleReportArgs {
    pub saved_id: Uuid,
    pub schedule: Schedule,
    /// The folder's full path on this PC; it must be there.
    pub folder: String,
    pub format: ReportFormat,
    /// A CSV file starts with the UTF-8 byte-order mark (for spreadsheets).
    #[serde(default)]
    pub bom: bool,
}

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct VoidScheduleArgs {
    pub schedule_id: Uuid,
    pub reason: String,
}

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct ListReportRunsArgs {
    pub schedule_id: Uuid,
    #[serde(default = "first_page")]
    pub page: u32,
    #[serde(default = "default_per_page")]
    pub per_page: u32,
}

/// A run the runner made (what [`Api::run_due_report_schedules`] answers).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RanSchedule {
    pub schedule_id: Uuid,
    pub run_id: Uuid,
    pub due_at: DateTime<Utc>,
    pub outcome: RunOutcome,
}

/// What a run wrote.
struct Written {
    path: PathBuf,
    rows: Option<u64>,
    /// Something the owner should know although it was written.
    note: Option<String>,
}

impl Api {
    // --- Saved reports ---

    /// The caller's own active saved reports, by name.
    pub async fn list_saved_reports(
        &self,
        token: Option<&str>,
        args: PageArgs,
    ) -> Result<Page<SavedReportRecord>> {
        let actor = self.actor_with(token, Permission::ReadSamples).await?;
        Ok(self
            .store()
            .saved_reports(actor.user_id, args.request())
            .await?)
    }

    /// One of the caller's own active saved reports (what "Open" reads). Another person's,
    /// or a voided one, is not found: a saved report is shown to its owner only.
    pub async fn get_saved_report(
        &self,
        token: Option<&str>,
        args: IdArgs,
    ) -> Result<SavedReportRecord> {
        let actor = self.actor_with(token, Permission::ReadSamples).await?;
        let saved = self.store().saved_report(args.id).await?;
        if saved.owner_id != actor.user_id || saved.voided_at.is_some() {
            return Err(DomainError::NotFound("saved report").into());
        }
        Ok(saved)
    }

    /// Saves a query or a report with its parameters under a name; the caller is its owner.
    pub async fn save_report(
        &self,
        token: Option<&str>,
        args: SaveReportArgs,
    ) -> Result<SavedReportRecord> {
        let actor = self.actor_with(token, Permission::ReadSamples).await?;
        let saved_id = Uuid::now_v7();
        self.run(
            &actor,
            Command::SaveReport {
                saved_id,
                name: args.name,
                what: args.what,
            },
        )
        .await?;
        Ok(self.store().saved_report(saved_id).await?)
    }

    /// The owner corrects a saved report's name or what it shows, with the reason; its
    /// schedules run the new version.
    pub async fn change_saved_report(
        &self,
        token: Option<&str>,
        args: ChangeSavedReportArgs,
    ) -> Result<SavedReportRecord> {
        let actor = self.actor_with(token, Permission::ReadSamples).await?;
        self.run(
            &actor,
            Command::ChangeSavedReport {
                saved_id: args.saved_id,
                name: args.name,
                what: args.what,
                reason: args.reason,
            },
        )
        .await?;
        Ok(self.store().saved_report(args.saved_id).await?)
    }

    /// The owner voids a saved report, with the reason; their schedules of it on this
    /// workstation are voided with it (a schedule on another workstation finds it voided
    /// when it is next due, and its run fails saying so).
    pub async fn void_saved_report(
        &self,
        token: Option<&str>,
        args: VoidSavedReportArgs,
    ) -> Result<SavedReportVoided> {
        let actor = self.actor_with(token, Permission::ReadSamples).await?;
        self.run(
            &actor,
            Command::VoidSavedReport {
                saved_id: args.saved_id,
                reason: args.reason.clone(),
            },
        )
        .await?;
        // Its schedules here, found in SQL; each voided one leaves the list, so the first
        // page is read until it is empty.
        let mut schedules_voided = 0;
        loop {
            let found = self
                .store()
                .active_schedules_of_saved(
                    actor.user_id,
                    args.saved_id,
                    PageRequest {
                        page: 1,
                        per_page: 100,
                    },
                )
                .await?;
            if found.items.is_empty() {
                break;
            }
            for schedule in &found.items {
                self.run(
                    &actor,
                    Command::VoidSchedule {
                        schedule_id: schedule.id,
                        reason: args.reason.clone(),
                    },
                )
                .await?;
                schedules_voided += 1;
            }
        }
        Ok(SavedReportVoided {
            saved_report: self.store().saved_report(args.saved_id).await?,
            schedules_voided,
        })
    }

    // --- Schedules ---

    /// The caller's own active schedules on this workstation, newest first.
    pub async fn list_report_schedules(
        &self,
        token: Option<&str>,
        args: PageArgs,
    ) -> Result<Page<ReportScheduleRecord>> {
        let actor = self.actor_with(token, Permission::ReadSamples).await?;
        Ok(self
            .store()
            .report_schedules(actor.user_id, args.request())
            .await?)
    }

    /// Schedules one of the caller's saved reports on this workstation. The folder must be
    /// there now (a typing mistake is caught here, not at 06:30 tomorrow).
    pub async fn schedule_report(
        &self,
        token: Option<&str>,
        args: ScheduleReportArgs,
    ) -> Result<ReportScheduleRecord> {
        let actor = self.actor_with(token, Permission::ReadSamples).await?;
        let folder = aliquot_domain::saved_reports::check_folder(&args.folder)?;
        match tokio::fs::metadata(&folder).await {
            Ok(m) if m.is_dir() => {}
            Ok(_) => {
                return Err(
                    DomainError::invalid("folder", "this path is a file, not a folder").into(),
                )
            }
            Err(_) => {
                return Err(DomainError::invalid(
                    "folder",
                    "there is no such folder on this PC; make it first, or choose another",
                )
                .into())
            }
        }
        let schedule_id = Uuid::now_v7();
        self.run(
            &actor,
            Command::ScheduleReport {
                schedule_id,
                saved_id: args.saved_id,
                schedule: args.schedule,
                folder,
                format: args.format,
                bom: args.bom,
            },
        )
        .await?;
        Ok(self.store().report_schedule(schedule_id).await?)
    }

    /// The owner voids one of their schedules, with the reason; it stays on record.
    pub async fn void_schedule(
        &self,
        token: Option<&str>,
        args: VoidScheduleArgs,
    ) -> Result<ReportScheduleRecord> {
        let actor = self.actor_with(token, Permission::ReadSamples).await?;
        self.run(
            &actor,
            Command::VoidSchedule {
                schedule_id: args.schedule_id,
                reason: args.reason,
            },
        )
        .await?;
        Ok(self.store().report_schedule(args.schedule_id).await?)
    }

    /// One of the caller's schedules' runs, newest first (another's schedule has none to
    /// show them).
    pub async fn list_report_runs(
        &self,
        token: Option<&str>,
        args: ListReportRunsArgs,
    ) -> Result<Page<ReportRunRecord>> {
        let actor = self.actor_with(token, Permission::ReadSamples).await?;
        Ok(self
            .store()
            .report_runs(
                args.schedule_id,
                actor.user_id,
                PageRequest {
                    page: args.page,
                    per_page: args.per_page,
                },
            )
            .await?)
    }

    // --- The runner ---

    /// Runs the schedules set on this workstation when they are due: at start (a run missed
    /// while the workstation was off runs now, once, and says it was late) and then every
    /// 30 seconds, for the life of the app.
    pub async fn run_report_schedules(self) {
        // A due time whose run could not be recorded is not run again by this process
        // (it would write its file again every tick); the next start tries once more.
        let mut unrecorded: HashSet<(Uuid, DateTime<Utc>)> = HashSet::new();
        let runtime = tokio::runtime::Handle::current();
        loop {
            // Each look on a blocking thread: a run writes its file with plain (blocking)
            // writes, which must not hold up the runtime's workers.
            let api = self.clone();
            let look = tokio::task::spawn_blocking({
                let runtime = runtime.clone();
                move || {
                    let outcome = runtime.block_on(api.run_due(&mut unrecorded));
                    (outcome, unrecorded)
                }
            })
            .await;
            match look {
                Ok((outcome, kept)) => {
                    unrecorded = kept;
                    if let Err(e) = outcome {
                        tracing::warn!(error = %e.message, "could not look at the report schedules");
                    }
                }
                Err(e) => {
                    unrecorded = HashSet::new();
                    tracing::error!(error = %e, "the report schedules' look stopped");
                }
            }
            tokio::time::sleep(TICK).await;
        }
    }

    /// One look at every active schedule: each one that is due runs once, now. Answers the
    /// runs recorded.
    pub async fn run_due_report_schedules(&self) -> Result<Vec<RanSchedule>> {
        self.run_due(&mut HashSet::new()).await
    }

    async fn run_due(
        &self,
        unrecorded: &mut HashSet<(Uuid, DateTime<Utc>)>,
    ) -> Result<Vec<RanSchedule>> {
        // Nothing runs while the workstation joins its hub or after it left one.
        if self.store().is_joining() || self.store().left_hub_archive().is_some() {
            return Ok(Vec::new());
        }
        // A page of this workstation's active schedules at a time (by id; a run never voids
        // one, so the pages stay put), each due one run before the next page is read.
        let mut ran = Vec::new();
        let mut page = 1;
        loop {
            let found = self
                .store()
                .active_report_schedules(PageRequest {
                    page,
                    per_page: 100,
                })
                .await?;
            for schedule in &found.items {
                let checked = match schedule.checked() {
                    Ok(c) => c,
                    Err(e) => {
                        tracing::warn!(schedule = %schedule.id, error = %e, "a schedule cannot be read");
                        continue;
                    }
                };
                let Due::Now { due, missed, late } =
                    checked.due(schedule.last_due, self.store().now())
                else {
                    continue;
                };
                if unrecorded.contains(&(schedule.id, due)) {
                    continue;
                }
                match self.run_one(schedule, &checked, due, missed, late).await {
                    Ok(Some(done)) => ran.push(done),
                    Ok(None) => {}
                    Err(e) => {
                        tracing::warn!(schedule = %schedule.id, error = %e.message,
                            "a scheduled report's run could not be recorded");
                        unrecorded.insert((schedule.id, due));
                    }
                }
            }
            if page >= found.total_pages {
                break;
            }
            page += 1;
        }
        if !ran.is_empty() {
            self.emit(CoreEvent::NotificationsChanged);
        }
        Ok(ran)
    }

    /// Runs one schedule for `due` and records the run as its owner. None when the owner is
    /// not in this workstation's copy of the lab (nobody to record it as).
    async fn run_one(
        &self,
        schedule: &ReportScheduleRecord,
        checked: &CheckedSchedule,
        due: DateTime<Utc>,
        missed: u32,
        late: bool,
    ) -> Result<Option<RanSchedule>> {
        let ran_at = self.store().now();
        let owner = match self.store().user(schedule.owner_id).await {
            Ok(owner) => owner,
            Err(StoreError::Domain(DomainError::NotFound(_))) => {
                tracing::warn!(schedule = %schedule.id, "a schedule's owner is not in this workstation's copy of the lab");
                return Ok(None);
            }
            Err(e) => return Err(e.into()),
        };
        let written = self.write_run(schedule, checked, &owner, due).await;
        let (outcome, file, rows, message) = match written {
            Ok(w) => (
                RunOutcome::Written,
                Some(w.path.to_string_lossy().into_owned()),
                w.rows,
                w.note,
            ),
            Err(why) => (RunOutcome::Failed, None, None, Some(why)),
        };
        let run_id = Uuid::now_v7();
        let actor = Actor {
            user_id: owner.id,
            username: owner.username,
            role: owner.role,
        };
        self.run(
            &actor,
            Command::RecordReportRun {
                run_id,
                schedule_id: schedule.id,
                due_at: due,
                ran_at,
                missed,
                late,
                file,
                rows,
                outcome,
                message: message.map(|m| at_most(&m, MAX_MESSAGE)),
            },
        )
        .await?;
        Ok(Some(RanSchedule {
            schedule_id: schedule.id,
            run_id,
            due_at: due,
            outcome,
        }))
    }

    /// Makes the run's file, or says why there is none, in the owner's words.
    async fn write_run(
        &self,
        schedule: &ReportScheduleRecord,
        checked: &CheckedSchedule,
        owner: &UserRecord,
        due: DateTime<Utc>,
    ) -> std::result::Result<Written, String> {
        if !owner.active {
            return Err(format!(
                "its owner's account ({}) is deactivated, and a scheduled report runs with its \
                 owner's permissions; a lab manager can reactivate the account, or the schedule \
                 can be voided",
                owner.username
            ));
        }
        let saved = match self.store().saved_report(schedule.saved_id).await {
            Ok(saved) => saved,
            Err(StoreError::Domain(DomainError::NotFound(_))) => {
                return Err(
                    "its saved report is not in the lab (the hub refused it); void \
                            this schedule"
                        .into(),
                )
            }
            Err(e) => return Err(failure(&e)),
        };
        if saved.voided_at.is_some() {
            return Err(format!(
                "its saved report “{}” was voided ({}); void this schedule",
                saved.name,
                saved.void_reason.as_deref().unwrap_or("no reason given")
            ));
        }
        let permission = saved.what.permission();
        if !owner.role.may(permission) {
            return Err(format!(
                "its owner's role ({}) may no longer see this report, and a scheduled report \
                 runs with its owner's permissions",
                owner.role.as_str().replace('_', " ")
            ));
        }
        // A saved report changed from a report into a query since it was scheduled as PDF.
        if !saved.what.formats().contains(&schedule.format) {
            return Err(format!(
                "its saved report “{}” is now a query, which is written as CSV, not {}; \
                 schedule it again as CSV",
                saved.name,
                schedule.format.as_str().to_uppercase()
            ));
        }
        let folder = PathBuf::from(&schedule.folder);
        match tokio::fs::metadata(&folder).await {
            Ok(m) if m.is_dir() => {}
            _ => {
                return Err(format!(
                    "the folder {} is not there or cannot be reached from this PC",
                    schedule.folder
                ))
            }
        }
        let name = run_file_name(
            &saved.what.file_stem(&saved.name),
            due,
            checked,
            schedule.format,
        );
        let path = free_path(&folder, &name)?;
        let partial = folder.join(format!(
            ".{}.part",
            path.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or(name)
        ));
        let made = self
            .make_file(&saved, schedule, owner, &partial, due)
            .await
            .and_then(|(rows, note)| {
                std::fs::rename(&partial, &path)
                    .map(|()| (rows, note))
                    .map_err(|e| format!("the file could not be given its name: {e}"))
            });
        match made {
            Ok((rows, note)) => Ok(Written { path, rows, note }),
            Err(why) => {
                let _ = std::fs::remove_file(&partial);
                Err(why)
            }
        }
    }

    /// Writes the saved report to `partial`, whole and synced to the disk: the rows of a
    /// CSV, and a note when the owner should know something.
    async fn make_file(
        &self,
        saved: &SavedReportRecord,
        schedule: &ReportScheduleRecord,
        owner: &UserRecord,
        partial: &Path,
        due: DateTime<Utc>,
    ) -> std::result::Result<(Option<u64>, Option<String>), String> {
        let options = CsvOptions { bom: schedule.bom };
        let cannot_write = |e: std::io::Error| {
            format!("the file could not be written in {} ({e})", schedule.folder)
        };
        match &saved.what {
            SavedWhat::Query { query } => {
                let file = std::fs::File::create(partial).map_err(cannot_write)?;
                let mut out = std::io::BufWriter::with_capacity(256 * 1024, file);
                let cancelled = AtomicBool::new(false);
                let outcome = self
                    .store()
                    .export_query_csv(
                        query,
                        &mut out,
                        options,
                        ExportProgress {
                            on_rows: &|_| {},
                            cancelled: &cancelled,
                        },
                    )
                    .await
                    .map_err(|e| failure(&e))?;
                let file = out.into_inner().map_err(|e| cannot_write(e.into_error()))?;
                file.sync_all().map_err(cannot_write)?;
                match outcome {
                    ExportOutcome::Finished { rows } => Ok((Some(rows), None)),
                    ExportOutcome::Cancelled { .. } => Err("the export stopped".into()),
                }
            }
            SavedWhat::Report { request } => {
                let made_by = format!("{} (scheduled)", owner.username);
                // A period rolls with the schedule: as long as saved, ending at this run.
                let request = request.ending_at(due);
                let report = self
                    .store()
                    .report(&request, &made_by)
                    .await
                    .map_err(|e| failure(&e))?;
                let (bytes, rows, note) = match schedule.format {
                    ReportFormat::Pdf => {
                        let pdf = tokio::task::spawn_blocking(move || {
                            aliquot_reports::pdf::report_pdf(&report)
                        })
                        .await
                        .map_err(|e| failure(&e))?
                        .map_err(|e| failure(&e))?;
                        (pdf, None, None)
                    }
                    ReportFormat::Csv => {
                        let Some(table) = report.tables.first() else {
                            return Err(
                                "this report has no table to write as CSV; schedule it as PDF"
                                    .into(),
                            );
                        };
                        let csv = table_csv(table, options).map_err(|e| failure(&e))?;
                        let rows = u64::try_from(table.rows.len()).unwrap_or(u64::MAX);
                        let note = (table.rows_left_out > 0).then(|| {
                            format!(
                                "the report's table holds its first {rows} rows; {} more were \
                                 left out (save it as a query to write every row)",
                                table.rows_left_out
                            )
                        });
                        (csv, Some(rows), note)
                    }
                };
                let partial = partial.to_owned();
                tokio::task::spawn_blocking(move || -> std::io::Result<()> {
                    let mut file = std::fs::File::create(&partial)?;
                    file.write_all(&bytes)?;
                    file.sync_all()
                })
                .await
                .map_err(|e| failure(&e))?
                .map_err(cannot_write)?;
                Ok((rows, note))
            }
        }
    }
}

/// `folder/name`, or with `-2`, `-3` … before the extension when a file of that name is
/// there already (a run after a crash, two schedules writing the same report): a run never
/// overwrites a file. When `-999` is taken too, the run fails saying so.
fn free_path(folder: &Path, name: &str) -> std::result::Result<PathBuf, String> {
    let first = folder.join(name);
    if !first.exists() {
        return Ok(first);
    }
    let (stem, extension) = name.rsplit_once('.').unwrap_or((name, ""));
    (2..=MAX_SAME_NAME)
        .map(|n| folder.join(format!("{stem}-{n}.{extension}")))
        .find(|p| !p.exists())
        .ok_or_else(|| {
            format!(
                "{} already holds {name} and {stem}-2 to {stem}-{MAX_SAME_NAME}; \
                 move those files away so the next run can be written",
                folder.display()
            )
        })
}

/// Files of one name a folder may hold (`name`, `name-2` … `name-999`) before a run refuses.
const MAX_SAME_NAME: u32 = 999;

/// An internal failure as a run records it: logged with an id, the message names the id.
fn failure(detail: &dyn std::fmt::Display) -> String {
    let e = ApiError::internal(detail);
    format!("the report could not be made ({})", e.message)
}

/// At most `max` characters.
fn at_most(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        let mut cut: String = text.chars().take(max.saturating_sub(1)).collect();
        cut.push('…');
        cut
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_never_overwrites_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let free = |name: &str| free_path(dir.path(), name);
        assert_eq!(free("a-1.csv"), Ok(dir.path().join("a-1.csv")));
        std::fs::write(dir.path().join("a-1.csv"), b"x").unwrap();
        assert_eq!(free("a-1.csv"), Ok(dir.path().join("a-1-2.csv")));
        std::fs::write(dir.path().join("a-1-2.csv"), b"x").unwrap();
        assert_eq!(free("a-1.csv"), Ok(dir.path().join("a-1-3.csv")));
        // Every name taken: the run refuses rather than write over the first.
        for n in 3..=MAX_SAME_NAME {
            std::fs::write(dir.path().join(format!("a-1-{n}.csv")), b"x").unwrap();
        }
        let refused = free("a-1.csv").unwrap_err();
        assert!(refused.contains("a-1-999"), "{refused}");
        assert_eq!(std::fs::read(dir.path().join("a-1.csv")).unwrap(), b"x");
    }

    #[test]
    fn a_long_message_is_cut_to_its_limit() {
        assert_eq!(at_most("short", 10), "short");
        let cut = at_most(&"x".repeat(20), 10);
        assert_eq!(cut.chars().count(), 10);
        assert!(cut.ends_with('…'));
    }
}
