//! The one command executor: the only path by which domain data changes.
//!
//! permission → BEGIN IMMEDIATE → load state + domain rule + write → audit entry → outbox
//! row → COMMIT. Any error before the commit drops the transaction, which rolls back
//! everything, so a refused command leaves no trace at all.

use crate::anchor::ChainPoint;
use crate::{
    audit, instruments, notifications, outbox, printing, registration, result_sets, runs, samples,
    saved_reports, settings, storage, sync_issues, users, watch_folders, Result, Store, StoreError,
};
use aliquot_domain::audit::{AuditAction, AuditContext, AuditEntry};
use aliquot_domain::{Actor, Command, COMMAND_SCHEMA_VERSION};
use sqlx::SqliteConnection;
use uuid::Uuid;

/// What a command changed, as the audit trail records it. Returned by each area's apply.
pub(crate) struct Change {
    pub entity_type: &'static str,
    pub entity_id: String,
    pub old: Option<serde_json::Value>,
    pub new: Option<serde_json::Value>,
    pub subject_user_id: Option<Uuid>,
}

/// What a command's area needs besides the command: who, when, and the ids that the
/// history rows it writes must carry.
pub(crate) struct Ctx<'a> {
    pub actor: &'a Actor,
    pub now: chrono::DateTime<chrono::Utc>,
    pub command_id: Uuid,
    pub device_id: &'a str,
}

/// What an area's apply returns: the audited change, the further records a command over
/// several records changed (each its own audit row, so every record's story is found by
/// its own id), and the command as it must be replayed when the area resolved something
/// the caller left open (a number issued from this workstation's block, an auto-chosen
/// position).
pub(crate) struct Applied {
    pub change: Change,
    pub also: Vec<Change>,
    pub resolved: Option<Command>,
    /// The change touched only this workstation's own rows (its audit alarm's or report
    /// runs' notices): the command is not the lab's, so it has no outbox row.
    pub local: bool,
}

impl From<Change> for Applied {
    fn from(change: Change) -> Self {
        Applied {
            change,
            also: Vec::new(),
            resolved: None,
            local: false,
        }
    }
}

impl Applied {
    /// One audit row per record: the first change leads, the rest follow in order.
    pub(crate) fn per_record(mut changes: Vec<Change>) -> Result<Applied> {
        if changes.is_empty() {
            return Err(StoreError::Decode("a command changed no record".into()));
        }
        let change = changes.remove(0);
        Ok(Applied {
            change,
            also: changes,
            resolved: None,
            local: false,
        })
    }
}

/// The receipt of an executed command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Executed {
    pub command_id: Uuid,
    pub audit_seq: i64,
    pub entity_id: String,
}

/// Workstation state written in the same transaction as a command but not part of it: it
/// is never in the outbox, so the hub's replay of the command does not depend on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AlongWith {
    Nothing,
    /// A password change ends the user's other sessions on this workstation.
    EndOtherSessions {
        keep: Uuid,
    },
    /// Labels for the kit are owed: recorded with the kit, so a crash before its print job
    /// is queued leaves the kit listed as unprinted instead of silently without labels.
    KitLabelsOwed {
        registration_id: Uuid,
    },
    /// The kit's owed labels are queued by this print job.
    KitLabelsQueued {
        registration_id: Uuid,
    },
}

/// A command as it was first recorded, on the workstation where it was executed:
/// everything its replay depends on besides the command itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    pub command_id: Uuid,
    pub device_id: String,
    pub recorded_at: chrono::DateTime<chrono::Utc>,
}

/// How a recorded command runs again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Replay {
    /// On the hub: decided anew on the lab's state, with the hub's own audit entries
    /// (the original actor, device and recorded time).
    Hub,
    /// On the workstation after a pull: re-applied on the new state. Its audit entries and
    /// its outbox row were written when it first ran.
    Rebase,
}

/// A write transaction a caller holds around a replayed command, so the hub's own
/// bookkeeping (its claim of the command, its change counter) commits with it.
pub struct WriteTx {
    tx: sqlx::Transaction<'static, sqlx::Sqlite>,
    head: Option<ChainPoint>,
}

impl WriteTx {
    pub fn conn(&mut self) -> &mut SqliteConnection {
        &mut self.tx
    }

    /// Marks a point to undo back to: one command of a batch the hub decides in one
    /// transaction, so a refused command leaves nothing while the others stay.
    pub async fn savepoint(&mut self) -> Result<Savepoint> {
        sqlx::query("SAVEPOINT command")
            .execute(&mut *self.tx)
            .await?;
        Ok(Savepoint {
            head: self.head.clone(),
        })
    }

    /// Keeps everything since the savepoint.
    pub async fn release(&mut self, _savepoint: Savepoint) -> Result<()> {
        sqlx::query("RELEASE command")
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    /// Undoes everything since the savepoint, audit entries included.
    pub async fn rollback_to(&mut self, savepoint: Savepoint) -> Result<()> {
        sqlx::query("ROLLBACK TO command")
            .execute(&mut *self.tx)
            .await?;
        sqlx::query("RELEASE command")
            .execute(&mut *self.tx)
            .await?;
        self.head = savepoint.head;
        Ok(())
    }
}

/// A point inside a [`WriteTx`] to undo back to.
#[must_use]
pub struct Savepoint {
    head: Option<ChainPoint>,
}

impl Store {
    pub async fn execute(&self, actor: &Actor, command: Command) -> Result<Executed> {
        self.execute_along_with(actor, command, AlongWith::Nothing)
            .await
    }

    /// [`Store::execute`], writing `along` in the command's transaction.
    pub async fn execute_along_with(
        &self,
        actor: &Actor,
        command: Command,
        along: AlongWith,
    ) -> Result<Executed> {
        let permission = command.kind().permission();
        if !actor.role.may(permission) {
            self.record_refusal(actor, permission).await;
            return Err(StoreError::Forbidden(permission));
        }
        let command = command.with_checked_reason()?;
        let recorded = Recorded {
            command_id: Uuid::now_v7(),
            device_id: self.device_id.clone(),
            recorded_at: self.clock.now(),
        };
        // IMMEDIATE takes the write lock now, so the state we load cannot change under us.
        let mut tx = self.begin_write().await?;
        let writes = Writes {
            undo: self.is_syncing() && command.lab_part().is_some(),
            ..Writes::LOCAL
        };
        let executed = run(&mut tx, actor, &recorded, &command, &along, writes).await?;
        self.commit_write(tx).await?;
        Ok(executed)
    }

    /// Opens the one kind of write transaction (`BEGIN IMMEDIATE`).
    pub async fn begin_write(&self) -> Result<WriteTx> {
        Ok(WriteTx {
            tx: self.pool.begin_with("BEGIN IMMEDIATE").await?,
            head: None,
        })
    }

    /// Commits, moving the audit anchor to the newest entry the transaction appended.
    pub async fn commit_write(&self, tx: WriteTx) -> Result<()> {
        match tx.head {
            Some(head) => self.commit_audited(tx.tx, head).await,
            None => Ok(tx.tx.commit().await?),
        }
    }

    /// Runs a recorded command again, inside `tx`, through the same rules as when it was
    /// first executed: permission (the actor's role where it replays), reason, the area's
    /// rule and write. An error leaves `tx` to be dropped, which undoes everything.
    pub async fn replay(
        &self,
        tx: &mut WriteTx,
        actor: &Actor,
        recorded: &Recorded,
        command: &Command,
        how: Replay,
    ) -> Result<Executed> {
        let permission = command.kind().permission();
        if !actor.role.may(permission) {
            return Err(StoreError::Forbidden(permission));
        }
        let command = command.clone().with_checked_reason()?;
        let writes = match how {
            Replay::Hub => Writes::HUB,
            Replay::Rebase => Writes::REBASE,
        };
        let executed = run(tx, actor, recorded, &command, &AlongWith::Nothing, writes).await?;
        Ok(executed)
    }
}

/// What a run writes besides the command's own effect.
#[derive(Clone, Copy)]
struct Writes {
    audit: bool,
    outbox: bool,
    /// Record before-images of lab rows (a workstation enrolled with a hub; a rebase
    /// records them itself).
    undo: bool,
}

impl Writes {
    const LOCAL: Writes = Writes {
        audit: true,
        outbox: true,
        undo: false,
    };
    const HUB: Writes = Writes {
        audit: true,
        outbox: false,
        undo: false,
    };
    const REBASE: Writes = Writes {
        audit: false,
        outbox: false,
        undo: false,
    };
}

/// The one body of every command run: the area's apply, the workstation state along with
/// it, one audit row per record changed, the outbox row of its lab part.
async fn run(
    tx: &mut WriteTx,
    actor: &Actor,
    recorded: &Recorded,
    command: &Command,
    along: &AlongWith,
    writes: Writes,
) -> Result<Executed> {
    let kind = command.kind();
    let ctx = Ctx {
        actor,
        now: recorded.recorded_at,
        command_id: recorded.command_id,
        device_id: &recorded.device_id,
    };
    if writes.undo {
        crate::sync::start_recording(&mut tx.tx, recorded.command_id).await?;
    }
    let Applied {
        change,
        also,
        resolved,
        local,
    } = apply(&mut tx.tx, &ctx, command).await?;
    if writes.undo {
        crate::sync::stop_recording(&mut tx.tx).await?;
    }
    apply_along(&mut tx.tx, &ctx, along).await?;
    let entity_id = change.entity_id.clone();
    if writes.audit {
        for change in std::iter::once(change).chain(also) {
            // The head this transaction appended last is the chain's head: the write
            // lock is ours, and a savepoint undone restores it.
            let head = tx.head.clone();
            tx.head = Some(
                audit::append_after(
                    &mut tx.tx,
                    &AuditEntry {
                        actor_id: actor.user_id,
                        actor_name: actor.username.clone(),
                        at: recorded.recorded_at,
                        action: AuditAction::of_command(kind),
                        entity_type: change.entity_type,
                        entity_id: change.entity_id,
                        old_value: change.old,
                        new_value: change.new,
                        reason: command.reason().map(str::to_owned),
                        context: AuditContext {
                            device_id: recorded.device_id.clone(),
                            command_id: Some(recorded.command_id),
                            subject_user_id: change.subject_user_id,
                        },
                    },
                    head.as_ref(),
                )
                .await?,
            );
        }
    }
    let resolved = resolved.as_ref().unwrap_or(command);
    if writes.outbox && !local {
        if let Some(lab_part) = resolved.lab_part() {
            outbox::append(
                &mut tx.tx,
                &outbox::OutboxEntry {
                    command_id: recorded.command_id,
                    device_id: recorded.device_id.clone(),
                    recorded_at: recorded.recorded_at,
                    kind,
                    schema_version: COMMAND_SCHEMA_VERSION,
                    actor_id: actor.user_id,
                    command: &lab_part,
                },
            )
            .await?;
        }
    }
    Ok(Executed {
        command_id: recorded.command_id,
        audit_seq: tx.head.as_ref().map_or(0, |h| h.seq),
        entity_id,
    })
}

async fn apply_along(conn: &mut SqliteConnection, ctx: &Ctx<'_>, along: &AlongWith) -> Result<()> {
    match along {
        AlongWith::Nothing => Ok(()),
        AlongWith::EndOtherSessions { keep } => {
            crate::auth::end_other_sessions(conn, ctx.actor.user_id, *keep, ctx.now).await
        }
        AlongWith::KitLabelsOwed { registration_id } => {
            printing::owe_kit_labels(conn, ctx, *registration_id).await
        }
        AlongWith::KitLabelsQueued { registration_id } => {
            printing::kit_labels_queued(conn, *registration_id).await
        }
    }
}

/// Routes a command to its area. Exhaustive, so a new command kind cannot be forgotten.
async fn apply(conn: &mut SqliteConnection, ctx: &Ctx<'_>, command: &Command) -> Result<Applied> {
    let (actor, now) = (ctx.actor, ctx.now);
    let change = match command {
        Command::CreateFirstAdmin {
            user_id,
            username,
            display_name,
            password_hash,
        } => {
            users::create_first_admin(conn, *user_id, username, display_name, password_hash, now)
                .await
        }
        Command::CreateUser {
            user_id,
            username,
            display_name,
            role,
            password_hash,
        } => {
            users::create_user(
                conn,
                *user_id,
                username,
                display_name,
                *role,
                password_hash,
                now,
            )
            .await
        }
        Command::ChangeRole { user_id, role, .. } => {
            users::change_role(conn, *user_id, *role, now).await
        }
        Command::DeactivateUser { user_id, .. } => {
            users::deactivate(conn, actor, *user_id, now).await
        }
        Command::ReactivateUser { user_id, .. } => users::reactivate(conn, *user_id, now).await,
        Command::ChangePassword { password_hash } => {
            users::change_password(conn, actor, password_hash, now).await
        }
        Command::IssuePasswordReset {
            user_id,
            reset_id,
            token_hash,
            expires_at,
            ..
        } => {
            users::issue_reset(
                conn,
                actor,
                *user_id,
                *reset_id,
                token_hash,
                *expires_at,
                now,
            )
            .await
        }
        Command::RedeemPasswordReset {
            token_hash,
            password_hash,
        } => users::redeem_reset(conn, actor, token_hash, password_hash, now).await,
        Command::ChangeSettings { settings, .. } => {
            return settings::change_all(conn, actor, settings, now).await
        }
        Command::CreateSite { .. }
        | Command::UpdateSite { .. }
        | Command::VoidSite { .. }
        | Command::AssignNumberBlock { .. }
        | Command::RegisterParticipant { .. }
        | Command::RecordConsent { .. }
        | Command::CreateFieldEvent { .. }
        | Command::CheckInParticipant { .. } => {
            return registration::apply(conn, ctx, command).await
        }
        Command::CreateKitTemplate { .. }
        | Command::ReviseKitTemplate { .. }
        | Command::RetireKitTemplate { .. }
        | Command::CreateSampleType { .. }
        | Command::RetireSampleType { .. }
        | Command::RegisterKit { .. }
        | Command::TransitionSample { .. }
        | Command::ReceiveSamples { .. }
        | Command::CreateAliquots { .. }
        | Command::RequestDiscard { .. }
        | Command::DecideDiscard { .. } => return samples::apply(conn, ctx, command).await,
        Command::RegisterInstrument { .. }
        | Command::EditInstrument { .. }
        | Command::SetInstrumentStatus { .. }
        | Command::AddControlLot { .. } => return instruments::apply(conn, ctx, command).await,
        Command::CreatePlateTemplate { .. }
        | Command::CreateRun { .. }
        | Command::FillWell { .. }
        | Command::ClearWell { .. }
        | Command::ImportResults { .. }
        | Command::DecideRun { .. } => return runs::apply(conn, ctx, command).await,
        Command::ImportResultSet { .. } | Command::SetPartnerMapping { .. } => {
            return result_sets::apply(conn, ctx, command).await
        }
        Command::CreateFreezer { .. }
        | Command::CreateRack { .. }
        | Command::CreateBox { .. }
        | Command::AddRacksAndBoxes { .. }
        | Command::MoveBox { .. }
        | Command::VoidStorage { .. }
        | Command::EditStorage { .. }
        | Command::PlaceSamples { .. }
        | Command::CheckOutSamples { .. }
        | Command::CheckInSamples { .. }
        | Command::UnplaceSample { .. } => return storage::apply(conn, ctx, command).await,
        Command::ConfigurePrinter { .. }
        | Command::RenamePrinter { .. }
        | Command::RemovePrinter { .. }
        | Command::QueuePrint { .. } => return printing::apply(conn, ctx, command).await,
        Command::SetWatchFolder {
            instrument_id,
            folder,
            auto_import,
            ..
        } => {
            return watch_folders::set(conn, ctx, *instrument_id, folder.as_deref(), *auto_import)
                .await
        }
        Command::SaveReport { .. }
        | Command::ChangeSavedReport { .. }
        | Command::VoidSavedReport { .. }
        | Command::ScheduleReport { .. }
        | Command::VoidSchedule { .. }
        | Command::RecordReportRun { .. } => return saved_reports::apply(conn, ctx, command).await,
        Command::MarkNotificationRead { notification_id } => {
            return notifications::mark_read(conn, ctx, *notification_id).await
        }
        Command::ResolveSyncIssue {
            command_id,
            resolution,
            reason,
        } => sync_issues::resolve(conn, ctx, *command_id, *resolution, reason).await,
    }?;
    Ok(change.into())
}
