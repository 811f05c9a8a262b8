//! What crosses the UI boundary: arguments and views. TypeScript types are generated from
//! these by ts-rs (into ui/src/api/generated) when the tests run.

use aliquot_domain::account::UserSort;
use aliquot_domain::audit::ChainBreak;
use aliquot_domain::paging::{PageRequest, SortOrder, DEFAULT_PER_PAGE};
use aliquot_domain::printing::SampleLabelCode;
use aliquot_domain::settings::{DateFormat, Setting};
use aliquot_domain::storage::AutoPosition;
use aliquot_domain::{Permission, Role};
use aliquot_store::audit::ChainVerification;
use aliquot_store::users::UserRecord;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use uuid::Uuid;

pub(crate) fn first_page() -> u32 {
    1
}
pub(crate) fn default_per_page() -> u32 {
    DEFAULT_PER_PAGE
}
pub(crate) fn ascending() -> SortOrder {
    SortOrder::Asc
}
fn descending() -> SortOrder {
    SortOrder::Desc
}
fn by_username() -> UserSort {
    UserSort::Username
}

#[derive(Debug, Clone, Default, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct NoArgs {}

/// A list with nothing to narrow it by: only which page.
#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct PageArgs {
    #[serde(default = "first_page")]
    pub page: u32,
    #[serde(default = "default_per_page")]
    pub per_page: u32,
}

impl PageArgs {
    pub fn request(&self) -> PageRequest {
        PageRequest {
            page: self.page,
            per_page: self.per_page,
        }
    }
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct SetupStatus {
    /// No account, and not joining a hub: the first administrator is made here.
    pub needs_first_admin: bool,
    pub lab_name: String,
    /// Connected to a hub and still copying the lab (no account here yet).
    pub joining: Option<JoiningView>,
    /// Left its hub: start the workstation again to set it up afresh (nothing else works
    /// until then).
    pub left_hub: Option<LeftHub>,
    /// Which Aliquot this is, for the sign-in screen and support calls.
    pub release: Release,
}

/// This binary's version and build (`aliquot_domain::release`).
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct Release {
    pub version: String,
    pub build: String,
}

impl Release {
    pub fn of_this_binary() -> Self {
        Release {
            version: aliquot_domain::release::VERSION.to_owned(),
            build: aliquot_domain::release::BUILD.to_owned(),
        }
    }
}

/// A workstation that has left its hub.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct LeftHub {
    /// Where its copy of the lab is set aside when it starts again.
    pub archive: String,
}

/// A workstation copying the lab from its hub, before anyone can sign in.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct JoiningView {
    pub hub_url: String,
    pub device_name: String,
    /// Rows copied so far, in all attempts (a copy cut short goes on where it stopped).
    #[ts(type = "number")]
    pub copied_rows: i64,
    /// Of those, the rows copied before this attempt began (for the estimate).
    #[ts(type = "number")]
    pub copied_before: i64,
    /// Rows in all, once the hub has said.
    #[ts(type = "number | null")]
    pub total_rows: Option<i64>,
    /// When this attempt began; none between attempts.
    pub started_at: Option<chrono::DateTime<chrono::Utc>>,
}

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct CreateFirstAdminArgs {
    pub username: String,
    pub display_name: String,
    pub password: String,
}

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct LoginArgs {
    pub username: String,
    pub password: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct UserView {
    pub id: Uuid,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub active: bool,
    pub created_at: DateTime<Utc>,
}

impl From<UserRecord> for UserView {
    fn from(u: UserRecord) -> Self {
        UserView {
            id: u.id,
            username: u.username,
            display_name: u.display_name,
            role: u.role,
            active: u.active,
            created_at: u.created_at,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct SessionView {
    pub token: String,
    pub user: UserView,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct WhoAmI {
    pub user: UserView,
    pub expires_at: DateTime<Utc>,
    /// What the user's role may do, from the one role matrix: the UI offers only these.
    pub permissions: Vec<Permission>,
}

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct ChangePasswordArgs {
    pub current_password: String,
    pub new_password: String,
}

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct ListUsersArgs {
    #[serde(default = "first_page")]
    pub page: u32,
    #[serde(default = "default_per_page")]
    pub per_page: u32,
    #[serde(default = "by_username")]
    pub sort: UserSort,
    #[serde(default = "ascending")]
    pub order: SortOrder,
}

impl ListUsersArgs {
    pub fn page_request(&self) -> PageRequest {
        PageRequest {
            page: self.page,
            per_page: self.per_page,
        }
    }
}

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct CreateUserArgs {
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub password: String,
}

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct ChangeRoleArgs {
    pub user_id: Uuid,
    pub role: Role,
    pub reason: String,
}

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct DeactivateUserArgs {
    pub user_id: Uuid,
    pub reason: String,
}

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct ReactivateUserArgs {
    pub user_id: Uuid,
    pub reason: String,
}

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct IssuePasswordResetArgs {
    pub user_id: Uuid,
    pub reason: String,
}

/// The one-time reset token, shown once to the administrator who issued it.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct PasswordResetIssued {
    pub token: String,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct RedeemPasswordResetArgs {
    pub token: String,
    pub new_password: String,
}

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct ChangeSettingsArgs {
    /// Every setting changed on the screen: saved together, with one reason.
    pub settings: Vec<Setting>,
    pub reason: String,
}

/// The fixed sets a setting is chosen from, so the settings screen offers choices, never
/// free text, and keeps no copy of them.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct SettingChoices {
    /// IANA time zone names.
    pub time_zones: Vec<String>,
    pub date_formats: Vec<DateFormatChoice>,
    pub auto_positions: Vec<AutoPosition>,
    pub sample_label_codes: Vec<SampleLabelCode>,
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct DateFormatChoice {
    pub format: DateFormat,
    /// Today written in this format, as an example.
    pub example: String,
}

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct ListAuditArgs {
    #[serde(default = "first_page")]
    pub page: u32,
    #[serde(default = "default_per_page")]
    pub per_page: u32,
    #[serde(default = "descending")]
    pub order: SortOrder,
    /// An action as recorded ("register_kit", "login_failed").
    #[serde(default)]
    #[ts(optional)]
    pub action: Option<String>,
    /// Who did it (their username at the time).
    #[serde(default)]
    #[ts(optional)]
    pub actor_name: Option<String>,
    /// The id of what was changed: a sample, a user, a print job, a session.
    #[serde(default)]
    #[ts(optional)]
    pub entity_id: Option<String>,
    #[serde(default)]
    #[ts(optional)]
    pub from: Option<DateTime<Utc>>,
    /// Exclusive.
    #[serde(default)]
    #[ts(optional)]
    pub until: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct ListSessionsArgs {
    #[serde(default = "first_page")]
    pub page: u32,
    #[serde(default = "default_per_page")]
    pub per_page: u32,
}

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct RevokeSessionArgs {
    pub session_id: Uuid,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct AuditEntryView {
    #[ts(type = "number")]
    pub seq: i64,
    pub at: String,
    pub actor_name: String,
    pub action: String,
    pub entity_type: String,
    pub entity_id: String,
    pub old_value: Option<serde_json::Value>,
    pub new_value: Option<serde_json::Value>,
    pub reason: Option<String>,
}

impl From<aliquot_domain::audit::StoredAuditRow> for AuditEntryView {
    fn from(r: aliquot_domain::audit::StoredAuditRow) -> Self {
        let parse = |v: Option<String>| v.and_then(|s| serde_json::from_str(&s).ok());
        AuditEntryView {
            seq: r.seq,
            at: r.at,
            actor_name: r.actor_name,
            action: r.action,
            entity_type: r.entity_type,
            entity_id: r.entity_id,
            old_value: parse(r.old_value),
            new_value: parse(r.new_value),
            reason: r.reason,
        }
    }
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct AuditVerification {
    #[ts(type = "number")]
    pub entries_checked: i64,
    pub intact: bool,
    pub first_break: Option<ChainBreak>,
    /// What the check against the anchor outside the database found (entries cut or
    /// re-chained, an altered anchor file); empty when it agrees.
    pub anchor_problems: Vec<String>,
}

impl From<ChainVerification> for AuditVerification {
    fn from(v: ChainVerification) -> Self {
        AuditVerification {
            entries_checked: v.entries_checked,
            intact: v.first_break.is_none() && v.anchor_problems.is_empty(),
            first_break: v.first_break,
            anchor_problems: v.anchor_problems,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct DeviceStatus {
    pub device_id: String,
    #[ts(type = "number")]
    pub outbox_pending: i64,
    pub lab_name: String,
}

/// Something the core tells every open window: over Tauri events or SSE.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "type", rename_all = "snake_case")]
#[ts(export)]
pub enum CoreEvent {
    SettingsChanged,
    AuditAppended {
        #[ts(type = "number")]
        seq: i64,
    },
    /// Tubes were placed or moved in this box: redraw its map.
    StorageChanged {
        box_id: Uuid,
    },
    /// A notification was added or read: refresh the count.
    NotificationsChanged,
    /// A print job was queued or moved on.
    PrintJobChanged {
        job_id: Uuid,
    },
    /// The device scanner was attached, lost or changed.
    ScannerChanged {
        status: crate::scanning::ScannerStatus,
    },
    /// Sync with the hub moved on (pushed, pulled, failed): refresh sync state.
    SyncChanged,
    /// A device scanner read something: what it is, or why it was refused.
    Scanned {
        source: String,
        scan: crate::scanning::ScanResult,
    },
    /// An export of this user's moved on (rows written, finished, cancelled, failed).
    ExportChanged {
        status: crate::query::ExportStatus,
    },
}
