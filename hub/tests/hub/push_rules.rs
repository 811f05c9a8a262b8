//! The hub's rules for a push, each shown on a real hub: claim by id, strict order, one
//! bad command never wedges the queue, infrastructure is never a refusal.

use crate::*;
use aliquot_domain::sample::SampleStatus;
use aliquot_domain::storage::FreezerKind;
use aliquot_domain::{Command, Role};
use aliquot_sync::{Outcome, Stopped};
use uuid::Uuid;

fn freezer(name: &str) -> Command {
    Command::CreateFreezer {
        freezer_id: Uuid::now_v7(),
        name: name.into(),
        location: "Room 2".into(),
        freezer_kind: FreezerKind::Freezer,
        temperature_c: -20,
    }
}

#[tokio::test]
async fn a_resend_gets_the_stored_answer_and_changes_nothing() {
    let bench = Bench::new().await;
    let first = pushed(1, &bench.manager, &freezer("F2"));
    let response = bench.push_raw(&bench.a, vec![first.clone()]).await;
    assert_eq!(codes(&response.results), ["applied"]);
    assert_eq!(response.last_seq, 1);
    let freezers = bench
        .hub
        .store()
        .freezers(None, Default::default())
        .await
        .unwrap()
        .items
        .len();
    let feed = bench.hub.feed_head().await.unwrap();
    // The answer was lost; the workstation sends the same command again.
    let again = bench.push_raw(&bench.a, vec![first.clone()]).await;
    assert_eq!(codes(&again.results), ["applied (duplicate)"]);
    assert_eq!(again.results[0].outcome, response.results[0].outcome);
    assert_eq!(
        bench
            .hub
            .store()
            .freezers(None, Default::default())
            .await
            .unwrap()
            .items
            .len(),
        freezers
    );
    assert_eq!(bench.hub.feed_head().await.unwrap(), feed);
    bench.a.next_seq.set(2);
    // The same id for another command is refused, and the queue moves on.
    let reused = aliquot_sync::PushedCommand {
        seq: 2,
        payload: serde_json::to_value(freezer("F3")).unwrap(),
        ..first
    };
    let response = bench.push_raw(&bench.a, vec![reused]).await;
    assert_eq!(codes(&response.results), ["key_reuse"]);
    assert_eq!(response.last_seq, 2);
    bench.a.next_seq.set(3);
    assert!(matches!(
        bench
            .one(&bench.a, &bench.manager.clone(), freezer("F4"))
            .await,
        Outcome::Applied { .. }
    ));
}

#[tokio::test]
async fn a_gap_stops_the_batch_and_names_the_seq_the_hub_wants() {
    let bench = Bench::new().await;
    let response = bench
        .push_raw(
            &bench.a,
            vec![
                pushed(1, &bench.manager, &freezer("F2")),
                pushed(3, &bench.manager, &freezer("F3")),
                pushed(4, &bench.manager, &freezer("F4")),
            ],
        )
        .await;
    assert_eq!(codes(&response.results), ["applied"]);
    assert_eq!(
        response.stopped,
        Some(Stopped::OutOfOrder { expected_seq: 2 })
    );
    assert_eq!(response.last_seq, 1);
    // Nothing after the gap was decided.
    assert_eq!(
        bench
            .hub
            .store()
            .freezers(None, Default::default())
            .await
            .unwrap()
            .items
            .len(),
        2
    );
}

/// I10: a command the lab's rules refuse is recorded as refused, its effects undone, and
/// the commands after it are decided as if it had not been there.
#[tokio::test]
async fn a_refused_command_never_wedges_the_queue() {
    let bench = Bench::new().await;
    let manager = bench.manager.clone();
    let response = bench
        .push(
            &bench.a,
            vec![
                (manager.clone(), freezer("F2")),
                // The same name again: refused by the rule.
                (manager.clone(), freezer("F2")),
                (manager.clone(), freezer("F3")),
            ],
        )
        .await;
    assert_eq!(codes(&response.results), ["applied", "taken", "applied"]);
    assert_eq!(response.stopped, None);
    assert_eq!(response.last_seq, 3);
    let Outcome::Rejected {
        message, details, ..
    } = &response.results[1].outcome
    else {
        unreachable!()
    };
    assert!(message.contains("F2"), "{message}");
    assert!(details.is_object());
    let names: Vec<String> = bench
        .hub
        .store()
        .freezers(None, Default::default())
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|f| f.name)
        .collect();
    assert_eq!(names.iter().filter(|n| *n == "F2").count(), 1);
    assert!(names.contains(&"F3".to_owned()));
    // Asked again, the refusal is the same answer.
    let again = bench
        .push_raw(
            &bench.a,
            vec![aliquot_sync::PushedCommand {
                seq: 2,
                ..pushed(2, &manager, &freezer("F2"))
            }],
        )
        .await;
    assert_eq!(codes(&again.results), ["sequence_reused"]);
}

#[tokio::test]
async fn the_actor_must_be_known_active_and_allowed_on_the_hub() {
    let bench = Bench::new().await;
    let stranger = actor("stranger", Role::LabManager);
    let tech = bench.tech.clone();
    let viewer = actor("viewer", Role::Viewer);
    bench
        .hub
        .execute(
            &bench.admin,
            Command::CreateUser {
                user_id: viewer.user_id,
                username: "viewer".into(),
                display_name: "Viewer".into(),
                role: Role::Viewer,
                password_hash: hash(),
            },
        )
        .await
        .unwrap();
    let response = bench
        .push(
            &bench.a,
            vec![
                (stranger, freezer("F2")),
                // A technician may not create freezers, on the hub as anywhere.
                (tech, freezer("F3")),
                // The role the hub knows decides, not the one the workstation claimed.
                (
                    aliquot_domain::Actor {
                        role: Role::Admin,
                        ..viewer
                    },
                    freezer("F4"),
                ),
            ],
        )
        .await;
    assert_eq!(
        codes(&response.results),
        ["unknown_actor", "forbidden", "forbidden"]
    );
}

#[tokio::test]
async fn commands_recorded_before_a_deactivation_are_decided_those_after_are_refused() {
    let bench = Bench::new().await;
    let manager = bench.manager.clone();
    let before = pushed(1, &manager, &freezer("F2"));
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    bench
        .hub
        .execute(
            &bench.admin,
            Command::DeactivateUser {
                user_id: manager.user_id,
                reason: "left the lab".into(),
            },
        )
        .await
        .unwrap();
    let after = pushed(2, &manager, &freezer("F3"));
    let response = bench.push_raw(&bench.a, vec![before, after]).await;
    assert_eq!(codes(&response.results), ["applied", "actor_inactive"]);
    bench.a.next_seq.set(3);
}

#[tokio::test]
async fn a_workstations_own_state_is_not_decided_by_the_hub() {
    let bench = Bench::new().await;
    let command = Command::QueuePrint {
        job_id: Uuid::now_v7(),
        printer: "Desk Zebra".into(),
        template: "cryovial".into(),
        subject: "labels".into(),
        records: vec![],
        copies: 1,
        payload: "^XA^XZ".into(),
        reprint_of: None,
        reason: None,
    };
    let tech = bench.tech.clone();
    let outcome = bench.one(&bench.a, &tech, command).await;
    assert_eq!(reason_code(&outcome), "not_a_lab_command");
}

#[tokio::test]
async fn a_command_this_hub_cannot_read_stops_the_batch_for_an_upgrade() {
    let bench = Bench::new().await;
    let mut newer = pushed(1, &bench.manager, &freezer("F2"));
    newer.schema_version = aliquot_domain::COMMAND_SCHEMA_VERSION + 1;
    let mut unknown = pushed(1, &bench.manager, &freezer("F2"));
    unknown.kind = "calibrate_centrifuge".into();
    unknown.payload = serde_json::json!({"kind": "calibrate_centrifuge"});
    for command in [newer, unknown] {
        let response = bench.push_raw(&bench.a, vec![command.clone()]).await;
        assert!(response.results.is_empty());
        assert_eq!(
            response.stopped,
            Some(Stopped::UpgradeHub {
                kind: command.kind.clone(),
                schema_version: command.schema_version
            })
        );
        assert_eq!(response.last_seq, 0);
    }
}

/// The replayed command's history carries the time it was recorded at the bench, not
/// the hub's time of arrival.
#[tokio::test]
async fn history_on_the_hub_carries_the_recorded_time() {
    let bench = Bench::new().await;
    let tubes = bench.kit_at(&bench.a, 0).await;
    let mut receive = pushed(
        bench.a.next_seq.get(),
        &bench.tech,
        &Command::ReceiveSamples {
            sample_ids: vec![tubes[0].0],
        },
    );
    receive.recorded_at -= chrono::Duration::hours(3);
    let response = bench.push_raw(&bench.a, vec![receive.clone()]).await;
    assert_eq!(codes(&response.results), ["applied"]);
    assert_eq!(
        bench.sample_status(tubes[0].0).await,
        SampleStatus::Received
    );
    let at: String = sqlx::query_scalar(
        "SELECT at FROM sample_status_history WHERE sample_id = ?1 AND to_status = 'received'",
    )
    .bind(tubes[0].0.to_string())
    .fetch_one(bench.hub.store().pool())
    .await
    .unwrap();
    assert_eq!(at, aliquot_domain::audit::format_utc(receive.recorded_at));
}

/// An audit row sent again must be the row the hub kept: a row changed after the hub
/// received it breaks the device's chain, and its commands are held.
#[tokio::test]
async fn an_audit_row_changed_after_the_hub_kept_it_holds_the_device() {
    use aliquot_domain::audit::{
        AuditAction, AuditContext, AuditEntry, StoredAuditRow, GENESIS_HASH,
    };
    let bench = Bench::new().await;
    let entry = |reason: &str| AuditEntry {
        actor_id: bench.manager.user_id,
        actor_name: bench.manager.username.clone(),
        at: chrono::Utc::now(),
        action: AuditAction::LoginSucceeded,
        entity_type: "session",
        entity_id: "s1".into(),
        old_value: None,
        new_value: None,
        reason: Some(reason.into()),
        context: AuditContext::default(),
    };
    let first = StoredAuditRow::chain(&entry("one"), 0, GENESIS_HASH);
    let second = StoredAuditRow::chain(&entry("two"), 1, &first.hash);
    let push = |audit: Vec<StoredAuditRow>, commands| {
        bench.hub.push(
            &bench.a.device,
            aliquot_sync::PushRequest {
                protocol: aliquot_sync::PROTOCOL_VERSION,
                device_id: bench.a.device.device_id.clone(),
                commands,
                audit,
            },
        )
    };
    let response = push(vec![first.clone(), second.clone()], vec![])
        .await
        .unwrap();
    assert_eq!(response.audit_acked_seq, 2);
    // Sent again unchanged (an answer was lost): fine.
    let response = push(vec![second.clone()], vec![]).await.unwrap();
    assert_eq!(response.audit_acked_seq, 2);
    // Re-chained after an edit: refused, the device flagged, its command held.
    let edited = StoredAuditRow::chain(&entry("changed"), 1, &first.hash);
    let response = push(
        vec![edited],
        vec![pushed(1, &bench.manager, &freezer("F9"))],
    )
    .await
    .unwrap();
    assert_eq!(codes(&response.results), ["held"]);
    assert_eq!(response.last_seq, 0);
    assert!(bench
        .hub
        .devices(Default::default())
        .await
        .unwrap()
        .items
        .iter()
        .any(|d| d.chain_broken.is_some()));
}
