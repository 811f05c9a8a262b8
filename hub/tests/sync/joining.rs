//! A workstation that joins a lab in full swing: it copies the lab from the hub's
//! snapshot (its rows once, not every change ever made to them), then follows the feed; a
//! copy cut short goes on where it stopped, and the feed brings what changed meanwhile.

use crate::offline::{lab, register};
use crate::*;
use aliquot_api::hub_client::{HubCallError, HubClient};
use aliquot_api::sync::{HubTransport, RoundParts, SnapshotChunks};
use aliquot_api::Api;
use aliquot_domain::SystemClock;
use aliquot_store::lab_tables::LAB_TABLES;
use aliquot_store::Store;
use aliquot_sync::{EnrollRequest, LeaseRequest, LeaseResponse, PullResponse, PushRequest};
use aliquot_sync::{PushResponse, PROTOCOL_VERSION};
use futures_util::StreamExt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The HTTPS client, noting each call; with `cut`, a snapshot's body ends half way.
struct Watched {
    client: HubClient,
    calls: Mutex<Vec<String>>,
    cut: bool,
}

impl HubTransport for Watched {
    async fn push(&self, request: &PushRequest) -> Result<PushResponse, HubCallError> {
        self.calls.lock().unwrap().push("push".into());
        self.client.push(request).await
    }
    async fn pull(
        &self,
        cursor: i64,
        limit: i64,
        digests: bool,
    ) -> Result<PullResponse, HubCallError> {
        self.calls.lock().unwrap().push(format!("pull {cursor}"));
        self.client.pull(cursor, limit, digests).await
    }
    async fn snapshot(
        &self,
        from: Option<&aliquot_sync::SnapshotFrom>,
    ) -> Result<SnapshotChunks, HubCallError> {
        self.calls.lock().unwrap().push(match from {
            None => "snapshot".into(),
            Some(from) => format!("snapshot from {} after {:?}", from.table, from.after),
        });
        let mut chunks = self.client.snapshot(from).await?;
        if !self.cut {
            return Ok(chunks);
        }
        let mut body = Vec::new();
        while let Some(chunk) = chunks.next().await {
            body.extend_from_slice(&chunk?);
        }
        body.truncate(body.len() / 2);
        Ok(Box::pin(futures_util::stream::iter([Ok(body)])))
    }
    async fn lease(&self, request: &LeaseRequest) -> Result<LeaseResponse, HubCallError> {
        self.client.lease(request).await
    }
    async fn table(
        &self,
        name: &str,
        page: u32,
    ) -> Result<aliquot_domain::paging::Page<serde_json::Value>, HubCallError> {
        self.client.table(name, page).await
    }
}

/// A fresh workstation linked to the hub, nothing pulled yet, and its transport.
async fn linked(hub: &RunningHub, name: &str, cut: bool) -> (tempfile::TempDir, Api, Watched) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), Arc::new(SystemClock))
        .await
        .unwrap();
    let code = hub
        .hub
        .enroll(name, chrono::Duration::minutes(5))
        .await
        .unwrap()
        .code;
    let anonymous = HubClient::new(
        &hub.url,
        Some(&hub.fingerprint),
        None,
        Duration::from_secs(30),
    )
    .unwrap();
    let enrolled = anonymous
        .enroll(&EnrollRequest {
            protocol: PROTOCOL_VERSION,
            code,
            device_id: store.device_id().to_owned(),
        })
        .await
        .unwrap();
    store
        .link_hub(
            &hub.url,
            &enrolled.hub_id,
            &enrolled.device_name,
            &enrolled.credential,
            &hub.fingerprint,
        )
        .await
        .unwrap();
    let client = HubClient::new(
        &hub.url,
        Some(&hub.fingerprint),
        Some(&enrolled.credential),
        Duration::from_secs(30),
    )
    .unwrap();
    let watched = Watched {
        client,
        calls: Mutex::new(Vec::new()),
        cut,
    };
    (dir, Api::new(store), watched)
}

async fn sign_in(api: &Api, username: &str) -> Result<String, aliquot_api::ApiError> {
    api.login(
        None,
        aliquot_api::dto::LoginArgs {
            username: username.into(),
            password: PASSWORD.into(),
        },
    )
    .await
    .map(|s| s.token)
}

/// A hub whose lab Desk 1 has registered three kits at, synced.
async fn lab_at_work() -> (RunningHub, crate::offline::Lab, Workstation) {
    let hub = RunningHub::start().await;
    let lab = lab(&hub).await;
    let desk1 = Workstation::enrolled(&hub, "Desk 1").await;
    for _ in 0..3 {
        register(&desk1, &lab).await;
    }
    desk1.sync().await;
    (hub, lab, desk1)
}

async fn lab_rows(store: &Store) -> usize {
    let mut rows = 0;
    for table in LAB_TABLES {
        rows += store.lab_rows(table).await.unwrap().len();
    }
    rows
}

async fn indexes(store: &Store) -> Vec<(String, String)> {
    sqlx::query_as(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name",
    )
    .fetch_all(store.pool())
    .await
    .unwrap()
}

#[tokio::test]
async fn a_new_workstation_copies_the_lab_from_a_snapshot_then_follows_the_feed() {
    let (hub, lab, desk1) = lab_at_work().await;
    let head = hub.hub.feed_head().await.unwrap();

    let (_dir, desk2, hub2) = linked(&hub, "Desk 2", false).await;
    let round = desk2
        .sync_round_with(&hub2, RoundParts::PullOnly)
        .await
        .unwrap();
    // The lab came as it stands: one snapshot, then the feed from the snapshot's cursor.
    assert_eq!(
        *hub2.calls.lock().unwrap(),
        vec!["snapshot".to_owned(), format!("pull {head}")]
    );
    assert_eq!(round.pulled_rows, lab_rows(hub.hub.store()).await);
    assert_converged(&hub.hub, desk2.store()).await;
    assert_eq!(
        desk2.store().hub_link().await.unwrap().unwrap().cursor,
        head
    );
    // The indexes set aside for the copy are all back, as a workstation's own.
    assert_eq!(indexes(desk2.store()).await, indexes(desk1.store()).await);
    // Someone signs in here with the account the hub made.
    assert!(sign_in(&desk2, "tech").await.is_ok());

    // What happens next arrives by the feed; no second snapshot.
    register(&desk1, &lab).await;
    desk1.sync().await;
    hub2.calls.lock().unwrap().clear();
    let round = desk2
        .sync_round_with(&hub2, RoundParts::PullOnly)
        .await
        .unwrap();
    assert!(round.pulled_rows > 0);
    assert_eq!(*hub2.calls.lock().unwrap(), vec![format!("pull {head}")]);
    assert_converged(&hub.hub, desk2.store()).await;
}

/// Places `tube` at `position` of the lab's box at Desk 1 and sends it to the hub.
async fn placed(desk1: &Workstation, lab: &crate::offline::Lab, tube: uuid::Uuid, position: &str) {
    desk1
        .store()
        .execute(
            &lab.tech,
            crate::offline::place(lab.storage_box, tube, position),
        )
        .await
        .unwrap();
    desk1.sync().await;
}

#[tokio::test]
async fn a_snapshot_cut_short_goes_on_where_it_stopped_and_the_feed_brings_what_changed_meanwhile()
{
    let (hub, lab, desk1) = lab_at_work().await;
    let tubes = register(&desk1, &lab).await;
    placed(&desk1, &lab, tubes[0], "A1").await;

    let (_dir, desk2, cut) = linked(&hub, "Desk 2", true).await;
    let failed = desk2.sync_round_with(&cut, RoundParts::PullOnly).await;
    assert!(
        failed
            .as_ref()
            .is_err_and(|e| e.contains("stopped before its end")),
        "{failed:?}"
    );
    // What arrived whole is kept, with where the copy stands; nobody signs in meanwhile.
    let kept = lab_rows(desk2.store()).await;
    assert!(kept > 0 && kept < lab_rows(hub.hub.store()).await, "{kept}");
    let join = desk2.store().join_state().await.unwrap().unwrap();
    assert!(!join.complete && join.resume_from.is_some(), "{join:?}");
    assert_eq!(join.copied as usize, kept);
    let login = serde_json::json!({"username": "tech", "password": PASSWORD});
    let refused = aliquot_api::dispatch(&desk2, "login", None, login.clone())
        .await
        .unwrap_err();
    assert!(
        refused.message.contains("joining the lab's hub"),
        "{}",
        refused.message
    );

    // Meanwhile the lab moves on: a tube goes to B1 and on to B2, then the first tube
    // moves from A1 into B1. Replayed onto wells copied after them, those moves would put
    // two tubes in B1: the catch-up skips what the copy of a table already holds.
    placed(&desk1, &lab, tubes[1], "B1").await;
    placed(&desk1, &lab, tubes[1], "B2").await;
    placed(&desk1, &lab, tubes[0], "B1").await;

    let whole = Watched {
        cut: false,
        calls: Mutex::new(Vec::new()),
        client: cut.client,
    };
    desk2
        .sync_round_with(&whole, RoundParts::PullOnly)
        .await
        .unwrap();
    let calls = whole.calls.lock().unwrap().clone();
    let from = join.resume_from.unwrap();
    assert_eq!(
        calls[..2],
        [
            format!("snapshot from {} after {:?}", from.table, from.after),
            format!("pull {}", join.cursor)
        ],
        "{calls:?}"
    );
    assert!(desk2.store().join_state().await.unwrap().is_none());
    assert!(!desk2.store().is_joining());
    assert_converged(&hub.hub, desk2.store()).await;
    assert_eq!(indexes(desk2.store()).await, indexes(desk1.store()).await);
    assert!(aliquot_api::dispatch(&desk2, "login", None, login)
        .await
        .is_ok());
}

/// Killed (dropped) between chunks, a copy goes on from its last committed chunk when the
/// workstation is opened again; a hub that did not change meanwhile makes it one state,
/// finished at once.
#[tokio::test]
async fn a_copy_resumed_from_an_unchanged_hub_is_finished_at_its_end() {
    let (hub, _lab, desk1) = lab_at_work().await;
    let (dir, desk2, cut) = linked(&hub, "Desk 2", true).await;
    assert!(desk2
        .sync_round_with(&cut, RoundParts::PullOnly)
        .await
        .is_err());
    let join = desk2.store().join_state().await.unwrap().unwrap();
    desk2.store().close().await;
    drop(desk2);
    let desk2 = Api::new(
        Store::open(dir.path(), Arc::new(SystemClock))
            .await
            .unwrap(),
    );
    assert!(desk2.store().is_joining());
    let whole = Watched {
        cut: false,
        calls: Mutex::new(Vec::new()),
        client: cut.client,
    };
    desk2
        .sync_round_with(&whole, RoundParts::PullOnly)
        .await
        .unwrap();
    assert!(whole.calls.lock().unwrap()[0].starts_with("snapshot from "));
    assert!(desk2.store().join_state().await.unwrap().is_none());
    // One state: the feed goes on from the copy's own cursor.
    assert_eq!(
        whole.calls.lock().unwrap()[1],
        format!("pull {}", join.cursor)
    );
    assert_converged(&hub.hub, desk2.store()).await;
    assert_eq!(indexes(desk2.store()).await, indexes(desk1.store()).await);
    assert!(sign_in(&desk2, "tech").await.is_ok());
}

#[tokio::test]
async fn a_snapshot_goes_only_to_an_enrolled_workstation() {
    let hub = RunningHub::start().await;
    let (_dir, _desk, enrolled) = linked(&hub, "Desk 1", false).await;
    assert!(enrolled.client.snapshot(None).await.is_ok());
    let forged = HubClient::new(
        &hub.url,
        Some(&hub.fingerprint),
        Some(&"0".repeat(64)),
        Duration::from_secs(30),
    )
    .unwrap();
    let refused = forged.snapshot(None).await.err().unwrap();
    assert!(
        matches!(&refused, HubCallError::Refused { status: 401, .. }),
        "{refused:?}"
    );
    let device = crate::backend::record_texts(&hub.hub, "SELECT device_id FROM hub_devices")
        .await
        .remove(0);
    hub.hub.revoke(&device, "stolen laptop").await.unwrap();
    let revoked = enrolled.client.snapshot(None).await.err().unwrap();
    assert!(
        matches!(&revoked, HubCallError::Refused { status: 401, .. }),
        "{revoked:?}"
    );
}
