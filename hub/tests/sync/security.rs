//! Enrollment, the pinned certificate, accounts pulled from the hub, revocation.

use crate::*;
use aliquot_api::sync::ConnectHubArgs;
use aliquot_api::Api;
use aliquot_domain::storage::FreezerKind;
use aliquot_domain::{Command, Role, SystemClock};
use aliquot_store::Store;
use std::sync::Arc;
use uuid::Uuid;

#[tokio::test]
async fn accounts_come_from_the_hub_and_sign_in_works_offline() {
    let mut hub = RunningHub::start().await;
    hub.user("tech", Role::Technician).await;
    let ws = Workstation::enrolled(&hub, "Desk 1").await;
    assert!(ws.login("tech").await.is_ok());
    hub.go_offline().await;
    // No network: sign-in still works, with the password the hub holds.
    assert!(ws.login("hubadmin").await.is_ok());
    let failed = ws.api.sync_round().await.unwrap_err();
    assert!(failed.contains("cannot be reached"), "{failed}");
    let token = ws.login("tech").await.unwrap();
    let status = ws
        .api
        .sync_status(Some(&token), Default::default())
        .await
        .unwrap();
    assert!(status.connected && !status.hub_reachable);
    assert!(status.last_error.is_some());
    hub.come_back().await;
    ws.sync().await;
    let status = ws
        .api
        .sync_status(Some(&token), Default::default())
        .await
        .unwrap();
    assert!(status.hub_reachable);
    assert_eq!(status.last_error, None);
}

#[tokio::test]
async fn a_wrong_certificate_is_refused_and_nothing_is_linked() {
    let hub = RunningHub::start().await;
    let dir = tempfile::tempdir().unwrap();
    let api = Api::new(
        Store::open(dir.path(), Arc::new(SystemClock))
            .await
            .unwrap(),
    );
    let code = hub
        .hub
        .enroll("Desk 9", chrono::Duration::minutes(5))
        .await
        .unwrap()
        .code;
    let wrong = "AB:".repeat(31) + "AB";
    let refused = api
        .connect_hub(
            None,
            ConnectHubArgs {
                url: hub.url.clone(),
                code: code.clone(),
                fingerprint: wrong,
            },
        )
        .await
        .unwrap_err();
    assert!(
        refused.message.contains("certificate"),
        "{}",
        refused.message
    );
    assert!(api.store().hub_link().await.unwrap().is_none());
    // Plain HTTP to another machine is refused before anything is sent.
    let refused = api
        .connect_hub(
            None,
            ConnectHubArgs {
                url: "http://10.1.2.3:4781".into(),
                code,
                fingerprint: hub.fingerprint.clone(),
            },
        )
        .await
        .unwrap_err();
    assert!(refused.message.contains("HTTPS"), "{}", refused.message);
}

#[tokio::test]
async fn a_revoked_workstation_is_refused_and_keeps_its_queue() {
    let hub = RunningHub::start().await;
    let manager = hub.user("manager", Role::LabManager).await;
    let ws = Workstation::enrolled(&hub, "Desk 1").await;
    ws.store()
        .execute(
            &manager,
            Command::CreateFreezer {
                freezer_id: Uuid::now_v7(),
                name: "Freezer 7".into(),
                location: "Room 7".into(),
                freezer_kind: FreezerKind::Freezer,
                temperature_c: -20,
            },
        )
        .await
        .unwrap();
    hub.hub
        .revoke(&ws.device_id(), "laptop stolen")
        .await
        .unwrap();
    let refused = ws.api.sync_round().await.unwrap_err();
    assert!(refused.contains("revoked"), "{refused}");
    assert_eq!(ws.store().outbox_counts().await.unwrap().pending, 1);
    assert_eq!(
        ws.store()
            .freezers(None, Default::default())
            .await
            .unwrap()
            .items
            .len(),
        1
    );
}

#[tokio::test]
async fn a_deactivation_on_the_hub_ends_the_users_sessions_at_the_next_pull() {
    let hub = RunningHub::start().await;
    let tech = hub.user("tech", Role::Technician).await;
    let ws = Workstation::enrolled(&hub, "Desk 1").await;
    let token = ws.login("tech").await.unwrap();
    assert!(ws
        .api
        .whoami(Some(&token), Default::default())
        .await
        .is_ok());
    hub.hub
        .execute(
            &hub.admin,
            Command::DeactivateUser {
                user_id: tech.user_id,
                reason: "left the lab".into(),
            },
        )
        .await
        .unwrap();
    ws.sync().await;
    assert!(ws
        .api
        .whoami(Some(&token), Default::default())
        .await
        .is_err());
    assert!(ws.login("tech").await.is_err());
}

#[tokio::test]
async fn a_workstation_with_records_of_its_own_does_not_join() {
    let hub = RunningHub::start().await;
    let dir = tempfile::tempdir().unwrap();
    let api = Api::new(
        Store::open(dir.path(), Arc::new(SystemClock))
            .await
            .unwrap(),
    );
    api.store()
        .execute(
            &aliquot_domain::Actor::system(),
            Command::CreateFirstAdmin {
                user_id: Uuid::now_v7(),
                username: "local".into(),
                display_name: "Local admin".into(),
                password_hash: aliquot_store::hash_password(PASSWORD).unwrap(),
            },
        )
        .await
        .unwrap();
    let code = hub
        .hub
        .enroll("Desk 5", chrono::Duration::minutes(5))
        .await
        .unwrap()
        .code;
    let args = ConnectHubArgs {
        url: hub.url.clone(),
        code,
        fingerprint: hub.fingerprint.clone(),
    };
    // Once someone is set up here, only an administrator may connect it...
    assert!(api.connect_hub(None, args.clone()).await.is_err());
    let token = api
        .login(
            None,
            aliquot_api::dto::LoginArgs {
                username: "local".into(),
                password: PASSWORD.into(),
            },
        )
        .await
        .unwrap()
        .token;
    // ...and not a workstation that already holds lab records of its own.
    let refused = api.connect_hub(Some(&token), args).await.unwrap_err();
    assert!(
        refused.message.contains("records of its own"),
        "{}",
        refused.message
    );
    assert!(api.store().hub_link().await.unwrap().is_none());
}

/// The hub checks each workstation's audit chain as it arrives: an entry edited on the
/// workstation (its hash no longer matching) flags the device, and its commands are held,
/// not decided, until an administrator has reviewed it and released them.
#[tokio::test]
async fn an_edited_audit_trail_holds_the_workstations_commands_for_review() {
    let hub = RunningHub::start().await;
    let manager = hub.user("manager", Role::LabManager).await;
    let ws = Workstation::enrolled(&hub, "Desk 1").await;
    let freezer = |name: &str| Command::CreateFreezer {
        freezer_id: Uuid::now_v7(),
        name: name.into(),
        location: "Room 7".into(),
        freezer_kind: FreezerKind::Freezer,
        temperature_c: -20,
    };
    ws.store().execute(&manager, freezer("F1")).await.unwrap();
    ws.sync().await;
    // The hub keeps the workstation's whole trail.
    let kept = crate::backend::record_i64(
        &hub.hub,
        "SELECT COUNT(*) FROM hub_device_audit WHERE device_id = $1",
        Some(&ws.device_id()),
    )
    .await;
    assert_eq!(kept, ws.store().audit_len().await.unwrap());

    let done = ws.store().execute(&manager, freezer("F2")).await.unwrap();
    // Someone edits the entry on the workstation's disk before it is sent.
    let pool = ws.store().pool();
    sqlx::query("DROP TRIGGER audit_log_no_update")
        .execute(pool)
        .await
        .unwrap();
    sqlx::query("UPDATE audit_log SET reason = 'nothing happened' WHERE seq = ?1")
        .bind(done.audit_seq)
        .execute(pool)
        .await
        .unwrap();
    ws.sync().await;
    let counts = ws.store().outbox_counts().await.unwrap();
    assert_eq!((counts.held, counts.applied), (1, 1));
    assert_eq!(
        hub.hub
            .store()
            .freezers(None, Default::default())
            .await
            .unwrap()
            .items
            .len(),
        1
    );
    let flagged = hub.hub.devices(Default::default()).await.unwrap().items;
    assert!(flagged[0]
        .chain_broken
        .as_deref()
        .unwrap()
        .contains("HashMismatch"));
    let issues = ws.store().sync_issues(Default::default()).await.unwrap();
    assert_eq!(issues.items[0].reason_code.as_deref(), Some("held"));
    // Held until reviewed: another round decides nothing.
    ws.sync().await;
    assert_eq!(ws.store().outbox_counts().await.unwrap().held, 1);

    hub.hub.release(&ws.device_id()).await.unwrap();
    ws.sync().await;
    let counts = ws.store().outbox_counts().await.unwrap();
    assert_eq!((counts.held, counts.applied), (0, 2));
    assert_eq!(
        hub.hub
            .store()
            .freezers(None, Default::default())
            .await
            .unwrap()
            .items
            .len(),
        2
    );
    // From here on the chain is checked again.
    ws.store().execute(&manager, freezer("F3")).await.unwrap();
    ws.sync().await;
    assert_eq!(ws.store().outbox_counts().await.unwrap().applied, 3);
    assert!(hub.hub.devices(Default::default()).await.unwrap().items[0]
        .chain_broken
        .is_none());
}

/// Disconnecting: refused while anything done here has not reached the hub (nothing is
/// lost, nothing changes); once it has, everyone is signed out and nothing more is done,
/// and the next start sets the whole store aside (verified equal to the hub's lab) and
/// begins at the first screen with a new device identity.
#[tokio::test]
async fn a_workstation_leaves_its_hub_once_everything_reached_it_and_starts_afresh() {
    let mut hub = RunningHub::start().await;
    let ws = Workstation::enrolled(&hub, "Desk 1").await;
    let admin = ws.login("hubadmin").await.unwrap();
    let old_device = ws.device_id();
    hub.go_offline().await;
    let freezer = serde_json::json!({"name": "Freezer 7", "location": "Room 7", "kind": "freezer", "temperature_c": -20});
    aliquot_api::dispatch(&ws.api, "create_freezer", Some(&admin), freezer)
        .await
        .unwrap();
    let leave = |name: &str| {
        aliquot_api::dispatch(
            &ws.api,
            "disconnect_hub",
            Some(&admin),
            serde_json::json!({ "device_name": name }),
        )
    };
    let wrong = leave("Desk 2").await.unwrap_err();
    assert!(wrong.message.contains("\"Desk 1\""), "{}", wrong.message);
    let waiting = leave("Desk 1").await.unwrap_err();
    assert!(
        waiting
            .message
            .contains("1 change made here has not reached the hub yet"),
        "{}",
        waiting.message
    );
    // Refused, the workstation goes on as before.
    assert!(ws
        .api
        .whoami(Some(&admin), Default::default())
        .await
        .is_ok());
    assert!(ws.store().left_hub_archive().is_none());
    assert_eq!(ws.store().outbox_counts().await.unwrap().pending, 1);

    // Back online, disconnecting sends the last change first, then leaves.
    hub.come_back().await;
    let left = leave("Desk 1").await.unwrap();
    let archive = std::path::PathBuf::from(left["archive"].as_str().unwrap());
    assert_eq!(ws.store().outbox_counts().await.unwrap().pending, 0);
    for (op, token) in [("whoami", Some(admin.as_str())), ("login", None)] {
        let refused = aliquot_api::dispatch(&ws.api, op, token, serde_json::json!({}))
            .await
            .unwrap_err();
        assert!(
            refused.message.contains("left its hub"),
            "{op}: {}",
            refused.message
        );
    }
    let status = aliquot_api::dispatch(&ws.api, "setup_status", None, serde_json::json!({}))
        .await
        .unwrap();
    assert_eq!(status["left_hub"]["archive"], left["archive"]);
    let dir = ws._dir.path().to_owned();
    ws.store().close().await;

    // Started again: a fresh workstation at the first screen, the old store set aside whole.
    let fresh = Api::new(Store::open(&dir, Arc::new(SystemClock)).await.unwrap());
    let setup = fresh.setup_status(None, Default::default()).await.unwrap();
    assert!(setup.needs_first_admin && setup.left_hub.is_none() && setup.joining.is_none());
    assert!(fresh.store().hub_link().await.unwrap().is_none());
    assert_ne!(fresh.store().device_id(), old_device);
    assert!(!dir.join(aliquot_store::leaving::LEAVING_FILE).exists());
    let kept = Store::open(&archive, Arc::new(SystemClock)).await.unwrap();
    assert_eq!(kept.device_id(), old_device);
    assert_eq!(
        kept.hub_link().await.unwrap().unwrap().device_name,
        "Desk 1"
    );
    assert_eq!(
        kept.freezers(None, Default::default())
            .await
            .unwrap()
            .items
            .len(),
        1
    );
    assert_converged(&hub.hub, &kept).await;
}
