//! Real processes: an `aliquot-hub` and two `aliquot serve` workstations, each with a fake
//! Zebra of its own, the network between them an in-process fault proxy (drop, delay, reset
//! mid-body, a request sent twice, the answer lost after the hub committed), and kill -9 of
//! a workstation or of the hub at random points (inside a command, mid-sync, as a label job
//! reaches the printer, right after the hub took a push, at a random moment), each restarted
//! on its data, the desk clerk then settling the print jobs held in doubt. Work goes on
//! throughout: registering kits with their labels, placing tubes in shared boxes, syncing.
//! At the end the network heals and every process syncs: nothing acknowledged is lost or
//! doubled, every database passes `integrity_check`, I1–I6, I8, I9 and I11 hold (I7 and I10
//! are the simulation's), every workstation equals the hub, every acknowledged tube has its
//! label and none is on two unless a person chose to print it again.
//!
//! This is the sync soak: CI runs it with ALIQUOT_KILLS=24 (the default); `scripts/sync-soak`
//! runs 200. ALIQUOT_PROCESS_SEED sets the seed. Under `scripts/with-postgres` the hub is
//! two `aliquot-hub` processes on one PostgreSQL database, the proxy sending each request
//! to either at random, and a kill of the hub kills one of them.
//! Needs `target/debug/aliquot` (built by `cargo test --workspace`).

#[path = "support/backend.rs"]
mod backend;

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
    /// The hub's processes; each request goes to one of them at random.
    upstream: Arc<Mutex<Vec<std::net::SocketAddr>>>,
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
    async fn start(upstream: Vec<std::net::SocketAddr>, rng: Arc<Rng>) -> Proxy {
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
                        let to = {
                            let hubs = upstream.lock().unwrap();
                            hubs[rng.below(hubs.len() as u64) as usize]
                        };
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

// ───────────────────────────── the label printers ─────────────────────────────

/// What a healthy Zebra answers to `~HS`.
const HEALTHY_HOST_STATUS: &[u8] = b"\x02030,0,0,1245,000,0,0,0,000,0,0,0\x03\r\n\x02000,0,0,0,0,2,4,0,00000000,1,000\x03\r\n\x021234,0\x03\r\n";

/// One desk's Zebra on 127.0.0.1, up across the desk's restarts: answers every `~HS`
/// healthy and keeps everything else it receives.
struct FakeZebra {
    port: u16,
    received: Arc<Mutex<Vec<u8>>>,
    /// Bumped whenever a job's bytes arrive (to kill the desk as a job reaches the printer).
    arrivals: tokio::sync::watch::Sender<u64>,
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

impl FakeZebra {
    async fn start() -> FakeZebra {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let received = Arc::new(Mutex::new(Vec::new()));
        let arrivals = tokio::sync::watch::channel(0u64).0;
        let (kept, told) = (received.clone(), arrivals.clone());
        tokio::spawn(async move {
            loop {
                let Ok((mut socket, _)) = listener.accept().await else {
                    continue;
                };
                let (kept, told) = (kept.clone(), told.clone());
                tokio::spawn(async move {
                    // Bytes that may still be the start of a `~HS` split across reads.
                    let mut pending = Vec::new();
                    let mut chunk = [0u8; 4096];
                    loop {
                        let n = match socket.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => n,
                        };
                        pending.extend_from_slice(&chunk[..n]);
                        let mut asked = 0;
                        let mut label_bytes = 0;
                        while let Some(at) = find(&pending, b"~HS") {
                            label_bytes += at;
                            kept.lock().unwrap().extend_from_slice(&pending[..at]);
                            pending.drain(..at + 3);
                            asked += 1;
                        }
                        let tail = (1..=2)
                            .rev()
                            .find(|&k| {
                                pending.len() >= k
                                    && b"~HS".starts_with(&pending[pending.len() - k..])
                            })
                            .unwrap_or(0);
                        let cut = pending.len() - tail;
                        label_bytes += cut;
                        kept.lock().unwrap().extend_from_slice(&pending[..cut]);
                        pending.drain(..cut);
                        // Told only when a job's bytes arrive, not a status question.
                        if label_bytes > 0 {
                            told.send_modify(|n| *n += 1);
                        }
                        for _ in 0..asked {
                            if socket.write_all(HEALTHY_HOST_STATUS).await.is_err() {
                                return;
                            }
                        }
                    }
                });
            }
        });
        FakeZebra {
            port,
            received,
            arrivals,
        }
    }

    /// How many complete `^XA…^XZ` labels carry each word of their field data (a label cut
    /// short, then a new `^XA`, is discarded, as a printer does).
    fn label_counts(&self) -> std::collections::HashMap<String, usize> {
        let text: String = self
            .received
            .lock()
            .unwrap()
            .iter()
            .map(|&b| b as char)
            .collect();
        let mut counts = std::collections::HashMap::new();
        let mut rest = text.as_str();
        while let Some(start) = rest.find("^XA") {
            let after = &rest[start + 3..];
            let end = after.find("^XZ");
            let next = after.find("^XA");
            match (end, next) {
                (Some(end), next) if next.is_none_or(|n| end < n) => {
                    let mut words = HashSet::new();
                    let mut fields = &after[..end];
                    while let Some(fd) = fields.find("^FD") {
                        let data = &fields[fd + 3..];
                        let fs = data.find("^FS").unwrap_or(data.len());
                        words.extend(
                            data[..fs]
                                .split(|c: char| !c.is_ascii_alphanumeric())
                                .filter(|w| !w.is_empty())
                                .map(str::to_owned),
                        );
                        fields = &data[fs..];
                    }
                    for word in words {
                        *counts.entry(word).or_insert(0) += 1;
                    }
                    rest = &after[end + 3..];
                }
                (_, Some(next)) => rest = &after[next..],
                _ => break,
            }
        }
        counts
    }
}

/// What the soak saw of printing.
#[derive(Default, Debug)]
struct PrintTally {
    held_in_doubt: u64,
    confirmed_printed: u64,
    printed_again: u64,
    partly_arrived: u64,
    owed_kits_printed: u64,
}

/// Every item of a paged operation.
async fn all_pages(desk: &Desk, http: &reqwest::Client, op: &str) -> Vec<Value> {
    let mut items = Vec::new();
    for page in 1.. {
        let answer = desk
            .call(http, op, json!({"page": page, "per_page": 200}))
            .await
            .unwrap();
        items.extend(answer["items"].as_array().unwrap().iter().cloned());
        if page >= answer["total_pages"].as_u64().unwrap() {
            break;
        }
    }
    items
}

/// The desk clerk after a restart: settles the jobs a crash held in doubt by looking at the
/// printer (confirmed when every label arrived, printed again otherwise) and prints the
/// kits listed as owed labels. Codes printed again after a partial arrival may show twice.
async fn clerk(
    desk: &Desk,
    zebra: &FakeZebra,
    http: &reqwest::Client,
    printed_twice_by_choice: &mut HashSet<String>,
    tally: &mut PrintTally,
) {
    // Jobs caught "sent" are held when the print worker starts; give it a moment.
    let mut jobs = all_pages(desk, http, "list_print_jobs").await;
    for _ in 0..30 {
        if !jobs
            .iter()
            .any(|j| j["state"] == "sent" && j["in_doubt_since"].is_null())
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        jobs = all_pages(desk, http, "list_print_jobs").await;
    }
    let counts = zebra.label_counts();
    for job in jobs
        .iter()
        .filter(|j| j["state"] == "sent" && !j["in_doubt_since"].is_null())
    {
        tally.held_in_doubt += 1;
        let mut codes = Vec::new();
        for id in job["records"].as_array().unwrap() {
            let detail = desk
                .call(http, "get_sample", json!({"id": id}))
                .await
                .unwrap();
            codes.push(detail["sample"]["code"].as_str().unwrap().to_owned());
        }
        let arrived: Vec<&String> = codes.iter().filter(|c| counts.contains_key(*c)).collect();
        let printed = arrived.len() == codes.len();
        if !printed {
            tally.partly_arrived += u64::from(!arrived.is_empty());
            printed_twice_by_choice.extend(arrived.into_iter().cloned());
        }
        let args = if printed {
            json!({"job_id": job["id"], "printed": true})
        } else {
            json!({"job_id": job["id"], "printed": false, "reason": "soak: labels did not arrive"})
        };
        desk.call(http, "settle_print_job", args).await.unwrap();
        if printed {
            tally.confirmed_printed += 1;
        } else {
            tally.printed_again += 1;
        }
    }
    for kit in all_pages(desk, http, "list_unprinted_kits").await {
        desk.call(
            http,
            "print_labels",
            json!({"labels": {"group": "kit", "registration_id": kit["registration_id"]}}),
        )
        .await
        .unwrap();
        tally.owed_kits_printed += 1;
    }
}

/// At the end: the queue empties, every acknowledged kit's tubes have a label at the desk
/// that registered them, and no code is on two labels unless a person chose to print it
/// again.
async fn final_print_check(
    desk: &Desk,
    zebra: &FakeZebra,
    http: &reqwest::Client,
    owed: &[String],
    printed_twice_by_choice: &HashSet<String>,
) {
    let mut jobs = all_pages(desk, http, "list_print_jobs").await;
    for _ in 0..240 {
        if !jobs
            .iter()
            .any(|j| j["state"] == "queued" || j["state"] == "sent")
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
        jobs = all_pages(desk, http, "list_print_jobs").await;
    }
    let open: Vec<&Value> = jobs.iter().filter(|j| j["state"] != "done").collect();
    assert!(
        open.is_empty(),
        "print jobs not printed at the end: {open:?}"
    );
    let counts = zebra.label_counts();
    let unlabelled: Vec<&String> = owed.iter().filter(|c| !counts.contains_key(*c)).collect();
    assert!(
        unlabelled.is_empty(),
        "acknowledged tubes with no label: {unlabelled:?}"
    );
    let twice: Vec<(&String, &usize)> = owed
        .iter()
        .filter_map(|c| counts.get_key_value(c))
        .filter(|(c, n)| **n > 1 && !printed_twice_by_choice.contains(*c))
        .collect();
    assert!(twice.is_empty(), "codes on more than one label: {twice:?}");
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
    /// The PostgreSQL database the hub's record is in (none: SQLite in `dir`).
    database: Option<String>,
    child: Child,
    addr: std::net::SocketAddr,
}

/// `aliquot-hub` on `dir`, its record where `database` says.
fn hub_command(dir: &Path, database: Option<&str>) -> std::process::Command {
    let mut command = std::process::Command::new(hub_bin());
    command.arg("--data-dir").arg(dir);
    if let Some(url) = database {
        command.args(["--database", url]);
    }
    command
}

impl HubProcess {
    async fn init(dir: &Path, database: Option<&str>) {
        let mut init = hub_command(dir, database)
            .args(["init", "--admin", "hubadmin"])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        use std::io::Write;
        writeln!(init.stdin.take().unwrap(), "{PASSWORD}").unwrap();
        assert!(init.wait().unwrap().success());
    }

    async fn start(dir: &Path, port: u16, database: Option<&str>) -> HubProcess {
        let mut command: Command = hub_command(dir, database);
        command
            .args(["serve", "--plain-http", "--listen"])
            .arg(format!("127.0.0.1:{port}"));
        let (child, addr) = spawn_listening(command).await;
        HubProcess {
            dir: dir.to_owned(),
            database: database.map(str::to_owned),
            child,
            addr,
        }
    }

    fn enroll(&self, name: &str) -> String {
        let out = hub_command(&self.dir, self.database.as_deref())
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
    /// Per desk, the codes of the tubes it registered with their labels asked for.
    labels_owed: Vec<Vec<String>>,
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

    // On a PostgreSQL run, two hub processes on one database; one hub on SQLite.
    let database = match backend::postgres_server() {
        Some(server) => Some(backend::fresh_database(&server).await),
        None => None,
    };
    let hub_dirs: Vec<PathBuf> = (0..if database.is_some() { 2 } else { 1 })
        .map(|i| work.path().join(format!("hub-{i}")))
        .collect();
    let mut hubs = Vec::new();
    for dir in &hub_dirs {
        if hubs.is_empty() {
            HubProcess::init(dir, database.as_deref()).await;
        }
        hubs.push(HubProcess::start(dir, 0, database.as_deref()).await);
    }
    let hub_ports: Vec<u16> = hubs.iter().map(|h| h.addr.port()).collect();
    let proxy = Proxy::start(hubs.iter().map(|h| h.addr).collect(), rng.clone()).await;
    let hub_url = format!("http://{}", proxy.addr);

    let mut desks = Vec::new();
    for name in ["Desk 1", "Desk 2"] {
        let dir = work.path().join(name.replace(' ', "-"));
        let mut desk = Desk::start(&dir, &ui).await;
        let code = hubs[0].enroll(name);
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
    // Each desk's label printer: a fake Zebra of its own that stays up across restarts.
    let mut zebras = Vec::new();
    for desk in desks.iter_mut() {
        for _ in 0..3 {
            desk.call(&http, "sync_now", json!({})).await.ok();
        }
        desk.login(&http, "manager").await;
        let zebra = FakeZebra::start().await;
        desk.call(
            &http,
            "configure_printer",
            json!({"name": "Desk printer", "address": {"kind": "tcp", "host": "127.0.0.1", "port": zebra.port},
                   "language": "zpl", "dpi": 203, "stock": "cryovial", "darkness": null}),
        )
        .await
        .unwrap();
        // Label routing is the workstation's own setting.
        desk.call(
            &http,
            "change_settings",
            json!({"settings": [{"key": "sample_label_printer", "value": "Desk printer"}], "reason": "soak: labels to this desk's Zebra"}),
        )
        .await
        .unwrap();
        zebras.push(zebra);
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
    let acknowledged = Arc::new(Mutex::new(Acknowledged {
        labels_owed: vec![Vec::new(); desks.len()],
        ..Default::default()
    }));
    let mut push_arrived = proxy.pushes.subscribe();
    let mut printed_twice_by_choice: Vec<HashSet<String>> = vec![HashSet::new(); desks.len()];
    let mut tally = PrintTally::default();
    let mut kill_modes: std::collections::BTreeMap<&str, u64> = Default::default();
    let mut cursors = vec![0i64; desks.len()];
    for kill in 0..kills {
        // Some work at each desk; every answer read whole is acknowledged.
        for (at, desk) in desks.iter().enumerate() {
            for _ in 0..(1 + rng.below(3)) {
                bench_work(
                    desk,
                    at,
                    &http,
                    &rng,
                    &site_id,
                    &kit_id,
                    &boxes,
                    &acknowledged,
                )
                .await;
            }
        }
        let victim = rng.below(3);
        if victim == 2 {
            // Kill the hub: sometimes just after a push reached it (it may have
            // committed and not answered), sometimes at a random moment.
            if rng.below(2) == 0 {
                let _ = tokio::time::timeout(Duration::from_secs(3), push_arrived.recv()).await;
                tokio::time::sleep(Duration::from_millis(rng.below(20))).await;
                *kill_modes.entry("hub, as a push arrived").or_default() += 1;
            } else {
                tokio::time::sleep(Duration::from_millis(rng.below(300))).await;
                *kill_modes.entry("hub, at a random moment").or_default() += 1;
            }
            let which = rng.below(hubs.len() as u64) as usize;
            hubs[which].child.kill().unwrap();
            let _ = hubs[which].child.wait();
            hubs[which] =
                HubProcess::start(&hub_dirs[which], hub_ports[which], database.as_deref()).await;
            proxy.upstream.lock().unwrap()[which] = hubs[which].addr;
        } else {
            let at = victim as usize;
            let desk = &mut desks[at];
            // Mid-command (registering, with labels), mid-sync, or as a print job's bytes
            // reach the printer: a call is sent and the desk dies under it.
            let mode = rng.below(3);
            let (op, body) = match mode {
                1 => ("sync_now", json!({})),
                _ => (
                    "register_kit",
                    json!({"participant_id": acknowledged.lock().unwrap().participants.iter().next().cloned(),
                           "template_id": kit_id, "collector": "Nurse Jo",
                           "collected_at": "2026-01-02T09:00:00Z", "print_labels": true}),
                ),
            };
            let mut printer_seen = zebras[at].arrivals.subscribe();
            printer_seen.mark_unchanged();
            let call = {
                let (http, base, token) = (http.clone(), desk.base.clone(), desk.token.clone());
                tokio::spawn(async move {
                    let _ = http
                        .post(format!("{base}/api/{op}"))
                        .bearer_auth(token.unwrap_or_default())
                        .json(&body)
                        .send()
                        .await;
                })
            };
            let how = if mode == 2 {
                match tokio::time::timeout(Duration::from_secs(3), printer_seen.changed()).await {
                    Ok(_) => "desk, as a label job reached the printer",
                    Err(_) => "desk, registering (no print came)",
                }
            } else {
                tokio::time::sleep(Duration::from_millis(rng.below(40))).await;
                ["desk, mid-command", "desk, mid-sync"][mode as usize]
            };
            *kill_modes.entry(how).or_default() += 1;
            desk.restart().await;
            let _ = call.await;
            clerk(
                desk,
                &zebras[at],
                &http,
                &mut printed_twice_by_choice[at],
                &mut tally,
            )
            .await;
        }
        // I9: a desk's cursor never goes back, across kills of it and of the hub.
        for (at, desk) in desks.iter().enumerate() {
            if let Ok(status) = desk.call(&http, "sync_status", json!({})).await {
                let cursor = status["cursor"].as_i64().unwrap();
                assert!(
                    cursor >= cursors[at],
                    "I9: desk {} went back from cursor {} to {cursor}",
                    at + 1,
                    cursors[at]
                );
                cursors[at] = cursor;
            }
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
    // The print queues drain: every acknowledged tube labelled, none twice unchosen.
    let acknowledged = std::mem::take(&mut *acknowledged.lock().unwrap());
    for (at, desk) in desks.iter().enumerate() {
        clerk(
            desk,
            &zebras[at],
            &http,
            &mut printed_twice_by_choice[at],
            &mut tally,
        )
        .await;
        final_print_check(
            desk,
            &zebras[at],
            &http,
            &acknowledged.labels_owed[at],
            &printed_twice_by_choice[at],
        )
        .await;
    }
    eprintln!("kills: {kill_modes:?}");
    eprintln!("printing: {tally:?}");
    eprintln!(
        "proxy faults (drop, delay, cut, twice, answer lost): {:?}",
        proxy.counts.lock().unwrap()
    );
    for desk in desks.iter_mut() {
        let _ = desk.child.kill();
        let _ = desk.child.wait();
    }
    for hub in hubs.iter_mut() {
        let _ = hub.child.kill();
        let _ = hub.child.wait();
    }

    // Checked with the processes down, on their data.
    eprintln!(
        "acknowledged: {} participants, {} tubes",
        acknowledged.participants.len(),
        acknowledged.tubes.len()
    );
    check(&hub_dirs[0], database.as_deref(), &desks, &acknowledged).await;
}

/// One piece of bench work at `desk`: register a participant and their kit, receive and
/// place a tube in a shared box (the two desks compete for positions), or check one out.
#[allow(clippy::too_many_arguments)]
async fn bench_work(
    desk: &Desk,
    at: usize,
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
                    json!({"participant_id": participant_id, "template_id": kit_id, "collector": "Nurse Jo", "collected_at": "2026-01-02T09:00:00Z", "print_labels": true}),
                )
                .await
            {
                let mut ack = acknowledged.lock().unwrap();
                for tube in kit["samples"].as_array().into_iter().flatten() {
                    ack.tubes.insert(tube["id"].as_str().unwrap().to_owned());
                    ack.labels_owed[at].push(tube["code"].as_str().unwrap().to_owned());
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

async fn check(
    hub_dir: &Path,
    database: Option<&str>,
    desks: &[Desk],
    acknowledged: &Acknowledged,
) {
    use aliquot_domain::SystemClock;
    use sqlx::Row;
    // Opening checks integrity (PRAGMA integrity_check) and the audit anchor; on
    // PostgreSQL it brings this process's copy to the feed's head.
    let hub = backend::open_hub_on(hub_dir, database).await;
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
        backend::status_changes_without_an_applied_command(&hub).await,
        0,
        "I4"
    );
    assert_eq!(
        backend::record_i64(
            &hub,
            "SELECT COUNT(*) FROM hub_devices d WHERE d.last_seq != (SELECT COUNT(*) FROM hub_claims c WHERE c.device_id = d.device_id)",
            None
        )
        .await,
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

/// A new workstation killed while it copies the lab from the hub goes on with the copy
/// where it stopped when it is started again, by itself, and ends with the whole lab,
/// verified: the digests of every lab table equal the hub's, `integrity_check` is ok, and
/// the hub's people sign in. Meanwhile it says how far the copy is, and refuses to make a
/// lab of its own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_workstation_killed_while_it_joins_goes_on_with_the_copy_when_restarted() {
    let (work, ui, http) = scratch(Duration::from_secs(120));
    let hub_dir = work.path().join("hub");
    HubProcess::init(&hub_dir, None).await;
    bulk_participants(&hub_dir, 150_000).await;
    let hub = HubProcess::start(&hub_dir, 0, None).await;
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
    // Killed once some chunks are committed (every 25,000 rows or 2 s).
    let mut seen = None;
    for _ in 0..3000 {
        let status = desk.call(&http, "setup_status", json!({})).await.unwrap();
        let joining = &status["joining"];
        if joining["copied_rows"].as_i64().unwrap_or(0) > 60_000 {
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

    // Started again, it says it is joining, with the rows it kept, and the copy goes on
    // from there by itself.
    let mut kept = None;
    for _ in 0..400 {
        let status = desk.call(&http, "setup_status", json!({})).await.unwrap();
        let joining = &status["joining"];
        assert!(
            !joining.is_null(),
            "the copy ended before it was seen going on"
        );
        if !joining["started_at"].is_null() {
            kept = joining["copied_before"].as_i64();
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let kept = kept.expect("the copy did not go on after the restart");
    assert!(
        kept >= 25_000,
        "rows kept through the kill: {kept}; seen before it: {seen}"
    );
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
