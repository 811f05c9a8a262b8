//! The conflict policy of the design (`shared/design/sync.md`), one case per rule, each on
//! a real hub with two workstations that worked offline.

use crate::*;
use aliquot_domain::numbering::sample_code;
use aliquot_domain::sample::{ConsentStatus, SampleStatus};
use aliquot_domain::Command;
use aliquot_sync::Outcome;
use chrono::{Duration, Utc};
use uuid::Uuid;

/// Two offline desks fill the same box: exactly one sample per position; the loser's
/// placement is refused naming the occupant, and nothing else of theirs is lost.
#[tokio::test]
async fn the_same_position_from_two_desks_keeps_the_first_and_names_it_to_the_second() {
    let bench = Bench::new().await;
    let a = bench.kit_at(&bench.a, 0).await;
    let b = bench.kit_at(&bench.b, 0).await;
    let tech = bench.tech.clone();
    let first = bench
        .one(&bench.a, &tech, place(bench.storage_box, a[0].0, "A1"))
        .await;
    assert!(matches!(first, Outcome::Applied { .. }));
    let second = bench
        .one(&bench.b, &tech, place(bench.storage_box, b[0].0, "A1"))
        .await;
    let Outcome::Rejected {
        reason_code,
        details,
        message,
    } = second
    else {
        panic!("{second:?}")
    };
    assert_eq!(reason_code, "position_occupied");
    assert_eq!(details["position"], "A1");
    assert_eq!(details["occupant"], a[0].1.as_str());
    assert!(message.contains(&a[0].1), "{message}");
    let wells = bench
        .hub
        .store()
        .box_contents(bench.storage_box)
        .await
        .unwrap();
    assert_eq!(wells.len(), 1);
    assert_eq!(wells[0].sample_id, a[0].0);
    // The loser's tube is unplaced and was not even received by the refused command;
    // its registration stands.
    assert_eq!(bench.sample_status(b[0].0).await, SampleStatus::Collected);
    // Desk B re-places its tube and goes on.
    let again = bench
        .one(&bench.b, &tech, place(bench.storage_box, b[0].0, "A2"))
        .await;
    assert!(matches!(again, Outcome::Applied { .. }));
}

#[tokio::test]
async fn a_status_change_is_compare_and_set_on_the_hub() {
    let bench = Bench::new().await;
    let tubes = bench.kit_at(&bench.a, 0).await;
    let tech = bench.tech.clone();
    let sample = tubes[0].0;
    let receive = Command::ReceiveSamples {
        sample_ids: vec![sample],
    };
    assert!(matches!(
        bench.one(&bench.a, &tech, receive).await,
        Outcome::Applied { .. }
    ));
    let to_processing = Command::TransitionSample {
        sample_id: sample,
        expected: SampleStatus::Received,
        to: SampleStatus::Processing,
        reason: None,
    };
    // Both desks saw it received and started processing it.
    assert!(matches!(
        bench.one(&bench.a, &tech, to_processing.clone()).await,
        Outcome::Applied { .. }
    ));
    assert!(matches!(
        bench.one(&bench.b, &tech, to_processing).await,
        Outcome::Applied { .. }
    ));
    let history: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM sample_status_history WHERE sample_id = ?1 AND to_status = 'processing'",
    )
    .bind(sample.to_string())
    .fetch_one(bench.hub.store().pool())
    .await
    .unwrap();
    assert_eq!(history, 1, "the same change made twice is one change");
    // A desk that saw it received decides to check it out from storage: stale.
    let stale = bench
        .one(
            &bench.b,
            &tech,
            Command::TransitionSample {
                sample_id: sample,
                expected: SampleStatus::Received,
                to: SampleStatus::Disposed,
                reason: Some("spilled".into()),
            },
        )
        .await;
    let Outcome::Rejected {
        reason_code,
        details,
        ..
    } = stale
    else {
        panic!("{stale:?}")
    };
    assert_eq!(reason_code, "stale_state");
    assert_eq!(details["current"], "processing");
}

#[tokio::test]
async fn a_code_must_be_leased_to_the_pushing_desk_and_used_once() {
    let bench = Bench::new().await;
    let tubes = bench.kit_at(&bench.a, 0).await;
    let tech = bench.tech.clone();
    let participant = Uuid::now_v7();
    let registered = bench
        .one(
            &bench.b,
            &tech,
            Command::RegisterParticipant {
                participant_id: participant,
                site_id: bench.site,
                number: Some(bench.b.first_number),
                external_id: None,
                consent: ConsentStatus::Given,
                consent_date: (Utc::now() - Duration::days(1)).date_naive(),
                sex: None,
                birth_year: None,
            },
        )
        .await;
    assert!(matches!(registered, Outcome::Applied { .. }));
    // Desk B binds a code of desk A's block.
    let foreign = sample_code("AA", 6, 50).unwrap();
    let outcome = bench
        .one(
            &bench.b,
            &tech,
            register_kit(
                participant,
                bench.kit,
                &[
                    (Uuid::now_v7(), foreign.clone()),
                    (Uuid::now_v7(), sample_code("BB", 6, 1).unwrap()),
                ],
            ),
        )
        .await;
    assert_eq!(reason_code(&outcome), "code_not_issued");
    // Desk A uses a code twice (a label roll printed twice).
    let outcome = bench
        .one(
            &bench.a,
            &tech,
            register_kit(
                participant,
                bench.kit,
                &[
                    (Uuid::now_v7(), tubes[0].1.clone()),
                    (Uuid::now_v7(), sample_code("AA", 6, 60).unwrap()),
                ],
            ),
        )
        .await;
    assert_eq!(reason_code(&outcome), "code_taken");
    // A participant number outside the desk's block.
    let outcome = bench
        .one(
            &bench.b,
            &tech,
            Command::RegisterParticipant {
                participant_id: Uuid::now_v7(),
                site_id: bench.site,
                number: Some(bench.a.first_number + 5),
                external_id: None,
                consent: ConsentStatus::Given,
                consent_date: (Utc::now() - Duration::days(1)).date_naive(),
                sex: None,
                birth_year: None,
            },
        )
        .await;
    assert_eq!(reason_code(&outcome), "code_not_issued");
}

/// Consent withdrawn at the desk while another desk, offline, registers a kit for the
/// same participant: the kit is registered (the tubes exist), and receiving them flags
/// them to be kept apart, as the rule for withdrawn consent says.
#[tokio::test]
async fn consent_withdrawn_elsewhere_is_applied_in_the_order_the_hub_receives() {
    let bench = Bench::new().await;
    let tech = bench.tech.clone();
    let participant = Uuid::now_v7();
    let outcome = bench
        .one(
            &bench.a,
            &tech,
            Command::RegisterParticipant {
                participant_id: participant,
                site_id: bench.site,
                number: Some(bench.a.first_number),
                external_id: None,
                consent: ConsentStatus::Given,
                consent_date: (Utc::now() - Duration::days(2)).date_naive(),
                sex: None,
                birth_year: None,
            },
        )
        .await;
    assert!(matches!(outcome, Outcome::Applied { .. }));
    let withdrawn = bench
        .one(
            &bench.a,
            &tech,
            Command::RecordConsent {
                participant_id: participant,
                consent: ConsentStatus::Withdrawn,
                consent_date: (Utc::now() - Duration::days(1)).date_naive(),
                reason: "phoned".into(),
            },
        )
        .await;
    assert!(matches!(withdrawn, Outcome::Applied { .. }));
    let tubes = [
        (Uuid::now_v7(), sample_code("BB", 6, 1).unwrap()),
        (Uuid::now_v7(), sample_code("BB", 6, 2).unwrap()),
    ];
    let kit = bench
        .one(
            &bench.b,
            &tech,
            register_kit(participant, bench.kit, &tubes),
        )
        .await;
    // Whatever the domain decides for a kit after withdrawal, the hub decides the same
    // as a workstation would: the rule runs in the executor, not in the sync path.
    let local = {
        let dir = tempfile::tempdir().unwrap();
        bench
            .hub
            .store()
            .backup(&dir.path().join(aliquot_store::DB_FILE_NAME))
            .await
            .unwrap();
        let copy = aliquot_store::Store::open(
            dir.path(),
            std::sync::Arc::new(aliquot_domain::SystemClock),
        )
        .await
        .unwrap();
        let tubes = [
            (Uuid::now_v7(), sample_code("BB", 6, 3).unwrap()),
            (Uuid::now_v7(), sample_code("BB", 6, 4).unwrap()),
        ];
        let mut tx = copy.begin_write().await.unwrap();
        let result = copy
            .replay(
                &mut tx,
                &tech,
                &aliquot_store::Recorded {
                    command_id: Uuid::now_v7(),
                    device_id: bench.b.device.device_id.clone(),
                    recorded_at: Utc::now(),
                },
                &register_kit(participant, bench.kit, &tubes),
                aliquot_store::Replay::Rebase,
            )
            .await;
        result.map(|_| ()).map_err(|e| e.to_string())
    };
    assert_eq!(
        matches!(kit, Outcome::Applied { .. }),
        local.is_ok(),
        "hub: {kit:?}, workstation: {local:?}"
    );
}

/// The same person registered at two desks offline (the same external id): both
/// registrations stand (the numbers are each desk's own), and the lab managers get a
/// review task naming both.
#[tokio::test]
async fn the_same_person_registered_twice_becomes_a_review_task() {
    let bench = Bench::new().await;
    let tech = bench.tech.clone();
    let register = |number: i64| Command::RegisterParticipant {
        participant_id: Uuid::now_v7(),
        site_id: bench.site,
        number: Some(number),
        external_id: Some("NHS-123".into()),
        consent: ConsentStatus::Given,
        consent_date: (Utc::now() - Duration::days(1)).date_naive(),
        sex: None,
        birth_year: None,
    };
    let first = bench
        .one(&bench.a, &tech, register(bench.a.first_number))
        .await;
    let second = bench
        .one(&bench.b, &tech, register(bench.b.first_number))
        .await;
    assert!(matches!(first, Outcome::Applied { .. }) && matches!(second, Outcome::Applied { .. }));
    let tasks: Vec<String> = sqlx::query_scalar(
        "SELECT message FROM notifications WHERE kind = 'possible_duplicate_participant' AND user_id = ?1",
    )
    .bind(bench.manager.user_id.to_string())
    .fetch_all(bench.hub.store().pool())
    .await
    .unwrap();
    assert_eq!(tasks.len(), 1, "{tasks:?}");
    assert!(tasks[0].contains("NHS-123"), "{}", tasks[0]);
}
