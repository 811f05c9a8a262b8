//! Registration, samples and storage through the executor, on real SQLite files.

use super::{fixture, mistyped};
use aliquot_domain::command::{NewAliquot, PlacementSource, TubePlacement};
use aliquot_domain::numbering::{sample_code, BlockKind, NewBlock};
use aliquot_domain::paging::{PageRequest, SortOrder};
use aliquot_domain::sample::{ConsentStatus, SampleStatus, SampleType, Via, VALID_TRANSITIONS};
use aliquot_domain::settings::Setting;
use aliquot_domain::storage::{AutoPosition, BoxSort, StorageTarget};
use aliquot_domain::{Command, DomainError, Role};
use aliquot_store::lookup::Scanned;
use aliquot_store::storage::BoxFilter;
use aliquot_store::{Store, StoreError};
use chrono::Duration;
use proptest::prelude::*;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use uuid::Uuid;

fn domain_error(result: Result<aliquot_store::Executed, StoreError>) -> DomainError {
    match result {
        Err(StoreError::Domain(e)) => e,
        other => panic!("expected a domain refusal, got {other:?}"),
    }
}

/// (from box, from position, to box, to position) of a placement history row.
type Place2 = (
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

/// I2 and I3 of the sync design, checked in SQL: one sample per position, one position per
/// sample, a position exactly for the statuses that hold one, and every status history a
/// valid path of the one state machine ending at the current status, every placement
/// history a chain ending at the current placement.
async fn assert_storage_invariants(store: &Store) {
    let pool = store.pool();
    let doubled: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM (SELECT box_id, position FROM placements WHERE position IS NOT NULL GROUP BY 1, 2 HAVING COUNT(*) > 1)")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(doubled, 0, "two samples share a position");
    let miscounted: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM boxes b WHERE b.occupied <> (SELECT COUNT(*) FROM placements p WHERE p.box_id = b.id)",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(
        miscounted, 0,
        "a box's occupancy counter disagrees with its placements"
    );
    let rows: Vec<(String, String, Option<String>, Option<String>)> = sqlx::query_as(
        "SELECT s.id, s.status, p.box_id, p.position FROM samples s LEFT JOIN placements p ON p.sample_id = s.id",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    for (id, status, box_id, position) in rows {
        let status = SampleStatus::parse(&status).unwrap();
        assert_eq!(
            status.holds_position(),
            box_id.is_some(),
            "{id} is {status:?} with placement {box_id:?}"
        );
        // Replay the status history.
        let history: Vec<(Option<String>, String, String)> = sqlx::query_as("SELECT from_status, to_status, via FROM sample_status_history WHERE sample_id = ?1 ORDER BY seq")
            .bind(&id)
            .fetch_all(pool)
            .await
            .unwrap();
        let mut current: Option<SampleStatus> = None;
        for (from, to, via) in history {
            assert_eq!(
                from.as_deref().map(|f| SampleStatus::parse(f).unwrap()),
                current,
                "{id}: history does not chain"
            );
            let to = SampleStatus::parse(&to).unwrap();
            if let Some(from) = current {
                let via = Via::ALL.into_iter().find(|v| v.as_str() == via).unwrap();
                assert!(
                    VALID_TRANSITIONS.contains(&(from, to, via)),
                    "{id}: {from:?} → {to:?} via {via:?} is not in the table"
                );
            }
            current = Some(to);
        }
        assert_eq!(
            current,
            Some(status),
            "{id}: history does not end at the current status"
        );
        // Replay the placement history.
        let moves: Vec<Place2> =
            sqlx::query_as("SELECT from_box_id, from_position, to_box_id, to_position FROM placement_history WHERE sample_id = ?1 ORDER BY seq")
                .bind(&id)
                .fetch_all(pool)
                .await
                .unwrap();
        let mut at: (Option<String>, Option<String>) = (None, None);
        for (from_box, from_pos, to_box, to_pos) in moves {
            assert_eq!(
                (from_box, from_pos),
                at,
                "{id}: placement history does not chain"
            );
            at = (to_box, to_pos);
        }
        assert_eq!(
            at,
            (box_id, position),
            "{id}: placement history does not end at the current place"
        );
    }
}

#[tokio::test]
async fn the_lab_fixture_and_every_step_keep_the_invariants() {
    let f = fixture().await;
    let lab = f.lab().await;
    assert_storage_invariants(&f.store).await;
    let stored = f.store.sample(lab.stored).await.unwrap();
    assert_eq!(stored.status, SampleStatus::Stored);
    let location = stored.location.unwrap();
    assert_eq!(
        (
            location.freezer.as_str(),
            location.rack.as_str(),
            location.position.as_deref()
        ),
        ("Freezer A", "Rack 1", Some("A1"))
    );
    assert_eq!(
        f.store
            .sample(lab.checked_out)
            .await
            .unwrap()
            .location
            .unwrap()
            .position
            .as_deref(),
        Some("A2"),
        "a checked-out tube keeps its position"
    );
}

/// Every manual change the table allows is accepted through the executor, and every other
/// target status is refused with the current status named.
#[tokio::test]
async fn manual_transitions_through_the_executor_follow_the_table() {
    let f = fixture().await;
    let lab = f.lab().await;
    for &to in SampleStatus::ALL {
        let result = f
            .store
            .execute(
                &lab.tech,
                Command::TransitionSample {
                    sample_id: lab.received,
                    expected: SampleStatus::Received,
                    to,
                    reason: None,
                },
            )
            .await;
        let allowed = VALID_TRANSITIONS.contains(&(SampleStatus::Received, to, Via::Manual));
        if allowed {
            result.unwrap();
            // Go back where we were for the next case, when the table allows it.
            let back = f
                .store
                .execute(
                    &lab.tech,
                    Command::TransitionSample {
                        sample_id: lab.received,
                        expected: to,
                        to: SampleStatus::Received,
                        reason: None,
                    },
                )
                .await;
            if back.is_err() {
                break;
            }
        } else {
            let e = domain_error(result);
            assert!(
                matches!(
                    e,
                    DomainError::InvalidTransition {
                        from: "received",
                        ..
                    }
                ),
                "{to:?}: {e}"
            );
        }
    }
    // Compare-and-set: the caller's stale view is refused with the current status.
    let e = domain_error(
        f.store
            .execute(
                &lab.tech,
                Command::TransitionSample {
                    sample_id: lab.stored,
                    expected: SampleStatus::Received,
                    to: SampleStatus::Processing,
                    reason: None,
                },
            )
            .await,
    );
    assert_eq!(
        e,
        DomainError::StaleStatus {
            expected: "received",
            current: "stored"
        }
    );
    assert!(e.to_string().contains("stored"));
    assert_storage_invariants(&f.store).await;
}

#[derive(Debug, Clone)]
enum Step {
    Place {
        sample: usize,
        storage_box: usize,
        position: Option<usize>,
    },
    CheckOut(usize),
    CheckIn(usize),
    Dispose(usize),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        4 => (0..5usize, 0..2usize, proptest::option::of(0..6usize)).prop_map(|(sample, storage_box, position)| Step::Place { sample, storage_box, position }),
        2 => (0..5usize).prop_map(Step::CheckOut),
        2 => (0..5usize).prop_map(Step::CheckIn),
        1 => (0..5usize).prop_map(Step::Dispose),
    ]
}

const POSITIONS: [&str; 6] = ["A1", "A2", "A3", "B1", "B2", "B3"];

async fn run_steps(steps: Vec<Step>) {
    let f = fixture().await;
    let lab = f.lab().await;
    let mut samples = vec![lab.received];
    let participant = f.participant(&lab.desk, lab.site).await;
    for _ in 0..2 {
        for id in f
            .kit(&lab.desk, participant, lab.kit, 3)
            .await
            .into_iter()
            .take(2)
        {
            f.receive(&lab.tech, id).await;
            samples.push(id);
        }
    }
    let boxes = [
        lab.empty_box,
        f.grid_box(&lab.manager, lab.rack, 2, 3).await,
    ];
    for step in steps {
        let before = f.snapshot().await;
        let result = match &step {
            Step::Place {
                sample,
                storage_box,
                position,
            } => {
                let tubes = vec![TubePlacement {
                    sample_id: samples[*sample],
                    position: position.map(|p| POSITIONS[p].to_owned()),
                }];
                f.store
                    .execute(
                        &lab.tech,
                        Command::PlaceSamples {
                            box_id: boxes[*storage_box],
                            tubes,
                            source: PlacementSource::Scan,
                            receive: false,
                        },
                    )
                    .await
            }
            Step::CheckOut(i) => {
                f.store
                    .execute(
                        &lab.tech,
                        Command::CheckOutSamples {
                            sample_ids: vec![samples[*i]],
                            reason: "run".into(),
                        },
                    )
                    .await
            }
            Step::CheckIn(i) => {
                f.clock.advance(Duration::minutes(5));
                f.store
                    .execute(
                        &lab.tech,
                        Command::CheckInSamples {
                            sample_ids: vec![samples[*i]],
                        },
                    )
                    .await
            }
            Step::Dispose(i) => {
                let request_id = Uuid::now_v7();
                match f
                    .store
                    .execute(
                        &lab.tech,
                        Command::RequestDiscard {
                            request_id,
                            sample_id: samples[*i],
                            reason: "test".into(),
                        },
                    )
                    .await
                {
                    Ok(_) => {
                        f.store
                            .execute(
                                &lab.manager,
                                Command::DecideDiscard {
                                    request_id,
                                    approve: true,
                                    reason: "ok".into(),
                                },
                            )
                            .await
                    }
                    Err(e) => Err(e),
                }
            }
        };
        match result {
            Ok(_) => {}
            Err(StoreError::Domain(_)) => {
                if !matches!(step, Step::Dispose(_)) {
                    assert_eq!(
                        f.snapshot().await,
                        before,
                        "a refused {step:?} left a trace"
                    );
                }
            }
            Err(e) => panic!("{step:?}: {e}"),
        }
        assert_storage_invariants(&f.store).await;
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, failure_persistence: None, ..ProptestConfig::default() })]
    /// Random sequences of place / move / check-out / check-in / dispose keep one sample per
    /// position and one position per sample, and every history replays to the current state.
    #[test]
    fn random_storage_sequences_keep_the_invariants(steps in proptest::collection::vec(step(), 1..30)) {
        tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(run_steps(steps));
    }
}

#[tokio::test]
async fn two_workstations_blocks_never_issue_the_same_code() {
    // The hub (here: one store acting for it) refuses overlapping blocks for any device.
    let hub = fixture().await;
    let assign = |device: &str, first: i64, last: i64| Command::AssignNumberBlock {
        block_id: Uuid::now_v7(),
        block: NewBlock {
            kind: BlockKind::Sample,
            device_id: device.into(),
            site_id: None,
            prefix: "AQ".into(),
            digits: 6,
            first,
            last,
        },
        reason: "lease".into(),
    };
    hub.run(&hub.admin, assign("desk-1", 1, 12)).await;
    hub.run(&hub.admin, assign("desk-2", 13, 24)).await;
    let e = domain_error(
        hub.store
            .execute(&hub.admin, assign("desk-3", 10, 20))
            .await,
    );
    assert!(
        matches!(
            e,
            DomainError::BlockOverlap {
                first: 1,
                last: 12,
                ..
            }
        ),
        "{e}"
    );

    // Two workstations, each with its own lease, register kits offline until they run out.
    let mut issued: Vec<HashSet<String>> = Vec::new();
    for (first, last) in [(1, 12), (13, 24)] {
        let f = fixture().await;
        let lab = f.lab_without_sample_block().await;
        f.run(
            &f.admin,
            Command::AssignNumberBlock {
                block_id: Uuid::now_v7(),
                block: NewBlock {
                    kind: BlockKind::Sample,
                    device_id: f.store.device_id().into(),
                    site_id: None,
                    prefix: "AQ".into(),
                    digits: 6,
                    first,
                    last,
                },
                reason: "lease".into(),
            },
        )
        .await;
        let mut codes = HashSet::new();
        let participant = f.participant(&lab.desk, lab.site).await;
        for _ in 0..4 {
            for id in f.kit(&lab.desk, participant, lab.kit, 3).await {
                codes.insert(f.store.sample(id).await.unwrap().code);
            }
        }
        assert_eq!(codes.len(), 12);
        // The thirteenth code would leave the block: refused, saying what to do.
        let e = domain_error(
            f.store
                .execute(
                    &lab.desk,
                    Command::RegisterKit {
                        registration_id: Uuid::now_v7(),
                        participant_id: participant,
                        template_id: lab.kit,
                        template_version: Some(1),
                        event_id: None,
                        collected_at: f.store.now(),
                        collector: "Nurse".into(),
                        tubes: (0..3)
                            .map(|_| aliquot_domain::command::NewTube {
                                sample_id: Uuid::now_v7(),
                                code: None,
                            })
                            .collect(),
                    },
                )
                .await,
        );
        assert_eq!(e, DomainError::BlockUsedUp { kind: "sample" });
        assert!(e.to_string().contains("ask an administrator"));
        issued.push(codes);
    }
    assert!(
        issued[0].is_disjoint(&issued[1]),
        "two workstations issued the same code"
    );
}

/// A kit takes its codes from the block together (one read, one write per block): the
/// same codes one at a time would give, running from one block into the next, and a kit the
/// blocks cannot finish is refused with nothing taken.
#[tokio::test]
async fn a_kit_takes_its_codes_in_order_across_blocks_or_none() {
    let f = fixture().await;
    let lab = f.lab_without_sample_block().await;
    for (first, last) in [(20, 23), (1, 4)] {
        f.run(
            &f.admin,
            Command::AssignNumberBlock {
                block_id: Uuid::now_v7(),
                block: NewBlock {
                    kind: BlockKind::Sample,
                    device_id: f.store.device_id().into(),
                    site_id: None,
                    prefix: "AQ".into(),
                    digits: 6,
                    first,
                    last,
                },
                reason: "lease".into(),
            },
        )
        .await;
    }
    let participant = f.participant(&lab.desk, lab.site).await;
    let mut codes = Vec::new();
    for _ in 0..2 {
        for id in f.kit(&lab.desk, participant, lab.kit, 3).await {
            codes.push(f.store.sample(id).await.unwrap().code);
        }
    }
    let expected: Vec<String> = [1, 2, 3, 4, 20, 21]
        .into_iter()
        .map(|n| sample_code("AQ", 6, n).unwrap())
        .collect();
    assert_eq!(codes, expected, "the lower block first, then the next");

    let kit_of = |n: usize| Command::RegisterKit {
        registration_id: Uuid::now_v7(),
        participant_id: participant,
        template_id: lab.kit,
        template_version: Some(1),
        event_id: None,
        collected_at: f.store.now(),
        collector: "Nurse".into(),
        tubes: (0..n)
            .map(|_| aliquot_domain::command::NewTube {
                sample_id: Uuid::now_v7(),
                code: None,
            })
            .collect(),
    };
    // 22 and 23 are left, one short of a kit: refused, and neither is taken.
    let before = f.count("samples").await;
    let e = domain_error(f.store.execute(&lab.desk, kit_of(3)).await);
    assert_eq!(e, DomainError::BlockUsedUp { kind: "sample" });
    assert_eq!(f.count("samples").await, before);
    let next: i64 =
        sqlx::query_scalar("SELECT next_value FROM number_blocks WHERE first_value = 20")
            .fetch_one(f.store.pool())
            .await
            .unwrap();
    assert_eq!(next, 22);
}

#[tokio::test]
async fn a_code_with_a_wrong_check_character_is_refused_clearly() {
    let f = fixture().await;
    let lab = f.lab().await;
    let code = f.store.sample(lab.stored).await.unwrap().code;
    let wrong = mistyped(&code);
    let err = f.store.lookup_scan(&wrong).await.unwrap_err();
    assert!(matches!(
        err,
        StoreError::Domain(DomainError::CheckCharacterMismatch { .. })
    ));
    let message = err.to_string();
    assert!(
        message.contains(&wrong) && message.contains("check character"),
        "{message}"
    );
    // The same code typed without its check character is found.
    let Some(Scanned::Sample(s)) = f.store.lookup_scan(&code[..code.len() - 1]).await.unwrap()
    else {
        panic!("not found without check character")
    };
    assert_eq!(s.code, code);
}

#[tokio::test]
async fn lookup_by_scan_finds_samples_boxes_and_participants() {
    let f = fixture().await;
    let lab = f.lab().await;
    let sample = f.store.sample(lab.stored).await.unwrap();
    let Some(Scanned::Sample(found)) = f
        .store
        .lookup_scan(&format!("  {}\n", sample.code.to_lowercase()))
        .await
        .unwrap()
    else {
        panic!()
    };
    assert_eq!(found.id, lab.stored);
    assert_eq!(
        found.participant_code,
        f.store.participant(lab.participant).await.unwrap().code
    );
    assert_eq!(found.site_code, "NORTH");
    assert_eq!(
        found.location.as_ref().unwrap().position.as_deref(),
        Some("A1")
    );
    let barcode = f.store.storage_box(lab.storage_box).await.unwrap().barcode;
    assert!(
        matches!(f.store.lookup_scan(&barcode).await.unwrap(), Some(Scanned::Box(b)) if b.id == lab.storage_box)
    );
    let participant = f.store.participant(lab.participant).await.unwrap();
    assert!(
        matches!(f.store.lookup_scan(&participant.code).await.unwrap(), Some(Scanned::Participant(p)) if p.id == lab.participant)
    );
    assert_eq!(f.store.lookup_scan("NOTHING-HERE").await.unwrap(), None);
    assert!(f.store.lookup_scan(&"X".repeat(65)).await.is_err());
    assert!(f.store.lookup_scan("AQ\u{7}1").await.is_err());
}

#[tokio::test]
async fn a_pre_printed_label_binds_once() {
    let f = fixture().await;
    let lab = f.lab().await;
    let code = sample_code("RL", 6, 42).unwrap();
    let tubes = |code: Option<String>| {
        vec![
            aliquot_domain::command::NewTube {
                sample_id: Uuid::now_v7(),
                code,
            },
            aliquot_domain::command::NewTube {
                sample_id: Uuid::now_v7(),
                code: None,
            },
            aliquot_domain::command::NewTube {
                sample_id: Uuid::now_v7(),
                code: None,
            },
        ]
    };
    let register = |tubes| Command::RegisterKit {
        registration_id: Uuid::now_v7(),
        participant_id: lab.participant,
        template_id: lab.kit,
        template_version: Some(1),
        event_id: None,
        collected_at: f.store.now(),
        collector: "Nurse".into(),
        tubes,
    };
    let first = tubes(Some(code.clone()));
    let bound = first[0].sample_id;
    f.run(&lab.desk, register(first)).await;
    assert_eq!(f.store.sample(bound).await.unwrap().code, code);
    assert_eq!(
        domain_error(
            f.store
                .execute(&lab.desk, register(tubes(Some(code.clone()))))
                .await
        ),
        DomainError::CodeTaken { code: code.clone() }
    );
    // A code that belongs to no block of this workstation.
    let foreign = sample_code("ZZ", 6, 1).unwrap();
    assert_eq!(
        domain_error(
            f.store
                .execute(&lab.desk, register(tubes(Some(foreign.clone()))))
                .await
        ),
        DomainError::CodeNotIssued { code: foreign }
    );
}

#[tokio::test]
async fn has_space_is_filtered_in_sql_so_totals_and_pages_are_right() {
    let f = fixture().await;
    let lab = f.lab().await;
    // Twelve 1×1 boxes in the other rack; fill every third.
    let participant = f.participant(&lab.desk, lab.site).await;
    let mut full = 0;
    for i in 0..12 {
        let b = f.grid_box(&lab.manager, lab.other_rack, 1, 1).await;
        if i % 3 == 0 {
            let id = f.kit(&lab.desk, participant, lab.kit, 3).await[0];
            f.receive(&lab.tech, id).await;
            f.place(&lab.tech, b, id, None).await;
            full += 1;
        }
    }
    let filter = |has_space| BoxFilter {
        rack_id: Some(lab.other_rack),
        has_space,
        ..BoxFilter::default()
    };
    let mut seen = Vec::new();
    for page in 1..=3 {
        let p = f
            .store
            .boxes(
                &filter(Some(true)),
                BoxSort::Name,
                SortOrder::Asc,
                PageRequest { page, per_page: 3 },
            )
            .await
            .unwrap();
        assert_eq!(p.total, 12 - full);
        assert_eq!(p.total_pages, 3);
        assert!(p.items.iter().all(|b| b.occupied == 0));
        seen.extend(p.items.into_iter().map(|b| b.id));
    }
    assert_eq!(seen.iter().collect::<HashSet<_>>().len(), 8);
    let full_boxes = f
        .store
        .boxes(
            &filter(Some(false)),
            BoxSort::Free,
            SortOrder::Desc,
            PageRequest {
                page: 1,
                per_page: 50,
            },
        )
        .await
        .unwrap();
    assert_eq!(full_boxes.total, full);
    assert_eq!(full_boxes.items.len(), 4);
    let all = f
        .store
        .boxes(
            &filter(None),
            BoxSort::Barcode,
            SortOrder::Desc,
            PageRequest {
                page: 2,
                per_page: 5,
            },
        )
        .await
        .unwrap();
    assert_eq!((all.total, all.total_pages, all.items.len()), (12, 3, 5));
    // With no other filter the total is counted by its own statement: it still agrees with
    // the rows the page statement finds, across the whole lab.
    for has_space in [Some(true), Some(false), None] {
        let every = f
            .store
            .boxes(
                &BoxFilter {
                    has_space,
                    ..BoxFilter::default()
                },
                BoxSort::Name,
                SortOrder::Asc,
                PageRequest {
                    page: 1,
                    per_page: 200,
                },
            )
            .await
            .unwrap();
        assert_eq!(every.total, every.items.len() as u64, "{has_space:?}");
        assert!(every.items.len() > if has_space == Some(false) { 3 } else { 8 });
    }
    // The lab-wide has-space page by name reads an index of its own (migration 0018): it
    // finds what the general statement finds (here in the opposite order), and a box leaves
    // it when its last position is taken and comes back when the tube leaves.
    let with_space_by_name = |order| {
        let store = f.store.clone();
        async move {
            let filter = BoxFilter {
                has_space: Some(true),
                ..BoxFilter::default()
            };
            let page = PageRequest {
                page: 1,
                per_page: 200,
            };
            let found = store.boxes(&filter, BoxSort::Name, order, page).await;
            let found = found.unwrap();
            assert_eq!(found.total, found.items.len() as u64);
            found.items.into_iter().map(|b| b.id).collect::<Vec<_>>()
        }
    };
    let ascending = with_space_by_name(SortOrder::Asc).await;
    let mut descending = with_space_by_name(SortOrder::Desc).await;
    descending.reverse();
    assert_eq!(ascending, descending);
    let last_free = f.grid_box(&lab.manager, lab.other_rack, 1, 1).await;
    assert!(with_space_by_name(SortOrder::Asc)
        .await
        .contains(&last_free));
    let tube = f.kit(&lab.desk, participant, lab.kit, 3).await[0];
    f.receive(&lab.tech, tube).await;
    f.place(&lab.tech, last_free, tube, None).await;
    assert!(!with_space_by_name(SortOrder::Asc)
        .await
        .contains(&last_free));
    f.run(
        &lab.tech,
        Command::UnplaceSample {
            sample_id: tube,
            reason: "cap cracked; on the bench".into(),
        },
    )
    .await;
    assert!(with_space_by_name(SortOrder::Asc)
        .await
        .contains(&last_free));

    // Room for a batch of two, in SQL: none of the 1×1 boxes, then the one 1×2 box.
    let room_for_two = || BoxFilter {
        rack_id: Some(lab.other_rack),
        min_free: Some(2),
        ..BoxFilter::default()
    };
    let page = |filter| {
        let store = f.store.clone();
        async move {
            store
                .boxes(
                    &filter,
                    BoxSort::Name,
                    SortOrder::Asc,
                    PageRequest::default(),
                )
                .await
                .unwrap()
        }
    };
    assert_eq!(page(room_for_two()).await.total, 0);
    let pair = f.grid_box(&lab.manager, lab.other_rack, 1, 2).await;
    let found = page(room_for_two()).await;
    assert_eq!(
        (found.total, found.items.first().map(|b| b.id)),
        (1, Some(pair))
    );
    assert!(f
        .store
        .boxes(
            &filter(None),
            BoxSort::Name,
            SortOrder::Asc,
            PageRequest {
                page: 1,
                per_page: 201
            }
        )
        .await
        .is_err());
}

#[tokio::test]
async fn placement_moves_auto_position_and_bags() {
    let f = fixture().await;
    let lab = f.lab().await;
    let participant = f.participant(&lab.desk, lab.site).await;
    let tubes = f.kit(&lab.desk, participant, lab.kit, 3).await;
    for t in &tubes {
        f.receive(&lab.tech, *t).await;
    }
    // Occupied position: refused with the occupant named.
    let e = domain_error(
        f.store
            .execute(
                &lab.tech,
                Command::PlaceSamples {
                    box_id: lab.storage_box,
                    tubes: vec![TubePlacement {
                        sample_id: tubes[0],
                        position: Some("a1".into()),
                    }],
                    source: PlacementSource::Manual,
                    receive: false,
                },
            )
            .await,
    );
    let occupant = f.store.sample(lab.stored).await.unwrap().code;
    assert_eq!(
        e,
        DomainError::PositionOccupied {
            position: "A1".into(),
            occupant
        }
    );
    // A position outside the box is refused, never guessed.
    assert!(matches!(
        domain_error(
            f.store
                .execute(
                    &lab.tech,
                    Command::PlaceSamples {
                        box_id: lab.storage_box,
                        tubes: vec![TubePlacement {
                            sample_id: tubes[0],
                            position: Some("C1".into())
                        }],
                        source: PlacementSource::Manual,
                        receive: false,
                    }
                )
                .await
        ),
        DomainError::Invalid {
            field: "position",
            ..
        }
    ));
    // Next free in reading order.
    f.place(&lab.tech, lab.storage_box, tubes[0], None).await;
    assert_eq!(
        f.store
            .sample(tubes[0])
            .await
            .unwrap()
            .location
            .unwrap()
            .position
            .as_deref(),
        Some("A3")
    );
    // Keep the participant together: B1 is next after A3? No: A3 is the row's end, B1 follows.
    f.run(
        &lab.manager,
        Command::ChangeSettings {
            settings: vec![Setting::AutoPosition(AutoPosition::KeepParticipantTogether)],
            reason: "keep kits together".into(),
        },
    )
    .await;
    f.place(&lab.tech, lab.empty_box, tubes[1], Some("B2"))
        .await;
    f.place(&lab.tech, lab.empty_box, tubes[2], None).await;
    assert_eq!(
        f.store
            .sample(tubes[2])
            .await
            .unwrap()
            .location
            .unwrap()
            .position
            .as_deref(),
        Some("B3")
    );
    // A move keeps one position per sample and records where from.
    f.place(&lab.tech, lab.storage_box, tubes[2], Some("B1"))
        .await;
    let moves: Vec<_> = f
        .history(tubes[2])
        .await
        .into_iter()
        .filter_map(|e| match e.what {
            aliquot_store::samples::SampleEventKind::Placement {
                from_position,
                to_position,
                ..
            } => Some((from_position, to_position)),
            _ => None,
        })
        .collect();
    assert_eq!(moves.len(), 2);
    assert_eq!(
        (moves[1].0.as_deref(), moves[1].1.as_deref()),
        (Some("B3"), Some("B1"))
    );
    // Swapping two tubes in one command works because all are lifted first.
    f.run(
        &lab.tech,
        Command::PlaceSamples {
            box_id: lab.storage_box,
            tubes: vec![
                TubePlacement {
                    sample_id: tubes[0],
                    position: Some("B1".into()),
                },
                TubePlacement {
                    sample_id: tubes[2],
                    position: Some("A3".into()),
                },
            ],
            source: PlacementSource::RackImport,
            receive: false,
        },
    )
    .await;
    assert_eq!(
        f.store
            .sample(tubes[0])
            .await
            .unwrap()
            .location
            .unwrap()
            .position
            .as_deref(),
        Some("B1")
    );
    // A bag takes tubes without positions, up to its capacity.
    let more = f.kit(&lab.desk, participant, lab.kit, 3).await;
    for t in &more {
        f.receive(&lab.tech, *t).await;
    }
    f.run(
        &lab.tech,
        Command::PlaceSamples {
            box_id: lab.bag,
            tubes: more[..2]
                .iter()
                .map(|id| TubePlacement {
                    sample_id: *id,
                    position: None,
                })
                .collect(),
            source: PlacementSource::Scan,
            receive: false,
        },
    )
    .await;
    assert_eq!(
        domain_error(
            f.store
                .execute(
                    &lab.tech,
                    Command::PlaceSamples {
                        box_id: lab.bag,
                        tubes: vec![TubePlacement {
                            sample_id: more[2],
                            position: None
                        }],
                        source: PlacementSource::Scan,
                        receive: false,
                    }
                )
                .await
        ),
        DomainError::BoxFull
    );
    assert!(f
        .store
        .sample(more[0])
        .await
        .unwrap()
        .location
        .unwrap()
        .position
        .is_none());
    assert_storage_invariants(&f.store).await;
}

#[tokio::test]
async fn check_out_and_in_accumulate_time_out_of_the_freezer() {
    let f = fixture().await;
    let lab = f.lab().await;
    f.clock.advance(Duration::minutes(30));
    f.run(
        &lab.tech,
        Command::CheckInSamples {
            sample_ids: vec![lab.checked_out],
        },
    )
    .await;
    let s = f.store.sample(lab.checked_out).await.unwrap();
    assert_eq!((s.status, s.time_out_seconds), (SampleStatus::Stored, 1800));
    assert_eq!(
        s.location.unwrap().position.as_deref(),
        Some("A2"),
        "back where it came from"
    );
    f.run(
        &lab.tech,
        Command::CheckOutSamples {
            sample_ids: vec![lab.checked_out],
            reason: "second run".into(),
        },
    )
    .await;
    f.clock.advance(Duration::minutes(10));
    f.run(
        &lab.tech,
        Command::CheckInSamples {
            sample_ids: vec![lab.checked_out],
        },
    )
    .await;
    assert_eq!(
        f.store
            .sample(lab.checked_out)
            .await
            .unwrap()
            .time_out_seconds,
        2400
    );
    // A checked-out tube cannot be moved until it is back.
    f.run(
        &lab.tech,
        Command::CheckOutSamples {
            sample_ids: vec![lab.checked_out],
            reason: "third".into(),
        },
    )
    .await;
    assert!(matches!(
        domain_error(
            f.store
                .execute(
                    &lab.tech,
                    Command::PlaceSamples {
                        box_id: lab.empty_box,
                        tubes: vec![TubePlacement {
                            sample_id: lab.checked_out,
                            position: None
                        }],
                        source: PlacementSource::Scan,
                        receive: false,
                    }
                )
                .await
        ),
        DomainError::Refused(_)
    ));
}

/// Un-placing: a stored tube leaves its box for good onto the bench (received again), its
/// well is free, the reason is kept in its history and its own audit row; a tube not in a
/// box, a checked-out one and a blank reason are refused and change nothing.
#[tokio::test]
async fn a_stored_tube_is_taken_out_of_its_box_with_a_reason() {
    let f = fixture().await;
    let lab = f.lab().await;
    let before = f.store.sample(lab.stored).await.unwrap();
    let place = before.location.clone().unwrap();
    let refused = |result| match domain_error(result) {
        DomainError::Refused(m) => m,
        DomainError::Invalid { .. } => "blank reason".to_owned(),
        other => panic!("{other:?}"),
    };
    let untouched = f.snapshot().await;
    for (sample_id, reason, says) in [
        (lab.stored, "   ", "blank reason"),
        (lab.received, "not placed", "is not in a box"),
        (lab.checked_out, "out for an assay", "check it in first"),
    ] {
        let message = refused(
            f.store
                .execute(
                    &lab.tech,
                    Command::UnplaceSample {
                        sample_id,
                        reason: reason.into(),
                    },
                )
                .await,
        );
        assert!(message.contains(says), "{message}");
    }
    assert_eq!(f.snapshot().await, untouched, "a refusal leaves no trace");

    f.run(
        &lab.tech,
        Command::UnplaceSample {
            sample_id: lab.stored,
            reason: "  kept on the bench for the pathologist ".into(),
        },
    )
    .await;
    let after = f.store.sample(lab.stored).await.unwrap();
    assert_eq!(
        (after.status, after.location),
        (SampleStatus::Received, None)
    );
    let (status, placement) = {
        let history = f.history(lab.stored).await;
        let last_status = history
            .iter()
            .rev()
            .find(|e| {
                matches!(
                    e.what,
                    aliquot_store::samples::SampleEventKind::Status { .. }
                )
            })
            .cloned()
            .unwrap();
        let last_move = history
            .iter()
            .rev()
            .find(|e| {
                matches!(
                    e.what,
                    aliquot_store::samples::SampleEventKind::Placement { .. }
                )
            })
            .cloned()
            .unwrap();
        (last_status, last_move)
    };
    assert_eq!(
        status.note.as_deref(),
        Some("kept on the bench for the pathologist")
    );
    assert!(matches!(
        placement.what,
        aliquot_store::samples::SampleEventKind::Placement { to_box_id: None, ref source, .. } if source == "unplace"
    ));
    // Its well takes another tube at once.
    f.run(
        &lab.tech,
        Command::PlaceSamples {
            box_id: place.box_id,
            tubes: vec![TubePlacement {
                sample_id: lab.received,
                position: place.position.clone(),
            }],
            source: PlacementSource::Scan,
            receive: false,
        },
    )
    .await;
    let row: (String, String, Option<String>) = sqlx::query_as(
        "SELECT action, entity_id, reason FROM audit_log WHERE action = 'unplace_sample'",
    )
    .fetch_one(f.store.pool())
    .await
    .unwrap();
    assert_eq!(
        row,
        (
            "unplace_sample".to_owned(),
            before.code,
            Some("kept on the bench for the pathologist".to_owned())
        )
    );
}

#[tokio::test]
async fn aliquots_split_volume_keep_lineage_and_deplete_the_parent() {
    let f = fixture().await;
    let lab = f.lab().await;
    let children: Vec<NewAliquot> = (0..2)
        .map(|_| NewAliquot {
            sample_id: Uuid::now_v7(),
            code: None,
            sample_type: SampleType::new("dna"),
            volume_ul: 250,
        })
        .collect();
    let ids: Vec<Uuid> = children.iter().map(|c| c.sample_id).collect();
    f.run(
        &lab.tech,
        Command::CreateAliquots {
            parent_id: lab.stored,
            children,
        },
    )
    .await;
    let parent = f.store.sample(lab.stored).await.unwrap();
    assert_eq!(
        (parent.status, parent.volume_ul),
        (SampleStatus::Depleted, Some(0))
    );
    assert!(
        parent.location.is_none(),
        "a used-up tube leaves its position"
    );
    let aliquots = f
        .store
        .samples_of(
            aliquot_store::samples::SamplesOf::Parent(lab.stored),
            Default::default(),
        )
        .await
        .unwrap()
        .items;
    assert_eq!(
        aliquots.iter().map(|a| a.id).collect::<HashSet<_>>(),
        ids.into_iter().collect()
    );
    for a in aliquots {
        assert_eq!(
            (a.parent_id, a.status, a.sample_type, a.participant_id),
            (
                Some(lab.stored),
                SampleStatus::Received,
                SampleType::new("dna"),
                lab.participant
            )
        );
    }
    assert_storage_invariants(&f.store).await;
}

#[tokio::test]
async fn discard_requests_notify_managers_and_requesters_and_approval_frees_the_position() {
    let f = fixture().await;
    let lab = f.lab().await;
    let other_manager = f.user("manager2", Role::LabManager).await;
    // Only the owner sees and marks a notification.
    let mine = f
        .store
        .notifications(lab.manager.user_id, true, PageRequest::default())
        .await
        .unwrap();
    assert_eq!(mine.total, 1);
    assert!(mine.items[0].message.contains("cracked"));
    assert_eq!(
        f.store
            .notifications(lab.tech.user_id, false, PageRequest::default())
            .await
            .unwrap()
            .total,
        0
    );
    assert_eq!(
        domain_error(
            f.store
                .execute(
                    &lab.tech,
                    Command::MarkNotificationRead {
                        notification_id: lab.notification
                    }
                )
                .await
        ),
        DomainError::NotFound("notification")
    );
    f.run(
        &lab.manager,
        Command::MarkNotificationRead {
            notification_id: lab.notification,
        },
    )
    .await;
    assert_eq!(
        f.store
            .notifications(lab.manager.user_id, true, PageRequest::default())
            .await
            .unwrap()
            .total,
        0
    );
    // A manager created later was not notified of the earlier request.
    assert_eq!(
        f.store
            .notifications(other_manager.user_id, false, PageRequest::default())
            .await
            .unwrap()
            .total,
        0
    );

    f.run(
        &lab.manager,
        Command::DecideDiscard {
            request_id: lab.discard_request,
            approve: true,
            reason: "confirmed".into(),
        },
    )
    .await;
    let s = f.store.sample(lab.stored).await.unwrap();
    assert_eq!(s.status, SampleStatus::Disposed);
    assert!(s.location.is_none());
    let told = f
        .store
        .notifications(lab.tech.user_id, false, PageRequest::default())
        .await
        .unwrap();
    assert_eq!(told.total, 1);
    assert!(told.items[0].message.contains("approved"));
    // The freed position takes another tube.
    f.place(&lab.tech, lab.storage_box, lab.received, Some("A1"))
        .await;
    // A decided request cannot be decided again.
    assert!(matches!(
        domain_error(
            f.store
                .execute(
                    &other_manager,
                    Command::DecideDiscard {
                        request_id: lab.discard_request,
                        approve: false,
                        reason: "late".into()
                    }
                )
                .await
        ),
        DomainError::Refused(_)
    ));

    // Lists are filtered in SQL.
    let filter = aliquot_store::samples::DiscardFilter {
        state: Some(aliquot_store::samples::DiscardState::Approved),
        ..Default::default()
    };
    let approved = f
        .store
        .discard_requests(&filter, PageRequest::default())
        .await
        .unwrap();
    assert_eq!(
        (approved.total, approved.items[0].decided_by.is_some()),
        (1, true)
    );
    let pending = aliquot_store::samples::DiscardFilter {
        state: Some(aliquot_store::samples::DiscardState::Pending),
        ..Default::default()
    };
    assert_eq!(
        f.store
            .discard_requests(&pending, PageRequest::default())
            .await
            .unwrap()
            .total,
        0
    );
    assert_storage_invariants(&f.store).await;
}

#[tokio::test]
async fn withdrawn_consent_shows_on_every_sample_and_stops_new_kits() {
    let f = fixture().await;
    let lab = f.lab().await;
    f.run(
        &lab.desk,
        Command::RecordConsent {
            participant_id: lab.participant,
            consent: ConsentStatus::Withdrawn,
            consent_date: f.store.now().date_naive(),
            reason: "letter received".into(),
        },
    )
    .await;
    for s in f
        .store
        .samples_of(
            aliquot_store::samples::SamplesOf::Participant(lab.participant),
            Default::default(),
        )
        .await
        .unwrap()
        .items
    {
        assert_eq!(s.consent, ConsentStatus::Withdrawn, "{}", s.code);
    }
    let e = domain_error(
        f.store
            .execute(
                &lab.desk,
                Command::RegisterKit {
                    registration_id: Uuid::now_v7(),
                    participant_id: lab.participant,
                    template_id: lab.kit,
                    template_version: Some(1),
                    event_id: None,
                    collected_at: f.store.now(),
                    collector: "Nurse".into(),
                    tubes: (0..3)
                        .map(|_| aliquot_domain::command::NewTube {
                            sample_id: Uuid::now_v7(),
                            code: None,
                        })
                        .collect(),
                },
            )
            .await,
    );
    assert!(e.to_string().contains("withdrawn consent"));
}

#[tokio::test]
async fn sites_ranges_events_and_participant_search() {
    let f = fixture().await;
    let lab = f.lab().await;
    // An update changes only what was sent.
    f.run(
        &f.admin,
        Command::UpdateSite {
            site_id: lab.site,
            name: None,
            participant_range_start: None,
            participant_range_end: Some(12_000),
            reason: "more room".into(),
        },
    )
    .await;
    let site = f.store.site(lab.site).await.unwrap();
    assert_eq!(
        (
            site.name.as_str(),
            site.participant_range_start,
            site.participant_range_end
        ),
        ("NORTH clinic", 10_000, 12_000)
    );
    // Participant numbers come from this workstation's block, in order.
    let p = f.store.participant(lab.participant).await.unwrap();
    assert_eq!(p.number, 10_000);
    let second = f.participant(&lab.desk, lab.site).await;
    assert_eq!(f.store.participant(second).await.unwrap().number, 10_001);
    let by_code = f
        .store
        .search_participants(&p.code, None, PageRequest::default())
        .await
        .unwrap();
    assert_eq!((by_code.total, by_code.items[0].id), (1, lab.participant));
    let all = f
        .store
        .search_participants(
            "",
            Some(lab.site),
            PageRequest {
                page: 1,
                per_page: 1,
            },
        )
        .await
        .unwrap();
    assert_eq!((all.total, all.total_pages), (2, 2));
    // Field event summary: samples registered at the event, by type.
    f.run(
        &lab.desk,
        Command::RegisterKit {
            registration_id: Uuid::now_v7(),
            participant_id: lab.participant,
            template_id: lab.kit,
            template_version: Some(1),
            event_id: Some(lab.event),
            collected_at: f.store.now(),
            collector: "Nurse".into(),
            tubes: (0..3)
                .map(|_| aliquot_domain::command::NewTube {
                    sample_id: Uuid::now_v7(),
                    code: None,
                })
                .collect(),
        },
    )
    .await;
    let summary = f.store.event_summary(lab.event).await.unwrap();
    assert_eq!(summary.event.participants, 1);
    assert_eq!(
        summary
            .samples_by_type
            .iter()
            .map(|t| (t.sample_type.as_str(), t.count))
            .collect::<Vec<_>>(),
        vec![("plasma", 2), ("serum", 1)]
    );
    // A participant not checked in cannot have samples linked to the event.
    assert!(matches!(
        domain_error(
            f.store
                .execute(
                    &lab.desk,
                    Command::RegisterKit {
                        registration_id: Uuid::now_v7(),
                        participant_id: second,
                        template_id: lab.kit,
                        template_version: Some(1),
                        event_id: Some(lab.event),
                        collected_at: f.store.now(),
                        collector: "Nurse".into(),
                        tubes: (0..3)
                            .map(|_| aliquot_domain::command::NewTube {
                                sample_id: Uuid::now_v7(),
                                code: None
                            })
                            .collect()
                    }
                )
                .await
        ),
        DomainError::Refused(_)
    ));
}

#[tokio::test]
async fn storage_is_voided_never_deleted_and_boxes_move_with_history() {
    let f = fixture().await;
    let lab = f.lab().await;
    assert_eq!(
        domain_error(
            f.store
                .execute(
                    &lab.manager,
                    Command::VoidStorage {
                        target: StorageTarget::Box(lab.storage_box),
                        reason: "x".into()
                    }
                )
                .await
        ),
        DomainError::NotEmpty { what: "the box" }
    );
    assert!(matches!(
        domain_error(
            f.store
                .execute(
                    &lab.manager,
                    Command::VoidStorage {
                        target: StorageTarget::Rack(lab.rack),
                        reason: "x".into()
                    }
                )
                .await
        ),
        DomainError::NotEmpty { .. }
    ));
    f.run(
        &lab.manager,
        Command::VoidStorage {
            target: StorageTarget::Box(lab.empty_box),
            reason: "cracked lid".into(),
        },
    )
    .await;
    let listed = f
        .store
        .boxes(
            &BoxFilter {
                rack_id: Some(lab.rack),
                ..BoxFilter::default()
            },
            BoxSort::Name,
            SortOrder::Asc,
            PageRequest::default(),
        )
        .await
        .unwrap();
    assert!(listed.items.iter().all(|b| b.id != lab.empty_box));
    let kept: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM boxes WHERE id = ?1 AND voided_at IS NOT NULL")
            .bind(lab.empty_box.to_string())
            .fetch_one(f.store.pool())
            .await
            .unwrap();
    assert_eq!(kept, 1, "voided, not deleted");
    f.run(
        &lab.manager,
        Command::MoveBox {
            box_id: lab.storage_box,
            rack_id: lab.other_rack,
            reason: "reorganise".into(),
        },
    )
    .await;
    let s = f.store.sample(lab.stored).await.unwrap();
    assert_eq!(
        s.location.unwrap().rack,
        "Rack 2",
        "the tubes travel with their box"
    );
    let moves: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM box_moves WHERE box_id = ?1")
        .bind(lab.storage_box.to_string())
        .fetch_one(f.store.pool())
        .await
        .unwrap();
    assert_eq!(moves, 1);
    let e = f
        .store
        .execute(
            &lab.manager,
            Command::PlaceSamples {
                box_id: lab.empty_box,
                tubes: vec![TubePlacement {
                    sample_id: lab.received,
                    position: None,
                }],
                source: PlacementSource::Scan,
                receive: false,
            },
        )
        .await;
    assert_eq!(domain_error(e), DomainError::Voided("the box"));
}

/// A demo larger than its boxes hold fills them and leaves the other tubes unplaced; the
/// tubes it checks out are stored ones (it once checked out tubes it never placed).
#[tokio::test]
async fn a_demo_larger_than_its_boxes_fills_them_and_checks_out_only_stored_tubes() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), Arc::new(aliquot_domain::SystemClock))
        .await
        .unwrap();
    let report = aliquot_store::seed::demo_lab(
        &store,
        aliquot_store::seed::DemoSize {
            participants_per_site: 200,
            checked_in_per_event: 30,
        },
    )
    .await
    .unwrap();
    assert_eq!(report.samples, 3002);
    assert_eq!(report.placed, 1800);
    let out: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM samples WHERE status = 'checked_out'")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert!(out > 0);
    assert_storage_invariants(&store).await;
}

/// The demo seeder is run by the tests (the predecessor's broke unnoticed) and makes the
/// lab the README promises, through the executor.
#[tokio::test]
async fn the_demo_lab_seeds_through_the_executor() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), Arc::new(aliquot_domain::SystemClock))
        .await
        .unwrap();
    let report = aliquot_store::seed::demo_lab(&store, aliquot_store::seed::DemoSize::default())
        .await
        .unwrap();
    assert_eq!(
        (
            report.sites,
            report.field_events,
            report.participants,
            report.freezers
        ),
        (3, 2, 300, 2)
    );
    assert_eq!(report.samples, 1502);
    assert_eq!(report.placed, 1500);
    assert!(report.discard_requests >= 3);
    // Every command is audited (one row per record it changed).
    let audited_commands: i64 = sqlx::query_scalar(
        "SELECT COUNT(DISTINCT json_extract(context, '$.command_id')) FROM audit_log",
    )
    .fetch_one(store.pool())
    .await
    .unwrap();
    assert_eq!(audited_commands, i64::try_from(report.commands).unwrap());
    assert_eq!(
        store.outbox_pending().await.unwrap(),
        i64::try_from(report.commands).unwrap()
    );
    assert!(store
        .verify_audit_chain()
        .await
        .unwrap()
        .first_break
        .is_none());
    assert_storage_invariants(&store).await;
    let counts: HashMap<String, i64> =
        sqlx::query_as::<_, (String, i64)>("SELECT status, COUNT(*) FROM samples GROUP BY status")
            .fetch_all(store.pool())
            .await
            .unwrap()
            .into_iter()
            .collect();
    assert_eq!(counts.values().sum::<i64>(), 1502);
    assert!(counts["stored"] > 1400);
    // A second run refuses to mix demo data into a store with accounts.
    assert!(
        aliquot_store::seed::demo_lab(&store, aliquot_store::seed::DemoSize::default())
            .await
            .is_err()
    );
}
