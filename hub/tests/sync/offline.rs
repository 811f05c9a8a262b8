//! Offline work, then sync: two desks fill the same box; pending work is rebased on
//! the hub's changes; every workstation ends equal to the hub.

use crate::*;
use aliquot_domain::command::{NewTube, PlacementSource, TubePlacement};
use aliquot_domain::sample::{ConsentStatus, KitItem, SampleStatus, SampleType};
use aliquot_domain::storage::{BoxLayout, FreezerKind};
use aliquot_domain::{Actor, Command, Role};
use aliquot_sync::plan::RecordSyncState;
use chrono::{Duration, Utc};
use uuid::Uuid;

pub struct Lab {
    pub tech: Actor,
    pub site: Uuid,
    pub kit: Uuid,
    pub storage_box: Uuid,
}

pub async fn lab(hub: &RunningHub) -> Lab {
    let manager = hub.user("manager", Role::LabManager).await;
    let tech = hub.user("tech", Role::Technician).await;
    let (site, kit, freezer, rack, storage_box) = (
        Uuid::now_v7(),
        Uuid::now_v7(),
        Uuid::now_v7(),
        Uuid::now_v7(),
        Uuid::now_v7(),
    );
    for command in [
        Command::CreateSite {
            site_id: site,
            code: "NORTH".into(),
            name: "North clinic".into(),
            participant_range_start: 10_000,
            participant_range_end: 19_999,
        },
        Command::CreateKitTemplate {
            template_id: kit,
            name: "Two tubes".into(),
            items: vec![KitItem {
                sample_type: SampleType::new(SampleType::WHOLE_BLOOD),
                count: 2,
                volume_ul: Some(500),
            }],
        },
        Command::CreateFreezer {
            freezer_id: freezer,
            name: "Freezer 1".into(),
            location: "Room 1".into(),
            freezer_kind: FreezerKind::UltraLow,
            temperature_c: -80,
        },
        Command::CreateRack {
            rack_id: rack,
            freezer_id: freezer,
            name: "Rack 1".into(),
        },
        Command::CreateBox {
            box_id: storage_box,
            rack_id: rack,
            name: "Box 1".into(),
            barcode: "BOX0001".into(),
            box_type: "2x3".into(),
            layout: BoxLayout::Grid {
                rows: 2,
                columns: 3,
            },
        },
    ] {
        hub.hub.execute(&manager, command).await.unwrap();
    }
    Lab {
        tech,
        site,
        kit,
        storage_box,
    }
}

/// A participant and their kit, registered at `ws` with numbers and codes from its own
/// blocks (resolved offline); returns the tube ids.
pub async fn register(ws: &Workstation, lab: &Lab) -> Vec<Uuid> {
    register_kit(ws, &lab.tech, lab.site, lab.kit, 2).await
}

/// [`register`] at `site` by `tech`, with `tubes` tubes of kit `template` (version 1).
pub async fn register_kit(
    ws: &Workstation,
    tech: &Actor,
    site: Uuid,
    template: Uuid,
    tubes: usize,
) -> Vec<Uuid> {
    let participant = Uuid::now_v7();
    ws.store()
        .execute(
            tech,
            Command::RegisterParticipant {
                participant_id: participant,
                site_id: site,
                number: None,
                external_id: None,
                consent: ConsentStatus::Given,
                consent_date: (Utc::now() - Duration::days(1)).date_naive(),
                sex: None,
                birth_year: None,
            },
        )
        .await
        .unwrap();
    let tubes: Vec<Uuid> = (0..tubes).map(|_| Uuid::now_v7()).collect();
    ws.store()
        .execute(
            tech,
            Command::RegisterKit {
                registration_id: Uuid::now_v7(),
                participant_id: participant,
                template_id: template,
                template_version: Some(1),
                event_id: None,
                collected_at: Utc::now() - Duration::hours(1),
                collector: "Nurse Jo".into(),
                tubes: tubes
                    .iter()
                    .map(|id| NewTube {
                        sample_id: *id,
                        code: None,
                    })
                    .collect(),
            },
        )
        .await
        .unwrap();
    tubes
}

pub fn place(storage_box: Uuid, sample: Uuid, position: &str) -> Command {
    Command::PlaceSamples {
        box_id: storage_box,
        tubes: vec![TubePlacement {
            sample_id: sample,
            position: Some(position.into()),
        }],
        source: PlacementSource::Scan,
        receive: true,
    }
}

#[tokio::test]
async fn two_offline_desks_fill_the_same_box_and_converge() {
    let mut hub = RunningHub::start().await;
    let lab = lab(&hub).await;
    let a = Workstation::enrolled(&hub, "Desk A").await;
    let b = Workstation::enrolled(&hub, "Desk B").await;

    hub.go_offline().await;
    let a_tubes = register(&a, &lab).await;
    let b_tubes = register(&b, &lab).await;
    a.store()
        .execute(&lab.tech, place(lab.storage_box, a_tubes[0], "A1"))
        .await
        .unwrap();
    b.store()
        .execute(&lab.tech, place(lab.storage_box, b_tubes[0], "A1"))
        .await
        .unwrap();
    // Offline, each desk sees its own tube at A1, waiting for the hub.
    assert_eq!(
        b.store().box_contents(lab.storage_box).await.unwrap()[0].sample_id,
        b_tubes[0]
    );
    let a_code = a.store().sample(a_tubes[0]).await.unwrap().code;
    let b_code = b.store().sample(b_tubes[0]).await.unwrap().code;
    assert_eq!(
        a.store()
            .record_sync_state("sample", &a_code)
            .await
            .unwrap(),
        RecordSyncState::Queued
    );

    hub.come_back().await;
    let first = a.sync().await;
    assert_eq!(first.pushed, 3);
    let second = b.sync().await;
    assert_eq!(second.pushed, 3);

    // Exactly one tube at A1, everywhere: desk A's.
    for store in [hub.hub.store(), a.store(), b.store()] {
        let wells = store.box_contents(lab.storage_box).await.unwrap();
        assert_eq!(wells.len(), 1);
        assert_eq!(wells[0].sample_id, a_tubes[0]);
    }
    // Desk B's tube is unplaced and, its "receive and place" refused whole, still
    // collected; its participant and kit stand.
    assert_eq!(
        b.store().sample(b_tubes[0]).await.unwrap().status,
        SampleStatus::Collected
    );
    assert_eq!(
        hub.hub.store().sample(b_tubes[1]).await.unwrap().status,
        SampleStatus::Collected
    );
    let issues = b.store().sync_issues(Default::default()).await.unwrap();
    assert_eq!(issues.total, 1);
    let issue = &issues.items[0];
    assert_eq!(issue.reason_code.as_deref(), Some("position_occupied"));
    assert_eq!(issue.details["occupant"], a_code.as_str());
    assert_eq!(issue.kind, "place_samples");
    let counts = b.store().outbox_counts().await.unwrap();
    assert_eq!((counts.pending, counts.rejected, counts.applied), (0, 1, 2));
    // Each tube's sync state where it is shown: A's applied, B's refused; on B, A's tube
    // (never changed there) is as the hub has it. One query answers for both.
    assert_eq!(
        a.store()
            .record_sync_state("sample", &a_code)
            .await
            .unwrap(),
        RecordSyncState::Applied
    );
    assert_eq!(
        b.store()
            .records_sync_state("sample", &[a_code.clone(), b_code.clone()])
            .await
            .unwrap(),
        vec![
            (a_code.clone(), RecordSyncState::Applied),
            (b_code.clone(), RecordSyncState::Rejected)
        ]
    );
    // Placed again (received and placed at A2) and decided: the refusal is put right.
    b.store()
        .execute(&lab.tech, place(lab.storage_box, b_tubes[0], "A2"))
        .await
        .unwrap();
    assert_eq!(
        b.store()
            .record_sync_state("sample", &b_code)
            .await
            .unwrap(),
        RecordSyncState::Rejected,
        "a refusal stands until a later change of the tube is applied"
    );
    b.sync().await;
    assert_eq!(
        b.store()
            .record_sync_state("sample", &b_code)
            .await
            .unwrap(),
        RecordSyncState::Applied
    );

    // The refusal is a record of the lab: desk A pulled it too (a lab manager there sees
    // every workstation's), and it is settled there; the settlement reaches desk B, whose
    // Sync issues list and count let it go.
    a.sync().await;
    let on_a = a
        .store()
        .lab_sync_issues(true, Default::default())
        .await
        .unwrap();
    assert_eq!(on_a.total, 1);
    let lab_issue = &on_a.items[0];
    assert_eq!(lab_issue.command_id, issue.command_id);
    assert_eq!(
        (
            lab_issue.device_name.as_str(),
            lab_issue.reason_code.as_str()
        ),
        ("Desk B", "position_occupied")
    );
    assert_eq!(lab_issue.details["occupant"], a_code.as_str());
    a.store()
        .execute(
            &lab.tech,
            Command::ResolveSyncIssue {
                command_id: issue.command_id,
                resolution: aliquot_domain::command::SyncIssueResolution::Redone,
                reason: "placed again at A2".into(),
            },
        )
        .await
        .unwrap();
    a.sync().await;
    b.sync().await;
    assert_eq!(b.store().outbox_counts().await.unwrap().rejected, 0);
    assert_eq!(
        b.store()
            .sync_issues(Default::default())
            .await
            .unwrap()
            .total,
        0
    );
    let settled = b
        .store()
        .lab_sync_issues(false, Default::default())
        .await
        .unwrap();
    assert_eq!(
        settled.items[0].resolution_reason.as_deref(),
        Some("placed again at A2")
    );
    assert_eq!(
        b.store()
            .lab_sync_issues(true, Default::default())
            .await
            .unwrap()
            .total,
        0
    );
    assert_converged(&hub.hub, a.store()).await;
    assert_converged(&hub.hub, b.store()).await;
}

/// Work done offline is rebased on what the hub decided meanwhile: a desk's own pending
/// commands stay applied locally on top of the other desk's pulled changes, and a pending
/// command that no longer fits is flagged as a likely conflict until the hub rules.
#[tokio::test]
async fn pending_work_is_rebased_on_the_hubs_changes() {
    let hub = RunningHub::start().await;
    let lab = lab(&hub).await;
    let a = Workstation::enrolled(&hub, "Desk A").await;
    let b = Workstation::enrolled(&hub, "Desk B").await;
    a.sync().await;
    b.sync().await;
    let a_tubes = register(&a, &lab).await;
    let b_tubes = register(&b, &lab).await;
    a.store()
        .execute(&lab.tech, place(lab.storage_box, a_tubes[0], "A1"))
        .await
        .unwrap();
    a.sync().await;
    // Desk B, not yet having pushed, places at A1 too and at B1; then only pulls.
    b.store()
        .execute(&lab.tech, place(lab.storage_box, b_tubes[0], "A1"))
        .await
        .unwrap();
    b.store()
        .execute(&lab.tech, place(lab.storage_box, b_tubes[1], "B1"))
        .await
        .unwrap();
    let link = b.store().hub_link().await.unwrap().unwrap();
    let page = hub
        .hub
        .pull(
            &hub.hub.authenticate(&link.credential).await.unwrap(),
            link.cursor,
            5_000,
            false,
        )
        .await
        .unwrap();
    let applied = b.store().apply_pull(&page).await.unwrap();
    assert_eq!(applied.rebased, 4);
    assert_eq!(applied.conflicts, 1);
    // A's tube is at A1; B's pending B1 placement still stands locally; the A1 one waits.
    let wells = b.store().box_contents(lab.storage_box).await.unwrap();
    let at: Vec<(String, Uuid)> = wells
        .iter()
        .map(|w| (w.position.clone().unwrap(), w.sample_id))
        .collect();
    assert_eq!(
        at,
        vec![("A1".to_owned(), a_tubes[0]), ("B1".to_owned(), b_tubes[1])]
    );
    let counts = b.store().outbox_counts().await.unwrap();
    assert_eq!((counts.pending, counts.likely_conflicts), (4, 1));
    let issues = b.store().sync_issues(Default::default()).await.unwrap();
    assert_eq!(
        issues.items[0].reason_code.as_deref(),
        Some("likely_conflict")
    );
    // Applying the same page again changes nothing.
    let again = b.store().apply_pull(&page).await.unwrap();
    assert_eq!((again.rebased, again.conflicts), (4, 1));
    assert_eq!(
        b.store().box_contents(lab.storage_box).await.unwrap().len(),
        2
    );
    // The hub rules; everything converges.
    b.sync().await;
    a.sync().await;
    assert_eq!(b.store().outbox_counts().await.unwrap().rejected, 1);
    assert_converged(&hub.hub, a.store()).await;
    assert_converged(&hub.hub, b.store()).await;
}

/// A workstation's own rows that point at lab rows (labels owed for a kit, a session)
/// survive a rebase that takes those lab rows back and makes them again.
#[tokio::test]
async fn labels_owed_for_a_pending_kit_survive_a_rebase() {
    let hub = RunningHub::start().await;
    let lab = lab(&hub).await;
    let a = Workstation::enrolled(&hub, "Desk A").await;
    let b = Workstation::enrolled(&hub, "Desk B").await;
    let token = a.login("tech").await.unwrap();
    let participant = Uuid::now_v7();
    a.store()
        .execute(
            &lab.tech,
            Command::RegisterParticipant {
                participant_id: participant,
                site_id: lab.site,
                number: None,
                external_id: None,
                consent: ConsentStatus::Given,
                consent_date: (Utc::now() - Duration::days(1)).date_naive(),
                sex: None,
                birth_year: None,
            },
        )
        .await
        .unwrap();
    // No printer here: the kit is registered and its labels stay owed.
    let kit = a
        .api
        .register_kit(
            Some(&token),
            aliquot_api::samples::RegisterKitArgs {
                participant_id: participant,
                template_id: lab.kit,
                event_id: None,
                collected_at: Utc::now() - Duration::hours(1),
                collector: "Nurse Jo".into(),
                codes: None,
                print_labels: true,
            },
        )
        .await
        .unwrap();
    let owed = || async {
        a.api
            .list_unprinted_kits(
                Some(&token),
                aliquot_api::printing::ListUnprintedKitsArgs {
                    page: 1,
                    per_page: 50,
                },
            )
            .await
            .unwrap()
            .total
    };
    assert_eq!(owed().await, 1);
    // Another desk's change arrives; desk A pulls before it pushes: its kit is taken
    // back and made again, its owed labels kept.
    register(&b, &lab).await;
    b.sync().await;
    let link = a.store().hub_link().await.unwrap().unwrap();
    let page = hub
        .hub
        .pull(
            &hub.hub.authenticate(&link.credential).await.unwrap(),
            link.cursor,
            5_000,
            false,
        )
        .await
        .unwrap();
    let applied = a.store().apply_pull(&page).await.unwrap();
    assert_eq!(applied.rebased, 2);
    assert_eq!(owed().await, 1);
    assert!(a.api.whoami(Some(&token), Default::default()).await.is_ok());
    a.sync().await;
    assert_eq!(
        a.store().sample(kit.samples[0].id).await.unwrap().status,
        SampleStatus::Collected
    );
    assert_converged(&hub.hub, a.store()).await;
}

/// The convergence check: a lab table that has drifted from the hub's (edited behind the
/// application's back here) is found by its digest, resynced from the hub, and reported.
#[tokio::test]
async fn a_table_found_apart_from_the_hubs_is_resynced_and_reported() {
    let hub = RunningHub::start().await;
    let lab = lab(&hub).await;
    let a = Workstation::enrolled(&hub, "Desk A").await;
    let tubes = register(&a, &lab).await;
    a.sync().await;
    assert_converged(&hub.hub, a.store()).await;
    sqlx::query("UPDATE samples SET collector = 'someone else' WHERE id = ?1")
        .bind(tubes[0].to_string())
        .execute(a.store().pool())
        .await
        .unwrap();
    let link = a.store().hub_link().await.unwrap().unwrap();
    let client = aliquot_api::hub_client::HubClient::new(
        &link.hub_url,
        Some(&link.fingerprint),
        Some(&link.credential),
        std::time::Duration::from_secs(30),
    )
    .unwrap();
    let round = a
        .api
        .sync_round_with(&client, aliquot_api::sync::RoundParts::AllAndCheck)
        .await
        .unwrap();
    assert_eq!(round.diverged, vec!["samples".to_owned()]);
    assert_converged(&hub.hub, a.store()).await;
    assert_eq!(
        a.store().sample(tubes[0]).await.unwrap().collector,
        "Nurse Jo"
    );
    let token = a.login("tech").await.unwrap();
    let status = a
        .api
        .sync_status(Some(&token), Default::default())
        .await
        .unwrap();
    assert_eq!(status.diverged, vec!["samples".to_owned()]);
    // Every command this desk made, with its status.
    let commands = a
        .api
        .list_sync_commands(
            Some(&token),
            aliquot_api::sync::ListSyncIssuesArgs {
                page: 1,
                per_page: 50,
            },
        )
        .await
        .unwrap();
    assert_eq!(commands.total, 2);
    assert!(commands.items.iter().all(|c| c.status == "applied"));
    // The next check finds nothing apart.
    let round = a
        .api
        .sync_round_with(&client, aliquot_api::sync::RoundParts::AllAndCheck)
        .await
        .unwrap();
    assert!(round.diverged.is_empty());
}
