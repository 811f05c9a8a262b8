//! What a lab manager corrects after setup (issue 15, item 2): a site made by mistake is
//! voided and frees its range; a kit template is revised as a new version (kits registered
//! against the old one keep it) or retired; the lab adds and retires its own sample types.

use super::fixture;
use aliquot_domain::command::{NewAliquot, NewTube};
use aliquot_domain::paging::PageRequest;
use aliquot_domain::printing::LabelGroup;
use aliquot_domain::sample::{ConsentStatus, KitItem, SampleType};
use aliquot_domain::{Clock, Command, DomainError};
use aliquot_store::labels::LabelRows;
use aliquot_store::StoreError;
use chrono::Duration;
use uuid::Uuid;

fn refusal(result: Result<aliquot_store::Executed, StoreError>) -> String {
    match result {
        Err(StoreError::Domain(e)) => e.to_string(),
        other => panic!("expected a domain refusal, got {other:?}"),
    }
}

fn page() -> PageRequest {
    PageRequest {
        page: 1,
        per_page: 50,
    }
}

fn items(lines: &[(&str, u8)]) -> Vec<KitItem> {
    lines
        .iter()
        .map(|(t, count)| KitItem {
            sample_type: SampleType::new(*t),
            count: *count,
            volume_ul: None,
        })
        .collect()
}

fn kit(participant: Uuid, template: Uuid, version: Option<u32>, tubes: usize) -> Command {
    Command::RegisterKit {
        registration_id: Uuid::now_v7(),
        participant_id: participant,
        template_id: template,
        template_version: version,
        event_id: None,
        collected_at: chrono::Utc::now() - Duration::days(400),
        collector: "Nurse Joy".into(),
        tubes: (0..tubes)
            .map(|_| NewTube {
                sample_id: Uuid::now_v7(),
                code: None,
            })
            .collect(),
    }
}

#[tokio::test]
async fn a_voided_site_frees_its_range_keeps_its_code_and_takes_nothing_new() {
    let f = fixture().await;
    let lab = f.lab().await;
    let spare = Uuid::now_v7();
    let create = |site_id, code: &str| Command::CreateSite {
        site_id,
        code: code.into(),
        name: "Spare".into(),
        participant_range_start: 60_000,
        participant_range_end: 60_999,
    };
    f.run(&f.admin, create(spare, "SPARE")).await;
    // The range is taken while the site stands.
    let overlap = refusal(
        f.store
            .execute(&f.admin, create(Uuid::now_v7(), "OTHER"))
            .await,
    );
    assert!(overlap.contains("SPARE"), "{overlap}");

    f.run(
        &f.admin,
        Command::VoidSite {
            site_id: spare,
            reason: "made twice".into(),
        },
    )
    .await;
    let again = refusal(
        f.store
            .execute(
                &f.admin,
                Command::VoidSite {
                    site_id: spare,
                    reason: "again".into(),
                },
            )
            .await,
    );
    assert!(again.contains("already voided"), "{again}");

    // Nothing new at a voided site.
    let participant = f.store.execute(
        &lab.desk,
        Command::RegisterParticipant {
            participant_id: Uuid::now_v7(),
            site_id: spare,
            number: Some(60_001),
            external_id: None,
            consent: ConsentStatus::Given,
            consent_date: f.clock.now().date_naive(),
            sex: None,
            birth_year: None,
        },
    );
    assert!(refusal(participant.await).contains("voided"));
    let event = f.store.execute(
        &lab.desk,
        Command::CreateFieldEvent {
            event_id: Uuid::now_v7(),
            site_id: spare,
            name: "Market".into(),
            date: f.clock.now().date_naive(),
            coordinator_id: lab.desk.user_id,
        },
    );
    assert!(refusal(event.await).contains("voided"));
    let rename = f.store.execute(
        &f.admin,
        Command::UpdateSite {
            site_id: spare,
            name: Some("Back".into()),
            participant_range_start: None,
            participant_range_end: None,
            reason: "undo".into(),
        },
    );
    assert!(refusal(rename.await).contains("voided"));

    // Its code stays its own; its range is free for the site made right.
    let code = refusal(
        f.store
            .execute(&f.admin, create(Uuid::now_v7(), "SPARE"))
            .await,
    );
    assert!(code.contains("voided site"), "{code}");
    f.run(&f.admin, create(Uuid::now_v7(), "SPARE2")).await;

    // Lists leave it out unless asked.
    let listed = f.store.sites(Some("SPARE"), false, page()).await.unwrap();
    assert_eq!(
        listed
            .items
            .iter()
            .map(|s| s.code.as_str())
            .collect::<Vec<_>>(),
        ["SPARE2"]
    );
    assert_eq!(listed.total, 1);
    let all = f.store.sites(Some("SPARE"), true, page()).await.unwrap();
    assert_eq!(all.total, 2);
    let voided = &all.items[0];
    assert_eq!(voided.code, "SPARE");
    assert_eq!(voided.void_reason.as_deref(), Some("made twice"));
    assert!(voided.voided_at.is_some());
}

#[tokio::test]
async fn a_revised_template_is_the_next_version_and_old_kits_keep_theirs() {
    let f = fixture().await;
    let lab = f.lab().await;
    let before = f.store.kit_template(lab.kit).await.unwrap();
    assert_eq!(before.version, 1);
    let revise = |version, lines: &[(&str, u8)]| Command::ReviseKitTemplate {
        template_id: lab.kit,
        version,
        items: items(lines),
        reason: "one serum tube more".into(),
    };
    // Unchanged lines are not a version.
    let same = refusal(
        f.store
            .execute(
                &lab.manager,
                Command::ReviseKitTemplate {
                    template_id: lab.kit,
                    version: 2,
                    items: before.items.clone(),
                    reason: "nothing".into(),
                },
            )
            .await,
    );
    assert!(same.contains("lines the template has now"), "{same}");
    f.run(&lab.manager, revise(2, &[("plasma", 2), ("serum", 2)]))
        .await;
    // Made against the screen that still showed version 1: refused, naming the version.
    let stale = refusal(
        f.store
            .execute(&lab.manager, revise(2, &[("serum", 1)]))
            .await,
    );
    assert!(stale.contains("version 2 now"), "{stale}");

    let after = f.store.kit_template(lab.kit).await.unwrap();
    assert_eq!((after.version, after.tube_count), (2, 4));

    // A desk that registered offline against version 1 is still right: three tubes.
    let participant = f.participant(&lab.desk, lab.site).await;
    f.run(&lab.desk, kit(participant, lab.kit, Some(1), 3))
        .await;
    // Version 2 has four tubes, and a command without a version means the current one.
    let wrong = refusal(
        f.store
            .execute(&lab.desk, kit(participant, lab.kit, Some(2), 3))
            .await,
    );
    assert!(wrong.contains("has 4 tubes"), "{wrong}");
    f.run(&lab.desk, kit(participant, lab.kit, None, 4)).await;
    let unknown = f
        .store
        .execute(&lab.desk, kit(participant, lab.kit, Some(7), 4))
        .await;
    assert!(matches!(
        unknown,
        Err(StoreError::Domain(DomainError::NotFound(
            "kit template version"
        )))
    ));

    let versions: Vec<(i64, Option<String>)> = sqlx::query_as(
        "SELECT version, reason FROM kit_template_versions WHERE template_id = ?1 ORDER BY version",
    )
    .bind(lab.kit.to_string())
    .fetch_all(f.store.pool())
    .await
    .unwrap();
    assert_eq!(
        versions,
        [(1, None), (2, Some("one serum tube more".to_owned()))]
    );
    let registered: Vec<Option<i64>> = sqlx::query_scalar(
        "SELECT template_version FROM kit_registrations WHERE participant_id = ?1 ORDER BY registered_at, rowid",
    )
    .bind(participant.to_string())
    .fetch_all(f.store.pool())
    .await
    .unwrap();
    assert_eq!(registered, [Some(1), Some(2)]);
}

#[tokio::test]
async fn a_retired_template_takes_no_kits_and_leaves_the_desk_list() {
    let f = fixture().await;
    let lab = f.lab().await;
    let participant = f.participant(&lab.desk, lab.site).await;
    f.run(
        &lab.manager,
        Command::RetireKitTemplate {
            template_id: lab.kit,
            reason: "study closed".into(),
        },
    )
    .await;
    let refused = refusal(
        f.store
            .execute(&lab.desk, kit(participant, lab.kit, Some(1), 3))
            .await,
    );
    assert!(refused.contains("was retired on"), "{refused}");
    let revise = f.store.execute(
        &lab.manager,
        Command::ReviseKitTemplate {
            template_id: lab.kit,
            version: 2,
            items: items(&[("serum", 1)]),
            reason: "late".into(),
        },
    );
    assert!(refusal(revise.await).contains("retired"));

    assert_eq!(
        f.store
            .kit_templates(None, false, page())
            .await
            .unwrap()
            .total,
        0
    );
    let all = f.store.kit_templates(None, true, page()).await.unwrap();
    assert_eq!(all.total, 1);
    assert_eq!(all.items[0].retire_reason.as_deref(), Some("study closed"));
}

#[tokio::test]
async fn the_labs_own_sample_type_is_printed_with_its_short_code_and_retired_when_unused() {
    let f = fixture().await;
    let lab = f.lab().await;
    let csf = Command::CreateSampleType {
        code: "csf".into(),
        short_code: "CS".into(),
        label: "Cerebrospinal fluid".into(),
    };
    f.run(&lab.manager, csf.clone()).await;
    let twice = refusal(f.store.execute(&lab.manager, csf).await);
    assert!(twice.contains("sample type csf"), "{twice}");

    // An unknown type is refused where tubes would be made of it.
    let template = Uuid::now_v7();
    let unknown = f.store.execute(
        &lab.manager,
        Command::CreateKitTemplate {
            template_id: template,
            name: "Lumbar".into(),
            items: items(&[("spinal", 1)]),
        },
    );
    assert!(refusal(unknown.await).contains("no sample type spinal"));
    f.run(
        &lab.manager,
        Command::CreateKitTemplate {
            template_id: template,
            name: "Lumbar".into(),
            items: items(&[("csf", 2)]),
        },
    )
    .await;
    let participant = f.participant(&lab.desk, lab.site).await;
    let registration = kit(participant, template, None, 2);
    let Command::RegisterKit {
        registration_id, ..
    } = &registration
    else {
        unreachable!()
    };
    let registration_id = *registration_id;
    f.run(&lab.desk, registration).await;

    // The tube shows and prints the lab's short code and name.
    let LabelRows::Samples { rows, .. } = f
        .store
        .label_rows(&LabelGroup::Kit { registration_id })
        .await
        .unwrap()
    else {
        panic!("a kit's labels are sample labels")
    };
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].label.sample_type_code, "CS");
    assert_eq!(rows[0].label.sample_type_label, "Cerebrospinal fluid");
    let tube = f.store.sample(rows[0].sample_id).await.unwrap();
    assert_eq!(
        (tube.sample_type.as_str(), tube.sample_type_code.as_str()),
        ("csf", "CS")
    );

    // Still listed in a template in use: refused; once the template is retired, retired.
    let retire = Command::RetireSampleType {
        sample_type: SampleType::new("csf"),
        reason: "study closed".into(),
    };
    let in_use = refusal(f.store.execute(&lab.manager, retire.clone()).await);
    assert!(in_use.contains("Lumbar"), "{in_use}");
    f.run(
        &lab.manager,
        Command::RetireKitTemplate {
            template_id: template,
            reason: "study closed".into(),
        },
    )
    .await;
    f.run(&lab.manager, retire).await;

    // No new tubes of it, in a template or as an aliquot; the old tube still reads it.
    let new_template = f.store.execute(
        &lab.manager,
        Command::CreateKitTemplate {
            template_id: Uuid::now_v7(),
            name: "Lumbar 2".into(),
            items: items(&[("csf", 1)]),
        },
    );
    assert!(refusal(new_template.await).contains("retired sample type"));
    f.receive(&lab.tech, tube.id).await;
    let aliquot = f.store.execute(
        &lab.tech,
        Command::CreateAliquots {
            parent_id: tube.id,
            children: vec![NewAliquot {
                sample_id: Uuid::now_v7(),
                code: None,
                sample_type: SampleType::new("csf"),
                volume_ul: 100,
            }],
        },
    );
    assert!(refusal(aliquot.await).contains("retired sample type"));
    assert_eq!(
        f.store.sample(tube.id).await.unwrap().sample_type_label,
        "Cerebrospinal fluid"
    );

    let in_use = f.store.sample_types(None, false, page()).await.unwrap();
    assert_eq!(in_use.total, 10);
    assert!(in_use.items.iter().all(|t| t.code.as_str() != "csf"));
    let found = f
        .store
        .sample_types(Some("Cere"), true, page())
        .await
        .unwrap();
    assert_eq!(found.total, 1);
    assert_eq!(
        found.items[0].retire_reason.as_deref(),
        Some("study closed")
    );
}
