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
