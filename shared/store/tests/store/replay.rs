//! Replay: a command recorded on one workstation, run again elsewhere (on the hub, or on
//! this workstation after a pull), has the very same effect; the rules it must pass are in
//! the command path, whoever sends it; the workstation's own state is never in the outbox.

use super::*;
use aliquot_domain::settings::Setting;
use aliquot_domain::DomainError;
use aliquot_store::lab_tables::LAB_TABLES;
use aliquot_store::{Recorded, Replay, DB_FILE_NAME};

/// A copy of the fixture's database, opened as a second store with a clock days ahead, so
/// anything the replay took from its own clock would show.
async fn copy_of(f: &Fixture) -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    f.store
        .backup(&dir.path().join(DB_FILE_NAME))
        .await
        .unwrap();
    let later = Arc::new(TestClock(Mutex::new(f.clock.now() + Duration::days(5))));
    let store = Store::open(dir.path(), later).await.unwrap();
    (dir, store)
}

async fn last_outbox_row(store: &Store) -> aliquot_store::outbox::OutboxRow {
    store.outbox_after(0, 10_000).await.unwrap().pop().unwrap()
}

fn recorded_of(row: &aliquot_store::outbox::OutboxRow) -> (Recorded, Command) {
    (
        Recorded {
            command_id: Uuid::parse_str(&row.command_id).unwrap(),
            device_id: row.device_id.clone(),
            recorded_at: DateTime::parse_from_rfc3339(&row.recorded_at)
                .unwrap()
                .with_timezone(&Utc),
        },
        serde_json::from_str(&row.payload).unwrap(),
    )
}

#[tokio::test]
async fn every_lab_command_replayed_from_its_outbox_row_writes_the_same_lab_rows() {
    for &kind in CommandKind::ALL {
        if kind == CommandKind::CreateFirstAdmin || kind.scope() == CommandScope::Workstation {
            continue;
        }
        let f = fixture().await;
        let (actor, command) = valid_command(&f, kind).await;
        let (_dir, hub) = copy_of(&f).await;
        // Time passes between building the command and running it, as at a real bench.
        f.clock.advance(Duration::minutes(3));
        f.store
            .execute(&actor, command)
            .await
            .unwrap_or_else(|e| panic!("{kind:?}: {e}"));
        let row = last_outbox_row(&f.store).await;
        let (recorded, command) = recorded_of(&row);

        let mut tx = hub.begin_write().await.unwrap();
        let done = hub
            .replay(&mut tx, &actor, &recorded, &command, Replay::Hub)
            .await
            .unwrap_or_else(|e| panic!("{kind:?} replay: {e}"));
        hub.commit_write(tx).await.unwrap();
        assert_eq!(done.command_id, recorded.command_id);

        for table in LAB_TABLES {
            assert_eq!(
                hub.lab_rows(table).await.unwrap(),
                f.store.lab_rows(table).await.unwrap(),
                "{kind:?}: {} differs after replay",
                table.name
            );
        }
        // The replay's own audit entry names the original device, actor and time.
        let entry: (String, String, String) =
            sqlx::query_as("SELECT at, actor_id, context FROM audit_log WHERE seq = ?1")
                .bind(done.audit_seq)
                .fetch_one(hub.pool())
                .await
                .unwrap();
        assert_eq!(entry.0, row.recorded_at, "{kind:?}");
        assert_eq!(entry.1, actor.user_id.to_string());
        assert!(entry.2.contains(&row.device_id) && entry.2.contains(&row.command_id));
        // A hub keeps no outbox of other devices' commands.
        assert_eq!(
            hub.outbox_pending().await.unwrap(),
            f.count("outbox").await - 1
        );
    }
}

#[tokio::test]
async fn a_rebase_replay_writes_neither_audit_entries_nor_an_outbox_row() {
    let f = fixture().await;
    let (actor, command) = valid_command(&f, CommandKind::CreateFreezer).await;
    let (_dir, copy) = copy_of(&f).await;
    f.store.execute(&actor, command).await.unwrap();
    let (recorded, command) = recorded_of(&last_outbox_row(&f.store).await);
    let (audit, outbox) = (
        copy.audit_len().await.unwrap(),
        copy.outbox_pending().await.unwrap(),
    );
    let mut tx = copy.begin_write().await.unwrap();
    copy.replay(&mut tx, &actor, &recorded, &command, Replay::Rebase)
        .await
        .unwrap();
    copy.commit_write(tx).await.unwrap();
    assert_eq!(copy.audit_len().await.unwrap(), audit);
    assert_eq!(copy.outbox_pending().await.unwrap(), outbox);
    let freezers = aliquot_store::lab_tables::lab_table("freezers").unwrap();
    assert_eq!(
        copy.lab_rows(freezers).await.unwrap(),
        f.store.lab_rows(freezers).await.unwrap()
    );
}

/// Every reason a command carries is checked where the command runs, not only in the
/// API: a blank reason sent straight to the executor (as the CLI or a replay would) is
/// refused, and leaves no trace.
#[tokio::test]
async fn a_blank_reason_is_refused_by_the_executor_for_every_kind_that_carries_one() {
    let mut checked = Vec::new();
    for &kind in CommandKind::ALL {
        if kind == CommandKind::CreateFirstAdmin {
            continue;
        }
        let f = fixture().await;
        let (actor, command) = valid_command(&f, kind).await;
        let mut json = serde_json::to_value(&command).unwrap();
        if !json.get("reason").is_some_and(|r| r.is_string()) {
            continue;
        }
        json["reason"] = serde_json::Value::String("   ".into());
        let blank: Command = serde_json::from_value(json).unwrap();
        let before = f.snapshot().await;
        match f.store.execute(&actor, blank).await {
            Err(StoreError::Domain(DomainError::Invalid { field, .. })) => {
                assert_eq!(field, "reason", "{kind:?}")
            }
            other => panic!("{kind:?}: a blank reason gave {other:?}"),
        }
        assert_eq!(f.snapshot().await, before, "{kind:?} left a trace");
        checked.push(kind);
    }
    // The nine whose reasons only the API used to check are among them.
    for kind in [
        CommandKind::ChangeRole,
        CommandKind::DeactivateUser,
        CommandKind::IssuePasswordReset,
        CommandKind::ChangeSettings,
        CommandKind::UpdateSite,
        CommandKind::AssignNumberBlock,
        CommandKind::RecordConsent,
        CommandKind::MoveBox,
        CommandKind::CheckOutSamples,
    ] {
        assert!(checked.contains(&kind), "{kind:?} was not checked");
    }
}

#[tokio::test]
async fn a_reason_is_recorded_trimmed_whoever_sent_it() {
    let f = fixture().await;
    let (actor, command) = valid_command(&f, CommandKind::MoveBox).await;
    let mut json = serde_json::to_value(&command).unwrap();
    json["reason"] = serde_json::Value::String("  rack was full \n".into());
    f.store
        .execute(&actor, serde_json::from_value(json).unwrap())
        .await
        .unwrap();
    let row = last_outbox_row(&f.store).await;
    let payload: serde_json::Value = serde_json::from_str(&row.payload).unwrap();
    assert_eq!(payload["reason"], "rack was full");
}

/// The lab's settings go to the hub; the workstation's own (its label printers, copies,
/// scanner, hub address) stay in its own table and never enter the outbox.
#[tokio::test]
async fn workstation_settings_never_enter_the_outbox() {
    let f = fixture().await;
    f.store
        .execute(
            &f.admin,
            Command::ChangeSettings {
                settings: vec![
                    Setting::LabName("North Biobank".into()),
                    Setting::LabelCopies(3),
                ],
                reason: "new name, and three labels per tube at this desk".into(),
            },
        )
        .await
        .unwrap();
    let row = last_outbox_row(&f.store).await;
    assert_eq!(
        serde_json::from_str::<Command>(&row.payload).unwrap(),
        Command::ChangeSettings {
            settings: vec![Setting::LabName("North Biobank".into())],
            reason: "new name, and three labels per tube at this desk".into(),
        }
    );
    let settings = f.store.settings().await.unwrap();
    assert_eq!(settings.lab_name, "North Biobank");
    assert_eq!(settings.label_copies, 3);
    let local: Vec<String> = sqlx::query_scalar("SELECT key FROM workstation_settings")
        .fetch_all(f.store.pool())
        .await
        .unwrap();
    assert_eq!(local, vec!["label_copies".to_owned()]);
    let settings_table = aliquot_store::lab_tables::lab_table("settings").unwrap();
    assert!(
        !format!("{:?}", f.store.lab_rows(settings_table).await.unwrap()).contains("label_copies")
    );

    // A change of the workstation's settings alone is audited but sends nothing.
    let (outbox, audit) = (f.count("outbox").await, f.count("audit_log").await);
    f.store
        .execute(
            &f.admin,
            Command::ChangeSettings {
                settings: vec![Setting::LabelCopies(2)],
                reason: "two are enough".into(),
            },
        )
        .await
        .unwrap();
    assert_eq!(f.count("outbox").await, outbox);
    assert_eq!(f.count("audit_log").await, audit + 1);
}

/// A table read for a resync comes a page at a time, counted in SQL, and the pages
/// together are the table.
#[tokio::test]
async fn a_lab_table_is_read_a_counted_page_at_a_time() {
    let f = fixture().await;
    let users = aliquot_store::lab_tables::lab_table("users").unwrap();
    for i in 0..4 {
        f.add_user(&format!("paged{i}"), Role::Viewer).await;
    }
    let all = f.store.lab_rows(users).await.unwrap();
    let mut pages = Vec::new();
    for page in 1..=3 {
        let got = f
            .store
            .lab_rows_page(
                users,
                aliquot_domain::paging::PageRequest { page, per_page: 2 },
            )
            .await
            .unwrap();
        assert_eq!(got.total as usize, all.len());
        assert_eq!(got.total_pages, 3);
        pages.extend(got.items);
    }
    assert_eq!(pages, all);
    assert!(f
        .store
        .lab_rows_page(
            users,
            aliquot_domain::paging::PageRequest {
                page: 1,
                per_page: 0
            }
        )
        .await
        .is_err());
}
