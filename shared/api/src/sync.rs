//! The workstation's sync engine and its operations: enroll with a hub, then push the
//! outbox and pull the lab in the background (and on demand), with backoff and jitter,
//! never holding up a command. The protocol's decisions are `aliquot_sync::plan`; the SQL
//! is `aliquot_store::sync`; this module is the loop and the network between them.

use crate::error::ApiError;
use crate::hub_client::{HubCallError, HubClient};
use crate::Api;
use aliquot_domain::paging::{Page, PageRequest};
use aliquot_domain::Permission;
use aliquot_store::sync::{OutboxCounts, SyncIssue};
use aliquot_store::sync_issues::LabSyncIssue;
use aliquot_sync::plan::{self, AfterPush, RecordSyncState};
use aliquot_sync::{EnrollRequest, PushRequest, SnapshotPart, MAX_PUSH_BATCH, PROTOCOL_VERSION};
use chrono::{DateTime, Utc};
use rand::Rng;
use serde::{Deserialize, Serialize};
use std::time::Duration;
use ts_rs::TS;

type Result<T> = std::result::Result<T, ApiError>;

/// How long one call to the hub may take.
const CALL_TIMEOUT: Duration = Duration::from_secs(30);
/// How often a connected workstation syncs when nothing wakes it.
const POLL_EVERY: Duration = Duration::from_secs(10);
/// Rows per pull page (the hub's most).
const PULL_PAGE: i64 = aliquot_sync::MAX_PULL_PAGE;
/// A convergence check every this many quiet rounds.
const CHECK_EVERY_ROUNDS: u64 = 30;

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct HubCertificateArgs {
    pub url: String,
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct HubCertificate {
    /// SHA-256 of the certificate the hub presents, to compare with the one the hub's
    /// administrator sees (empty for a hub on this machine over plain HTTP).
    pub fingerprint: String,
}

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct ConnectHubArgs {
    pub url: String,
    /// The one-time enrollment code the hub's administrator made.
    pub code: String,
    /// The fingerprint the administrator confirmed (from `hub_certificate`).
    pub fingerprint: String,
}

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct DisconnectHubArgs {
    /// This workstation's name at the hub, typed to confirm.
    pub device_name: String,
}

/// Everything about sync a screen shows.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct SyncStatus {
    pub connected: bool,
    pub hub_url: Option<String>,
    pub device_name: Option<String>,
    /// The last call to the hub got an answer.
    pub hub_reachable: bool,
    /// When a round first failed to reach the hub, since its last answer (none while it
    /// answers, or before this process first tried).
    pub offline_since: Option<DateTime<Utc>>,
    pub counts: OutboxCounts,
    pub last_push_at: Option<DateTime<Utc>>,
    pub last_pull_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    #[ts(type = "number")]
    pub cursor: i64,
    /// Lab tables the last convergence check found apart from the hub's (resynced).
    pub diverged: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct RecordSyncStateArgs {
    /// As the audit trail names records: sample, box, participant, setting …
    pub entity_type: String,
    pub entity_id: String,
}

#[derive(Debug, Clone, Copy, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum RecordSyncView {
    LocalOnly,
    Queued,
    Applied,
    Rejected,
}

impl From<RecordSyncState> for RecordSyncView {
    fn from(s: RecordSyncState) -> Self {
        match s {
            RecordSyncState::LocalOnly => RecordSyncView::LocalOnly,
            RecordSyncState::Queued => RecordSyncView::Queued,
            RecordSyncState::Applied => RecordSyncView::Applied,
            RecordSyncState::Rejected => RecordSyncView::Rejected,
        }
    }
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct RecordSyncStateView {
    pub state: RecordSyncView,
}

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct RecordsSyncStateArgs {
    /// As the audit trail names records: sample, box, participant …
    pub entity_type: String,
    /// As the audit trail names them (a sample by its code, a participant by its id); at
    /// most [`MAX_RECORDS_SYNC_STATE`]: a box map's tubes, a page of a list.
    pub entity_ids: Vec<String>,
}

/// The most records one `records_sync_state` call answers for.
pub const MAX_RECORDS_SYNC_STATE: usize = 500;

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct RecordSyncEntry {
    pub entity_id: String,
    pub state: RecordSyncView,
}

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct ListLabSyncIssuesArgs {
    /// Leave out the settled ones.
    #[serde(default)]
    pub open_only: bool,
    #[serde(default = "crate::dto::first_page")]
    pub page: u32,
    #[serde(default = "crate::dto::default_per_page")]
    pub per_page: u32,
}

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct ResolveSyncIssueArgs {
    pub command_id: uuid::Uuid,
    pub resolution: aliquot_domain::command::SyncIssueResolution,
    pub reason: String,
}

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct ListSyncIssuesArgs {
    #[serde(default = "crate::dto::first_page")]
    pub page: u32,
    #[serde(default = "crate::dto::default_per_page")]
    pub per_page: u32,
}

impl ListSyncIssuesArgs {
    fn page_request(&self) -> PageRequest {
        PageRequest {
            page: self.page,
            per_page: self.per_page,
        }
    }
}

impl ListLabSyncIssuesArgs {
    fn page_request(&self) -> PageRequest {
        PageRequest {
            page: self.page,
            per_page: self.per_page,
        }
    }
}

/// The parts of a round: all of it (push, pull, block refill), or only one half (a
/// simulation's "pull before push", a bench's push alone).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoundParts {
    All,
    /// All of it, comparing every lab table with the hub's this time.
    AllAndCheck,
    PushOnly,
    PullOnly,
}

/// What one sync round did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncRound {
    pub pushed: usize,
    pub pulled_rows: usize,
    pub rebased: usize,
    pub conflicts: usize,
    pub diverged: Vec<String>,
    /// Number blocks leased from the hub this round.
    pub leased: usize,
    /// The hub's low-water marks, from the last page pulled.
    pub low_water: Option<aliquot_sync::LowWater>,
}

/// The engine's shared state: whether the hub answered last time, and a bell that
/// wakes the loop (a new command, "sync now").
#[derive(Default)]
pub(crate) struct SyncEngine {
    reachable: std::sync::atomic::AtomicBool,
    offline_since: std::sync::Mutex<Option<DateTime<Utc>>>,
    wake: tokio::sync::Notify,
    rounds: std::sync::atomic::AtomicU64,
    /// One round at a time (the loop and "sync now").
    busy: tokio::sync::Mutex<()>,
    /// How far the copy of the lab is, while a joining workstation copies it.
    joining: std::sync::Mutex<Option<JoinProgress>>,
}

/// How far a joining workstation's copy of the lab is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct JoinProgress {
    /// Rows copied in all, of which `copied_before` by earlier attempts.
    pub copied: i64,
    pub copied_before: i64,
    /// From the snapshot's first line.
    pub total: Option<i64>,
    pub started_at: DateTime<Utc>,
}

fn call_error(e: HubCallError) -> ApiError {
    match e {
        HubCallError::Refused { code, message, .. } if code.starts_with("enrollment") => {
            ApiError::new(crate::ErrorCode::InvalidInput, message)
        }
        HubCallError::Refused { message, .. } => ApiError::new(crate::ErrorCode::Conflict, message),
        HubCallError::WrongCertificate => ApiError::new(
            crate::ErrorCode::Conflict,
            "The hub's certificate is not the one you confirmed. Check the address, or ask \
             the hub's administrator.",
        ),
        other => ApiError::new(crate::ErrorCode::HubUnreachable, other.to_string()),
    }
}

impl Api {
    fn sync_engine(&self) -> &SyncEngine {
        &self.sync
    }

    /// Wakes the sync loop (after a command, so it goes out soon).
    pub(crate) fn sync_soon(&self) {
        if self.store().is_syncing() {
            self.sync_engine().wake.notify_one();
        }
    }

    /// Reads the certificate the hub at `url` presents, before connecting.
    pub async fn hub_certificate(
        &self,
        token: Option<&str>,
        args: HubCertificateArgs,
    ) -> Result<HubCertificate> {
        self.may_connect(token).await?;
        let url = aliquot_domain::settings::validate_hub_url(&args.url)?;
        let fingerprint = HubClient::certificate_fingerprint(&url)
            .await
            .map_err(call_error)?;
        Ok(HubCertificate { fingerprint })
    }

    /// Enrolls this workstation with the hub: on a fresh workstation (nobody set up yet),
    /// or by an administrator of one that holds no lab records of its own.
    pub async fn connect_hub(
        &self,
        token: Option<&str>,
        args: ConnectHubArgs,
    ) -> Result<SyncStatus> {
        self.may_connect(token).await?;
        if self.store().hub_link().await?.is_some() {
            return Err(ApiError::new(
                crate::ErrorCode::Conflict,
                "This workstation is connected to a hub already.",
            ));
        }
        let code = args.code.trim();
        if code.is_empty() {
            return Err(ApiError::invalid(
                "Type the enrollment code the hub's administrator gave you.",
            ));
        }
        let url = aliquot_domain::settings::validate_hub_url(&args.url)?;
        let client = HubClient::new(&url, Some(&args.fingerprint), None, CALL_TIMEOUT)
            .map_err(call_error)?;
        let enrolled = client
            .enroll(&EnrollRequest {
                protocol: PROTOCOL_VERSION,
                code: code.to_owned(),
                device_id: self.store().device_id().to_owned(),
            })
            .await
            .map_err(call_error)?;
        self.store()
            .link_hub(
                &url,
                &enrolled.hub_id,
                &enrolled.device_name,
                &enrolled.credential,
                &args.fingerprint,
            )
            .await?;
        tracing::info!(device = %enrolled.device_name, "connected to the hub");
        // The first pull brings the lab, its people among them, so anyone can sign in
        // here at once; if it fails, the background loop tries again.
        if let Err(e) = self.sync_round().await {
            tracing::info!(error = %e, "the first sync after connecting failed; retrying in the background");
        }
        self.sync_engine().wake.notify_one();
        self.status().await
    }

    /// Leaves the hub, once everything done here has reached it: every session ends, sync
    /// stops, and the next start sets this workstation's copy of the lab aside and begins
    /// at the first screen (see `aliquot_store::leaving`).
    pub async fn disconnect_hub(
        &self,
        token: Option<&str>,
        args: DisconnectHubArgs,
    ) -> Result<crate::dto::LeftHub> {
        self.actor_with(token, Permission::ManageUsers).await?;
        // A last round first, so what is still waiting gets its chance to go.
        if self.store().hub_link().await?.is_some() {
            if let Err(e) = self.sync_round().await {
                tracing::info!(error = %e, "the sync round before disconnecting failed");
            }
        }
        let archive = self.store().leave_hub(&args.device_name).await?;
        self.sessions_ended();
        Ok(crate::dto::LeftHub {
            archive: archive.display().to_string(),
        })
    }

    async fn may_connect(&self, token: Option<&str>) -> Result<()> {
        if self.store().user_count().await? == 0 {
            return Ok(());
        }
        self.actor_with(token, Permission::ManageUsers).await?;
        Ok(())
    }

    pub async fn sync_status(
        &self,
        token: Option<&str>,
        _args: crate::dto::NoArgs,
    ) -> Result<SyncStatus> {
        self.session(token).await?;
        self.status().await
    }

    /// Runs a sync round now and answers the status after it.
    pub async fn sync_now(
        &self,
        token: Option<&str>,
        _args: crate::dto::NoArgs,
    ) -> Result<SyncStatus> {
        self.session(token).await?;
        if self.store().hub_link().await?.is_some() {
            if let Err(e) = self.sync_round().await {
                tracing::info!(error = %e, "sync round on demand failed");
            }
        }
        self.status().await
    }

    pub async fn list_sync_issues(
        &self,
        token: Option<&str>,
        args: ListSyncIssuesArgs,
    ) -> Result<Page<SyncIssue>> {
        self.session(token).await?;
        Ok(self.store().sync_issues(args.page_request()).await?)
    }

    /// Every command this workstation recorded, newest first, with its status (pending,
    /// applied, duplicate, rejected, held) and the hub's reason.
    pub async fn list_sync_commands(
        &self,
        token: Option<&str>,
        args: ListSyncIssuesArgs,
    ) -> Result<Page<SyncIssue>> {
        self.session(token).await?;
        Ok(self.store().sync_commands(args.page_request()).await?)
    }

    pub async fn record_sync_state(
        &self,
        token: Option<&str>,
        args: RecordSyncStateArgs,
    ) -> Result<RecordSyncStateView> {
        self.actor_with(token, Permission::ReadSamples).await?;
        let state = self
            .store()
            .record_sync_state(&args.entity_type, &args.entity_id)
            .await?;
        Ok(RecordSyncStateView {
            state: state.into(),
        })
    }

    /// Every workstation's refused commands, as the lab's records (pulled from the hub):
    /// what lab managers look after.
    pub async fn list_lab_sync_issues(
        &self,
        token: Option<&str>,
        args: ListLabSyncIssuesArgs,
    ) -> Result<Page<LabSyncIssue>> {
        self.actor_with(token, Permission::ReadSamples).await?;
        Ok(self
            .store()
            .lab_sync_issues(args.open_only, args.page_request())
            .await?)
    }

    /// Settles a refused command (done again, or set aside) with a reason: a command of the
    /// lab, audited and synced like any other.
    pub async fn resolve_sync_issue(
        &self,
        token: Option<&str>,
        args: ResolveSyncIssueArgs,
    ) -> Result<()> {
        let actor = self.actor_with(token, Permission::ReadSamples).await?;
        self.run(
            &actor,
            aliquot_domain::Command::ResolveSyncIssue {
                command_id: args.command_id,
                resolution: args.resolution,
                reason: args.reason,
            },
        )
        .await?;
        Ok(())
    }

    /// The sync state of many records of one kind at once (a box map's wells).
    pub async fn records_sync_state(
        &self,
        token: Option<&str>,
        args: RecordsSyncStateArgs,
    ) -> Result<Vec<RecordSyncEntry>> {
        self.actor_with(token, Permission::ReadSamples).await?;
        if args.entity_ids.len() > MAX_RECORDS_SYNC_STATE {
            return Err(ApiError::invalid(format!(
                "Ask for at most {MAX_RECORDS_SYNC_STATE} records at a time."
            )));
        }
        Ok(self
            .store()
            .records_sync_state(&args.entity_type, &args.entity_ids)
            .await?
            .into_iter()
            .map(|(entity_id, state)| RecordSyncEntry {
                entity_id,
                state: state.into(),
            })
            .collect())
    }

    async fn status(&self) -> Result<SyncStatus> {
        let link = self.store().hub_link().await?;
        let counts = self.store().outbox_counts().await?;
        Ok(match link {
            None => SyncStatus {
                connected: false,
                hub_url: None,
                device_name: None,
                hub_reachable: false,
                offline_since: None,
                counts,
                last_push_at: None,
                last_pull_at: None,
                last_error: None,
                cursor: 0,
                diverged: Vec::new(),
            },
            Some(link) => SyncStatus {
                connected: true,
                hub_url: Some(link.hub_url),
                device_name: Some(link.device_name),
                hub_reachable: self
                    .sync_engine()
                    .reachable
                    .load(std::sync::atomic::Ordering::SeqCst),
                offline_since: *self
                    .sync_engine()
                    .offline_since
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner),
                counts,
                last_push_at: link.last_push_at,
                last_pull_at: link.last_pull_at,
                last_error: link.last_error,
                cursor: link.cursor,
                diverged: link.diverged,
            },
        })
    }

    /// The background loop: a round when woken or every few seconds; after a failure,
    /// the next try waits longer each time (with jitter), up to five minutes.
    pub async fn run_sync(self) {
        let mut attempt: u32 = 0;
        loop {
            let wait = if self.store().left_hub_archive().is_some()
                || self.store().hub_link().await.ok().flatten().is_none()
            {
                POLL_EVERY
            } else {
                match self.sync_round().await {
                    Ok(_) => {
                        attempt = 0;
                        POLL_EVERY
                    }
                    Err(e) => {
                        let delay = plan::retry_delay(attempt, rand::thread_rng().gen::<f64>());
                        attempt = attempt.saturating_add(1);
                        tracing::info!(error = %e, retry_in = ?delay, "sync round failed");
                        delay
                    }
                }
            };
            let _ = tokio::time::timeout(wait, self.sync_engine().wake.notified()).await;
        }
    }

    /// One round over the network to the linked hub: push what is pending, pull to the
    /// hub's head, refill number blocks, now and then compare every lab table.
    pub async fn sync_round(&self) -> std::result::Result<SyncRound, String> {
        let link = match self.store().hub_link().await {
            Ok(Some(link)) => link,
            Ok(None) => return Ok(SyncRound::default()),
            Err(e) => return Err(e.to_string()),
        };
        let client = match HubClient::new(
            &link.hub_url,
            Some(&link.fingerprint),
            Some(&link.credential),
            CALL_TIMEOUT,
        ) {
            Ok(client) => client,
            Err(e) => return Err(e.to_string()),
        };
        self.sync_round_with(&client, RoundParts::All).await
    }

    /// One round, or a part of one, through `hub` (the network client, or the hub itself
    /// in a simulation or a bench).
    pub async fn sync_round_with(
        &self,
        hub: &impl HubTransport,
        parts: RoundParts,
    ) -> std::result::Result<SyncRound, String> {
        let _one_at_a_time = self.sync_engine().busy.lock().await;
        let mut round = SyncRound::default();
        let mut result = Ok(());
        if parts != RoundParts::PullOnly {
            result = self.push_with(hub, &mut round).await;
        }
        if result.is_ok() && parts != RoundParts::PushOnly {
            result = self
                .pull_with(hub, &mut round, parts == RoundParts::AllAndCheck)
                .await;
        }
        if result.is_ok() && matches!(parts, RoundParts::All | RoundParts::AllAndCheck) {
            result = self.refill_blocks(hub, &mut round).await;
        }
        let reachable = !matches!(&result, Err(RoundError::Hub(HubCallError::Unreachable(_))));
        self.sync_engine()
            .reachable
            .store(reachable, std::sync::atomic::Ordering::SeqCst);
        {
            let mut since = self
                .sync_engine()
                .offline_since
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            *since = if reachable {
                None
            } else {
                Some(since.unwrap_or_else(|| self.store().now()))
            };
        }
        if let Err(e) = &result {
            let _ = self.store().record_sync_error(&e.to_string()).await;
        }
        if round.pulled_rows > 0 || round.pushed > 0 {
            self.emit(crate::dto::CoreEvent::SettingsChanged);
        }
        self.emit(crate::dto::CoreEvent::SyncChanged);
        result.map(|()| round).map_err(|e| e.to_string())
    }

    /// Push: oldest first, in batches, with the audit trail, until nothing is pending.
    async fn push_with(
        &self,
        hub: &impl HubTransport,
        round: &mut SyncRound,
    ) -> std::result::Result<(), RoundError> {
        let store = self.store();
        let Some(link) = store.hub_link().await? else {
            return Ok(());
        };
        let mut resend_from: Option<i64> = None;
        let mut audit_pushed = link.audit_pushed_seq;
        loop {
            let commands = match resend_from.take() {
                Some(seq) => store.commands_from(seq, MAX_PUSH_BATCH as i64).await?,
                None => store.commands_to_push(0, MAX_PUSH_BATCH as i64).await?,
            };
            // The audit trail goes with the commands (their own rows among it), so the hub
            // checks the chain before it decides them.
            let audit = store
                .audit_rows_after(audit_pushed, aliquot_sync::MAX_PUSH_AUDIT)
                .await?;
            if commands.is_empty() && audit.is_empty() {
                return Ok(());
            }
            let sent = commands.len();
            let response = hub
                .push(&PushRequest {
                    protocol: PROTOCOL_VERSION,
                    device_id: store.device_id().to_owned(),
                    commands,
                    audit,
                })
                .await?;
            store.record_push_results(&response.results).await?;
            if response.audit_acked_seq > audit_pushed {
                audit_pushed = response.audit_acked_seq;
                store.record_audit_pushed(audit_pushed).await?;
            }
            round.pushed += response.results.len();
            match plan::after_push(&response, store.last_outbox_seq().await?) {
                AfterPush::Continue if sent < MAX_PUSH_BATCH => return Ok(()),
                AfterPush::Continue => {}
                AfterPush::ResendFrom { seq } => resend_from = Some(seq),
                AfterPush::Wait => {
                    return Err(RoundError::Later(
                        "the hub asked to try again later".into(),
                    ))
                }
                // Pulling still goes on: the lab's changes keep coming.
                AfterPush::UpgradeHub => {
                    store
                        .record_sync_error(
                            "the hub must be updated before it can take this workstation's newer commands",
                        )
                        .await?;
                    return Ok(());
                }
                AfterPush::OutboxBehindHub { hub_last_seq } => {
                    return Err(RoundError::Later(format!(
                        "the hub has decided {hub_last_seq} commands of this workstation, more than it holds: \
                         its data was restored from an older copy; an administrator must enroll it again"
                    )))
                }
            }
        }
    }

    /// Pull to the hub's head; now and then, when nothing of ours is pending, compare
    /// every lab table with the hub's.
    async fn pull_with(
        &self,
        hub: &impl HubTransport,
        round: &mut SyncRound,
        check_now: bool,
    ) -> std::result::Result<(), RoundError> {
        let store = self.store();
        let Some(link) = store.hub_link().await? else {
            return Ok(());
        };
        let rounds = self
            .sync_engine()
            .rounds
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        // Not in a process's first round: a workstation that just joined has just copied
        // the lab, and a check of millions of rows would hold up its first minutes.
        let check = check_now || (rounds + 1).is_multiple_of(CHECK_EVERY_ROUNDS);
        // A workstation that holds nothing yet copies the lab as it stands (going on where
        // a copy cut short stopped), then follows the feed from there: the lab's rows once,
        // not every change ever made to them.
        let mut cursor = link.cursor;
        let copying = match store.join_state().await? {
            Some(join) => !join.complete,
            None => cursor == 0 && store.last_outbox_seq().await? == 0,
        };
        if copying {
            cursor = self.copy_snapshot(hub, round).await?;
        }
        // Tables a resumed copy holds at a later state skip the changes they already hold.
        let copied_at = match store.join_state().await? {
            Some(join) => join.tables_at,
            None => Default::default(),
        };
        let mut page = hub.pull(cursor, PULL_PAGE, check).await?;
        loop {
            if !copied_at.is_empty() {
                page.changes.retain(|c| {
                    copied_at
                        .get(&c.table)
                        .is_none_or(|copied| c.change > *copied)
                });
            }
            // The next page comes over the network while this one is applied.
            let (applied, next) = if page.has_more {
                let (applied, next) = tokio::join!(
                    store.apply_pull(&page),
                    hub.pull(page.next_cursor, PULL_PAGE, check)
                );
                (applied?, Some(next))
            } else {
                (store.apply_pull(&page).await?, None)
            };
            if !applied.sessions_ended_for.is_empty() {
                self.sessions_ended();
            }
            round.pulled_rows += applied.rows;
            round.rebased += applied.rebased;
            round.conflicts += applied.conflicts;
            round.low_water = Some(page.low_water);
            if let Some(digests) = page.digests.take().filter(|_| !page.has_more) {
                round.diverged = self.converge(hub, &digests).await?;
            }
            match next {
                Some(next) => page = next?,
                None => {
                    // A copy made of several states is whole once the feed is caught up.
                    if store.is_joining() {
                        store.finish_join().await?;
                    }
                    return Ok(());
                }
            }
        }
    }

    /// How far the copy of the lab is, while this workstation joins.
    pub(crate) fn join_progress(&self) -> Option<JoinProgress> {
        *self
            .sync_engine()
            .joining
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn set_join_progress(&self, change: impl FnOnce(&mut Option<JoinProgress>)) {
        change(
            &mut self
                .sync_engine()
                .joining
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        );
    }

    /// Copies the lab from the hub's snapshot (see `aliquot_store::joining`); answers the
    /// cursor the feed is pulled on from.
    async fn copy_snapshot(
        &self,
        hub: &impl HubTransport,
        round: &mut SyncRound,
    ) -> std::result::Result<i64, RoundError> {
        let started_at = self.store().now();
        let join = self.store().join_state().await?;
        let copied_before = join.as_ref().map_or(0, |j| j.copied);
        self.set_join_progress(|p| {
            *p = Some(JoinProgress {
                copied: copied_before,
                copied_before,
                total: join.as_ref().and_then(|j| j.total),
                started_at,
            })
        });
        let from = join.and_then(|j| j.resume_from);
        let copied = self.copy_snapshot_parts(hub, round, from).await;
        self.set_join_progress(|p| *p = None);
        copied
    }

    /// One attempt: the snapshot (or its rest, `from` on) read and written a run of rows
    /// at a time, the next run read off the network while one is written. Whatever arrived
    /// whole is kept when the attempt stops short; the next goes on from there.
    async fn copy_snapshot_parts(
        &self,
        hub: &impl HubTransport,
        round: &mut SyncRound,
        from: Option<aliquot_sync::SnapshotFrom>,
    ) -> std::result::Result<i64, RoundError> {
        let store = self.store();
        let mut lines = SnapshotLines::new(hub.snapshot(from.as_ref()).await?);
        let Some(SnapshotPart::Start { rows, cursor }) = lines.next_part().await? else {
            return Err(RoundError::Hub(HubCallError::BadAnswer(
                "the hub's snapshot did not begin with its start".into(),
            )));
        };
        let mut load = store.begin_snapshot(cursor, rows, from.as_ref()).await?;
        self.set_join_progress(|p| {
            if let Some(p) = p {
                p.total = Some(p.copied_before + rows);
            }
        });
        let copied = self.copy_rows(&mut lines, &mut load).await;
        match copied {
            Ok(rows) => {
                load.finish(store, rows).await?;
                round.pulled_rows += usize::try_from(rows).unwrap_or(0);
                let cursor = store.hub_link().await?.map_or(cursor, |l| l.cursor);
                tracing::info!(rows, cursor, "copied the lab from the hub's snapshot");
                Ok(cursor)
            }
            Err(e) => {
                tracing::info!(
                    rows = load.rows(),
                    "the copy of the lab stopped short; kept for the next attempt"
                );
                load.keep().await?;
                Err(e)
            }
        }
    }

    /// The snapshot's runs of rows into `load`, until its end; answers the rows it names.
    async fn copy_rows(
        &self,
        lines: &mut SnapshotLines,
        load: &mut aliquot_store::joining::SnapshotLoad,
    ) -> std::result::Result<i64, RoundError> {
        let mut next = lines.next_part().await?;
        loop {
            match next {
                Some(SnapshotPart::Rows {
                    table,
                    columns,
                    rows,
                }) => {
                    let n = i64::try_from(rows.len()).unwrap_or(i64::MAX);
                    let (written, following) =
                        tokio::join!(load.add(&table, &columns, rows), lines.next_part());
                    written?;
                    self.set_join_progress(|p| {
                        if let Some(p) = p {
                            p.copied += n;
                        }
                    });
                    next = following?;
                }
                Some(SnapshotPart::End { rows, .. }) => return Ok(rows),
                Some(SnapshotPart::Start { .. }) => {
                    return Err(RoundError::Hub(HubCallError::BadAnswer(
                        "the hub's snapshot began twice".into(),
                    )))
                }
                None => {
                    return Err(RoundError::Hub(HubCallError::Unreachable(
                        "the hub's snapshot stopped before its end".into(),
                    )))
                }
            }
        }
    }

    /// Blocks below their low-water mark are refilled while the hub is here, so a whole
    /// offline day can follow; the new blocks are pulled at once.
    async fn refill_blocks(
        &self,
        hub: &impl HubTransport,
        round: &mut SyncRound,
    ) -> std::result::Result<(), RoundError> {
        let store = self.store();
        let Some(low_water) = round.low_water else {
            return Ok(());
        };
        let needs = store.lease_needs(low_water).await?;
        if needs.is_empty() {
            return Ok(());
        }
        for (kind, site_id) in needs {
            let leased = hub
                .lease(&aliquot_sync::LeaseRequest {
                    protocol: PROTOCOL_VERSION,
                    device_id: store.device_id().to_owned(),
                    kind: kind.as_str().to_owned(),
                    site_id,
                })
                .await;
            match leased {
                Ok(_) => round.leased += 1,
                // A range used up is the lab's to fix; syncing goes on.
                Err(HubCallError::Refused { message, .. }) => {
                    store.record_sync_error(&message).await?;
                }
                Err(other) => return Err(other.into()),
            }
        }
        self.pull_with(hub, round, false).await
    }

    /// Compares every lab table with the hub's digest at the same cursor (only when
    /// nothing of ours is unsettled, so both sides hold the same decided state), resyncs
    /// the tables found apart and reports them.
    async fn converge(
        &self,
        client: &impl HubTransport,
        hub: &[aliquot_sync::TableDigest],
    ) -> std::result::Result<Vec<String>, RoundError> {
        let store = self.store();
        let counts = store.outbox_counts().await?;
        if counts.pending > 0 || counts.held > 0 {
            return Ok(Vec::new());
        }
        let local = store.lab_digests().await?;
        let diverged = plan::diverged(&local, hub);
        for name in &diverged {
            let Some(table) = aliquot_store::lab_tables::lab_table(name) else {
                continue;
            };
            tracing::warn!(table = %name, "lab table differs from the hub's; resyncing it");
            // The hub's rows page by page (the table is replaced whole, in one transaction).
            let mut rows = Vec::new();
            let mut page = 1;
            loop {
                let got = client.table(name, page).await?;
                rows.extend(got.items);
                if page >= got.total_pages {
                    break;
                }
                page += 1;
            }
            store.resync_table(table, &rows).await?;
        }
        store.record_convergence(&diverged).await?;
        Ok(diverged)
    }
}

/// A snapshot's bytes as they arrive, in chunks cut anywhere.
pub type SnapshotChunks = std::pin::Pin<
    Box<dyn futures_util::Stream<Item = std::result::Result<Vec<u8>, HubCallError>> + Send>,
>;

/// A snapshot's lines, read off its chunks one JSON object at a time.
struct SnapshotLines {
    chunks: SnapshotChunks,
    buffer: Vec<u8>,
    /// How far `buffer` is known to hold no line end.
    scanned: usize,
}

impl SnapshotLines {
    fn new(chunks: SnapshotChunks) -> SnapshotLines {
        SnapshotLines {
            chunks,
            buffer: Vec::new(),
            scanned: 0,
        }
    }

    /// The next part, or `None` when the stream ended (cleanly or not: a copy without
    /// its end part is refused by the caller).
    async fn next_part(&mut self) -> std::result::Result<Option<SnapshotPart>, HubCallError> {
        use futures_util::StreamExt;
        loop {
            if let Some(end) = self.buffer[self.scanned..].iter().position(|b| *b == b'\n') {
                let end = self.scanned + end;
                let part = serde_json::from_slice(&self.buffer[..end])
                    .map_err(|e| HubCallError::BadAnswer(format!("a snapshot line: {e}")))?;
                self.buffer.drain(..=end);
                self.scanned = 0;
                return Ok(Some(part));
            }
            self.scanned = self.buffer.len();
            match self.chunks.next().await {
                Some(chunk) => self.buffer.extend_from_slice(&chunk?),
                None => return Ok(None),
            }
        }
    }
}

/// How the engine reaches the hub: the HTTPS client, or in a simulation the hub itself.
pub trait HubTransport: Sync {
    fn push(
        &self,
        request: &PushRequest,
    ) -> impl std::future::Future<
        Output = std::result::Result<aliquot_sync::PushResponse, HubCallError>,
    > + Send;
    fn pull(
        &self,
        cursor: i64,
        limit: i64,
        digests: bool,
    ) -> impl std::future::Future<
        Output = std::result::Result<aliquot_sync::PullResponse, HubCallError>,
    > + Send;
    /// The lab as it stands (see [`aliquot_sync::SnapshotPart`]), or its rest `from` on.
    fn snapshot(
        &self,
        from: Option<&aliquot_sync::SnapshotFrom>,
    ) -> impl std::future::Future<Output = std::result::Result<SnapshotChunks, HubCallError>> + Send;
    fn lease(
        &self,
        request: &aliquot_sync::LeaseRequest,
    ) -> impl std::future::Future<
        Output = std::result::Result<aliquot_sync::LeaseResponse, HubCallError>,
    > + Send;
    fn table(
        &self,
        name: &str,
        page: u32,
    ) -> impl std::future::Future<
        Output = std::result::Result<aliquot_domain::paging::Page<serde_json::Value>, HubCallError>,
    > + Send;
}

impl HubTransport for HubClient {
    async fn push(
        &self,
        request: &PushRequest,
    ) -> std::result::Result<aliquot_sync::PushResponse, HubCallError> {
        HubClient::push(self, request).await
    }
    async fn pull(
        &self,
        cursor: i64,
        limit: i64,
        digests: bool,
    ) -> std::result::Result<aliquot_sync::PullResponse, HubCallError> {
        HubClient::pull(self, cursor, limit, digests).await
    }
    async fn snapshot(
        &self,
        from: Option<&aliquot_sync::SnapshotFrom>,
    ) -> std::result::Result<SnapshotChunks, HubCallError> {
        HubClient::snapshot(self, from).await
    }
    async fn lease(
        &self,
        request: &aliquot_sync::LeaseRequest,
    ) -> std::result::Result<aliquot_sync::LeaseResponse, HubCallError> {
        HubClient::lease(self, request).await
    }
    async fn table(
        &self,
        name: &str,
        page: u32,
    ) -> std::result::Result<aliquot_domain::paging::Page<serde_json::Value>, HubCallError> {
        HubClient::table(self, name, page).await
    }
}

/// Why a round stopped.
#[derive(Debug, thiserror::Error)]
enum RoundError {
    #[error(transparent)]
    Hub(#[from] HubCallError),
    #[error("{0}")]
    Later(String),
    #[error("this workstation's database: {0}")]
    Store(#[from] aliquot_store::StoreError),
}
