//! Issue 11: what an attacker, a crash and a full disk found in the store. Each test here
//! failed on the code before the fix it names.

use super::*;
use aliquot_domain::audit::StoredAuditRow;
use aliquot_domain::paging::PageRequest;
use aliquot_domain::Permission;
use sqlx::{Connection, Executor};

async fn audit_count(store: &Store, action: &str, reason: Option<&str>) -> i64 {
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_log WHERE action = ?1 AND (?2 IS NULL OR reason = ?2)",
    )
    .bind(action)
    .bind(reason)
    .fetch_one(store.pool())
    .await
    .unwrap()
}

/// Defect 2: 50 concurrent wrong guesses got 27 real verifications (limit 5), and a correct
/// password among them got a session. The attempt is now counted before it is verified.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_guesses_get_no_more_verifications_than_the_limit() {
    let f = fixture().await;
    let mut attempts = Vec::new();
    for i in 0..51 {
        let store = f.store.clone();
        let password = if i == 25 {
            PASSWORD.to_owned()
        } else {
            format!("wrong guess number {i}")
        };
        attempts.push(tokio::spawn(async move {
            store.login("admin", &password).await
        }));
    }
    let mut signed_in = 0;
    for a in attempts {
        match a.await.unwrap() {
            Ok(_) => signed_in += 1,
            Err(StoreError::InvalidCredentials | StoreError::LockedOut | StoreError::Busy) => {}
            Err(e) => panic!("unexpected {e}"),
        }
    }
    let verified_wrong = audit_count(&f.store, "login_failed", Some("wrong credentials")).await;
    assert!(
        verified_wrong + signed_in <= MAX_FAILED_LOGINS,
        "{verified_wrong} wrong passwords and {signed_in} right ones were verified; the limit is {MAX_FAILED_LOGINS}"
    );
    // Once the guesses have used the name's attempts, the right password is refused too.
    if verified_wrong == MAX_FAILED_LOGINS {
        assert!(matches!(
            f.store.login("admin", PASSWORD).await,
            Err(StoreError::LockedOut)
        ));
    }
}

/// The same, one after another: the fifth wrong password locks, with nothing verified after.
#[tokio::test]
async fn the_attempt_that_reaches_the_limit_locks_the_name() {
    let f = fixture().await;
    for _ in 0..MAX_FAILED_LOGINS {
        let _ = f.store.login("admin", "wrong password!!").await;
    }
    for _ in 0..10 {
        assert!(matches!(
            f.store.login("admin", "wrong password!!").await,
            Err(StoreError::LockedOut)
        ));
    }
    assert_eq!(
        audit_count(&f.store, "login_failed", Some("wrong credentials")).await,
        MAX_FAILED_LOGINS
    );
    assert_eq!(
        audit_count(&f.store, "login_failed", Some("locked out")).await,
        10
    );
}

/// Defect 4: wrong current passwords were neither throttled nor audited.
#[tokio::test]
async fn wrong_current_passwords_are_throttled_and_audited() {
    let f = fixture().await;
    for _ in 0..MAX_FAILED_LOGINS - 1 {
        let e = f
            .store
            .check_own_password(&f.admin, "not my password")
            .await
            .unwrap_err();
        assert!(
            matches!(
                e,
                StoreError::Domain(aliquot_domain::DomainError::WrongPassword)
            ),
            "{e}"
        );
    }
    assert!(matches!(
        f.store
            .check_own_password(&f.admin, "not my password")
            .await,
        Err(StoreError::LockedOut)
    ));
    // Locked: even the right one is refused, and sign-in under the name is locked too.
    assert!(matches!(
        f.store.check_own_password(&f.admin, PASSWORD).await,
        Err(StoreError::LockedOut)
    ));
    assert!(matches!(
        f.store.login("admin", PASSWORD).await,
        Err(StoreError::LockedOut)
    ));
    let refused: Vec<(String, String)> = sqlx::query_as(
        "SELECT entity_id, reason FROM audit_log WHERE action = 'password_change_refused' ORDER BY seq",
    )
    .fetch_all(f.store.pool())
    .await
    .unwrap();
    assert_eq!(refused.len() as i64, MAX_FAILED_LOGINS + 1);
    assert!(refused
        .iter()
        .all(|(entity, _)| *entity == f.admin.user_id.to_string()));
    assert_eq!(refused.last().unwrap().1, "locked out");
    f.clock.advance(LOCKOUT);
    f.store
        .check_own_password(&f.admin, PASSWORD)
        .await
        .unwrap();
}

/// Defect 7: every read wrote `last_seen_at`, so a held write lock (or a full disk) failed
/// even `whoami`. Activity is now written at most once a minute, best effort.
#[tokio::test]
async fn a_session_is_read_while_another_connection_holds_the_write_lock() {
    let f = fixture().await;
    let (token, _) = f.store.login("admin", PASSWORD).await.unwrap();
    let mut holder = sqlx::SqliteConnection::connect(&format!(
        "sqlite://{}",
        f.dir.path().join("aliquot.db").display()
    ))
    .await
    .unwrap();
    holder.execute("BEGIN IMMEDIATE").await.unwrap();
    // Within the minute nothing is written at all.
    f.clock.advance(Duration::seconds(30));
    f.store.session(&token).await.unwrap();
    // Past it, the update is tried and given up quickly; the read still answers.
    f.clock.advance(Duration::minutes(2));
    let started = std::time::Instant::now();
    let session = f.store.session(&token).await.unwrap();
    assert_eq!(session.user.username, "admin");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "the read waited for the write lock"
    );
    holder.execute("ROLLBACK").await.unwrap();
    // With the lock gone, activity is recorded again and keeps the session alive.
    f.clock.advance(Duration::minutes(2));
    f.store.session(&token).await.unwrap();
    let seen: String = sqlx::query_scalar("SELECT last_seen_at FROM sessions")
        .fetch_one(f.store.pool())
        .await
        .unwrap();
    assert_eq!(seen, aliquot_domain::audit::format_utc(f.clock.now()));
}

/// Defect 8: permission refusals were not audited. One entry per user, permission and
/// minute, the ones in between counted in the next.
#[tokio::test]
async fn refusals_are_audited_and_rate_limited() {
    let f = fixture().await;
    let tech = f.add_user("tech", Role::Technician).await;
    let create = || Command::CreateUser {
        user_id: Uuid::now_v7(),
        username: "eve".into(),
        display_name: "Eve".into(),
        role: Role::Admin,
        password_hash: fixture_hash(),
    };
    for _ in 0..10 {
        assert!(matches!(
            f.store.execute(&tech, create()).await,
            Err(StoreError::Forbidden(Permission::ManageUsers))
        ));
    }
    let rows: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT actor_id, entity_id, reason FROM audit_log WHERE action = 'permission_denied' ORDER BY seq",
    )
    .fetch_all(f.store.pool())
    .await
    .unwrap();
    assert_eq!(rows.len(), 1, "{rows:?}");
    let tech_id = tech.user_id.to_string();
    assert_eq!((&rows[0].0, &rows[0].1), (&tech_id, &tech_id));
    assert!(rows[0].2.contains("manage_users"), "{}", rows[0].2);
    f.clock.advance(Duration::minutes(1));
    let _ = f.store.execute(&tech, create()).await;
    let reason: String = sqlx::query_scalar(
        "SELECT reason FROM audit_log WHERE action = 'permission_denied' ORDER BY seq DESC LIMIT 1",
    )
    .fetch_one(f.store.pool())
    .await
    .unwrap();
    assert!(reason.contains("9 more refused"), "{reason}");
    // The refusals changed nothing else, and the chain still verifies.
    assert_eq!(f.count("users").await, 2);
    assert!(f
        .store
        .verify_audit_chain()
        .await
        .unwrap()
        .first_break
        .is_none());
}

async fn three_changes(f: &Fixture) {
    for name in ["lab one", "lab two", "lab three"] {
        f.store
            .execute(
                &f.admin,
                Command::ChangeSettings {
                    settings: vec![Setting::LabName(name.into())],
                    reason: "rename".into(),
                },
            )
            .await
            .unwrap();
    }
}

/// Opens the closed store's file directly, as someone with file access would.
async fn raw(f: &Fixture) -> sqlx::SqliteConnection {
    sqlx::SqliteConnection::connect(&format!(
        "sqlite://{}",
        f.dir.path().join("aliquot.db").display()
    ))
    .await
    .unwrap()
}

async fn alarms(store: &Store) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT reason FROM audit_log WHERE action = 'audit_chain_alarm' ORDER BY seq",
    )
    .fetch_all(store.pool())
    .await
    .unwrap()
}

async fn admin_alarm_notifications(store: &Store, admin: &Actor) -> usize {
    store
        .notifications(admin.user_id, true, PageRequest::default())
        .await
        .unwrap()
        .items
        .iter()
        .filter(|n| n.kind == "audit_chain_alarm")
        .count()
}

#[tokio::test]
async fn a_clean_restart_raises_no_alarm() {
    let f = fixture().await;
    three_changes(&f).await;
    f.store.close().await;
    let reopened = Store::open(f.dir.path(), f.clock.clone()).await.unwrap();
    assert!(alarms(&reopened).await.is_empty());
    let check = reopened.verify_audit_chain().await.unwrap();
    assert!(
        check.anchor_problems.is_empty(),
        "{:?}",
        check.anchor_problems
    );
    assert_eq!((check.entries_checked, check.first_break), (4, None));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(f.dir.path().join(aliquot_store::anchor::ANCHOR_KEY_FILE))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(
            mode & 0o777,
            0o600,
            "the anchor key is readable only by its user"
        );
        let dir_mode = std::fs::metadata(f.dir.path())
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(
            dir_mode & 0o777,
            0o700,
            "other accounts cannot enter the data directory"
        );
    }
}

/// Defect 5, first half: deleting the newest rows left a chain that verified as intact.
#[tokio::test]
async fn cutting_the_newest_audit_entries_raises_the_alarm_at_start_up() {
    let f = fixture().await;
    three_changes(&f).await;
    f.store.close().await;
    let mut db = raw(&f).await;
    db.execute("DROP TRIGGER audit_log_no_delete")
        .await
        .unwrap();
    db.execute("DELETE FROM audit_log WHERE seq > 2")
        .await
        .unwrap();
    db.close().await.unwrap();

    let reopened = Store::open(f.dir.path(), f.clock.clone()).await.unwrap();
    // The chain alone still verifies: that was the hole.
    let alarm = alarms(&reopened).await;
    assert_eq!(alarm.len(), 1, "{alarm:?}");
    assert!(
        alarm[0].contains("newest entries were removed"),
        "{}",
        alarm[0]
    );
    assert_eq!(admin_alarm_notifications(&reopened, &f.admin).await, 1);
}

/// Defect 5, second half: editing a row and recomputing every later hash verified as intact.
#[tokio::test]
async fn a_re_chained_audit_trail_raises_the_alarm_at_start_up() {
    let f = fixture().await;
    three_changes(&f).await;
    f.store.close().await;
    let mut db = raw(&f).await;
    db.execute("DROP TRIGGER audit_log_no_update")
        .await
        .unwrap();
    let rows: Vec<StoredAuditRow> = sqlx::query_as::<_, (i64, String, String, String, String, String, String, Option<String>, Option<String>, Option<String>, String, String, String)>(
        "SELECT seq, at, actor_id, actor_name, action, entity_type, entity_id, old_value, new_value, reason, context, prev_hash, hash FROM audit_log ORDER BY seq",
    )
    .fetch_all(&mut db)
    .await
    .unwrap()
    .into_iter()
    .map(|r| StoredAuditRow {
        seq: r.0,
        at: r.1,
        actor_id: r.2,
        actor_name: r.3,
        action: r.4,
        entity_type: r.5,
        entity_id: r.6,
        old_value: r.7,
        new_value: r.8,
        reason: r.9,
        context: r.10,
        prev_hash: r.11,
        hash: r.12,
    })
    .collect();
    // Forge entry 2's reason, then re-chain everything after it.
    let mut prev_hash = rows[0].hash.clone();
    for mut row in rows.into_iter().skip(1) {
        if row.seq == 2 {
            row.reason = Some("forged".into());
        }
        row.prev_hash = prev_hash.clone();
        row.hash = row.computed_hash();
        sqlx::query("UPDATE audit_log SET reason = ?1, prev_hash = ?2, hash = ?3 WHERE seq = ?4")
            .bind(&row.reason)
            .bind(&row.prev_hash)
            .bind(&row.hash)
            .bind(row.seq)
            .execute(&mut db)
            .await
            .unwrap();
        prev_hash = row.hash;
    }
    db.close().await.unwrap();

    let reopened = Store::open(f.dir.path(), f.clock.clone()).await.unwrap();
    let whole = reopened.verify_audit_chain().await.unwrap();
    assert!(
        whole.first_break.is_none(),
        "the forgery is a valid chain on its own: only the anchor can tell"
    );
    // The anchor was re-set at the current head after the alarm; the alarm entry stays.
    assert!(
        whole.anchor_problems.is_empty(),
        "{:?}",
        whole.anchor_problems
    );
    let alarm = alarms(&reopened).await;
    assert_eq!(alarm.len(), 1, "{alarm:?}");
    assert!(alarm[0].contains("re-chained"), "{}", alarm[0]);
    assert_eq!(admin_alarm_notifications(&reopened, &f.admin).await, 1);
}

#[tokio::test]
async fn the_auditors_verification_checks_the_anchor_too() {
    let f = fixture().await;
    three_changes(&f).await;
    f.store.close().await;
    let store = Store::open(f.dir.path(), f.clock.clone()).await.unwrap();
    // While it runs, someone edits the anchor file: the auditor's verification says so.
    let anchor = f.dir.path().join(aliquot_store::anchor::ANCHOR_FILE);
    let mut json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&anchor).unwrap()).unwrap();
    json["head"]["hash"] = serde_json::json!("00");
    std::fs::write(&anchor, serde_json::to_vec(&json).unwrap()).unwrap();
    let v = store.verify_audit_chain().await.unwrap();
    assert_eq!(v.first_break, None);
    assert_eq!(v.anchor_problems.len(), 1, "{:?}", v.anchor_problems);
    assert!(v.anchor_problems[0].contains("seal"));
}

#[tokio::test]
async fn a_forged_or_missing_anchor_file_raises_the_alarm() {
    let f = fixture().await;
    three_changes(&f).await;
    f.store.close().await;
    let anchor = f.dir.path().join(aliquot_store::anchor::ANCHOR_FILE);
    // Re-sealing needs the key; an edited head without it does not carry the seal.
    let text = std::fs::read_to_string(&anchor).unwrap();
    let mut json: serde_json::Value = serde_json::from_str(&text).unwrap();
    json["head"]["seq"] = serde_json::json!(2);
    std::fs::write(&anchor, serde_json::to_vec(&json).unwrap()).unwrap();
    let reopened = Store::open(f.dir.path(), f.clock.clone()).await.unwrap();
    let alarm = alarms(&reopened).await;
    assert!(alarm[0].contains("seal"), "{alarm:?}");
    reopened.close().await;

    std::fs::remove_file(&anchor).unwrap();
    let reopened = Store::open(f.dir.path(), f.clock.clone()).await.unwrap();
    let alarm = alarms(&reopened).await;
    assert_eq!(alarm.len(), 2, "{alarm:?}");
    assert!(alarm[1].contains("anchor file is missing"), "{}", alarm[1]);
}
