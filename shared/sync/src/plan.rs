//! The protocol's decisions, without IO. The hub asks [`plan_command`] what to do with each
//! pushed command and [`outcome_of`] what its execution means; the workstation asks
//! [`after_push`] what the answers mean for its outbox and [`retry_delay`] when to try
//! again. Each is a plain function tested with a case table below.

use crate::wire::{CommandResult, Outcome, PushResponse, Stopped, TableDigest};
use std::time::Duration;

/// What the hub already holds for a pushed command's id.
#[derive(Debug, Clone, PartialEq)]
pub struct Claim {
    pub payload_hash: String,
    pub outcome: Outcome,
}

/// What the hub does with one pushed command, before any execution.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// Run it through the executor; it is the device's next command.
    Execute,
    /// Answer without executing (a resend, or an id reused for another command);
    /// `advance` moves the device's sequence past it.
    Answer {
        outcome: Outcome,
        duplicate: bool,
        advance: bool,
    },
    /// Stop reading the batch here.
    Stop(Stopped),
}

/// The hub's rule for one pushed command, in order: a known id answers from its claim
/// (same payload: the stored result; another payload: `key_reuse`); then the device's
/// sequence must be the next one (a gap stops the batch); a sequence number already
/// decided under another id means the workstation's outbox went back in time (restored
/// from an old copy) and is refused, never executed again.
pub fn plan_command(
    existing: Option<&Claim>,
    device_last_seq: i64,
    seq: i64,
    payload_hash: &str,
) -> Step {
    let next = device_last_seq + 1;
    match existing {
        Some(claim) if claim.payload_hash == payload_hash => Step::Answer {
            outcome: claim.outcome.clone(),
            duplicate: true,
            advance: false,
        },
        Some(_) if seq > next => Step::Stop(Stopped::OutOfOrder { expected_seq: next }),
        Some(_) => Step::Answer {
            outcome: refusal(
                "key_reuse",
                "this command's id was already used by another command; the workstation \
                 must not reuse ids (report it to the lab's administrator)",
            ),
            duplicate: false,
            advance: seq == next,
        },
        None if seq == next => Step::Execute,
        None if seq > next => Step::Stop(Stopped::OutOfOrder { expected_seq: next }),
        None => Step::Answer {
            outcome: refusal(
                "sequence_reused",
                "the hub already decided this workstation's command of this number: its \
                 outbox was restored from an older copy. Nothing was applied; an \
                 administrator must re-enroll the workstation",
            ),
            duplicate: false,
            advance: false,
        },
    }
}

fn refusal(reason_code: &str, message: &str) -> Outcome {
    Outcome::Rejected {
        reason_code: reason_code.to_owned(),
        details: serde_json::json!({}),
        message: message.to_owned(),
    }
}

/// How an execution on the hub ended, as the executor reports it.
#[derive(Debug, Clone, PartialEq)]
pub enum Execution {
    Applied {
        change: i64,
    },
    /// A rule of the lab refused it (a domain error, a permission).
    Refused {
        reason_code: String,
        details: serde_json::Value,
        message: String,
    },
    /// The hub itself failed (database, disk). Never a refusal: the command is tried
    /// again later, unchanged.
    Infrastructure {
        why: String,
    },
}

/// What an execution means: an outcome stored with the command (and the device's
/// sequence moved past it), or a stop of the batch.
pub fn outcome_of(execution: Execution) -> Result<Outcome, Stopped> {
    match execution {
        Execution::Applied { change } => Ok(Outcome::Applied { change }),
        Execution::Refused {
            reason_code,
            details,
            message,
        } => Ok(Outcome::Rejected {
            reason_code,
            details,
            message,
        }),
        Execution::Infrastructure { why } => Err(Stopped::RetryLater { why }),
    }
}

/// Where an outbox row stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutboxStatus {
    /// Not decided by the hub yet (not sent, or sent and not answered).
    Pending,
    Applied,
    /// Applied when an earlier delivery arrived; this answer repeated it.
    Duplicate,
    Rejected,
    /// The hub holds it for an administrator's review.
    Held,
}

impl OutboxStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            OutboxStatus::Pending => "pending",
            OutboxStatus::Applied => "applied",
            OutboxStatus::Duplicate => "duplicate",
            OutboxStatus::Rejected => "rejected",
            OutboxStatus::Held => "held",
        }
    }

    pub fn parse(s: &str) -> Option<OutboxStatus> {
        [
            OutboxStatus::Pending,
            OutboxStatus::Applied,
            OutboxStatus::Duplicate,
            OutboxStatus::Rejected,
            OutboxStatus::Held,
        ]
        .into_iter()
        .find(|x| x.as_str() == s)
    }

    /// The hub has ruled on it for good.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            OutboxStatus::Applied | OutboxStatus::Duplicate | OutboxStatus::Rejected
        )
    }
}

/// The status an answer gives its outbox row.
pub fn status_of(result: &CommandResult) -> OutboxStatus {
    match (&result.outcome, result.duplicate) {
        (Outcome::Applied { .. }, false) => OutboxStatus::Applied,
        (Outcome::Applied { .. }, true) => OutboxStatus::Duplicate,
        (Outcome::Rejected { .. }, _) => OutboxStatus::Rejected,
        (Outcome::Held { .. }, _) => OutboxStatus::Held,
    }
}

/// What the workstation does after a push answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AfterPush {
    /// Everything sent was decided; push again if more is pending, then pull.
    Continue,
    /// The hub expects an earlier command again (an answer was lost): send from there.
    ResendFrom { seq: i64 },
    /// Try again after a pause (the hub could not decide now).
    Wait,
    /// The hub cannot read a command of this build: stop pushing until the hub is
    /// updated; pulling goes on.
    UpgradeHub,
    /// The hub is ahead of this outbox: the workstation's database went back in time.
    /// Syncing stops until an administrator re-enrolls it.
    OutboxBehindHub { hub_last_seq: i64 },
}

/// `first_pending` is the oldest sequence still pending in the outbox, `last_outbox`
/// the newest sequence it holds at all.
pub fn after_push(response: &PushResponse, last_outbox: i64) -> AfterPush {
    if response.last_seq > last_outbox {
        return AfterPush::OutboxBehindHub {
            hub_last_seq: response.last_seq,
        };
    }
    match &response.stopped {
        None => AfterPush::Continue,
        Some(Stopped::OutOfOrder { expected_seq }) if *expected_seq > last_outbox => {
            AfterPush::OutboxBehindHub {
                hub_last_seq: expected_seq - 1,
            }
        }
        Some(Stopped::OutOfOrder { expected_seq }) => AfterPush::ResendFrom { seq: *expected_seq },
        Some(Stopped::RetryLater { .. }) => AfterPush::Wait,
        Some(Stopped::UpgradeHub { .. }) => AfterPush::UpgradeHub,
    }
}

/// The pause before attempt `attempt` (0 for the first retry): doubling from one second
/// up to five minutes, with "equal jitter" (half fixed, half random from `unit` in
/// [0, 1)) so workstations that lost the hub together do not return together.
pub fn retry_delay(attempt: u32, unit: f64) -> Duration {
    const BASE_MS: u64 = 1_000;
    const CAP_MS: u64 = 300_000;
    let ceiling = BASE_MS.saturating_mul(1u64 << attempt.min(20)).min(CAP_MS);
    let unit = if unit.is_finite() {
        unit.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let half = ceiling / 2;
    Duration::from_millis(half + (half as f64 * unit) as u64)
}

/// A record's sync state, as the technician sees it on the record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordSyncState {
    /// Changed only by this workstation's own state (never synced), or no hub.
    LocalOnly,
    /// A change of it waits to be decided by the hub.
    Queued,
    /// Every change of it the workstation made is decided and applied.
    Applied,
    /// The hub refused a change of it: see Sync issues.
    Rejected,
}

/// The sync state of a record from the statuses of the outbox rows that changed it
/// (oldest first). A record no command of this workstation changed came from the hub: it
/// is as the hub has it. A refusal stands until a later command of the record is applied
/// (the technician put it right); until then it outranks what still waits.
pub fn record_state(statuses: &[OutboxStatus], hub_connected: bool) -> RecordSyncState {
    if !hub_connected {
        return RecordSyncState::LocalOnly;
    }
    let last_decided = statuses.iter().rev().find(|s| s.is_terminal());
    if last_decided == Some(&OutboxStatus::Rejected) {
        return RecordSyncState::Rejected;
    }
    if statuses.iter().any(|s| !s.is_terminal()) {
        return RecordSyncState::Queued;
    }
    RecordSyncState::Applied
}

/// The lab tables whose digest differs between the workstation and the hub at the same
/// cursor (or that one side lacks): each is resynced whole, and reported.
pub fn diverged(local: &[TableDigest], hub: &[TableDigest]) -> Vec<String> {
    let mut out: Vec<String> = hub
        .iter()
        .filter(|h| !local.contains(h))
        .map(|h| h.table.clone())
        .collect();
    for l in local {
        if !hub.iter().any(|h| h.table == l.table) {
            out.push(l.table.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;
    use uuid::Uuid;

    fn applied(change: i64) -> Outcome {
        Outcome::Applied { change }
    }

    fn code(outcome: &Outcome) -> &str {
        match outcome {
            Outcome::Rejected { reason_code, .. } => reason_code,
            _ => "",
        }
    }

    // existing claim: None, or Some(hash, outcome); device's last seq; pushed seq; hash
    #[rstest]
    // The device's next command, never seen: run it.
    #[case::next_new(None, 4, 5, "h", "execute")]
    #[case::first_ever(None, 0, 1, "h", "execute")]
    // A gap stops the batch, naming the seq the hub wants.
    #[case::gap(None, 4, 7, "h", "stop out_of_order 5")]
    #[case::gap_first(None, 0, 2, "h", "stop out_of_order 1")]
    // A resend of a decided command gets the stored answer, whatever its seq now.
    #[case::resend_applied(Some(("h", applied(9))), 5, 5, "h", "answer applied duplicate")]
    #[case::resend_after_more(Some(("h", applied(9))), 8, 5, "h", "answer applied duplicate")]
    // The same id with another payload: key reuse; the device's next seq moves on.
    #[case::key_reuse_next(Some(("h", applied(9))), 4, 5, "other", "answer key_reuse advance")]
    #[case::key_reuse_old(Some(("h", applied(9))), 8, 5, "other", "answer key_reuse")]
    #[case::key_reuse_gap(Some(("h", applied(9))), 4, 9, "other", "stop out_of_order 5")]
    // A decided seq under a new id: the outbox went back in time.
    #[case::seq_reused(None, 8, 5, "h", "answer sequence_reused")]
    #[case::seq_reused_last(None, 8, 8, "h", "answer sequence_reused")]
    fn the_hub_plans_each_pushed_command(
        #[case] existing: Option<(&str, Outcome)>,
        #[case] last: i64,
        #[case] seq: i64,
        #[case] hash: &str,
        #[case] expected: &str,
    ) {
        let claim = existing.map(|(h, outcome)| Claim {
            payload_hash: h.to_owned(),
            outcome,
        });
        let got = match plan_command(claim.as_ref(), last, seq, hash) {
            Step::Execute => "execute".to_owned(),
            Step::Stop(Stopped::OutOfOrder { expected_seq }) => {
                format!("stop out_of_order {expected_seq}")
            }
            Step::Stop(other) => format!("stop {other:?}"),
            Step::Answer {
                outcome,
                duplicate,
                advance,
            } => {
                let what = match &outcome {
                    Outcome::Applied { .. } => "applied".to_owned(),
                    other => code(other).to_owned(),
                };
                let mut s = format!("answer {what}");
                if duplicate {
                    s.push_str(" duplicate");
                }
                if advance {
                    s.push_str(" advance");
                }
                s
            }
        };
        assert_eq!(got, expected);
    }

    #[test]
    fn a_resend_answers_the_stored_refusal_too() {
        let refused = Outcome::Rejected {
            reason_code: "position_occupied".into(),
            details: serde_json::json!({"position": "A1", "occupant": "AB0001X"}),
            message: "position A1 already holds AB0001X".into(),
        };
        let claim = Claim {
            payload_hash: "h".into(),
            outcome: refused.clone(),
        };
        assert_eq!(
            plan_command(Some(&claim), 3, 3, "h"),
            Step::Answer {
                outcome: refused,
                duplicate: true,
                advance: false
            }
        );
    }

    #[rstest]
    #[case::applied(Execution::Applied { change: 12 }, Ok(applied(12)))]
    #[case::refused(
        Execution::Refused { reason_code: "stale_state".into(), details: serde_json::json!({"current": "stored"}), message: "m".into() },
        Ok(Outcome::Rejected { reason_code: "stale_state".into(), details: serde_json::json!({"current": "stored"}), message: "m".into() })
    )]
    // A failing disk is never a refusal.
    #[case::infrastructure(
        Execution::Infrastructure { why: "disk I/O error".into() },
        Err(Stopped::RetryLater { why: "disk I/O error".into() })
    )]
    fn an_execution_becomes_an_outcome_or_a_stop(
        #[case] execution: Execution,
        #[case] expected: Result<Outcome, Stopped>,
    ) {
        assert_eq!(outcome_of(execution), expected);
    }

    fn result(outcome: Outcome, duplicate: bool) -> CommandResult {
        CommandResult {
            seq: 1,
            command_id: Uuid::nil(),
            outcome,
            duplicate,
        }
    }

    #[rstest]
    #[case(applied(1), false, OutboxStatus::Applied)]
    #[case(applied(1), true, OutboxStatus::Duplicate)]
    #[case(Outcome::Rejected { reason_code: "x".into(), details: serde_json::json!({}), message: "m".into() }, false, OutboxStatus::Rejected)]
    #[case(Outcome::Rejected { reason_code: "x".into(), details: serde_json::json!({}), message: "m".into() }, true, OutboxStatus::Rejected)]
    #[case(Outcome::Held { why: "chain".into() }, false, OutboxStatus::Held)]
    fn an_answer_gives_its_outbox_row_a_status(
        #[case] outcome: Outcome,
        #[case] duplicate: bool,
        #[case] expected: OutboxStatus,
    ) {
        assert_eq!(status_of(&result(outcome, duplicate)), expected);
        assert_eq!(OutboxStatus::parse(expected.as_str()), Some(expected));
    }

    #[test]
    fn only_decided_rows_are_terminal() {
        assert!(OutboxStatus::Applied.is_terminal());
        assert!(OutboxStatus::Duplicate.is_terminal());
        assert!(OutboxStatus::Rejected.is_terminal());
        assert!(!OutboxStatus::Pending.is_terminal());
        assert!(!OutboxStatus::Held.is_terminal());
        assert_eq!(OutboxStatus::parse("lost"), None);
    }

    fn response(stopped: Option<Stopped>, last_seq: i64) -> PushResponse {
        PushResponse {
            results: Vec::new(),
            stopped,
            last_seq,
            audit_acked_seq: 0,
        }
    }

    #[rstest]
    #[case::all_decided(None, 10, 10, AfterPush::Continue)]
    #[case::resend(Some(Stopped::OutOfOrder { expected_seq: 7 }), 6, 10, AfterPush::ResendFrom { seq: 7 })]
    #[case::retry(Some(Stopped::RetryLater { why: "busy".into() }), 6, 10, AfterPush::Wait)]
    #[case::upgrade(Some(Stopped::UpgradeHub { kind: "new_kind".into(), schema_version: 2 }), 6, 10, AfterPush::UpgradeHub)]
    // The hub has decided more than this outbox ever held.
    #[case::behind(None, 12, 10, AfterPush::OutboxBehindHub { hub_last_seq: 12 })]
    #[case::behind_gap(Some(Stopped::OutOfOrder { expected_seq: 15 }), 10, 10, AfterPush::OutboxBehindHub { hub_last_seq: 14 })]
    fn a_push_answer_tells_the_workstation_what_next(
        #[case] stopped: Option<Stopped>,
        #[case] hub_last: i64,
        #[case] last_outbox: i64,
        #[case] expected: AfterPush,
    ) {
        assert_eq!(
            after_push(&response(stopped, hub_last), last_outbox),
            expected
        );
    }

    #[rstest]
    #[case(0, 0.0, 500)]
    #[case(0, 0.999_999, 999)]
    #[case(1, 0.0, 1_000)]
    #[case(3, 0.5, 6_000)]
    #[case(8, 0.0, 128_000)]
    #[case(9, 0.0, 150_000)] // capped at five minutes
    #[case(40, 1.0, 300_000)]
    #[case(2, f64::NAN, 2_000)]
    #[case(2, -3.0, 2_000)]
    fn retries_back_off_with_jitter_up_to_five_minutes(
        #[case] attempt: u32,
        #[case] unit: f64,
        #[case] millis: u64,
    ) {
        assert_eq!(retry_delay(attempt, unit), Duration::from_millis(millis));
    }

    use OutboxStatus::*;
    #[rstest]
    #[case(&[], true, RecordSyncState::Applied)]
    #[case(&[], false, RecordSyncState::LocalOnly)]
    #[case(&[Applied], false, RecordSyncState::LocalOnly)]
    #[case(&[Pending], true, RecordSyncState::Queued)]
    #[case(&[Applied, Pending], true, RecordSyncState::Queued)]
    #[case(&[Held], true, RecordSyncState::Queued)]
    #[case(&[Applied, Duplicate], true, RecordSyncState::Applied)]
    #[case(&[Rejected, Applied], true, RecordSyncState::Applied)]
    #[case(&[Applied, Rejected, Pending], true, RecordSyncState::Rejected)]
    #[case(&[Rejected, Pending], true, RecordSyncState::Rejected)]
    #[case(&[Rejected, Duplicate], true, RecordSyncState::Applied)]
    fn a_records_sync_state_comes_from_the_commands_that_changed_it(
        #[case] statuses: &[OutboxStatus],
        #[case] connected: bool,
        #[case] expected: RecordSyncState,
    ) {
        assert_eq!(record_state(statuses, connected), expected);
    }

    fn digest(table: &str, rows: i64, d: &str) -> TableDigest {
        TableDigest {
            table: table.into(),
            rows,
            digest: d.into(),
        }
    }

    #[test]
    fn diverged_tables_are_named() {
        let hub = vec![digest("samples", 3, "a"), digest("boxes", 1, "b")];
        assert!(diverged(&hub.clone(), &hub).is_empty());
        let local = vec![digest("samples", 3, "x"), digest("boxes", 1, "b")];
        assert_eq!(diverged(&local, &hub), vec!["samples"]);
        let local = vec![digest("samples", 2, "a"), digest("boxes", 1, "b")];
        assert_eq!(diverged(&local, &hub), vec!["samples"]);
        let local = vec![digest("samples", 3, "a")];
        assert_eq!(diverged(&local, &hub), vec!["boxes"]);
        let local = vec![
            digest("samples", 3, "a"),
            digest("boxes", 1, "b"),
            digest("racks", 0, "c"),
        ];
        assert_eq!(diverged(&local, &hub), vec!["racks"]);
    }

    #[test]
    fn a_resend_hashes_the_same_and_another_command_does_not() {
        let pushed = crate::wire::PushedCommand {
            seq: 1,
            command_id: Uuid::nil(),
            recorded_at: chrono::DateTime::from_timestamp(1_800_000_000, 5_000).unwrap(),
            actor_id: Uuid::nil(),
            kind: "receive_samples".into(),
            schema_version: 1,
            payload: serde_json::json!({"kind": "receive_samples", "sample_ids": []}),
        };
        let again: crate::wire::PushedCommand =
            serde_json::from_str(&serde_json::to_string(&pushed).unwrap()).unwrap();
        assert_eq!(pushed.payload_hash(), again.payload_hash());
        for other in [
            crate::wire::PushedCommand {
                payload: serde_json::json!({"kind": "receive_samples", "sample_ids": ["x"]}),
                ..pushed.clone()
            },
            crate::wire::PushedCommand {
                actor_id: Uuid::max(),
                ..pushed.clone()
            },
            crate::wire::PushedCommand {
                recorded_at: pushed.recorded_at + chrono::Duration::microseconds(1),
                ..pushed.clone()
            },
        ] {
            assert_ne!(pushed.payload_hash(), other.payload_hash());
        }
        // The seq is where it sits in the queue, not what it is.
        assert_eq!(
            pushed.payload_hash(),
            crate::wire::PushedCommand {
                seq: 9,
                ..pushed.clone()
            }
            .payload_hash()
        );
    }
}
