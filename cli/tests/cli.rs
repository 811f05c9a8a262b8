//! The operator's CLI, run as a process on a temporary data directory.

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn aliquot(data_dir: &std::path::Path, args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_aliquot"))
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .env("ALIQUOT_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
    }
    drop(child.stdin.take());
    child.wait_with_output().unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn init_user_backup_and_verify() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");

    let init = aliquot(&data, &["init"], None);
    assert!(init.status.success(), "{}", text(&init));
    assert!(text(&init).contains("workstation id:"));
    assert!(data.join("aliquot.db").exists());

    let create = aliquot(
        &data,
        &[
            "user",
            "create",
            "--username",
            "lena",
            "--display-name",
            "Lena Lab",
            "--role",
            "lab_manager",
        ],
        Some("a long manager passphrase\n"),
    );
    assert!(create.status.success(), "{}", text(&create));
    let bad_role = aliquot(
        &data,
        &[
            "user",
            "create",
            "--username",
            "x",
            "--display-name",
            "X",
            "--role",
            "root",
        ],
        Some("whatever whatever\n"),
    );
    assert!(!bad_role.status.success());
    assert!(
        text(&bad_role).contains("unknown role"),
        "{}",
        text(&bad_role)
    );
    let weak = aliquot(
        &data,
        &[
            "user",
            "create",
            "--username",
            "weak",
            "--display-name",
            "W",
            "--role",
            "viewer",
        ],
        Some("short\n"),
    );
    assert!(!weak.status.success());
    assert!(
        text(&weak).contains("at least 12 characters"),
        "{}",
        text(&weak)
    );

    let verify = aliquot(&data, &["audit", "verify"], None);
    assert!(verify.status.success(), "{}", text(&verify));
    assert!(
        text(&verify).contains("audit chain intact: 1 entries"),
        "{}",
        text(&verify)
    );

    let backup_file = dir.path().join("copy.db");
    let backup = aliquot(&data, &["backup", backup_file.to_str().unwrap()], None);
    assert!(backup.status.success(), "{}", text(&backup));
    assert!(text(&backup).contains("verified"));
    assert!(backup_file.exists());
    let again = aliquot(&data, &["backup", backup_file.to_str().unwrap()], None);
    assert!(!again.status.success(), "a backup never overwrites");
}

#[test]
fn a_tampered_audit_chain_fails_verification_with_status_1() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    assert!(aliquot(&data, &["init", "--demo"], None).status.success());
    let db = data.join("aliquot.db");
    let tamper = Command::new("sqlite3")
        .arg(&db)
        .arg("DROP TRIGGER audit_log_no_update; UPDATE audit_log SET actor_name = 'mallory' WHERE seq = 1;")
        .output()
        .expect("sqlite3 is installed by scripts/setup");
    assert!(tamper.status.success(), "{}", text(&tamper));
    let verify = aliquot(&data, &["audit", "verify"], None);
    assert_eq!(verify.status.code(), Some(1));
    assert!(text(&verify).contains("BROKEN"), "{}", text(&verify));
    assert!(
        text(&verify).contains("HashMismatch { seq: 1 }"),
        "{}",
        text(&verify)
    );
}

#[test]
fn help_explains_the_commands() {
    let out = Command::new(env!("CARGO_BIN_EXE_aliquot"))
        .arg("--help")
        .output()
        .unwrap();
    let help = text(&out);
    for word in [
        "init",
        "user",
        "backup",
        "audit",
        "serve",
        "--data-dir",
        "ALIQUOT_DATA_DIR",
    ] {
        assert!(
            help.contains(word),
            "--help does not mention {word}:\n{help}"
        );
    }
}

#[test]
fn version_names_the_release_and_its_build() {
    let out = Command::new(env!("CARGO_BIN_EXE_aliquot"))
        .arg("--version")
        .output()
        .unwrap();
    assert!(out.status.success());
    // A checkout's build says it is one; scripts/package stamps the commit and date instead.
    let expected = match option_env!("ALIQUOT_BUILD") {
        Some(build) => format!("aliquot {} ({build})\n", env!("CARGO_PKG_VERSION")),
        None => format!(
            "aliquot {} (development build)\n",
            env!("CARGO_PKG_VERSION")
        ),
    };
    assert_eq!(String::from_utf8_lossy(&out.stdout), expected);
}
