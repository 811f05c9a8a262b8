//! The lab's hub. It enrolls workstations, decides every command they push with the same
//! executor and domain rules as a workstation (there is no row-upsert endpoint), and
//! serves the change feed they pull.
//!
//! `record`: where the hub keeps its record, SQLite (`db`, the default) or PostgreSQL
//! (`pg`, with the lab in a SQLite copy per process), and the one decision both go
//! through. `push`: a push, command by command, through the protocol's planner
//! (`aliquot_sync::plan`) and the shared executor. `tls`: the hub's certificate. `http`:
//! the HTTPS transport.

pub mod db;
pub mod http;
pub mod pg;
mod push;
mod record;
pub mod tls;

pub use pg::PgSettings;
use record::Record;

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
/// the hub's record, beside the lab in SQLite or in PostgreSQL.
#[derive(Clone)]
pub struct Hub {
    store: Store,
    record: Record,
    hub_id: String,
    clock: Arc<dyn Clock>,
    data_dir: PathBuf,
}

/// Where the hub keeps its record: `sqlite` (the default: in the data directory) or a
/// `postgres://` address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HubDatabase {
    Sqlite,
    Postgres(String),
}

impl HubDatabase {
    pub fn parse(text: Option<&str>) -> Result<HubDatabase> {
        match text.map(str::trim) {
            None | Some("") | Some("sqlite") => Ok(HubDatabase::Sqlite),
            Some(url) if pg::is_postgres_url(url) => Ok(HubDatabase::Postgres(url.to_owned())),
            Some(_) => Err(HubFailure::bad_request(
                "invalid",
                "--database is sqlite (the default) or a postgres:// address",
            )),
        }
    }
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
    /// Opens (creating if needed) the hub in `data_dir`, its record in SQLite there.
    pub async fn open(data_dir: &Path, clock: Arc<dyn Clock>) -> Result<Hub> {
        let store = Self::open_store(data_dir, clock.clone()).await?;
        Ok(Hub {
            hub_id: store.device_id().to_owned(),
            store,
            record: Record::Sqlite,
            clock,
            data_dir: data_dir.to_owned(),
        })
    }

    /// Opens the hub with its record in PostgreSQL (migrated if needed) and this
    /// process's copy of the lab in `data_dir`, brought up to the feed's head.
    pub async fn open_postgres(
        data_dir: &Path,
        url: &str,
        settings: &PgSettings,
        clock: Arc<dyn Clock>,
    ) -> Result<Hub> {
        let pool = pg::connect(url, settings).await?;
        pg::migrate(&pool).await?;
        let store = Self::open_store(data_dir, clock.clone()).await?;
        // The copy is behind the feed or at its head; past it, it is not this database's
        // copy (or the database was restored to an earlier point).
        let (at, head) = (db::head(store.pool()).await?, pg::head_of(&pool).await?);
        if at > head {
            store.close().await;
            return Err(HubFailure::conflict(
                "copy_ahead",
                format!(
                    "{} holds a lab at change {at}, past this database's feed (change {head}): \
                     a SQLite hub moves to PostgreSQL with `aliquot-hub move-to-postgres`; a \
                     hub process's copy of another database (or of this one before a restore) \
                     is removed, and made again at the next start",
                    data_dir.display()
                ),
            ));
        }
        // From here on the copy's change table holds only a decision's own rows (a moved
        // hub's feed is PostgreSQL's now).
        db::clear_copy_changes(store.pool()).await?;
        let hub_id = pg::hub_identity(&pool, store.device_id()).await?;
        let hub = Hub {
            store,
            record: Record::Postgres(pool),
            hub_id,
            clock,
            data_dir: data_dir.to_owned(),
        };
        let at = hub.record.catch_up_to(&hub.store, None).await?;
        tracing::info!(change = at, "the lab copy is at the feed's head");
        Ok(hub)
    }

    /// [`Hub::open`] or [`Hub::open_postgres`] (with `settings`), as `database` says.
    pub async fn open_with(
        data_dir: &Path,
        database: &HubDatabase,
        settings: &PgSettings,
        clock: Arc<dyn Clock>,
    ) -> Result<Hub> {
        match database {
            HubDatabase::Sqlite => Self::open(data_dir, clock).await,
            HubDatabase::Postgres(url) => Self::open_postgres(data_dir, url, settings, clock).await,
        }
    }

    /// Copies this SQLite hub's record into an empty PostgreSQL database (the hub stopped
    /// meanwhile). The data directory is left as it is; opened with `--database` it is
    /// then the first process's copy of the lab.
    pub async fn move_record_to_postgres(&self, url: &str) -> Result<pg::ImportedRecord> {
        if self.on_postgres() {
            return Err(HubFailure::bad_request(
                "invalid",
                "this hub's record is in PostgreSQL already",
            ));
        }
        let pool = pg::connect(url, &PgSettings::default()).await?;
        pg::migrate(&pool).await?;
        let imported = pg::import_sqlite_record(&pool, self.store.pool(), &self.hub_id).await;
        pool.close().await;
        imported
    }

    async fn open_store(data_dir: &Path, clock: Arc<dyn Clock>) -> Result<Store> {
        let store = Store::open(data_dir, clock).await?;
        db::migrate(store.pool()).await?;
        db::install_feed_triggers(store.pool()).await?;
        Ok(store)
    }

    /// Whether the hub's record is in PostgreSQL.
    pub fn on_postgres(&self) -> bool {
        self.postgres().is_some()
    }

    /// The hub's PostgreSQL pool, when its record is there (for operations' checks).
    pub fn postgres(&self) -> Option<&sqlx::PgPool> {
        match &self.record {
            Record::Sqlite => None,
            Record::Postgres(pool) => Some(pool),
        }
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
        let (applied, known) = match &self.record {
            Record::Sqlite => (db::hub_schema(pool).await?, db::HUB_SCHEMA),
            Record::Postgres(pool) => (pg::schema(pool).await?, pg::PG_SCHEMA),
        };
        Ok(HubHealth {
            migrations_current: lab.applied == lab.known && applied == known,
            lab_schema: lab,
            hub_schema: aliquot_store::SchemaVersion { applied, known },
            feed_head: self.feed_head().await?,
        })
    }

    /// Brings this process's copy of the lab to the feed's head (on PostgreSQL; on SQLite
    /// the copy is the lab): before a read of the lab that must see every decision, such
    /// as a convergence check. Returns the change the copy stands at.
    pub async fn catch_up(&self) -> Result<i64> {
        self.record.catch_up_to(&self.store, None).await
    }

    /// The feed's newest change number.
    pub async fn feed_head(&self) -> Result<i64> {
        match &self.record {
            Record::Sqlite => db::head(self.store.pool()).await,
            Record::Postgres(pool) => pg::head_of(pool).await,
        }
    }

    /// How many row images the feed holds.
    pub async fn feed_rows(&self) -> Result<i64> {
        match &self.record {
            Record::Sqlite => db::feed_rows(self.store.pool()).await,
            Record::Postgres(pool) => pg::feed_rows(pool).await,
        }
    }

    /// The hub's own id: what workstations pin (on PostgreSQL, the same for every process).
    pub fn hub_id(&self) -> &str {
        &self.hub_id
    }

    pub async fn close(&self) {
        self.store.close().await;
        if let Record::Postgres(pool) = &self.record {
            pool.close().await;
        }
    }

    /// Runs a command the hub itself makes (the first administrator, an administrator's
    /// change on the hub) through the executor, as one hub change.
    pub async fn execute(&self, actor: &Actor, command: Command) -> Result<Uuid> {
        let recorded = Recorded {
            command_id: Uuid::now_v7(),
            device_id: self.hub_id.clone(),
            recorded_at: self.clock.now(),
        };
        self.execute_recorded(actor, &recorded, command).await
    }

    /// Makes the demo lab as the hub's own commands, so that enrolled workstations pull it
    /// (the tests and the benchmark of a hub with a lab at work). Refused when the hub
    /// already has accounts.
    pub async fn demo_lab(
        &self,
        size: aliquot_store::seed::DemoSize,
    ) -> Result<aliquot_store::seed::DemoReport> {
        aliquot_store::seed::demo_lab_through(self, size).await
    }

    /// [`Hub::execute`] for a command recorded elsewhere (its id, device and time given):
    /// the direct path the differential test compares the sync path with.
    pub async fn execute_recorded(
        &self,
        actor: &Actor,
        recorded: &Recorded,
        command: Command,
    ) -> Result<Uuid> {
        let mut decision = self.record.begin(&self.store).await?;
        let tx = decision.local();
        db::begin_change(tx.conn()).await?;
        self.store
            .replay(tx, actor, recorded, &command, Replay::Hub)
            .await?;
        db::end_change(tx.conn()).await?;
        decision.finish(&self.store).await?;
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
        let code_hash = secret_hash(&normalise_code(&code));
        match &self.record {
            Record::Sqlite => {
                db::create_enrollment(self.store.pool(), &code_hash, name, now, expires_at).await?
            }
            Record::Postgres(pool) => {
                pg::create_enrollment(pool, &code_hash, name, now, expires_at).await?
            }
        }
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
        let (code_hash, credential_hash) = (
            secret_hash(&normalise_code(&request.code)),
            secret_hash(&credential),
        );
        let now = self.clock.now();
        let name = match &self.record {
            Record::Sqlite => {
                db::redeem_enrollment(
                    self.store.pool(),
                    &code_hash,
                    &request.device_id,
                    &credential_hash,
                    now,
                )
                .await?
            }
            Record::Postgres(pool) => {
                pg::redeem_enrollment(pool, &code_hash, &request.device_id, &credential_hash, now)
                    .await?
            }
        };
        tracing::info!(device = %request.device_id, %name, "workstation enrolled");
        Ok(EnrollResponse {
            device_name: name,
            credential,
            hub_id: self.hub_id().to_owned(),
        })
    }

    /// The enrolled, unrevoked device a bearer credential belongs to.
    pub async fn authenticate(&self, credential: &str) -> Result<Device> {
        let (hash, now) = (secret_hash(credential), self.clock.now());
        match &self.record {
            Record::Sqlite => {
                let device = db::device_by_credential(self.store.pool(), &hash).await?;
                db::touch_device(self.store.pool(), &device.device_id, now).await?;
                Ok(device)
            }
            Record::Postgres(pool) => {
                let device = pg::device_by_credential(pool, &hash).await?;
                pg::touch_device(pool, &device.device_id, now).await?;
                Ok(device)
            }
        }
    }

    pub async fn devices(&self, page: PageRequest) -> Result<Page<Device>> {
        let page = page
            .validate()
            .map_err(|e| HubFailure::bad_request("invalid", e.to_string()))?;
        match &self.record {
            Record::Sqlite => db::devices(self.store.pool(), page).await,
            Record::Postgres(pool) => pg::devices(pool, page).await,
        }
    }

    /// Ends a device's access at once; its unsent work stays on it.
    pub async fn revoke(&self, device_id: &str, why: &str) -> Result<()> {
        let why = aliquot_domain::command::validate_reason(why)
            .map_err(|e| HubFailure::bad_request("invalid", e.to_string()))?;
        let now = self.clock.now();
        match &self.record {
            Record::Sqlite => db::revoke(self.store.pool(), device_id, &why, now).await,
            Record::Postgres(pool) => pg::revoke(pool, device_id, &why, now).await,
        }
    }

    /// After an administrator has reviewed a device whose audit chain broke: its held
    /// commands are decided again, and its chain is checked anew from its next row.
    pub async fn release(&self, device_id: &str) -> Result<()> {
        match &self.record {
            Record::Sqlite => db::release_device_chain(self.store.pool(), device_id).await,
            Record::Postgres(pool) => pg::release_device_chain(pool, device_id).await,
        }
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
        let page = match &self.record {
            Record::Sqlite => {
                db::pull_page(self.store.pool(), &device.device_id, cursor, limit, digests).await?
            }
            Record::Postgres(pool) => {
                let mut page = pg::pull_page(pool, &device.device_id, cursor, limit).await?;
                if digests && !page.has_more {
                    // From this process's copy at the page's end; when the copy has moved
                    // past it (a decision here since), none this time.
                    self.record
                        .catch_up_to(&self.store, Some(page.next_cursor))
                        .await?;
                    page.digests = db::digests_at(self.store.pool(), page.next_cursor).await?;
                }
                page
            }
        };
        let policy = self.lease_policy().await?;
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
        let hub = self.clone();
        tokio::spawn(async move {
            // On PostgreSQL the copy is brought to the head first; the snapshot is then
            // one state of it, at the cursor it names.
            let written = match hub.record.catch_up_to(&hub.store, None).await {
                Ok(_) => db::write_snapshot(hub.store.pool(), &lines, from).await,
                Err(e) => Err(e),
            };
            if let Err(e) = written {
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
        let policy = self.lease_policy().await?;
        // The blocks leased so far, as the copy holds them at the head (the executor
        // refuses an overlap that a lease decided elsewhere meanwhile would make).
        self.record.catch_up_to(&self.store, None).await?;
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
        match &self.record {
            Record::Sqlite => db::lease_policy(self.store.pool()).await,
            Record::Postgres(pool) => pg::lease_policy(pool).await,
        }
    }

    pub async fn set_lease_policy(&self, policy: &LeasePolicy) -> Result<()> {
        numbering::sample_code(&policy.sample_prefix, policy.sample_digits, 1)
            .map_err(|e| HubFailure::bad_request("invalid", e.to_string()))?;
        match &self.record {
            Record::Sqlite => db::set_lease_policy(self.store.pool(), policy).await,
            Record::Postgres(pool) => pg::set_lease_policy(pool, policy).await,
        }
    }

    /// Every row of one lab table (a workstation resyncs it after its convergence check
    /// found it apart).
    pub async fn table(&self, name: &str, page: PageRequest) -> Result<Page<serde_json::Value>> {
        let table = aliquot_store::lab_tables::lab_table(name)
            .ok_or_else(|| HubFailure::not_found(format!("no lab table {name:?}")))?;
        self.record.catch_up_to(&self.store, None).await?;
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

impl aliquot_store::seed::DemoLabTarget for Hub {
    type Error = HubFailure;
    fn store(&self) -> &Store {
        &self.store
    }
    /// The hub's id, which `Hub::execute` records (a second process's copy has a device id
    /// of its own).
    fn device_id(&self) -> &str {
        &self.hub_id
    }
    async fn execute(&self, actor: &Actor, command: Command) -> Result<()> {
        Hub::execute(self, actor, command).await.map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_database_is_sqlite_unless_a_postgres_address_is_given() {
        assert_eq!(HubDatabase::parse(None), Ok(HubDatabase::Sqlite));
        assert_eq!(HubDatabase::parse(Some("sqlite")), Ok(HubDatabase::Sqlite));
        assert_eq!(
            HubDatabase::parse(Some(" postgres://hub@db.lab/aliquot ")),
            Ok(HubDatabase::Postgres(
                "postgres://hub@db.lab/aliquot".into()
            ))
        );
        assert_eq!(
            HubDatabase::parse(Some("postgresql://db/lab")),
            Ok(HubDatabase::Postgres("postgresql://db/lab".into()))
        );
        let refused = HubDatabase::parse(Some("mysql://db/lab")).unwrap_err();
        assert_eq!((refused.status, refused.code.as_str()), (400, "invalid"));
    }

    #[test]
    fn pool_limits_are_the_defaults_unless_given_and_in_range() {
        let defaults = PgSettings::with_limits(None, None, None).unwrap();
        assert_eq!(defaults, PgSettings::default());
        let given = PgSettings::with_limits(Some(4), Some(5), Some(2)).unwrap();
        assert_eq!(
            given,
            PgSettings {
                max_connections: 4,
                statement_timeout: std::time::Duration::from_secs(5),
                acquire_timeout: std::time::Duration::from_secs(2),
            }
        );
        for (pool, statement, wait, named) in [
            (Some(0), None, None, "--pool-size"),
            (Some(1001), None, None, "--pool-size"),
            (None, Some(0), None, "--statement-timeout"),
            (None, Some(3601), None, "--statement-timeout"),
            (None, None, Some(0), "--pool-wait"),
            (None, None, Some(301), "--pool-wait"),
        ] {
            let refused = PgSettings::with_limits(pool, statement, wait).unwrap_err();
            assert_eq!(refused.code, "invalid");
            assert!(refused.message.contains(named), "{}", refused.message);
        }
    }

    #[test]
    fn enrollment_codes_are_read_whatever_the_case_and_dashes() {
        assert_eq!(normalise_code("abcd-efgh-jkmn"), "ABCDEFGHJKMN");
        assert_eq!(normalise_code(" ABCD EFGH JKMN "), "ABCDEFGHJKMN");
        assert_ne!(secret_hash("ABCD"), secret_hash("ABCE"));
    }
}
