//! The store's boundary: the executor, the audit chain, accounts and sessions, on real
//! SQLite files in temporary directories.

use aliquot_domain::account::{LOCKOUT, MAX_FAILED_LOGINS, SESSION_ABSOLUTE, SESSION_IDLE};
use aliquot_domain::audit::ChainBreak;
use aliquot_domain::command::CommandScope;
use aliquot_domain::settings::Setting;
use aliquot_domain::{Actor, Clock, Command, CommandKind, Role};
use aliquot_store::auth::token_hash;
use aliquot_store::{hash_password, Store, StoreError};

mod custody;
mod hardening;
mod instruments;
mod lab;
mod query;
mod receiving;
mod replay;
mod reports;
mod result_sets;
mod runs;
mod samples_and_storage;
mod schedules;
mod setup_corrections;
use chrono::{DateTime, Duration, TimeZone, Utc};
use std::sync::{Arc, Mutex};
use uuid::Uuid;

/// A clock the test moves by hand.
struct TestClock(Mutex<DateTime<Utc>>);
impl Clock for TestClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap()
    }
}
impl TestClock {
    fn advance(&self, by: Duration) {
        *self.0.lock().unwrap() += by;
    }
}

struct Fixture {
    dir: tempfile::TempDir,
    clock: Arc<TestClock>,
    store: Store,
    admin: Actor,
}

const PASSWORD: &str = "correct horse battery";

/// A cheap hash for fixtures that never log in (argon2 at full strength is slow by design).
fn fixture_hash() -> String {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| hash_password(PASSWORD).unwrap())
        .clone()
}

async fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(TestClock(Mutex::new(
        Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap(),
    )));
    let store = Store::open(dir.path(), clock.clone()).await.unwrap();
    let admin_id = Uuid::now_v7();
    store
        .execute(
            &Actor::system(),
            Command::CreateFirstAdmin {
                user_id: admin_id,
                username: "admin".into(),
                display_name: "Ada Admin".into(),
                password_hash: fixture_hash(),
            },
        )
        .await
        .unwrap();
    let admin = Actor {
        user_id: admin_id,
        username: "admin".into(),
        role: Role::Admin,
    };
    Fixture {
        dir,
        clock,
        store,
        admin,
    }
}

impl Fixture {
    async fn add_user(&self, name: &str, role: Role) -> Actor {
        let user_id = Uuid::now_v7();
        self.store
            .execute(
                &self.admin,
                Command::CreateUser {
                    user_id,
                    username: name.into(),
                    display_name: name.into(),
                    role,
                    password_hash: fixture_hash(),
                },
            )
            .await
            .unwrap();
        Actor {
            user_id,
            username: name.into(),
            role,
        }
    }

    /// A tube's whole history, oldest first (the store pages it newest first).
    async fn history(&self, sample_id: Uuid) -> Vec<aliquot_store::samples::SampleEvent> {
        let page = aliquot_domain::paging::PageRequest {
            page: 1,
            per_page: aliquot_domain::paging::MAX_PER_PAGE,
        };
        let mut events = self
            .store
            .sample_history(sample_id, page)
            .await
            .unwrap()
            .items;
        events.reverse();
        events
    }

    /// A tube's status changes, oldest first: (from, to, via).
    async fn status_steps(
        &self,
        sample_id: Uuid,
    ) -> Vec<(
        Option<aliquot_domain::sample::SampleStatus>,
        aliquot_domain::sample::SampleStatus,
        String,
    )> {
        use aliquot_store::samples::SampleEventKind;
        self.history(sample_id)
            .await
            .into_iter()
            .filter_map(|e| match e.what {
                SampleEventKind::Status { from, to, via } => Some((from, to, via)),
                _ => None,
            })
            .collect()
    }

    async fn count(&self, table: &str) -> i64 {
        sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
            .fetch_one(self.store.pool())
            .await
            .unwrap()
    }

    /// Row counts and the data of every domain table, to prove "no trace".
    async fn snapshot(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for table in [
            "users",
            "password_resets",
            "settings",
            "workstation_settings",
            "audit_log",
            "outbox",
            "sessions",
            "sites",
            "number_blocks",
            "participants",
            "field_events",
            "event_check_ins",
            "kit_templates",
            "kit_registrations",
            "samples",
            "sample_status_history",
            "discard_requests",
            "freezers",
            "racks",
            "boxes",
            "placements",
            "placement_history",
            "box_moves",
            "notifications",
            "printers",
            "print_jobs",
        ] {
            let rows: Vec<String> = sqlx::query_scalar(&format!(
                "SELECT group_concat(quote(rowid) || ':' || json_array(t.*) , '|') FROM (SELECT * FROM {table}) t"
            ))
            .fetch_all(self.store.pool())
            .await
            .unwrap_or_default();
            let n = self.count(table).await;
            out.push((table.to_owned(), format!("{n}:{rows:?}")));
        }
        out
    }
}

/// A command of `kind` that succeeds on a fresh fixture (with a technician `tech`), run by
/// the actor it needs. Exhaustive: a new command kind does not compile until it is here.
async fn valid_command(f: &Fixture, kind: CommandKind) -> (Actor, Command) {
    let tech = f
        .add_user(
            &format!("tech{}", Uuid::now_v7().simple()),
            Role::Technician,
        )
        .await;
    match kind {
        CommandKind::CreateFirstAdmin => {
            // Only valid on an empty store: the fixture store already has one, so use a new one.
            unreachable!("covered by its own test")
        }
        CommandKind::CreateUser => (
            f.admin.clone(),
            Command::CreateUser {
                user_id: Uuid::now_v7(),
                username: format!("u{}", Uuid::now_v7().simple()),
                display_name: "New User".into(),
                role: Role::Viewer,
                password_hash: fixture_hash(),
            },
        ),
        CommandKind::ChangeRole => (
            f.admin.clone(),
            Command::ChangeRole {
                user_id: tech.user_id,
                role: Role::LabManager,
                reason: "promotion".into(),
            },
        ),
        CommandKind::DeactivateUser => (
            f.admin.clone(),
            Command::DeactivateUser {
                user_id: tech.user_id,
                reason: "left the lab".into(),
            },
        ),
        CommandKind::ReactivateUser => {
            f.run(
                &f.admin,
                Command::DeactivateUser {
                    user_id: tech.user_id,
                    reason: "on leave".into(),
                },
            )
            .await;
            (
                f.admin.clone(),
                Command::ReactivateUser {
                    user_id: tech.user_id,
                    reason: "back from leave".into(),
                },
            )
        }
        CommandKind::ChangePassword => (
            tech,
            Command::ChangePassword {
                password_hash: fixture_hash(),
            },
        ),
        CommandKind::IssuePasswordReset => (
            f.admin.clone(),
            Command::IssuePasswordReset {
                user_id: tech.user_id,
                reset_id: Uuid::now_v7(),
                token_hash: token_hash(&Uuid::now_v7().to_string()),
                expires_at: f.clock.now() + Duration::hours(1),
                reason: "forgot it".into(),
            },
        ),
        CommandKind::RedeemPasswordReset => {
            let token = Uuid::now_v7().to_string();
            f.store
                .execute(
                    &f.admin,
                    Command::IssuePasswordReset {
                        user_id: tech.user_id,
                        reset_id: Uuid::now_v7(),
                        token_hash: token_hash(&token),
                        expires_at: f.clock.now() + Duration::hours(1),
                        reason: "forgot it".into(),
                    },
                )
                .await
                .unwrap();
            (
                tech,
                Command::RedeemPasswordReset {
                    token_hash: token_hash(&token),
                    password_hash: fixture_hash(),
                },
            )
        }
        CommandKind::ChangeSettings => (
            f.admin.clone(),
            Command::ChangeSettings {
                settings: vec![Setting::LabName("North Biobank".into())],
                reason: "rename".into(),
            },
        ),
        lab_kind => valid_lab_command(f, lab_kind).await,
    }
}

/// A Gen5 plate reader registered by `actor`, for the instrument commands' examples.
async fn plate_reader(f: &Fixture, actor: &Actor, name: &str) -> Uuid {
    let instrument_id = Uuid::now_v7();
    f.run(
        actor,
        Command::RegisterInstrument {
            instrument_id,
            instrument: reader_description(name),
        },
    )
    .await;
    instrument_id
}

fn reader_description(name: &str) -> aliquot_domain::instruments::InstrumentDescription {
    use aliquot_domain::instruments::*;
    InstrumentDescription {
        name: name.into(),
        kind: InstrumentKind::PlateReader,
        model: "Synergy H1".into(),
        serial_number: "SN-1".into(),
        location: "Lab 2".into(),
        result_format: ResultFormat::Gen5,
        csv_mapping: None,
    }
}

fn control_lot(sd: f64) -> aliquot_domain::instruments::NewControlLot {
    use aliquot_domain::instruments::*;
    NewControlLot {
        material: "Level 1".into(),
        lot: "L123".into(),
        read: "450 nm".into(),
        unit: Some("OD".into()),
        target_mean: Figure(1.25),
        target_sd: Figure(sd),
    }
}

async fn valid_lab_command(f: &Fixture, kind: CommandKind) -> (Actor, Command) {
    use aliquot_domain::command::*;
    use aliquot_domain::numbering::{BlockKind, NewBlock};
    use aliquot_domain::sample::{ConsentStatus, KitItem, SampleStatus, SampleType};
    use aliquot_domain::storage::{BoxLayout, FreezerKind, StorageTarget};
    let lab = f.lab().await;
    let today = f.clock.now().date_naive();
    match kind {
        CommandKind::CreateSite => (
            f.admin.clone(),
            Command::CreateSite {
                site_id: Uuid::now_v7(),
                code: "SOUTH".into(),
                name: "South".into(),
                participant_range_start: 50_000,
                participant_range_end: 50_999,
            },
        ),
        CommandKind::UpdateSite => (
            f.admin.clone(),
            Command::UpdateSite {
                site_id: lab.site,
                name: Some("North Hospital".into()),
                participant_range_start: None,
                participant_range_end: None,
                reason: "renamed".into(),
            },
        ),
        CommandKind::VoidSite => {
            let site_id = Uuid::now_v7();
            f.run(
                &f.admin,
                Command::CreateSite {
                    site_id,
                    code: "SPARE".into(),
                    name: "Made by mistake".into(),
                    participant_range_start: 60_000,
                    participant_range_end: 60_999,
                },
            )
            .await;
            (
                f.admin.clone(),
                Command::VoidSite {
                    site_id,
                    reason: "made twice by mistake".into(),
                },
            )
        }
        CommandKind::AssignNumberBlock => (
            f.admin.clone(),
            Command::AssignNumberBlock {
                block_id: Uuid::now_v7(),
                block: NewBlock {
                    kind: BlockKind::Sample,
                    device_id: "another-workstation".into(),
                    site_id: None,
                    prefix: "AQ".into(),
                    digits: 6,
                    first: 1001,
                    last: 2000,
                },
                reason: "second desk".into(),
            },
        ),
        CommandKind::RegisterParticipant => (
            lab.desk.clone(),
            Command::RegisterParticipant {
                participant_id: Uuid::now_v7(),
                site_id: lab.site,
                number: None,
                external_id: Some("EXT-9".into()),
                consent: ConsentStatus::Given,
                consent_date: today,
                sex: Some(Sex::Female),
                birth_year: Some(1970),
            },
        ),
        CommandKind::RecordConsent => (
            lab.desk.clone(),
            Command::RecordConsent {
                participant_id: lab.participant,
                consent: ConsentStatus::Withdrawn,
                consent_date: today,
                reason: "phoned the desk".into(),
            },
        ),
        CommandKind::CreateFieldEvent => (
            lab.desk.clone(),
            Command::CreateFieldEvent {
                event_id: Uuid::now_v7(),
                site_id: lab.site,
                name: "Market day".into(),
                date: today,
                coordinator_id: lab.desk.user_id,
            },
        ),
        CommandKind::CheckInParticipant => (
            lab.desk.clone(),
            Command::CheckInParticipant {
                event_id: lab.other_event,
                participant_id: lab.participant,
            },
        ),
        CommandKind::CreateKitTemplate => (
            lab.manager.clone(),
            Command::CreateKitTemplate {
                template_id: Uuid::now_v7(),
                name: "Urine".into(),
                items: vec![KitItem {
                    sample_type: SampleType::new(SampleType::URINE),
                    count: 1,
                    volume_ul: None,
                }],
            },
        ),
        CommandKind::ReviseKitTemplate => (
            lab.manager.clone(),
            Command::ReviseKitTemplate {
                template_id: lab.kit,
                version: 2,
                items: vec![KitItem {
                    sample_type: SampleType::new(SampleType::SERUM),
                    count: 2,
                    volume_ul: Some(250),
                }],
                reason: "two serum tubes from now on".into(),
            },
        ),
        CommandKind::RetireKitTemplate => (
            lab.manager.clone(),
            Command::RetireKitTemplate {
                template_id: lab.kit,
                reason: "study closed".into(),
            },
        ),
        CommandKind::CreateSampleType => (
            lab.manager.clone(),
            Command::CreateSampleType {
                code: "csf".into(),
                short_code: "CS".into(),
                label: "Cerebrospinal fluid".into(),
            },
        ),
        CommandKind::RetireSampleType => (
            lab.manager.clone(),
            Command::RetireSampleType {
                sample_type: SampleType::new("stool"),
                reason: "no longer collected".into(),
            },
        ),
        CommandKind::RegisterKit => (
            lab.desk.clone(),
            Command::RegisterKit {
                registration_id: Uuid::now_v7(),
                participant_id: lab.participant,
                template_id: lab.kit,
                template_version: Some(1),
                event_id: Some(lab.event),
                collected_at: f.clock.now(),
                collector: "Nurse Joy".into(),
                tubes: vec![
                    NewTube {
                        sample_id: Uuid::now_v7(),
                        code: None,
                    },
                    NewTube {
                        sample_id: Uuid::now_v7(),
                        code: Some(aliquot_domain::numbering::sample_code("RL", 6, 7).unwrap()),
                    },
                    NewTube {
                        sample_id: Uuid::now_v7(),
                        code: None,
                    },
                ],
            },
        ),
        CommandKind::TransitionSample => (
            lab.tech.clone(),
            Command::TransitionSample {
                sample_id: lab.received,
                expected: SampleStatus::Received,
                to: SampleStatus::Processing,
                reason: None,
            },
        ),
        CommandKind::CreateAliquots => (
            lab.tech.clone(),
            Command::CreateAliquots {
                parent_id: lab.received,
                children: vec![NewAliquot {
                    sample_id: Uuid::now_v7(),
                    code: None,
                    sample_type: SampleType::new(SampleType::PLASMA),
                    volume_ul: 100,
                }],
            },
        ),
        CommandKind::RequestDiscard => (
            lab.tech.clone(),
            Command::RequestDiscard {
                request_id: Uuid::now_v7(),
                sample_id: lab.received,
                reason: "haemolysed".into(),
            },
        ),
        CommandKind::DecideDiscard => (
            lab.manager.clone(),
            Command::DecideDiscard {
                request_id: lab.discard_request,
                approve: true,
                reason: "confirmed".into(),
            },
        ),
        CommandKind::RegisterInstrument => (
            lab.manager.clone(),
            Command::RegisterInstrument {
                instrument_id: Uuid::now_v7(),
                instrument: reader_description("Reader 1"),
            },
        ),
        CommandKind::EditInstrument => {
            let instrument_id = plate_reader(f, &lab.manager, "Reader 1").await;
            (
                lab.manager.clone(),
                Command::EditInstrument {
                    instrument_id,
                    instrument: reader_description("Reader 1 (bench 3)"),
                    reason: "moved to bench 3".into(),
                },
            )
        }
        CommandKind::SetInstrumentStatus => {
            let instrument_id = plate_reader(f, &lab.manager, "Reader 1").await;
            (
                lab.manager.clone(),
                Command::SetInstrumentStatus {
                    instrument_id,
                    status: aliquot_domain::instruments::InstrumentStatus::CalibrationDue,
                    reason: "yearly calibration".into(),
                },
            )
        }
        CommandKind::CreatePlateTemplate => (
            lab.tech.clone(),
            Command::CreatePlateTemplate {
                template_id: Uuid::now_v7(),
                name: "ELISA blanks".into(),
                format: aliquot_domain::runs::PlateFormat::Wells96,
                layout: vec![aliquot_domain::runs::LayoutWell {
                    well: "H12".into(),
                    content: aliquot_domain::runs::LayoutRole::Blank,
                }],
            },
        ),
        CommandKind::CreateRun => {
            let instrument_id = plate_reader(f, &lab.manager, "Reader 1").await;
            (
                lab.tech.clone(),
                Command::CreateRun {
                    run_id: Uuid::now_v7(),
                    instrument_id,
                    name: "ELISA-1".into(),
                    plates: vec![aliquot_domain::runs::NewPlate {
                        plate_id: Uuid::now_v7(),
                        name: "ELISA-1-P1".into(),
                        format: aliquot_domain::runs::PlateFormat::Wells384,
                        template_id: None,
                        layout: vec![],
                    }],
                },
            )
        }
        CommandKind::FillWell => {
            let t = runs::planned_run(f, &lab, "ELISA-1").await;
            (lab.tech.clone(), runs::fill(t.plate, lab.received, None))
        }
        CommandKind::ClearWell => {
            let t = runs::planned_run(f, &lab, "ELISA-1").await;
            f.run(&lab.tech, runs::fill(t.plate, lab.received, None))
                .await;
            (
                lab.tech.clone(),
                Command::ClearWell {
                    plate_id: t.plate,
                    well: "A1".into(),
                    reason: "wrong tube".into(),
                },
            )
        }
        CommandKind::ImportResults => {
            let t = runs::planned_run(f, &lab, "ELISA-1").await;
            f.run(&lab.tech, runs::fill(t.plate, lab.received, Some("A1")))
                .await;
            (lab.tech.clone(), runs::import(&t, lab.received, 0.7, 1.25))
        }
        CommandKind::DecideRun => {
            let t = runs::planned_run(f, &lab, "ELISA-1").await;
            f.run(&lab.tech, runs::fill(t.plate, lab.received, Some("A1")))
                .await;
            f.run(&lab.tech, runs::import(&t, lab.received, 0.7, 2.0))
                .await;
            (
                lab.manager.clone(),
                Command::DecideRun {
                    run_id: t.run,
                    decision: aliquot_domain::runs::RunDecision::Release,
                    reason: "control vial thawed twice; patients fine".into(),
                },
            )
        }
        CommandKind::ImportResultSet => {
            let code = f.store.sample(lab.received).await.unwrap().code;
            (
                lab.tech.clone(),
                result_sets::long_csv_set(
                    f,
                    &format!("sample;analyte;value\n{code};IL6;1,5\n"),
                    None,
                )
                .await,
            )
        }
        CommandKind::SetPartnerMapping => (
            lab.manager.clone(),
            Command::SetPartnerMapping {
                mapping_id: Uuid::now_v7(),
                mapping: result_sets::glucose(),
                reason: None,
            },
        ),
        CommandKind::AddControlLot => {
            let instrument_id = plate_reader(f, &lab.manager, "Reader 1").await;
            (
                lab.manager.clone(),
                Command::AddControlLot {
                    control_lot_id: Uuid::now_v7(),
                    instrument_id,
                    lot: control_lot(0.05),
                },
            )
        }
        CommandKind::CreateFreezer => (
            lab.manager.clone(),
            Command::CreateFreezer {
                freezer_id: Uuid::now_v7(),
                name: "Freezer B".into(),
                location: "Room 2".into(),
                freezer_kind: FreezerKind::Freezer,
                temperature_c: -20,
            },
        ),
        CommandKind::CreateRack => (
            lab.manager.clone(),
            Command::CreateRack {
                rack_id: Uuid::now_v7(),
                freezer_id: lab.freezer,
                name: "Rack 3".into(),
            },
        ),
        CommandKind::CreateBox => (
            lab.manager.clone(),
            Command::CreateBox {
                box_id: Uuid::now_v7(),
                rack_id: lab.rack,
                name: "New box".into(),
                barcode: "NEWBOX1".into(),
                box_type: "cryobox".into(),
                layout: BoxLayout::Grid {
                    rows: 9,
                    columns: 9,
                },
            },
        ),
        CommandKind::AddRacksAndBoxes => (
            lab.manager.clone(),
            Command::AddRacksAndBoxes {
                freezer_id: lab.freezer,
                box_type: "cryobox".into(),
                layout: BoxLayout::Grid {
                    rows: 9,
                    columns: 9,
                },
                racks: (1..=2)
                    .map(|r| aliquot_domain::command::NewRack {
                        rack_id: Uuid::now_v7(),
                        name: format!("Bulk rack {r}"),
                        boxes: (1..=3)
                            .map(|b| aliquot_domain::command::NewBox {
                                box_id: Uuid::now_v7(),
                                name: format!("Box {r}-{b}"),
                                barcode: format!("BULK-{r}-{b}"),
                            })
                            .collect(),
                    })
                    .collect(),
            },
        ),
        CommandKind::MoveBox => (
            lab.manager.clone(),
            Command::MoveBox {
                box_id: lab.storage_box,
                rack_id: lab.other_rack,
                reason: "reorganising".into(),
            },
        ),
        CommandKind::VoidStorage => (
            lab.manager.clone(),
            Command::VoidStorage {
                target: StorageTarget::Box(lab.empty_box),
                reason: "box cracked".into(),
            },
        ),
        CommandKind::EditStorage => (
            lab.manager.clone(),
            Command::EditStorage {
                edit: aliquot_domain::storage::StorageEdit::Rack {
                    rack_id: lab.rack,
                    name: "Rack A (top shelf)".into(),
                },
                reason: "shelves renumbered".into(),
            },
        ),
        CommandKind::PlaceSamples => (
            lab.tech.clone(),
            Command::PlaceSamples {
                box_id: lab.storage_box,
                tubes: vec![TubePlacement {
                    sample_id: lab.received,
                    position: None,
                }],
                source: PlacementSource::Scan,
                receive: false,
            },
        ),
        CommandKind::CheckOutSamples => (
            lab.tech.clone(),
            Command::CheckOutSamples {
                sample_ids: vec![lab.stored],
                reason: "assay".into(),
            },
        ),
        CommandKind::CheckInSamples => (
            lab.tech.clone(),
            Command::CheckInSamples {
                sample_ids: vec![lab.checked_out],
            },
        ),
        CommandKind::UnplaceSample => (
            lab.tech.clone(),
            Command::UnplaceSample {
                sample_id: lab.stored,
                reason: "cracked; kept on the bench".into(),
            },
        ),
        CommandKind::ReceiveSamples => {
            let tubes = f.kit(&lab.desk, lab.participant, lab.kit, 3).await;
            (
                lab.tech.clone(),
                Command::ReceiveSamples {
                    sample_ids: vec![tubes[0]],
                },
            )
        }
        CommandKind::MarkNotificationRead => (
            lab.manager.clone(),
            Command::MarkNotificationRead {
                notification_id: lab.notification,
            },
        ),
        CommandKind::ResolveSyncIssue => (
            lab.tech.clone(),
            Command::ResolveSyncIssue {
                command_id: lab.sync_issue,
                resolution: aliquot_domain::command::SyncIssueResolution::Redone,
                reason: "scanned into A3".into(),
            },
        ),
        CommandKind::ConfigurePrinter => (
            lab.manager.clone(),
            Command::ConfigurePrinter {
                printer: lab::printer_settings("Bench Zebra"),
            },
        ),
        // Its queued job follows it.
        CommandKind::RenamePrinter => (
            lab.manager.clone(),
            Command::RenamePrinter {
                name: "Desk Zebra".into(),
                new_name: "Desk Zebra (left)".into(),
            },
        ),
        CommandKind::RemovePrinter => {
            f.run(
                &lab.manager,
                Command::ConfigurePrinter {
                    printer: lab::printer_settings("Spare Zebra"),
                },
            )
            .await;
            (
                lab.manager.clone(),
                Command::RemovePrinter {
                    name: "Spare Zebra".into(),
                    reason: "sent back for repair".into(),
                },
            )
        }
        CommandKind::QueuePrint => (
            lab.tech.clone(),
            lab::queue_print(&lab, Some(lab.print_job), Some("smudged label")),
        ),
        CommandKind::SetWatchFolder => {
            let instrument_id = plate_reader(f, &lab.manager, "Reader 1").await;
            (
                lab.manager.clone(),
                Command::SetWatchFolder {
                    instrument_id,
                    folder: Some(f.dir.path().join("gen5").to_string_lossy().into_owned()),
                    auto_import: false,
                    reason: "the reader exports here".into(),
                },
            )
        }
        CommandKind::SaveReport => (
            lab.tech.clone(),
            Command::SaveReport {
                saved_id: Uuid::now_v7(),
                name: "Stored tubes".into(),
                what: schedules::inventory(),
            },
        ),
        CommandKind::ChangeSavedReport => {
            let saved_id =
                schedules::save(f, &lab.tech, "Stored tubes", schedules::inventory()).await;
            (
                lab.tech.clone(),
                Command::ChangeSavedReport {
                    saved_id,
                    name: "Freezer space".into(),
                    what: schedules::occupancy(),
                    reason: "space, not tubes".into(),
                },
            )
        }
        CommandKind::VoidSavedReport => {
            let saved_id =
                schedules::save(f, &lab.tech, "Stored tubes", schedules::inventory()).await;
            (
                lab.tech.clone(),
                Command::VoidSavedReport {
                    saved_id,
                    reason: "no longer needed".into(),
                },
            )
        }
        CommandKind::ScheduleReport => {
            let saved_id =
                schedules::save(f, &lab.tech, "Stored tubes", schedules::inventory()).await;
            (
                lab.tech.clone(),
                schedules::schedule_command(saved_id, &f.dir.path().join("reports")),
            )
        }
        CommandKind::VoidSchedule => {
            let saved_id =
                schedules::save(f, &lab.tech, "Stored tubes", schedules::inventory()).await;
            let schedule_id = schedules::schedule(f, &lab.tech, saved_id).await;
            (
                lab.tech.clone(),
                Command::VoidSchedule {
                    schedule_id,
                    reason: "the folder moved".into(),
                },
            )
        }
        CommandKind::RecordReportRun => {
            let saved_id =
                schedules::save(f, &lab.tech, "Stored tubes", schedules::inventory()).await;
            let schedule_id = schedules::schedule(f, &lab.tech, saved_id).await;
            let due = f.clock.now() + Duration::days(1);
            (
                lab.tech.clone(),
                schedules::run_command(schedule_id, due, 1, false),
            )
        }
        other => unreachable!("{other:?} is not a lab command"),
    }
}

/// The command as the outbox must carry it: what the caller left open (numbers, codes,
/// positions) is filled in, everything else is unchanged.
fn assert_recorded_as_resolved(kind: CommandKind, sent: &Command, recorded: &Command) {
    match (sent, recorded) {
        (
            Command::RegisterParticipant { number: None, .. },
            Command::RegisterParticipant {
                number: Some(_), ..
            },
        ) => {}
        (Command::RegisterKit { tubes: a, .. }, Command::RegisterKit { tubes: b, .. }) => {
            assert_eq!(a.len(), b.len());
            for (x, y) in a.iter().zip(b) {
                assert_eq!(x.sample_id, y.sample_id);
                assert!(y.code.is_some());
                if x.code.is_some() {
                    assert_eq!(x.code, y.code);
                }
            }
        }
        (
            Command::CreateAliquots { children: a, .. },
            Command::CreateAliquots { children: b, .. },
        ) => {
            assert!(a
                .iter()
                .zip(b)
                .all(|(x, y)| x.sample_id == y.sample_id && y.code.is_some()));
        }
        (Command::PlaceSamples { tubes: a, .. }, Command::PlaceSamples { tubes: b, .. }) => {
            assert!(a
                .iter()
                .zip(b)
                .all(|(x, y)| x.sample_id == y.sample_id && y.position.is_some()));
        }
        (
            Command::FillWell {
                plate_id: a,
                sample_id: x,
                well: None,
                ..
            },
            Command::FillWell {
                plate_id: b,
                sample_id: y,
                well: Some(_),
                ..
            },
        ) => assert!(a == b && x == y),
        _ => assert_eq!(recorded, sent, "{kind:?}"),
    }
}

#[tokio::test]
async fn every_command_kind_writes_its_audit_entries_and_one_outbox_row_if_the_labs() {
    // CreateFirstAdmin, on an empty store.
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), Arc::new(aliquot_domain::SystemClock))
        .await
        .unwrap();
    let done = store
        .execute(
            &Actor::system(),
            Command::CreateFirstAdmin {
                user_id: Uuid::now_v7(),
                username: "first".into(),
                display_name: "First".into(),
                password_hash: fixture_hash(),
            },
        )
        .await
        .unwrap();
    assert_eq!(store.audit_len().await.unwrap(), 1);
    assert_eq!(store.outbox_pending().await.unwrap(), 1);
    assert_eq!(done.command_id.get_version_num(), 7);

    for kind in CommandKind::ALL
        .iter()
        .copied()
        .filter(|k| *k != CommandKind::CreateFirstAdmin)
    {
        let f = fixture().await;
        let (actor, command) = valid_command(&f, kind).await;
        let (audit_before, outbox_before) = (f.count("audit_log").await, f.count("outbox").await);
        let done = f
            .store
            .execute(&actor, command.clone())
            .await
            .unwrap_or_else(|e| panic!("{kind:?}: {e}"));
        // One audit row per record changed: a placement writes the box's row and the
        // tube's own, a kit its registration's and each tube's, aliquots the parent's and
        // each aliquot's, a discard request or decision the request's and the tube's, a
        // filled well the plate's and the tube's, an import or a decision on a run the
        // run's and each tube's; every other valid command here changes one record.
        let records = match &command {
            Command::PlaceSamples { .. } => 2,
            Command::RegisterKit { tubes, .. } => 1 + i64::try_from(tubes.len()).unwrap(),
            Command::CreateAliquots { children, .. } => 1 + i64::try_from(children.len()).unwrap(),
            Command::RequestDiscard { .. } | Command::DecideDiscard { .. } => 2,
            // The plate's row and the tube's; a run's row and each tube's with results.
            Command::FillWell { .. } | Command::ClearWell { .. } => 2,
            Command::ImportResults { results, .. } => {
                let tubes: std::collections::BTreeSet<_> =
                    results.iter().filter_map(|r| r.sample_id).collect();
                1 + i64::try_from(tubes.len()).unwrap()
            }
            Command::DecideRun { .. } => 2,
            Command::ImportResultSet { values, .. } => {
                let tubes: std::collections::BTreeSet<_> =
                    values.iter().filter_map(|v| v.sample_id).collect();
                1 + i64::try_from(tubes.len()).unwrap()
            }
            Command::AddRacksAndBoxes { racks, .. } => racks
                .iter()
                .map(|r| 1 + i64::try_from(r.boxes.len()).unwrap())
                .sum(),
            _ => 1,
        };
        assert_eq!(
            f.count("audit_log").await,
            audit_before + records,
            "{kind:?} audit"
        );
        let of_this_command: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM audit_log WHERE seq > ?1 AND json_extract(context, '$.command_id') = ?2",
        )
        .bind(audit_before)
        .bind(done.command_id.to_string())
        .fetch_one(f.store.pool())
        .await
        .unwrap();
        assert_eq!(
            of_this_command, records,
            "{kind:?} rows carry the command id"
        );
        // A workstation's own state (its printers, its print jobs) never enters the outbox.
        if kind.scope() == CommandScope::Workstation {
            assert_eq!(f.count("outbox").await, outbox_before, "{kind:?} outbox");
            continue;
        }
        assert_eq!(
            f.count("outbox").await,
            outbox_before + 1,
            "{kind:?} outbox"
        );

        let row = f
            .store
            .outbox_after(outbox_before, 10)
            .await
            .unwrap()
            .remove(0);
        assert_eq!(row.kind, kind.as_str());
        assert_eq!(row.command_id, done.command_id.to_string());
        assert_eq!(
            Uuid::parse_str(&row.command_id).unwrap().get_version_num(),
            7
        );
        assert_eq!(row.device_id, f.store.device_id());
        assert_eq!(row.schema_version, aliquot_domain::COMMAND_SCHEMA_VERSION);
        assert_eq!(row.actor_id, actor.user_id.to_string());
        let payload: Command = serde_json::from_str(&row.payload).unwrap();
        assert_recorded_as_resolved(kind, &command, &payload);

        let audit = f
            .store
            .list_audit(
                Default::default(),
                aliquot_domain::paging::SortOrder::Desc,
                &Default::default(),
            )
            .await
            .unwrap();
        let entry = &audit.items[0];
        assert_eq!(entry.seq, done.audit_seq);
        assert_eq!(entry.action, kind.as_str());
        assert_eq!(entry.actor_name, actor.username);
        assert!(
            entry.context.contains(&done.command_id.to_string()),
            "{kind:?} context"
        );
        // Password hashes never reach the audit trail.
        assert!(
            !format!("{entry:?}").contains("$argon2"),
            "{kind:?} leaks a hash"
        );
    }
}

/// A command of `kind` that the domain refuses.
async fn refused_command(f: &Fixture, kind: CommandKind) -> (Actor, Command) {
    let tech = f
        .add_user(&format!("t{}", Uuid::now_v7().simple()), Role::Technician)
        .await;
    let command = match kind {
        CommandKind::CreateFirstAdmin => Command::CreateFirstAdmin {
            user_id: Uuid::now_v7(),
            username: "second".into(),
            display_name: "Second".into(),
            password_hash: fixture_hash(),
        },
        CommandKind::CreateUser => Command::CreateUser {
            user_id: Uuid::now_v7(),
            username: "ADMIN".into(),
            display_name: "Duplicate".into(),
            role: Role::Viewer,
            password_hash: fixture_hash(),
        },
        CommandKind::ChangeRole => Command::ChangeRole {
            user_id: f.admin.user_id,
            role: Role::Viewer,
            reason: "last admin".into(),
        },
        CommandKind::DeactivateUser => Command::DeactivateUser {
            user_id: f.admin.user_id,
            reason: "myself".into(),
        },
        // Already active.
        CommandKind::ReactivateUser => Command::ReactivateUser {
            user_id: f.admin.user_id,
            reason: "already here".into(),
        },
        CommandKind::ChangePassword => {
            // The actor's account does not exist (any more).
            return (
                Actor {
                    user_id: Uuid::now_v7(),
                    username: "ghost".into(),
                    role: Role::Viewer,
                },
                Command::ChangePassword {
                    password_hash: fixture_hash(),
                },
            );
        }
        CommandKind::IssuePasswordReset => Command::IssuePasswordReset {
            user_id: Uuid::now_v7(),
            reset_id: Uuid::now_v7(),
            token_hash: "x".into(),
            expires_at: f.clock.now(),
            reason: "nobody".into(),
        },
        CommandKind::RedeemPasswordReset => {
            return (
                tech,
                Command::RedeemPasswordReset {
                    token_hash: token_hash("never issued"),
                    password_hash: fixture_hash(),
                },
            )
        }
        CommandKind::ChangeSettings => Command::ChangeSettings {
            settings: vec![Setting::LabelCopies(99)],
            reason: "too many".into(),
        },
        lab_kind => return refused_lab_command(f, lab_kind).await,
    };
    (f.admin.clone(), command)
}

/// The code with its check character changed: a misread.
fn mistyped(code: &str) -> String {
    let mut wrong = code[..code.len() - 1].to_owned();
    wrong.push(if code.ends_with('0') { '1' } else { '0' });
    wrong
}

async fn refused_lab_command(f: &Fixture, kind: CommandKind) -> (Actor, Command) {
    use aliquot_domain::command::*;
    use aliquot_domain::numbering::{BlockKind, NewBlock};
    use aliquot_domain::sample::{ConsentStatus, KitItem, SampleStatus, SampleType};
    use aliquot_domain::storage::{BoxLayout, FreezerKind, StorageTarget};
    let lab = f.lab().await;
    let today = f.clock.now().date_naive();
    match kind {
        // Overlaps NORTH's 10000–10999.
        CommandKind::CreateSite => (
            f.admin.clone(),
            Command::CreateSite {
                site_id: Uuid::now_v7(),
                code: "SOUTH".into(),
                name: "South".into(),
                participant_range_start: 10_500,
                participant_range_end: 11_500,
            },
        ),
        // The lab's site has participants: it is corrected, never voided.
        CommandKind::VoidSite => (
            f.admin.clone(),
            Command::VoidSite {
                site_id: lab.site,
                reason: "mistake".into(),
            },
        ),
        // Would drop the numbers already handed out in the block 10000–10099.
        CommandKind::UpdateSite => (
            f.admin.clone(),
            Command::UpdateSite {
                site_id: lab.site,
                name: None,
                participant_range_start: Some(10_050),
                participant_range_end: None,
                reason: "shrink".into(),
            },
        ),
        CommandKind::AssignNumberBlock => (
            f.admin.clone(),
            Command::AssignNumberBlock {
                block_id: Uuid::now_v7(),
                block: NewBlock {
                    kind: BlockKind::Sample,
                    device_id: "another-workstation".into(),
                    site_id: None,
                    prefix: "AQ".into(),
                    digits: 6,
                    first: 900,
                    last: 1900,
                },
                reason: "overlaps".into(),
            },
        ),
        // A number outside this workstation's block.
        CommandKind::RegisterParticipant => (
            lab.desk.clone(),
            Command::RegisterParticipant {
                participant_id: Uuid::now_v7(),
                site_id: lab.site,
                number: Some(10_500),
                external_id: None,
                consent: ConsentStatus::Given,
                consent_date: today,
                sex: None,
                birth_year: None,
            },
        ),
        CommandKind::RecordConsent => (
            lab.desk.clone(),
            Command::RecordConsent {
                participant_id: lab.participant,
                consent: ConsentStatus::Withdrawn,
                consent_date: today + chrono::Days::new(3),
                reason: "future".into(),
            },
        ),
        CommandKind::CreateFieldEvent => (
            lab.desk.clone(),
            Command::CreateFieldEvent {
                event_id: Uuid::now_v7(),
                site_id: lab.site,
                name: "Market day".into(),
                date: today,
                coordinator_id: lab.tech.user_id,
            },
        ),
        CommandKind::CheckInParticipant => (
            lab.desk.clone(),
            Command::CheckInParticipant {
                event_id: lab.event,
                participant_id: lab.participant,
            },
        ),
        CommandKind::CreateKitTemplate => (
            lab.manager.clone(),
            Command::CreateKitTemplate {
                template_id: Uuid::now_v7(),
                name: "Nothing".into(),
                items: vec![],
            },
        ),
        // Version 3 of a template at version 1: a revision made against a stale screen.
        CommandKind::ReviseKitTemplate => (
            lab.manager.clone(),
            Command::ReviseKitTemplate {
                template_id: lab.kit,
                version: 3,
                items: vec![KitItem {
                    sample_type: SampleType::new(SampleType::SERUM),
                    count: 1,
                    volume_ul: None,
                }],
                reason: "stale".into(),
            },
        ),
        CommandKind::RetireKitTemplate => (
            lab.manager.clone(),
            Command::RetireKitTemplate {
                template_id: Uuid::now_v7(),
                reason: "no such template".into(),
            },
        ),
        // PL is plasma's short code.
        CommandKind::CreateSampleType => (
            lab.manager.clone(),
            Command::CreateSampleType {
                code: "platelets".into(),
                short_code: "PL".into(),
                label: "Platelets".into(),
            },
        ),
        // The lab's kit template still makes plasma tubes.
        CommandKind::RetireSampleType => (
            lab.manager.clone(),
            Command::RetireSampleType {
                sample_type: SampleType::new(SampleType::PLASMA),
                reason: "no longer collected".into(),
            },
        ),
        CommandKind::RegisterKit => (
            lab.desk.clone(),
            Command::RegisterKit {
                registration_id: Uuid::now_v7(),
                participant_id: lab.participant,
                template_id: lab.kit,
                template_version: Some(1),
                event_id: None,
                collected_at: f.clock.now(),
                collector: "Nurse Joy".into(),
                // The second tube's pre-printed code has a wrong check character.
                tubes: vec![
                    NewTube {
                        sample_id: Uuid::now_v7(),
                        code: None,
                    },
                    NewTube {
                        sample_id: Uuid::now_v7(),
                        code: Some(mistyped(
                            &aliquot_domain::numbering::sample_code("RL", 6, 7).unwrap(),
                        )),
                    },
                    NewTube {
                        sample_id: Uuid::now_v7(),
                        code: None,
                    },
                ],
            },
        ),
        CommandKind::TransitionSample => (
            lab.tech.clone(),
            Command::TransitionSample {
                sample_id: lab.received,
                // Stale: it was received since (had it reached `to`, this would be a no-op).
                expected: SampleStatus::Collected,
                to: SampleStatus::InTransit,
                reason: None,
            },
        ),
        CommandKind::CreateAliquots => (
            lab.tech.clone(),
            Command::CreateAliquots {
                parent_id: lab.received,
                children: vec![NewAliquot {
                    sample_id: Uuid::now_v7(),
                    code: None,
                    sample_type: SampleType::new(SampleType::PLASMA),
                    volume_ul: 600,
                }],
            },
        ),
        CommandKind::RequestDiscard => (
            lab.tech.clone(),
            Command::RequestDiscard {
                request_id: Uuid::now_v7(),
                sample_id: lab.stored,
                reason: "again".into(),
            },
        ),
        // The requester may not decide their own request.
        CommandKind::DecideDiscard => (
            Actor {
                role: Role::LabManager,
                ..lab.tech.clone()
            },
            Command::DecideDiscard {
                request_id: lab.discard_request,
                approve: true,
                reason: "mine".into(),
            },
        ),
        // A generic CSV without its mapping.
        CommandKind::RegisterInstrument => (
            lab.manager.clone(),
            Command::RegisterInstrument {
                instrument_id: Uuid::now_v7(),
                instrument: aliquot_domain::instruments::InstrumentDescription {
                    result_format: aliquot_domain::instruments::ResultFormat::MappedCsv,
                    ..reader_description("Reader 1")
                },
            },
        ),
        CommandKind::EditInstrument => (
            lab.manager.clone(),
            Command::EditInstrument {
                instrument_id: Uuid::now_v7(),
                instrument: reader_description("Nowhere"),
                reason: "no such instrument".into(),
            },
        ),
        // Already in service.
        CommandKind::SetInstrumentStatus => {
            let instrument_id = plate_reader(f, &lab.manager, "Reader 1").await;
            (
                lab.manager.clone(),
                Command::SetInstrumentStatus {
                    instrument_id,
                    status: aliquot_domain::instruments::InstrumentStatus::InService,
                    reason: "back".into(),
                },
            )
        }
        // An SD of 0 measures nothing.
        CommandKind::CreatePlateTemplate => (
            lab.tech.clone(),
            Command::CreatePlateTemplate {
                template_id: Uuid::now_v7(),
                name: "Off the plate".into(),
                format: aliquot_domain::runs::PlateFormat::Wells96,
                layout: vec![aliquot_domain::runs::LayoutWell {
                    well: "I1".into(),
                    content: aliquot_domain::runs::LayoutRole::Blank,
                }],
            },
        ),
        CommandKind::CreateRun => {
            let instrument_id = plate_reader(f, &lab.manager, "Reader 1").await;
            (
                lab.tech.clone(),
                Command::CreateRun {
                    run_id: Uuid::now_v7(),
                    instrument_id,
                    name: "No plates".into(),
                    plates: vec![],
                },
            )
        }
        CommandKind::FillWell => {
            let t = runs::planned_run(f, &lab, "ELISA-1").await;
            f.run(&lab.tech, runs::fill(t.plate, lab.received, None))
                .await;
            (lab.tech.clone(), runs::fill(t.plate, lab.received, None))
        }
        CommandKind::ClearWell => {
            let t = runs::planned_run(f, &lab, "ELISA-1").await;
            (
                lab.tech.clone(),
                Command::ClearWell {
                    plate_id: t.plate,
                    well: "A1".into(),
                    reason: "wrong tube".into(),
                },
            )
        }
        // A1 holds nothing: the plate map changed since the preview.
        CommandKind::ImportResults => {
            let t = runs::planned_run(f, &lab, "ELISA-1").await;
            (lab.tech.clone(), runs::import(&t, lab.received, 0.7, 1.25))
        }
        CommandKind::DecideRun => {
            let t = runs::planned_run(f, &lab, "ELISA-1").await;
            (
                lab.manager.clone(),
                Command::DecideRun {
                    run_id: t.run,
                    decision: aliquot_domain::runs::RunDecision::Release,
                    reason: "no results yet".into(),
                },
            )
        }
        // The same file again.
        CommandKind::ImportResultSet => {
            let code = f.store.sample(lab.received).await.unwrap().code;
            let text = format!("sample;analyte;value\n{code};IL6;1,5\n");
            f.run(&lab.tech, result_sets::long_csv_set(f, &text, None).await)
                .await;
            (
                lab.tech.clone(),
                result_sets::long_csv_set(f, &text, None).await,
            )
        }
        // A factor of 0 states no conversion.
        CommandKind::SetPartnerMapping => (
            lab.manager.clone(),
            Command::SetPartnerMapping {
                mapping_id: Uuid::now_v7(),
                mapping: aliquot_domain::result_sets::PartnerMapping {
                    factor: aliquot_domain::instruments::Figure(0.0),
                    ..result_sets::glucose()
                },
                reason: None,
            },
        ),
        CommandKind::AddControlLot => {
            let instrument_id = plate_reader(f, &lab.manager, "Reader 1").await;
            (
                lab.manager.clone(),
                Command::AddControlLot {
                    control_lot_id: Uuid::now_v7(),
                    instrument_id,
                    lot: control_lot(0.0),
                },
            )
        }
        CommandKind::CreateFreezer => (
            lab.manager.clone(),
            Command::CreateFreezer {
                freezer_id: Uuid::now_v7(),
                name: "Freezer B".into(),
                location: "Room 2".into(),
                freezer_kind: FreezerKind::UltraLow,
                temperature_c: 80,
            },
        ),
        CommandKind::CreateRack => (
            lab.manager.clone(),
            Command::CreateRack {
                rack_id: Uuid::now_v7(),
                freezer_id: lab.freezer,
                name: "Rack 1".into(),
            },
        ),
        CommandKind::CreateBox => (
            lab.manager.clone(),
            Command::CreateBox {
                box_id: Uuid::now_v7(),
                rack_id: lab.rack,
                name: "Dup".into(),
                barcode: "BAD BARCODE".into(),
                box_type: "cryobox".into(),
                layout: BoxLayout::Grid {
                    rows: 9,
                    columns: 9,
                },
            },
        ),
        CommandKind::AddRacksAndBoxes => (
            lab.manager.clone(),
            // The second rack's box carries the first one's barcode: nothing is made.
            Command::AddRacksAndBoxes {
                freezer_id: lab.freezer,
                box_type: "cryobox".into(),
                layout: BoxLayout::Grid {
                    rows: 9,
                    columns: 9,
                },
                racks: (1..=2)
                    .map(|r| aliquot_domain::command::NewRack {
                        rack_id: Uuid::now_v7(),
                        name: format!("Bulk rack {r}"),
                        boxes: vec![aliquot_domain::command::NewBox {
                            box_id: Uuid::now_v7(),
                            name: format!("Box {r}"),
                            barcode: "BULK-SAME".into(),
                        }],
                    })
                    .collect(),
            },
        ),
        CommandKind::MoveBox => (
            lab.manager.clone(),
            Command::MoveBox {
                box_id: lab.storage_box,
                rack_id: lab.rack,
                reason: "same rack".into(),
            },
        ),
        CommandKind::VoidStorage => (
            lab.manager.clone(),
            Command::VoidStorage {
                target: StorageTarget::Box(lab.storage_box),
                reason: "still full".into(),
            },
        ),
        // The rack is already called that.
        CommandKind::EditStorage => {
            let racks = f
                .store
                .racks(lab.freezer, Default::default())
                .await
                .unwrap();
            let name = racks
                .items
                .into_iter()
                .find(|r| r.id == lab.rack)
                .unwrap()
                .name;
            (
                lab.manager.clone(),
                Command::EditStorage {
                    edit: aliquot_domain::storage::StorageEdit::Rack {
                        rack_id: lab.rack,
                        name,
                    },
                    reason: "no change".into(),
                },
            )
        }
        CommandKind::PlaceSamples => (
            lab.tech.clone(),
            Command::PlaceSamples {
                box_id: lab.storage_box,
                tubes: vec![TubePlacement {
                    sample_id: lab.received,
                    position: Some("A1".into()),
                }],
                source: PlacementSource::Scan,
                receive: false,
            },
        ),
        CommandKind::CheckOutSamples => (
            lab.tech.clone(),
            Command::CheckOutSamples {
                sample_ids: vec![lab.received],
                reason: "not stored".into(),
            },
        ),
        CommandKind::CheckInSamples => (
            lab.tech.clone(),
            Command::CheckInSamples {
                sample_ids: vec![lab.stored],
            },
        ),
        // Not in a box.
        CommandKind::UnplaceSample => (
            lab.tech.clone(),
            Command::UnplaceSample {
                sample_id: lab.received,
                reason: "not placed".into(),
            },
        ),
        // Already received.
        CommandKind::ReceiveSamples => (
            lab.tech.clone(),
            Command::ReceiveSamples {
                sample_ids: vec![lab.received],
            },
        ),
        // Someone else's notification.
        CommandKind::MarkNotificationRead => (
            lab.tech.clone(),
            Command::MarkNotificationRead {
                notification_id: lab.notification,
            },
        ),
        // Someone else's refused command (and not a lab manager).
        CommandKind::ResolveSyncIssue => (
            lab.desk.clone(),
            Command::ResolveSyncIssue {
                command_id: lab.sync_issue,
                resolution: aliquot_domain::command::SyncIssueResolution::Dismissed,
                reason: "not mine".into(),
            },
        ),
        CommandKind::ConfigurePrinter => (
            lab.manager.clone(),
            Command::ConfigurePrinter {
                printer: aliquot_domain::printing::PrinterSettings {
                    dpi: 250,
                    ..lab::printer_settings("Bad dpi")
                },
            },
        ),
        // Its own name again.
        CommandKind::RenamePrinter => (
            lab.manager.clone(),
            Command::RenamePrinter {
                name: "Desk Zebra".into(),
                new_name: " Desk Zebra ".into(),
            },
        ),
        // A job still waits on it.
        CommandKind::RemovePrinter => (
            lab.manager.clone(),
            Command::RemovePrinter {
                name: "Desk Zebra".into(),
                reason: "replaced".into(),
            },
        ),
        // A reprint without a reason.
        CommandKind::QueuePrint => (
            lab.tech.clone(),
            lab::queue_print(&lab, Some(lab.print_job), None),
        ),
        // A relative path names no folder on this PC.
        CommandKind::SetWatchFolder => {
            let instrument_id = plate_reader(f, &lab.manager, "Reader 1").await;
            (
                lab.manager.clone(),
                Command::SetWatchFolder {
                    instrument_id,
                    folder: Some("exports".into()),
                    auto_import: false,
                    reason: "the reader exports here".into(),
                },
            )
        }
        // A technician's role may not see the audit trail a compliance report shows.
        CommandKind::SaveReport => (
            lab.tech.clone(),
            Command::SaveReport {
                saved_id: Uuid::now_v7(),
                name: "Sign-ins".into(),
                what: aliquot_domain::saved_reports::SavedWhat::Report {
                    request: aliquot_domain::reports::ReportRequest::Compliance {
                        period: aliquot_domain::reports::Period {
                            from: f.clock.now() - Duration::days(30),
                            to: f.clock.now(),
                        },
                    },
                },
            },
        ),
        // Someone else's.
        CommandKind::ChangeSavedReport => {
            let saved_id =
                schedules::save(f, &lab.manager, "Stored tubes", schedules::inventory()).await;
            (
                lab.tech.clone(),
                Command::ChangeSavedReport {
                    saved_id,
                    name: "Mine now".into(),
                    what: schedules::inventory(),
                    reason: "taking it over".into(),
                },
            )
        }
        CommandKind::VoidSavedReport => {
            let saved_id =
                schedules::save(f, &lab.manager, "Stored tubes", schedules::inventory()).await;
            (
                lab.tech.clone(),
                Command::VoidSavedReport {
                    saved_id,
                    reason: "not needed".into(),
                },
            )
        }
        // A relative path names no folder on this PC.
        CommandKind::ScheduleReport => {
            let saved_id =
                schedules::save(f, &lab.tech, "Stored tubes", schedules::inventory()).await;
            (
                lab.tech.clone(),
                schedules::schedule_command(saved_id, std::path::Path::new("reports")),
            )
        }
        CommandKind::VoidSchedule => {
            let saved_id =
                schedules::save(f, &lab.manager, "Stored tubes", schedules::inventory()).await;
            let schedule_id = schedules::schedule(f, &lab.manager, saved_id).await;
            (
                lab.tech.clone(),
                Command::VoidSchedule {
                    schedule_id,
                    reason: "not mine".into(),
                },
            )
        }
        // A due time before the schedule's last.
        CommandKind::RecordReportRun => {
            let saved_id =
                schedules::save(f, &lab.tech, "Stored tubes", schedules::inventory()).await;
            let schedule_id = schedules::schedule(f, &lab.tech, saved_id).await;
            let due = f.clock.now() - Duration::days(1);
            (
                lab.tech.clone(),
                schedules::run_command(schedule_id, due, 1, false),
            )
        }
        other => unreachable!("{other:?} is not a lab command"),
    }
}

#[tokio::test]
async fn a_refused_command_leaves_no_trace() {
    for kind in CommandKind::ALL.iter().copied() {
        let f = fixture().await;
        let (actor, command) = refused_command(&f, kind).await;
        let before = f.snapshot().await;
        let err = f
            .store
            .execute(&actor, command)
            .await
            .expect_err(&format!("{kind:?} must fail"));
        assert!(matches!(err, StoreError::Domain(_)), "{kind:?}: {err}");
        assert_eq!(f.snapshot().await, before, "{kind:?} left a trace");
    }
}

#[tokio::test]
async fn a_failure_after_the_change_was_written_rolls_everything_back() {
    let f = fixture().await;
    // Make the last step of the executor (the outbox append) fail.
    sqlx::query("CREATE TRIGGER fail_outbox BEFORE INSERT ON outbox BEGIN SELECT RAISE(ABORT, 'disk full'); END")
        .execute(f.store.pool())
        .await
        .unwrap();
    let before = f.snapshot().await;
    let err = f
        .store
        .execute(
            &f.admin,
            Command::CreateUser {
                user_id: Uuid::now_v7(),
                username: "bea".into(),
                display_name: "Bea".into(),
                role: Role::Technician,
                password_hash: fixture_hash(),
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Database(_)));
    assert_eq!(f.snapshot().await, before);
    assert!(f.store.user_by_name("bea").await.unwrap().is_none());
}

#[tokio::test]
async fn every_command_refuses_roles_the_matrix_refuses() {
    for kind in CommandKind::ALL
        .iter()
        .copied()
        .filter(|k| *k != CommandKind::CreateFirstAdmin)
    {
        for role in Role::ALL {
            let f = fixture().await;
            let (mut actor, command) = valid_command(&f, kind).await;
            actor.role = role;
            let before = f.snapshot().await;
            let result = f.store.execute(&actor, command).await;
            if role.may(kind.permission()) {
                assert!(result.is_ok(), "{role:?} {kind:?}: {result:?}");
            } else {
                assert!(
                    matches!(result, Err(StoreError::Forbidden(_))),
                    "{role:?} {kind:?}"
                );
                // The refusal itself is audited (issue 11, defect 8), and nothing else.
                let mut after = f.snapshot().await;
                let denied: Vec<String> = sqlx::query_scalar(
                    "SELECT action FROM audit_log WHERE seq > (SELECT COUNT(*) FROM audit_log) - 1",
                )
                .fetch_all(f.store.pool())
                .await
                .unwrap();
                assert_eq!(denied, ["permission_denied"], "{role:?} {kind:?}");
                let audit = after.iter_mut().find(|(t, _)| t == "audit_log").unwrap();
                let expected = before.iter().find(|(t, _)| t == "audit_log").unwrap();
                let entries_before: i64 = expected.1.split(':').next().unwrap().parse().unwrap();
                assert_eq!(f.count("audit_log").await, entries_before + 1);
                audit.1.clone_from(&expected.1);
                assert_eq!(after, before, "{role:?} {kind:?}");
            }
        }
    }
}

#[tokio::test]
async fn the_audit_trail_is_append_only_and_tampering_is_detected() {
    let f = fixture().await;
    for name in ["lab one", "lab two", "lab three"] {
        f.store
            .execute(
                &f.admin,
                Command::ChangeSettings {
                    settings: vec![Setting::LabName(name.into())],
                    reason: "rename".into(),
                },
            )
            .await
            .unwrap();
    }
    let v = f.store.verify_audit_chain().await.unwrap();
    assert_eq!((v.entries_checked, v.first_break), (4, None));

    let update = sqlx::query("UPDATE audit_log SET reason = 'forged' WHERE seq = 2")
        .execute(f.store.pool())
        .await;
    assert!(update.unwrap_err().to_string().contains("append-only"));
    let delete = sqlx::query("DELETE FROM audit_log WHERE seq = 2")
        .execute(f.store.pool())
        .await;
    assert!(delete.unwrap_err().to_string().contains("append-only"));

    // Someone with file access drops the trigger and edits a row.
    sqlx::query("DROP TRIGGER audit_log_no_update")
        .execute(f.store.pool())
        .await
        .unwrap();
    sqlx::query("UPDATE audit_log SET new_value = '\"forged\"' WHERE seq = 3")
        .execute(f.store.pool())
        .await
        .unwrap();
    let v = f.store.verify_audit_chain().await.unwrap();
    assert_eq!(v.first_break, Some(ChainBreak::HashMismatch { seq: 3 }));
    assert_eq!(v.entries_checked, 2);
}

/// The walk names a cut entry as a gap, and a row pointing at the wrong hash as a broken link.
#[tokio::test]
async fn a_cut_or_relinked_audit_entry_is_named_by_the_walk() {
    let f = fixture().await;
    for name in ["lab one", "lab two", "lab three", "lab four"] {
        f.store
            .execute(
                &f.admin,
                Command::ChangeSettings {
                    settings: vec![Setting::LabName(name.into())],
                    reason: "rename".into(),
                },
            )
            .await
            .unwrap();
    }
    for trigger in ["audit_log_no_update", "audit_log_no_delete"] {
        sqlx::query(&format!("DROP TRIGGER {trigger}"))
            .execute(f.store.pool())
            .await
            .unwrap();
    }
    sqlx::query(
        "UPDATE audit_log SET prev_hash = (SELECT hash FROM audit_log WHERE seq = 1) WHERE seq = 4",
    )
    .execute(f.store.pool())
    .await
    .unwrap();
    let v = f.store.verify_audit_chain().await.unwrap();
    assert_eq!(v.first_break, Some(ChainBreak::BrokenLink { seq: 4 }));
    assert_eq!(v.entries_checked, 3);

    sqlx::query("DELETE FROM audit_log WHERE seq = 2")
        .execute(f.store.pool())
        .await
        .unwrap();
    let v = f.store.verify_audit_chain().await.unwrap();
    assert_eq!(
        v.first_break,
        Some(ChainBreak::Gap {
            expected_seq: 2,
            found_seq: 3
        })
    );
    assert_eq!(v.entries_checked, 1);
}

#[tokio::test]
async fn the_database_is_opened_with_the_required_pragmas() {
    let f = fixture().await;
    let pool = f.store.pool();
    let journal: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(pool)
        .await
        .unwrap();
    let sync: i64 = sqlx::query_scalar("PRAGMA synchronous")
        .fetch_one(pool)
        .await
        .unwrap();
    let fk: i64 = sqlx::query_scalar("PRAGMA foreign_keys")
        .fetch_one(pool)
        .await
        .unwrap();
    let busy: i64 = sqlx::query_scalar("PRAGMA busy_timeout")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(journal, "wal");
    assert_eq!(sync, 2, "synchronous=FULL");
    assert_eq!(fk, 1);
    assert!(busy >= 5_000);
}

#[tokio::test]
async fn a_damaged_database_file_is_refused_with_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join(aliquot_store::DB_FILE_NAME),
        b"this is not sqlite, it is a shopping list ".repeat(200),
    )
    .unwrap();
    let err = Store::open(dir.path(), Arc::new(aliquot_domain::SystemClock))
        .await
        .err()
        .expect("must refuse");
    assert!(matches!(err, StoreError::Corrupt(_)), "{err}");
    assert!(
        err.to_string().contains("integrity")
            || err.to_string().contains("not an Aliquot database"),
        "{err}"
    );
}

#[tokio::test]
async fn a_damaged_page_fails_the_integrity_check() {
    let f = fixture().await;
    for i in 0..200 {
        f.store
            .execute(
                &f.admin,
                Command::ChangeSettings {
                    settings: vec![Setting::LabName(format!("lab {i} {}", "x".repeat(100)))],
                    reason: "fill".into(),
                },
            )
            .await
            .unwrap();
    }
    f.store.close().await;
    let path = f.dir.path().join(aliquot_store::DB_FILE_NAME);
    let mut bytes = std::fs::read(&path).unwrap();
    assert!(bytes.len() > 8192 * 3);
    // Scribble over the middle of the file (not the header), as a bad sector would.
    let mid = bytes.len() / 2;
    for b in &mut bytes[mid..mid + 4096] {
        *b = 0x5a;
    }
    std::fs::write(&path, bytes).unwrap();
    let err = Store::open(f.dir.path(), f.clock.clone())
        .await
        .err()
        .expect("must refuse");
    assert!(matches!(err, StoreError::Corrupt(_)), "{err}");
}

#[tokio::test]
async fn backup_writes_a_verified_copy_that_opens_as_a_store() {
    let f = fixture().await;
    f.add_user("bea", Role::Technician).await;
    let target = f.dir.path().join("backups").join("copy.db");
    let report = f.store.backup(&target).await.unwrap();
    assert_eq!(report.audit_entries, 2);
    assert!(report.audit_chain_intact && report.bytes > 0);
    // The copy is a complete store.
    let restore_dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        &target,
        restore_dir.path().join(aliquot_store::DB_FILE_NAME),
    )
    .unwrap();
    let restored = Store::open(restore_dir.path(), f.clock.clone())
        .await
        .unwrap();
    assert!(restored.user_by_name("bea").await.unwrap().is_some());
    // Never overwrite.
    assert!(matches!(
        f.store.backup(&target).await,
        Err(StoreError::Backup(_))
    ));
}

#[tokio::test]
async fn login_lockout_is_stored_and_survives_a_restart() {
    let f = fixture().await;
    for _ in 0..MAX_FAILED_LOGINS - 1 {
        assert!(matches!(
            f.store.login("admin", "wrong password!!").await,
            Err(StoreError::InvalidCredentials)
        ));
    }
    assert!(matches!(
        f.store.login("admin", "wrong password!!").await,
        Err(StoreError::LockedOut)
    ));
    // Even the right password is refused while locked.
    assert!(matches!(
        f.store.login("admin", PASSWORD).await,
        Err(StoreError::LockedOut)
    ));

    f.store.close().await;
    let reopened = Store::open(f.dir.path(), f.clock.clone()).await.unwrap();
    assert!(matches!(
        reopened.login("admin", PASSWORD).await,
        Err(StoreError::LockedOut)
    ));
    f.clock.advance(LOCKOUT);
    assert!(reopened.login("admin", PASSWORD).await.is_ok());
    // Failed attempts are in the audit trail.
    let failed: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'login_failed'")
            .fetch_one(reopened.pool())
            .await
            .unwrap();
    assert_eq!(failed, MAX_FAILED_LOGINS + 2);
}

#[tokio::test]
async fn unknown_users_and_wrong_passwords_answer_the_same() {
    let f = fixture().await;
    let unknown = f
        .store
        .login("nobody", PASSWORD)
        .await
        .unwrap_err()
        .to_string();
    let wrong = f
        .store
        .login("admin", "not the password")
        .await
        .unwrap_err()
        .to_string();
    assert_eq!(unknown, wrong);
    // Unknown names are throttled too, so a lockout says nothing about existence.
    for _ in 0..MAX_FAILED_LOGINS {
        let _ = f.store.login("nobody", PASSWORD).await;
    }
    assert!(matches!(
        f.store.login("nobody", PASSWORD).await,
        Err(StoreError::LockedOut)
    ));
}

#[tokio::test]
async fn sessions_are_stored_hashed_and_expire_when_idle_or_too_old() {
    let f = fixture().await;
    let (token, session) = f.store.login("Admin", PASSWORD).await.unwrap();
    assert_eq!(session.user.username, "admin");
    assert!(token.len() >= 32);
    let stored: Vec<String> = sqlx::query_scalar("SELECT token_hash FROM sessions")
        .fetch_all(f.store.pool())
        .await
        .unwrap();
    assert_eq!(stored, vec![token_hash(&token)]);
    assert_ne!(stored[0], token);

    // Idle expiry.
    f.clock.advance(SESSION_IDLE - Duration::seconds(1));
    f.store.session(&token).await.unwrap();
    f.clock.advance(SESSION_IDLE);
    assert!(matches!(
        f.store.session(&token).await,
        Err(StoreError::Unauthenticated)
    ));

    // Absolute expiry, even when used all along.
    let (token, _) = f.store.login("admin", PASSWORD).await.unwrap();
    let steps = SESSION_ABSOLUTE.num_minutes() / 20;
    for _ in 0..steps - 1 {
        f.clock.advance(Duration::minutes(20));
        f.store.session(&token).await.unwrap();
    }
    f.clock.advance(Duration::minutes(20));
    assert!(matches!(
        f.store.session(&token).await,
        Err(StoreError::Unauthenticated)
    ));
}

#[tokio::test]
async fn logout_and_deactivation_end_sessions_on_the_next_call() {
    let f = fixture().await;
    let bea = f.add_user("bea", Role::Technician).await;
    let (admin_token, _) = f.store.login("admin", PASSWORD).await.unwrap();
    let (bea_token, _) = f.store.login("bea", PASSWORD).await.unwrap();
    let (bea_second, _) = f.store.login("bea", PASSWORD).await.unwrap();

    f.store.logout(&admin_token).await.unwrap();
    assert!(matches!(
        f.store.session(&admin_token).await,
        Err(StoreError::Unauthenticated)
    ));

    f.store.session(&bea_token).await.unwrap();
    f.store
        .execute(
            &f.admin,
            Command::DeactivateUser {
                user_id: bea.user_id,
                reason: "left".into(),
            },
        )
        .await
        .unwrap();
    for token in [&bea_token, &bea_second] {
        assert!(matches!(
            f.store.session(token).await,
            Err(StoreError::Unauthenticated)
        ));
    }
    assert!(matches!(
        f.store.login("bea", PASSWORD).await,
        Err(StoreError::InvalidCredentials)
    ));
}

#[tokio::test]
async fn a_reset_token_is_hashed_single_use_expiring_and_audited() {
    let f = fixture().await;
    let bea = f.add_user("bea", Role::Technician).await;
    let token = aliquot_store::auth::new_token();
    f.store
        .execute(
            &f.admin,
            Command::IssuePasswordReset {
                user_id: bea.user_id,
                reset_id: Uuid::now_v7(),
                token_hash: token_hash(&token),
                expires_at: f.clock.now() + Duration::hours(1),
                reason: "forgot".into(),
            },
        )
        .await
        .unwrap();
    let stored: String = sqlx::query_scalar("SELECT token_hash FROM password_resets")
        .fetch_one(f.store.pool())
        .await
        .unwrap();
    assert_eq!(stored, token_hash(&token));
    let audit = f
        .store
        .list_audit(
            Default::default(),
            aliquot_domain::paging::SortOrder::Desc,
            &Default::default(),
        )
        .await
        .unwrap();
    let issued = &audit.items[0];
    assert_eq!(issued.action, "issue_password_reset");
    assert_eq!(issued.actor_name, "admin");
    assert_eq!(issued.reason.as_deref(), Some("forgot"));
    assert!(
        issued.context.contains(&bea.user_id.to_string()),
        "the subject is in the context"
    );
    assert!(!format!("{issued:?}").contains(&token));

    let (bea_token, _) = f.store.login("bea", PASSWORD).await.unwrap();
    let new_hash = hash_password("a brand new passphrase").unwrap();
    let redeem = Command::RedeemPasswordReset {
        token_hash: token_hash(&token),
        password_hash: new_hash,
    };
    f.store.execute(&bea, redeem.clone()).await.unwrap();
    assert!(f.store.login("bea", "a brand new passphrase").await.is_ok());
    // Redeeming ends the user's other sessions.
    assert!(matches!(
        f.store.session(&bea_token).await,
        Err(StoreError::Unauthenticated)
    ));
    // Single use.
    assert!(matches!(
        f.store.execute(&bea, redeem).await,
        Err(StoreError::Domain(_))
    ));

    // Expiry.
    let late = aliquot_store::auth::new_token();
    f.store
        .execute(
            &f.admin,
            Command::IssuePasswordReset {
                user_id: bea.user_id,
                reset_id: Uuid::now_v7(),
                token_hash: token_hash(&late),
                expires_at: f.clock.now() + Duration::hours(1),
                reason: "again".into(),
            },
        )
        .await
        .unwrap();
    f.clock.advance(Duration::hours(1));
    let expired = f
        .store
        .execute(
            &bea,
            Command::RedeemPasswordReset {
                token_hash: token_hash(&late),
                password_hash: fixture_hash(),
            },
        )
        .await;
    assert!(matches!(
        expired,
        Err(StoreError::Domain(
            aliquot_domain::DomainError::ResetTokenInvalid
        ))
    ));
}

#[tokio::test]
async fn settings_change_only_through_the_command_with_old_and_new_values_audited() {
    let f = fixture().await;
    assert_eq!(f.store.settings().await.unwrap().display_timezone, "UTC");
    f.store
        .execute(
            &f.admin,
            Command::ChangeSettings {
                settings: vec![Setting::DisplayTimezone("Europe/Paris".into())],
                reason: "site moved".into(),
            },
        )
        .await
        .unwrap();
    assert_eq!(
        f.store.settings().await.unwrap().display_timezone,
        "Europe/Paris"
    );
    let audit = f
        .store
        .list_audit(
            Default::default(),
            aliquot_domain::paging::SortOrder::Desc,
            &Default::default(),
        )
        .await
        .unwrap();
    let e = &audit.items[0];
    assert_eq!(
        (e.entity_type.as_str(), e.entity_id.as_str()),
        ("setting", "display_timezone")
    );
    assert_eq!(e.old_value.as_deref(), Some("\"UTC\""));
    assert_eq!(e.new_value.as_deref(), Some("\"Europe/Paris\""));
}

#[tokio::test]
async fn user_lists_use_the_one_page_type_with_sql_totals() {
    let f = fixture().await;
    for i in 0..7 {
        f.add_user(&format!("user{i}"), Role::Viewer).await;
    }
    use aliquot_domain::account::UserSort;
    use aliquot_domain::paging::{PageRequest, SortOrder};
    let page = f
        .store
        .list_users(
            PageRequest {
                page: 2,
                per_page: 3,
            },
            UserSort::Username,
            SortOrder::Asc,
        )
        .await
        .unwrap();
    assert_eq!((page.total, page.total_pages, page.items.len()), (8, 3, 3));
    let names: Vec<_> = page.items.iter().map(|u| u.username.as_str()).collect();
    assert_eq!(names, ["user2", "user3", "user4"]);
    let desc = f
        .store
        .list_users(
            PageRequest {
                page: 1,
                per_page: 2,
            },
            UserSort::Username,
            SortOrder::Desc,
        )
        .await
        .unwrap();
    assert_eq!(desc.items[0].username, "user6");
    assert!(f
        .store
        .list_users(
            PageRequest {
                page: 1,
                per_page: 1000
            },
            UserSort::Username,
            SortOrder::Asc
        )
        .await
        .is_err());
}

/// `.sqlx/` must describe exactly the queries in the source: a missing entry already fails
/// the offline build; this catches entries for queries that no longer exist.
#[test]
fn sqlx_offline_data_is_fresh() {
    use sha2::{Digest, Sha256};
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut sources = String::new();
    // The source files, those in sub-folders (`reports/`) too.
    let mut dirs = vec![root.join("shared/store/src"), root.join("hub/src")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else {
                sources.push_str(&std::fs::read_to_string(path).unwrap());
            }
        }
    }
    let mut files = 0;
    for entry in std::fs::read_dir(root.join(".sqlx")).unwrap() {
        let path = entry.unwrap().path();
        let json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let query = json["query"].as_str().unwrap();
        let hash = hex::encode(Sha256::digest(query.as_bytes()));
        assert_eq!(
            path.file_name().unwrap().to_str().unwrap(),
            format!("query-{hash}.json")
        );
        // A query built by `select_sample!` is its SELECT literal + the caller's WHERE
        // literal; one of `Store::boxes` is its SELECT + its ORDER BY + its LIMIT: up to
        // three literals of the source, end to end.
        assert!(
            made_of_literals(&sources, query, 3),
            "stale .sqlx entry for a query no longer in the source: {query}"
        );
        files += 1;
    }
    assert!(files > 10);
}

/// Whether `query` is `parts` or fewer pieces of `sources` end to end. A prefix not in the
/// sources has no longer prefix there either, so the longest one is found by bisection and
/// the split points are tried from there down.
fn made_of_literals(sources: &str, query: &str, parts: usize) -> bool {
    if sources.contains(query) {
        return true;
    }
    if parts <= 1 {
        return false;
    }
    let ends: Vec<usize> = query.char_indices().map(|(i, _)| i).skip(1).collect();
    // ends[..lo] are prefixes in the sources, ends[hi..] are not.
    let (mut lo, mut hi) = (0, ends.len());
    while lo < hi {
        let mid = (lo + hi) / 2;
        if sources.contains(&query[..ends[mid]]) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    ends[..lo]
        .iter()
        .rev()
        .any(|&i| made_of_literals(sources, &query[i..], parts - 1))
}
