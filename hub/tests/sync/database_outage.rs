//! The hub's PostgreSQL server dies while real workstations sync over HTTPS (issue 18):
//! their rounds find a hub that cannot decide, they keep every command (none refused), and
//! once the server is back they push what waited and converge.

use crate::backend::{fresh_database, ThrowawayServer};
use crate::offline::{lab, register};
use crate::*;
use aliquot_api::hub_client::HubClient;
use aliquot_api::sync::RoundParts;
use aliquot_hub::PgSettings;
use std::sync::Arc;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workstations_keep_their_work_while_the_hubs_postgres_is_down_and_converge_after() {
    let server = Arc::new(ThrowawayServer::start());
    let url = fresh_database(&server.url()).await;
    // A request waits 2 s for a connection before it is answered retry_later.
    let settings = PgSettings {
        max_connections: 4,
        statement_timeout: Duration::from_secs(5),
        acquire_timeout: Duration::from_secs(2),
    };
    let hub = RunningHub::start_on_postgres(&url, &settings).await;
    let lab = lab(&hub).await;
    let desks = [
        Workstation::enrolled(&hub, "Desk A").await,
        Workstation::enrolled(&hub, "Desk B").await,
    ];
    for desk in &desks {
        register(desk, &lab).await;
        desk.sync().await;
    }
    for desk in &desks {
        desk.sync().await;
        assert_converged(&hub.hub, desk.store()).await;
    }
    let before = hub.hub.store().lab_digests().await.unwrap();

    // The server dies; the desks go on registering (a participant and a kit: two commands
    // each time) and try to sync.
    let down = server.clone();
    tokio::task::spawn_blocking(move || down.kill())
        .await
        .unwrap();
    for desk in &desks {
        register(desk, &lab).await;
        register(desk, &lab).await;
        // The round's push is answered "try again later", and so is a pull on its own.
        let round = desk.api.sync_round().await.unwrap_err();
        assert!(round.contains("try again later"), "{round}");
        let link = desk.store().hub_link().await.unwrap().unwrap();
        let client = HubClient::new(
            &link.hub_url,
            Some(&link.fingerprint),
            Some(&link.credential),
            Duration::from_secs(30),
        )
        .unwrap();
        let pulled = desk
            .api
            .sync_round_with(&client, RoundParts::PullOnly)
            .await
            .unwrap_err();
        assert!(pulled.contains("try again later"), "{pulled}");
        let outbox = desk.store().outbox_counts().await.unwrap();
        assert_eq!((outbox.pending, outbox.rejected), (4, 0));
    }

    // The server is back: what waited is decided, nothing refused or lost.
    let up = server.clone();
    tokio::task::spawn_blocking(move || up.resume())
        .await
        .unwrap();
    for desk in &desks {
        desk.sync().await;
    }
    for desk in &desks {
        desk.sync().await;
        let outbox = desk.store().outbox_counts().await.unwrap();
        assert_eq!((outbox.pending, outbox.rejected), (0, 0));
        assert_converged(&hub.hub, desk.store()).await;
    }
    let participants: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM participants")
        .fetch_one(hub.hub.store().pool())
        .await
        .unwrap();
    assert_eq!(participants, 6);
    assert_ne!(hub.hub.store().lab_digests().await.unwrap(), before);
}
