//! The hub's PostgreSQL server dies in the middle of pushes: every push is answered
//! applied or `retry_later`, never refused; nothing answered applied is lost; once the
//! server is back the same pushes are applied (or answered as duplicates of what was
//! kept), and a new hub process copies the same lab.

use crate::backend::{fresh_database, open_hub_on, record_i64, ThrowawayServer};
use crate::*;
use aliquot_domain::storage::FreezerKind;
use aliquot_domain::{Command, SystemClock};
use aliquot_hub::{Hub, PgSettings};
use std::sync::Arc;
use std::time::Duration;

/// At least this many pushes, and on until one has met the dead server.
const PUSHES: i64 = 30;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgres_killed_mid_push_answers_retry_later_and_loses_nothing() {
    let server = Arc::new(ThrowawayServer::start());
    let url = fresh_database(&server.url()).await;
    let dir = tempfile::tempdir().unwrap();
    let settings = PgSettings {
        max_connections: 4,
        statement_timeout: Duration::from_secs(5),
        acquire_timeout: Duration::from_secs(2),
    };
    let hub = Hub::open_postgres(dir.path(), &url, &settings, Arc::new(SystemClock))
        .await
        .unwrap();
    let bench = Bench::with_hub(dir, hub).await;

    // Desk A pushes a freezer a push; after the fifth, the server is killed while the
    // pushes go on (one is in flight when it dies, as likely as not), and brought back once
    // a push has been answered while it was down (the pool waits up to its acquire time
    // for a connection, so a short outage may pass unseen).
    let (fifth, killed) = tokio::sync::oneshot::channel::<()>();
    let seen_down = Arc::new(tokio::sync::Notify::new());
    let killer = {
        let (server, seen_down) = (server.clone(), seen_down.clone());
        tokio::spawn(async move {
            let _ = killed.await;
            let down = server.clone();
            tokio::task::spawn_blocking(move || down.kill())
                .await
                .unwrap();
            let _ = tokio::time::timeout(Duration::from_secs(60), seen_down.notified()).await;
            tokio::task::spawn_blocking(move || server.resume())
                .await
                .unwrap();
        })
    };
    let mut fifth = Some(fifth);
    let (mut retried, mut duplicates) = (0, 0);
    let mut seq = 0;
    while seq < PUSHES || retried == 0 {
        seq += 1;
        assert!(seq < 100_000, "the server was never seen down");
        let command = Command::CreateFreezer {
            freezer_id: uuid::Uuid::now_v7(),
            name: format!("Freezer {seq:05}"),
            location: "Room 2".into(),
            freezer_kind: FreezerKind::Freezer,
            temperature_c: -20,
        };
        let one = pushed(seq, &bench.manager, &command);
        loop {
            let request = aliquot_sync::PushRequest {
                protocol: aliquot_sync::PROTOCOL_VERSION,
                device_id: bench.a.device.device_id.clone(),
                commands: vec![one.clone()],
                audit: vec![],
            };
            match bench.hub.push(&bench.a.device, request).await {
                Ok(response) => {
                    assert_eq!(response.stopped, None);
                    let result = &response.results[0];
                    assert!(
                        matches!(result.outcome, aliquot_sync::Outcome::Applied { .. }),
                        "push {seq}: {:?}",
                        result.outcome
                    );
                    duplicates += usize::from(result.duplicate);
                    break;
                }
                Err(failure) => {
                    // A hub without its database is never a refusal: the desk keeps the
                    // command and tries again.
                    assert_eq!(
                        (failure.status, failure.code.as_str()),
                        (503, "retry_later"),
                        "push {seq}: {failure}"
                    );
                    retried += 1;
                    seen_down.notify_one();
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
        if seq == 5 {
            if let Some(fifth) = fifth.take() {
                let _ = fifth.send(());
            }
        }
    }
    killer.await.unwrap();
    let pushes = seq;

    // Every freezer once, every claim once, the device's sequence at the last push.
    let hub = &bench.hub;
    hub.catch_up().await.unwrap();
    let names: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM freezers WHERE name LIKE 'Freezer _____' ORDER BY name",
    )
    .fetch_all(hub.store().pool())
    .await
    .unwrap();
    let expected: Vec<String> = (1..=pushes).map(|i| format!("Freezer {i:05}")).collect();
    assert_eq!(names, expected);
    let device = bench.a.device.device_id.as_str();
    assert_eq!(
        record_i64(
            hub,
            "SELECT COUNT(*) FROM hub_claims WHERE device_id = $1",
            Some(device)
        )
        .await,
        pushes
    );
    assert_eq!(
        record_i64(
            hub,
            "SELECT last_seq FROM hub_devices WHERE device_id = $1",
            Some(device)
        )
        .await,
        pushes
    );
    // The feed carries each freezer once.
    assert_eq!(
        record_i64(
            hub,
            r#"SELECT COUNT(*) FROM hub_changes WHERE tbl = 'freezers' AND row LIKE '%"Freezer _____"%'"#,
            None
        )
        .await,
        pushes
    );
    eprintln!(
        "pushes retried while the server was down: {retried}; answered as duplicates: {duplicates}"
    );

    // A new hub process copies the lab from the feed alone and holds the same lab.
    let second_dir = tempfile::tempdir().unwrap();
    let second = open_hub_on(second_dir.path(), Some(&url)).await;
    assert_eq!(
        second.store().lab_digests().await.unwrap(),
        hub.store().lab_digests().await.unwrap()
    );
    second.close().await;
}
