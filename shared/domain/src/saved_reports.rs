//! Saved reports and scheduled reports (issue 17, item 3).
//!
//! A **saved report** is a query of the query builder or one of the reports, kept with its
//! parameters under a name by the person who saved it (its owner). It is the lab's data:
//! synced, audited, voided and never deleted; only its owner changes or voids it, and the
//! owner's role must be allowed what it shows (a compliance report reads the audit trail).
//!
//! A **schedule** runs a saved report daily, weekly or monthly at a local time in an IANA
//! zone ([`crate::schedule`] states what happens on the days the clock jumps) and writes it
//! to a folder on this PC, so it is this workstation's own, like a watch folder. A run uses
//! the owner's permissions as they are when it runs, and tells the owner how it went.
//!
//! Nothing here does IO: a folder is checked as text, a file's name is made from the due
//! time, and the owner's notice is worded from what the run reports.

use crate::query::Query;
use crate::reports::ReportRequest;
use crate::schedule::CheckedSchedule;
use crate::{DomainError, Permission, Role};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// A saved report's name: at most this many characters.
pub const MAX_NAME: usize = 100;
/// A folder's full path: at most this many characters.
pub const MAX_FOLDER: usize = 1000;
/// What a failed run says: at most this many characters are kept.
pub const MAX_MESSAGE: usize = 1000;

/// What a saved report shows: a query of the query builder, or one of the reports, each
/// with every parameter it was saved with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
#[ts(export)]
pub enum SavedWhat {
    Query { query: Query },
    Report { request: ReportRequest },
}

impl SavedWhat {
    /// What the owner's role must allow: a report's own permission, a query reads samples.
    pub fn permission(&self) -> Permission {
        match self {
            SavedWhat::Query { .. } => Permission::ReadSamples,
            SavedWhat::Report { request } => request.permission(),
        }
    }

    /// The first thing wrong with it, if anything: a query the query builder refuses, a
    /// period that ends before it starts, a chain of custody without a sample code.
    pub fn checked(&self) -> Result<(), DomainError> {
        match self {
            SavedWhat::Query { query } => query.checked().map(|_| ()),
            SavedWhat::Report { request } => match request {
                ReportRequest::Compliance { period } | ReportRequest::Discards { period } => {
                    period.checked().map(|_| ())
                }
                ReportRequest::ChainOfCustody { sample_code } => {
                    if sample_code.trim().is_empty() {
                        Err(DomainError::invalid(
                            "sample_code",
                            "the chain of custody needs the sample's code",
                        ))
                    } else {
                        Ok(())
                    }
                }
                ReportRequest::Inventory
                | ReportRequest::Occupancy { .. }
                | ReportRequest::FieldEvent { .. } => Ok(()),
            },
        }
    }

    /// The formats it can be written in: a query as CSV only, a report as PDF or as CSV
    /// (its main table).
    pub fn formats(&self) -> &'static [ReportFormat] {
        match self {
            SavedWhat::Query { .. } => &[ReportFormat::Csv],
            SavedWhat::Report { .. } => &[ReportFormat::Pdf, ReportFormat::Csv],
        }
    }

    /// The start of a run's file name: a report's own stem (`inventory`,
    /// `chain-of-custody-S000123`), or for a query the saved report's name, made safe for
    /// a file name (`Plasma_in_freezer_3`).
    pub fn file_stem(&self, name: &str) -> String {
        match self {
            SavedWhat::Report { request } => request.file_stem(),
            SavedWhat::Query { query } => {
                let stem = file_safe(name);
                if stem.is_empty() {
                    query.entity.label().to_owned()
                } else {
                    stem
                }
            }
        }
    }
}

/// A saved report as its owner means it: the name trimmed and checked, what it shows
/// checked, and the owner's role allowed to see it. Used when it is saved and changed.
pub fn check_saved(role: Role, name: &str, what: &SavedWhat) -> Result<String, DomainError> {
    let name = crate::registration::validate_text("name", name, MAX_NAME)?;
    what.checked()?;
    owner_may(role, what)?;
    Ok(name)
}

/// Refused unless the role may see what the saved report shows.
pub fn owner_may(role: Role, what: &SavedWhat) -> Result<(), DomainError> {
    if role.may(what.permission()) {
        Ok(())
    } else {
        Err(DomainError::Refused(format!(
            "your role may not see this report (it needs {}); ask a lab manager to save it",
            permission_words(what.permission())
        )))
    }
}

fn permission_words(permission: Permission) -> &'static str {
    match permission {
        Permission::ReadAudit => "the audit trail",
        _ => "the lab's samples",
    }
}

/// The file a scheduled report is written as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum ReportFormat {
    Csv,
    Pdf,
}

impl ReportFormat {
    pub const ALL: [ReportFormat; 2] = [ReportFormat::Csv, ReportFormat::Pdf];

    /// As stored, and the file's extension.
    pub fn as_str(self) -> &'static str {
        match self {
            ReportFormat::Csv => "csv",
            ReportFormat::Pdf => "pdf",
        }
    }

    pub fn parse(s: &str) -> Option<ReportFormat> {
        ReportFormat::ALL.into_iter().find(|f| f.as_str() == s)
    }
}

/// How a scheduled run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum RunOutcome {
    /// The file is in the folder under its final name.
    Written,
    /// No file was written; the run's message says why.
    Failed,
}

impl RunOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            RunOutcome::Written => "written",
            RunOutcome::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<RunOutcome> {
        [RunOutcome::Written, RunOutcome::Failed]
            .into_iter()
            .find(|o| o.as_str() == s)
    }
}

/// The folder a schedule writes to, checked as text: a full path as this PC writes it
/// (`/data/reports`, `C:\Reports` on Windows), never a relative one, which would depend on
/// where Aliquot happened to start.
pub fn check_folder(folder: &str) -> Result<String, DomainError> {
    let folder = folder.trim();
    if folder.is_empty() || folder.chars().count() > MAX_FOLDER || folder.contains('\0') {
        return Err(DomainError::invalid(
            "folder",
            "the folder's full path, as this PC writes it",
        ));
    }
    if !std::path::Path::new(folder).is_absolute() {
        return Err(DomainError::invalid(
            "folder",
            "give the folder's full path (C:\\Reports, /data/reports), not a relative one",
        ));
    }
    Ok(folder.to_owned())
}

/// The name of a run's file: `<stem>-<due date and time in the schedule's zone>.<format>`,
/// such as `inventory-2026-03-01-0630.pdf` for a run due at 06:30 local time, whatever the
/// UTC time was. A run the spring-forward gap moved (02:30 → 03:30) is named by the local
/// time it ran (`…-0330`); in the fall-back overlap it runs at the first 02:30 (`…-0230`).
pub fn run_file_name(
    stem: &str,
    due: DateTime<Utc>,
    schedule: &CheckedSchedule,
    format: ReportFormat,
) -> String {
    let local = due.with_timezone(&schedule.time_zone());
    format!(
        "{stem}-{}.{}",
        local.format("%Y-%m-%d-%H%M"),
        format.as_str()
    )
}

/// A due time as the owner reads it: `2026-03-01 06:30 Europe/Oslo`.
pub fn due_in_words(due: DateTime<Utc>, schedule: &CheckedSchedule) -> String {
    let zone = schedule.time_zone();
    format!(
        "{} {}",
        due.with_timezone(&zone).format("%Y-%m-%d %H:%M"),
        zone.name()
    )
}

/// What a run reports, for the owner's notice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunReport<'a> {
    /// The saved report's name.
    pub name: &'a str,
    pub outcome: RunOutcome,
    pub file: Option<&'a str>,
    pub rows: Option<u64>,
    /// How many due times had passed since the last run (1 when on schedule).
    pub missed: u32,
    pub late: bool,
    /// Why it failed.
    pub message: Option<&'a str>,
    /// The due time in words ([`due_in_words`]).
    pub due: &'a str,
}

/// The notice the owner gets after a run: where the file went or why there is none, and
/// when the run was late, that it was and how many runs it stands for.
pub fn run_notice(run: &RunReport<'_>) -> String {
    let mut notice = match run.outcome {
        RunOutcome::Written => {
            let file = run.file.unwrap_or("its folder");
            match run.rows {
                Some(1) => format!("“{}” was written to {file} (1 row).", run.name),
                Some(rows) => format!("“{}” was written to {file} ({rows} rows).", run.name),
                None => format!("“{}” was written to {file}.", run.name),
            }
        }
        RunOutcome::Failed => format!(
            "“{}” was not written: {}",
            run.name,
            run.message.unwrap_or("the run failed")
        ),
    };
    if run.late {
        notice.push_str(&format!(" This run is late: it was due at {}.", run.due));
    }
    if run.missed > 1 {
        notice.push_str(&format!(
            " {} scheduled runs fell due while Aliquot was not running; it ran once, for \
             the latest.",
            run.missed
        ));
    }
    notice
}

/// Letters, digits, `-` and `_` kept; a run of anything else becomes one `_`; at most 80
/// characters.
fn file_safe(s: &str) -> String {
    let mut out = String::new();
    for c in s.trim().chars() {
        if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
            out.push(c);
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    out.trim_matches('_').chars().take(80).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::{Condition, FilterGroup, FilterItem, Join, Operator, QueryEntity, Sort};
    use crate::reports::Period;
    use crate::schedule::{Cadence, Schedule};

    fn query() -> Query {
        Query {
            entity: QueryEntity::Samples,
            filter: FilterGroup {
                join: Join::All,
                items: vec![FilterItem::Condition(Condition {
                    field: "status".into(),
                    operator: Operator::Equals,
                    values: vec!["stored".into()],
                })],
            },
            columns: vec!["code".into(), "status".into()],
            sort: vec![Sort {
                field: "code".into(),
                descending: false,
            }],
        }
    }

    fn period() -> Period {
        Period {
            from: "2026-01-01T00:00:00Z".parse().unwrap(),
            to: "2026-02-01T00:00:00Z".parse().unwrap(),
        }
    }

    #[test]
    fn what_a_saved_report_shows_round_trips_as_json() {
        let saved = [
            SavedWhat::Query { query: query() },
            SavedWhat::Report {
                request: ReportRequest::Compliance { period: period() },
            },
            SavedWhat::Report {
                request: ReportRequest::Occupancy { freezer_id: None },
            },
        ];
        for what in saved {
            let json = serde_json::to_string(&what).unwrap();
            assert_eq!(serde_json::from_str::<SavedWhat>(&json).unwrap(), what);
        }
        let json = serde_json::to_value(SavedWhat::Report {
            request: ReportRequest::Inventory,
        })
        .unwrap();
        assert_eq!(
            json,
            serde_json::json!({"kind": "report", "request": {"report": "inventory"}})
        );
        assert_eq!(
            serde_json::to_value(SavedWhat::Query { query: query() }).unwrap()["kind"],
            "query"
        );
        // Unknown fields are refused, not dropped.
        assert!(serde_json::from_value::<SavedWhat>(
            serde_json::json!({"kind": "report", "request": {"report": "inventory"}, "x": 1})
        )
        .is_err());
    }

    #[test]
    fn a_saved_report_needs_a_role_allowed_what_it_shows() {
        let compliance = SavedWhat::Report {
            request: ReportRequest::Compliance { period: period() },
        };
        let refused = check_saved(Role::Technician, "Audit for January", &compliance).unwrap_err();
        assert!(matches!(refused, DomainError::Refused(_)), "{refused}");
        assert!(refused.to_string().contains("audit trail"), "{refused}");
        assert_eq!(
            check_saved(Role::LabManager, " Audit for January ", &compliance).unwrap(),
            "Audit for January"
        );
        // A query reads samples, which every role may.
        for role in Role::ALL {
            assert!(check_saved(role, "Stored", &SavedWhat::Query { query: query() }).is_ok());
        }
    }

    #[test]
    fn a_saved_report_is_checked_as_a_whole() {
        let inventory = SavedWhat::Report {
            request: ReportRequest::Inventory,
        };
        assert!(check_saved(Role::Viewer, "  ", &inventory).is_err());
        assert!(check_saved(Role::Viewer, &"n".repeat(MAX_NAME + 1), &inventory).is_err());
        let mut bad = query();
        bad.columns = vec!["no_such_field".into()];
        assert!(check_saved(Role::Viewer, "Bad", &SavedWhat::Query { query: bad }).is_err());
        let backwards = Period {
            from: period().to,
            to: period().from,
        };
        assert!(check_saved(
            Role::LabManager,
            "Backwards",
            &SavedWhat::Report {
                request: ReportRequest::Discards { period: backwards }
            }
        )
        .is_err());
        assert!(check_saved(
            Role::Viewer,
            "Custody",
            &SavedWhat::Report {
                request: ReportRequest::ChainOfCustody {
                    sample_code: " ".into()
                }
            }
        )
        .is_err());
    }

    #[test]
    fn a_folder_must_be_a_full_path() {
        assert!(check_folder("reports").is_err());
        assert!(check_folder("./reports").is_err());
        assert!(check_folder("").is_err());
        assert!(check_folder("/data/re\0ports").is_err());
        #[cfg(unix)]
        assert_eq!(check_folder(" /data/reports ").unwrap(), "/data/reports");
        #[cfg(windows)]
        assert_eq!(check_folder(" C:\\Reports ").unwrap(), "C:\\Reports");
    }

    #[test]
    fn a_runs_file_is_named_by_its_local_due_time() {
        let oslo = Schedule {
            cadence: Cadence::Daily,
            local_time: "06:30".into(),
            time_zone: "Europe/Oslo".into(),
        }
        .checked()
        .unwrap();
        // 06:30 in Oslo is 05:30 UTC in winter and 04:30 UTC in summer.
        let winter: DateTime<Utc> = "2026-01-15T05:30:00Z".parse().unwrap();
        let summer: DateTime<Utc> = "2026-07-15T04:30:00Z".parse().unwrap();
        assert_eq!(
            run_file_name("inventory", winter, &oslo, ReportFormat::Pdf),
            "inventory-2026-01-15-0630.pdf"
        );
        assert_eq!(
            run_file_name("inventory", summer, &oslo, ReportFormat::Csv),
            "inventory-2026-07-15-0630.csv"
        );
        // Just after midnight in Oslo is still the day before in UTC.
        let midnight = Schedule {
            cadence: Cadence::Daily,
            local_time: "00:15".into(),
            time_zone: "Europe/Oslo".into(),
        }
        .checked()
        .unwrap();
        let due: DateTime<Utc> = "2026-01-14T23:15:00Z".parse().unwrap();
        assert_eq!(
            run_file_name("x", due, &midnight, ReportFormat::Csv),
            "x-2026-01-15-0015.csv"
        );
        assert_eq!(due_in_words(due, &midnight), "2026-01-15 00:15 Europe/Oslo");
    }

    #[test]
    fn a_run_in_a_spring_forward_gap_is_named_by_the_local_time_it_ran() {
        // 02:30 does not exist in Oslo on 2026-03-29: the run is at 03:30 local (01:30 UTC),
        // and its file says so; on 2026-10-25 02:30 happens twice and it runs at the first.
        let oslo = Schedule {
            cadence: Cadence::Daily,
            local_time: "02:30".into(),
            time_zone: "Europe/Oslo".into(),
        }
        .checked()
        .unwrap();
        let due = oslo.next_after("2026-03-28T12:00:00Z".parse().unwrap());
        assert_eq!(
            due,
            "2026-03-29T01:30:00Z".parse::<DateTime<Utc>>().unwrap()
        );
        assert_eq!(
            run_file_name("x", due, &oslo, ReportFormat::Csv),
            "x-2026-03-29-0330.csv"
        );
        let due = oslo.next_after("2026-10-24T12:00:00Z".parse().unwrap());
        assert_eq!(
            due,
            "2026-10-25T00:30:00Z".parse::<DateTime<Utc>>().unwrap()
        );
        assert_eq!(
            run_file_name("x", due, &oslo, ReportFormat::Csv),
            "x-2026-10-25-0230.csv"
        );
    }

    #[test]
    fn a_querys_file_is_named_after_the_saved_report() {
        let q = SavedWhat::Query { query: query() };
        assert_eq!(q.file_stem("Plasma in freezer 3!"), "Plasma_in_freezer_3");
        assert_eq!(q.file_stem("../../etc"), "etc");
        assert_eq!(q.file_stem("***"), "samples");
        assert_eq!(
            SavedWhat::Report {
                request: ReportRequest::Inventory
            }
            .file_stem("anything"),
            "inventory"
        );
        assert_eq!(q.formats(), [ReportFormat::Csv]);
    }

    #[test]
    fn the_notice_says_late_and_how_many_runs_were_missed() {
        let on_time = RunReport {
            name: "Stored plasma",
            outcome: RunOutcome::Written,
            file: Some("/data/reports/x.csv"),
            rows: Some(12),
            missed: 1,
            late: false,
            message: None,
            due: "2026-03-01 06:30 Europe/Oslo",
        };
        let notice = run_notice(&on_time);
        assert_eq!(
            notice,
            "“Stored plasma” was written to /data/reports/x.csv (12 rows)."
        );
        assert!(!notice.contains("late"));
        let late = run_notice(&RunReport {
            missed: 3,
            late: true,
            ..on_time
        });
        assert!(late.contains("late"), "{late}");
        assert!(late.contains("2026-03-01 06:30 Europe/Oslo"), "{late}");
        assert!(late.contains("3 scheduled runs fell due"), "{late}");
        let failed = run_notice(&RunReport {
            outcome: RunOutcome::Failed,
            file: None,
            rows: None,
            message: Some("the folder /data/reports is not there"),
            ..on_time
        });
        assert_eq!(
            failed,
            "“Stored plasma” was not written: the folder /data/reports is not there"
        );
    }

    #[test]
    fn formats_and_outcomes_have_their_stored_names() {
        for f in ReportFormat::ALL {
            assert_eq!(ReportFormat::parse(f.as_str()), Some(f));
            assert_eq!(serde_json::to_value(f).unwrap(), f.as_str());
        }
        for o in [RunOutcome::Written, RunOutcome::Failed] {
            assert_eq!(RunOutcome::parse(o.as_str()), Some(o));
            assert_eq!(serde_json::to_value(o).unwrap(), o.as_str());
        }
    }
}
