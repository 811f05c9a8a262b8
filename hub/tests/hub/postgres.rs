//! What is the PostgreSQL record's own: its migrations refuse a newer schema, its feed and
//! device trails are append-only, and two hub processes on one database are one hub (one
//! id, one set of enrollment codes, leases that never overlap, one feed); the pool's limits
//! hold on the server; the hub speaks TLS to a server on another machine.

use crate::backend::{fresh_database, open_hub_on, some_postgres, Authority, ThrowawayServer};
use crate::*;
use aliquot_domain::SystemClock;
use aliquot_hub::{Hub, PgSettings};
use aliquot_sync::{LeaseRequest, PROTOCOL_VERSION};
use sqlx::Connection;
use std::sync::Arc;

#[tokio::test]
async fn an_older_hub_refuses_a_postgres_schema_a_newer_one_migrated() {
    let (_server, url) = some_postgres().await;
    let dir = tempfile::tempdir().unwrap();
    let hub = open_hub_on(dir.path(), Some(&url)).await;
    let health = hub.health().await.unwrap();
    assert!(health.migrations_current);
    assert_eq!(health.hub_schema.applied, aliquot_hub::pg::PG_SCHEMA);
    hub.close().await;
    let mut conn = sqlx::PgConnection::connect(&url).await.unwrap();
    sqlx::query("INSERT INTO hub_schema (version, applied_at) VALUES (999, 'later')")
        .execute(&mut conn)
        .await
        .unwrap();
    let settings = aliquot_hub::PgSettings::default();
    let refused = Hub::open_postgres(
        dir.path(),
        &url,
        &settings,
        std::sync::Arc::new(aliquot_domain::SystemClock),
    )
    .await
    .err()
    .expect("a newer schema is refused");
    assert_eq!(refused.code, "schema_newer");
    assert!(refused.message.contains("999"), "{refused}");
}

#[tokio::test]
async fn the_feed_and_the_device_trails_are_append_only_in_postgres() {
    let (_server, url) = some_postgres().await;
    let dir = tempfile::tempdir().unwrap();
    let hub = open_hub_on(dir.path(), Some(&url)).await;
    let bench = Bench::with_hub(dir, hub).await;
    assert!(bench.hub.feed_head().await.unwrap() > 0);
    let mut conn = sqlx::PgConnection::connect(&url).await.unwrap();
    for statement in [
        "UPDATE hub_changes SET row = NULL",
        "DELETE FROM hub_changes",
        "UPDATE hub_device_audit SET hash = 'x'",
        "DELETE FROM hub_device_audit",
    ] {
        // hub_device_audit may hold no row yet: a row is put there to be refused.
        sqlx::query(
            "INSERT INTO hub_device_audit (device_id, seq, hash, row)
             SELECT device_id, 1000, 'h', '{}' FROM hub_devices LIMIT 1 ON CONFLICT DO NOTHING",
        )
        .execute(&mut conn)
        .await
        .unwrap();
        let refused = sqlx::query(statement).execute(&mut conn).await.unwrap_err();
        assert!(
            refused.to_string().contains("append-only"),
            "{statement}: {refused}"
        );
    }
}

#[tokio::test]
async fn two_hub_processes_on_one_database_are_one_hub() {
    let (_server, url) = some_postgres().await;
    let (dir1, dir2) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let first = open_hub_on(dir1.path(), Some(&url)).await;
    let bench = Bench::with_hub(dir1, first).await;
    let second = open_hub_on(dir2.path(), Some(&url)).await;
    // One id, whichever process answers; the second's copy already holds the lab.
    assert_eq!(second.hub_id(), bench.hub.hub_id());
    assert_eq!(
        second.store().lab_digests().await.unwrap(),
        bench.hub.store().lab_digests().await.unwrap()
    );
    // A code made by one process is redeemed at the other, once.
    let enrollment = bench
        .hub
        .enroll("Desk C", chrono::Duration::minutes(5))
        .await
        .unwrap();
    let request = |device_id: String| aliquot_sync::EnrollRequest {
        protocol: PROTOCOL_VERSION,
        code: enrollment.code.clone(),
        device_id,
    };
    let desk_c = uuid::Uuid::now_v7().to_string();
    let enrolled = second.redeem(request(desk_c.clone())).await.unwrap();
    let used = bench
        .hub
        .redeem(request(uuid::Uuid::now_v7().to_string()))
        .await
        .unwrap_err();
    assert_eq!(used.code, "enrollment_used");
    let device = bench.hub.authenticate(&enrolled.credential).await.unwrap();
    assert_eq!(device.device_id, desk_c);
    // Leases asked of both processes at once never overlap.
    let lease = |hub: &Hub| {
        let (hub, device) = (hub.clone(), device.clone());
        async move {
            hub.lease(
                &device,
                LeaseRequest {
                    protocol: PROTOCOL_VERSION,
                    device_id: device.device_id.clone(),
                    kind: "sample".into(),
                    site_id: None,
                },
            )
            .await
        }
    };
    let mut blocks = Vec::new();
    for _ in 0..4 {
        let (a, b) = tokio::join!(lease(&bench.hub), lease(&second));
        for answer in [a, b] {
            // The executor refuses a block another process leased meanwhile: the desk asks again.
            match answer {
                Ok(block) => blocks.push((block.first, block.last)),
                Err(refused) => assert_eq!(refused.status, 409, "{refused}"),
            }
        }
    }
    assert!(blocks.len() >= 4, "{blocks:?}");
    blocks.sort();
    for pair in blocks.windows(2) {
        assert!(pair[0].1 < pair[1].0, "overlapping leases {blocks:?}");
    }
    // Commands pushed to either process make one feed, and both copies reach it.
    let tubes = bench.kit_at(&bench.a, 0).await;
    let placed = bench
        .one(
            &bench.a,
            &bench.tech.clone(),
            place(bench.storage_box, tubes[0].0, "A1"),
        )
        .await;
    assert!(matches!(placed, aliquot_sync::Outcome::Applied { .. }));
    let head = second.catch_up().await.unwrap();
    assert_eq!(head, bench.hub.feed_head().await.unwrap());
    assert_eq!(
        second.store().lab_digests().await.unwrap(),
        bench.hub.store().lab_digests().await.unwrap()
    );
    second.close().await;
}

#[tokio::test]
async fn a_sqlite_hub_moved_to_postgres_serves_the_same_lab_and_feed() {
    let (_server, url) = some_postgres().await;
    let dir = tempfile::tempdir().unwrap();
    let sqlite = open_hub_on(dir.path(), None).await;
    let mut bench = Bench::with_hub(dir, sqlite).await;
    // A lab at work: kits registered at both desks, tubes placed, a refusal kept.
    let tech = bench.tech.clone();
    for n in 0..3 {
        let tubes = bench.kit_at(&bench.a, n).await;
        let placed = bench
            .one(
                &bench.a,
                &tech,
                place(
                    bench.storage_box,
                    tubes[0].0,
                    ["A1", "A2", "A3"][n as usize],
                ),
            )
            .await;
        assert!(matches!(placed, aliquot_sync::Outcome::Applied { .. }));
    }
    let tubes = bench.kit_at(&bench.b, 0).await;
    let refused = bench
        .one(&bench.b, &tech, place(bench.storage_box, tubes[0].0, "A1"))
        .await;
    assert!(matches!(refused, aliquot_sync::Outcome::Rejected { .. }));
    let before_a = bench
        .hub
        .pull(&bench.a.device, 0, 100_000, true)
        .await
        .unwrap();
    let before_b = bench
        .hub
        .pull(&bench.b.device, 0, 100_000, true)
        .await
        .unwrap();
    let digests = bench.hub.store().lab_digests().await.unwrap();
    let hub_id = bench.hub.hub_id().to_owned();

    let moved = bench.hub.move_record_to_postgres(&url).await.unwrap();
    assert_eq!(moved.devices, 2);
    assert_eq!(moved.head, before_a.next_cursor);
    assert_eq!(
        moved.claims,
        bench.a.next_seq.get() - 1 + bench.b.next_seq.get() - 1
    );
    // Moving again into the database that holds it now is refused.
    let again = bench.hub.move_record_to_postgres(&url).await.unwrap_err();
    assert_eq!(again.code, "not_empty");
    bench.hub.close().await;

    bench.hub = open_hub_on(bench._dir.path(), Some(&url)).await;
    assert!(bench.hub.on_postgres());
    assert_eq!(bench.hub.hub_id(), hub_id);
    assert_eq!(bench.hub.store().lab_digests().await.unwrap(), digests);
    // Each desk reads the same feed, the same decisions and the same digests as before.
    assert_eq!(
        bench
            .hub
            .pull(&bench.a.device, 0, 100_000, true)
            .await
            .unwrap(),
        before_a
    );
    assert_eq!(
        bench
            .hub
            .pull(&bench.b.device, 0, 100_000, true)
            .await
            .unwrap(),
        before_b
    );
    // The desks go on where they were: a command sent again is a duplicate, the next one
    // is decided, and a second process copies the same lab.
    let device = bench.hub.authenticate(&bench.a.credential).await.unwrap();
    assert_eq!(device.last_seq, bench.a.next_seq.get() - 1);
    let tubes = bench.kit_at(&bench.a, 7).await;
    assert_eq!(tubes.len(), 2);
    let second_dir = tempfile::tempdir().unwrap();
    let second = open_hub_on(second_dir.path(), Some(&url)).await;
    assert_eq!(
        second.store().lab_digests().await.unwrap(),
        bench.hub.store().lab_digests().await.unwrap()
    );
    second.close().await;
}

/// The limits an operator sets reach every connection: a statement over the timeout is
/// cancelled by the server, and the pool holds no more connections than allowed.
#[tokio::test]
async fn the_pool_limits_hold_on_the_server() {
    let (_server, url) = some_postgres().await;
    let dir = tempfile::tempdir().unwrap();
    let settings = PgSettings::with_limits(Some(2), Some(1), Some(2)).unwrap();
    let hub = Hub::open_postgres(dir.path(), &url, &settings, Arc::new(SystemClock))
        .await
        .unwrap();
    let pool = hub.postgres().unwrap();
    let timeout: String = sqlx::query_scalar("SHOW statement_timeout")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(timeout, "1s");
    let cancelled = sqlx::query("SELECT pg_sleep(3)")
        .execute(pool)
        .await
        .unwrap_err();
    let code = cancelled
        .as_database_error()
        .and_then(|e| e.code())
        .map(|c| c.into_owned());
    assert_eq!(code.as_deref(), Some("57014"), "{cancelled}");
    // Two connections held: a third request waits its 2 s and is refused, not queued forever.
    let (first, second) = (pool.acquire().await.unwrap(), pool.acquire().await.unwrap());
    assert!(matches!(
        pool.acquire().await,
        Err(sqlx::Error::PoolTimedOut)
    ));
    drop((first, second));
    hub.close().await;
}

/// A hub whose PostgreSQL is on another machine speaks TLS to it and checks the server's
/// certificate (`sslmode=verify-full&sslrootcert=…`: the lab's CA, beside the public web
/// CAs sqlx trusts); a server whose certificate none of them signed is refused, saying why.
#[tokio::test]
async fn the_hub_reaches_postgres_over_tls_and_checks_the_servers_certificate() {
    let certs = tempfile::tempdir().unwrap();
    let lab_ca = Authority::new("Lab database CA");
    let other_ca = Authority::new("Someone else");
    let (cert, key) = lab_ca.server_certificate(&["127.0.0.1", "localhost"]);
    let server = tokio::task::spawn_blocking(move || ThrowawayServer::start_tls(&cert, &key))
        .await
        .unwrap();
    let lab_ca_file = certs.path().join("lab-ca.pem");
    std::fs::write(&lab_ca_file, lab_ca.pem()).unwrap();
    let other_ca_file = certs.path().join("other-ca.pem");
    std::fs::write(&other_ca_file, other_ca.pem()).unwrap();
    let database = fresh_database(&server.url()).await;
    let verify_full_url = |ca: &std::path::Path| {
        format!(
            "{database}?sslmode=verify-full&sslrootcert={}",
            ca.display()
        )
    };

    let dir = tempfile::tempdir().unwrap();
    let hub = open_hub_on(dir.path(), Some(&verify_full_url(&lab_ca_file))).await;
    let over_tls: bool =
        sqlx::query_scalar("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
            .fetch_one(hub.postgres().unwrap())
            .await
            .unwrap();
    assert!(over_tls);
    hub.close().await;

    let elsewhere = tempfile::tempdir().unwrap();
    let refused = Hub::open_postgres(
        elsewhere.path(),
        &verify_full_url(&other_ca_file),
        &PgSettings::with_limits(None, None, Some(2)).unwrap(),
        Arc::new(SystemClock),
    )
    .await
    .err()
    .expect("a server the lab's CA did not sign is refused");
    // Said as a refusal with its reason, not "try again later": retrying will not help.
    assert_eq!(refused.code, "database_refused");
    assert!(refused.message.contains("UnknownIssuer"), "{refused}");
}

/// A database that does not exist is the operator's mistake, said at start with its reason,
/// not answered "try again later" for ever; a server that is not up is still waited for.
#[tokio::test]
async fn a_database_that_does_not_exist_is_refused_with_its_reason() {
    let (_server, url) = some_postgres().await;
    let (base, _) = url.rsplit_once('/').unwrap();
    let missing = format!("{base}/no_such_lab");
    let dir = tempfile::tempdir().unwrap();
    let refused = Hub::open_postgres(
        dir.path(),
        &missing,
        &PgSettings::default(),
        Arc::new(SystemClock),
    )
    .await
    .err()
    .expect("a database that does not exist is refused");
    assert_eq!(refused.code, "database_refused");
    assert!(refused.message.contains("no_such_lab"), "{refused}");
    // Nothing listens on port 1: that is an outage, not a setting.
    let down = Hub::open_postgres(
        dir.path(),
        "postgres://aliquot@127.0.0.1:1/aliquot",
        &PgSettings::with_limits(None, None, Some(1)).unwrap(),
        Arc::new(SystemClock),
    )
    .await
    .err()
    .expect("no server");
    assert_eq!(down.code, "retry_later");
}
