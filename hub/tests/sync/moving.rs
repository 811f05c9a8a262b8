//! A running hub moved from SQLite to PostgreSQL (issue 18): the demo lab made on the hub,
//! workstations registering participants from their leased numbers and syncing, the move
//! while they go on working offline, and everyone converged on the moved hub after. The
//! size is CI's; the benchmark `backends` moves the full demo lab plus 100,000 commands.

use crate::backend::some_postgres;
use crate::offline::register_kit;
use crate::*;
use aliquot_domain::Actor;
use aliquot_store::seed::DemoSize;
use uuid::Uuid;

async fn id_of(hub: &RunningHub, sql: &str) -> Uuid {
    let id: String = sqlx::query_scalar(sql)
        .fetch_one(hub.hub.store().pool())
        .await
        .unwrap();
    id.parse().unwrap()
}

#[tokio::test]
async fn a_hub_with_the_demo_lab_and_synced_work_moves_to_postgres_with_the_same_digests() {
    let (_server, url) = some_postgres().await;
    let mut hub = RunningHub::start_with_demo_lab(DemoSize {
        participants_per_site: 6,
        checked_in_per_event: 3,
    })
    .await;
    let site = id_of(&hub, "SELECT id FROM sites WHERE code = 'NORTH'").await;
    let template = id_of(
        &hub,
        "SELECT id FROM kit_templates WHERE name = 'Saliva only'",
    )
    .await;
    let tech = hub.hub.store().user_by_name("tech").await.unwrap().unwrap();
    let tech = Actor {
        user_id: tech.id,
        username: tech.username,
        role: tech.role,
    };
    let desks = [
        Workstation::enrolled(&hub, "Desk 1").await,
        Workstation::enrolled(&hub, "Desk 2").await,
    ];
    // The desks pulled the demo lab the hub made (and each other's leases, one round on).
    for desk in &desks {
        desk.sync().await;
        assert_converged(&hub.hub, desk.store()).await;
    }
    // A lab at work on SQLite: rounds of registrations at both desks, synced after each.
    for _ in 0..3 {
        for desk in &desks {
            for _ in 0..20 {
                register_kit(desk, &tech, site, template, 1).await;
            }
            desk.sync().await;
        }
    }
    for desk in &desks {
        desk.sync().await;
        assert_eq!(desk.store().outbox_counts().await.unwrap().rejected, 0);
        assert_converged(&hub.hub, desk.store()).await;
    }
    let digests = hub.hub.store().lab_digests().await.unwrap();
    let head = hub.hub.feed_head().await.unwrap();
    let hub_id = hub.hub.hub_id().to_owned();

    // The move. The desks go on registering meanwhile, offline.
    hub.go_offline().await;
    for desk in &desks {
        for _ in 0..3 {
            register_kit(desk, &tech, site, template, 1).await;
        }
    }
    let moved = hub.move_to_postgres(&url).await;
    assert_eq!(moved.devices, 2);
    assert_eq!(moved.head, head);
    assert!(hub.hub.on_postgres());
    assert_eq!(hub.hub.hub_id(), hub_id);
    // The same lab on PostgreSQL: the convergence digests are the SQLite hub's, in the
    // moved directory and in a new process that copies the lab from the moved feed alone.
    assert_eq!(hub.hub.store().lab_digests().await.unwrap(), digests);
    let second_dir = tempfile::tempdir().unwrap();
    let second = crate::backend::open_hub_on(second_dir.path(), Some(&url)).await;
    assert_eq!(second.store().lab_digests().await.unwrap(), digests);
    second.close().await;

    // Back online: what the desks did meanwhile is decided on the moved hub, nothing
    // refused or lost, and both converge.
    for desk in &desks {
        desk.sync().await;
    }
    for desk in &desks {
        desk.sync().await;
        let outbox = desk.store().outbox_counts().await.unwrap();
        assert_eq!(outbox.rejected, 0);
        assert_eq!(outbox.pending, 0);
        assert_converged(&hub.hub, desk.store()).await;
    }
    assert_ne!(hub.hub.store().lab_digests().await.unwrap(), digests);
}
