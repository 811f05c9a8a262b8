//! The wire format of every command kind, frozen by golden files: one JSON per kind, with
//! the schema version it was written under. Commands wait in outboxes for days (a field
//! event without network), so a change that would make a queued command read differently
//! on the hub must fail here first. Such a change needs a new schema version and a reader
//! for the old one, never an edit of these files.
//!
//! `UPDATE_GOLDEN=1 cargo test --workspace --test command_wire_format` writes files for new
//! kinds only; it never overwrites one that exists.

use aliquot_domain::command::*;
use aliquot_domain::instruments::{
    CsvMapping, DecimalMark, Figure, InstrumentDescription, InstrumentKind, InstrumentStatus,
    NewControlLot, PositionKind, ResultFormat, ValueColumn,
};
use aliquot_domain::numbering::{BlockKind, NewBlock};
use aliquot_domain::printing::{LabelStock, PrinterAddress, PrinterLanguage, PrinterSettings};
use aliquot_domain::reports::{Period, ReportRequest};
use aliquot_domain::sample::{ConsentStatus, KitItem, SampleStatus, SampleType};
use aliquot_domain::saved_reports::{ReportFormat, RunOutcome, SavedWhat};
use aliquot_domain::schedule::{Cadence, Schedule, Weekday};
use aliquot_domain::settings::Setting;
use aliquot_domain::storage::{BoxLayout, FreezerKind, StorageEdit, StorageTarget};
use aliquot_domain::{Command, CommandKind, Role, COMMAND_SCHEMA_VERSION};
use chrono::{NaiveDate, TimeZone, Utc};
use std::path::PathBuf;
use uuid::Uuid;

fn id(n: u128) -> Uuid {
    Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0000 + n)
}

/// One example of each kind, every optional field given where the kind has one.
/// Exhaustive: a new command kind does not compile until it has an example here.
fn example(kind: CommandKind) -> Command {
    let at = Utc.with_ymd_and_hms(2026, 11, 30, 14, 5, 9).unwrap();
    let day = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
    let hash = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA".to_owned();
    match kind {
        CommandKind::CreateFirstAdmin => Command::CreateFirstAdmin {
            user_id: id(1),
            username: "admin".into(),
            display_name: "Ada Admin".into(),
            password_hash: hash,
        },
        CommandKind::CreateUser => Command::CreateUser {
            user_id: id(2),
            username: "tech1".into(),
            display_name: "Tom Tech".into(),
            role: Role::Technician,
            password_hash: hash,
        },
        CommandKind::ChangeRole => Command::ChangeRole {
            user_id: id(2),
            role: Role::LabManager,
            reason: "promoted".into(),
        },
        CommandKind::DeactivateUser => Command::DeactivateUser {
            user_id: id(2),
            reason: "left the lab".into(),
        },
        CommandKind::ReactivateUser => Command::ReactivateUser {
            user_id: id(2),
            reason: "back from leave".into(),
        },
        CommandKind::ChangePassword => Command::ChangePassword {
            password_hash: hash,
        },
        CommandKind::IssuePasswordReset => Command::IssuePasswordReset {
            user_id: id(2),
            reset_id: id(3),
            token_hash: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08".into(),
            expires_at: at,
            reason: "forgot it".into(),
        },
        CommandKind::RedeemPasswordReset => Command::RedeemPasswordReset {
            token_hash: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08".into(),
            password_hash: hash,
        },
        CommandKind::ChangeSettings => Command::ChangeSettings {
            settings: vec![
                Setting::LabName("North Biobank".into()),
                Setting::DisplayTimezone("Europe/Paris".into()),
                Setting::StandardKit(Some(id(20))),
            ],
            reason: "new lab name".into(),
        },
        CommandKind::CreateSite => Command::CreateSite {
            site_id: id(10),
            code: "NORTH".into(),
            name: "North clinic".into(),
            participant_range_start: 10_000,
            participant_range_end: 19_999,
        },
        CommandKind::UpdateSite => Command::UpdateSite {
            site_id: id(10),
            name: Some("North hospital".into()),
            participant_range_start: Some(10_000),
            participant_range_end: Some(29_999),
            reason: "more participants".into(),
        },
        CommandKind::VoidSite => Command::VoidSite {
            site_id: id(10),
            reason: "made twice by mistake".into(),
        },
        CommandKind::AssignNumberBlock => Command::AssignNumberBlock {
            block_id: id(11),
            block: NewBlock {
                kind: BlockKind::Sample,
                device_id: id(99).to_string(),
                site_id: None,
                prefix: "AB".into(),
                digits: 6,
                first: 1,
                last: 5_000,
            },
            reason: "desk 2".into(),
        },
        CommandKind::RegisterParticipant => Command::RegisterParticipant {
            participant_id: id(12),
            site_id: id(10),
            number: Some(10_001),
            external_id: Some("EXT-1".into()),
            consent: ConsentStatus::Given,
            consent_date: day,
            sex: Some(Sex::Female),
            birth_year: Some(1970),
        },
        CommandKind::RecordConsent => Command::RecordConsent {
            participant_id: id(12),
            consent: ConsentStatus::Withdrawn,
            consent_date: day,
            reason: "phoned the desk".into(),
        },
        CommandKind::CreateFieldEvent => Command::CreateFieldEvent {
            event_id: id(13),
            site_id: id(10),
            name: "Market day".into(),
            date: day,
            coordinator_id: id(2),
        },
        CommandKind::CheckInParticipant => Command::CheckInParticipant {
            event_id: id(13),
            participant_id: id(12),
        },
        CommandKind::CreateKitTemplate => Command::CreateKitTemplate {
            template_id: id(20),
            name: "Standard".into(),
            items: vec![KitItem {
                sample_type: SampleType::new(SampleType::WHOLE_BLOOD),
                count: 2,
                volume_ul: Some(500),
            }],
        },
        CommandKind::ReviseKitTemplate => Command::ReviseKitTemplate {
            template_id: id(20),
            version: 2,
            items: vec![KitItem {
                sample_type: SampleType::new(SampleType::SERUM),
                count: 1,
                volume_ul: None,
            }],
            reason: "serum instead of whole blood".into(),
        },
        CommandKind::RetireKitTemplate => Command::RetireKitTemplate {
            template_id: id(20),
            reason: "study closed".into(),
        },
        CommandKind::CreateSampleType => Command::CreateSampleType {
            code: "csf".into(),
            short_code: "CS".into(),
            label: "Cerebrospinal fluid".into(),
        },
        CommandKind::RetireSampleType => Command::RetireSampleType {
            sample_type: SampleType::new("stool"),
            reason: "no longer collected".into(),
        },
        CommandKind::RegisterKit => Command::RegisterKit {
            registration_id: id(21),
            participant_id: id(12),
            template_id: id(20),
            // Written before template versions: the golden file shows it reads unchanged;
            // `a_kit_carries_the_template_version_it_was_registered_against` covers Some.
            template_version: None,
            event_id: Some(id(13)),
            collected_at: at,
            collector: "Nurse Jo".into(),
            tubes: vec![
                NewTube {
                    sample_id: id(30),
                    code: Some("AB000001X".into()),
                },
                NewTube {
                    sample_id: id(31),
                    code: Some("AB000002Y".into()),
                },
            ],
        },
        CommandKind::TransitionSample => Command::TransitionSample {
            sample_id: id(30),
            expected: SampleStatus::Received,
            to: SampleStatus::Processing,
            reason: Some("spun".into()),
        },
        CommandKind::CreateAliquots => Command::CreateAliquots {
            parent_id: id(30),
            children: vec![NewAliquot {
                sample_id: id(32),
                code: Some("AB000003Z".into()),
                sample_type: SampleType::new(SampleType::SERUM),
                volume_ul: 250,
            }],
        },
        CommandKind::RequestDiscard => Command::RequestDiscard {
            request_id: id(40),
            sample_id: id(31),
            reason: "haemolysed".into(),
        },
        CommandKind::DecideDiscard => Command::DecideDiscard {
            request_id: id(40),
            approve: true,
            reason: "agreed".into(),
        },
        CommandKind::RegisterInstrument => Command::RegisterInstrument {
            instrument_id: id(60),
            instrument: InstrumentDescription {
                name: "ELISA reader".into(),
                kind: InstrumentKind::PlateReader,
                model: "Reader 9".into(),
                serial_number: "SN-1".into(),
                location: "Lab 2".into(),
                result_format: ResultFormat::MappedCsv,
                csv_mapping: Some(CsvMapping {
                    separator: ';',
                    decimal: DecimalMark::Comma,
                    skip_lines: 2,
                    position_column: "Well".into(),
                    position_is: PositionKind::Well,
                    plate_column: Some("Plate".into()),
                    values: vec![ValueColumn {
                        column: "OD 450".into(),
                        read: Some("450 nm".into()),
                        unit: Some("OD".into()),
                    }],
                }),
            },
        },
        CommandKind::EditInstrument => Command::EditInstrument {
            instrument_id: id(60),
            instrument: InstrumentDescription {
                name: "Synergy H1".into(),
                kind: InstrumentKind::PlateReader,
                model: "Synergy H1".into(),
                serial_number: "SN-2".into(),
                location: "Lab 3".into(),
                result_format: ResultFormat::Gen5,
                csv_mapping: None,
            },
            reason: "moved and replaced".into(),
        },
        CommandKind::SetInstrumentStatus => Command::SetInstrumentStatus {
            instrument_id: id(60),
            status: InstrumentStatus::CalibrationDue,
            reason: "yearly calibration".into(),
        },
        CommandKind::AddControlLot => Command::AddControlLot {
            control_lot_id: id(61),
            instrument_id: id(60),
            lot: NewControlLot {
                material: "Level 1".into(),
                lot: "L123".into(),
                read: "450 nm".into(),
                unit: Some("OD".into()),
                target_mean: Figure(1.25),
                target_sd: Figure(0.05),
            },
        },
        CommandKind::CreatePlateTemplate => Command::CreatePlateTemplate {
            template_id: id(70),
            name: "ELISA standard curve".into(),
            format: aliquot_domain::runs::PlateFormat::Wells96,
            layout: vec![
                aliquot_domain::runs::LayoutWell {
                    well: "A1".into(),
                    content: aliquot_domain::runs::LayoutRole::Standard {
                        name: "S1".into(),
                        concentration: Some(Figure(1000.0)),
                    },
                },
                aliquot_domain::runs::LayoutWell {
                    well: "H12".into(),
                    content: aliquot_domain::runs::LayoutRole::Control {
                        control_lot_id: id(61),
                    },
                },
                aliquot_domain::runs::LayoutWell {
                    well: "H11".into(),
                    content: aliquot_domain::runs::LayoutRole::Blank,
                },
            ],
        },
        CommandKind::CreateRun => Command::CreateRun {
            run_id: id(71),
            instrument_id: id(60),
            name: "ELISA-2026-12-03".into(),
            plates: vec![aliquot_domain::runs::NewPlate {
                plate_id: id(72),
                name: "ELISA-2026-12-03-P1".into(),
                format: aliquot_domain::runs::PlateFormat::Wells96,
                template_id: Some(id(70)),
                layout: vec![aliquot_domain::runs::LayoutWell {
                    well: "H11".into(),
                    content: aliquot_domain::runs::LayoutRole::Blank,
                }],
            }],
        },
        CommandKind::FillWell => Command::FillWell {
            plate_id: id(72),
            sample_id: id(20),
            well: Some("B1".into()),
            order: aliquot_domain::runs::FillOrder::Columns,
        },
        CommandKind::ClearWell => Command::ClearWell {
            plate_id: id(72),
            well: "B1".into(),
            reason: "wrong tube scanned".into(),
        },
        CommandKind::ImportResults => Command::ImportResults {
            import_id: id(73),
            run_id: id(71),
            file_name: "ELISA-2026-12-03.txt".into(),
            sha256: "ab".repeat(32),
            format: aliquot_domain::instruments::ResultFormat::Gen5,
            results: vec![
                aliquot_domain::runs::ImportedResult {
                    plate_id: id(72),
                    well: "B1".into(),
                    sample_id: Some(id(20)),
                    control_lot_id: None,
                    read: "450".into(),
                    value: aliquot_domain::runs::Reading::Number { value: 0.512 },
                    unit: Some("OD".into()),
                },
                aliquot_domain::runs::ImportedResult {
                    plate_id: id(72),
                    well: "C1".into(),
                    sample_id: Some(id(21)),
                    control_lot_id: None,
                    read: "450".into(),
                    value: aliquot_domain::runs::Reading::Flagged {
                        flag: aliquot_domain::runs::Flag::Overflow,
                        text: "OVRFLW".into(),
                    },
                    unit: None,
                },
                aliquot_domain::runs::ImportedResult {
                    plate_id: id(72),
                    well: "H12".into(),
                    sample_id: None,
                    control_lot_id: Some(id(61)),
                    read: "450".into(),
                    value: aliquot_domain::runs::Reading::Censored {
                        bound: aliquot_domain::runs::Bound::Above,
                        limit: Some(4.0),
                        text: ">4.000".into(),
                    },
                    unit: None,
                },
            ],
            supersedes: Some(id(74)),
            reason: Some("re-exported with the right wavelength".into()),
        },
        CommandKind::ImportResultSet => Command::ImportResultSet {
            set_id: id(75),
            name: "Olink Explore batch 3".into(),
            format: aliquot_domain::result_sets::ResultSetFormat::LongCsv,
            partner: Some("Partner Lab".into()),
            file_name: "partner-2026-12.csv".into(),
            sha256: "cd".repeat(32),
            values: vec![
                aliquot_domain::result_sets::SetValue {
                    sample_code: "AQ000001X".into(),
                    sample_id: Some(id(20)),
                    analyte: "GLU".into(),
                    value: Some(aliquot_domain::runs::Reading::Number { value: 100.0 }),
                    unit: Some("mg/dL".into()),
                    flag: None,
                    control: None,
                    test_code: Some("GLUCOSE".into()),
                    converted: Some(aliquot_domain::runs::Reading::Number { value: 5.55 }),
                },
                aliquot_domain::result_sets::SetValue {
                    sample_code: "UNKNOWN-7".into(),
                    sample_id: None,
                    analyte: "XYZ".into(),
                    value: None,
                    unit: None,
                    flag: Some("hemolysed".into()),
                    control: Some(true),
                    test_code: None,
                    converted: None,
                },
            ],
        },
        CommandKind::SetPartnerMapping => Command::SetPartnerMapping {
            mapping_id: id(76),
            mapping: aliquot_domain::result_sets::PartnerMapping {
                partner: "Partner Lab".into(),
                partner_code: "GLU".into(),
                partner_unit: Some("mg/dL".into()),
                test_code: "GLUCOSE".into(),
                unit: Some("mmol/L".into()),
                factor: Figure(0.0555),
            },
            reason: None,
        },
        CommandKind::SetWatchFolder => Command::SetWatchFolder {
            instrument_id: id(60),
            folder: Some("C:\\Gen5\\Export".into()),
            auto_import: false,
            reason: "reader exports here".into(),
        },
        CommandKind::DecideRun => Command::DecideRun {
            run_id: id(71),
            decision: aliquot_domain::runs::RunDecision::Release,
            reason: "control vial thawed twice; patient values consistent".into(),
        },
        CommandKind::CreateFreezer => Command::CreateFreezer {
            freezer_id: id(50),
            name: "Freezer 1".into(),
            location: "Room 12".into(),
            freezer_kind: FreezerKind::UltraLow,
            temperature_c: -80,
        },
        CommandKind::CreateRack => Command::CreateRack {
            rack_id: id(51),
            freezer_id: id(50),
            name: "Rack A".into(),
        },
        CommandKind::CreateBox => Command::CreateBox {
            box_id: id(52),
            rack_id: id(51),
            name: "Box 1".into(),
            barcode: "BX0001".into(),
            box_type: "cryobox 9x9".into(),
            layout: BoxLayout::Grid {
                rows: 9,
                columns: 9,
            },
        },
        CommandKind::AddRacksAndBoxes => Command::AddRacksAndBoxes {
            freezer_id: id(50),
            box_type: "cryobox 9x9".into(),
            layout: BoxLayout::Grid {
                rows: 9,
                columns: 9,
            },
            racks: vec![NewRack {
                rack_id: id(53),
                name: "Rack 2".into(),
                boxes: vec![NewBox {
                    box_id: id(54),
                    name: "Box 2-1".into(),
                    barcode: "F1-R02-B01".into(),
                }],
            }],
        },
        CommandKind::MoveBox => Command::MoveBox {
            box_id: id(52),
            rack_id: id(53),
            reason: "rack full".into(),
        },
        CommandKind::VoidStorage => Command::VoidStorage {
            target: StorageTarget::Box(id(52)),
            reason: "cracked".into(),
        },
        CommandKind::EditStorage => Command::EditStorage {
            edit: StorageEdit::Box {
                box_id: id(52),
                name: "Plasma box 7".into(),
                barcode: "BX000007".into(),
                box_type: "cryobox 81".into(),
            },
            reason: "relabelled".into(),
        },
        CommandKind::PlaceSamples => Command::PlaceSamples {
            box_id: id(52),
            tubes: vec![TubePlacement {
                sample_id: id(30),
                position: Some("A1".into()),
            }],
            source: PlacementSource::Scan,
            receive: true,
        },
        CommandKind::ReceiveSamples => Command::ReceiveSamples {
            sample_ids: vec![id(30), id(31)],
        },
        CommandKind::CheckOutSamples => Command::CheckOutSamples {
            sample_ids: vec![id(30)],
            reason: "assay".into(),
        },
        CommandKind::CheckInSamples => Command::CheckInSamples {
            sample_ids: vec![id(30)],
        },
        CommandKind::UnplaceSample => Command::UnplaceSample {
            sample_id: id(30),
            reason: "cracked; kept on the bench".into(),
        },
        CommandKind::ConfigurePrinter => Command::ConfigurePrinter {
            printer: PrinterSettings {
                name: "Desk Zebra".into(),
                address: PrinterAddress::Tcp {
                    host: "10.0.0.5".into(),
                    port: 9100,
                },
                language: PrinterLanguage::Zpl,
                dpi: 300,
                stock: LabelStock::Cryovial,
                darkness: Some(20),
            },
        },
        CommandKind::RenamePrinter => Command::RenamePrinter {
            name: "Desk Zebra".into(),
            new_name: "Desk Zebra (left)".into(),
        },
        CommandKind::RemovePrinter => Command::RemovePrinter {
            name: "Desk Zebra (left)".into(),
            reason: "sent back for repair".into(),
        },
        CommandKind::QueuePrint => Command::QueuePrint {
            job_id: id(60),
            printer: "Desk Zebra".into(),
            template: "cryovial".into(),
            subject: "kit".into(),
            records: vec![id(21)],
            copies: 1,
            payload: "^XA^FDAB000001X^FS^XZ".into(),
            reprint_of: Some(id(59)),
            reason: Some("smudged".into()),
        },
        CommandKind::SaveReport => Command::SaveReport {
            saved_id: id(90),
            name: "Stored samples by freezer".into(),
            what: SavedWhat::Report {
                request: ReportRequest::Occupancy {
                    freezer_id: Some(id(50)),
                },
            },
        },
        CommandKind::ChangeSavedReport => Command::ChangeSavedReport {
            saved_id: id(90),
            name: "Discards in November".into(),
            what: SavedWhat::Report {
                request: ReportRequest::Discards {
                    period: Period {
                        from: Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap(),
                        to: Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap(),
                    },
                },
            },
            reason: "the month, not one freezer".into(),
        },
        CommandKind::VoidSavedReport => Command::VoidSavedReport {
            saved_id: id(90),
            reason: "no longer needed".into(),
        },
        CommandKind::ScheduleReport => Command::ScheduleReport {
            schedule_id: id(91),
            saved_id: id(90),
            schedule: Schedule {
                cadence: Cadence::Weekly {
                    weekday: Weekday::Monday,
                },
                local_time: "06:30".into(),
                time_zone: "Europe/Oslo".into(),
            },
            folder: "C:\\Reports".into(),
            format: ReportFormat::Csv,
            bom: true,
        },
        CommandKind::VoidSchedule => Command::VoidSchedule {
            schedule_id: id(91),
            reason: "the folder moved".into(),
        },
        CommandKind::RecordReportRun => Command::RecordReportRun {
            run_id: id(92),
            schedule_id: id(91),
            due_at: at,
            ran_at: at,
            missed: 3,
            late: true,
            file: Some("C:\\Reports\\storage-occupancy-2026-11-30-1505.csv".into()),
            rows: Some(1204),
            outcome: RunOutcome::Written,
            message: Some("written at start-up".into()),
        },
        CommandKind::MarkNotificationRead => Command::MarkNotificationRead {
            notification_id: id(70),
        },
        CommandKind::ResolveSyncIssue => Command::ResolveSyncIssue {
            command_id: id(80),
            resolution: aliquot_domain::command::SyncIssueResolution::Redone,
            reason: "scanned into A3".into(),
        },
    }
}

fn golden_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden/commands")
}

fn wire(command: &Command) -> serde_json::Value {
    serde_json::json!({
        "schema_version": COMMAND_SCHEMA_VERSION,
        "command": command,
    })
}

#[test]
fn a_kit_carries_the_template_version_it_was_registered_against() {
    let Command::RegisterKit {
        registration_id,
        participant_id,
        template_id,
        event_id,
        collected_at,
        collector,
        tubes,
        ..
    } = example(CommandKind::RegisterKit)
    else {
        unreachable!()
    };
    let command = Command::RegisterKit {
        registration_id,
        participant_id,
        template_id,
        template_version: Some(2),
        event_id,
        collected_at,
        collector,
        tubes,
    };
    let written = wire(&command);
    assert_eq!(written["command"]["template_version"], 2);
    let read: Command = serde_json::from_value(written["command"].clone()).unwrap();
    assert_eq!(read, command);
}

#[test]
fn every_command_kind_reads_and_writes_as_its_golden_file() {
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    for &kind in CommandKind::ALL {
        let command = example(kind);
        assert_eq!(command.kind(), kind);
        let path = golden_dir().join(format!("{}.json", kind.as_str()));
        if update && !path.exists() {
            let text = serde_json::to_string_pretty(&wire(&command)).unwrap() + "\n";
            std::fs::write(&path, text).unwrap();
        }
        let text = std::fs::read_to_string(&path).unwrap_or_else(|_| {
            panic!(
                "{kind:?} has no golden file {}; run with UPDATE_GOLDEN=1 to write it",
                path.display()
            )
        });
        let stored: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            stored["schema_version"], COMMAND_SCHEMA_VERSION,
            "{kind:?}: the schema version changed; queued commands of the old version need a reader"
        );
        // What a queued command of this kind says is still read the same...
        let read: Command = serde_json::from_value(stored["command"].clone())
            .unwrap_or_else(|e| panic!("{kind:?}: a queued command no longer reads: {e}"));
        assert_eq!(read, command, "{kind:?} reads differently");
        // ...and is still written the same.
        assert_eq!(wire(&command), stored, "{kind:?} is written differently");
    }
    let files = std::fs::read_dir(golden_dir()).unwrap().count();
    assert_eq!(
        files,
        CommandKind::ALL.len(),
        "a golden file without a command kind"
    );
}
