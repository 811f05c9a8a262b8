//! Commands: every change to domain data, as data. The store's one executor runs them;
//! the outbox carries them to the hub, which runs them again through the same rules.

use crate::access::{Permission, Role};
use crate::instruments::{InstrumentDescription, InstrumentStatus, NewControlLot, ResultFormat};
use crate::numbering::NewBlock;
use crate::printing::PrinterSettings;
use crate::result_sets::{PartnerMapping, ResultSetFormat, SetValue};
use crate::runs::{FillOrder, ImportedResult, LayoutWell, NewPlate, PlateFormat, RunDecision};
use crate::sample::{ConsentStatus, KitItem, SampleStatus, SampleType};
use crate::saved_reports::{ReportFormat, RunOutcome, SavedWhat};
use crate::schedule::Schedule;
use crate::settings::Setting;
use crate::storage::{BoxLayout, FreezerKind, StorageEdit, StorageTarget};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use uuid::Uuid;

/// Version of the command payload format written to the outbox.
pub const COMMAND_SCHEMA_VERSION: i64 = 1;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Command {
    /// The very first account, made on a fresh data directory. Refused once any user exists.
    CreateFirstAdmin {
        user_id: Uuid,
        username: String,
        display_name: String,
        /// argon2id PHC string; plain passwords never leave the API layer.
        password_hash: String,
    },
    CreateUser {
        user_id: Uuid,
        username: String,
        display_name: String,
        role: Role,
        password_hash: String,
    },
    ChangeRole {
        user_id: Uuid,
        role: Role,
        reason: String,
    },
    DeactivateUser {
        user_id: Uuid,
        reason: String,
    },
    /// A deactivated account opened again (someone back from leave), with the reason; its
    /// password is the one it had, so an administrator usually issues a reset with it.
    ReactivateUser {
        user_id: Uuid,
        reason: String,
    },
    /// The actor changes their own password (the API checked the current one).
    ChangePassword {
        password_hash: String,
    },
    IssuePasswordReset {
        user_id: Uuid,
        reset_id: Uuid,
        /// SHA-256 of the one-time token; the token itself is shown once to the admin.
        token_hash: String,
        expires_at: DateTime<Utc>,
        reason: String,
    },
    RedeemPasswordReset {
        token_hash: String,
        password_hash: String,
    },
    /// One change set from the settings screen: every setting in it, one reason, all or
    /// none (each setting still gets its own audit row).
    ChangeSettings {
        settings: Vec<Setting>,
        reason: String,
    },

    // --- Sites, number blocks, participants, field events ---
    CreateSite {
        site_id: Uuid,
        code: String,
        name: String,
        participant_range_start: i64,
        participant_range_end: i64,
    },
    /// Changes only the fields that are sent.
    UpdateSite {
        site_id: Uuid,
        name: Option<String>,
        participant_range_start: Option<i64>,
        participant_range_end: Option<i64>,
        reason: String,
    },
    /// A site made by mistake: refused once a participant or field event belongs to it.
    VoidSite {
        site_id: Uuid,
        reason: String,
    },
    AssignNumberBlock {
        block_id: Uuid,
        block: NewBlock,
        reason: String,
    },
    /// `number: None` issues the next number from this workstation's block for the site;
    /// the outbox records the number that was issued.
    RegisterParticipant {
        participant_id: Uuid,
        site_id: Uuid,
        number: Option<i64>,
        external_id: Option<String>,
        consent: ConsentStatus,
        consent_date: NaiveDate,
        sex: Option<Sex>,
        birth_year: Option<i32>,
    },
    RecordConsent {
        participant_id: Uuid,
        consent: ConsentStatus,
        consent_date: NaiveDate,
        reason: String,
    },
    CreateFieldEvent {
        event_id: Uuid,
        site_id: Uuid,
        name: String,
        date: NaiveDate,
        coordinator_id: Uuid,
    },
    CheckInParticipant {
        event_id: Uuid,
        participant_id: Uuid,
    },

    // --- Samples ---
    CreateKitTemplate {
        template_id: Uuid,
        name: String,
        items: Vec<KitItem>,
    },
    /// A template's lines changed as its next version (`version`, the current one plus one,
    /// so two revisions made apart cannot both land); kits registered before keep theirs.
    ReviseKitTemplate {
        template_id: Uuid,
        version: u32,
        items: Vec<KitItem>,
        reason: String,
    },
    /// A template no longer offered: kits registered after this are refused.
    RetireKitTemplate {
        template_id: Uuid,
        reason: String,
    },
    /// A sample type of the lab's own, beside those it starts with.
    CreateSampleType {
        code: String,
        short_code: String,
        label: String,
    },
    /// A type no longer collected: refused while a kit template still in use lists it.
    RetireSampleType {
        sample_type: SampleType,
        reason: String,
    },
    /// One registration makes the participant's whole kit of tubes.
    RegisterKit {
        registration_id: Uuid,
        participant_id: Uuid,
        template_id: Uuid,
        /// The template's version the desk registered against. Absent in commands written
        /// before versions (then the template's version when it is applied), and left out
        /// of the wire when absent so those commands are still written as they were.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        template_version: Option<u32>,
        event_id: Option<Uuid>,
        collected_at: DateTime<Utc>,
        collector: String,
        tubes: Vec<NewTube>,
    },
    TransitionSample {
        sample_id: Uuid,
        expected: SampleStatus,
        to: SampleStatus,
        reason: Option<String>,
    },
    CreateAliquots {
        parent_id: Uuid,
        children: Vec<NewAliquot>,
    },
    RequestDiscard {
        request_id: Uuid,
        sample_id: Uuid,
        reason: String,
    },
    DecideDiscard {
        request_id: Uuid,
        approve: bool,
        reason: String,
    },

    // --- Instruments ---
    RegisterInstrument {
        instrument_id: Uuid,
        instrument: InstrumentDescription,
    },
    /// The instrument's whole new description, with the reason.
    EditInstrument {
        instrument_id: Uuid,
        instrument: InstrumentDescription,
        reason: String,
    },
    /// In service, out of service or calibration due, with the reason.
    SetInstrumentStatus {
        instrument_id: Uuid,
        status: InstrumentStatus,
        reason: String,
    },
    AddControlLot {
        control_lot_id: Uuid,
        instrument_id: Uuid,
        lot: NewControlLot,
    },

    // --- Runs, plates, results ---
    /// A plate layout the lab reuses: its controls, standards and blanks.
    CreatePlateTemplate {
        template_id: Uuid,
        name: String,
        format: PlateFormat,
        layout: Vec<LayoutWell>,
    },
    /// A run on an instrument with its plates, each laid out (from a template or not).
    CreateRun {
        run_id: Uuid,
        instrument_id: Uuid,
        name: String,
        plates: Vec<NewPlate>,
    },
    /// A scanned tube put in a well of a plate: the well given (a clicked well), or, with
    /// `well: None`, the next free well in `order`; the outbox records the well chosen.
    FillWell {
        plate_id: Uuid,
        sample_id: Uuid,
        well: Option<String>,
        order: FillOrder,
    },
    /// A tube taken off the plate map (scanned into the wrong well), with the reason.
    ClearWell {
        plate_id: Uuid,
        well: String,
        reason: String,
    },
    /// The values of one instrument file for a run, all or none. A corrected file names the
    /// import it supersedes and says why; the earlier values stay in history.
    ImportResults {
        import_id: Uuid,
        run_id: Uuid,
        file_name: String,
        /// SHA-256 of the file's bytes, hex: the same file twice is one import.
        sha256: String,
        format: ResultFormat,
        results: Vec<ImportedResult>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        supersedes: Option<Uuid>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// A result set produced elsewhere (an Olink export, a partner lab's results), all its
    /// values in one command, each linked to a tube where its code is one of the lab's.
    ImportResultSet {
        set_id: Uuid,
        name: String,
        format: ResultSetFormat,
        /// The partner lab whose codes were mapped to the lab's tests, for a partner's set.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        partner: Option<String>,
        file_name: String,
        sha256: String,
        values: Vec<SetValue>,
    },
    /// A partner lab's test code mapped to one of the lab's tests (new, or corrected with a
    /// reason).
    SetPartnerMapping {
        mapping_id: Uuid,
        mapping: PartnerMapping,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// The folder on this bench PC where an instrument writes its result files (`None`:
    /// stop watching), and whether a file found there is imported without asking. This
    /// workstation's own: a path means nothing on another PC.
    SetWatchFolder {
        instrument_id: Uuid,
        folder: Option<String>,
        auto_import: bool,
        reason: String,
    },
    /// A lab manager releases a run QC held, or orders it repeated, with the reason.
    DecideRun {
        run_id: Uuid,
        decision: RunDecision,
        reason: String,
    },

    // --- Storage ---
    CreateFreezer {
        freezer_id: Uuid,
        name: String,
        location: String,
        freezer_kind: FreezerKind,
        temperature_c: i16,
    },
    CreateRack {
        rack_id: Uuid,
        freezer_id: Uuid,
        name: String,
    },
    CreateBox {
        box_id: Uuid,
        rack_id: Uuid,
        name: String,
        barcode: String,
        box_type: String,
        layout: BoxLayout,
    },
    /// A freezer's racks and their boxes made in one go (the bulk setup screen, from
    /// [`crate::storage::StoragePattern`]): all or none, every id and name carried.
    AddRacksAndBoxes {
        freezer_id: Uuid,
        box_type: String,
        layout: BoxLayout,
        racks: Vec<NewRack>,
    },
    MoveBox {
        box_id: Uuid,
        rack_id: Uuid,
        reason: String,
    },
    VoidStorage {
        target: StorageTarget,
        reason: String,
    },
    /// Corrects a freezer's, rack's or box's name and description, with the reason.
    EditStorage {
        edit: StorageEdit,
        reason: String,
    },
    /// Places tubes in one box, all or none. A tube already placed elsewhere is moved.
    /// `position: None` asks the lab's auto-position strategy; the outbox records the
    /// positions chosen.
    PlaceSamples {
        box_id: Uuid,
        tubes: Vec<TubePlacement>,
        source: PlacementSource,
        /// "Receive and place": tubes still collected or in transit are received first
        /// (through [`crate::sample::Via::Receipt`]), then placed, in this one command.
        #[serde(default)]
        receive: bool,
    },
    /// Tubes scanned in at the bench, received together: all or none.
    ReceiveSamples {
        sample_ids: Vec<Uuid>,
    },
    CheckOutSamples {
        sample_ids: Vec<Uuid>,
        reason: String,
    },
    CheckInSamples {
        sample_ids: Vec<Uuid>,
    },
    /// A stored tube taken out of its box onto the bench for good (its well is free again),
    /// with the reason; unlike a check-out, nothing waits for it to come back.
    UnplaceSample {
        sample_id: Uuid,
        reason: String,
    },

    // --- Printing ---
    ConfigurePrinter {
        printer: PrinterSettings,
    },
    /// Gives one of this workstation's printers a new name. Its print jobs and the label
    /// routes that chose it follow it: it is the same printer.
    RenamePrinter {
        name: String,
        new_name: String,
    },
    /// Takes a printer off this workstation, with the reason. Refused while a job waits for
    /// it or was sent to it without an answer; the label routes that chose it are cleared,
    /// and its past jobs keep its name.
    RemovePrinter {
        name: String,
        reason: String,
    },
    /// Queues labels on a printer. `payload` is the printer-language text (ZPL, TSPL)
    /// rendered for these records; a reprint names the job it repeats and says why.
    QueuePrint {
        job_id: Uuid,
        printer: String,
        template: String,
        subject: String,
        records: Vec<Uuid>,
        copies: u8,
        payload: String,
        reprint_of: Option<Uuid>,
        reason: Option<String>,
    },

    // --- Saved and scheduled reports ---
    /// A query or a report saved under a name with its parameters, by its owner (the
    /// actor), whose role must be allowed what it shows.
    SaveReport {
        saved_id: Uuid,
        name: String,
        what: SavedWhat,
    },
    /// The owner corrects a saved report's name or what it shows, with the reason.
    ChangeSavedReport {
        saved_id: Uuid,
        name: String,
        what: SavedWhat,
        reason: String,
    },
    /// The owner voids a saved report, with the reason; it stays on record.
    VoidSavedReport {
        saved_id: Uuid,
        reason: String,
    },
    /// The owner schedules one of their saved reports to be written to a folder on this PC.
    /// This workstation's own: a path means nothing on another PC.
    ScheduleReport {
        schedule_id: Uuid,
        saved_id: Uuid,
        schedule: Schedule,
        folder: String,
        format: ReportFormat,
        /// A CSV file starts with the UTF-8 byte-order mark.
        bom: bool,
    },
    /// The owner voids a schedule, with the reason; it stays on record with its runs.
    VoidSchedule {
        schedule_id: Uuid,
        reason: String,
    },
    /// A scheduled run, as the runner did it under its owner: the file it wrote or why it
    /// wrote none, and whether it was late and how many due times it stands for.
    RecordReportRun {
        run_id: Uuid,
        schedule_id: Uuid,
        due_at: DateTime<Utc>,
        ran_at: DateTime<Utc>,
        missed: u32,
        late: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        file: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        rows: Option<u64>,
        outcome: RunOutcome,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        message: Option<String>,
    },

    // --- Notifications ---
    MarkNotificationRead {
        notification_id: Uuid,
    },

    // --- Sync ---
    /// Settles a command the hub refused: done again some other way, or set aside. The
    /// refusal stays on record with who settled it, how and why.
    ResolveSyncIssue {
        command_id: Uuid,
        resolution: SyncIssueResolution,
        reason: String,
    },
}

/// How a refused command was settled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum SyncIssueResolution {
    /// What it meant to do was done again (a tube scanned into a free well, a status
    /// decided again on the record as it is now).
    Redone,
    /// Nothing more is to be done (the other workstation's change stands).
    Dismissed,
}

impl SyncIssueResolution {
    pub fn as_str(self) -> &'static str {
        match self {
            SyncIssueResolution::Redone => "redone",
            SyncIssueResolution::Dismissed => "dismissed",
        }
    }
}

/// A tube of a kit registration. `code: None` issues the next code from this
/// workstation's sample block; `Some` binds a pre-printed code that was scanned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct NewTube {
    pub sample_id: Uuid,
    pub code: Option<String>,
}

/// A rack of [`Command::AddRacksAndBoxes`] with its boxes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct NewRack {
    pub rack_id: Uuid,
    pub name: String,
    pub boxes: Vec<NewBox>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct NewBox {
    pub box_id: Uuid,
    pub name: String,
    pub barcode: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct NewAliquot {
    pub sample_id: Uuid,
    pub code: Option<String>,
    /// A derivative may be another type than its parent (DNA from buffy coat).
    pub sample_type: SampleType,
    pub volume_ul: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct TubePlacement {
    pub sample_id: Uuid,
    pub position: Option<String>,
}

/// Where a placement came from, kept in the placement history.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum PlacementSource {
    Scan,
    Manual,
    RackImport,
}

impl PlacementSource {
    pub fn as_str(self) -> &'static str {
        match self {
            PlacementSource::Scan => "scan",
            PlacementSource::Manual => "manual",
            PlacementSource::RackImport => "rack_import",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum Sex {
    Female,
    Male,
    Other,
    Unknown,
}

impl Sex {
    pub fn as_str(self) -> &'static str {
        match self {
            Sex::Female => "female",
            Sex::Male => "male",
            Sex::Other => "other",
            Sex::Unknown => "unknown",
        }
    }
    pub fn parse(s: &str) -> Option<Sex> {
        [Sex::Female, Sex::Male, Sex::Other, Sex::Unknown]
            .into_iter()
            .find(|x| x.as_str() == s)
    }
}

/// The commands that carry a reason, listed once: `$required` for those that must have one,
/// `$optional` for those where it may be absent, `$none` for the others.
macro_rules! with_reason {
    ($command:expr, |$r:ident| $required:expr, |$o:ident| $optional:expr, $none:expr) => {
        match $command {
            Command::ChangeRole { reason: $r, .. }
            | Command::DeactivateUser { reason: $r, .. }
            | Command::ReactivateUser { reason: $r, .. }
            | Command::IssuePasswordReset { reason: $r, .. }
            | Command::ChangeSettings { reason: $r, .. }
            | Command::UpdateSite { reason: $r, .. }
            | Command::VoidSite { reason: $r, .. }
            | Command::ReviseKitTemplate { reason: $r, .. }
            | Command::RetireKitTemplate { reason: $r, .. }
            | Command::RetireSampleType { reason: $r, .. }
            | Command::AssignNumberBlock { reason: $r, .. }
            | Command::RecordConsent { reason: $r, .. }
            | Command::RequestDiscard { reason: $r, .. }
            | Command::DecideDiscard { reason: $r, .. }
            | Command::MoveBox { reason: $r, .. }
            | Command::VoidStorage { reason: $r, .. }
            | Command::EditStorage { reason: $r, .. }
            | Command::EditInstrument { reason: $r, .. }
            | Command::SetInstrumentStatus { reason: $r, .. }
            | Command::CheckOutSamples { reason: $r, .. }
            | Command::UnplaceSample { reason: $r, .. }
            | Command::RemovePrinter { reason: $r, .. }
            | Command::ClearWell { reason: $r, .. }
            | Command::DecideRun { reason: $r, .. }
            | Command::SetWatchFolder { reason: $r, .. }
            | Command::ChangeSavedReport { reason: $r, .. }
            | Command::VoidSavedReport { reason: $r, .. }
            | Command::VoidSchedule { reason: $r, .. }
            | Command::ResolveSyncIssue { reason: $r, .. } => $required,
            Command::TransitionSample { reason: $o, .. }
            | Command::QueuePrint { reason: $o, .. }
            | Command::ImportResults { reason: $o, .. }
            | Command::SetPartnerMapping { reason: $o, .. } => $optional,
            _ => $none,
        }
    };
}

macro_rules! command_kinds {
    ($($kind:ident => $name:literal, $permission:ident;)*) => {
        /// The kinds of command, for permissions, the outbox and tests that must cover all.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum CommandKind { $($kind),* }

        impl CommandKind {
            pub const ALL: &'static [CommandKind] = &[$(CommandKind::$kind),*];

            pub fn as_str(self) -> &'static str {
                match self { $(CommandKind::$kind => $name),* }
            }

            /// What the actor's role must allow for this command.
            pub fn permission(self) -> Permission {
                match self { $(CommandKind::$kind => Permission::$permission),* }
            }
        }

        impl Command {
            pub fn kind(&self) -> CommandKind {
                match self { $(Command::$kind { .. } => CommandKind::$kind),* }
            }
        }
    };
}

command_kinds! {
    CreateFirstAdmin => "create_first_admin", ManageUsers;
    CreateUser => "create_user", ManageUsers;
    ChangeRole => "change_role", ManageUsers;
    DeactivateUser => "deactivate_user", ManageUsers;
    ReactivateUser => "reactivate_user", ManageUsers;
    ChangePassword => "change_password", ChangeOwnPassword;
    IssuePasswordReset => "issue_password_reset", ResetPasswords;
    RedeemPasswordReset => "redeem_password_reset", ChangeOwnPassword;
    ChangeSettings => "change_settings", ChangeSettings;
    CreateSite => "create_site", ManageSites;
    UpdateSite => "update_site", ManageSites;
    VoidSite => "void_site", ManageSites;
    AssignNumberBlock => "assign_number_block", ManageNumberBlocks;
    RegisterParticipant => "register_participant", RegisterParticipants;
    RecordConsent => "record_consent", RegisterParticipants;
    CreateFieldEvent => "create_field_event", ManageFieldEvents;
    CheckInParticipant => "check_in_participant", RegisterParticipants;
    CreateKitTemplate => "create_kit_template", ManageKitTemplates;
    ReviseKitTemplate => "revise_kit_template", ManageKitTemplates;
    RetireKitTemplate => "retire_kit_template", ManageKitTemplates;
    // The lab's sample types are what its kit templates are made of.
    CreateSampleType => "create_sample_type", ManageKitTemplates;
    RetireSampleType => "retire_sample_type", ManageKitTemplates;
    RegisterKit => "register_kit", RegisterSamples;
    TransitionSample => "transition_sample", ProcessSamples;
    CreateAliquots => "create_aliquots", ProcessSamples;
    RequestDiscard => "request_discard", RequestDiscard;
    DecideDiscard => "decide_discard", DecideDiscard;
    RegisterInstrument => "register_instrument", ManageInstruments;
    EditInstrument => "edit_instrument", ManageInstruments;
    SetInstrumentStatus => "set_instrument_status", ManageInstruments;
    AddControlLot => "add_control_lot", ManageInstruments;
    CreatePlateTemplate => "create_plate_template", RunInstruments;
    CreateRun => "create_run", RunInstruments;
    FillWell => "fill_well", RunInstruments;
    ClearWell => "clear_well", RunInstruments;
    ImportResults => "import_results", RunInstruments;
    DecideRun => "decide_run", DecideRuns;
    SetWatchFolder => "set_watch_folder", ConfigureDevices;
    ImportResultSet => "import_result_set", RunInstruments;
    SetPartnerMapping => "set_partner_mapping", ManageInstruments;
    CreateFreezer => "create_freezer", ManageStorage;
    CreateRack => "create_rack", ManageStorage;
    CreateBox => "create_box", ManageStorage;
    AddRacksAndBoxes => "add_racks_and_boxes", ManageStorage;
    MoveBox => "move_box", ManageStorage;
    VoidStorage => "void_storage", ManageStorage;
    EditStorage => "edit_storage", ManageStorage;
    PlaceSamples => "place_samples", PlaceSamples;
    ReceiveSamples => "receive_samples", ProcessSamples;
    CheckOutSamples => "check_out_samples", PlaceSamples;
    CheckInSamples => "check_in_samples", PlaceSamples;
    UnplaceSample => "unplace_sample", PlaceSamples;
    ConfigurePrinter => "configure_printer", ConfigureDevices;
    RenamePrinter => "rename_printer", ConfigureDevices;
    RemovePrinter => "remove_printer", ConfigureDevices;
    QueuePrint => "queue_print", PrintLabels;
    // Saving and scheduling need what the report shows besides (the store's rule).
    SaveReport => "save_report", ReadSamples;
    ChangeSavedReport => "change_saved_report", ReadSamples;
    VoidSavedReport => "void_saved_report", ReadSamples;
    ScheduleReport => "schedule_report", ReadSamples;
    VoidSchedule => "void_schedule", ReadSamples;
    RecordReportRun => "record_report_run", ReadSamples;
    MarkNotificationRead => "mark_notification_read", UseOwnNotifications;
    // Whoever did the refused command may settle it, or a lab manager (the store's rule).
    ResolveSyncIssue => "resolve_sync_issue", ReadSamples;
}

impl Command {
    /// The reason the user gave, if the command carries one; it goes into the audit entry.
    pub fn reason(&self) -> Option<&str> {
        with_reason!(self, |r| Some(r.as_str()), |r| r.as_deref(), None)
    }
}

/// Whose a command is: the lab's (pushed to the hub, decided there again, pulled by every
/// workstation) or this workstation's alone (its printers and print jobs), never synced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommandScope {
    Lab,
    Workstation,
}

impl CommandKind {
    pub fn scope(self) -> CommandScope {
        match self {
            CommandKind::ConfigurePrinter
            | CommandKind::RenamePrinter
            | CommandKind::RemovePrinter
            | CommandKind::QueuePrint
            | CommandKind::SetWatchFolder
            | CommandKind::ScheduleReport
            | CommandKind::VoidSchedule
            | CommandKind::RecordReportRun => CommandScope::Workstation,
            _ => CommandScope::Lab,
        }
    }
}

impl Command {
    /// What of this command the lab must decide: the whole of a lab command, only the lab's
    /// settings of a change set, nothing of a workstation's own state. This is what the
    /// outbox carries to the hub.
    pub fn lab_part(&self) -> Option<Command> {
        match self {
            Command::ChangeSettings { settings, reason } => {
                let lab: Vec<Setting> = settings
                    .iter()
                    .filter(|s| s.scope() == crate::settings::SettingScope::Lab)
                    .cloned()
                    .collect();
                (!lab.is_empty()).then(|| Command::ChangeSettings {
                    settings: lab,
                    reason: reason.clone(),
                })
            }
            _ if self.kind().scope() == CommandScope::Workstation => None,
            _ => Some(self.clone()),
        }
    }

    fn reason_mut(&mut self) -> Option<&mut String> {
        with_reason!(self, |r| Some(r), |r| r.as_mut(), None)
    }

    /// The command with its reason checked and trimmed. The executor calls this for every
    /// command, whoever sent it (the UI, the CLI, a replay on the hub), so no path skips it:
    /// a reason the command needs must be there, and any reason must be printable and short.
    pub fn with_checked_reason(mut self) -> Result<Command, crate::DomainError> {
        if let Command::QueuePrint {
            reprint_of: Some(_),
            reason: None,
            ..
        } = &self
        {
            return Err(crate::DomainError::invalid(
                "reason",
                "a reprint needs a reason (it is recorded in the audit trail)",
            ));
        }
        if let Some(reason) = self.reason_mut() {
            *reason = validate_reason(reason)?;
        }
        Ok(self)
    }
}

/// A reason is required wherever the audit trail must say why (Annex 11 §9).
pub fn validate_reason(reason: &str) -> Result<String, crate::DomainError> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(crate::DomainError::invalid("reason", "please say why"));
    }
    if reason.chars().count() > 500
        || reason
            .chars()
            .any(|c| crate::registration::is_unsafe_text_char(c) && c != '\n')
    {
        return Err(crate::DomainError::invalid(
            "reason",
            "must be at most 500 printable characters",
        ));
    }
    Ok(reason.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sexes_and_placement_sources_have_their_stored_names() {
        for sex in [Sex::Female, Sex::Male, Sex::Other, Sex::Unknown] {
            assert_eq!(Sex::parse(sex.as_str()), Some(sex));
            assert_eq!(serde_json::to_value(sex).unwrap(), sex.as_str());
        }
        assert_eq!(Sex::parse("f"), None);
        for source in [
            PlacementSource::Scan,
            PlacementSource::Manual,
            PlacementSource::RackImport,
        ] {
            assert_eq!(serde_json::to_value(source).unwrap(), source.as_str());
        }
    }

    /// The reason a command carries is the one its audit entry records.
    #[test]
    fn a_commands_reason_is_the_one_it_carries() {
        let id = Uuid::from_u128(7);
        assert_eq!(
            Command::ChangeRole {
                user_id: id,
                role: Role::Viewer,
                reason: "left the lab".into(),
            }
            .reason(),
            Some("left the lab")
        );
        assert_eq!(
            Command::TransitionSample {
                sample_id: id,
                expected: SampleStatus::Collected,
                to: SampleStatus::Received,
                reason: Some("arrived warm".into()),
            }
            .reason(),
            Some("arrived warm")
        );
        assert_eq!(
            Command::TransitionSample {
                sample_id: id,
                expected: SampleStatus::Collected,
                to: SampleStatus::Received,
                reason: None,
            }
            .reason(),
            None
        );
        assert_eq!(
            Command::ReceiveSamples {
                sample_ids: vec![id]
            }
            .reason(),
            None
        );
    }

    #[test]
    fn reasons_are_required_and_bounded() {
        assert!(validate_reason("  ").is_err());
        assert_eq!(validate_reason(" why ").unwrap(), "why");
        assert!(validate_reason(&"r".repeat(500)).is_ok());
        assert!(validate_reason(&"r".repeat(501)).is_err());
        assert!(validate_reason("line one\nline two").is_ok());
        assert!(validate_reason("hidden \u{202E}text").is_err());
    }

    #[test]
    fn kind_names_are_unique() {
        let mut names: Vec<_> = CommandKind::ALL.iter().map(|k| k.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), CommandKind::ALL.len());
    }

    #[test]
    fn serialized_kind_matches_kind_name() {
        let cmd = Command::ChangeSettings {
            settings: vec![Setting::LabelCopies(2)],
            reason: "r".into(),
        };
        let json = serde_json::to_value(&cmd).unwrap();
        assert_eq!(json["kind"], cmd.kind().as_str());
    }
}
