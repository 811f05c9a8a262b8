//! A push: each command claimed by its id, taken in the device's order, decided through
//! the shared executor. One decision holds the batch (one write transaction, and on
//! PostgreSQL the record's transaction beside it: `record`); each command runs inside its
//! own savepoint, so a refused command leaves nothing but its recorded refusal, and takes
//! its own change number.

use crate::db::{self, ActorRefusal};
use crate::record::Decision;
use crate::{Device, Hub, HubFailure};
use aliquot_domain::audit::StoredAuditRow;
use aliquot_domain::{Command, COMMAND_SCHEMA_VERSION};
use aliquot_store::{Recorded, Replay, StoreError};
use aliquot_sync::plan::{self, Execution, Step};
use aliquot_sync::{
    CommandResult, Outcome, PushRequest, PushResponse, PushedCommand, Stopped, MAX_PUSH_BATCH,
};

pub(crate) async fn push(
    hub: &Hub,
    device: &Device,
    request: PushRequest,
) -> Result<PushResponse, HubFailure> {
    if request.device_id != device.device_id {
        return Err(HubFailure::forbidden(
            "wrong_device",
            "a workstation pushes only its own commands",
        ));
    }
    if request.commands.len() > MAX_PUSH_BATCH {
        return Err(HubFailure::bad_request(
            "batch_too_large",
            format!("at most {MAX_PUSH_BATCH} commands per push"),
        ));
    }
    let store = hub.store();
    let mut decision = hub.record.begin(store).await?;
    let mut last = decision.device_last_seq(&device.device_id).await?;
    let chain = check_audit_chain(&mut decision, device, &request.audit).await?;
    if let Some(why) = chain.broken {
        // Nothing of a device whose trail broke is decided until someone has looked.
        let results = request
            .commands
            .iter()
            .map(|c| CommandResult {
                seq: c.seq,
                command_id: c.command_id,
                outcome: Outcome::Held { why: why.clone() },
                duplicate: false,
            })
            .collect();
        decision.finish(store).await?;
        return Ok(PushResponse {
            results,
            stopped: None,
            last_seq: last,
            audit_acked_seq: chain.seq,
        });
    }
    let mut results = Vec::with_capacity(request.commands.len());
    let mut stopped = None;
    let ids: Vec<_> = request.commands.iter().map(|c| c.command_id).collect();
    let mut claims = decision.claims_of(&ids, &device.device_id).await?;
    let mut claimed = Vec::new();
    for pushed in &request.commands {
        let hash = pushed.payload_hash();
        match plan::plan_command(claims.get(&pushed.command_id), last, pushed.seq, &hash) {
            Step::Answer {
                outcome,
                duplicate,
                advance,
            } => {
                if advance {
                    last = pushed.seq;
                }
                results.push(CommandResult {
                    seq: pushed.seq,
                    command_id: pushed.command_id,
                    outcome,
                    duplicate,
                });
            }
            Step::Stop(stop) => {
                stopped = Some(stop);
                break;
            }
            Step::Execute => match decide(hub, &mut decision, device, pushed).await? {
                Ok((outcome, change)) => {
                    last = pushed.seq;
                    claimed.push(db::NewClaim {
                        command_id: pushed.command_id,
                        seq: pushed.seq,
                        payload_hash: hash.clone(),
                        outcome: serde_json::to_string(&outcome)
                            .map_err(|e| HubFailure::internal(format!("outcome: {e}")))?,
                        change,
                    });
                    // The same id again later in this push is answered from this claim.
                    claims.insert(
                        pushed.command_id,
                        plan::Claim {
                            payload_hash: hash,
                            outcome: outcome.clone(),
                        },
                    );
                    results.push(CommandResult {
                        seq: pushed.seq,
                        command_id: pushed.command_id,
                        outcome,
                        duplicate: false,
                    });
                }
                Err(stop) => {
                    stopped = Some(stop);
                    break;
                }
            },
        }
    }
    // The claims, the device's sequence and the open change are written once for the
    // batch: it is one transaction, so nothing outside it sees them in between.
    decision
        .record_claims(&device.device_id, hub.now(), &claimed)
        .await?;
    decision
        .set_device_last_seq(&device.device_id, last)
        .await?;
    db::end_change(decision.local().conn()).await?;
    decision.finish(store).await?;
    Ok(PushResponse {
        results,
        stopped,
        last_seq: last,
        audit_acked_seq: chain.seq,
    })
}

/// Checks the device's audit rows as they arrive, continuing its chain from the last row
/// the hub kept: each row's own hash, its link to the one before, no gap; a row sent again
/// must be the one kept. The rows are kept; a break flags the device.
async fn check_audit_chain(
    decision: &mut Decision,
    device: &Device,
    rows: &[StoredAuditRow],
) -> Result<db::DeviceChain, HubFailure> {
    let mut chain = decision.device_chain(&device.device_id).await?;
    if chain.broken.is_some() {
        return Ok(chain);
    }
    if chain.restart {
        // An administrator reviewed the break: the rows sent now are kept as they are and
        // the chain is checked from the last of them on.
        let fresh: Vec<&StoredAuditRow> = rows.iter().filter(|r| r.seq > chain.seq).collect();
        if let Some(last) = fresh.last() {
            decision
                .keep_device_audit(&device.device_id, &fresh)
                .await?;
            decision
                .set_device_chain(&device.device_id, last.seq, &last.hash)
                .await?;
            chain.seq = last.seq;
            chain.hash = last.hash.clone();
            chain.restart = false;
        }
        return Ok(chain);
    }
    let mut fresh = Vec::new();
    for row in rows {
        if row.seq <= chain.seq {
            let kept = decision
                .device_audit_hash(&device.device_id, row.seq)
                .await?;
            if kept.is_some_and(|kept| kept != row.hash) {
                chain.broken = Some(format!(
                    "audit entry {} changed on the workstation after the hub received it",
                    row.seq
                ));
                break;
            }
        } else {
            fresh.push(row);
        }
    }
    if chain.broken.is_none() && !fresh.is_empty() {
        let (mut seq, mut hash) = (chain.seq, chain.hash.clone());
        match aliquot_domain::audit::verify_rows(fresh.iter().copied(), &mut seq, &mut hash) {
            Some(problem) => {
                chain.broken = Some(format!(
                    "the workstation's audit trail is broken: {problem:?}"
                ));
            }
            None => {
                decision
                    .keep_device_audit(&device.device_id, &fresh)
                    .await?;
                decision
                    .set_device_chain(&device.device_id, seq, &hash)
                    .await?;
                chain.seq = seq;
                chain.hash = hash;
            }
        }
    }
    if let Some(why) = &chain.broken {
        tracing::warn!(device = %device.device_id, %why, "device audit chain broken; its commands are held");
        decision.break_device_chain(&device.device_id, why).await?;
    }
    Ok(chain)
}

/// Decides one command that is the device's next: runs it, or keeps only its refusal;
/// answers the outcome and the change that carries it (its claim is recorded with the
/// batch's). `Err` stops the batch (nothing of this command stays).
async fn decide(
    hub: &Hub,
    decision: &mut Decision,
    device: &Device,
    pushed: &PushedCommand,
) -> Result<Result<(Outcome, i64), Stopped>, HubFailure> {
    let command = match read_command(pushed) {
        Ok(command) => command,
        Err(stop) => return Ok(Err(stop)),
    };
    let tx = decision.local();
    let savepoint = tx.savepoint().await?;
    let change = db::begin_change(tx.conn()).await?;
    let execution = execute(hub, tx, device, pushed, &command, change).await?;
    let outcome = match plan::outcome_of(execution) {
        Ok(outcome) => outcome,
        Err(stop) => {
            tx.rollback_to(savepoint).await?;
            return Ok(Err(stop));
        }
    };
    let change = match outcome {
        Outcome::Applied { .. } => {
            tx.release(savepoint).await?;
            change
        }
        // Nothing of a refused command stays; its refusal takes a change of its own, so
        // a pull tells the device it was decided.
        _ => {
            tx.rollback_to(savepoint).await?;
            let change = db::begin_change(tx.conn()).await?;
            if let Outcome::Rejected {
                reason_code,
                details,
                message,
            } = &outcome
            {
                db::record_sync_issue(
                    tx.conn(),
                    device,
                    pushed,
                    hub.now(),
                    reason_code,
                    message,
                    details,
                )
                .await?;
            }
            change
        }
    };
    Ok(Ok((outcome, change)))
}

/// The command a pushed payload holds, if this hub can read it.
fn read_command(pushed: &PushedCommand) -> Result<Command, Stopped> {
    let upgrade = || Stopped::UpgradeHub {
        kind: pushed.kind.clone(),
        schema_version: pushed.schema_version,
    };
    if pushed.schema_version != COMMAND_SCHEMA_VERSION {
        return Err(upgrade());
    }
    let command: Command = serde_json::from_value(pushed.payload.clone()).map_err(|_| upgrade())?;
    if command.kind().as_str() != pushed.kind {
        return Err(upgrade());
    }
    Ok(command)
}

async fn execute(
    hub: &Hub,
    tx: &mut aliquot_store::WriteTx,
    device: &Device,
    pushed: &PushedCommand,
    command: &Command,
    change: i64,
) -> Result<Execution, HubFailure> {
    // Only what the lab decides travels; a workstation's own state never does.
    if command.lab_part().as_ref() != Some(command) {
        return Ok(refused(
            "not_a_lab_command",
            "this command changes one workstation's own state, which the hub does not keep",
        ));
    }
    let actor = match db::actor_for_replay(tx.conn(), pushed.actor_id, pushed.recorded_at).await? {
        Ok(actor) => actor,
        Err(ActorRefusal::Unknown) => {
            return Ok(refused(
                "unknown_actor",
                "the hub does not know the user who recorded this command",
            ))
        }
        Err(ActorRefusal::Inactive) => {
            return Ok(refused(
                "actor_inactive",
                "the user who recorded this command had been deactivated by then",
            ))
        }
    };
    let recorded = Recorded {
        command_id: pushed.command_id,
        device_id: device.device_id.clone(),
        recorded_at: pushed.recorded_at,
    };
    Ok(
        match hub
            .store()
            .replay(tx, &actor, &recorded, command, Replay::Hub)
            .await
        {
            Ok(_) => Execution::Applied { change },
            Err(e) => execution_of_error(e),
        },
    )
}

fn refused(reason_code: &str, message: &str) -> Execution {
    Execution::Refused {
        reason_code: reason_code.to_owned(),
        details: serde_json::json!({}),
        message: message.to_owned(),
    }
}

/// A rule's refusal is a refusal; a failing hub is never one. A constraint the database
/// enforces (a unique code, a foreign key) refuses the same way every time, so it is a
/// refusal too: retrying it would wedge the device's queue.
fn execution_of_error(e: StoreError) -> Execution {
    match e {
        StoreError::Domain(d) => Execution::Refused {
            reason_code: d.reason_code().to_owned(),
            details: d.details(),
            message: d.to_string(),
        },
        StoreError::Forbidden(p) => Execution::Refused {
            reason_code: "forbidden".to_owned(),
            details: serde_json::json!({"permission": format!("{p:?}")}),
            message: "the user's role may not do this".to_owned(),
        },
        StoreError::Database(sqlx::Error::Database(db))
            if matches!(
                db.kind(),
                sqlx::error::ErrorKind::UniqueViolation
                    | sqlx::error::ErrorKind::ForeignKeyViolation
                    | sqlx::error::ErrorKind::NotNullViolation
                    | sqlx::error::ErrorKind::CheckViolation
            ) =>
        {
            Execution::Refused {
                reason_code: "constraint".to_owned(),
                details: serde_json::json!({}),
                message: format!("the lab's data does not allow this: {}", db.message()),
            }
        }
        other => Execution::Infrastructure {
            why: other.to_string(),
        },
    }
}
