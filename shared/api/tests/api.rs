//! The UI boundary: dispatch, the error shape, sessions through the API, and the HTTP
//! transport's guards and event stream.

use aliquot_api::{dispatch, Api, ApiError, ErrorCode, OPERATIONS};
use aliquot_store::Store;
use serde_json::{json, Value};
use std::sync::Arc;

const PASSWORD: &str = "correct horse battery";

async fn api() -> (tempfile::TempDir, Api) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), Arc::new(aliquot_domain::SystemClock))
        .await
        .unwrap();
    (dir, Api::new(store))
}

async fn call(
    api: &Api,
    name: &str,
    token: Option<&str>,
    args: Value,
) -> Result<Value, aliquot_api::ApiError> {
    dispatch(api, name, token, args).await
}

/// A fresh API with an admin signed in; returns the admin's token.
async fn signed_in() -> (tempfile::TempDir, Api, String) {
    let (dir, api) = api().await;
    call(
        &api,
        "create_first_admin",
        None,
        json!({"username": "admin", "display_name": "Ada", "password": PASSWORD}),
    )
    .await
    .unwrap();
    let session = call(
        &api,
        "login",
        None,
        json!({"username": "admin", "password": PASSWORD}),
    )
    .await
    .unwrap();
    let token = session["token"].as_str().unwrap().to_owned();
    (dir, api, token)
}

#[tokio::test]
async fn first_run_creates_the_admin_once() {
    let (_dir, api) = api().await;
    let status = call(&api, "setup_status", None, json!({})).await.unwrap();
    assert_eq!(status["needs_first_admin"], true);
    let admin = call(
        &api,
        "create_first_admin",
        None,
        json!({"username": "Admin", "display_name": "Ada", "password": PASSWORD}),
    )
    .await
    .unwrap();
    assert_eq!(
        (admin["username"].as_str(), admin["role"].as_str()),
        (Some("admin"), Some("admin"))
    );
    let again = call(
        &api,
        "create_first_admin",
        None,
        json!({"username": "eve", "display_name": "Eve", "password": PASSWORD}),
    )
    .await
    .unwrap_err();
    assert_eq!(again.code, ErrorCode::Conflict);
    assert_eq!(
        call(&api, "setup_status", None, json!({})).await.unwrap()["needs_first_admin"],
        false
    );
}

#[tokio::test]
async fn a_short_password_is_refused_with_its_rule() {
    let (_dir, api) = api().await;
    let e = call(
        &api,
        "create_first_admin",
        None,
        json!({"username": "admin", "display_name": "Ada", "password": "short"}),
    )
    .await
    .unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidInput);
    assert!(
        e.message.contains("at least 12 characters"),
        "{}",
        e.message
    );
}

#[tokio::test]
async fn operations_without_a_valid_session_are_refused() {
    let (_dir, api, token) = signed_in().await;
    for name in [
        "whoami",
        "list_users",
        "get_settings",
        "list_audit",
        "device_status",
        "logout",
    ] {
        let e = call(&api, name, None, json!({})).await.unwrap_err();
        assert_eq!(e.code, ErrorCode::Unauthenticated, "{name}");
        let e = call(&api, name, Some("forged-token"), json!({}))
            .await
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::Unauthenticated, "{name}");
    }
    call(&api, "logout", Some(&token), json!({})).await.unwrap();
    let e = call(&api, "whoami", Some(&token), json!({}))
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::Unauthenticated);
}

#[tokio::test]
async fn a_technician_cannot_do_what_only_an_admin_may() {
    let (_dir, api, admin) = signed_in().await;
    let tech = call(&api, "create_user", Some(&admin), json!({"username": "tess", "display_name": "Tess", "role": "technician", "password": PASSWORD})).await.unwrap();
    let tess = call(
        &api,
        "login",
        None,
        json!({"username": "tess", "password": PASSWORD}),
    )
    .await
    .unwrap();
    let tess = tess["token"].as_str().unwrap();
    let admin_id =
        call(&api, "whoami", Some(&admin), json!({})).await.unwrap()["user"]["id"].clone();
    let refused = [
        (
            "create_user",
            json!({"username": "x1", "display_name": "X", "role": "admin", "password": PASSWORD}),
        ),
        (
            "deactivate_user",
            json!({"user_id": admin_id, "reason": "coup"}),
        ),
        (
            "issue_password_reset",
            json!({"user_id": admin_id, "reason": "coup"}),
        ),
        (
            "change_role",
            json!({"user_id": tech["id"], "role": "admin", "reason": "self-promotion"}),
        ),
        (
            "change_settings",
            json!({"settings": [{"key": "lab_name", "value": "Mine"}], "reason": "why not"}),
        ),
        ("list_users", json!({})),
        ("list_audit", json!({})),
        ("verify_audit", json!({})),
    ];
    for (name, args) in refused {
        let e = call(&api, name, Some(tess), args).await.unwrap_err();
        assert_eq!(e.code, ErrorCode::Forbidden, "{name}");
    }
    // What every signed-in user may do.
    call(&api, "get_settings", Some(tess), json!({}))
        .await
        .unwrap();
    call(&api, "device_status", Some(tess), json!({}))
        .await
        .unwrap();
    call(
        &api,
        "change_password",
        Some(tess),
        json!({"current_password": PASSWORD, "new_password": "a new bench passphrase"}),
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn change_password_checks_the_current_password() {
    let (_dir, api, admin) = signed_in().await;
    let e = call(
        &api,
        "change_password",
        Some(&admin),
        json!({"current_password": "not it at all", "new_password": "another long passphrase"}),
    )
    .await
    .unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidInput);
    call(
        &api,
        "change_password",
        Some(&admin),
        json!({"current_password": PASSWORD, "new_password": "another long passphrase"}),
    )
    .await
    .unwrap();
    assert!(call(
        &api,
        "login",
        None,
        json!({"username": "admin", "password": "another long passphrase"})
    )
    .await
    .is_ok());
}

#[tokio::test]
async fn an_admin_reset_lets_the_user_choose_a_new_password_once() {
    let (_dir, api, admin) = signed_in().await;
    let bea = call(&api, "create_user", Some(&admin), json!({"username": "bea", "display_name": "Bea", "role": "lab_manager", "password": PASSWORD})).await.unwrap();
    let issued = call(
        &api,
        "issue_password_reset",
        Some(&admin),
        json!({"user_id": bea["id"], "reason": "forgot"}),
    )
    .await
    .unwrap();
    let token = issued["token"].as_str().unwrap();
    assert!(token.len() >= 32, "at least 128 bits");
    call(
        &api,
        "redeem_password_reset",
        None,
        json!({"token": token, "new_password": "a fresh lab passphrase"}),
    )
    .await
    .unwrap();
    let again = call(
        &api,
        "redeem_password_reset",
        None,
        json!({"token": token, "new_password": "another lab passphrase"}),
    )
    .await
    .unwrap_err();
    assert_eq!(again.code, ErrorCode::InvalidInput);
    let unknown = call(
        &api,
        "redeem_password_reset",
        None,
        json!({"token": "00", "new_password": "another lab passphrase"}),
    )
    .await
    .unwrap_err();
    assert_eq!(
        unknown.message, again.message,
        "no hint whether a token existed"
    );
    assert!(call(
        &api,
        "login",
        None,
        json!({"username": "bea", "password": "a fresh lab passphrase"})
    )
    .await
    .is_ok());
}

#[tokio::test]
async fn arguments_are_strict_and_sorting_is_typed() {
    let (_dir, api, admin) = signed_in().await;
    let cases = [
        (
            "login",
            json!({"username": "admin", "password": PASSWORD, "role": "admin"}),
        ),
        ("list_users", json!({"sort": "password_hash"})),
        ("list_users", json!({"order": "sideways"})),
        ("list_users", json!({"per_page": 100000})),
        ("list_users", json!({"page": 0})),
        (
            "change_settings",
            json!({"settings": [{"key": "root_password", "value": "x"}], "reason": "r"}),
        ),
        (
            "change_settings",
            json!({"settings": [{"key": "lab_name", "value": "Lab"}], "reason": "  "}),
        ),
    ];
    for (name, args) in cases {
        let e = call(&api, name, Some(&admin), args.clone())
            .await
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidInput, "{name} {args}");
    }
    let e = call(&api, "drop_database", Some(&admin), json!({}))
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::NotFound);
}

/// Records' sync states are asked for a bounded set at a time (a box map's tubes); with no
/// hub, every record is this workstation's own.
#[tokio::test]
async fn records_sync_state_answers_each_record_and_is_bounded() {
    let (_dir, api, admin) = signed_in().await;
    let states = call(
        &api,
        "records_sync_state",
        Some(&admin),
        json!({"entity_type": "sample", "entity_ids": ["S1", "S2"]}),
    )
    .await
    .unwrap();
    assert_eq!(
        states,
        json!([
            {"entity_id": "S1", "state": "local_only"},
            {"entity_id": "S2", "state": "local_only"}
        ])
    );
    let ids: Vec<String> = (0..501).map(|i| format!("S{i}")).collect();
    let too_many = call(
        &api,
        "records_sync_state",
        Some(&admin),
        json!({"entity_type": "sample", "entity_ids": ids}),
    )
    .await
    .unwrap_err();
    assert_eq!(too_many.code, ErrorCode::InvalidInput);
}

/// Operations that answer a plain list, each with why it is bounded by its own arguments
/// and is no table listing. Any other plain-list answer fails `every_list_is_one_page_type`.
const BOUNDED_ANSWERS: &[(&str, &str)] = &[
    (
        "records_sync_state",
        "the sync state of the records the caller names, at most 500",
    ),
    (
        "create_aliquots",
        "the aliquots this command made, at most the 96 it may make",
    ),
];

/// The operations come from the dispatch table with their Rust answer types: a new
/// operation that answers a whole table as a plain list fails here without being listed.
#[tokio::test]
async fn every_list_is_one_page_type() {
    let answers = aliquot_api::answers();
    assert_eq!(answers.len(), aliquot_api::OPERATIONS.len());
    let plain: Vec<&str> = answers
        .iter()
        .filter(|(_, a)| *a == aliquot_api::Answer::List)
        .map(|(name, _)| *name)
        .filter(|name| !BOUNDED_ANSWERS.iter().any(|(bounded, _)| bounded == name))
        .collect();
    assert!(
        plain.is_empty(),
        "these operations answer a plain list; make each a Page with its filters in SQL: {plain:?}"
    );
    let (_dir, api, admin) = signed_in().await;
    let pages: Vec<&str> = answers
        .iter()
        .filter(|(_, a)| *a == aliquot_api::Answer::Page)
        .map(|(name, _)| *name)
        .collect();
    assert!(pages.len() >= 20, "{pages:?}");
    for name in pages {
        // A list over one record (a freezer's racks, a tube's history) needs that record's
        // id: any id will do, since only the page's shape and bound are checked here.
        let mut args = json!({"page": 1, "per_page": 201});
        if name == "preview_query" {
            // A query is not an id: the smallest whole one.
            args["query"] = json!({"entity": "samples", "columns": ["code"]});
        }
        let too_big = loop {
            let e = call(&api, name, Some(&admin), args.clone())
                .await
                .unwrap_err();
            match e.message.split("missing field `").nth(1) {
                Some(rest) => {
                    let field = rest.split('`').next().unwrap().to_owned();
                    args[field] = json!(uuid::Uuid::now_v7());
                }
                None => break e,
            }
        };
        assert_eq!(too_big.code, ErrorCode::InvalidInput, "{name}");
        assert!(
            too_big.message.to_lowercase().contains("per_page"),
            "{name}: {}",
            too_big.message
        );
        args["per_page"] = json!(1);
        let page = call(&api, name, Some(&admin), args).await;
        let page = match page {
            Ok(page) => page,
            // Some lists answer only a role the administrator does not hold.
            Err(e) if e.code == ErrorCode::Forbidden => continue,
            Err(e) => panic!("{name}: {e:?}"),
        };
        let keys: Vec<_> = page.as_object().unwrap().keys().cloned().collect();
        assert_eq!(
            keys,
            ["items", "page", "per_page", "total", "total_pages"],
            "{name}"
        );
        assert!(page["items"].as_array().unwrap().len() <= 1, "{name}");
    }
    for name in ["list_users", "list_audit"] {
        let page = call(&api, name, Some(&admin), json!({"page": 1, "per_page": 1}))
            .await
            .unwrap();
        assert_eq!(page["items"].as_array().unwrap().len(), 1);
        assert!(page["total"].as_u64().unwrap() >= 1);
    }
}

/// An account deactivated and reactivated signs in again with the password it had; an
/// active account is not reactivated; only an administrator may; both are in its story.
/// Issue 15: the guided setup reads where a new lab stands from the store, so a guide left
/// half-way resumes at the first step not done.
#[tokio::test]
async fn the_setup_progress_counts_what_a_new_lab_has_made() {
    let (_dir, api, admin) = signed_in().await;
    let progress = call(&api, "setup_progress", Some(&admin), json!({}))
        .await
        .unwrap();
    assert_eq!(
        progress,
        json!({"lab_named": false, "sites": 0, "participant_blocks": 0, "sample_blocks": 0, "kit_templates": 0, "lab_managers": 0, "freezers": 0, "boxes": 0, "printers": 0, "test_prints": 0})
    );
    call(&api, "change_settings", Some(&admin), json!({"settings": [{"key": "lab_name", "value": "North Biobank"}, {"key": "display_timezone", "value": "Europe/Oslo"}], "reason": "first run"})).await.unwrap();
    let (manager, _tech, _desk, device) = bench(&api, &admin).await;
    let site = call(&api, "create_site", Some(&admin), json!({"code": "north", "name": "North Clinic", "participant_range_start": 1000, "participant_range_end": 1999})).await.unwrap();
    call(&api, "assign_number_block", Some(&admin), json!({"block": {"kind": "participant", "device_id": device, "site_id": site["id"], "first": 1000, "last": 1099}, "reason": "desk"})).await.unwrap();
    call(&api, "create_kit_template", Some(&manager), json!({"name": "One tube", "items": [{"sample_type": "plasma", "count": 1, "volume_ul": null}]})).await.unwrap();
    box_in_a_freezer(&api, &manager).await;
    call(&api, "configure_printer", Some(&manager), json!({"name": "Desk Zebra", "address": {"kind": "fake", "name": "Desk Zebra"}, "language": "zpl", "dpi": 300, "stock": "cryovial", "darkness": 20})).await.unwrap();
    let progress = call(&api, "setup_progress", Some(&manager), json!({}))
        .await
        .unwrap();
    assert_eq!(
        progress,
        json!({"lab_named": true, "sites": 1, "participant_blocks": 1, "sample_blocks": 0, "kit_templates": 1, "lab_managers": 1, "freezers": 1, "boxes": 1, "printers": 1, "test_prints": 0})
    );
    // Read by anyone signed in, by no one else.
    assert_eq!(
        call(&api, "setup_progress", None, json!({}))
            .await
            .unwrap_err()
            .code,
        ErrorCode::Unauthenticated
    );
}

#[tokio::test]
async fn a_deactivated_account_is_reactivated_with_a_reason() {
    let (_dir, api, admin) = signed_in().await;
    let tech = user(&api, &admin, "tech", "technician").await;
    let tech_id = call(&api, "whoami", Some(&tech), json!({})).await.unwrap()["user"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let login = || {
        call(
            &api,
            "login",
            None,
            json!({"username": "tech", "password": PASSWORD}),
        )
    };
    let e = call(
        &api,
        "reactivate_user",
        Some(&admin),
        json!({"user_id": tech_id, "reason": "back"}),
    )
    .await
    .unwrap_err();
    assert_eq!(e.code, ErrorCode::Conflict);
    assert!(e.message.contains("already active"), "{}", e.message);
    call(
        &api,
        "deactivate_user",
        Some(&admin),
        json!({"user_id": tech_id, "reason": "on leave"}),
    )
    .await
    .unwrap();
    assert!(login().await.is_err());
    let other = user(&api, &admin, "other", "lab_manager").await;
    let e = call(
        &api,
        "reactivate_user",
        Some(&other),
        json!({"user_id": tech_id, "reason": "back"}),
    )
    .await
    .unwrap_err();
    assert_eq!(e.code, ErrorCode::Forbidden);
    let back = call(
        &api,
        "reactivate_user",
        Some(&admin),
        json!({"user_id": tech_id, "reason": "back from leave"}),
    )
    .await
    .unwrap();
    assert_eq!(back["active"], true);
    assert!(login().await.is_ok());
    let rows = audit_of(&api, &admin, json!({"entity_id": tech_id})).await;
    let actions: Vec<&str> = rows.iter().map(|r| r["action"].as_str().unwrap()).collect();
    assert_eq!(actions[..2], ["reactivate_user", "deactivate_user"]);
    assert_eq!(rows[0]["reason"], "back from leave");
}

#[tokio::test]
async fn an_internal_error_shows_a_reference_not_the_database_message() {
    let (_dir, api, admin) = signed_in().await;
    sqlx::query("DROP TABLE settings")
        .execute(api.store().pool())
        .await
        .unwrap();
    let e = call(&api, "get_settings", Some(&admin), json!({}))
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::Internal);
    let id = e.id.clone().expect("an id to quote");
    assert!(e.message.contains(&id));
    for leak in [
        "settings",
        "no such table",
        "sqlx",
        "SQLITE",
        "error returned from database",
    ] {
        assert!(!e.message.contains(leak), "{leak} leaked: {}", e.message);
    }
    let shape = serde_json::to_value(&e).unwrap();
    assert_eq!(
        shape
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect::<Vec<_>>(),
        ["code", "id", "message"]
    );
    assert_eq!(shape["code"], "internal");
}

#[tokio::test]
async fn the_operation_list_is_the_dispatch_table() {
    let (_dir, api) = api().await;
    for name in OPERATIONS {
        let e = call(&api, name, Some("no session"), json!({"__probe": 1})).await;
        // Every listed operation is routed (it parses its own arguments) rather than unknown.
        if let Err(e) = e {
            assert_ne!(e.code, ErrorCode::NotFound, "{name} is not dispatched");
        }
    }
}

/// Only first run, sign-in and reset redemption work without a session.
#[tokio::test]
async fn no_other_operation_answers_without_a_session() {
    let (_dir, api, _admin) = signed_in().await;
    let public = [
        "setup_status",
        "create_first_admin",
        "login",
        "redeem_password_reset",
    ];
    for name in OPERATIONS.iter().filter(|n| !public.contains(n)) {
        let result = call(&api, name, None, json!({})).await;
        let e = result.expect_err(name);
        assert!(
            matches!(e.code, ErrorCode::Unauthenticated | ErrorCode::InvalidInput),
            "{name}: {e:?}"
        );
    }
}

async fn user(api: &Api, admin: &str, name: &str, role: &str) -> String {
    call(
        api,
        "create_user",
        Some(admin),
        json!({"username": name, "display_name": name, "role": role, "password": PASSWORD}),
    )
    .await
    .unwrap();
    let session = call(
        api,
        "login",
        None,
        json!({"username": name, "password": PASSWORD}),
    )
    .await
    .unwrap();
    session["token"].as_str().unwrap().to_owned()
}

/// A lab manager, a technician and a desk clerk, and this workstation's device id.
async fn bench(api: &Api, admin: &str) -> (String, String, String, String) {
    let manager = user(api, admin, "manager", "lab_manager").await;
    let tech = user(api, admin, "tech", "technician").await;
    let desk = user(api, admin, "desk", "field_coordinator").await;
    let device = call(api, "device_status", Some(admin), json!({}))
        .await
        .unwrap()["device_id"]
        .as_str()
        .unwrap()
        .to_owned();
    (manager, tech, desk, device)
}

/// Freezer F1 › rack R1 › "Box 1" (barcode BXTEST, 8 × 12), made by `manager`.
async fn box_in_a_freezer(api: &Api, manager: &str) -> Value {
    let freezer = call(
        api,
        "create_freezer",
        Some(manager),
        json!({"name": "F1", "location": "Room 1", "kind": "ultra_low", "temperature_c": -80}),
    )
    .await
    .unwrap();
    let rack = call(
        api,
        "create_rack",
        Some(manager),
        json!({"freezer_id": freezer["id"], "name": "R1"}),
    )
    .await
    .unwrap();
    call(api, "create_box", Some(manager), json!({"rack_id": rack["id"], "name": "Box 1", "barcode": "BXTEST", "box_type": "96-tube rack", "layout": {"kind": "grid", "rows": 8, "columns": 12}})).await.unwrap()
}

/// Issue 15: a freezer, a rack and a box are corrected from the storage screens, each with a
/// reason and one audit row under its own id; a name or barcode another has, a change that
/// changes nothing, a missing reason and a voided box are refused and change nothing.
#[tokio::test]
async fn freezers_racks_and_boxes_are_corrected_with_a_reason_and_voided_ones_are_not() {
    let (_dir, api, admin) = signed_in().await;
    let (manager, tech, _, _) = bench(&api, &admin).await;
    let first = box_in_a_freezer(&api, &manager).await;
    let (box_id, rack_id, freezer_id) = (
        first["id"].clone(),
        first["rack_id"].clone(),
        first["freezer_id"].clone(),
    );
    let second = call(&api, "create_box", Some(&manager), json!({"rack_id": rack_id, "name": "Box 2", "barcode": "BXTWO", "box_type": "96-tube rack", "layout": {"kind": "grid", "rows": 8, "columns": 12}})).await.unwrap();
    let edit = |edit: Value, reason: &str| {
        let (api, manager) = (&api, &manager);
        let args = json!({"edit": edit, "reason": reason});
        async move { call(api, "edit_storage", Some(manager), args).await }
    };

    call(
        &api,
        "edit_storage",
        Some(&tech),
        json!({"edit": {"kind": "rack", "rack_id": rack_id, "name": "R9"}, "reason": "x"}),
    )
    .await
    .map(|_| ())
    .expect_err("a technician does not manage storage");
    let refused = [
        (
            json!({"kind": "box", "box_id": box_id, "name": "Box 1", "barcode": "BXTWO", "box_type": "96-tube rack"}),
            "relabel",
            ErrorCode::Conflict,
        ),
        (
            json!({"kind": "box", "box_id": box_id, "name": "Box 1", "barcode": "BXTEST", "box_type": "96-tube rack"}),
            "nothing",
            ErrorCode::InvalidInput,
        ),
        (
            json!({"kind": "box", "box_id": box_id, "name": "Box 1", "barcode": "BX NEW", "box_type": "96-tube rack"}),
            "spaces",
            ErrorCode::InvalidInput,
        ),
        (
            json!({"kind": "rack", "rack_id": rack_id, "name": "R2"}),
            "  ",
            ErrorCode::InvalidInput,
        ),
        (
            json!({"kind": "freezer", "freezer_id": freezer_id, "name": "F1", "location": "Room 1", "freezer_kind": "ultra_low", "temperature_c": 4}),
            "too warm",
            ErrorCode::InvalidInput,
        ),
    ];
    for (change, reason, code) in refused {
        let err = edit(change.clone(), reason).await.unwrap_err();
        assert_eq!(err.code, code, "{change}: {err:?}");
    }

    edit(json!({"kind": "freezer", "freezer_id": freezer_id, "name": "Freezer 1 (−80)", "location": "Room 2, by the door", "freezer_kind": "ultra_low", "temperature_c": -80}), "moved to room 2").await.unwrap();
    edit(
        json!({"kind": "rack", "rack_id": rack_id, "name": "Rack 1"}),
        "racks numbered",
    )
    .await
    .unwrap();
    edit(json!({"kind": "box", "box_id": box_id, "name": "Plasma 1", "barcode": "BXP001", "box_type": "96-tube rack"}), "relabelled").await.unwrap();
    let edited = &call(&api, "get_box", Some(&tech), json!({"id": box_id}))
        .await
        .unwrap()["storage_box"];
    assert_eq!(
        (
            &edited["name"],
            &edited["barcode"],
            &edited["rack"],
            &edited["freezer"]
        ),
        (
            &json!("Plasma 1"),
            &json!("BXP001"),
            &json!("Rack 1"),
            &json!("Freezer 1 (−80)")
        )
    );
    // The old label no longer finds the box, and the new one does.
    assert_eq!(
        call(&api, "lookup_scan", Some(&tech), json!({"code": "BXTEST"}))
            .await
            .unwrap()["kind"],
        "unknown"
    );
    assert_eq!(
        call(&api, "lookup_scan", Some(&tech), json!({"code": "BXP001"}))
            .await
            .unwrap()["kind"],
        "box"
    );

    for (entity, id, old, new) in [
        (
            "freezer",
            &freezer_id,
            json!("F1"),
            json!("Freezer 1 (−80)"),
        ),
        ("rack", &rack_id, json!("R1"), json!("Rack 1")),
        ("box", &box_id, json!("Box 1"), json!("Plasma 1")),
    ] {
        let rows = audit_of(
            &api,
            &admin,
            json!({"action": "edit_storage", "entity_id": id}),
        )
        .await;
        assert_eq!(rows.len(), 1, "{entity}");
        assert_eq!(rows[0]["entity_type"], entity);
        assert_eq!(
            (&rows[0]["old_value"]["name"], &rows[0]["new_value"]["name"]),
            (&old, &new),
            "{entity}: {}",
            rows[0]
        );
    }

    // A voided box keeps its barcode for good, and is not edited.
    call(
        &api,
        "void_storage",
        Some(&manager),
        json!({"target": {"kind": "box", "id": second["id"]}, "reason": "cracked"}),
    )
    .await
    .unwrap();
    let err = edit(json!({"kind": "box", "box_id": second["id"], "name": "Box 2b", "barcode": "BXTWO", "box_type": "96-tube rack"}), "rename").await.unwrap_err();
    assert_eq!(err.code, ErrorCode::Conflict, "{err:?}");
    let err = edit(json!({"kind": "box", "box_id": box_id, "name": "Plasma 1", "barcode": "BXTWO", "box_type": "96-tube rack"}), "reuse").await.unwrap_err();
    assert_eq!(err.code, ErrorCode::Conflict, "{err:?}");
}

async fn outbox_len(api: &Api) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM outbox")
        .fetch_one(api.store().pool())
        .await
        .unwrap()
}

/// A collection desk to freezer day through the API: the same calls the UI makes.
#[tokio::test]
async fn a_kit_goes_from_the_desk_to_a_box_and_a_rack_scan_checks_the_box() {
    let (_dir, api, admin) = signed_in().await;
    let (manager, tech, desk, device) = bench(&api, &admin).await;

    let site = call(&api, "create_site", Some(&admin), json!({"code": "north", "name": "North Clinic", "participant_range_start": 1000, "participant_range_end": 1999})).await.unwrap();
    assert_eq!(site["code"], "NORTH");
    let site_id = site["id"].as_str().unwrap().to_owned();
    // The desk cannot register before the workstation has a block: said plainly.
    let e = call(
        &api,
        "register_participant",
        Some(&desk),
        json!({"site_id": site_id, "consent": "given", "consent_date": "2026-01-05"}),
    )
    .await
    .unwrap_err();
    assert_eq!(e.code, ErrorCode::Conflict);
    assert!(e.message.contains("ask an administrator"), "{}", e.message);
    call(&api, "assign_number_block", Some(&admin), json!({"block": {"kind": "participant", "device_id": device, "site_id": site_id, "first": 1000, "last": 1099}, "reason": "desk lease"})).await.unwrap();
    let block = call(&api, "assign_number_block", Some(&admin), json!({"block": {"kind": "sample", "device_id": device, "site_id": null, "prefix": "aq", "digits": 6, "first": 1, "last": 500}, "reason": "desk lease"})).await.unwrap();
    assert_eq!(
        (
            block["this_workstation"].as_bool(),
            block["prefix"].as_str()
        ),
        (Some(true), Some("AQ"))
    );
    // A technician may not lease blocks.
    let e = call(&api, "assign_number_block", Some(&tech), json!({"block": {"kind": "sample", "device_id": device, "site_id": null, "prefix": "BQ", "digits": 6, "first": 1, "last": 5}, "reason": "x"})).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::Forbidden);

    let kit = call(&api, "create_kit_template", Some(&manager), json!({"name": "Three tubes", "items": [{"sample_type": "plasma", "count": 2, "volume_ul": 500}, {"sample_type": "urine", "count": 1, "volume_ul": null}]})).await.unwrap();
    assert_eq!(kit["tube_count"], 3);
    let participant = call(&api, "register_participant", Some(&desk), json!({"site_id": site_id, "external_id": "EXT-1", "consent": "given", "consent_date": "2026-01-05"})).await.unwrap();
    assert_eq!(participant["number"], 1000);
    let registered = call(&api, "register_kit", Some(&desk), json!({"participant_id": participant["id"], "template_id": kit["id"], "collected_at": "2026-01-05T09:30:00Z", "collector": "Nurse Joy"})).await.unwrap();
    let samples = registered["samples"].as_array().unwrap().clone();
    assert_eq!(samples.len(), 3);
    assert!(samples
        .iter()
        .all(|s| s["status"] == "collected" && s["code"].as_str().unwrap().starts_with("AQ")));
    let code = |i: usize| samples[i]["code"].as_str().unwrap().to_owned();
    let id = |i: usize| samples[i]["id"].as_str().unwrap().to_owned();

    // Scanning the code finds the tube with its participant and consent.
    let found = call(&api, "lookup_scan", Some(&tech), json!({"code": code(0)}))
        .await
        .unwrap();
    assert_eq!(
        (
            found["kind"].as_str(),
            found["sample"]["participant_code"].as_str()
        ),
        (Some("sample"), participant["code"].as_str())
    );
    assert_eq!(
        found["sample"]["next_statuses"],
        json!(["in_transit", "received"])
    );
    let unknown = call(&api, "lookup_scan", Some(&tech), json!({"code": "NOPE123"}))
        .await
        .unwrap();
    assert_eq!(unknown["kind"], "unknown");

    for i in 0..3 {
        call(
            &api,
            "transition_sample",
            Some(&tech),
            json!({"sample_id": id(i), "expected": "collected", "to": "received"}),
        )
        .await
        .unwrap();
    }
    // The same change again (a second tap, another desk first) changes nothing.
    let again = call(
        &api,
        "transition_sample",
        Some(&tech),
        json!({"sample_id": id(0), "expected": "collected", "to": "received"}),
    )
    .await
    .unwrap();
    assert_eq!(again["status"], "received");
    // Another change from the status it no longer has is stale.
    let stale = call(
        &api,
        "transition_sample",
        Some(&tech),
        json!({"sample_id": id(0), "expected": "collected", "to": "in_transit"}),
    )
    .await
    .unwrap_err();
    assert_eq!(stale.code, ErrorCode::Conflict);
    assert!(stale.message.contains("received"), "{}", stale.message);

    let freezer = call(
        &api,
        "create_freezer",
        Some(&manager),
        json!({"name": "F1", "location": "Room 1", "kind": "ultra_low", "temperature_c": -80}),
    )
    .await
    .unwrap();
    let rack = call(
        &api,
        "create_rack",
        Some(&manager),
        json!({"freezer_id": freezer["id"], "name": "R1"}),
    )
    .await
    .unwrap();
    let storage_box = call(&api, "create_box", Some(&manager), json!({"rack_id": rack["id"], "name": "Box 1", "barcode": "BXTEST", "box_type": "96-tube rack", "layout": {"kind": "grid", "rows": 8, "columns": 12}})).await.unwrap();
    let box_id = storage_box["id"].as_str().unwrap().to_owned();
    let map = call(&api, "place_samples", Some(&tech), json!({"box_id": box_id, "tubes": [{"sample_id": id(0), "position": null}, {"sample_id": id(1), "position": "A2"}], "source": "scan"})).await.unwrap();
    let wells: Vec<_> = map["wells"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| {
            (
                w["position"].as_str().unwrap().to_owned(),
                w["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        wells,
        vec![("A1".to_owned(), code(0)), ("A2".to_owned(), code(1))]
    );
    let with_space = call(&api, "list_boxes", Some(&tech), json!({"has_space": true}))
        .await
        .unwrap();
    assert_eq!(
        (
            with_space["total"].as_u64(),
            with_space["items"][0]["occupied"].as_i64()
        ),
        (Some(1), Some(2))
    );

    // The rack scanner's file: tube 1 where expected, tube 2 moved to A3, tube 3 (not yet
    // placed) in A4, a tube nobody knows, and a well the scanner could not read.
    let file = format!("Rack,Position,Tube\r\nBXTEST,A1,{}\r\nBXTEST,A2,NO TUBE\r\nBXTEST,A3,{}\r\nBXTEST,A4,{}\r\nBXTEST,A5,FOREIGN1\r\nBXTEST,A6,NO READ\r\n", code(0), code(1), code(2));
    let before = outbox_len(&api).await;
    let diff = call(
        &api,
        "preview_rack_scan",
        Some(&tech),
        json!({"box_id": box_id, "file_text": file}),
    )
    .await
    .unwrap();
    let count = |k: &str| diff[k].as_array().unwrap().len();
    assert_eq!(
        (
            count("matched"),
            count("misplaced"),
            count("extra"),
            count("unknown"),
            count("unreadable"),
            count("missing"),
            count("placements")
        ),
        (1, 1, 1, 1, 1, 0, 2)
    );
    assert_eq!(outbox_len(&api).await, before, "a preview changes nothing");
    // A scan of another rack is refused before anything changes.
    let wrong = file.replace("BXTEST", "BXOTHER");
    let e = call(
        &api,
        "import_rack_scan",
        Some(&tech),
        json!({"box_id": box_id, "file_text": wrong}),
    )
    .await
    .unwrap_err();
    assert_eq!(e.code, ErrorCode::Conflict);
    assert_eq!(outbox_len(&api).await, before);
    // A line with a position the box does not have is refused with its line number.
    let e = call(
        &api,
        "preview_rack_scan",
        Some(&tech),
        json!({"box_id": box_id, "file_text": "A1,X1\nZ9,X2\n"}),
    )
    .await
    .unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidInput);
    assert!(e.message.contains('2'), "{}", e.message);
    let imported = call(
        &api,
        "import_rack_scan",
        Some(&tech),
        json!({"box_id": box_id, "file_text": file}),
    )
    .await
    .unwrap();
    assert_eq!(imported["placed"], 2);
    assert_eq!(
        outbox_len(&api).await,
        before + 1,
        "all placements in one command"
    );
    let wells: Vec<_> = imported["box_map"]["wells"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["position"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(wells, ["A1", "A3", "A4"]);

    // Sample detail: history, location, and a discard that the manager approves.
    let detail = call(&api, "get_sample", Some(&tech), json!({"id": id(1)}))
        .await
        .unwrap();
    assert_eq!(detail["sample"]["location"]["position"], "A3");
    let history = call(
        &api,
        "sample_history",
        Some(&tech),
        json!({"sample_id": id(1)}),
    )
    .await
    .unwrap();
    let kinds = |kind: &str, field: &str| -> Vec<String> {
        let mut found: Vec<String> = history["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|h| h["what"]["kind"] == kind)
            .map(|h| h["what"][field].as_str().unwrap_or("").to_owned())
            .collect();
        found.reverse();
        found
    };
    assert_eq!(kinds("status", "to"), ["collected", "received", "stored"]);
    assert_eq!(kinds("placement", "to_position").len(), 2);
    assert_eq!(detail["been_stored"], true);
    let request = call(
        &api,
        "request_discard",
        Some(&tech),
        json!({"sample_id": id(1), "reason": "tube cracked"}),
    )
    .await
    .unwrap();
    let inbox = call(
        &api,
        "list_notifications",
        Some(&manager),
        json!({"unread_only": true}),
    )
    .await
    .unwrap();
    assert_eq!(inbox["total"], 1);
    assert_eq!(
        call(&api, "list_notifications", Some(&desk), json!({}))
            .await
            .unwrap()["total"],
        0
    );
    let e = call(
        &api,
        "decide_discard",
        Some(&tech),
        json!({"request_id": request["id"], "approve": true, "reason": "mine"}),
    )
    .await
    .unwrap_err();
    assert_eq!(e.code, ErrorCode::Forbidden);
    let decided = call(
        &api,
        "decide_discard",
        Some(&manager),
        json!({"request_id": request["id"], "approve": true, "reason": "confirmed"}),
    )
    .await
    .unwrap();
    assert_eq!(decided["state"], "approved");
    let gone = call(&api, "get_sample", Some(&tech), json!({"id": id(1)}))
        .await
        .unwrap();
    assert_eq!(
        (
            gone["sample"]["status"].as_str(),
            gone["sample"]["location"].is_null()
        ),
        (Some("disposed"), true)
    );
    // Technicians see their own requests; managers see all, filtered in SQL.
    let mine = call(
        &api,
        "list_discard_requests",
        Some(&tech),
        json!({"state": "approved"}),
    )
    .await
    .unwrap();
    assert_eq!(mine["total"], 1);
    let e = call(
        &api,
        "list_discard_requests",
        Some(&manager),
        json!({"state": "thrown_away"}),
    )
    .await
    .unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidInput);
    let summary = call(
        &api,
        "list_boxes",
        Some(&tech),
        json!({"sort": "free", "order": "desc", "per_page": 200}),
    )
    .await
    .unwrap();
    assert_eq!(summary["items"][0]["occupied"], 2);
    let e = call(&api, "list_boxes", Some(&tech), json!({"sort": "colour"}))
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidInput);
    // Every box a change touches is told, so open box maps refresh: the box a tube leaves,
    // the box it enters, and the box of a tube checked out.
    let other = call(&api, "create_box", Some(&manager), json!({"rack_id": rack["id"], "name": "Box 2", "barcode": "BXTWO", "box_type": "96-tube rack", "layout": {"kind": "grid", "rows": 8, "columns": 12}})).await.unwrap();
    let mut events = api.subscribe();
    call(&api, "place_samples", Some(&tech), json!({"box_id": other["id"], "tubes": [{"sample_id": id(0), "position": "A1"}], "source": "manual"})).await.unwrap();
    call(
        &api,
        "check_out_samples",
        Some(&tech),
        json!({"sample_ids": [id(0)], "reason": "thaw for assay"}),
    )
    .await
    .unwrap();
    let mut told = Vec::new();
    while let Ok(event) = events.try_recv() {
        if let aliquot_api::dto::CoreEvent::StorageChanged { box_id } = event {
            told.push(box_id.to_string());
        }
    }
    let (one, two) = (box_id.clone(), other["id"].as_str().unwrap().to_owned());
    assert_eq!(told, [one, two.clone(), two]);

    // One tube's whole story from the audit trail filtered by that tube alone: collected in
    // its kit, received, placed, moved, checked out and in, asked to be discarded, discarded.
    call(
        &api,
        "check_in_samples",
        Some(&tech),
        json!({"sample_ids": [id(0)]}),
    )
    .await
    .unwrap();
    let request = call(
        &api,
        "request_discard",
        Some(&tech),
        json!({"sample_id": id(0), "reason": "label smudged"}),
    )
    .await
    .unwrap();
    call(
        &api,
        "decide_discard",
        Some(&manager),
        json!({"request_id": request["id"], "approve": true, "reason": "agreed"}),
    )
    .await
    .unwrap();
    let mut story = audit_of(&api, &admin, json!({"entity_id": code(0)})).await;
    story.reverse();
    let actions: Vec<&str> = story
        .iter()
        .map(|row| row["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "register_kit",
            "transition_sample",
            // The second tap, recorded as a change already made.
            "transition_sample",
            "place_samples",
            "place_samples",
            "check_out_samples",
            "check_in_samples",
            "request_discard",
            "decide_discard"
        ]
    );
    assert!(story.iter().all(|row| row["entity_type"] == "sample"));
    assert_eq!(story[2]["new_value"]["already"], true);
    assert_eq!(story[4]["old_value"]["location"]["position"], "A1");
    assert_eq!(story[8]["new_value"]["status"], "disposed");
}

mod http {
    use super::*;
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    use tower::ServiceExt;

    const PORT: u16 = 4999;

    fn post(name: &str, host: &str, origin: Option<&str>, body: &str) -> Request<Body> {
        let mut r = Request::post(format!("/api/{name}"))
            .header("host", host)
            .header("content-type", "application/json");
        if let Some(o) = origin {
            r = r.header("origin", o);
        }
        r.body(Body::from(body.to_owned())).unwrap()
    }

    /// The router's answer to `request`: status, headers and the JSON body (or null).
    pub(super) async fn respond(
        api: &Api,
        request: Request<Body>,
    ) -> (StatusCode, axum::http::HeaderMap, Value) {
        let response = aliquot_api::http::router(api.clone(), PORT, None)
            .oneshot(request)
            .await
            .unwrap();
        let (status, headers) = (response.status(), response.headers().clone());
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .unwrap();
        (
            status,
            headers,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }

    async fn status_of(api: &Api, request: Request<Body>) -> (StatusCode, Value) {
        let (status, _, body) = respond(api, request).await;
        (status, body)
    }

    /// The browser mode on a free port, until the test ends.
    pub(super) async fn serve(api: &Api) -> (std::net::SocketAddr, tokio::task::JoinHandle<()>) {
        let (addr_tx, addr_rx) = tokio::sync::oneshot::channel();
        let server_api = api.clone();
        let server = tokio::spawn(async move {
            aliquot_api::http::serve(
                server_api,
                0,
                None,
                |addr| {
                    let _ = addr_tx.send(addr);
                },
                std::future::pending(),
            )
            .await
            .unwrap();
        });
        (addr_rx.await.unwrap(), server)
    }

    /// An open, subscribed event stream for `token` (its headers read).
    pub(super) async fn open_stream(
        addr: std::net::SocketAddr,
        token: &str,
    ) -> BufReader<tokio::net::TcpStream> {
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        let request = format!("GET /api/events?token={token} HTTP/1.1\r\nHost: {addr}\r\nAccept: text/event-stream\r\nConnection: close\r\n\r\n");
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut reader = BufReader::new(stream);
        let mut line = String::new();
        reader.read_line(&mut line).await.unwrap();
        assert!(line.starts_with("HTTP/1.1 200"), "{line}");
        // Headers end with an empty line; then the stream is open and subscribed.
        loop {
            line.clear();
            reader.read_line(&mut line).await.unwrap();
            if line == "\r\n" {
                return reader;
            }
        }
    }

    #[tokio::test]
    async fn only_our_own_host_and_origin_reach_the_core() {
        let (_dir, api) = api().await;
        let ours = format!("127.0.0.1:{PORT}");
        let (s, body) = status_of(&api, post("setup_status", &ours, None, "{}")).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(body["needs_first_admin"], true);
        let (s, _) = status_of(
            &api,
            post(
                "setup_status",
                &format!("localhost:{PORT}"),
                Some(&format!("http://localhost:{PORT}")),
                "{}",
            ),
        )
        .await;
        assert_eq!(s, StatusCode::OK);

        for (host, origin) in [
            ("evil.example:4999", None),
            (ours.as_str(), Some("http://evil.example")),
            (ours.as_str(), Some("null")),
            ("127.0.0.1:1234", None),
        ] {
            let (s, body) = status_of(&api, post("setup_status", host, origin, "{}")).await;
            assert_eq!(s, StatusCode::FORBIDDEN, "{host} {origin:?}");
            assert_eq!(body["code"], "forbidden");
        }
        // A cross-site form cannot send JSON.
        let form = Request::post("/api/login")
            .header("host", &ours)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Body::from("username=a"))
            .unwrap();
        let (s, body) = status_of(&api, form).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(body["code"], "invalid_input");
    }

    #[tokio::test]
    async fn errors_cross_http_in_the_one_shape() {
        let (_dir, api) = api().await;
        let ours = format!("127.0.0.1:{PORT}");
        let (s, body) = status_of(
            &api,
            post("login", &ours, None, r#"{"username":"x","password":"y"}"#),
        )
        .await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
        assert_eq!(body["code"], "invalid_credentials");
        assert!(body["message"].is_string());
        let (s, body) = status_of(&api, post("login", &ours, None, "{not json")).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(body["code"], "invalid_input");
    }

    #[tokio::test]
    async fn core_events_reach_a_browser_over_sse() {
        let (_dir, api, admin) = signed_in().await;
        let (addr, server) = serve(&api).await;
        let mut reader = open_stream(addr, &admin).await;
        let mut line = String::new();
        call(
            &api,
            "change_settings",
            Some(&admin),
            json!({"settings": [{"key": "lab_name", "value": "East"}], "reason": "rename"}),
        )
        .await
        .unwrap();
        let mut seen = Vec::new();
        while seen.len() < 2 {
            line.clear();
            tokio::time::timeout(
                std::time::Duration::from_secs(10),
                reader.read_line(&mut line),
            )
            .await
            .unwrap()
            .unwrap();
            if let Some(data) = line.trim().strip_prefix("data:") {
                seen.push(serde_json::from_str::<Value>(data.trim()).unwrap());
            }
        }
        assert_eq!(seen[0]["type"], "audit_appended");
        assert_eq!(seen[1], json!({"type": "settings_changed"}));
        drop(reader);
        server.abort();
    }

    /// An export's progress names its file: it reaches the page of whoever started it, not
    /// another person's page on the same workstation.
    #[tokio::test]
    async fn an_exports_progress_reaches_only_the_page_of_whoever_started_it() {
        let (_dir, api, admin) = signed_in().await;
        let lena = user(&api, &admin, "lena", "lab_manager").await;
        let (addr, server) = serve(&api).await;
        let mut admins = open_stream(addr, &admin).await;
        let mut lenas = open_stream(addr, &lena).await;
        let export = call(
            &api,
            "start_export",
            Some(&admin),
            json!({"query": {"entity": "samples", "columns": ["code"]}}),
        )
        .await
        .unwrap();
        // The export ends (its last event), then a change every page hears.
        let mut admin_saw = Vec::new();
        while !admin_saw
            .iter()
            .any(|e: &Value| e["type"] == "export_changed" && e["status"]["state"] != "running")
        {
            admin_saw.push(next_sse(&mut admins).await);
        }
        assert!(admin_saw
            .iter()
            .all(|e| e["type"] != "export_changed"
                || e["status"]["export_id"] == export["export_id"]));
        call(
            &api,
            "change_settings",
            Some(&admin),
            json!({"settings": [{"key": "lab_name", "value": "East"}], "reason": "rename"}),
        )
        .await
        .unwrap();
        let mut lena_saw = Vec::new();
        while !lena_saw
            .iter()
            .any(|e: &Value| e["type"] == "settings_changed")
        {
            lena_saw.push(next_sse(&mut lenas).await);
        }
        assert!(
            lena_saw.iter().all(|e| e["type"] != "export_changed"),
            "{lena_saw:?}"
        );
        server.abort();
    }

    /// The next event's data on an open stream.
    async fn next_sse(reader: &mut BufReader<tokio::net::TcpStream>) -> Value {
        let mut line = String::new();
        loop {
            line.clear();
            tokio::time::timeout(
                std::time::Duration::from_secs(10),
                reader.read_line(&mut line),
            )
            .await
            .expect("an event in time")
            .unwrap();
            if let Some(data) = line.trim().strip_prefix("data:") {
                return serde_json::from_str(data.trim()).unwrap();
            }
        }
    }

    #[tokio::test]
    async fn the_event_stream_needs_a_session() {
        let (_dir, api) = api().await;
        let r = Request::get("/api/events?token=nope")
            .header("host", format!("127.0.0.1:{PORT}"))
            .body(Body::empty())
            .unwrap();
        let (s, body) = status_of(&api, r).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
        assert_eq!(body["code"], "unauthenticated");
    }
}

/// Audit entries of `action` (newest first), as the audit viewer asks for them.
async fn audit_of(api: &Api, token: &str, filter: Value) -> Vec<Value> {
    let mut args = json!({"per_page": 100});
    args.as_object_mut()
        .unwrap()
        .extend(filter.as_object().unwrap().clone());
    call(api, "list_audit", Some(token), args).await.unwrap()["items"]
        .as_array()
        .unwrap()
        .clone()
}

#[tokio::test]
async fn the_audit_trail_is_narrowed_by_action_actor_entity_and_time() {
    let (_dir, api, admin) = signed_in().await;
    let tech = user(&api, &admin, "tech", "technician").await;
    call(&api, "logout", Some(&tech), json!({})).await.unwrap();
    let all = audit_of(&api, &admin, json!({})).await;
    assert!(all.len() >= 5, "{all:?}");

    let logins = audit_of(&api, &admin, json!({"action": "login_succeeded"})).await;
    assert_eq!(logins.len(), 2, "the admin's and the technician's sign-in");
    assert!(logins.iter().all(|e| e["action"] == "login_succeeded"));

    let by_tech = audit_of(&api, &admin, json!({"actor_name": "tech"})).await;
    let actions: Vec<_> = by_tech
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["logout", "login_succeeded"]);

    let created = &audit_of(&api, &admin, json!({"action": "create_user"})).await[0];
    let entity = created["entity_id"].as_str().unwrap();
    let about = audit_of(&api, &admin, json!({"entity_id": entity})).await;
    assert_eq!(about.len(), 1);

    // A time window: everything is before "now + 1 h", nothing is after it; blank filters
    // are "any".
    let later = (chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339();
    assert_eq!(
        audit_of(&api, &admin, json!({"until": later, "action": " "}))
            .await
            .len(),
        all.len()
    );
    assert!(audit_of(&api, &admin, json!({"from": later}))
        .await
        .is_empty());
    // Totals follow the filter, so paging is right.
    let page = call(
        &api,
        "list_audit",
        Some(&admin),
        json!({"action": "login_succeeded", "per_page": 1}),
    )
    .await
    .unwrap();
    assert_eq!(
        (page["total"].as_u64(), page["total_pages"].as_u64()),
        (Some(2), Some(2))
    );
}

#[tokio::test]
async fn an_administrator_sees_open_sessions_and_ends_one_with_a_reason() {
    let (_dir, api, admin) = signed_in().await;
    let tech = user(&api, &admin, "tech", "technician").await;
    let gone = user(&api, &admin, "gone", "viewer").await;
    call(&api, "logout", Some(&gone), json!({})).await.unwrap();

    let open = call(&api, "list_sessions", Some(&admin), json!({}))
        .await
        .unwrap();
    let names: Vec<_> = open["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["username"].as_str().unwrap())
        .collect();
    assert_eq!(open["total"], 2, "{open}");
    assert!(
        names.contains(&"admin") && names.contains(&"tech"),
        "{names:?}"
    );
    assert!(
        open.to_string().find(&tech).is_none(),
        "tokens are never listed"
    );

    let err = call(&api, "list_sessions", Some(&tech), json!({}))
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::Forbidden);

    let tech_session = open["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["username"] == "tech")
        .unwrap()["id"]
        .clone();
    let err = call(
        &api,
        "revoke_session",
        Some(&admin),
        json!({"session_id": tech_session, "reason": " "}),
    )
    .await
    .unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidInput, "a reason is required");
    call(&api, "whoami", Some(&tech), json!({}))
        .await
        .expect("still signed in after a refused revoke");

    call(
        &api,
        "revoke_session",
        Some(&admin),
        json!({"session_id": tech_session, "reason": "left signed in at the bench"}),
    )
    .await
    .unwrap();
    let err = call(&api, "whoami", Some(&tech), json!({}))
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::Unauthenticated);
    let err = call(
        &api,
        "revoke_session",
        Some(&admin),
        json!({"session_id": tech_session, "reason": "again"}),
    )
    .await
    .unwrap_err();
    assert_eq!(
        err.code,
        ErrorCode::NotFound,
        "an ended session is not ended twice"
    );

    let revoked = audit_of(&api, &admin, json!({"action": "session_revoked"})).await;
    assert_eq!(revoked.len(), 1);
    assert_eq!(revoked[0]["reason"], "left signed in at the bench");
    assert_eq!(revoked[0]["entity_id"], tech_session);
    assert_eq!(
        call(&api, "list_sessions", Some(&admin), json!({}))
            .await
            .unwrap()["total"],
        1
    );
    let verified = call(&api, "verify_audit", Some(&admin), json!({}))
        .await
        .unwrap();
    assert_eq!(verified["intact"], true, "{verified}");
}

mod printing {
    use super::*;
    use aliquot_api::printing::PrintOutcome;
    use aliquot_devices::printer::status::{host_status_answer, HostStatus, HOST_STATUS};
    use aliquot_devices::printer::FakePrinter;
    use std::io::{Read, Write};
    use std::net::TcpListener;

    async fn with_printer(address: Value) -> (tempfile::TempDir, Api, String, String) {
        let (dir, api, admin) = signed_in().await;
        let tech = user(&api, &admin, "tech", "technician").await;
        call(
            &api,
            "configure_printer",
            Some(&admin),
            json!({"name": "Desk Zebra", "address": address, "language": "zpl", "dpi": 300, "stock": "cryovial"}),
        )
        .await
        .unwrap();
        (dir, api, admin, tech)
    }

    fn job_id(job: &Value) -> uuid::Uuid {
        job["id"].as_str().unwrap().parse().unwrap()
    }

    #[tokio::test]
    async fn a_job_waits_while_the_printer_reports_a_fault_and_prints_once_it_is_cleared() {
        let (_dir, api, _admin, tech) =
            with_printer(json!({"kind": "fake", "name": "Desk Zebra"})).await;
        let fake = FakePrinter::new("Desk Zebra");
        fake.set_status_answer(Some(host_status_answer(&HostStatus {
            paper_out: true,
            ..HostStatus::default()
        })));
        let job = call(
            &api,
            "test_print",
            Some(&tech),
            json!({"printer": "Desk Zebra"}),
        )
        .await
        .unwrap();
        assert_eq!(job["state"], "queued");
        let fakes = [fake.clone()];
        let outcome = api
            .print_next(&fakes, chrono::Duration::zero())
            .await
            .unwrap()
            .unwrap();
        assert!(
            matches!(outcome, PrintOutcome::Waiting { ref faults, .. } if faults.len() == 1),
            "{outcome:?}"
        );
        assert!(
            fake.received().is_empty(),
            "nothing is sent to a printer with no labels"
        );
        let waiting = api.store().print_job(job_id(&job)).await.unwrap();
        assert_eq!(
            (waiting.state.as_str(), waiting.waiting_for.as_deref()),
            ("queued", Some("load labels"))
        );
        // Silent printers (Zebra says nothing in some fault states) also keep the job.
        fake.set_status_answer(None);
        assert!(matches!(
            api.print_next(&fakes, chrono::Duration::zero())
                .await
                .unwrap(),
            Some(PrintOutcome::Waiting { .. })
        ));
        fake.set_status_answer(Some(host_status_answer(&HostStatus::default())));
        assert!(matches!(
            api.print_next(&fakes, chrono::Duration::zero())
                .await
                .unwrap(),
            Some(PrintOutcome::Printed { .. })
        ));
        assert_eq!(fake.received().len(), 1);
        // The test label names the printer.
        assert!(String::from_utf8_lossy(&fake.received()[0]).contains("^FDDesk Zebra^FS"));
        assert_eq!(
            api.store().print_job(job_id(&job)).await.unwrap().state,
            "done"
        );
        assert_eq!(
            api.print_next(&fakes, chrono::Duration::zero())
                .await
                .unwrap(),
            None
        );
    }

    #[tokio::test]
    async fn a_reprint_needs_a_reason_and_is_audited() {
        let (_dir, api, admin, tech) =
            with_printer(json!({"kind": "fake", "name": "Desk Zebra"})).await;
        let job = call(
            &api,
            "test_print",
            Some(&tech),
            json!({"printer": "Desk Zebra"}),
        )
        .await
        .unwrap();
        let e = call(
            &api,
            "reprint",
            Some(&tech),
            json!({"job_id": job["id"], "reason": "  "}),
        )
        .await
        .unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidInput);
        let again = call(
            &api,
            "reprint",
            Some(&tech),
            json!({"job_id": job["id"], "reason": "label smudged"}),
        )
        .await
        .unwrap();
        assert_eq!(
            (again["reprint_of"].as_str(), again["reason"].as_str()),
            (job["id"].as_str(), Some("label smudged"))
        );
        let audit = call(&api, "list_audit", Some(&admin), json!({"per_page": 1}))
            .await
            .unwrap();
        assert_eq!(
            (
                audit["items"][0]["action"].as_str(),
                audit["items"][0]["reason"].as_str()
            ),
            (Some("queue_print"), Some("label smudged"))
        );
        let viewer_e = call(&api, "configure_printer", Some(&tech), json!({"name": "X", "address": {"kind": "fake", "name": "X"}, "language": "zpl", "dpi": 300, "stock": "cryovial"})).await.unwrap_err();
        assert_eq!(viewer_e.code, ErrorCode::Forbidden);
        let queue = call(&api, "list_print_jobs", Some(&tech), json!({}))
            .await
            .unwrap();
        assert_eq!(queue["total"], 2);
    }

    /// A TCP printer that drops the connection in the middle of the first attempt: the job
    /// is sent again in full on a new connection, and the printer prints it once (the
    /// first, cut-off copy never reached its ^XZ, so the printer discards it).
    #[tokio::test]
    async fn a_printer_that_drops_the_connection_mid_job_gets_it_again_not_twice() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let printer = std::thread::spawn(move || {
            let mut connections = Vec::new();
            for attempt in 0..2 {
                let (mut s, _) = listener.accept().unwrap();
                s.set_read_timeout(Some(std::time::Duration::from_secs(5)))
                    .unwrap();
                let mut got = Vec::new();
                let mut buf = [0u8; 64];
                // Every attempt starts with a status request, which a healthy printer answers.
                while !got.ends_with(HOST_STATUS) {
                    let n = s.read(&mut buf).unwrap();
                    got.extend_from_slice(&buf[..n]);
                }
                s.write_all(&host_status_answer(&HostStatus::default()))
                    .unwrap();
                got.clear();
                if attempt == 0 {
                    // Take a few bytes of the job, then drop the connection.
                    let n = s.read(&mut buf[..10]).unwrap();
                    got.extend_from_slice(&buf[..n]);
                    connections.push(got);
                    drop(s);
                    continue;
                }
                while !got.ends_with(HOST_STATUS) {
                    let n = s.read(&mut buf).unwrap();
                    if n == 0 {
                        break;
                    }
                    got.extend_from_slice(&buf[..n]);
                }
                s.write_all(&host_status_answer(&HostStatus::default()))
                    .unwrap();
                connections.push(got);
            }
            connections
        });
        let (_dir, api, _admin, tech) =
            with_printer(json!({"kind": "tcp", "host": "127.0.0.1", "port": port})).await;
        let job = call(
            &api,
            "test_print",
            Some(&tech),
            json!({"printer": "Desk Zebra"}),
        )
        .await
        .unwrap();
        let payload = api.store().print_job_payload(job_id(&job)).await.unwrap();
        let first = api
            .print_next(&[], chrono::Duration::zero())
            .await
            .unwrap()
            .unwrap();
        assert!(matches!(first, PrintOutcome::Retrying { .. }), "{first:?}");
        assert_eq!(
            api.store().print_job(job_id(&job)).await.unwrap().state,
            "queued"
        );
        let second = api
            .print_next(&[], chrono::Duration::zero())
            .await
            .unwrap()
            .unwrap();
        assert!(matches!(second, PrintOutcome::Printed { .. }), "{second:?}");
        let connections = printer.join().unwrap();
        assert!(
            !connections[0].ends_with(b"^XZ"),
            "the first copy was cut off before its end"
        );
        let whole = &connections[1];
        assert_eq!(
            &whole[..payload.len()],
            payload.as_bytes(),
            "the retry carries the whole job"
        );
        assert_eq!(
            whole.windows(3).filter(|w| w == b"^XA").count(),
            1,
            "exactly one label format on the retry"
        );
        let done = api.store().print_job(job_id(&job)).await.unwrap();
        assert_eq!((done.state.as_str(), done.attempts), ("done", 2));
    }

    /// A test print the worker marked sent just before the workstation lost power, and the
    /// workstation started again (jobs caught sending held).
    async fn held_after_a_crash() -> (tempfile::TempDir, Api, String, String, Value) {
        let (dir, api, admin, tech) =
            with_printer(json!({"kind": "fake", "name": "Desk Zebra"})).await;
        let job = call(
            &api,
            "test_print",
            Some(&tech),
            json!({"printer": "Desk Zebra"}),
        )
        .await
        .unwrap();
        api.store().print_job_sending(job_id(&job)).await.unwrap();
        api.store().close().await;
        let store = Store::open(dir.path(), Arc::new(aliquot_domain::SystemClock))
            .await
            .unwrap();
        let api = Api::new(store);
        assert_eq!(api.store().hold_interrupted_print_jobs().await.unwrap(), 1);
        (dir, api, admin, tech, job)
    }

    #[tokio::test]
    async fn a_job_caught_sending_by_a_crash_is_held_until_a_person_settles_it() {
        // Issue 11, defect 13: a job the printer may have received whole must not be resent
        // blindly after a crash (a duplicate tube label is a wrong-sample risk).
        let (_dir, api, admin, tech, job) = held_after_a_crash().await;
        let fake = FakePrinter::new("Desk Zebra");
        fake.set_status_answer(Some(host_status_answer(&HostStatus::default())));
        assert_eq!(
            api.print_next(std::slice::from_ref(&fake), chrono::Duration::zero())
                .await
                .unwrap(),
            None,
            "a job that may have printed is not sent again on its own"
        );
        assert!(fake.received().is_empty());
        let held = api.store().print_job(job_id(&job)).await.unwrap();
        assert_eq!(held.state, "sent");
        assert!(held.in_doubt_since.is_some());

        // Printing it again needs a reason; then it goes out once.
        let err = call(
            &api,
            "settle_print_job",
            Some(&tech),
            json!({"job_id": job["id"], "printed": false}),
        )
        .await
        .unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidInput, "{err:?}");
        let settled = call(
            &api,
            "settle_print_job",
            Some(&tech),
            json!({"job_id": job["id"], "printed": false, "reason": "no labels came out"}),
        )
        .await
        .unwrap();
        assert_eq!(settled["state"], "queued");
        assert!(matches!(
            api.print_next(std::slice::from_ref(&fake), chrono::Duration::zero())
                .await
                .unwrap(),
            Some(PrintOutcome::Printed { .. })
        ));
        assert_eq!(fake.received().len(), 1);
        let audit = call(
            &api,
            "list_audit",
            Some(&admin),
            json!({"entity_id": job["id"], "action": "print_job_retried"}),
        )
        .await
        .unwrap();
        assert_eq!(audit["items"][0]["reason"], "no labels came out");
    }

    #[tokio::test]
    async fn a_held_job_whose_labels_are_there_is_confirmed_not_resent() {
        let (_dir, api, _admin, tech, job) = held_after_a_crash().await;
        let settled = call(
            &api,
            "settle_print_job",
            Some(&tech),
            json!({"job_id": job["id"], "printed": true}),
        )
        .await
        .unwrap();
        assert_eq!(settled["state"], "done");
        assert!(settled["in_doubt_since"].is_null());
        // Settling twice is refused: it is no longer in doubt.
        let again = call(
            &api,
            "settle_print_job",
            Some(&tech),
            json!({"job_id": job["id"], "printed": true}),
        )
        .await
        .unwrap_err();
        assert_eq!(again.code, ErrorCode::InvalidInput);
        let fake = FakePrinter::new("Desk Zebra");
        fake.set_status_answer(Some(host_status_answer(&HostStatus::default())));
        assert_eq!(
            api.print_next(std::slice::from_ref(&fake), chrono::Duration::zero())
                .await
                .unwrap(),
            None
        );
    }

    #[tokio::test]
    async fn a_queued_job_is_cancelled_with_a_reason_and_a_failed_one_is_retried() {
        let (_dir, api, admin, tech) =
            with_printer(json!({"kind": "fake", "name": "Desk Zebra"})).await;
        let fake = FakePrinter::new("Desk Zebra");
        let fakes = [fake.clone()];
        let first = call(
            &api,
            "test_print",
            Some(&tech),
            json!({"printer": "Desk Zebra"}),
        )
        .await
        .unwrap();

        let err = call(
            &api,
            "cancel_print_job",
            Some(&tech),
            json!({"job_id": first["id"], "reason": ""}),
        )
        .await
        .unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidInput, "a reason is required");
        let cancelled = call(
            &api,
            "cancel_print_job",
            Some(&tech),
            json!({"job_id": first["id"], "reason": "wrong printer"}),
        )
        .await
        .unwrap();
        assert_eq!(
            (
                cancelled["state"].as_str(),
                cancelled["cancel_reason"].as_str()
            ),
            (Some("cancelled"), Some("wrong printer"))
        );
        // The worker never sends a cancelled job.
        fake.set_status_answer(Some(host_status_answer(&HostStatus::default())));
        assert!(api
            .print_next(&fakes, chrono::Duration::zero())
            .await
            .unwrap()
            .is_none());
        assert!(fake.received().is_empty());

        // A job that fails every attempt ends failed; retry puts it back with fresh attempts.
        let second = call(
            &api,
            "test_print",
            Some(&tech),
            json!({"printer": "Desk Zebra"}),
        )
        .await
        .unwrap();
        let err = call(
            &api,
            "retry_print_job",
            Some(&tech),
            json!({"job_id": second["id"]}),
        )
        .await
        .unwrap_err();
        assert_eq!(
            err.code,
            ErrorCode::InvalidInput,
            "only a failed job is retried: {err:?}"
        );
        fake.fail_next_sends(u32::MAX);
        while api.store().print_job(job_id(&second)).await.unwrap().state == "queued" {
            api.print_next(&fakes, chrono::Duration::zero())
                .await
                .unwrap();
        }
        let failed = api.store().print_job(job_id(&second)).await.unwrap();
        assert_eq!(failed.state, "failed");
        fake.fail_next_sends(0);
        let retried = call(
            &api,
            "retry_print_job",
            Some(&tech),
            json!({"job_id": second["id"]}),
        )
        .await
        .unwrap();
        assert_eq!(
            (retried["state"].as_str(), retried["attempts"].as_i64()),
            (Some("queued"), Some(0))
        );
        assert!(matches!(
            api.print_next(&fakes, chrono::Duration::zero())
                .await
                .unwrap(),
            Some(PrintOutcome::Printed { .. })
        ));
        assert_eq!(fake.received().len(), 1, "printed once, after the retry");
        let err = call(
            &api,
            "cancel_print_job",
            Some(&tech),
            json!({"job_id": second["id"], "reason": "too late"}),
        )
        .await
        .unwrap_err();
        assert_eq!(
            err.code,
            ErrorCode::InvalidInput,
            "a printed job cannot be cancelled"
        );

        let cancels = audit_of(&api, &admin, json!({"action": "print_job_cancelled"})).await;
        assert_eq!(cancels.len(), 1);
        assert_eq!(cancels[0]["reason"], "wrong printer");
        assert_eq!(
            audit_of(&api, &admin, json!({"action": "print_job_retried"}))
                .await
                .len(),
            1
        );
    }
}

mod scanning {
    use super::*;
    use aliquot_api::dto::CoreEvent;
    use aliquot_api::scanning::{ScanKindView, ScanResult};
    use aliquot_devices::scanner::classify::ScanCommand;
    use aliquot_devices::scanner::framing::FramingSettings;
    use aliquot_domain::numbering::sample_code;
    use serialport::{SerialPort, TTYPort};
    use std::io::Write;

    /// `TTYPort::pair` is not thread-safe.
    static PTY: std::sync::Mutex<()> = std::sync::Mutex::new(());

    async fn next_event(
        events: &mut tokio::sync::broadcast::Receiver<CoreEvent>,
        want: impl Fn(&CoreEvent) -> bool,
    ) -> CoreEvent {
        loop {
            let event = tokio::time::timeout(std::time::Duration::from_secs(10), events.recv())
                .await
                .expect("a core event in time")
                .unwrap();
            if want(&event) {
                return event;
            }
        }
    }

    /// The scanner setting is followed: set to a port, the scanner is attached and its scans
    /// arrive; set to a port that is not there, the state says so with what to do; cleared,
    /// the port is let go.
    #[tokio::test]
    async fn the_configured_scanner_is_attached_and_followed() {
        let (_dir, api, admin) = signed_in().await;
        let mut events = api.subscribe();
        let (mut scanner, path) = {
            let _pty = PTY.lock().unwrap_or_else(|e| e.into_inner());
            let (scanner, host) = TTYPort::pair().unwrap();
            let path = host.name().unwrap();
            // The workstation opens the port by its name, as it would /dev/ttyACM0.
            drop(host);
            (scanner, path)
        };
        let setting = |port: &str| json!({"settings": [{"key": "scanner", "value": {"kind": "serial", "port": port, "baud": 115200, "flow_control": "none", "framing": {"terminator": "cr", "prefix": "", "suffix": "", "max_length": 64}}}], "reason": "bench scanner"});
        call(&api, "change_settings", Some(&admin), setting(&path))
            .await
            .unwrap();
        let mut current = None;
        api.supervise_scanner(&mut current).await;
        let status = call(&api, "scanner_status", Some(&admin), json!({}))
            .await
            .unwrap();
        assert_eq!(status, json!({"state": "connected", "source": path}));
        next_event(&mut events, |e| {
            matches!(e, CoreEvent::ScannerChanged { .. })
        })
        .await;
        scanner.write_all(b"BX1101\r").unwrap();
        scanner.flush().unwrap();
        let scanned = next_event(&mut events, |e| matches!(e, CoreEvent::Scanned { .. })).await;
        assert!(
            matches!(&scanned, CoreEvent::Scanned { source, scan: ScanResult::Accepted { text, .. } } if *source == path && text == "BX1101"),
            "{scanned:?}"
        );
        // A second look with nothing changed keeps the same reader.
        api.supervise_scanner(&mut current).await;
        assert!(current.is_some());

        call(
            &api,
            "change_settings",
            Some(&admin),
            setting("/dev/ttyNOSUCHPORT9"),
        )
        .await
        .unwrap();
        api.supervise_scanner(&mut current).await;
        assert!(current.is_none());
        let status = call(&api, "scanner_status", Some(&admin), json!({}))
            .await
            .unwrap();
        assert_eq!(status["state"], "unavailable");
        assert!(
            status["problem"]
                .as_str()
                .unwrap()
                .contains("check the cable and the port name"),
            "{status}"
        );

        call(
            &api,
            "change_settings",
            Some(&admin),
            json!({"settings": [{"key": "scanner", "value": null}], "reason": "scanner removed"}),
        )
        .await
        .unwrap();
        api.supervise_scanner(&mut current).await;
        let status = call(&api, "scanner_status", Some(&admin), json!({}))
            .await
            .unwrap();
        assert_eq!(status, json!({"state": "not_configured"}));
        // A bad setting is refused before it is stored.
        let e = call(&api, "change_settings", Some(&admin), setting("ttyUSB0"))
            .await
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidInput);
    }

    /// A serial scanner's codes reach every open window as core events, classified, with a
    /// misread check character refused.
    #[tokio::test]
    async fn serial_scans_become_core_events() {
        let (_dir, api, admin) = signed_in().await;
        let device = call(&api, "device_status", Some(&admin), json!({}))
            .await
            .unwrap()["device_id"]
            .as_str()
            .unwrap()
            .to_owned();
        call(&api, "assign_number_block", Some(&admin), json!({"block": {"kind": "sample", "device_id": device, "site_id": null, "prefix": "AQ", "digits": 6, "first": 1, "last": 100}, "reason": "lease"})).await.unwrap();
        let mut events = api.subscribe();
        let (mut scanner, host) = {
            let _pty = PTY.lock().unwrap_or_else(|e| e.into_inner());
            TTYPort::pair().unwrap()
        };
        let reader = api
            .attach_scanner_port(Box::new(host), "bench scanner", FramingSettings::default())
            .await
            .unwrap();
        let good = sample_code("AQ", 6, 5).unwrap();
        let mut bad = good[..good.len() - 1].to_owned();
        bad.push(if good.ends_with('0') { '1' } else { '0' });
        write!(
            scanner,
            "{good}\r\n{bad}\r\n{}\r\nBX1101\r\n",
            ScanCommand::NextBox.barcode()
        )
        .unwrap();
        scanner.flush().unwrap();
        let mut scans = Vec::new();
        while scans.len() < 4 {
            let event = tokio::time::timeout(std::time::Duration::from_secs(10), events.recv())
                .await
                .expect("a scan event")
                .unwrap();
            if let CoreEvent::Scanned { source, scan } = event {
                assert_eq!(source, "bench scanner");
                scans.push(scan);
            }
        }
        drop(reader);
        assert_eq!(
            scans[0],
            ScanResult::Accepted {
                text: good,
                kind: ScanKindView::SampleCode
            }
        );
        assert!(
            matches!(&scans[1], ScanResult::Refused { message } if message.contains("check character")),
            "{:?}",
            scans[1]
        );
        assert_eq!(
            scans[2],
            ScanResult::Accepted {
                text: ScanCommand::NextBox.barcode(),
                kind: ScanKindView::NextBox
            }
        );
        assert_eq!(
            scans[3],
            ScanResult::Accepted {
                text: "BX1101".into(),
                kind: ScanKindView::Other
            }
        );
    }
}

/// Label groups: a kit, a box's contents and box labels, rendered from the store, routed by
/// the settings to a printer whose stock takes them, queued as one job each.
mod label_groups {
    use super::*;
    use aliquot_devices::printer::status::{host_status_answer, HostStatus};
    use aliquot_devices::printer::FakePrinter;

    struct Desk {
        api: Api,
        admin: String,
        manager: String,
        desk: String,
        participant: Value,
        kit: Value,
        _dir: tempfile::TempDir,
    }

    async fn desk() -> Desk {
        let (dir, api, admin) = signed_in().await;
        let manager = user(&api, &admin, "manager", "lab_manager").await;
        let desk = user(&api, &admin, "desk", "field_coordinator").await;
        let device = call(&api, "device_status", Some(&admin), json!({}))
            .await
            .unwrap()["device_id"]
            .as_str()
            .unwrap()
            .to_owned();
        let site = call(&api, "create_site", Some(&admin), json!({"code": "north", "name": "North Clinic", "participant_range_start": 1000, "participant_range_end": 1999})).await.unwrap();
        call(&api, "assign_number_block", Some(&admin), json!({"block": {"kind": "participant", "device_id": device, "site_id": site["id"], "first": 1000, "last": 1099}, "reason": "desk lease"})).await.unwrap();
        call(&api, "assign_number_block", Some(&admin), json!({"block": {"kind": "sample", "device_id": device, "site_id": null, "prefix": "AQ", "digits": 6, "first": 1, "last": 500}, "reason": "desk lease"})).await.unwrap();
        let kit = call(&api, "create_kit_template", Some(&manager), json!({"name": "Three tubes", "items": [{"sample_type": "plasma", "count": 2, "volume_ul": 500}, {"sample_type": "urine", "count": 1, "volume_ul": null}]})).await.unwrap();
        let participant = call(
            &api,
            "register_participant",
            Some(&desk),
            json!({"site_id": site["id"], "consent": "given", "consent_date": "2026-01-05"}),
        )
        .await
        .unwrap();
        for (name, stock, dpi) in [
            ("Desk Zebra", "cryovial", 300),
            ("Box Zebra", "box_3x1", 203),
        ] {
            call(&api, "configure_printer", Some(&manager), json!({"name": name, "address": {"kind": "fake", "name": name}, "language": "zpl", "dpi": dpi, "stock": stock, "darkness": 20})).await.unwrap();
        }
        Desk {
            api,
            admin,
            manager,
            desk,
            participant,
            kit,
            _dir: dir,
        }
    }

    async fn register(d: &Desk, print: bool) -> Value {
        call(&d.api, "register_kit", Some(&d.desk), json!({"participant_id": d.participant["id"], "template_id": d.kit["id"], "collected_at": "2026-01-05T09:30:00Z", "collector": "Nurse Joy", "print_labels": print})).await.unwrap()
    }

    async fn route(d: &Desk, key: &str, printer: &str) -> Result<Value, ApiError> {
        call(
            &d.api,
            "change_settings",
            Some(&d.manager),
            json!({"settings": [{"key": key, "value": printer}], "reason": "desk set up"}),
        )
        .await
    }

    /// Issue 15: printers are renamed and removed on the Printing page, through commands.
    /// A rename takes the printer's waiting job and the label route that chose it along; a
    /// removal waits until no job waits on the printer, clears its routes, and keeps its
    /// past jobs; each is one audit row of this workstation, never pushed to a hub.
    #[tokio::test]
    async fn a_printer_is_renamed_with_its_jobs_and_routes_and_removed_once_nothing_waits() {
        let d = desk().await;
        route(&d, "sample_label_printer", "Desk Zebra")
            .await
            .unwrap();
        let kit = register(&d, true).await;
        assert_eq!(kit["labels"]["result"], "queued");
        let outbox_before = outbox_len(&d.api).await;

        // A name already taken, or blank, is refused and changes nothing.
        for (new_name, code) in [
            ("Box Zebra", ErrorCode::Conflict),
            ("  ", ErrorCode::InvalidInput),
        ] {
            let err = call(
                &d.api,
                "rename_printer",
                Some(&d.manager),
                json!({"name": "Desk Zebra", "new_name": new_name}),
            )
            .await
            .unwrap_err();
            assert_eq!(err.code, code, "{new_name:?}: {err:?}");
        }
        let desk_actor_may_not = call(
            &d.api,
            "rename_printer",
            Some(&d.desk),
            json!({"name": "Desk Zebra", "new_name": "Mine"}),
        )
        .await
        .unwrap_err();
        assert_eq!(desk_actor_may_not.code, ErrorCode::Forbidden);

        let renamed = call(
            &d.api,
            "rename_printer",
            Some(&d.manager),
            json!({"name": "Desk Zebra", "new_name": " Desk Zebra (left) "}),
        )
        .await
        .unwrap();
        assert_eq!(renamed["name"], "Desk Zebra (left)");
        let jobs = call(&d.api, "list_print_jobs", Some(&d.manager), json!({}))
            .await
            .unwrap();
        assert_eq!(jobs["total"], 1);
        assert_eq!(jobs["items"][0]["printer"], "Desk Zebra (left)");
        assert_eq!(jobs["items"][0]["state"], "queued");
        let settings = call(&d.api, "get_settings", Some(&d.manager), json!({}))
            .await
            .unwrap();
        assert_eq!(settings["sample_label_printer"], "Desk Zebra (left)");
        // Labels still print: the route and the printer agree.
        assert_eq!(register(&d, true).await["labels"]["result"], "queued");

        // Jobs wait on it: removing it is refused, with the count, and nothing changes.
        let err = call(
            &d.api,
            "remove_printer",
            Some(&d.manager),
            json!({"name": "Desk Zebra (left)", "reason": "sent back for repair"}),
        )
        .await
        .unwrap_err();
        assert_eq!(err.code, ErrorCode::Conflict, "{err:?}");
        assert!(
            err.message
                .contains("2 label jobs are still waiting on Desk Zebra (left)"),
            "{}",
            err.message
        );
        let without_reason = call(
            &d.api,
            "remove_printer",
            Some(&d.manager),
            json!({"name": "Desk Zebra (left)", "reason": " "}),
        )
        .await
        .unwrap_err();
        assert_eq!(without_reason.code, ErrorCode::InvalidInput);
        let waiting = call(&d.api, "list_print_jobs", Some(&d.manager), json!({}))
            .await
            .unwrap();
        for job in waiting["items"].as_array().unwrap() {
            call(
                &d.api,
                "cancel_print_job",
                Some(&d.manager),
                json!({"job_id": job["id"], "reason": "printer going for repair"}),
            )
            .await
            .unwrap();
        }
        call(
            &d.api,
            "remove_printer",
            Some(&d.manager),
            json!({"name": "Desk Zebra (left)", "reason": "sent back for repair"}),
        )
        .await
        .unwrap();
        let printers = call(&d.api, "list_printers", Some(&d.manager), json!({}))
            .await
            .unwrap();
        assert_eq!(printers["total"], 1);
        assert_eq!(printers["items"][0]["name"], "Box Zebra");
        let settings = call(&d.api, "get_settings", Some(&d.manager), json!({}))
            .await
            .unwrap();
        assert_eq!(settings["sample_label_printer"], Value::Null);
        let history = call(&d.api, "list_print_jobs", Some(&d.manager), json!({}))
            .await
            .unwrap();
        assert_eq!(history["total"], 2, "past jobs stay");
        // With no printer routed, a kit's labels are owed, not lost.
        assert_eq!(register(&d, true).await["labels"]["result"], "not_queued");

        // One audit row each, by the printer's name; neither goes to the outbox.
        let renames = audit_of(&d.api, &d.admin, json!({"action": "rename_printer"})).await;
        assert_eq!(renames.len(), 1);
        assert_eq!(renames[0]["entity_id"], "Desk Zebra (left)");
        let removals = audit_of(&d.api, &d.admin, json!({"action": "remove_printer"})).await;
        assert_eq!(removals.len(), 1);
        assert_eq!(removals[0]["reason"], "sent back for repair");
        // The outbox grew by the kits registered and their label jobs' lab parts only.
        let kits_since = 2;
        assert_eq!(outbox_len(&d.api).await, outbox_before + kits_since);
    }

    /// Issue 11, defect 14: a kit committed just before a crash never got its labels, and
    /// nobody was told. The labels owed are recorded with the kit, in its transaction.
    #[tokio::test]
    async fn a_kit_whose_labels_were_never_queued_is_listed_until_they_are() {
        let d = desk().await;
        // A crash between the kit's commit and its print job: the kit command runs with
        // its owed labels, and nothing after it.
        let desk_actor = d.api.session(Some(&d.desk)).await.unwrap().actor();
        let registration_id = uuid::Uuid::now_v7();
        let participant_id: uuid::Uuid = d.participant["id"].as_str().unwrap().parse().unwrap();
        let template_id: uuid::Uuid = d.kit["id"].as_str().unwrap().parse().unwrap();
        d.api
            .store()
            .execute_along_with(
                &desk_actor,
                aliquot_domain::Command::RegisterKit {
                    registration_id,
                    participant_id,
                    template_id,
                    template_version: Some(1),
                    event_id: None,
                    collected_at: "2026-01-05T09:30:00Z".parse().unwrap(),
                    collector: "Nurse Joy".into(),
                    tubes: (0..3)
                        .map(|_| aliquot_domain::command::NewTube {
                            sample_id: uuid::Uuid::now_v7(),
                            code: None,
                        })
                        .collect(),
                },
                aliquot_store::AlongWith::KitLabelsOwed { registration_id },
            )
            .await
            .unwrap();
        let unprinted = call(&d.api, "list_unprinted_kits", Some(&d.desk), json!({}))
            .await
            .unwrap();
        assert_eq!(unprinted["total"], 1, "{unprinted}");
        assert_eq!(
            unprinted["items"][0]["registration_id"],
            registration_id.to_string()
        );
        assert_eq!(unprinted["items"][0]["tubes"], 3);
        assert_eq!(unprinted["items"][0]["kit_name"], "Three tubes");

        // Registered through the API with no printer routed: listed too, with why.
        let second = register(&d, true).await;
        assert_eq!(second["labels"]["result"], "not_queued");
        let unprinted = call(&d.api, "list_unprinted_kits", Some(&d.desk), json!({}))
            .await
            .unwrap();
        assert_eq!(unprinted["total"], 2);
        assert!(unprinted["items"][1]["last_error"]
            .as_str()
            .unwrap()
            .contains("No printer is set"));
        // A kit registered without asking for labels owes none.
        register(&d, false).await;
        assert_eq!(
            call(&d.api, "list_unprinted_kits", Some(&d.desk), json!({}))
                .await
                .unwrap()["total"],
            2
        );

        // Printing a kit's labels pays what it owes, in the job's transaction.
        route(&d, "sample_label_printer", "Desk Zebra")
            .await
            .unwrap();
        call(
            &d.api,
            "print_labels",
            Some(&d.desk),
            json!({"labels": {"group": "kit", "registration_id": registration_id}}),
        )
        .await
        .unwrap();
        let unprinted = call(&d.api, "list_unprinted_kits", Some(&d.desk), json!({}))
            .await
            .unwrap();
        assert_eq!(unprinted["total"], 1);
        assert_eq!(
            unprinted["items"][0]["registration_id"],
            second["registration_id"]
        );
        // A kit registered with a printer routed owes nothing once its job is queued.
        let third = register(&d, true).await;
        assert_eq!(third["labels"]["result"], "queued");
        assert_eq!(
            call(&d.api, "list_unprinted_kits", Some(&d.desk), json!({}))
                .await
                .unwrap()["total"],
            1
        );
    }

    /// Issue 11, defect 12: a site named in Chinese went to the printer in a font without
    /// its glyphs while the preview refused the kit. One rule now: both refuse, in the same
    /// words, and nothing is queued.
    #[tokio::test]
    async fn text_the_label_fonts_cannot_draw_is_refused_alike_by_print_and_preview() {
        let d = desk().await;
        // The 2"x1" tube label carries the site's name.
        call(&d.api, "configure_printer", Some(&d.manager), json!({"name": "Tube Zebra", "address": {"kind": "fake", "name": "Tube Zebra"}, "language": "zpl", "dpi": 203, "stock": "tube_2x1"})).await.unwrap();
        route(&d, "sample_label_printer", "Tube Zebra")
            .await
            .unwrap();
        let site = call(&d.api, "create_site", Some(&d.admin), json!({"code": "bj", "name": "北京协和医院", "participant_range_start": 2000, "participant_range_end": 2999})).await.unwrap();
        let device = call(&d.api, "device_status", Some(&d.admin), json!({}))
            .await
            .unwrap()["device_id"]
            .clone();
        call(&d.api, "assign_number_block", Some(&d.admin), json!({"block": {"kind": "participant", "device_id": device, "site_id": site["id"], "first": 2000, "last": 2099}, "reason": "desk lease"})).await.unwrap();
        let participant = call(
            &d.api,
            "register_participant",
            Some(&d.desk),
            json!({"site_id": site["id"], "consent": "given", "consent_date": "2026-01-05"}),
        )
        .await
        .unwrap();
        let kit = call(&d.api, "register_kit", Some(&d.desk), json!({"participant_id": participant["id"], "template_id": d.kit["id"], "collected_at": "2026-01-05T09:30:00Z", "collector": "Nurse Joy", "print_labels": true})).await.unwrap();
        assert_eq!(kit["labels"]["result"], "not_queued", "{}", kit["labels"]);
        let printed = kit["labels"]["message"].as_str().unwrap().to_owned();
        let preview = call(
            &d.api,
            "preview_labels",
            Some(&d.desk),
            json!({"labels": {"group": "kit", "registration_id": kit["registration_id"]}}),
        )
        .await
        .unwrap_err();
        assert_eq!(preview.message, printed);
        assert!(printed.contains("Latin letters"), "{printed}");
        let jobs = call(&d.api, "list_print_jobs", Some(&d.admin), json!({}))
            .await
            .unwrap();
        assert_eq!(jobs["total"], 0, "nothing was queued");
    }

    fn codes(kit: &Value) -> Vec<String> {
        kit["samples"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["code"].as_str().unwrap().to_owned())
            .collect()
    }

    #[tokio::test]
    async fn a_kit_registered_with_labels_is_queued_after_the_kit_as_one_job() {
        let d = desk().await;
        // No sample printer yet: the kit is registered all the same, and the answer says
        // why no labels were queued.
        let first = register(&d, true).await;
        assert_eq!(first["samples"].as_array().unwrap().len(), 3);
        assert_eq!(first["labels"]["result"], "not_queued");
        assert!(
            first["labels"]["message"]
                .as_str()
                .unwrap()
                .contains("No printer is set for sample labels"),
            "{}",
            first["labels"]
        );

        route(&d, "sample_label_printer", "Desk Zebra")
            .await
            .unwrap();
        let kit = register(&d, true).await;
        assert_eq!(kit["labels"]["result"], "queued", "{}", kit["labels"]);
        let job = &kit["labels"]["job"];
        let sample_ids: Vec<Value> = kit["samples"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["id"].clone())
            .collect();
        assert_eq!(
            (
                job["printer"].as_str(),
                job["template"].as_str(),
                job["records"].clone()
            ),
            (
                Some("Desk Zebra"),
                Some("cryovial-datamatrix"),
                Value::Array(sample_ids)
            )
        );
        assert!(
            job["subject"].as_str().unwrap().starts_with("kit of P"),
            "{job}"
        );
        // Recorded after the command that created the tubes.
        let audit = call(&d.api, "list_audit", Some(&d.admin), json!({"per_page": 2}))
            .await
            .unwrap();
        let actions: Vec<&str> = audit["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["action"].as_str().unwrap())
            .collect();
        assert_eq!(actions, ["queue_print", "register_kit"]);

        // A tube's labels are found by the tube: this job for a kit tube, none for a tube
        // of the first kit, which printed nothing.
        let of = |id: &Value| json!({"record": id});
        let jobs = call(
            &d.api,
            "list_print_jobs",
            Some(&d.admin),
            of(&kit["samples"][1]["id"]),
        )
        .await
        .unwrap();
        assert_eq!(
            (jobs["total"].as_u64(), &jobs["items"][0]["id"]),
            (Some(1), &job["id"])
        );
        let none = call(
            &d.api,
            "list_print_jobs",
            Some(&d.admin),
            of(&first["samples"][0]["id"]),
        )
        .await
        .unwrap();
        assert_eq!(none["total"], 0);

        // One job: darkness first, then one format per tube, each code once.
        let job_id: uuid::Uuid = job["id"].as_str().unwrap().parse().unwrap();
        let payload = d.api.store().print_job_payload(job_id).await.unwrap();
        assert!(payload.starts_with("~SD20^XA"), "{payload}");
        assert_eq!(payload.matches("^XA").count(), 3);
        for code in codes(&kit) {
            // In the DataMatrix and in the line under it, in one label only.
            assert_eq!(
                payload.matches(&format!("^FD{code}^FS")).count(),
                2,
                "{code} in {payload}"
            );
        }
        // The worker takes it to the printer as it was queued.
        let fake = FakePrinter::new("Desk Zebra");
        fake.set_status_answer(Some(host_status_answer(&HostStatus::default())));
        assert!(matches!(
            d.api
                .print_next(std::slice::from_ref(&fake), chrono::Duration::zero())
                .await
                .unwrap(),
            Some(aliquot_api::printing::PrintOutcome::Printed { .. })
        ));
        assert_eq!(fake.received(), vec![payload.into_bytes()]);

        // The preview draws the labels the printer will get.
        let preview = call(
            &d.api,
            "preview_labels",
            Some(&d.desk),
            json!({"labels": {"group": "kit", "registration_id": kit["registration_id"]}}),
        )
        .await
        .unwrap();
        assert_eq!(
            (
                preview["total"].as_u64(),
                preview["labels"].as_array().unwrap().len()
            ),
            (Some(3), 3)
        );
        assert!(preview["labels"][0]["svg"]
            .as_str()
            .unwrap()
            .starts_with("<svg"));
    }

    /// Issue 15: a kit's labels on an office printer's sheet: a PDF of the sheet's size with
    /// one page per sheet, each label in its cell, read back by poppler's `pdfinfo`; stock
    /// that does not carry the labels is refused.
    #[tokio::test]
    async fn a_kit_prints_on_an_office_sheet_as_a_pdf_with_each_label_in_its_cell() {
        use base64::Engine as _;
        let d = desk().await;
        let kit = register(&d, false).await;
        let group = json!({"group": "kit", "registration_id": kit["registration_id"]});
        let sheet = call(
            &d.api,
            "label_sheet",
            Some(&d.desk),
            json!({"labels": group, "paper": "a4", "stock": "cryovial"}),
        )
        .await
        .unwrap();
        assert_eq!(sheet["sheet"], "A4 cryovial 6x16");
        assert_eq!(sheet["pages"], 1);
        let participant = d.participant["code"].as_str().unwrap().to_lowercase();
        assert_eq!(
            sheet["file_name"],
            format!("aliquot-labels-kit-of-{participant}.pdf")
        );
        let cells = sheet["cells"].as_array().unwrap();
        let placed: Vec<(Value, f64, f64)> = cells
            .iter()
            .map(|c| {
                (
                    c["record"].clone(),
                    c["left_mm"].as_f64().unwrap(),
                    c["top_mm"].as_f64().unwrap(),
                )
            })
            .collect();
        let ids: Vec<Value> = kit["samples"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["id"].clone())
            .collect();
        assert_eq!(placed.len(), 3);
        for (i, (record, left, top)) in placed.iter().enumerate() {
            assert_eq!(record, &ids[i]);
            assert!((left - (13.8 + 31.4 * i as f64)).abs() < 0.01, "{left}");
            assert!((top - 13.15).abs() < 0.01, "{top}");
        }
        assert!(cells[0]["svg"].as_str().unwrap().starts_with("<svg"));

        let pdf = base64::engine::general_purpose::STANDARD
            .decode(sheet["pdf_base64"].as_str().unwrap())
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sheet.pdf");
        std::fs::write(&path, &pdf).unwrap();
        let info = std::process::Command::new("pdfinfo")
            .arg(&path)
            .output()
            .expect("pdfinfo (poppler-utils) is installed by scripts/setup");
        let info = String::from_utf8_lossy(&info.stdout);
        let field = |name: &str| {
            info.lines()
                .find_map(|l| l.strip_prefix(name))
                .map(str::trim)
                .unwrap_or_default()
                .to_owned()
        };
        assert_eq!(field("Pages:"), "1", "{info}");
        assert_eq!(field("Page size:"), "595.276 x 841.89 pts (A4)", "{info}");

        // 2" × 1" tube labels on Letter: three across, nine down.
        let letter = call(
            &d.api,
            "label_sheet",
            Some(&d.desk),
            json!({"labels": group, "paper": "letter", "stock": "tube_2x1"}),
        )
        .await
        .unwrap();
        assert_eq!(letter["sheet"], "Letter tube-2x1 3x9");
        // Sample labels on box stock are refused with what they need.
        let refused = call(
            &d.api,
            "label_sheet",
            Some(&d.desk),
            json!({"labels": group, "paper": "a4", "stock": "box_3x1"}),
        )
        .await
        .unwrap_err();
        assert!(refused.message.contains("cryovial"), "{}", refused.message);
    }

    /// Issue 15: a freezer filled in one go from name patterns, previewed first; a barcode
    /// already in use refuses the whole lot; the boxes' labels print as one job.
    #[tokio::test]
    async fn a_freezer_is_filled_with_racks_and_boxes_by_pattern_and_their_labels_print_as_one_job()
    {
        let d = desk().await;
        let existing = box_in_a_freezer(&d.api, &d.manager).await;
        let freezer = call(
            &d.api,
            "create_freezer",
            Some(&d.manager),
            json!({"name": "F9", "location": "Room 9", "kind": "ultra_low", "temperature_c": -80}),
        )
        .await
        .unwrap();
        let args = |barcode: &str| {
            json!({
                "freezer_id": freezer["id"],
                "pattern": {"racks": 2, "first_rack": 1, "boxes_per_rack": 3, "rack_name": "Rack {rack}", "box_name": "Box {rack}-{box}", "box_barcode": barcode},
                "box_type": "81-tube cryobox",
                "layout": {"kind": "grid", "rows": 9, "columns": 9}
            })
        };
        // A pattern that would give two boxes one barcode is refused, naming the field.
        let same = call(
            &d.api,
            "plan_racks_and_boxes",
            Some(&d.manager),
            args("F9-{box}"),
        )
        .await
        .unwrap_err();
        assert_eq!(same.code, ErrorCode::InvalidInput);
        assert!(same.message.contains("F9-1"), "{}", same.message);
        // A desk clerk may not set up storage.
        let clerk = call(
            &d.api,
            "plan_racks_and_boxes",
            Some(&d.desk),
            args("F9-{rack}-{box}"),
        )
        .await
        .unwrap_err();
        assert_eq!(clerk.code, ErrorCode::Forbidden);
        // The preview names every rack and box and the barcode already in use.
        let plan = call(
            &d.api,
            "plan_racks_and_boxes",
            Some(&d.manager),
            args("BXTES{rack}{box}"),
        )
        .await
        .unwrap();
        assert_eq!(plan["freezer"], "F9");
        assert_eq!(plan["box_count"], 6);
        assert_eq!(plan["racks"][1]["name"], "Rack 2");
        assert_eq!(
            plan["racks"][1]["boxes"][2],
            json!({"name": "Box 2-3", "barcode": "BXTES23"})
        );
        assert_eq!(plan["taken_barcodes"], json!([]));
        let width = call(
            &d.api,
            "plan_racks_and_boxes",
            Some(&d.manager),
            args("F9-{rack}-{box:0}"),
        )
        .await
        .unwrap_err();
        assert!(width.message.contains("width"), "{}", width.message);

        let json_racks = |api_answer: Value| api_answer["total"].as_u64();
        let racks_of_f9 = || {
            call(
                &d.api,
                "list_racks",
                Some(&d.manager),
                json!({"freezer_id": freezer["id"], "page": 1, "per_page": 50}),
            )
        };
        // The existing box's barcode in the plan: shown, and adding makes nothing at all.
        let mut with_existing = args("F9-{rack}-{box}");
        with_existing["pattern"]["racks"] = json!(1);
        with_existing["pattern"]["boxes_per_rack"] = json!(1);
        with_existing["pattern"]["box_barcode"] = existing["barcode"].clone();
        let plan = call(
            &d.api,
            "plan_racks_and_boxes",
            Some(&d.manager),
            with_existing.clone(),
        )
        .await
        .unwrap();
        assert_eq!(plan["taken_barcodes"], json!(["BXTEST"]));
        let refused = call(
            &d.api,
            "add_racks_and_boxes",
            Some(&d.manager),
            with_existing,
        )
        .await
        .unwrap_err();
        assert!(refused.message.contains("BXTEST"), "{}", refused.message);
        assert_eq!(json_racks(racks_of_f9().await.unwrap()), Some(0));

        let added = call(
            &d.api,
            "add_racks_and_boxes",
            Some(&d.manager),
            args("F9-R{rack:2}-B{box:2}"),
        )
        .await
        .unwrap();
        assert_eq!(added["rack_ids"].as_array().unwrap().len(), 2);
        let box_ids = added["box_ids"].as_array().unwrap().clone();
        assert_eq!(box_ids.len(), 6);
        let racks = racks_of_f9().await.unwrap();
        assert_eq!(json_racks(racks.clone()), Some(2));
        let last = call(
            &d.api,
            "get_box",
            Some(&d.manager),
            json!({"id": box_ids[5]}),
        )
        .await
        .unwrap();
        assert_eq!(
            (
                last["storage_box"]["name"].as_str(),
                last["storage_box"]["barcode"].as_str(),
                last["storage_box"]["rack"].as_str()
            ),
            (Some("Box 2-3"), Some("F9-R02-B03"), Some("Rack 2"))
        );
        // Each box's own audit row, under its id.
        let rows = audit_of(&d.api, &d.admin, json!({"entity_id": box_ids[4]})).await;
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0]["action"], "add_racks_and_boxes");

        // The six labels, one job, on the box printer.
        route(&d, "box_label_printer", "Box Zebra").await.unwrap();
        let job = call(
            &d.api,
            "print_labels",
            Some(&d.manager),
            json!({"labels": {"group": "boxes", "box_ids": box_ids}}),
        )
        .await
        .unwrap();
        assert_eq!(job["records"].as_array().unwrap().len(), 6);
        assert_eq!(job["printer"], "Box Zebra");
    }

    #[tokio::test]
    async fn a_box_prints_its_contents_by_position_and_its_own_label_on_box_stock() {
        let d = desk().await;
        route(&d, "sample_label_printer", "Desk Zebra")
            .await
            .unwrap();
        let kit = register(&d, false).await;
        assert_eq!(kit["labels"], Value::Null);
        let storage_box = box_in_a_freezer(&d.api, &d.manager).await;
        let samples = kit["samples"].as_array().unwrap();
        let empty = call(
            &d.api,
            "print_labels",
            Some(&d.desk),
            json!({"labels": {"group": "box_contents", "box_id": storage_box["id"]}}),
        )
        .await
        .unwrap_err();
        assert!(
            empty.message.contains("Box 1 is empty"),
            "{}",
            empty.message
        );
        for s in samples {
            call(
                &d.api,
                "transition_sample",
                Some(&d.manager),
                json!({"sample_id": s["id"], "expected": "collected", "to": "received"}),
            )
            .await
            .unwrap();
        }
        // Placed out of order: C3, A1, B2.
        call(&d.api, "place_samples", Some(&d.manager), json!({"box_id": storage_box["id"], "tubes": [{"sample_id": samples[0]["id"], "position": "C3"}, {"sample_id": samples[1]["id"], "position": "A1"}, {"sample_id": samples[2]["id"], "position": "B2"}], "source": "scan"})).await.unwrap();
        let job = call(
            &d.api,
            "print_labels",
            Some(&d.desk),
            json!({"labels": {"group": "box_contents", "box_id": storage_box["id"]}, "copies": 2}),
        )
        .await
        .unwrap();
        assert_eq!(
            job["records"],
            json!([samples[1]["id"], samples[2]["id"], samples[0]["id"]])
        );
        assert_eq!(
            (job["subject"].as_str(), job["copies"].as_u64()),
            (Some("contents of Box 1"), Some(2))
        );

        // Box labels: not on cryovial stock, whether routed or chosen.
        let boxes = json!({"labels": {"group": "boxes", "box_ids": [storage_box["id"]]}});
        let unrouted = call(&d.api, "print_labels", Some(&d.desk), boxes.clone())
            .await
            .unwrap_err();
        assert!(
            unrouted
                .message
                .contains("No printer is set for box labels"),
            "{}",
            unrouted.message
        );
        let wrong = route(&d, "box_label_printer", "Desk Zebra")
            .await
            .unwrap_err();
        assert!(
            wrong.message.contains("box labels need 3\" x 1\" stock"),
            "{}",
            wrong.message
        );
        let chosen = call(&d.api, "print_labels", Some(&d.desk), json!({"labels": {"group": "boxes", "box_ids": [storage_box["id"]]}, "printer": "Desk Zebra"})).await.unwrap_err();
        assert!(
            chosen.message.contains("loaded with cryovial labels"),
            "{}",
            chosen.message
        );
        route(&d, "box_label_printer", "Box Zebra").await.unwrap();
        let job = call(&d.api, "print_labels", Some(&d.desk), boxes)
            .await
            .unwrap();
        assert_eq!(
            (job["template"].as_str(), job["printer"].as_str()),
            (Some("box"), Some("Box Zebra"))
        );
        let id: uuid::Uuid = job["id"].as_str().unwrap().parse().unwrap();
        let payload = d.api.store().print_job_payload(id).await.unwrap();
        assert!(
            payload.contains("BXTEST") && payload.contains("F1 / R1"),
            "{payload}"
        );

        // A sample that is not there is named, not skipped.
        let e = call(&d.api, "print_labels", Some(&d.desk), json!({"labels": {"group": "samples", "sample_ids": [samples[0]["id"], uuid::Uuid::now_v7()]}})).await.unwrap_err();
        assert_eq!(e.code, ErrorCode::NotFound);
        let none = call(
            &d.api,
            "print_labels",
            Some(&d.desk),
            json!({"labels": {"group": "samples", "sample_ids": []}}),
        )
        .await
        .unwrap_err();
        assert_eq!(none.code, ErrorCode::InvalidInput);
    }

    #[tokio::test]
    async fn attached_devices_are_listed_for_those_who_configure_them() {
        let d = desk().await;
        let listed = call(&d.api, "list_devices", Some(&d.manager), json!({}))
            .await
            .unwrap();
        assert!(listed["items"].is_array());
        let e = call(&d.api, "list_devices", Some(&d.desk), json!({}))
            .await
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::Forbidden);
    }
}

/// Issue 11: what an attacker on the same machine found at the API and HTTP boundary. Each
/// test failed on the code before the fix it names.
mod hardening {
    use super::http::{open_stream, respond, serve};
    use super::*;
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use tokio::io::{AsyncBufReadExt, BufReader};

    const PORT: u16 = 4999;

    fn post(content_type: &str, host: &str, body: Vec<u8>) -> Request<Body> {
        Request::post("/api/setup_status")
            .header("host", host)
            .header("content-type", content_type)
            .body(Body::from(body))
            .unwrap()
    }

    /// Defect 10: the guard's 403 lacked the security headers, the 413 was plain text, and
    /// `application/jsonx` passed the JSON content-type check.
    #[tokio::test]
    async fn refusals_carry_the_security_headers_and_the_one_error_shape() {
        let (_dir, api) = api().await;
        let ours = format!("127.0.0.1:{PORT}");
        let (s, headers, body) = respond(
            &api,
            post("application/json", "evil.example", b"{}".to_vec()),
        )
        .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        assert_eq!(body["code"], "forbidden");
        for h in [
            "content-security-policy",
            "x-content-type-options",
            "referrer-policy",
            "cache-control",
        ] {
            assert!(headers.contains_key(h), "the refusal lacks {h}");
        }

        let huge = format!("{{\"x\":\"{}\"}}", "a".repeat(2 * 1024 * 1024)).into_bytes();
        let (s, headers, body) = respond(&api, post("application/json", &ours, huge)).await;
        assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(body["code"], "invalid_input", "{body}");
        assert!(
            body["message"].as_str().unwrap().contains("larger than"),
            "{body}"
        );
        assert!(headers.contains_key("content-security-policy"));

        for not_json in [
            "application/jsonx",
            "application/json-patch+json",
            "text/json",
            "application/x-www-form-urlencoded",
        ] {
            let (s, _, body) = respond(&api, post(not_json, &ours, b"{}".to_vec())).await;
            assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{not_json}");
            assert_eq!(body["code"], "invalid_input");
        }
        for json in [
            "application/json",
            "application/json; charset=utf-8",
            "Application/JSON",
        ] {
            let (s, _, _) = respond(&api, post(json, &ours, b"{}".to_vec())).await;
            assert_eq!(s, StatusCode::OK, "{json}");
        }
    }

    /// Reads until the response ends (the last chunk, or the connection closed).
    async fn ends(reader: &mut BufReader<tokio::net::TcpStream>) -> bool {
        let mut line = String::new();
        loop {
            line.clear();
            match tokio::time::timeout(
                std::time::Duration::from_secs(20),
                reader.read_line(&mut line),
            )
            .await
            {
                Err(_) => return false,
                Ok(Ok(0)) => return true,
                Ok(Ok(_)) if line == "0\r\n" => return true,
                Ok(Ok(_)) => {}
                Ok(Err(_)) => return true,
            }
        }
    }

    /// Defect 6: an open event stream kept delivering after its session ended.
    #[tokio::test]
    async fn an_event_stream_ends_when_its_session_does() {
        let (_dir, api, admin) = signed_in().await;
        let tech = user(&api, &admin, "tech", "technician").await;
        let (addr, server) = serve(&api).await;

        // Revoked by an administrator.
        let mut techs = open_stream(addr, &tech).await;
        let sessions = call(&api, "list_sessions", Some(&admin), json!({}))
            .await
            .unwrap();
        let tech_session = sessions["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["username"] == "tech")
            .unwrap()["id"]
            .clone();
        call(
            &api,
            "revoke_session",
            Some(&admin),
            json!({"session_id": tech_session, "reason": "left signed in"}),
        )
        .await
        .unwrap();
        assert!(
            ends(&mut techs).await,
            "the revoked session's stream stayed open"
        );

        // Signed out.
        let mut admins = open_stream(addr, &admin).await;
        call(&api, "logout", Some(&admin), json!({})).await.unwrap();
        assert!(
            ends(&mut admins).await,
            "the signed-out session's stream stayed open"
        );
        server.abort();
    }

    /// Defect 4: changing a password left the user's other sessions open.
    #[tokio::test]
    async fn a_password_change_ends_the_users_other_sessions_but_not_this_one() {
        let (_dir, api, here) = signed_in().await;
        let elsewhere = call(
            &api,
            "login",
            None,
            json!({"username": "admin", "password": PASSWORD}),
        )
        .await
        .unwrap()["token"]
            .as_str()
            .unwrap()
            .to_owned();
        call(
            &api,
            "change_password",
            Some(&here),
            json!({"current_password": PASSWORD, "new_password": "a brand new passphrase"}),
        )
        .await
        .unwrap();
        let e = call(&api, "whoami", Some(&elsewhere), json!({}))
            .await
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::Unauthenticated);
        call(&api, "whoami", Some(&here), json!({})).await.unwrap();
    }

    #[tokio::test]
    async fn wrong_current_passwords_lock_the_change_and_are_in_the_audit_trail() {
        let (_dir, api, admin) = signed_in().await;
        let change = |current: &str| json!({"current_password": current, "new_password": "a brand new passphrase"});
        let mut codes = Vec::new();
        for _ in 0..aliquot_domain::account::MAX_FAILED_LOGINS {
            codes.push(
                call(
                    &api,
                    "change_password",
                    Some(&admin),
                    change("a guessed password"),
                )
                .await
                .unwrap_err()
                .code,
            );
        }
        assert_eq!(codes.last(), Some(&ErrorCode::LockedOut), "{codes:?}");
        assert!(codes[..codes.len() - 1]
            .iter()
            .all(|c| *c == ErrorCode::InvalidInput));
        let e = call(&api, "change_password", Some(&admin), change(PASSWORD))
            .await
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::LockedOut);
        let audit = call(
            &api,
            "list_audit",
            Some(&admin),
            json!({"action": "password_change_refused"}),
        )
        .await
        .unwrap();
        assert_eq!(
            audit["total"].as_u64(),
            Some(aliquot_domain::account::MAX_FAILED_LOGINS as u64 + 1)
        );
    }

    /// Defect 8 at the API: a read the role may not make is audited under the user.
    #[tokio::test]
    async fn a_refused_read_is_audited_under_the_user() {
        let (_dir, api, admin) = signed_in().await;
        let tech = user(&api, &admin, "tech", "technician").await;
        for _ in 0..5 {
            let e = call(&api, "list_users", Some(&tech), json!({}))
                .await
                .unwrap_err();
            assert_eq!(e.code, ErrorCode::Forbidden);
        }
        let me = call(&api, "whoami", Some(&tech), json!({})).await.unwrap();
        let audit = call(
            &api,
            "list_audit",
            Some(&admin),
            json!({"action": "permission_denied", "entity_id": me["user"]["id"]}),
        )
        .await
        .unwrap();
        assert_eq!(audit["total"], 1, "{audit}");
        assert_eq!(audit["items"][0]["actor_name"], "tech");
    }

    /// Defect 9: the desktop's forwarder ended for good when it fell behind.
    #[tokio::test]
    async fn an_event_forwarder_that_fell_behind_goes_on() {
        let (events, receiver) = tokio::sync::broadcast::channel(4);
        // More than the channel holds, before the forwarder reads anything.
        for _ in 0..10 {
            events
                .send(aliquot_api::dto::CoreEvent::SettingsChanged)
                .unwrap();
        }
        let (seen_tx, mut seen) = tokio::sync::mpsc::unbounded_channel();
        let forwarder = tokio::spawn(aliquot_api::forward_events(receiver, move |e| {
            let _ = seen_tx.send(e);
        }));
        let mut got = 0;
        while got < 4 {
            seen.recv().await.unwrap();
            got += 1;
        }
        // After the lag, new events still arrive.
        events
            .send(aliquot_api::dto::CoreEvent::NotificationsChanged)
            .unwrap();
        let next = tokio::time::timeout(std::time::Duration::from_secs(10), seen.recv())
            .await
            .unwrap()
            .unwrap();
        assert!(matches!(
            next,
            aliquot_api::dto::CoreEvent::NotificationsChanged
        ));
        drop(events);
        forwarder.await.unwrap();
    }

    /// Defect 1: a printer device file or serial port could name any file, and the print
    /// worker wrote label bytes over the database header.
    #[tokio::test]
    async fn a_printer_or_scanner_path_cannot_name_the_database() {
        let (dir, api, admin) = signed_in().await;
        let db = dir.path().join(aliquot_store::DB_FILE_NAME);
        let escaping = format!("/dev/..{}", db.display());
        let before = std::fs::read(&db).unwrap()[..16].to_vec();
        for address in [
            json!({"kind": "device_file", "path": escaping}),
            json!({"kind": "serial", "port": escaping, "baud": 9600, "hardware_flow_control": false}),
            json!({"kind": "device_file", "path": "/dev/null"}),
            json!({"kind": "serial", "port": "/dev/null", "baud": 9600, "hardware_flow_control": false}),
        ] {
            let e = call(&api, "configure_printer", Some(&admin), json!({"name": "Evil", "address": address, "language": "zpl", "dpi": 203, "stock": "cryovial"}))
                .await
                .unwrap_err();
            assert_eq!(e.code, ErrorCode::InvalidInput, "{address}: {e:?}");
        }
        let e = call(
            &api,
            "change_settings",
            Some(&admin),
            json!({"settings": [{"key": "scanner", "value": {"kind": "serial", "port": "/dev/null", "baud": 115200, "flow_control": "none", "framing": {"terminator": "cr", "prefix": "", "suffix": "", "max_length": 64}}}], "reason": "bench scanner"}),
        )
        .await
        .unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidInput, "{e:?}");
        assert!(e.message.contains("not a device"), "{e:?}");

        // A printer stored before the check (or edited in the file) is refused when the
        // worker opens it, and the database is untouched.
        let symlink = dir.path().join("lp0");
        std::os::unix::fs::symlink(&db, &symlink).unwrap();
        let e = aliquot_devices::printer::open(
            &aliquot_domain::printing::PrinterAddress::DeviceFile {
                path: symlink.display().to_string(),
            },
            &[],
        )
        .err()
        .unwrap();
        assert!(e.to_string().contains("not a device"), "{e}");
        assert_eq!(std::fs::read(&db).unwrap()[..16], before[..]);
        assert!(before.starts_with(b"SQLite format 3"));
    }
}

/// Issue 11: every operation fed arbitrary JSON, with and without a session. Nothing
/// panics, and nothing answers "internal error": each bad input gets a clear refusal.
mod fuzz {
    use super::*;
    use proptest::prelude::*;
    use proptest::test_runner::{Config, TestRunner};

    /// Field names the operations take, so generated objects reach past the first parse.
    const KEYS: &[&str] = &[
        "id",
        "page",
        "per_page",
        "order",
        "sort",
        "participant_id",
        "sample_id",
        "box_id",
        "template_id",
        "event_id",
        "site_id",
        "user_id",
        "job_id",
        "session_id",
        "reason",
        "name",
        "code",
        "codes",
        "text",
        "labels",
        "group",
        "registration_id",
        "sample_ids",
        "box_ids",
        "printer",
        "copies",
        "setting",
        "settings",
        "key",
        "value",
        "username",
        "password",
        "display_name",
        "role",
        "to",
        "expected",
        "position",
        "positions",
        "placements",
        "record",
        "query",
        "status",
        "kind",
        "address",
        "language",
        "dpi",
        "stock",
        "block",
        "first",
        "last",
        "prefix",
        "digits",
        "rows",
        "columns",
        "layout",
        "parent_id",
        "children",
        "volume_ul",
        "sample_type",
        "items",
        "count",
        "consent",
        "decision",
        "printed",
        "from",
        "until",
        "action",
        "entity_id",
        "actor_name",
        "file",
        "content",
    ];

    fn json_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            (-1.0e12f64..1.0e12).prop_map(Value::from),
            "\\PC{0,24}".prop_map(Value::from),
            Just(Value::from(uuid::Uuid::now_v7().to_string())),
            Just(Value::from("2026-01-05T09:30:00Z")),
            Just(Value::from("^XA^FDX^FS^XZ\u{202E}")),
        ];
        leaf.prop_recursive(3, 40, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
                prop::collection::vec(
                    (
                        prop_oneof![
                            prop::sample::select(KEYS).prop_map(str::to_owned),
                            "[a-z_]{1,12}"
                        ],
                        inner
                    ),
                    0..6
                )
                .prop_map(|pairs| Value::Object(pairs.into_iter().collect())),
            ]
        })
    }

    #[test]
    fn every_operation_refuses_arbitrary_json_clearly() {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let (_dir, api, admin) = runtime.block_on(signed_in());
        let admin = std::cell::RefCell::new(admin);
        let cases = std::env::var("ALIQUOT_FUZZ_CASES")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(600);
        let mut runner = TestRunner::new(Config {
            cases,
            failure_persistence: None,
            ..Config::default()
        });
        let strategy = (0..OPERATIONS.len(), json_value(), 0u8..3);
        runner
            .run(&strategy, |(op, args, who)| {
                let name = OPERATIONS[op];
                let token = match who {
                    0 => Some(admin.borrow().clone()),
                    1 => None,
                    _ => Some("forged-token".to_owned()),
                };
                runtime.block_on(async {
                    let answer = dispatch(&api, name, token.as_deref(), args.clone()).await;
                    if let Err(e) = &answer {
                        prop_assert_ne!(
                            e.code,
                            ErrorCode::Internal,
                            "{} with {} answered {:?}",
                            name,
                            args,
                            e
                        );
                        prop_assert!(!e.message.is_empty());
                    }
                    // An operation that ended the admin's session: sign in again.
                    let current = admin.borrow().clone();
                    if dispatch(&api, "whoami", Some(&current), json!({}))
                        .await
                        .is_err()
                    {
                        let session = call(
                            &api,
                            "login",
                            None,
                            json!({"username": "admin", "password": PASSWORD}),
                        )
                        .await
                        .map_err(|e| TestCaseError::fail(format!("cannot sign in again: {e:?}")))?;
                        *admin.borrow_mut() = session["token"].as_str().unwrap().to_owned();
                    }
                    Ok(())
                })
            })
            .unwrap();
    }
}

/// Issue 12: the bench receives by scanning. The core says what each scanned code is and
/// what to do next, receives a batch as one command, refuses to place a tube not yet
/// received with a code the UI turns into "receive and place", and tells the UI what the
/// user's role may do from the one matrix.
mod receiving {
    use super::*;

    #[tokio::test]
    async fn a_technician_receives_by_scanning_and_places_without_a_detour() {
        let (_dir, api, admin) = signed_in().await;
        let (manager, tech, desk, device) = bench(&api, &admin).await;
        let site = call(&api, "create_site", Some(&admin), json!({"code": "north", "name": "North Clinic", "participant_range_start": 1000, "participant_range_end": 1999})).await.unwrap();
        call(&api, "assign_number_block", Some(&admin), json!({"block": {"kind": "participant", "device_id": device, "site_id": site["id"], "first": 1000, "last": 1099}, "reason": "desk lease"})).await.unwrap();
        call(&api, "assign_number_block", Some(&admin), json!({"block": {"kind": "sample", "device_id": device, "site_id": null, "prefix": "aq", "digits": 6, "first": 1, "last": 500}, "reason": "desk lease"})).await.unwrap();
        let kit = call(&api, "create_kit_template", Some(&manager), json!({"name": "Three tubes", "items": [{"sample_type": "plasma", "count": 3, "volume_ul": 500}]})).await.unwrap();
        let participant = call(
            &api,
            "register_participant",
            Some(&desk),
            json!({"site_id": site["id"], "consent": "given", "consent_date": "2026-01-05"}),
        )
        .await
        .unwrap();
        let registered = call(&api, "register_kit", Some(&desk), json!({"participant_id": participant["id"], "template_id": kit["id"], "collected_at": "2026-01-05T09:30:00Z", "collector": "Nurse Joy"})).await.unwrap();
        let samples = registered["samples"].as_array().unwrap().clone();
        let code = |i: usize| samples[i]["code"].as_str().unwrap().to_owned();
        let id = |i: usize| samples[i]["id"].as_str().unwrap().to_owned();

        // The manifest lists what is expected.
        let expected = call(&api, "list_expected_tubes", Some(&tech), json!({}))
            .await
            .unwrap();
        assert_eq!(expected["total"], 3);

        // Each scan is checked before the batch is committed.
        let check = call(&api, "check_receipt", Some(&tech), json!({"code": code(0)}))
            .await
            .unwrap();
        assert_eq!(
            (check["check"].as_str(), check["joins_batch"].as_bool()),
            (Some("receivable"), Some(true))
        );
        let unknown = call(&api, "check_receipt", Some(&tech), json!({"code": "ZZ999"}))
            .await
            .unwrap();
        assert_eq!(unknown["joins_batch"], false);
        assert!(unknown["next_step"]
            .as_str()
            .unwrap()
            .contains("check the label"));

        // Placing a tube not yet received: a code the UI offers "receive and place" for.
        let storage_box = box_in_a_freezer(&api, &manager).await;
        let e = call(&api, "place_samples", Some(&tech), json!({"box_id": storage_box["id"], "tubes": [{"sample_id": id(2), "position": null}], "source": "scan"})).await.unwrap_err();
        assert_eq!(e.code, ErrorCode::NotReceived);
        assert!(e.message.contains("Receive and place"), "{}", e.message);

        // Two received as one batch; the manifest shrinks; a second scan says "already".
        let received = call(
            &api,
            "receive_samples",
            Some(&tech),
            json!({"sample_ids": [id(0), id(1)]}),
        )
        .await
        .unwrap();
        assert_eq!(received["received"], 2);
        for i in 0..2 {
            let sample = call(&api, "get_sample", Some(&tech), json!({"id": id(i)}))
                .await
                .unwrap();
            assert_eq!(sample["sample"]["status"], "received");
        }
        let expected = call(&api, "list_expected_tubes", Some(&tech), json!({}))
            .await
            .unwrap();
        assert_eq!(expected["total"], 1);
        let again = call(&api, "check_receipt", Some(&tech), json!({"code": code(0)}))
            .await
            .unwrap();
        assert_eq!(
            (again["check"].as_str(), again["joins_batch"].as_bool()),
            (Some("already_received"), Some(false))
        );
        // The desk may not receive.
        let e = call(
            &api,
            "receive_samples",
            Some(&desk),
            json!({"sample_ids": [id(2)]}),
        )
        .await
        .unwrap_err();
        assert_eq!(e.code, ErrorCode::Forbidden);

        // Receive and place, in one step.
        let map = call(&api, "place_samples", Some(&tech), json!({"box_id": storage_box["id"], "tubes": [{"sample_id": id(2), "position": null}], "source": "scan", "receive": true})).await.unwrap();
        assert!(map["wells"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w["code"].as_str() == Some(code(2).as_str())));
    }

    #[tokio::test]
    async fn whoami_tells_what_the_role_may_do_from_the_one_matrix() {
        let (_dir, api, admin) = signed_in().await;
        let manager = user(&api, &admin, "manager", "lab_manager").await;
        let permissions = |who: Value| -> Vec<String> {
            who["permissions"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p.as_str().unwrap().to_owned())
                .collect()
        };
        let admin_may = permissions(call(&api, "whoami", Some(&admin), json!({})).await.unwrap());
        let manager_may = permissions(
            call(&api, "whoami", Some(&manager), json!({}))
                .await
                .unwrap(),
        );
        assert!(admin_may.contains(&"manage_users".to_owned()));
        assert!(!admin_may.contains(&"print_labels".to_owned()));
        // Lab managers read users but may not reset, change roles or deactivate.
        assert!(manager_may.contains(&"read_users".to_owned()));
        assert!(!manager_may.contains(&"manage_users".to_owned()));
        assert!(manager_may.contains(&"decide_discard".to_owned()));
        for role in aliquot_domain::Role::ALL {
            let names: Vec<String> = role
                .permissions()
                .into_iter()
                .map(|p| {
                    serde_json::to_value(p)
                        .unwrap()
                        .as_str()
                        .unwrap()
                        .to_owned()
                })
                .collect();
            assert_eq!(
                names.len(),
                aliquot_domain::Permission::ALL
                    .iter()
                    .filter(|p| role.may(**p))
                    .count()
            );
        }
    }

    #[tokio::test]
    async fn settings_offer_their_choices_and_save_as_one_set() {
        let (_dir, api, admin) = signed_in().await;
        let choices = call(&api, "setting_choices", Some(&admin), json!({}))
            .await
            .unwrap();
        let zones = choices["time_zones"].as_array().unwrap();
        assert!(zones.len() > 300, "{}", zones.len());
        assert!(zones.iter().any(|z| z == "Europe/Paris"));
        assert_eq!(choices["date_formats"].as_array().unwrap().len(), 4);
        assert_eq!(
            choices["auto_positions"],
            json!(["next_free", "keep_participant_together"])
        );
        let settings = call(&api, "change_settings", Some(&admin), json!({"settings": [{"key": "display_timezone", "value": "Europe/Paris"}, {"key": "date_format", "value": "day_month_year_dots"}], "reason": "lab set-up"})).await.unwrap();
        assert_eq!(
            (&settings["display_timezone"], &settings["date_format"]),
            (&json!("Europe/Paris"), &json!("day_month_year_dots"))
        );
        let e = call(&api, "change_settings", Some(&admin), json!({"settings": [{"key": "label_copies", "value": 2}, {"key": "display_timezone", "value": "Europe/Pariss"}], "reason": "typo"})).await.unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidInput);
        let settings = call(&api, "get_settings", Some(&admin), json!({}))
            .await
            .unwrap();
        assert_eq!(
            settings["label_copies"], 1,
            "nothing of a refused set is kept"
        );
    }
}

/// Issue 16, item 5: a watch folder set with a reason (audited, not synced); an empty file
/// and a file the reader does not write are listed with their reasons and the next file
/// still imports, into the instrument's one planned run; the same bytes again are one
/// import.
#[tokio::test]
async fn a_watch_folder_lists_what_fails_and_still_imports_the_next_file() {
    let (_dir, api, admin) = signed_in().await;
    let (manager, _tech, _desk, _device) = bench(&api, &admin).await;
    let folder = tempfile::tempdir().unwrap();
    let reader = call(
        &api,
        "register_instrument",
        Some(&manager),
        json!({"instrument": {
        "name": "Synergy 1", "kind": "plate_reader", "model": "Synergy H1", "serial_number": "",
        "location": "Bench 3", "result_format": "gen5", "csv_mapping": null}}),
    )
    .await
    .unwrap();
    let lot = call(
        &api,
        "add_control_lot",
        Some(&manager),
        json!({"instrument_id": reader["id"],
        "lot": {"material": "Level 1", "lot": "L1", "read": "450", "unit": null,
                "target_mean": 1.0, "target_sd": 0.1}}),
    )
    .await
    .unwrap();
    let template = call(&api, "create_plate_template", Some(&manager), json!({"name": "Control H12",
        "format": "96", "layout": [{"well": "H12", "content": {"role": "control", "control_lot_id": lot["id"]}}]}))
    .await
    .unwrap();
    let run = call(&api, "create_run", Some(&manager), json!({"instrument_id": reader["id"],
        "name": "ELISA-W1", "plates": [{"name": "ELISA-W1-P1", "format": "96", "template_id": template["id"]}]}))
    .await
    .unwrap();
    let relative = call(
        &api,
        "set_watch_folder",
        Some(&manager),
        json!({"instrument_id": reader["id"],
        "folder": "exports", "auto_import": true, "reason": "reader exports here"}),
    )
    .await
    .unwrap_err();
    assert_eq!(relative.code, ErrorCode::InvalidInput);
    call(&api, "set_watch_folder", Some(&manager), json!({"instrument_id": reader["id"],
        "folder": folder.path().to_str().unwrap(), "auto_import": true, "reason": "reader exports here"}))
    .await
    .unwrap();
    // Audited on this workstation, and never in the outbox.
    let audited = audit_of(&api, &admin, json!({"action": "set_watch_folder"})).await;
    assert_eq!(audited.len(), 1);
    let outboxed: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE kind = 'set_watch_folder'")
            .fetch_one(api.store().pool())
            .await
            .unwrap();
    assert_eq!(outboxed, 0);

    tokio::spawn(api.clone().run_watch_folders());
    let gen5 = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/fixtures/instruments/agilent_gen5/absorbance/endpoint_stdcurve_singleplate.txt"),
    )
    .unwrap();
    std::fs::write(folder.path().join("empty.txt"), b"").unwrap();
    std::fs::write(folder.path().join("notes.txt"), b"not a plate\r\n").unwrap();
    std::fs::write(folder.path().join("plate.txt"), &gen5).unwrap();

    let files = |want: usize| {
        let (api, manager, reader) = (api.clone(), manager.clone(), reader["id"].clone());
        async move {
            for _ in 0..600 {
                let page = call(
                    &api,
                    "list_watched_files",
                    Some(&manager),
                    json!({"instrument_id": reader, "page": 1, "per_page": 20}),
                )
                .await
                .unwrap();
                if page["total"].as_u64().unwrap() as usize >= want {
                    return page["items"].as_array().unwrap().clone();
                }
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            panic!("the watch folder did not take {want} files");
        }
    };
    let taken = files(3).await;
    let by_name = |taken: &[Value], name: &str| {
        taken
            .iter()
            .find(|f| f["file_name"] == name)
            .unwrap_or_else(|| panic!("{name} not listed: {taken:?}"))
            .clone()
    };
    let empty = by_name(&taken, "empty.txt");
    assert_eq!(empty["state"], "failed");
    assert!(
        empty["reason"].as_str().unwrap().contains("empty"),
        "{empty}"
    );
    let notes = by_name(&taken, "notes.txt");
    assert_eq!(notes["state"], "failed");
    assert!(
        notes["reason"].as_str().unwrap().contains("gen5"),
        "{notes}"
    );
    let plate = by_name(&taken, "plate.txt");
    assert_eq!(plate["state"], "imported", "{plate}");
    assert_eq!(plate["run_id"], run["id"]);
    let after = call(&api, "get_run", Some(&manager), json!({"id": run["id"]}))
        .await
        .unwrap();
    assert_ne!(after["state"], "planned");

    // The same bytes under another name: listed, and one import.
    std::fs::write(folder.path().join("plate copy.txt"), &gen5).unwrap();
    let taken = files(4).await;
    assert_eq!(
        by_name(&taken, "plate copy.txt")["state"],
        "already_imported"
    );
    let imports = call(
        &api,
        "list_result_imports",
        Some(&manager),
        json!({"run_id": run["id"], "page": 1, "per_page": 10}),
    )
    .await
    .unwrap();
    assert_eq!(imports["total"], 1);
    let folders = call(&api, "list_watch_folders", Some(&manager), json!({}))
        .await
        .unwrap();
    assert_eq!(folders["items"][0]["status"]["state"], "watching");
}
