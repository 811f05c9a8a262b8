//! Number blocks leased by the hub: each workstation gets its own, refilled below the
//! low-water mark while the hub is reachable; the hub refuses a code it did not lease.

use crate::offline::{lab, register};
use crate::*;
use aliquot_domain::numbering::{BlockKind, LeasePolicy};
use std::collections::HashSet;

async fn blocks_of(ws: &Workstation) -> Vec<aliquot_domain::numbering::NumberBlock> {
    let device = ws.device_id();
    ws.store()
        .number_blocks(
            &Default::default(),
            aliquot_domain::paging::PageRequest {
                page: 1,
                per_page: 200,
            },
        )
        .await
        .unwrap()
        .items
        .into_iter()
        .filter(|r| r.block.device_id == device)
        .map(|r| r.block)
        .collect()
}

#[tokio::test]
async fn workstations_are_leased_their_own_blocks_and_refilled_below_low_water() {
    let hub = RunningHub::start().await;
    hub.hub
        .set_lease_policy(&LeasePolicy {
            sample_prefix: "LB".into(),
            sample_digits: 6,
            sample_block: 20,
            participant_block: 8,
        })
        .await
        .unwrap();
    let lab = lab(&hub).await;
    let a = Workstation::enrolled(&hub, "Desk A").await;
    let b = Workstation::enrolled(&hub, "Desk B").await;
    a.sync().await;
    let a_blocks = blocks_of(&a).await;
    let b_blocks = blocks_of(&b).await;
    for blocks in [&a_blocks, &b_blocks] {
        assert_eq!(blocks.len(), 2, "{blocks:?}");
        assert!(blocks.iter().any(|b| b.kind == BlockKind::Participant
            && b.site_id == Some(lab.site)
            && b.last - b.first + 1 == 8));
        assert!(blocks.iter().any(|b| b.kind == BlockKind::Sample
            && b.prefix == "LB"
            && b.last - b.first + 1 == 20));
    }
    for x in &a_blocks {
        for y in b_blocks.iter().filter(|y| y.kind == x.kind) {
            assert!(x.last < y.first || y.last < x.first, "{x:?} overlaps {y:?}");
        }
    }
    // Eight participants use all 8 numbers and 16 of 20 codes: below low water (2 and
    // 5), the next round leases more of both.
    let mut codes = HashSet::new();
    for _ in 0..8 {
        for tube in register(&a, &lab).await {
            assert!(codes.insert(a.store().sample(tube).await.unwrap().code));
        }
    }
    let round = a.sync().await;
    assert_eq!(round.leased, 2);
    assert_eq!(blocks_of(&a).await.len(), 4);
    for _ in 0..3 {
        for tube in register(&a, &lab).await {
            assert!(codes.insert(a.store().sample(tube).await.unwrap().code));
        }
    }
    a.sync().await;
    b.sync().await;
    assert_eq!(a.store().outbox_counts().await.unwrap().rejected, 0);
    assert_converged(&hub.hub, a.store()).await;
    assert_converged(&hub.hub, b.store()).await;
}
