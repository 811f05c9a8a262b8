//! Receiving tubes by scanning (issue 12): a batch is one command, each tube changes status
//! through the state machine's receipt path and gets its own audit row; placing a tube not
//! yet received says so, and "receive and place" does both in one command; a participant's
//! tubes placed one by one stay side by side; settings change as one set.

use super::fixture;
use aliquot_domain::command::{PlacementSource, TubePlacement};
use aliquot_domain::sample::{ConsentStatus, SampleStatus};
use aliquot_domain::settings::{DateFormat, Setting};
use aliquot_domain::storage::AutoPosition;
use aliquot_domain::{Clock, Command, DomainError};
use aliquot_store::StoreError;
use uuid::Uuid;

fn refusal(result: Result<aliquot_store::Executed, StoreError>) -> DomainError {
    match result {
        Err(StoreError::Domain(e)) => e,
        other => panic!("expected a domain refusal, got {other:?}"),
    }
}

/// (entity_id, command id in the context) of every audit row after `after`.
async fn audit_rows_after(f: &super::Fixture, after: i64) -> Vec<(String, String)> {
    sqlx::query_as(
        "SELECT entity_id, json_extract(context, '$.command_id') FROM audit_log WHERE seq > ?1 ORDER BY seq",
    )
    .bind(after)
    .fetch_all(f.store.pool())
    .await
    .unwrap()
}

#[tokio::test]
async fn a_scanned_batch_is_received_in_one_command_with_a_history_and_audit_row_per_tube() {
    let f = fixture().await;
    let lab = f.lab().await;
    let tubes = f.kit(&lab.desk, lab.participant, lab.kit, 3).await;
    let audit_before = f.count("audit_log").await;
    let outbox_before = f.count("outbox").await;
    let done = f
        .store
        .execute(
            &lab.tech,
            Command::ReceiveSamples {
                sample_ids: tubes.clone(),
            },
        )
        .await
        .unwrap();
    assert_eq!(f.count("outbox").await, outbox_before + 1, "one command");
    let rows = audit_rows_after(&f, audit_before).await;
    let mut codes = Vec::new();
    for id in &tubes {
        let s = f.store.sample(*id).await.unwrap();
        assert_eq!(s.status, SampleStatus::Received);
        let history = f.status_steps(*id).await;
        let last = history.last().unwrap();
        assert_eq!(
            (last.0, last.1, last.2.as_str()),
            (
                Some(SampleStatus::Collected),
                SampleStatus::Received,
                "receipt"
            )
        );
        codes.push(s.code);
    }
    // One audit row per tube, each findable by the tube's own code, all of one command.
    assert_eq!(
        rows,
        codes
            .iter()
            .map(|c| (c.clone(), done.command_id.to_string()))
            .collect::<Vec<_>>()
    );
    let chain = f.store.verify_audit_chain().await.unwrap();
    assert_eq!((chain.first_break, chain.anchor_problems.len()), (None, 0));
}

#[tokio::test]
async fn a_batch_with_a_tube_already_in_the_lab_is_refused_whole_and_says_what_to_do() {
    let f = fixture().await;
    let lab = f.lab().await;
    let tubes = f.kit(&lab.desk, lab.participant, lab.kit, 3).await;
    let before = f.snapshot().await;
    let e = refusal(
        f.store
            .execute(
                &lab.tech,
                Command::ReceiveSamples {
                    sample_ids: vec![tubes[0], lab.stored, tubes[1]],
                },
            )
            .await,
    );
    let message = e.to_string();
    assert!(message.contains("already in the lab"), "{message}");
    assert!(message.contains("scan the next tube"), "{message}");
    assert_eq!(f.snapshot().await, before, "nothing of the batch was kept");
    // The same tube twice in one batch is refused too.
    let e = refusal(
        f.store
            .execute(
                &lab.tech,
                Command::ReceiveSamples {
                    sample_ids: vec![tubes[0], tubes[0]],
                },
            )
            .await,
    );
    assert!(e.to_string().contains("twice"), "{e}");
    let e = refusal(
        f.store
            .execute(&lab.tech, Command::ReceiveSamples { sample_ids: vec![] })
            .await,
    );
    // Worded for the technician, no internal field name.
    assert!(
        e.to_string().starts_with("Scan between 1 and 500 tubes"),
        "{e}"
    );
}

#[tokio::test]
async fn a_tube_whose_participant_withdrew_consent_is_received_and_flagged() {
    let f = fixture().await;
    let lab = f.lab().await;
    let tubes = f.kit(&lab.desk, lab.participant, lab.kit, 3).await;
    f.run(
        &lab.desk,
        Command::RecordConsent {
            participant_id: lab.participant,
            consent: ConsentStatus::Withdrawn,
            consent_date: f.clock.now().date_naive(),
            reason: "participant called".into(),
        },
    )
    .await;
    let check = aliquot_domain::sample::ReceiptCheck::of(
        f.store.sample(tubes[0]).await.unwrap().status,
        ConsentStatus::Withdrawn,
    );
    assert!(check.joins_batch());
    assert!(check.next_step("X").contains("request its discard"));
    f.run(
        &lab.tech,
        Command::ReceiveSamples {
            sample_ids: tubes.clone(),
        },
    )
    .await;
    assert_eq!(
        f.store.sample(tubes[0]).await.unwrap().status,
        SampleStatus::Received
    );
}

#[tokio::test]
async fn placing_a_collected_tube_asks_to_receive_it_and_receive_and_place_does_both() {
    let f = fixture().await;
    let lab = f.lab().await;
    let tubes = f.kit(&lab.desk, lab.participant, lab.kit, 3).await;
    let code = f.store.sample(tubes[0]).await.unwrap().code;
    let place = |receive| Command::PlaceSamples {
        box_id: lab.empty_box,
        tubes: vec![TubePlacement {
            sample_id: tubes[0],
            position: None,
        }],
        source: PlacementSource::Scan,
        receive,
    };
    let e = refusal(f.store.execute(&lab.tech, place(false)).await);
    assert_eq!(e, DomainError::NotReceived { code: code.clone() });
    assert!(e.to_string().contains("Receive and place"), "{e}");

    let audit_before = f.count("audit_log").await;
    let done = f.store.execute(&lab.tech, place(true)).await.unwrap();
    let s = f.store.sample(tubes[0]).await.unwrap();
    assert_eq!(s.status, SampleStatus::Stored);
    let history = f.status_steps(tubes[0]).await;
    let steps: Vec<_> = history.iter().rev().take(2).rev().cloned().collect();
    assert_eq!(
        steps,
        vec![
            (
                Some(SampleStatus::Collected),
                SampleStatus::Received,
                "receipt".to_owned()
            ),
            (
                Some(SampleStatus::Received),
                SampleStatus::Stored,
                "placement".to_owned()
            ),
        ]
    );
    // The box's row and the tube's own row, both of this one command.
    let rows = audit_rows_after(&f, audit_before).await;
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1].0, code);
    assert!(rows.iter().all(|(_, c)| *c == done.command_id.to_string()));
    // The outbox records the flag, so the hub's replay receives the tube too.
    let out = f.store.outbox_after(0, 1000).await.unwrap();
    let payload: Command = serde_json::from_str(&out.last().unwrap().payload).unwrap();
    assert!(matches!(
        payload,
        Command::PlaceSamples { receive: true, .. }
    ));
}

/// The walk placed one participant's tubes one by one and got A8, H7, H8. With the lab's
/// keep-together strategy the first tube goes where all of them fit and each next one
/// beside the others.
#[tokio::test]
async fn a_participants_tubes_placed_one_by_one_stay_side_by_side() {
    let f = fixture().await;
    let lab = f.lab().await;
    f.run(
        &lab.manager,
        Command::ChangeSettings {
            settings: vec![Setting::AutoPosition(AutoPosition::KeepParticipantTogether)],
            reason: "keep kits together".into(),
        },
    )
    .await;
    let grid_box = f.grid_box(&lab.manager, lab.rack, 3, 4).await;
    // Someone else's tubes leave a gap of two at A3–A4 and a run of four from B2.
    let other = f.participant(&lab.desk, lab.site).await;
    let others = f.kit(&lab.desk, other, lab.kit, 3).await;
    for (tube, position) in others.iter().zip(["A1", "A2", "B1"]) {
        f.receive(&lab.tech, *tube).await;
        f.place(&lab.tech, grid_box, *tube, Some(position)).await;
    }
    let tubes = f.kit(&lab.desk, lab.participant, lab.kit, 3).await;
    let mut positions = Vec::new();
    for tube in &tubes {
        f.run(
            &lab.tech,
            Command::PlaceSamples {
                box_id: grid_box,
                tubes: vec![TubePlacement {
                    sample_id: *tube,
                    position: None,
                }],
                source: PlacementSource::Scan,
                receive: true,
            },
        )
        .await;
        positions.push(
            f.store
                .sample(*tube)
                .await
                .unwrap()
                .location
                .unwrap()
                .position
                .unwrap(),
        );
    }
    // A3–A4 holds only two: the three go to B2, B3, B4.
    assert_eq!(positions, ["B2", "B3", "B4"]);
}

#[tokio::test]
async fn settings_change_as_one_set_with_one_reason_all_or_none() {
    let f = fixture().await;
    let lab = f.lab().await;
    let audit_before = f.count("audit_log").await;
    f.run(
        &lab.manager,
        Command::ChangeSettings {
            settings: vec![
                Setting::DisplayTimezone("Europe/Paris".into()),
                Setting::DateFormat(DateFormat::DayMonthYearDots),
                Setting::StandardKit(Some(lab.kit)),
            ],
            reason: "lab set-up".into(),
        },
    )
    .await;
    let settings = f.store.settings().await.unwrap();
    assert_eq!(settings.display_timezone, "Europe/Paris");
    assert_eq!(settings.date_format, DateFormat::DayMonthYearDots);
    assert_eq!(settings.standard_kit, Some(lab.kit));
    let rows = audit_rows_after(&f, audit_before).await;
    let keys: Vec<_> = rows.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(keys, ["display_timezone", "date_format", "standard_kit"]);

    // One bad setting refuses the whole set.
    let before = f.snapshot().await;
    for settings in [
        vec![
            Setting::LabelCopies(2),
            Setting::DisplayTimezone("Mars/Olympus_Mons".into()),
        ],
        vec![
            Setting::LabelCopies(2),
            Setting::StandardKit(Some(Uuid::now_v7())),
        ],
        vec![Setting::LabelCopies(2), Setting::LabelCopies(3)],
        vec![],
    ] {
        let e = refusal(
            f.store
                .execute(
                    &lab.manager,
                    Command::ChangeSettings {
                        settings: settings.clone(),
                        reason: "try".into(),
                    },
                )
                .await,
        );
        assert!(!e.to_string().is_empty(), "{settings:?}");
    }
    assert_eq!(f.snapshot().await, before);
}

/// A consent given today at a lab east of UTC is not "in the future" because UTC has not
/// reached that day yet (the walk's desk in a UTC+ zone was refused).
#[tokio::test]
async fn a_consent_date_is_judged_by_the_labs_own_today() {
    let f = fixture().await;
    let lab = f.lab().await;
    f.run(
        &lab.manager,
        Command::ChangeSettings {
            settings: vec![Setting::DisplayTimezone("Pacific/Kiritimati".into())],
            reason: "the lab is at UTC+14".into(),
        },
    )
    .await;
    // 11:00 UTC is already tomorrow at UTC+14.
    f.clock.advance(chrono::Duration::hours(2));
    let today = aliquot_domain::settings::lab_today(f.clock.now(), "Pacific/Kiritimati");
    assert_eq!(
        today,
        f.clock.now().date_naive() + chrono::Duration::days(1)
    );
    let register = |consent_date| Command::RegisterParticipant {
        participant_id: Uuid::now_v7(),
        site_id: lab.site,
        number: None,
        external_id: None,
        consent: ConsentStatus::Given,
        consent_date,
        sex: None,
        birth_year: None,
    };
    f.run(&lab.desk, register(today)).await;
    let e = refusal(
        f.store
            .execute(&lab.desk, register(today + chrono::Duration::days(1)))
            .await,
    );
    assert!(e.to_string().contains("future"), "{e}");
}
