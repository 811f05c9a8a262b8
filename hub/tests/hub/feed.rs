//! The change feed: numbered from the locked counter, one number per hub transaction,
//! pages cut only between transactions, each device told what of its own was decided.

use crate::*;
use aliquot_domain::Command;
use aliquot_store::lab_tables::LAB_TABLES;
use std::collections::BTreeMap;

#[tokio::test]
async fn pages_hold_whole_changes_and_reach_the_head() {
    let bench = Bench::new().await;
    let tubes = bench.kit_at(&bench.a, 0).await;
    let tech = bench.tech.clone();
    let refused = bench
        .one(&bench.a, &tech, place(bench.storage_box, tubes[0].0, "Z9"))
        .await;
    assert_eq!(reason_code(&refused), "invalid");
    let placed = bench
        .one(&bench.a, &tech, place(bench.storage_box, tubes[0].0, "A1"))
        .await;
    assert!(matches!(placed, aliquot_sync::Outcome::Applied { .. }));

    let head = bench.hub.feed_head().await.unwrap();
    let (mut cursor, mut pages, mut rows) = (0, 0, Vec::new());
    let mut decided = Vec::new();
    loop {
        let page = bench
            .hub
            .pull(&bench.a.device, cursor, 3, false)
            .await
            .unwrap();
        assert!(page.next_cursor > cursor || !page.has_more);
        // Every change in a page is whole: no row of it is in the next page.
        if let Some(last) = page.changes.last() {
            assert!(last.change <= page.next_cursor);
        }
        rows.extend(page.changes);
        decided.extend(page.decided);
        cursor = page.next_cursor;
        pages += 1;
        if !page.has_more {
            break;
        }
    }
    assert_eq!(cursor, head);
    assert!(pages > 3);
    let mut by_change: BTreeMap<i64, usize> = BTreeMap::new();
    for r in &rows {
        *by_change.entry(r.change).or_default() += 1;
    }
    // The desk learns every outcome of its own commands, the refusal included.
    assert_eq!(
        decided.iter().map(|d| d.seq).collect::<Vec<_>>(),
        (1..bench.a.next_seq.get()).collect::<Vec<_>>()
    );
    assert_eq!(
        codes(&decided),
        ["applied", "applied", "invalid", "applied"]
    );
    // Desk B sees none of A's decisions.
    let b_page = bench
        .hub
        .pull(&bench.b.device, 0, 5_000, false)
        .await
        .unwrap();
    assert!(b_page.decided.is_empty());
    assert_eq!(b_page.next_cursor, head);
    assert_eq!(b_page.changes.len(), rows.len());

    // Applying every row image in order to a fresh database rebuilds the hub's lab tables.
    // What a fresh database already holds (the sample types migration 0019 writes) is in
    // every database and needs no feed.
    let fresh_dir = tempfile::tempdir().unwrap();
    let fresh = aliquot_store::Store::open(
        fresh_dir.path(),
        std::sync::Arc::new(aliquot_domain::SystemClock),
    )
    .await
    .unwrap();
    let mut latest: BTreeMap<(String, String), Option<serde_json::Value>> = BTreeMap::new();
    for r in rows {
        let row = r.row_value();
        latest.insert((r.table, r.key.to_string()), row);
    }
    for table in LAB_TABLES {
        let born_with = fresh.lab_rows(table).await.unwrap();
        let hub_rows: Vec<serde_json::Value> = bench
            .hub
            .store()
            .lab_rows(table)
            .await
            .unwrap()
            .into_iter()
            .filter(|row| !born_with.contains(row))
            .collect();
        let fed: Vec<serde_json::Value> = latest
            .iter()
            .filter(|((t, _), row)| t == table.name && row.is_some())
            .map(|(_, row)| row.clone().unwrap())
            .collect();
        assert_eq!(fed.len(), hub_rows.len(), "{}", table.name);
        for row in &hub_rows {
            assert!(
                fed.contains(row),
                "{}: {row} is not in the feed",
                table.name
            );
        }
    }
}

#[tokio::test]
async fn a_transaction_larger_than_a_page_comes_whole_and_digests_come_with_the_last() {
    let bench = Bench::new().await;
    bench.kit_at(&bench.a, 0).await;
    // The kit registration wrote several rows under one change.
    let page = bench.hub.pull(&bench.a.device, 0, 1, true).await.unwrap();
    let change = page.changes[0].change;
    assert!(page.changes.iter().all(|c| c.change == change));
    assert!(page.has_more);
    assert!(page.digests.is_none());
    let head = bench.hub.feed_head().await.unwrap();
    let last = bench
        .hub
        .pull(&bench.a.device, head - 1, 5_000, true)
        .await
        .unwrap();
    assert!(!last.has_more);
    let digests = last.digests.unwrap();
    assert_eq!(digests, bench.hub.store().lab_digests().await.unwrap());
    // A cursor past the head reads as the head.
    let beyond = bench
        .hub
        .pull(&bench.a.device, head + 50, 10, false)
        .await
        .unwrap();
    assert!(beyond.changes.is_empty());
    assert_eq!(beyond.next_cursor, head);
}

/// Lab rows change only inside a hub change: a write that did not take a change number
/// (which the feed could never carry) is refused by the database itself.
#[tokio::test]
async fn no_lab_row_changes_outside_a_hub_change() {
    let bench = Bench::new().await;
    let refused = sqlx::query("UPDATE sites SET name = 'Sneaky' WHERE 1")
        .execute(bench.hub.store().pool())
        .await
        .unwrap_err();
    assert!(
        refused.to_string().contains("inside a hub change"),
        "{refused}"
    );
    // The workstation's executor path, used on a hub by mistake, is refused the same way.
    let refused = bench
        .hub
        .store()
        .execute(
            &bench.manager,
            Command::CreateFreezer {
                freezer_id: uuid::Uuid::now_v7(),
                name: "Unfed".into(),
                location: "Room 9".into(),
                freezer_kind: aliquot_domain::storage::FreezerKind::Freezer,
                temperature_c: -20,
            },
        )
        .await
        .unwrap_err();
    assert!(
        refused.to_string().contains("inside a hub change"),
        "{refused}"
    );
}
