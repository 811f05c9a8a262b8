//! The desktop binary's browser mode (`--serve`), as the README's run command uses it on a
//! machine without a display: it opens a fresh data directory, listens on 127.0.0.1 and
//! answers the API. Run as a process, so `cargo test` also builds the binary the browser
//! tests and the Tauri window test use.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};

#[test]
fn the_browser_mode_serves_the_api_on_a_fresh_data_directory() {
    let dir = tempfile::tempdir().unwrap();
    let ui = dir.path().join("ui");
    std::fs::create_dir_all(&ui).unwrap();
    std::fs::write(
        ui.join("index.html"),
        "<!doctype html><title>Aliquot</title>",
    )
    .unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_aliquot-desktop"))
        .arg("--serve")
        .arg("--port")
        .arg("0")
        .arg("--data-dir")
        .arg(dir.path().join("data"))
        .arg("--ui-dir")
        .arg(&ui)
        .env("ALIQUOT_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let address = loop {
        let line = lines
            .next()
            .expect("the server ended before it listened")
            .unwrap();
        if let Some(url) = line.split("http://").nth(1) {
            break url.trim().to_owned();
        }
    };

    let body = "{}";
    let mut stream = TcpStream::connect(&address).unwrap();
    write!(
        stream,
        "POST /api/setup_status HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    child.kill().unwrap();
    child.wait().unwrap();

    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains(r#""needs_first_admin":true"#), "{answer}");
}
