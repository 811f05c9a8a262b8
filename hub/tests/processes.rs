//! Real processes: an `aliquot-hub` and two `aliquot serve` workstations, the network
//! between them an in-process fault proxy (drop, delay, reset mid-body, a request sent
//! twice, the answer lost after the hub committed), and kill -9 of a workstation or of the
//! hub at random points (inside a command, right after the hub took a push, mid-pull,
//! mid-rebase), each restarted on its data. Work goes on throughout; at the end the network
//! heals and every process syncs: nothing acknowledged is lost or doubled, every database
//! passes `integrity_check`, I1–I5 and I11 hold, and every workstation equals the hub.
//!
//! ALIQUOT_KILLS sets the number of kills (default 24); ALIQUOT_PROCESS_SEED the seed.
//! Needs `target/debug/aliquot` (built by `cargo test --workspace`).

use serde_json::{json, Value};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::process::{Child, Command};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

const PASSWORD: &str = "correct horse battery";

fn hub_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_aliquot-hub"))
}

fn workstation_bin() -> PathBuf {
    let bin = hub_bin().with_file_name("aliquot");
    assert!(
        bin.exists(),
        "{} is missing: run `cargo test --workspace`, which builds it",
        bin.display()
    );
    bin
}

/// A small seeded generator (splitmix64), so a run's choices can be repeated.
struct Rng(AtomicU64);
impl Rng {
    fn next(&self) -> u64 {
        let mut z = self
            .0
            .fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::SeqCst)
            .wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

// ───────────────────────────── the fault proxy ─────────────────────────────

/// Between the workstations and the hub: reads each HTTP request whole (and each answer,
/// a streamed one too), then (by lot)
/// forwards it, delays it, cuts it in the middle, sends it twice, or forwards it and
/// loses the answer. `faults` off passes everything.
struct Proxy {
    addr: std::net::SocketAddr,
    faults: Arc<AtomicBool>,
    upstream: Arc<Mutex<std::net::SocketAddr>>,
    /// Told when a push has reached the hub (to kill it before it answers).
    pushes: tokio::sync::broadcast::Sender<()>,
    counts: Arc<Mutex<[u64; 5]>>,
}

async fn read_message(stream: &mut BufReader<TcpStream>) -> std::io::Result<Option<Vec<u8>>> {
    let mut head = Vec::new();
    loop {
        let mut line = Vec::new();
        let n = stream.read_until(b'\n', &mut line).await?;
        if n == 0 {
            return Ok(None);
        }
        head.extend_from_slice(&line);
        if line == b"\r\n" {
            break;
        }
    }
    let text = String::from_utf8_lossy(&head).to_ascii_lowercase();
    if text.contains("transfer-encoding: chunked") {
        // A streamed answer (the snapshot): chunks until the empty one, kept as they came.
        loop {
            let mut size_line = Vec::new();
            stream.read_until(b'\n', &mut size_line).await?;
            head.extend_from_slice(&size_line);
            let size = usize::from_str_radix(String::from_utf8_lossy(&size_line).trim(), 16)
                .map_err(std::io::Error::other)?;
            if size == 0 {
                let mut end = Vec::new();
                stream.read_until(b'\n', &mut end).await?;
                head.extend_from_slice(&end);
                return Ok(Some(head));
            }
            let mut chunk = vec![0; size + 2];
            stream.read_exact(&mut chunk).await?;
            head.extend_from_slice(&chunk);
        }
    }
    let length = text
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    stream.read_exact(&mut body).await?;
    head.extend_from_slice(&body);
    Ok(Some(head))
}

async fn round_trip(upstream: std::net::SocketAddr, request: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut hub = BufReader::new(TcpStream::connect(upstream).await?);
    hub.get_mut().write_all(request).await?;
    read_message(&mut hub)
        .await?
        .ok_or_else(|| std::io::Error::other("the hub closed"))
}

impl Proxy {
    async fn start(upstream: std::net::SocketAddr, rng: Arc<Rng>) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let proxy = Proxy {
            addr: listener.local_addr().unwrap(),
            faults: Arc::new(AtomicBool::new(true)),
            upstream: Arc::new(Mutex::new(upstream)),
            pushes: tokio::sync::broadcast::channel(64).0,
            counts: Default::default(),
        };
        let (faults, upstream, pushes, counts) = (
            proxy.faults.clone(),
            proxy.upstream.clone(),
            proxy.pushes.clone(),
            proxy.counts.clone(),
        );
        tokio::spawn(async move {
            loop {
                let Ok((client, _)) = listener.accept().await else {
                    continue;
                };
                let (faults, upstream, pushes, counts, rng) = (
                    faults.clone(),
                    upstream.clone(),
                    pushes.clone(),
                    counts.clone(),
                    rng.clone(),
                );
                tokio::spawn(async move {
                    let mut client = BufReader::new(client);
                    while let Ok(Some(request)) = read_message(&mut client).await {
                        let to = *upstream.lock().unwrap();
                        let is_push = request.starts_with(b"POST /v1/sync/push");
                        let lot = if faults.load(Ordering::SeqCst) {
                            rng.below(100)
                        } else {
                            99
                        };
                        let fault = match lot {
                            0..=9 => 0,   // the connection drops before anything is sent
                            10..=24 => 1, // delayed
                            25..=32 => 2, // cut in the middle of the body
                            33..=42 => 3, // sent twice
                            43..=54 => 4, // the hub answers; the answer is lost
                            _ => 5,
                        };
                        if fault < 5 {
                            counts.lock().unwrap()[fault] += 1;
                        }
                        match fault {
                            0 => return,
                            2 => {
                                if let Ok(mut hub) = TcpStream::connect(to).await {
                                    let _ = hub.write_all(&request[..request.len() / 2]).await;
                                }
                                return;
                            }
                            _ => {}
                        }
                        if fault == 1 {
                            tokio::time::sleep(Duration::from_millis(50 + rng.below(400))).await;
                        }
                        let mut answer = round_trip(to, &request).await;
                        if is_push {
                            let _ = pushes.send(());
                        }
                        if fault == 3 {
                            answer = round_trip(to, &request).await;
                        }
                        let Ok(answer) = answer else { return };
                        if fault == 4 {
                            return;
                        }
                        if client.get_mut().write_all(&answer).await.is_err() {
                            return;
                        }
                    }
                });
            }
        });
        proxy
    }
}

// ───────────────────────────── processes ─────────────────────────────

/// Spawns `command` and waits for its "listening on http://ADDR" line; its output is
/// drained by a thread so the process never blocks on a full pipe. Killing the child
/// (`Child::kill`) is SIGKILL.
async fn spawn_listening(mut command: Command) -> (Child, std::net::SocketAddr) {
    command
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .stdin(Stdio::null());
    let mut child = command.spawn().unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        use std::io::BufRead;
        let mut tx = Some(tx);
        for line in std::io::BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if let Some(rest) = line.split("listening on http://").nth(1) {
                if let Some(tx) = tx.take() {
                    let _ = tx.send(rest.trim().parse::<std::net::SocketAddr>().unwrap());
                }
            }
        }
    });
    let addr = tokio::time::timeout(Duration::from_secs(60), rx)
        .await
        .expect("the process did not start listening")
        .expect("the process ended before listening");
    (child, addr)
}

struct HubProcess {
    dir: PathBuf,
    child: Child,
    addr: std::net::SocketAddr,
}

impl HubProcess {
    async fn init(dir: &Path) {
        let mut init = std::process::Command::new(hub_bin())
            .args(["--data-dir"])
            .arg(dir)
            .args(["init", "--admin", "hubadmin"])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        use std::io::Write;
        writeln!(init.stdin.take().unwrap(), "{PASSWORD}").unwrap();
        assert!(init.wait().unwrap().success());
    }

    async fn start(dir: &Path, port: u16) -> HubProcess {
        let mut command = Command::new(hub_bin());
        command
            .arg("--data-dir")
            .arg(dir)
            .args(["serve", "--plain-http", "--listen"])
            .arg(format!("127.0.0.1:{port}"));
        let (child, addr) = spawn_listening(command).await;
        HubProcess {
            dir: dir.to_owned(),
            child,
            addr,
        }
    }

    fn enroll(&self, name: &str) -> String {
        let out = Command::new(hub_bin())
            .arg("--data-dir")
            .arg(&self.dir)
            .args(["enroll", "--name", name])
            .output()
            .unwrap();
        assert!(out.status.success());
        let text = String::from_utf8(out.stdout).unwrap();
        text.lines()
            .find_map(|l| {
                l.split(": ")
                    .nth(1)
                    .filter(|_| l.starts_with("enrollment code"))
            })
            .unwrap()
            .trim()
            .to_owned()
    }
}

struct Desk {
    dir: PathBuf,
    ui: PathBuf,
    child: Child,
    base: String,
    token: Option<String>,
}

impl Desk {
    async fn launch(dir: &Path, ui: &Path) -> (Child, String) {
        let mut command = Command::new(workstation_bin());
        command
            .arg("--data-dir")
            .arg(dir)
            .args(["serve", "--port", "0", "--ui-dir"])
            .arg(ui)
            .env("ALIQUOT_LOG", "warn");
        let (child, addr) = spawn_listening(command).await;
        (child, format!("http://{addr}"))
    }

    async fn start(dir: &Path, ui: &Path) -> Desk {
        let (child, base) = Desk::launch(dir, ui).await;
        Desk {
            dir: dir.to_owned(),
            ui: ui.to_owned(),
            child,
            base,
            token: None,
        }
    }

    async fn restart(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let (child, base) = Desk::launch(&self.dir, &self.ui).await;
        self.child = child;
        self.base = base;
    }

    /// Calls an operation; `Err` carries the core's error (or the transport's).
    async fn call(&self, http: &reqwest::Client, op: &str, args: Value) -> Result<Value, String> {
        let mut request = http.post(format!("{}/api/{op}", self.base)).json(&args);
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.map_err(|e| e.to_string())?;
        let ok = response.status().is_success();
        let body: Value = response.json().await.map_err(|e| e.to_string())?;
        if ok {
            Ok(body)
        } else {
            Err(body.to_string())
        }
    }

    async fn login(&mut self, http: &reqwest::Client, username: &str) {
        let session = self
            .call(
                http,
                "login",
                json!({"username": username, "password": PASSWORD}),
            )
            .await
            .unwrap();
        self.token = Some(session["token"].as_str().unwrap().to_owned());
    }
}

/// A scratch folder with a stub UI for the desks to serve, and an HTTP client for calling
/// them (`timeout` a call).
fn scratch(timeout: Duration) -> (tempfile::TempDir, PathBuf, reqwest::Client) {
    let work = tempfile::tempdir().unwrap();
    let ui = work.path().join("ui");
    std::fs::create_dir_all(&ui).unwrap();
    std::fs::write(ui.join("index.html"), "<!doctype html><title>stub</title>").unwrap();
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::Client::builder().timeout(timeout).build().unwrap();
    (work, ui, http)
}

/// What the driver was told was done: these must all be on the hub at the end.
#[derive(Default)]
struct Acknowledged {
    participants: HashSet<String>,
    tubes: HashSet<String>,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn processes_converge_through_faults_and_kills() {
    let kills: u64 = std::env::var("ALIQUOT_KILLS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(24);
    let seed: u64 = std::env::var("ALIQUOT_PROCESS_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| std::process::id() as u64);
    eprintln!("seed {seed} (ALIQUOT_PROCESS_SEED), {kills} kills");
    let rng = Arc::new(Rng(AtomicU64::new(seed)));
    let (work, ui, http) = scratch(Duration::from_secs(60));

    let hub_dir = work.path().join("hub");
    HubProcess::init(&hub_dir).await;
    let mut hub = HubProcess::start(&hub_dir, 0).await;
    let hub_port = hub.addr.port();
    let proxy = Proxy::start(hub.addr, rng.clone()).await;
    let hub_url = format!("http://{}", proxy.addr);

    let mut desks = Vec::new();
    for name in ["Desk 1", "Desk 2"] {
        let dir = work.path().join(name.replace(' ', "-"));
        let mut desk = Desk::start(&dir, &ui).await;
        let code = hub.enroll(name);
        // Enrollment over the faulty network: try until it is through.
        proxy.faults.store(false, Ordering::SeqCst);
        desk.call(
            &http,
            "connect_hub",
            json!({"url": hub_url, "code": code, "fingerprint": ""}),
        )
        .await
        .unwrap();
        desk.call(&http, "sync_now", json!({})).await.ok();
        desk.login(&http, "hubadmin").await;
        desks.push(desk);
    }
    // The lab's people and storage, made by the administrator at desk 1.
    let d1 = &desks[0];
    for (username, role) in [("manager", "lab_manager"), ("tech", "technician")] {
        d1.call(
            &http,
            "create_user",
            json!({"username": username, "display_name": username, "role": role, "password": PASSWORD}),
        )
        .await
        .unwrap();
    }
    d1.call(&http, "sync_now", json!({})).await.unwrap();
    desks[0].login(&http, "manager").await;
    let d1 = &desks[0];
    let site = d1
        .call(
            &http,
            "create_site",
            json!({"code": "NORTH", "name": "North clinic", "participant_range_start": 10000, "participant_range_end": 19999}),
        )
        .await
        .unwrap();
    let kit = d1
        .call(
            &http,
            "create_kit_template",
            json!({"name": "Two tubes", "items": [{"sample_type": "whole_blood", "count": 2, "volume_ul": 500}]}),
        )
        .await
        .unwrap();
    let freezer = d1
        .call(
            &http,
            "create_freezer",
            json!({"name": "Freezer 1", "location": "Room 1", "kind": "ultra_low", "temperature_c": -80}),
        )
        .await
        .unwrap();
    let rack = d1
        .call(
            &http,
            "create_rack",
            json!({"freezer_id": freezer["id"], "name": "Rack 1"}),
        )
        .await
        .unwrap();
    let mut boxes = Vec::new();
    for i in 0..2 {
        let storage_box = d1
            .call(
                &http,
                "create_box",
                json!({"rack_id": rack["id"], "name": format!("Box {i}"), "barcode": format!("PBOX{i}"), "box_type": "3x4", "layout": {"kind": "grid", "rows": 3, "columns": 4}}),
            )
            .await
            .unwrap();
        boxes.push(storage_box["id"].as_str().unwrap().to_owned());
    }
    for desk in desks.iter_mut() {
        for _ in 0..3 {
            desk.call(&http, "sync_now", json!({})).await.ok();
        }
        desk.login(&http, "tech").await;
    }
    let site_id = site["id"].as_str().unwrap().to_owned();
    let kit_id = kit["id"].as_str().unwrap().to_owned();

    // The bench day, with faults on and kills between.
    proxy.faults.store(true, Ordering::SeqCst);
    let acknowledged = Arc::new(Mutex::new(Acknowledged::default()));
    let mut push_arrived = proxy.pushes.subscribe();
    for kill in 0..kills {
        // Some work at each desk; every answer read whole is acknowledged.
        for desk in &desks {
            for _ in 0..(1 + rng.below(3)) {
                bench_work(desk, &http, &rng, &site_id, &kit_id, &boxes, &acknowledged).await;
            }
        }
        let victim = rng.below(3);
        if victim == 2 {
            // Kill the hub: sometimes just after a push reached it (it may have
            // committed and not answered), sometimes at a random moment.
            if rng.below(2) == 0 {
                let _ = tokio::time::timeout(Duration::from_secs(3), push_arrived.recv()).await;
                tokio::time::sleep(Duration::from_millis(rng.below(20))).await;
            } else {
                tokio::time::sleep(Duration::from_millis(rng.below(300))).await;
            }
            hub.child.kill().unwrap();
            let _ = hub.child.wait();
            hub = HubProcess::start(&hub_dir, hub_port).await;
            *proxy.upstream.lock().unwrap() = hub.addr;
        } else {
            let desk = &mut desks[victim as usize];
            // Mid-command, mid-sync: a command is sent and the desk dies at once.
            let call = {
                let (http, base, token) = (http.clone(), desk.base.clone(), desk.token.clone());
                let kit_id = kit_id.clone();
                let site_id = site_id.clone();
                tokio::spawn(async move {
                    let body = json!({"site_id": site_id, "consent": "given", "consent_date": "2026-01-02"});
                    let _ = http
                        .post(format!("{base}/api/register_participant"))
                        .bearer_auth(token.unwrap_or_default())
                        .json(&body)
                        .send()
                        .await;
                    let _ = kit_id;
                })
            };
            tokio::time::sleep(Duration::from_millis(rng.below(40))).await;
            desk.restart().await;
            let _ = call.await;
        }
        eprintln!(
            "kill {} of {kills}: {}",
            kill + 1,
            ["desk 1", "desk 2", "hub"][victim as usize]
        );
    }

    // The network heals; everyone syncs until nothing is pending.
    proxy.faults.store(false, Ordering::SeqCst);
    for _ in 0..20 {
        let mut pending = 0;
        for desk in &desks {
            let status = desk.call(&http, "sync_now", json!({})).await.unwrap();
            pending += status["counts"]["pending"].as_i64().unwrap()
                + status["counts"]["held"].as_i64().unwrap();
        }
        if pending == 0 {
            break;
        }
    }
    for desk in &desks {
        desk.call(&http, "sync_now", json!({})).await.unwrap();
    }
    eprintln!(
        "proxy faults (drop, delay, cut, twice, answer lost): {:?}",
        proxy.counts.lock().unwrap()
    );
    for desk in desks.iter_mut() {
        let _ = desk.child.kill();
        let _ = desk.child.wait();
    }
    let _ = hub.child.kill();
    let _ = hub.child.wait();

    // Checked with the processes down, on their data.
    let acknowledged = std::mem::take(&mut *acknowledged.lock().unwrap());
    eprintln!(
        "acknowledged: {} participants, {} tubes",
        acknowledged.participants.len(),
        acknowledged.tubes.len()
    );
    check(&hub_dir, &desks, &acknowledged).await;
}

/// One piece of bench work at `desk`: register a participant and their kit, receive and
/// place a tube in a shared box (the two desks compete for positions), or check one out.
async fn bench_work(
    desk: &Desk,
    http: &reqwest::Client,
    rng: &Rng,
    site_id: &str,
    kit_id: &str,
    boxes: &[String],
    acknowledged: &Mutex<Acknowledged>,
) {
    match rng.below(3) {
        0 => {
            let Ok(participant) = desk
                .call(
                    http,
                    "register_participant",
                    json!({"site_id": site_id, "consent": "given", "consent_date": "2026-01-02"}),
                )
                .await
            else {
                return;
            };
            let participant_id = participant["id"].as_str().unwrap().to_owned();
            acknowledged
                .lock()
                .unwrap()
                .participants
                .insert(participant_id.clone());
            if let Ok(kit) = desk
                .call(
                    http,
                    "register_kit",
                    json!({"participant_id": participant_id, "template_id": kit_id, "collector": "Nurse Jo", "collected_at": "2026-01-02T09:00:00Z"}),
                )
                .await
            {
                let mut ack = acknowledged.lock().unwrap();
                for tube in kit["samples"].as_array().into_iter().flatten() {
                    ack.tubes.insert(tube["id"].as_str().unwrap().to_owned());
                }
            }
        }
        1 => {
            let known: Vec<String> = acknowledged.lock().unwrap().tubes.iter().cloned().collect();
            if known.is_empty() {
                return;
            }
            let tube = &known[rng.below(known.len() as u64) as usize];
            let position = format!(
                "{}{}",
                ["A", "B", "C"][rng.below(3) as usize],
                1 + rng.below(4)
            );
            let _ = desk
                .call(
                    http,
                    "place_samples",
                    json!({"box_id": boxes[rng.below(2) as usize], "tubes": [{"sample_id": tube, "position": position}], "source": "scan", "receive": true}),
                )
                .await;
        }
        _ => {
            let _ = desk.call(http, "sync_now", json!({})).await;
        }
    }
}

async fn check(hub_dir: &Path, desks: &[Desk], acknowledged: &Acknowledged) {
    use aliquot_domain::SystemClock;
    use sqlx::Row;
    // Opening checks integrity (PRAGMA integrity_check) and the audit anchor.
    let hub = aliquot_hub::Hub::open(hub_dir, Arc::new(SystemClock))
        .await
        .expect("the hub's database opens and passes integrity_check");
    let pool = hub.store().pool();
    // Nothing acknowledged is lost, nothing doubled.
    let samples: HashSet<String> = sqlx::query_scalar("SELECT id FROM samples")
        .fetch_all(pool)
        .await
        .unwrap()
        .into_iter()
        .collect();
    for tube in &acknowledged.tubes {
        assert!(
            samples.contains(tube),
            "acknowledged tube {tube} is not on the hub"
        );
    }
    let participants: HashSet<String> = sqlx::query_scalar("SELECT id FROM participants")
        .fetch_all(pool)
        .await
        .unwrap()
        .into_iter()
        .collect();
    for p in &acknowledged.participants {
        assert!(
            participants.contains(p),
            "acknowledged participant {p} is not on the hub"
        );
    }
    let one = |sql: &'static str| async move {
        sqlx::query(sql)
            .fetch_one(pool)
            .await
            .unwrap()
            .get::<i64, _>(0)
    };
    assert_eq!(
        one("SELECT COUNT(*) - COUNT(DISTINCT code) FROM samples").await,
        0,
        "I1"
    );
    assert_eq!(
        one("SELECT COUNT(*) FROM boxes b WHERE occupied != (SELECT COUNT(*) FROM placements p WHERE p.box_id = b.id)").await,
        0,
        "box counts"
    );
    assert_eq!(
        one("SELECT COUNT(*) FROM sample_status_history h WHERE NOT EXISTS (SELECT 1 FROM hub_claims c WHERE c.command_id = h.command_id AND json_extract(c.outcome, '$.status') = 'applied')").await,
        0,
        "I4"
    );
    assert_eq!(
        one("SELECT COUNT(*) FROM hub_devices d WHERE d.last_seq != (SELECT COUNT(*) FROM hub_claims c WHERE c.device_id = d.device_id)").await,
        0,
        "I5"
    );
    assert_eq!(
        one("SELECT COUNT(*) FROM (SELECT 1 FROM placements WHERE position IS NOT NULL GROUP BY box_id, position HAVING COUNT(*) > 1)").await,
        0,
        "I2"
    );
    // I11: blocks of one numbering never overlap, whoever holds them.
    assert_eq!(
        one(
            "SELECT COUNT(*) FROM number_blocks a JOIN number_blocks b ON a.id < b.id
             AND (a.kind = 'participant') = (b.kind = 'participant')
             AND (a.kind = 'participant' OR a.prefix = b.prefix)
             AND a.first_value <= b.last_value AND b.first_value <= a.last_value"
        )
        .await,
        0,
        "I11"
    );
    let statuses_match = one(
        "SELECT COUNT(*) FROM samples s WHERE s.status != (SELECT to_status FROM sample_status_history h WHERE h.sample_id = s.id ORDER BY seq DESC LIMIT 1)",
    )
    .await;
    assert_eq!(statuses_match, 0, "I3");
    let hub_digests = hub.store().lab_digests().await.unwrap();
    hub.close().await;
    for desk in desks {
        let store = aliquot_store::Store::open(&desk.dir, Arc::new(SystemClock))
            .await
            .expect("the workstation's database opens and passes integrity_check");
        let counts = store.outbox_counts().await.unwrap();
        assert_eq!(
            (counts.pending, counts.held),
            (0, 0),
            "I6: every command decided"
        );
        assert_eq!(
            store.sync_issues(Default::default()).await.unwrap().total as i64,
            counts.rejected,
            "I6: every refusal listed"
        );
        assert_eq!(store.lab_digests().await.unwrap(), hub_digests, "I8");
        store.close().await;
    }
}

/// A failing test leaves no process behind.
impl Drop for Desk {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for HubProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Loads `participants` participants of one site into a stopped hub's file, inside one hub
/// change, as many commands would have made them (setup: making them by commands takes
/// minutes in a debug build).
async fn bulk_participants(hub_dir: &Path, participants: i64) {
    let options = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(hub_dir.join("aliquot.db"))
        .foreign_keys(true);
    let pool = sqlx::sqlite::SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(options)
        .await
        .unwrap();
    let mut tx = pool.begin().await.unwrap();
    let at = "2026-12-01T09:00:00.000000Z";
    for sql in [
        "UPDATE hub_counter SET value = value + 1, open = 1",
        "INSERT INTO sites (id, code, name, participant_range_start, participant_range_end, created_at, updated_at)
         VALUES ('bulk-site', 'BULK', 'Bulk clinic', 1, 9999999, ?1, ?1)",
    ] {
        sqlx::query(sql).bind(at).execute(&mut *tx).await.unwrap();
    }
    sqlx::query(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?1)
         INSERT INTO participants (id, site_id, number, code, external_id, consent, consent_date, created_at, created_by, updated_at)
         SELECT printf('bulk-p-%09d', i), 'bulk-site', 5000000 + i, printf('PB%09d', i), NULL, 'given', '2026-01-01', ?2, 'bulk', ?2 FROM n",
    )
    .bind(participants)
    .bind(at)
    .execute(&mut *tx)
    .await
    .unwrap();
    sqlx::query("UPDATE hub_counter SET open = 0")
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    pool.close().await;
}

/// A new workstation killed while it copies the lab from the hub starts the copy again
/// when it is started again, by itself, and ends with the whole lab, verified: the digests
/// of every lab table equal the hub's, `integrity_check` is ok, and the hub's people sign
/// in. Meanwhile it says how far the copy is, and refuses to make a lab of its own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_workstation_killed_while_it_joins_copies_the_lab_whole_when_restarted() {
    let (work, ui, http) = scratch(Duration::from_secs(120));
    let hub_dir = work.path().join("hub");
    HubProcess::init(&hub_dir).await;
    bulk_participants(&hub_dir, 150_000).await;
    let hub = HubProcess::start(&hub_dir, 0).await;
    let hub_url = format!("http://{}", hub.addr);

    let dir = work.path().join("joining");
    let mut desk = Desk::start(&dir, &ui).await;
    let code = hub.enroll("Late desk");
    // Connecting copies the lab; it is killed once the copy is under way.
    let connecting = {
        let (http, base) = (http.clone(), desk.base.clone());
        tokio::spawn(async move {
            http.post(format!("{base}/api/connect_hub"))
                .json(&json!({"url": hub_url, "code": code, "fingerprint": ""}))
                .send()
                .await
        })
    };
    let mut seen = None;
    for _ in 0..600 {
        let status = desk.call(&http, "setup_status", json!({})).await.unwrap();
        let joining = &status["joining"];
        if joining["copied_rows"].as_i64().unwrap_or(0) > 0 {
            assert_eq!(status["needs_first_admin"], false);
            seen = Some(joining.clone());
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let Some(seen) = seen else {
        let last = desk.call(&http, "setup_status", json!({})).await;
        let connected = connecting.await.unwrap().unwrap().text().await.unwrap();
        panic!("the copy was never seen under way: {last:?}; connect_hub answered {connected}");
    };
    let total = seen["total_rows"].as_i64().unwrap();
    assert!(seen["copied_rows"].as_i64().unwrap() < total, "{seen}");
    assert!(total > 150_000, "{seen}");
    // A lab of its own is refused while it joins.
    let refused = desk
        .call(
            &http,
            "create_first_admin",
            json!({"username": "local", "display_name": "Local", "password": "a local admin passphrase"}),
        )
        .await
        .unwrap_err();
    assert!(refused.contains("joining the lab's hub"), "{refused}");
    desk.restart().await;
    let _ = connecting.await;

    // Started again, it says it is joining, and the copy completes by itself.
    let mut done = false;
    for _ in 0..1200 {
        let status = desk.call(&http, "setup_status", json!({})).await.unwrap();
        if status["joining"].is_null() {
            assert_eq!(status["needs_first_admin"], false);
            done = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(done, "the copy did not complete after the restart");
    desk.login(&http, "hubadmin").await;
    // A last round, so what the hub leased this desk meanwhile is here too.
    desk.call(&http, "sync_now", json!({})).await.unwrap();
    let _ = desk.child.kill();
    let _ = desk.child.wait();
    let store = aliquot_store::Store::open(&dir, Arc::new(aliquot_domain::SystemClock))
        .await
        .unwrap();
    let ok: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(ok, "ok");
    let mut hub = hub;
    let _ = hub.child.kill();
    let _ = hub.child.wait();
    let hub = aliquot_hub::Hub::open(&hub_dir, Arc::new(aliquot_domain::SystemClock))
        .await
        .unwrap();
    assert_eq!(
        store.lab_digests().await.unwrap(),
        hub.store().lab_digests().await.unwrap()
    );
}
