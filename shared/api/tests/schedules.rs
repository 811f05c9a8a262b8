//! Scheduled reports through the runner, with a clock the test moves: a run missed while the
//! workstation was off happens once at the next start and says it was late; the file is in
//! the folder under its local due time; an owner without the permissions gets a failed run
//! and no file. And the operations, through dispatch.

use aliquot_api::{dispatch, Api, ErrorCode};
use aliquot_domain::saved_reports::{ReportFormat, RunOutcome, SavedWhat};
use aliquot_domain::schedule::{Cadence, Schedule};
use aliquot_domain::storage::{BoxLayout, FreezerKind};
use aliquot_domain::{Actor, Clock, Command, Role};
use aliquot_store::{hash_password, Store};
use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};
use uuid::Uuid;

const PASSWORD: &str = "correct horse battery";

struct TestClock(Mutex<DateTime<Utc>>);
impl Clock for TestClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap()
    }
}
impl TestClock {
    fn set(&self, to: &str) {
        *self.0.lock().unwrap() = utc(to);
    }
}

fn utc(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

fn hash() -> String {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| hash_password(PASSWORD).unwrap())
        .clone()
}

struct Bench {
    _dir: tempfile::TempDir,
    folder: tempfile::TempDir,
    clock: Arc<TestClock>,
    api: Api,
    admin: Actor,
}

/// A workstation whose clock reads 2026-03-01 09:00 UTC, with an administrator and an empty
/// folder for the reports.
async fn bench() -> Bench {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(TestClock(Mutex::new(utc("2026-03-01T09:00:00Z"))));
    let store = Store::open(dir.path(), clock.clone()).await.unwrap();
    let admin = Actor {
        user_id: Uuid::now_v7(),
        username: "admin".into(),
        role: Role::Admin,
    };
    store
        .execute(
            &Actor::system(),
            Command::CreateFirstAdmin {
                user_id: admin.user_id,
                username: admin.username.clone(),
                display_name: "Ada Admin".into(),
                password_hash: hash(),
            },
        )
        .await
        .unwrap();
    Bench {
        _dir: dir,
        folder: tempfile::tempdir().unwrap(),
        clock,
        api: Api::new(store),
        admin,
    }
}

impl Bench {
    async fn run(&self, actor: &Actor, command: Command) {
        let kind = command.kind();
        self.api
            .store()
            .execute(actor, command)
            .await
            .unwrap_or_else(|e| panic!("{kind:?}: {e}"));
    }

    async fn user(&self, name: &str, role: Role) -> Actor {
        let actor = Actor {
            user_id: Uuid::now_v7(),
            username: name.into(),
            role,
        };
        self.run(
            &self.admin,
            Command::CreateUser {
                user_id: actor.user_id,
                username: name.into(),
                display_name: name.into(),
                role,
                password_hash: hash(),
            },
        )
        .await;
        actor
    }

    /// A freezer with a rack holding boxes of these names (barcodes: the names with `-` for spaces).
    async fn boxes(&self, actor: &Actor, names: &[&str]) {
        let (freezer_id, rack_id) = (Uuid::now_v7(), Uuid::now_v7());
        self.run(
            actor,
            Command::CreateFreezer {
                freezer_id,
                name: "Freezer 1".into(),
                location: "Room 2".into(),
                freezer_kind: FreezerKind::UltraLow,
                temperature_c: -80,
            },
        )
        .await;
        self.run(
            actor,
            Command::CreateRack {
                rack_id,
                freezer_id,
                name: "Rack A".into(),
            },
        )
        .await;
        for name in names {
            self.run(
                actor,
                Command::CreateBox {
                    box_id: Uuid::now_v7(),
                    rack_id,
                    name: (*name).into(),
                    barcode: name.replace(' ', "-"),
                    box_type: "cryobox".into(),
                    layout: BoxLayout::Grid {
                        rows: 9,
                        columns: 9,
                    },
                },
            )
            .await;
        }
    }

    async fn save(&self, actor: &Actor, name: &str, what: SavedWhat) -> Uuid {
        let saved_id = Uuid::now_v7();
        self.run(
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

    async fn schedule(
        &self,
        actor: &Actor,
        saved_id: Uuid,
        local_time: &str,
        format: ReportFormat,
    ) -> Uuid {
        let schedule_id = Uuid::now_v7();
        self.run(
            actor,
            Command::ScheduleReport {
                schedule_id,
                saved_id,
                schedule: Schedule {
                    cadence: Cadence::Daily,
                    local_time: local_time.into(),
                    time_zone: "Europe/Oslo".into(),
                },
                folder: self.folder.path().to_string_lossy().into_owned(),
                format,
                bom: false,
            },
        )
        .await;
        schedule_id
    }

    fn files(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(self.folder.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    async fn runs(
        &self,
        owner: &Actor,
        schedule_id: Uuid,
    ) -> Vec<aliquot_store::saved_reports::ReportRunRecord> {
        self.api
            .store()
            .report_runs(
                schedule_id,
                owner.user_id,
                aliquot_domain::paging::PageRequest {
                    page: 1,
                    per_page: 50,
                },
            )
            .await
            .unwrap()
            .items
    }

    async fn notices(&self, owner: &Actor) -> Vec<String> {
        self.api
            .store()
            .notifications(
                owner.user_id,
                false,
                aliquot_domain::paging::PageRequest {
                    page: 1,
                    per_page: 50,
                },
            )
            .await
            .unwrap()
            .items
            .into_iter()
            .filter(|n| n.kind == "report_run")
            .map(|n| n.message)
            .collect()
    }
}

fn boxes_by_name() -> SavedWhat {
    serde_json::from_value(json!({
        "kind": "query",
        "query": {
            "entity": "boxes",
            "columns": ["name", "barcode"],
            "sort": [{"field": "name"}]
        }
    }))
    .unwrap()
}

fn inventory() -> SavedWhat {
    serde_json::from_value(json!({"kind": "report", "request": {"report": "inventory"}})).unwrap()
}

#[tokio::test]
async fn a_daily_run_missed_for_three_days_runs_once_at_start_and_says_it_was_late() {
    let b = bench().await;
    let manager = b.user("manager", Role::LabManager).await;
    b.boxes(&manager, &["Box 2", "Box 1"]).await;
    let saved = b.save(&manager, "Boxes by name", boxes_by_name()).await;
    // Daily at 06:30 in Oslo: 05:30 UTC in March.
    let schedule = b
        .schedule(&manager, saved, "06:30", ReportFormat::Csv)
        .await;

    // Nothing is due the day it was made.
    assert!(b.api.run_due_report_schedules().await.unwrap().is_empty());
    assert!(b.files().is_empty());

    // The workstation was off from then until noon on the 4th: due on the 2nd, 3rd, 4th.
    b.clock.set("2026-03-04T12:00:00Z");
    let ran = b.api.run_due_report_schedules().await.unwrap();
    assert_eq!(ran.len(), 1, "{ran:?}");
    assert_eq!(ran[0].outcome, RunOutcome::Written);
    assert_eq!(ran[0].due_at, utc("2026-03-04T05:30:00Z"));

    // The file, named by its local due time, whole, and no temporary file beside it.
    assert_eq!(b.files(), ["Boxes_by_name-2026-03-04-0630.csv"]);
    let text =
        std::fs::read_to_string(b.folder.path().join("Boxes_by_name-2026-03-04-0630.csv")).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines,
        ["Box name,Box barcode", "Box 1,Box-1", "Box 2,Box-2"]
    );

    // Recorded once, late, standing for three due times; the owner is told so.
    let runs = b.runs(&manager, schedule).await;
    assert_eq!(runs.len(), 1);
    assert_eq!((runs[0].missed, runs[0].late), (3, true));
    assert_eq!(runs[0].rows, Some(2));
    assert_eq!(
        runs[0].file.as_deref(),
        Some(
            b.folder
                .path()
                .join("Boxes_by_name-2026-03-04-0630.csv")
                .to_string_lossy()
                .as_ref()
        )
    );
    let notices = b.notices(&manager).await;
    assert_eq!(notices.len(), 1);
    assert!(notices[0].contains("late"), "{}", notices[0]);
    assert!(
        notices[0].contains("3 scheduled runs fell due"),
        "{}",
        notices[0]
    );
    assert!(b.notices(&b.admin).await.is_empty());

    // The next look does not run it again; the next due time runs on time.
    assert!(b.api.run_due_report_schedules().await.unwrap().is_empty());
    b.clock.set("2026-03-05T05:29:59Z");
    assert!(b.api.run_due_report_schedules().await.unwrap().is_empty());
    b.clock.set("2026-03-05T05:31:00Z");
    let ran = b.api.run_due_report_schedules().await.unwrap();
    assert_eq!(ran.len(), 1);
    let runs = b.runs(&manager, schedule).await;
    assert_eq!(runs.len(), 2);
    assert_eq!((runs[0].missed, runs[0].late), (1, false));
    assert!(!b.notices(&manager).await[0].contains("late"));
    assert_eq!(
        b.files(),
        [
            "Boxes_by_name-2026-03-04-0630.csv",
            "Boxes_by_name-2026-03-05-0630.csv"
        ]
    );
}

#[tokio::test]
async fn an_owner_without_the_permissions_gets_a_failed_run_saying_why_and_no_file() {
    let b = bench().await;
    let tech = b.user("tech", Role::Technician).await;
    let manager = b.user("manager", Role::LabManager).await;
    let stock = b.save(&tech, "Stock", inventory()).await;
    let stock_schedule = b.schedule(&tech, stock, "06:30", ReportFormat::Pdf).await;
    let compliance: SavedWhat = serde_json::from_value(json!({"kind": "report", "request":
        {"report": "compliance", "period": {"from": "2026-02-01T00:00:00Z", "to": "2026-03-01T00:00:00Z"}}}))
    .unwrap();
    let audit = b.save(&manager, "February audit", compliance).await;
    let audit_schedule = b
        .schedule(&manager, audit, "06:30", ReportFormat::Pdf)
        .await;

    // The technician leaves; the manager moves to the bench.
    b.run(
        &b.admin,
        Command::DeactivateUser {
            user_id: tech.user_id,
            reason: "left the lab".into(),
        },
    )
    .await;
    b.run(
        &b.admin,
        Command::ChangeRole {
            user_id: manager.user_id,
            role: Role::Technician,
            reason: "moved to the bench".into(),
        },
    )
    .await;
    b.clock.set("2026-03-02T05:30:00Z");
    let ran = b.api.run_due_report_schedules().await.unwrap();
    assert_eq!(ran.len(), 2);
    assert!(
        ran.iter().all(|r| r.outcome == RunOutcome::Failed),
        "{ran:?}"
    );
    assert!(b.files().is_empty(), "{:?}", b.files());

    let run = &b.runs(&tech, stock_schedule).await[0];
    assert_eq!(run.outcome, RunOutcome::Failed);
    assert_eq!(run.file, None);
    let why = run.message.as_deref().unwrap();
    assert!(why.contains("deactivated"), "{why}");
    assert!(b.notices(&tech).await[0].contains("was not written"));

    let run = &b.runs(&manager, audit_schedule).await[0];
    let why = run.message.as_deref().unwrap();
    assert!(why.contains("may no longer see"), "{why}");
    // On time, though it failed: the schedule moves on.
    assert!(!run.late);
    assert!(b.api.run_due_report_schedules().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_report_scheduled_as_pdf_then_changed_into_a_query_fails_saying_so() {
    let b = bench().await;
    let manager = b.user("manager", Role::LabManager).await;
    let saved = b.save(&manager, "Stock", inventory()).await;
    let schedule = b
        .schedule(&manager, saved, "06:30", ReportFormat::Pdf)
        .await;
    b.run(
        &manager,
        Command::ChangeSavedReport {
            saved_id: saved,
            name: "Stock".into(),
            what: boxes_by_name(),
            reason: "the rows, not a summary".into(),
        },
    )
    .await;
    b.clock.set("2026-03-02T05:30:00Z");
    let ran = b.api.run_due_report_schedules().await.unwrap();
    assert_eq!(ran[0].outcome, RunOutcome::Failed);
    let run = &b.runs(&manager, schedule).await[0];
    let why = run.message.as_deref().unwrap();
    assert!(why.contains("now a query"), "{why}");
    assert!(b.files().is_empty());
}

#[tokio::test]
async fn a_schedule_in_oslo_names_its_file_by_the_local_date() {
    let b = bench().await;
    let manager = b.user("manager", Role::LabManager).await;
    let stock = b.save(&manager, "Stock", inventory()).await;
    // 00:30 in Oslo on the 2nd is 23:30 UTC on the 1st.
    let schedule = b
        .schedule(&manager, stock, "00:30", ReportFormat::Pdf)
        .await;
    b.clock.set("2026-03-01T23:31:00Z");
    let ran = b.api.run_due_report_schedules().await.unwrap();
    assert_eq!(ran.len(), 1);
    assert_eq!(ran[0].due_at, utc("2026-03-01T23:30:00Z"));
    assert_eq!(b.files(), ["inventory-2026-03-02-0030.pdf"]);
    let pdf = std::fs::read(b.folder.path().join("inventory-2026-03-02-0030.pdf")).unwrap();
    assert!(pdf.starts_with(b"%PDF"));
    let runs = b.runs(&manager, schedule).await;
    assert!(!runs[0].late, "a run a minute after its time is on time");
    // In summer the same local time is 22:30 UTC, and the name still reads 00:30.
    b.clock.set("2026-07-01T22:31:00Z");
    let ran = b.api.run_due_report_schedules().await.unwrap();
    assert_eq!(ran[0].due_at, utc("2026-07-01T22:30:00Z"));
    assert!(b
        .files()
        .contains(&"inventory-2026-07-02-0030.pdf".to_owned()));
}

async fn call(
    api: &Api,
    name: &str,
    token: Option<&str>,
    args: Value,
) -> Result<Value, aliquot_api::ApiError> {
    dispatch(api, name, token, args).await
}

async fn login(b: &Bench, username: &str) -> String {
    let session = call(
        &b.api,
        "login",
        None,
        json!({"username": username, "password": PASSWORD}),
    )
    .await
    .unwrap();
    session["token"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn saved_reports_and_schedules_through_the_operations() {
    let b = bench().await;
    let tech = b.user("tech", Role::Technician).await;
    b.user("other", Role::Technician).await;
    let token = login(&b, &tech.username).await;
    let other = login(&b, "other").await;
    let folder = b.folder.path().to_string_lossy().into_owned();

    let saved = call(
        &b.api,
        "save_report",
        Some(&token),
        json!({"name": "Stock", "what": {"kind": "report", "request": {"report": "inventory"}}}),
    )
    .await
    .unwrap();
    assert_eq!(saved["name"], "Stock");
    let refused = call(&b.api, "save_report", Some(&token), json!({"name": "Audit", "what":
        {"kind": "report", "request": {"report": "compliance", "period": {"from": "2026-02-01T00:00:00Z", "to": "2026-03-01T00:00:00Z"}}}}))
        .await
        .unwrap_err();
    assert_eq!(refused.code, ErrorCode::Conflict, "{refused:?}");
    let page = call(&b.api, "list_saved_reports", Some(&token), json!({}))
        .await
        .unwrap();
    assert_eq!(page["total"], 1);
    assert_eq!(
        call(&b.api, "list_saved_reports", Some(&other), json!({}))
            .await
            .unwrap()["total"],
        0
    );
    // "Open" reads the one saved report: its owner's; another person's is not found.
    let opened = call(
        &b.api,
        "get_saved_report",
        Some(&token),
        json!({"id": saved["id"]}),
    )
    .await
    .unwrap();
    assert_eq!(opened["name"], "Stock");
    let hidden = call(
        &b.api,
        "get_saved_report",
        Some(&other),
        json!({"id": saved["id"]}),
    )
    .await
    .unwrap_err();
    assert_eq!(hidden.code, ErrorCode::NotFound, "{hidden:?}");
    let changed = call(&b.api, "change_saved_report", Some(&token), json!({"saved_id": saved["id"],
        "name": "Space", "what": {"kind": "report", "request": {"report": "occupancy"}}, "reason": "space, not tubes"}))
        .await
        .unwrap();
    assert_eq!(changed["name"], "Space");

    // A folder that is not there is refused before anything is recorded.
    let missing = call(&b.api, "schedule_report", Some(&token), json!({"saved_id": saved["id"],
        "schedule": {"cadence": {"kind": "weekly", "weekday": "monday"}, "local_time": "07:00", "time_zone": "Europe/Oslo"},
        "folder": Path::new(&folder).join("not-there"), "format": "csv"}))
        .await
        .unwrap_err();
    assert_eq!(missing.code, ErrorCode::InvalidInput, "{missing:?}");
    let schedule = call(&b.api, "schedule_report", Some(&token), json!({"saved_id": saved["id"],
        "schedule": {"cadence": {"kind": "weekly", "weekday": "monday"}, "local_time": "07:00", "time_zone": "Europe/Oslo"},
        "folder": folder, "format": "csv", "bom": true}))
        .await
        .unwrap();
    assert_eq!(schedule["saved_name"], "Space");
    // 2026-03-02 is a Monday; 07:00 in Oslo is 06:00 UTC.
    assert_eq!(schedule["next_due"], "2026-03-02T06:00:00Z");
    let schedules = call(
        &b.api,
        "list_report_schedules",
        Some(&token),
        json!({"page": 1, "per_page": 10}),
    )
    .await
    .unwrap();
    assert_eq!(schedules["total"], 1);
    assert_eq!(
        call(&b.api, "list_report_schedules", Some(&other), json!({}))
            .await
            .unwrap()["total"],
        0
    );
    let not_theirs = call(
        &b.api,
        "void_schedule",
        Some(&other),
        json!({"schedule_id": schedule["id"], "reason": "not mine"}),
    )
    .await
    .unwrap_err();
    assert_eq!(not_theirs.code, ErrorCode::Conflict, "{not_theirs:?}");

    b.clock.set("2026-03-02T06:00:30Z");
    b.api.run_due_report_schedules().await.unwrap();
    // The sessions ended overnight.
    let (token, other) = (login(&b, &tech.username).await, login(&b, "other").await);
    let runs = call(
        &b.api,
        "list_report_runs",
        Some(&token),
        json!({"schedule_id": schedule["id"]}),
    )
    .await
    .unwrap();
    assert_eq!(runs["total"], 1);
    assert_eq!(runs["items"][0]["outcome"], "written");
    let written = std::fs::read(runs["items"][0]["file"].as_str().unwrap()).unwrap();
    assert!(
        written.starts_with(b"\xEF\xBB\xBF"),
        "the byte-order mark was asked for"
    );
    assert_eq!(
        call(
            &b.api,
            "list_report_runs",
            Some(&other),
            json!({"schedule_id": schedule["id"]})
        )
        .await
        .unwrap()["total"],
        0
    );

    // Voiding the saved report voids the owner's schedules of it here, with the reason.
    let voided = call(
        &b.api,
        "void_saved_report",
        Some(&token),
        json!({"saved_id": saved["id"], "reason": "no longer needed"}),
    )
    .await
    .unwrap();
    assert_eq!(voided["schedules_voided"], 1);
    assert!(voided["saved_report"]["voided_at"].is_string());
    let gone = call(
        &b.api,
        "get_saved_report",
        Some(&token),
        json!({"id": saved["id"]}),
    )
    .await
    .unwrap_err();
    assert_eq!(gone.code, ErrorCode::NotFound, "{gone:?}");
    assert_eq!(
        call(&b.api, "list_report_schedules", Some(&token), json!({}))
            .await
            .unwrap()["total"],
        0
    );
    let schedule = b
        .api
        .store()
        .report_schedule(schedule["id"].as_str().unwrap().parse().unwrap())
        .await
        .unwrap();
    assert_eq!(schedule.void_reason.as_deref(), Some("no longer needed"));
}
