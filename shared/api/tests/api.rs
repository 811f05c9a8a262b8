//! The UI boundary: dispatch, the error shape, sessions through the API, and the HTTP
//! transport's guards and event stream.

use aliquot_api::{dispatch, Api, ErrorCode, OPERATIONS};
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
            "change_setting",
            json!({"setting": {"key": "lab_name", "value": "Mine"}, "reason": "why not"}),
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
            "change_setting",
            json!({"setting": {"key": "root_password", "value": "x"}, "reason": "r"}),
        ),
        (
            "change_setting",
            json!({"setting": {"key": "lab_name", "value": "Lab"}, "reason": "  "}),
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

#[tokio::test]
async fn every_list_is_one_page_type() {
    let (_dir, api, admin) = signed_in().await;
    for name in ["list_users", "list_audit"] {
        let page = call(&api, name, Some(&admin), json!({"page": 1, "per_page": 1}))
            .await
            .unwrap();
        let keys: Vec<_> = page.as_object().unwrap().keys().cloned().collect();
        assert_eq!(
            keys,
            ["items", "page", "per_page", "total", "total_pages"],
            "{name}"
        );
        assert_eq!(page["items"].as_array().unwrap().len(), 1);
        assert!(page["total"].as_u64().unwrap() >= 1);
    }
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

    async fn status_of(api: &Api, request: Request<Body>) -> (StatusCode, Value) {
        let response = aliquot_api::http::router(api.clone(), PORT, None)
            .oneshot(request)
            .await
            .unwrap();
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .unwrap();
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
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
        let (addr_tx, addr_rx) = tokio::sync::oneshot::channel();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let server_api = api.clone();
        let server = tokio::spawn(async move {
            aliquot_api::http::serve(
                server_api,
                0,
                None,
                |addr| {
                    let _ = addr_tx.send(addr);
                },
                async {
                    let _ = stop_rx.await;
                },
            )
            .await
            .unwrap();
        });
        let addr = addr_rx.await.unwrap();
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        let request = format!("GET /api/events?token={admin} HTTP/1.1\r\nHost: {addr}\r\nAccept: text/event-stream\r\n\r\n");
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
                break;
            }
        }
        call(
            &api,
            "change_setting",
            Some(&admin),
            json!({"setting": {"key": "lab_name", "value": "East"}, "reason": "rename"}),
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
        let _ = stop_tx.send(());
        drop(reader);
        server.abort();
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
