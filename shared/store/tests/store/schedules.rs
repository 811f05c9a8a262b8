//! Saved reports (the lab's, synced, owned) and scheduled reports (this workstation's):
//! every change audited with its old and new values, only the owner changes or voids, nothing
//! deleted, and a run's notice is its owner's alone and never leaves the workstation.

use super::{fixture, Fixture};
use aliquot_domain::command::CommandScope;
use aliquot_domain::paging::PageRequest;
use aliquot_domain::reports::{Period, ReportRequest};
use aliquot_domain::saved_reports::{ReportFormat, RunOutcome, SavedWhat};
use aliquot_domain::schedule::{Cadence, Schedule};
use aliquot_domain::{Actor, Clock, Command, CommandKind, DomainError, Role};
use aliquot_store::lab_tables::lab_table;
use aliquot_store::StoreError;
use chrono::{DateTime, Duration, Utc};
use serde_json::Value;
use uuid::Uuid;

pub fn inventory() -> SavedWhat {
    SavedWhat::Report {
        request: ReportRequest::Inventory,
    }
}

pub fn occupancy() -> SavedWhat {
    SavedWhat::Report {
        request: ReportRequest::Occupancy { freezer_id: None },
    }
}

fn compliance() -> SavedWhat {
    SavedWhat::Report {
        request: ReportRequest::Compliance {
            period: Period {
                from: "2026-01-01T00:00:00Z".parse().unwrap(),
                to: "2026-02-01T00:00:00Z".parse().unwrap(),
            },
        },
    }
}

fn stored_samples() -> SavedWhat {
    serde_json::from_value(serde_json::json!({
        "kind": "query",
        "query": {"entity": "samples", "columns": ["code", "status"]}
    }))
    .unwrap()
}

pub fn daily_oslo() -> Schedule {
    Schedule {
        cadence: Cadence::Daily,
        local_time: "06:30".into(),
        time_zone: "Europe/Oslo".into(),
    }
}

pub fn schedule_command(saved_id: Uuid, folder: &std::path::Path) -> Command {
    Command::ScheduleReport {
        schedule_id: Uuid::now_v7(),
        saved_id,
        schedule: daily_oslo(),
        folder: folder.to_string_lossy().into_owned(),
        format: ReportFormat::Csv,
        bom: false,
    }
}

/// A saved report of `actor`'s.
pub async fn save(f: &Fixture, actor: &Actor, name: &str, what: SavedWhat) -> Uuid {
    let saved_id = Uuid::now_v7();
    f.run(
        actor,
        Command::SaveReport {
            saved_id,
            name: name.into(),
            what,
        },
    )
    .await;
    saved_id
}

/// A daily 06:30 Europe/Oslo schedule of `actor`'s saved report, as CSV into the
/// fixture's `reports` folder.
pub async fn schedule(f: &Fixture, actor: &Actor, saved_id: Uuid) -> Uuid {
    let command = schedule_command(saved_id, &f.dir.path().join("reports"));
    let Command::ScheduleReport { schedule_id, .. } = command else {
        unreachable!()
    };
    f.run(actor, command).await;
    schedule_id
}

pub fn run_command(schedule_id: Uuid, due_at: DateTime<Utc>, missed: u32, late: bool) -> Command {
    Command::RecordReportRun {
        run_id: Uuid::now_v7(),
        schedule_id,
        due_at,
        ran_at: due_at,
        missed,
        late,
        file: Some(format!(
            "/data/reports/inventory-{}.csv",
            due_at.timestamp()
        )),
        rows: Some(3),
        outcome: RunOutcome::Written,
        message: None,
    }
}

fn first_page() -> PageRequest {
    PageRequest {
        page: 1,
        per_page: 50,
    }
}

/// The audit rows of one record, oldest first: (action, old, new, reason).
async fn audit_of(f: &Fixture, entity_id: Uuid) -> Vec<(String, Value, Value, Option<String>)> {
    type Row = (String, Option<String>, Option<String>, Option<String>);
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT action, old_value, new_value, reason FROM audit_log WHERE entity_id = ?1 ORDER BY seq",
    )
    .bind(entity_id.to_string())
    .fetch_all(f.store.pool())
    .await
    .unwrap();
    let json =
        |text: Option<String>| text.map_or(Value::Null, |t| serde_json::from_str(&t).unwrap());
    rows.into_iter()
        .map(|(action, old, new, reason)| (action, json(old), json(new), reason))
        .collect()
}

async fn refused(f: &Fixture, actor: &Actor, command: Command) -> DomainError {
    let kind = command.kind();
    match f.store.execute(actor, command).await {
        Err(StoreError::Domain(e)) => e,
        other => panic!("{kind:?} must be refused by the domain: {other:?}"),
    }
}

async fn outbox_kinds(f: &Fixture) -> Vec<String> {
    sqlx::query_scalar("SELECT kind FROM outbox ORDER BY seq")
        .fetch_all(f.store.pool())
        .await
        .unwrap()
}

#[tokio::test]
async fn a_saved_report_is_saved_changed_and_voided_with_one_audit_row_each() {
    let f = fixture().await;
    let tech = f.user("tech", Role::Technician).await;
    let saved = save(&f, &tech, " Weekly stock ", inventory()).await;
    f.run(
        &tech,
        Command::ChangeSavedReport {
            saved_id: saved,
            name: "Freezer space".into(),
            what: occupancy(),
            reason: "space, not tubes".into(),
        },
    )
    .await;
    f.run(
        &tech,
        Command::VoidSavedReport {
            saved_id: saved,
            reason: "no longer needed".into(),
        },
    )
    .await;

    let audit = audit_of(&f, saved).await;
    let actions: Vec<&str> = audit.iter().map(|a| a.0.as_str()).collect();
    assert_eq!(
        actions,
        ["save_report", "change_saved_report", "void_saved_report"]
    );
    let (_, old, new, _) = &audit[0];
    assert_eq!(*old, Value::Null);
    assert_eq!(new["name"], "Weekly stock");
    assert_eq!(new["what"]["request"]["report"], "inventory");
    assert_eq!(new["owner_id"], tech.user_id.to_string());
    let (_, old, new, reason) = &audit[1];
    assert_eq!(
        (&old["name"], &new["name"]),
        (&Value::from("Weekly stock"), &Value::from("Freezer space"))
    );
    assert_eq!(old["what"]["request"]["report"], "inventory");
    assert_eq!(new["what"]["request"]["report"], "occupancy");
    assert_eq!(reason.as_deref(), Some("space, not tubes"));
    let (_, old, new, reason) = &audit[2];
    assert_eq!(
        (&old["voided"], &new["voided"]),
        (&Value::Bool(false), &Value::Bool(true))
    );
    assert_eq!(reason.as_deref(), Some("no longer needed"));

    // The lab's: each went to the outbox, for the hub to decide again.
    assert_eq!(
        outbox_kinds(&f)
            .await
            .iter()
            .rev()
            .take(3)
            .collect::<Vec<_>>(),
        ["void_saved_report", "change_saved_report", "save_report"]
    );

    // Voided, not deleted: still there with when and why, left out of the owner's list.
    let row: (String, Option<String>, Option<String>) =
        sqlx::query_as("SELECT name, voided_at, void_reason FROM saved_reports WHERE id = ?1")
            .bind(saved.to_string())
            .fetch_one(f.store.pool())
            .await
            .unwrap();
    assert_eq!(row.0, "Freezer space");
    assert!(row.1.is_some());
    assert_eq!(row.2.as_deref(), Some("no longer needed"));
    let record = f.store.saved_report(saved).await.unwrap();
    assert!(record.voided_at.is_some());
    assert_eq!(record.what, occupancy());
    assert_eq!(
        f.store
            .saved_reports(tech.user_id, first_page())
            .await
            .unwrap()
            .total,
        0
    );
    let deleted = sqlx::query("DELETE FROM saved_reports WHERE id = ?1")
        .bind(saved.to_string())
        .execute(f.store.pool())
        .await;
    assert!(deleted.is_err(), "a saved report was deleted");

    // A voided report's name is free again; an active one's is not, in any case.
    let again = save(&f, &tech, "Freezer space", inventory()).await;
    let taken = refused(
        &f,
        &tech,
        Command::SaveReport {
            saved_id: Uuid::now_v7(),
            name: "FREEZER space".into(),
            what: inventory(),
        },
    )
    .await;
    assert!(matches!(taken, DomainError::Taken(_)), "{taken}");
    // Another owner may use the same name.
    let manager = f.user("manager", Role::LabManager).await;
    save(&f, &manager, "Freezer space", stored_samples()).await;
    let page = f
        .store
        .saved_reports(tech.user_id, first_page())
        .await
        .unwrap();
    assert_eq!(page.total, 1);
    assert_eq!(page.items[0].id, again);
    // Changing nothing is refused; so is voiding twice.
    let unchanged = refused(
        &f,
        &tech,
        Command::ChangeSavedReport {
            saved_id: again,
            name: "Freezer space".into(),
            what: inventory(),
            reason: "no change".into(),
        },
    )
    .await;
    assert!(
        unchanged.to_string().contains("nothing to change"),
        "{unchanged}"
    );
    let twice = refused(
        &f,
        &tech,
        Command::VoidSavedReport {
            saved_id: saved,
            reason: "again".into(),
        },
    )
    .await;
    assert!(matches!(twice, DomainError::Voided(_)), "{twice}");
}

#[tokio::test]
async fn a_saved_report_needs_what_it_shows_allowed_to_its_owner() {
    let f = fixture().await;
    let tech = f.user("tech", Role::Technician).await;
    let manager = f.user("manager", Role::LabManager).await;
    let e = refused(
        &f,
        &tech,
        Command::SaveReport {
            saved_id: Uuid::now_v7(),
            name: "Audit".into(),
            what: compliance(),
        },
    )
    .await;
    assert!(e.to_string().contains("audit trail"), "{e}");
    // Nor may a technician change theirs into one.
    let mine = save(&f, &tech, "Mine", inventory()).await;
    let e = refused(
        &f,
        &tech,
        Command::ChangeSavedReport {
            saved_id: mine,
            name: "Mine".into(),
            what: compliance(),
            reason: "see the audit".into(),
        },
    )
    .await;
    assert!(e.to_string().contains("audit trail"), "{e}");
    // A lab manager may; demoted, they can no longer schedule it.
    let audit = save(&f, &manager, "Audit", compliance()).await;
    f.run(
        &f.admin,
        Command::ChangeRole {
            user_id: manager.user_id,
            role: Role::Technician,
            reason: "moved to the bench".into(),
        },
    )
    .await;
    let demoted = Actor {
        role: Role::Technician,
        ..manager.clone()
    };
    let e = refused(
        &f,
        &demoted,
        schedule_command(audit, &f.dir.path().join("reports")),
    )
    .await;
    assert!(e.to_string().contains("audit trail"), "{e}");
}

#[tokio::test]
async fn only_the_owner_may_change_void_or_schedule_a_saved_report() {
    let f = fixture().await;
    let owner = f.user("owner", Role::LabManager).await;
    let other = f.user("other", Role::LabManager).await;
    let saved = save(&f, &owner, "Stock", inventory()).await;
    let audit_before = f.count("audit_log").await;
    for command in [
        Command::ChangeSavedReport {
            saved_id: saved,
            name: "Mine now".into(),
            what: inventory(),
            reason: "taking it over".into(),
        },
        Command::VoidSavedReport {
            saved_id: saved,
            reason: "not needed".into(),
        },
        schedule_command(saved, &f.dir.path().join("reports")),
    ] {
        let e = refused(&f, &other, command).await;
        assert!(e.to_string().contains("someone else's"), "{e}");
    }
    assert_eq!(
        f.count("audit_log").await,
        audit_before,
        "a refusal left a trace"
    );

    let schedule_id = schedule(&f, &owner, saved).await;
    let audit_before = f.count("audit_log").await;
    let e = refused(
        &f,
        &other,
        Command::VoidSchedule {
            schedule_id,
            reason: "not mine".into(),
        },
    )
    .await;
    assert!(e.to_string().contains("someone else's"), "{e}");
    let due = f.store.report_schedule(schedule_id).await.unwrap().next_due;
    let e = refused(&f, &other, run_command(schedule_id, due, 1, false)).await;
    assert!(e.to_string().contains("owner"), "{e}");
    assert_eq!(f.count("audit_log").await, audit_before);
    // The other user sees neither the schedule nor its runs.
    assert_eq!(
        f.store
            .report_schedules(other.user_id, first_page())
            .await
            .unwrap()
            .total,
        0
    );
    f.run(&owner, run_command(schedule_id, due, 1, false)).await;
    assert_eq!(
        f.store
            .report_runs(schedule_id, other.user_id, first_page())
            .await
            .unwrap()
            .total,
        0
    );
    assert_eq!(
        f.store
            .report_runs(schedule_id, owner.user_id, first_page())
            .await
            .unwrap()
            .total,
        1
    );
    // The owner may.
    f.run(
        &owner,
        Command::VoidSchedule {
            schedule_id,
            reason: "moved to another PC".into(),
        },
    )
    .await;
    f.run(
        &owner,
        Command::VoidSavedReport {
            saved_id: saved,
            reason: "done".into(),
        },
    )
    .await;
}

#[tokio::test]
async fn a_schedule_is_refused_with_a_relative_folder_a_bad_time_or_an_unknown_zone() {
    let f = fixture().await;
    let tech = f.user("tech", Role::Technician).await;
    let saved = save(&f, &tech, "Stock", inventory()).await;
    let query = save(&f, &tech, "Stored", stored_samples()).await;
    let folder = f.dir.path().join("reports");
    let with = |change: &dyn Fn(&mut Command)| {
        let mut command = schedule_command(saved, &folder);
        change(&mut command);
        command
    };
    let cases: Vec<(&str, Command)> = vec![
        (
            "folder",
            with(&|c| {
                if let Command::ScheduleReport { folder, .. } = c {
                    *folder = "reports".into();
                }
            }),
        ),
        (
            "local_time",
            with(&|c| {
                if let Command::ScheduleReport { schedule, .. } = c {
                    schedule.local_time = "25:00".into();
                }
            }),
        ),
        (
            "local_time",
            with(&|c| {
                if let Command::ScheduleReport { schedule, .. } = c {
                    schedule.local_time = "6:30".into();
                }
            }),
        ),
        (
            "time_zone",
            with(&|c| {
                if let Command::ScheduleReport { schedule, .. } = c {
                    schedule.time_zone = "Europe/Atlantis".into();
                }
            }),
        ),
        (
            "time_zone",
            with(&|c| {
                if let Command::ScheduleReport { schedule, .. } = c {
                    schedule.time_zone = "europe/oslo".into();
                }
            }),
        ),
        (
            "day",
            with(&|c| {
                if let Command::ScheduleReport { schedule, .. } = c {
                    schedule.cadence = Cadence::Monthly { day: 32 };
                }
            }),
        ),
        // A query is written as CSV only.
        (
            "format",
            Command::ScheduleReport {
                schedule_id: Uuid::now_v7(),
                saved_id: query,
                schedule: daily_oslo(),
                folder: folder.to_string_lossy().into_owned(),
                format: ReportFormat::Pdf,
                bom: false,
            },
        ),
    ];
    let before = f.count("audit_log").await;
    for (field, command) in cases {
        match refused(&f, &tech, command).await {
            DomainError::Invalid { field: got, .. } => assert_eq!(got, field),
            other => panic!("{field}: {other}"),
        }
    }
    // Nor is a voided or unknown saved report scheduled.
    f.run(
        &tech,
        Command::VoidSavedReport {
            saved_id: saved,
            reason: "wrong one".into(),
        },
    )
    .await;
    let before_void = f.count("audit_log").await;
    assert!(matches!(
        refused(&f, &tech, schedule_command(saved, &folder)).await,
        DomainError::Voided(_)
    ));
    assert!(matches!(
        refused(&f, &tech, schedule_command(Uuid::now_v7(), &folder)).await,
        DomainError::NotFound(_)
    ));
    assert_eq!(f.count("audit_log").await, before_void);
    assert_eq!(before + 1, before_void);
    assert_eq!(f.count("report_schedules").await, 0);
}

#[tokio::test]
async fn a_recorded_run_moves_the_schedule_and_notifies_only_its_owner_on_this_workstation() {
    let f = fixture().await;
    let tech = f.user("tech", Role::Technician).await;
    let manager = f.user("manager", Role::LabManager).await;
    let saved = save(&f, &tech, "Stock", inventory()).await;
    let outbox_before = f.count("outbox").await;
    let schedule_id = schedule(&f, &tech, saved).await;
    let record = f.store.report_schedule(schedule_id).await.unwrap();
    // The fixture's clock is 2026-03-01 09:00 UTC; 06:30 in Oslo is 05:30 UTC in March.
    assert_eq!(record.last_due, f.clock.now());
    assert_eq!(
        record.next_due,
        "2026-03-02T05:30:00Z".parse::<DateTime<Utc>>().unwrap()
    );
    assert_eq!(record.saved_name.as_deref(), Some("Stock"));
    assert_eq!(record.last_outcome, None);

    f.run(&tech, run_command(schedule_id, record.next_due, 1, false))
        .await;
    let after = f.store.report_schedule(schedule_id).await.unwrap();
    assert_eq!(after.last_due, record.next_due);
    assert_eq!(
        after.next_due,
        "2026-03-03T05:30:00Z".parse::<DateTime<Utc>>().unwrap()
    );
    assert_eq!(after.last_outcome, Some(RunOutcome::Written));
    let runs = f
        .store
        .report_runs(schedule_id, tech.user_id, first_page())
        .await
        .unwrap();
    assert_eq!(runs.total, 1);
    assert_eq!(runs.items[0].due_at, record.next_due);
    assert_eq!(runs.items[0].rows, Some(3));
    assert!(!runs.items[0].late);

    // The owner is told; nobody else.
    let notes = f
        .store
        .notifications(tech.user_id, false, first_page())
        .await
        .unwrap();
    assert_eq!(notes.total, 1);
    let note = &notes.items[0];
    assert_eq!(note.kind, "report_run");
    assert_eq!(note.entity_id, schedule_id.to_string());
    assert!(
        note.message.contains("“Stock” was written to"),
        "{}",
        note.message
    );
    assert!(!note.message.contains("late"), "{}", note.message);
    for other in [&manager, &f.admin] {
        assert_eq!(
            f.store
                .notifications(other.user_id, false, first_page())
                .await
                .unwrap()
                .items
                .iter()
                .filter(|n| n.kind == "report_run")
                .count(),
            0
        );
    }
    // This workstation's own: never in the outbox, and its notice is no lab row (not in
    // the row images the feed, the snapshot and the convergence check read).
    assert_eq!(f.count("outbox").await, outbox_before);
    assert_eq!(
        CommandKind::RecordReportRun.scope(),
        CommandScope::Workstation
    );
    let notifications = lab_table("notifications").unwrap();
    let lab_rows = f.store.lab_rows(notifications).await.unwrap();
    assert!(
        lab_rows.iter().all(|row| row["kind"] != "report_run"),
        "{lab_rows:?}"
    );
    assert_eq!(f.count("notifications").await as usize, lab_rows.len() + 1);
    // Reading the notice is this workstation's business too: no outbox row, so the hub,
    // which has no such notice, is never asked to mark it (and never refuses it).
    f.run(
        &tech,
        Command::MarkNotificationRead {
            notification_id: note.id,
        },
    )
    .await;
    assert_eq!(f.count("outbox").await, outbox_before);
    // The schedule's story has the run, with the old and the new due time.
    let audit = audit_of(&f, schedule_id).await;
    assert_eq!(audit.len(), 2);
    assert_eq!(audit[1].0, "record_report_run");
    assert_eq!(
        audit[1].1["last_due"],
        aliquot_domain::audit::format_utc(f.clock.now())
    );
    assert_eq!(audit[1].2["run"]["outcome"], "written");

    // A due time runs once; an earlier one is not recorded after a later.
    let again = refused(
        &f,
        &tech,
        run_command(schedule_id, record.next_due, 1, false),
    )
    .await;
    assert!(again.to_string().contains("already run"), "{again}");

    // A late run after three missed due times says so.
    let later = record.next_due + Duration::days(3);
    f.clock.advance(Duration::days(4));
    f.run(&tech, run_command(schedule_id, later, 3, true)).await;
    let notes = f
        .store
        .notifications(tech.user_id, false, first_page())
        .await
        .unwrap();
    let late = &notes.items[0].message;
    assert!(late.contains("late"), "{late}");
    assert!(late.contains("2026-03-05 06:30 Europe/Oslo"), "{late}");
    assert!(late.contains("3 scheduled runs fell due"), "{late}");
    let runs = f
        .store
        .report_runs(schedule_id, tech.user_id, first_page())
        .await
        .unwrap();
    assert_eq!(runs.total, 2);
    assert_eq!((runs.items[0].missed, runs.items[0].late), (3, true));
    assert_eq!(runs.items[0].due_at, later);

    // A failed run must say why; a written one must name its file.
    let mut failed = run_command(schedule_id, later + Duration::days(1), 1, false);
    if let Command::RecordReportRun { outcome, file, .. } = &mut failed {
        *outcome = RunOutcome::Failed;
        *file = None;
    }
    assert!(matches!(
        refused(&f, &tech, failed).await,
        DomainError::Invalid {
            field: "message",
            ..
        }
    ));
}

#[tokio::test]
async fn a_voided_schedule_stays_on_record_and_is_not_run() {
    let f = fixture().await;
    let tech = f.user("tech", Role::Technician).await;
    let saved = save(&f, &tech, "Stock", inventory()).await;
    let schedule_id = schedule(&f, &tech, saved).await;
    let all = PageRequest {
        page: 1,
        per_page: 10,
    };
    assert_eq!(f.store.active_report_schedules(all).await.unwrap().total, 1);
    f.run(
        &tech,
        Command::VoidSchedule {
            schedule_id,
            reason: "the folder moved".into(),
        },
    )
    .await;
    assert_eq!(f.store.active_report_schedules(all).await.unwrap().total, 0);
    assert_eq!(
        f.store
            .report_schedules(tech.user_id, first_page())
            .await
            .unwrap()
            .total,
        0
    );
    let record = f.store.report_schedule(schedule_id).await.unwrap();
    assert!(record.voided_at.is_some());
    assert_eq!(record.void_reason.as_deref(), Some("the folder moved"));
    assert!(sqlx::query("DELETE FROM report_schedules")
        .execute(f.store.pool())
        .await
        .is_err());
    assert!(matches!(
        refused(
            &f,
            &tech,
            run_command(schedule_id, record.next_due, 1, false)
        )
        .await,
        DomainError::Voided(_)
    ));
    let audit = audit_of(&f, schedule_id).await;
    let actions: Vec<&str> = audit.iter().map(|a| a.0.as_str()).collect();
    assert_eq!(actions, ["schedule_report", "void_schedule"]);
    assert_eq!(
        audit[0].2["folder"],
        f.dir.path().join("reports").to_string_lossy().as_ref()
    );
    assert_eq!(audit[1].3.as_deref(), Some("the folder moved"));
    assert!(!outbox_kinds(&f)
        .await
        .iter()
        .any(|k| k.contains("schedule")));
}
