//! The lab's hub. It enrolls workstations, decides every command they push with the same
//! executor and domain rules as a workstation (there is no row-upsert endpoint), and
//! serves the change feed they pull.
//!
//! `db`: the hub's SQL, all of it. `push`: a push, command by command, through the
//! protocol's planner (`aliquot_sync::plan`) and the shared executor. `tls`: the hub's
//! certificate. `http`: the HTTPS transport.

pub mod db;
pub mod http;
mod push;
pub mod tls;

use aliquot_domain::numbering::{self, BlockKind, LeasePolicy, NumberBlock};
use aliquot_domain::paging::{Page, PageRequest};
use aliquot_domain::{Actor, Clock, Command};
use aliquot_store::{Recorded, Replay, Store, StoreError};
use aliquot_sync::{
    EnrollRequest, EnrollResponse, LeaseRequest, LeaseResponse, PullResponse, PushRequest,
    PushResponse,
};
use chrono::{DateTime, Duration, Utc};
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use uuid::Uuid;

pub use db::Device;

/// A refusal or failure of the hub, answered as `{code, message}` with an HTTP status.
/// Internal failures are logged with an id; the answer shows only the id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HubFailure {
    pub status: u16,
    pub code: String,
    pub message: String,
}

impl HubFailure {
    fn new(status: u16, code: &str, message: impl Into<String>) -> Self {
        HubFailure {
            status,
            code: code.to_owned(),
            message: message.into(),
        }
    }
    pub fn unauthorized(code: &str, message: impl Into<String>) -> Self {
        Self::new(401, code, message)
    }
    pub fn forbidden(code: &str, message: impl Into<String>) -> Self {
        Self::new(403, code, message)
    }
    pub fn bad_request(code: &str, message: impl Into<String>) -> Self {
        Self::new(400, code, message)
    }
    pub fn conflict(code: &str, message: impl Into<String>) -> Self {
        Self::new(409, code, message)
    }
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(404, "not_found", message)
    }
    /// Logged once with an id; the answer carries only the id.
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        let id = Uuid::now_v7();
        tracing::error!(%id, %detail, "hub internal error");
        Self::new(
            503,
            "retry_later",
            format!("the hub could not do this now; try again later (error {id})"),
        )
    }
}

impl std::fmt::Display for HubFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for HubFailure {}

impl From<sqlx::Error> for HubFailure {
    fn from(e: sqlx::Error) -> Self {
        HubFailure::internal(e)
    }
}

impl From<StoreError> for HubFailure {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Domain(d) => HubFailure::conflict(d.reason_code(), d.to_string()),
            StoreError::Forbidden(p) => {
                HubFailure::forbidden("forbidden", format!("the role may not do this ({p:?})"))
            }
            e @ StoreError::SchemaNewer { .. } => {
                HubFailure::conflict("schema_newer", e.to_string())
            }
            other => HubFailure::internal(other),
        }
    }
}

type Result<T> = std::result::Result<T, HubFailure>;

/// A one-time enrollment code, shown once to the administrator.
#[derive(Debug, Clone)]
pub struct Enrollment {
    pub code: String,
    pub name: String,
    pub expires_at: DateTime<Utc>,
}

/// The hub's health (`GET /v1/health`); a database that does not answer is a 503 instead.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct HubHealth {
    pub migrations_current: bool,
    pub lab_schema: aliquot_store::SchemaVersion,
    pub hub_schema: aliquot_store::SchemaVersion,
    /// The newest change number of the feed.
    pub feed_head: i64,
}

/// How long an enrollment code stays valid unless the administrator says otherwise.
pub const ENROLLMENT_LIFETIME: Duration = Duration::hours(1);

/// The open hub: the lab's store (the same tables and executor as a workstation's) and
/// the hub's own tables beside them.
#[derive(Clone)]
pub struct Hub {
    store: Store,
    clock: Arc<dyn Clock>,
    data_dir: PathBuf,
}

/// Hashes a secret (an enrollment code, a device credential) for storage.
pub fn secret_hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Normalises a typed enrollment code: case and dashes do not matter.
fn normalise_code(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// Letters and digits that cannot be read as one another (no 0/O, 1/I/L).
const CODE_ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";

impl Hub {
    /// Opens (creating if needed) the hub in `data_dir`.
    pub async fn open(data_dir: &Path, clock: Arc<dyn Clock>) -> Result<Hub> {
        let store = Store::open(data_dir, clock.clone()).await?;
        db::migrate(store.pool()).await?;
        db::install_feed_triggers(store.pool()).await?;
        Ok(Hub {
            store,
            clock,
            data_dir: data_dir.to_owned(),
        })
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// What a load balancer or a monitor asks: the database answers, its migrations are
    /// the ones this build has, and the feed's newest change number.
    pub async fn health(&self) -> Result<HubHealth> {
        let pool = self.store.pool();
        let lab = self.store.lab_schema().await?;
        let hub = db::hub_schema(pool).await?;
        Ok(HubHealth {
            migrations_current: lab.applied == lab.known && hub == db::HUB_SCHEMA,
            lab_schema: lab,
            hub_schema: aliquot_store::SchemaVersion {
                applied: hub,
                known: db::HUB_SCHEMA,
            },
            feed_head: db::head(pool).await?,
        })
    }

    /// The hub's own id (its store's device id).
    pub fn hub_id(&self) -> &str {
        self.store.device_id()
    }

    pub async fn close(&self) {
        self.store.close().await;
    }

    /// Runs a command the hub itself makes (the first administrator, an administrator's
    /// change on the hub) through the executor, as one hub change.
    pub async fn execute(&self, actor: &Actor, command: Command) -> Result<Uuid> {
        let recorded = Recorded {
            command_id: Uuid::now_v7(),
            device_id: self.store.device_id().to_owned(),
            recorded_at: self.clock.now(),
        };
        self.execute_recorded(actor, &recorded, command).await
    }

    /// [`Hub::execute`] for a command recorded elsewhere (its id, device and time given):
    /// the direct path the differential test compares the sync path with.
    pub async fn execute_recorded(
        &self,
        actor: &Actor,
        recorded: &Recorded,
        command: Command,
    ) -> Result<Uuid> {
        let mut tx = self.store.begin_write().await?;
        db::begin_change(tx.conn()).await?;
        self.store
            .replay(&mut tx, actor, recorded, &command, Replay::Hub)
            .await?;
        db::end_change(tx.conn()).await?;
        self.store.commit_write(tx).await?;
        Ok(recorded.command_id)
    }

    /// Makes a one-time code that enrolls one workstation under `name`.
    pub async fn enroll(&self, name: &str, valid_for: Duration) -> Result<Enrollment> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 80 || name.chars().any(char::is_control) {
            return Err(HubFailure::bad_request(
                "invalid",
                "a workstation's name is 1 to 80 printable characters, such as \"Desk 2\"",
            ));
        }
        let mut bytes = [0u8; 12];
        rand::thread_rng().fill_bytes(&mut bytes);
        let raw: String = bytes
            .iter()
            .map(|b| CODE_ALPHABET[usize::from(*b) % CODE_ALPHABET.len()] as char)
            .collect();
        let code = format!("{}-{}-{}", &raw[0..4], &raw[4..8], &raw[8..12]);
        let now = self.clock.now();
        let expires_at = now + valid_for;
        db::create_enrollment(
            self.store.pool(),
            &secret_hash(&normalise_code(&code)),
            name,
            now,
            expires_at,
        )
        .await?;
        Ok(Enrollment {
            code,
            name: name.to_owned(),
            expires_at,
        })
    }

    /// Exchanges a one-time code for a device credential (random, stored hashed).
    pub async fn redeem(&self, request: EnrollRequest) -> Result<EnrollResponse> {
        check_protocol(request.protocol)?;
        if Uuid::parse_str(&request.device_id).is_err() {
            return Err(HubFailure::bad_request(
                "invalid",
                "the workstation's device id is not a UUID",
            ));
        }
        let mut bytes = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut bytes);
        let credential = hex::encode(bytes);
        let name = db::redeem_enrollment(
            self.store.pool(),
            &secret_hash(&normalise_code(&request.code)),
            &request.device_id,
            &secret_hash(&credential),
            self.clock.now(),
        )
        .await?;
        tracing::info!(device = %request.device_id, %name, "workstation enrolled");
        Ok(EnrollResponse {
            device_name: name,
            credential,
            hub_id: self.hub_id().to_owned(),
        })
    }

    /// The enrolled, unrevoked device a bearer credential belongs to.
    pub async fn authenticate(&self, credential: &str) -> Result<Device> {
        let device = db::device_by_credential(self.store.pool(), &secret_hash(credential)).await?;
        db::touch_device(self.store.pool(), &device.device_id, self.clock.now()).await?;
        Ok(device)
    }

    pub async fn devices(&self, page: PageRequest) -> Result<Page<Device>> {
        let page = page
            .validate()
            .map_err(|e| HubFailure::bad_request("invalid", e.to_string()))?;
        db::devices(self.store.pool(), page).await
    }

    /// Ends a device's access at once; its unsent work stays on it.
    pub async fn revoke(&self, device_id: &str, why: &str) -> Result<()> {
        let why = aliquot_domain::command::validate_reason(why)
            .map_err(|e| HubFailure::bad_request("invalid", e.to_string()))?;
        db::revoke(self.store.pool(), device_id, &why, self.clock.now()).await
    }

    /// After an administrator has reviewed a device whose audit chain broke: its held
    /// commands are decided again, and its chain is checked anew from its next row.
    pub async fn release(&self, device_id: &str) -> Result<()> {
        db::release_device_chain(self.store.pool(), device_id).await
    }

    pub async fn push(&self, device: &Device, request: PushRequest) -> Result<PushResponse> {
        check_protocol(request.protocol)?;
        push::push(self, device, request).await
    }

    pub async fn pull(
        &self,
        device: &Device,
        cursor: i64,
        limit: i64,
        digests: bool,
    ) -> Result<PullResponse> {
        let limit = limit.clamp(1, aliquot_sync::MAX_PULL_PAGE);
        let page =
            db::pull_page(self.store.pool(), &device.device_id, cursor, limit, digests).await?;
        let policy = db::lease_policy(self.store.pool()).await?;
        Ok(PullResponse {
            changes: page.changes,
            next_cursor: page.next_cursor,
            has_more: page.has_more,
            decided: page.decided,
            digests: page.digests,
            low_water: aliquot_sync::LowWater {
                participant: policy.low_water(BlockKind::Participant),
                sample: policy.low_water(BlockKind::Sample),
            },
        })
    }

    /// The lab as it stands, for a workstation that holds nothing yet (or the rest of it,
    /// `from` on, for one whose copy was cut short): the lines of a snapshot
    /// ([`aliquot_sync::SnapshotPart`]), read in one transaction by a task of its own
    /// while the receiver takes them (a few lines ahead at most, so a million rows are
    /// never held at once). An error ends the lines with it.
    pub fn snapshot(
        &self,
        from: Option<aliquot_sync::SnapshotFrom>,
    ) -> tokio::sync::mpsc::Receiver<Result<String>> {
        let (lines, receiver) = tokio::sync::mpsc::channel(4);
        let pool = self.store.pool().clone();
        tokio::spawn(async move {
            if let Err(e) = db::write_snapshot(&pool, &lines, from).await {
                tracing::warn!(error = %e.message, "snapshot failed");
                let _ = lines.send(Err(e)).await;
            }
        });
        receiver
    }

    /// Leases the next block of `kind` to the device, as the hub's own command (so it
    /// reaches every workstation by the feed, and no two devices ever hold one number).
    pub async fn lease(&self, device: &Device, request: LeaseRequest) -> Result<LeaseResponse> {
        check_protocol(request.protocol)?;
        if request.device_id != device.device_id {
            return Err(HubFailure::forbidden(
                "wrong_device",
                "a workstation asks for blocks only for itself",
            ));
        }
        let kind = match request.kind.as_str() {
            "participant" => BlockKind::Participant,
            "sample" => BlockKind::Sample,
            other => {
                return Err(HubFailure::bad_request(
                    "invalid",
                    format!("no lease of {other:?}; participant or sample"),
                ))
            }
        };
        let policy = db::lease_policy(self.store.pool()).await?;
        let site = match request.site_id {
            Some(id) => {
                let site = self.store.site(id).await?;
                Some((id, site.participant_range_start, site.participant_range_end))
            }
            None => None,
        };
        let existing: Vec<NumberBlock> = self
            .store
            .blocks_of_numbering(kind == BlockKind::Participant)
            .await?
            .into_iter()
            .map(|r| r.block)
            .collect();
        let block = numbering::next_lease(kind, &device.device_id, site, &existing, &policy)
            .map_err(|e| HubFailure::conflict(e.reason_code(), e.to_string()))?;
        let block_id = Uuid::now_v7();
        let response = LeaseResponse {
            block_id,
            prefix: block.prefix.clone(),
            first: block.first,
            last: block.last,
        };
        self.execute(
            &Actor::system(),
            Command::AssignNumberBlock {
                block_id,
                block,
                reason: format!("leased to {} by the hub", device.name),
            },
        )
        .await?;
        Ok(response)
    }

    pub async fn lease_policy(&self) -> Result<LeasePolicy> {
        db::lease_policy(self.store.pool()).await
    }

    pub async fn set_lease_policy(&self, policy: &LeasePolicy) -> Result<()> {
        numbering::sample_code(&policy.sample_prefix, policy.sample_digits, 1)
            .map_err(|e| HubFailure::bad_request("invalid", e.to_string()))?;
        db::set_lease_policy(self.store.pool(), policy).await
    }

    /// Every row of one lab table (a workstation resyncs it after its convergence check
    /// found it apart).
    pub async fn table(&self, name: &str, page: PageRequest) -> Result<Page<serde_json::Value>> {
        let table = aliquot_store::lab_tables::lab_table(name)
            .ok_or_else(|| HubFailure::not_found(format!("no lab table {name:?}")))?;
        Ok(self.store.lab_rows_page(table, page).await?)
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }
}

fn check_protocol(protocol: u32) -> Result<()> {
    if protocol != aliquot_sync::PROTOCOL_VERSION {
        return Err(HubFailure::bad_request(
            "protocol_unsupported",
            format!(
                "this hub speaks sync protocol {}, the workstation {protocol}; update the older one",
                aliquot_sync::PROTOCOL_VERSION
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enrollment_codes_are_read_whatever_the_case_and_dashes() {
        assert_eq!(normalise_code("abcd-efgh-jkmn"), "ABCDEFGHJKMN");
        assert_eq!(normalise_code(" ABCD EFGH JKMN "), "ABCDEFGHJKMN");
        assert_ne!(secret_hash("ABCD"), secret_hash("ABCE"));
    }
}
