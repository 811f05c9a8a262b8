//! `aliquot-hub` from the command line: init, enroll, devices list and revoke, backup,
//! audit verify, and the refusals an operator sees.

use std::io::Write;
use std::process::{Command, Stdio};

fn hub(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_aliquot-hub"))
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .env("ALIQUOT_LOG", "warn")
        .output()
        .unwrap()
}

fn text(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned() + &String::from_utf8_lossy(&output.stderr)
}

#[test]
fn an_operator_sets_up_a_hub_enrolls_lists_revokes_and_backs_it_up() {
    let dir = tempfile::tempdir().unwrap();
    let mut init = Command::new(env!("CARGO_BIN_EXE_aliquot-hub"))
        .arg("--data-dir")
        .arg(dir.path())
        .args([
            "init",
            "--admin",
            "admin",
            "--sample-prefix",
            "nb",
            "--host",
            "hub.lab",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(init.stdin.take().unwrap(), "correct horse battery").unwrap();
    let out = init.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let said = text(&out);
    assert!(
        said.contains("certificate fingerprint (SHA-256): "),
        "{said}"
    );
    assert!(said.contains("sample codes NB0000000"), "{said}");
    assert!(said.contains("first administrator: admin"), "{said}");
    assert!(dir.path().join("hub-cert.pem").exists());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join("hub-key.pem"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "the private key is the hub's user's alone");
    }

    let out = hub(dir.path(), &["enroll", "--name", "Desk 2"]);
    let said = text(&out);
    assert!(out.status.success(), "{said}");
    assert!(said.contains("enrollment code for Desk 2: "), "{said}");
    assert!(said.contains("compare them"), "{said}");

    let out = hub(dir.path(), &["devices", "list"]);
    assert!(text(&out).contains("no workstation enrolled yet"));
    let out = hub(
        dir.path(),
        &["devices", "revoke", "nobody", "--reason", "test"],
    );
    assert!(!out.status.success());
    assert!(text(&out).contains("no enrolled"), "{}", text(&out));
    let out = hub(dir.path(), &["enroll", "--name", "   "]);
    assert!(!out.status.success());
    assert!(
        text(&out).contains("1 to 80 printable characters"),
        "{}",
        text(&out)
    );

    let copy = dir.path().join("backups").join("hub.db");
    let out = hub(dir.path(), &["backup", copy.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("chain intact"));
    let out = hub(dir.path(), &["audit", "verify"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("audit chain intact"));
}

#[test]
fn plain_http_is_refused_off_loopback_and_a_missing_data_directory_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let out = hub(
        dir.path(),
        &["serve", "--plain-http", "--listen", "0.0.0.0:0"],
    );
    assert!(!out.status.success());
    assert!(
        text(&out).contains("only on a loopback address"),
        "{}",
        text(&out)
    );
    let out = Command::new(env!("CARGO_BIN_EXE_aliquot-hub"))
        .args(["devices", "list"])
        .env_remove("ALIQUOT_HUB_DATA_DIR")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(text(&out).contains("--data-dir"), "{}", text(&out));
}

/// Sets the newest applied migration of `table` (`hub_schema` or `_sqlx_migrations`) to
/// `version`, as a newer hub would have left it.
fn pretend_newer(dir: &std::path::Path, sql: &str) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    runtime.block_on(async {
        use sqlx::ConnectOptions;
        let mut conn = sqlx::sqlite::SqliteConnectOptions::new()
            .filename(dir.join(aliquot_store::DB_FILE_NAME))
            .connect()
            .await
            .unwrap();
        sqlx::raw_sql(sql).execute(&mut conn).await.unwrap();
    });
}

/// `migrate` brings the schema to this build's and says so; a database a newer hub
/// migrated is refused, by `migrate` and by `serve`, naming both versions.
#[test]
fn migrate_says_where_the_schema_stands_and_an_older_hub_refuses_a_newer_schema() {
    let dir = tempfile::tempdir().unwrap();
    let out = hub(dir.path(), &["migrate"]);
    assert!(out.status.success(), "{}", text(&out));
    let said = text(&out);
    assert!(
        said.contains("hub schema: 1003 (this program: 1003)"),
        "{said}"
    );
    let lab = said
        .lines()
        .find_map(|l| l.strip_prefix("lab schema: "))
        .unwrap_or_else(|| panic!("{said}"));
    let (applied, known) = lab.split_once(" (this program: ").unwrap();
    assert_eq!(format!("{applied})"), known, "{said}");
    assert!(said.contains("change feed head: "), "{said}");

    pretend_newer(
        dir.path(),
        "INSERT INTO hub_schema (version, applied_at) VALUES (1999, '2030-01-01T00:00:00Z')",
    );
    for args in [
        &["migrate"][..],
        &["serve", "--plain-http", "--listen", "127.0.0.1:0"],
    ] {
        let out = hub(dir.path(), args);
        assert!(!out.status.success(), "{args:?}: {}", text(&out));
        let said = text(&out);
        assert!(
            said.contains("newer aliquot-hub") && said.contains("1999") && said.contains("1003"),
            "{args:?}: {said}"
        );
    }

    // The lab's schema, as a newer build of the store would have left it.
    let dir = tempfile::tempdir().unwrap();
    assert!(hub(dir.path(), &["migrate"]).status.success());
    pretend_newer(
        dir.path(),
        "INSERT INTO _sqlx_migrations (version, description, installed_on, success, checksum, execution_time)
         VALUES (999999, 'from the future', '2030-01-01 00:00:00', 1, x'00', 0)",
    );
    let out = hub(dir.path(), &["migrate"]);
    assert!(!out.status.success(), "{}", text(&out));
    let said = text(&out);
    assert!(
        said.contains("newer Aliquot") && said.contains("999999"),
        "{said}"
    );
}

/// `GET /v1/health` answers without a credential: the schema this build has and the feed's
/// newest change number.
#[test]
fn the_health_endpoint_answers_with_the_schema_and_the_feed_head() {
    use std::io::{BufRead, BufReader, Read};
    let dir = tempfile::tempdir().unwrap();
    assert!(hub(dir.path(), &["migrate"]).status.success());
    let mut serve = Command::new(env!("CARGO_BIN_EXE_aliquot-hub"))
        .arg("--data-dir")
        .arg(dir.path())
        .args(["serve", "--plain-http", "--listen", "127.0.0.1:0"])
        .env("ALIQUOT_LOG", "warn")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(serve.stdout.take().unwrap()).lines();
    let addr = loop {
        let line = lines
            .next()
            .expect("the hub says where it listens")
            .unwrap();
        if let Some(url) = line.strip_prefix("Aliquot hub listening on http://") {
            break url.trim().to_owned();
        }
    };
    let mut stream = std::net::TcpStream::connect(&addr).unwrap();
    write!(
        stream,
        "GET /v1/health HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let _ = serve.kill();
    let _ = serve.wait();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    let body = answer.split("\r\n\r\n").nth(1).unwrap_or_default();
    let health: serde_json::Value = serde_json::from_str(body).unwrap();
    assert_eq!(health["migrations_current"], true, "{health}");
    assert_eq!(health["hub_schema"]["applied"], 1003);
    assert_eq!(
        health["lab_schema"]["applied"], health["lab_schema"]["known"],
        "{health}"
    );
    assert!(health["feed_head"].as_i64().is_some(), "{health}");
}

/// A lab's log collector reads one JSON object a line; the operator still reads why.
#[test]
fn logs_are_json_lines_when_asked_and_an_unreachable_database_is_named() {
    let dir = tempfile::tempdir().unwrap();
    // Nothing listens on port 1: the database does not answer.
    let out = Command::new(env!("CARGO_BIN_EXE_aliquot-hub"))
        .arg("--data-dir")
        .arg(dir.path())
        .args([
            "--database",
            "postgres://hub@127.0.0.1:1/aliquot",
            "migrate",
        ])
        .env("ALIQUOT_LOG", "info")
        .env("ALIQUOT_LOG_FORMAT", "json")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    let logged: Vec<serde_json::Value> = stderr
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}")))
        .collect();
    let failure = logged
        .iter()
        .find(|l| l["fields"]["message"] == "hub internal error")
        .unwrap_or_else(|| panic!("no JSON line for the failure in {stderr}"));
    assert_eq!(failure["level"], "ERROR");
    assert!(failure["fields"]["id"].is_string(), "{failure}");
    assert!(
        stderr.contains("opening the hub on PostgreSQL"),
        "the operator is told what failed: {stderr}"
    );
}

/// The pool's limits are an operator's to set on PostgreSQL, checked before anything opens,
/// and refused for SQLite rather than silently ignored.
#[test]
fn pool_limits_are_given_on_the_command_line_checked_and_refused_for_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let out = hub(dir.path(), &["--pool-size", "4", "migrate"]);
    assert!(!out.status.success());
    assert!(
        text(&out).contains("are for a hub on PostgreSQL"),
        "{}",
        text(&out)
    );
    let out = hub(
        dir.path(),
        &[
            "--database",
            "postgres://hub@127.0.0.1:1/aliquot",
            "--statement-timeout",
            "0",
            "migrate",
        ],
    );
    assert!(!out.status.success());
    assert!(
        text(&out).contains("--statement-timeout is 1 to 3600 seconds, not 0"),
        "{}",
        text(&out)
    );
    // In range, they are what the pool is opened with (nothing listens on port 1).
    let out = Command::new(env!("CARGO_BIN_EXE_aliquot-hub"))
        .arg("--data-dir")
        .arg(dir.path())
        .args([
            "--database",
            "postgres://hub@127.0.0.1:1/aliquot",
            "migrate",
        ])
        .env("ALIQUOT_HUB_POOL_SIZE", "3")
        .env("ALIQUOT_HUB_STATEMENT_TIMEOUT", "7")
        .env("ALIQUOT_HUB_POOL_WAIT", "1")
        .env("ALIQUOT_LOG", "info")
        .env("ALIQUOT_LOG_FORMAT", "json")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    let connecting = stderr
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|l| l["fields"]["message"] == "connecting to PostgreSQL")
        .unwrap_or_else(|| panic!("no line for the pool in {stderr}"));
    assert_eq!(connecting["fields"]["max_connections"], 3);
    assert_eq!(connecting["fields"]["statement_timeout_s"], 7);
    assert_eq!(connecting["fields"]["pool_wait_s"], 1);
}

/// The systemd unit we ship is one systemd accepts: every setting parses and its commands
/// run this build's binary (`systemd-analyze verify` in a scratch root holding the unit,
/// the binary where the unit says, and the system's own units).
#[test]
fn the_systemd_unit_verifies() {
    let root = tempfile::tempdir().unwrap();
    let path = |p: &str| root.path().join(p);
    std::fs::create_dir_all(path("usr/local/bin")).unwrap();
    std::fs::create_dir_all(path("etc/systemd/system")).unwrap();
    std::fs::copy(
        env!("CARGO_BIN_EXE_aliquot-hub"),
        path("usr/local/bin/aliquot-hub"),
    )
    .unwrap();
    let unit = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../packaging/hub/aliquot-hub.service"
    );
    std::fs::copy(unit, path("etc/systemd/system/aliquot-hub.service")).unwrap();
    std::fs::create_dir_all(path("usr/lib/systemd")).unwrap();
    let copied = Command::new("cp")
        .args(["-r", "/usr/lib/systemd/system"])
        .arg(path("usr/lib/systemd"))
        .status()
        .unwrap();
    assert!(copied.success());
    let out = Command::new("systemd-analyze")
        .args(["verify", "--man=no"])
        .arg(format!("--root={}", root.path().display()))
        .arg("aliquot-hub.service")
        .output()
        .expect("systemd-analyze (Debian's systemd, installed by scripts/setup)");
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(text(&out).trim(), "", "systemd has remarks on the unit");
}
