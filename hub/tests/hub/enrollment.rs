//! Enrollment and device credentials: a code works once and expires; a revoked, unknown
//! or forged credential is refused with 401; a device pushes only its own commands.

use crate::*;
use aliquot_sync::{EnrollRequest, PushRequest, PROTOCOL_VERSION};
use chrono::Duration;
use uuid::Uuid;

fn request(code: &str) -> EnrollRequest {
    EnrollRequest {
        protocol: PROTOCOL_VERSION,
        code: code.into(),
        device_id: Uuid::now_v7().to_string(),
    }
}

#[tokio::test]
async fn an_enrollment_code_works_once_in_any_case_and_not_after_it_expires() {
    let bench = Bench::new().await;
    let enrollment = bench
        .hub
        .enroll("Desk 3", Duration::minutes(5))
        .await
        .unwrap();
    assert_eq!(enrollment.code.len(), 14, "{}", enrollment.code);
    let typed = enrollment.code.to_lowercase().replace('-', " ");
    let enrolled = bench.hub.redeem(request(&typed)).await.unwrap();
    assert_eq!(enrolled.device_name, "Desk 3");
    assert_eq!(enrolled.credential.len(), 64);
    assert_eq!(enrolled.hub_id, bench.hub.hub_id());
    let again = bench
        .hub
        .redeem(request(&enrollment.code))
        .await
        .unwrap_err();
    assert_eq!(
        (again.status, again.code.as_str()),
        (401, "enrollment_used")
    );

    let expired = bench
        .hub
        .enroll("Desk 4", Duration::seconds(-1))
        .await
        .unwrap();
    let refused = bench.hub.redeem(request(&expired.code)).await.unwrap_err();
    assert_eq!(
        (refused.status, refused.code.as_str()),
        (401, "enrollment_expired")
    );
    let refused = bench
        .hub
        .redeem(request("AAAA-BBBB-CCCC"))
        .await
        .unwrap_err();
    assert_eq!(
        (refused.status, refused.code.as_str()),
        (401, "enrollment_invalid")
    );
    // The hub keeps neither codes nor credentials in the clear.
    let stored = crate::backend::record_texts(
        &bench.hub,
        "SELECT code_hash FROM hub_enrollments UNION ALL SELECT credential_hash FROM hub_devices",
    )
    .await;
    assert!(!stored
        .iter()
        .any(|s| s == &enrolled.credential || s.contains(&enrollment.code)));
}

#[tokio::test]
async fn a_revoked_unknown_or_forged_credential_is_refused() {
    let bench = Bench::new().await;
    assert!(bench.hub.authenticate(&bench.a.credential).await.is_ok());
    let forged = bench.hub.authenticate(&"0".repeat(64)).await.unwrap_err();
    assert_eq!(
        (forged.status, forged.code.as_str()),
        (401, "unknown_device")
    );
    bench
        .hub
        .revoke(&bench.a.device.device_id, "stolen laptop")
        .await
        .unwrap();
    let revoked = bench
        .hub
        .authenticate(&bench.a.credential)
        .await
        .unwrap_err();
    assert_eq!(
        (revoked.status, revoked.code.as_str()),
        (401, "device_revoked")
    );
    assert!(revoked.message.contains("stays"), "{}", revoked.message);
    // Desk B is unaffected.
    assert!(bench.hub.authenticate(&bench.b.credential).await.is_ok());
    let listed = bench.hub.devices(Default::default()).await.unwrap().items;
    assert_eq!(listed.len(), 2);
    assert_eq!(
        listed
            .iter()
            .find(|d| d.device_id == bench.a.device.device_id)
            .unwrap()
            .revoked_why
            .as_deref(),
        Some("stolen laptop")
    );
}

#[tokio::test]
async fn a_device_pushes_only_its_own_commands() {
    let bench = Bench::new().await;
    let refused = bench
        .hub
        .push(
            &bench.a.device,
            PushRequest {
                protocol: PROTOCOL_VERSION,
                device_id: bench.b.device.device_id.clone(),
                commands: vec![],
                audit: vec![],
            },
        )
        .await
        .unwrap_err();
    assert_eq!(
        (refused.status, refused.code.as_str()),
        (403, "wrong_device")
    );
    let refused = bench
        .hub
        .push(
            &bench.a.device,
            PushRequest {
                protocol: PROTOCOL_VERSION + 1,
                device_id: bench.a.device.device_id.clone(),
                commands: vec![],
                audit: vec![],
            },
        )
        .await
        .unwrap_err();
    assert_eq!(refused.code, "protocol_unsupported");
}

#[tokio::test]
async fn a_device_is_leased_blocks_only_for_itself_and_only_of_known_kinds() {
    let bench = Bench::new().await;
    let ask = |device_id: &str, kind: &str, site| aliquot_sync::LeaseRequest {
        protocol: PROTOCOL_VERSION,
        device_id: device_id.into(),
        kind: kind.into(),
        site_id: site,
    };
    let leased = bench
        .hub
        .lease(
            &bench.a.device,
            ask(&bench.a.device.device_id, "participant", Some(bench.site)),
        )
        .await
        .unwrap();
    // The bench's desks already hold 10000–10199; the lease goes after them.
    assert_eq!((leased.first, leased.last), (10_200, 10_299));
    let sample = bench
        .hub
        .lease(
            &bench.a.device,
            ask(&bench.a.device.device_id, "sample", None),
        )
        .await
        .unwrap();
    assert_eq!((sample.prefix.as_str(), sample.first), ("S", 1));
    let blocks = bench
        .hub
        .store()
        .number_blocks(
            &Default::default(),
            aliquot_domain::paging::PageRequest {
                page: 1,
                per_page: 200,
            },
        )
        .await
        .unwrap()
        .items;
    assert!(blocks
        .iter()
        .any(|r| r.id == leased.block_id && r.block.device_id == bench.a.device.device_id));
    let refused = bench
        .hub
        .lease(
            &bench.a.device,
            ask(&bench.b.device.device_id, "sample", None),
        )
        .await
        .unwrap_err();
    assert_eq!(refused.code, "wrong_device");
    let refused = bench
        .hub
        .lease(
            &bench.a.device,
            ask(&bench.a.device.device_id, "preprinted", None),
        )
        .await
        .unwrap_err();
    assert_eq!(refused.code, "invalid");
    let refused = bench
        .hub
        .lease(
            &bench.a.device,
            ask(&bench.a.device.device_id, "participant", None),
        )
        .await
        .unwrap_err();
    assert_eq!(refused.code, "invalid");
}
