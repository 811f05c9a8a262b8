//! The hub backend a test run holds the hub to: SQLite by default; PostgreSQL when the run
//! is wrapped in `scripts/with-postgres` (its throwaway server in ALIQUOT_TEST_POSTGRES),
//! each hub in a database of its own. The same tests, both backends.
// Each test crate that includes this module uses part of it.
#![allow(dead_code)]

use aliquot_domain::SystemClock;
use aliquot_hub::{Hub, PgSettings};
use sqlx::Connection;
use std::path::Path;
use std::sync::Arc;

/// The throwaway server's address, when this run is the PostgreSQL one.
pub fn postgres_server() -> Option<String> {
    std::env::var("ALIQUOT_TEST_POSTGRES")
        .ok()
        .filter(|url| !url.is_empty())
}

/// A new, empty database on the throwaway server, and its address.
pub async fn fresh_database(server: &str) -> String {
    let name = format!("hub_{}", uuid::Uuid::now_v7().simple());
    let mut admin = sqlx::PgConnection::connect(server)
        .await
        .expect("the throwaway PostgreSQL server answers");
    sqlx::raw_sql(&format!("CREATE DATABASE {name}"))
        .execute(&mut admin)
        .await
        .unwrap();
    admin.close().await.unwrap();
    let (base, _) = server.rsplit_once('/').unwrap();
    format!("{base}/{name}")
}

/// A hub in `dir` on this run's backend.
pub async fn open_hub(dir: &Path) -> Hub {
    match postgres_server() {
        Some(server) => {
            let url = fresh_database(&server).await;
            open_hub_on(dir, Some(&url)).await
        }
        None => open_hub_on(dir, None).await,
    }
}

/// A hub in `dir` with its record at `database` (a second process of one hub, when the
/// address is another's).
pub async fn open_hub_on(dir: &Path, database: Option<&str>) -> Hub {
    match database {
        Some(url) => {
            let settings = PgSettings {
                max_connections: 4,
                ..PgSettings::default()
            };
            Hub::open_postgres(dir, url, &settings, Arc::new(SystemClock))
                .await
                .unwrap()
        }
        None => Hub::open(dir, Arc::new(SystemClock)).await.unwrap(),
    }
}

/// One whole number from the hub's record, whichever backend holds it: `sql` is written
/// once, with `$1`-style parameters, in the SQL both accept.
pub async fn record_i64(hub: &Hub, sql: &str, text_param: Option<&str>) -> i64 {
    match hub.postgres() {
        Some(pool) => {
            let mut q = sqlx::query_scalar::<_, i64>(sql);
            if let Some(p) = text_param {
                q = q.bind(p.to_owned());
            }
            q.fetch_one(pool).await.unwrap()
        }
        None => {
            let mut q = sqlx::query_scalar::<_, i64>(sql);
            if let Some(p) = text_param {
                q = q.bind(p.to_owned());
            }
            q.fetch_one(hub.store().pool()).await.unwrap()
        }
    }
}

/// Text values from the hub's record (see [`record_i64`]).
pub async fn record_texts(hub: &Hub, sql: &str) -> Vec<String> {
    match hub.postgres() {
        Some(pool) => sqlx::query_scalar::<_, String>(sql)
            .fetch_all(pool)
            .await
            .unwrap(),
        None => sqlx::query_scalar::<_, String>(sql)
            .fetch_all(hub.store().pool())
            .await
            .unwrap(),
    }
}

/// The hub as `processes` processes on one PostgreSQL database (each with its own copy of
/// the lab), or as the one SQLite hub on a SQLite run.
pub async fn open_hub_processes(processes: usize) -> (Vec<tempfile::TempDir>, Vec<Hub>) {
    let first = tempfile::tempdir().unwrap();
    match postgres_server() {
        Some(server) => {
            let url = fresh_database(&server).await;
            let mut dirs = vec![first];
            let mut hubs = vec![open_hub_on(dirs[0].path(), Some(&url)).await];
            for _ in 1..processes {
                let dir = tempfile::tempdir().unwrap();
                hubs.push(open_hub_on(dir.path(), Some(&url)).await);
                dirs.push(dir);
            }
            (dirs, hubs)
        }
        None => {
            let hub = open_hub_on(first.path(), None).await;
            (vec![first], vec![hub])
        }
    }
}

/// A PostgreSQL server of a test's own (initdb and pg_ctl in a temporary folder, as the
/// postgres user when the test runs as root), for a test that stops and starts it. Stopped
/// and removed when dropped.
pub struct ThrowawayServer {
    root: tempfile::TempDir,
    bin: std::path::PathBuf,
    port: u16,
    as_postgres: bool,
    /// fsync on, as a lab's server runs (for figures); off for tests.
    durable: bool,
}

impl ThrowawayServer {
    pub fn start() -> ThrowawayServer {
        Self::start_with(false)
    }

    /// A server that syncs its commits to disk, as a lab's would: for benchmarks.
    pub fn start_durable() -> ThrowawayServer {
        Self::start_with(true)
    }

    /// A server that speaks TLS with `cert` and `key` (PEM), as a lab's database on another
    /// machine would (plain connections are still accepted; the client asks for TLS).
    pub fn start_tls(cert: &str, key: &str) -> ThrowawayServer {
        let server = Self::initialised(false);
        let data = server.data();
        std::fs::write(data.join("server.crt"), cert).unwrap();
        std::fs::write(data.join("server.key"), key).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(
            data.join("server.key"),
            std::fs::Permissions::from_mode(0o600),
        )
        .unwrap();
        if server.as_postgres {
            let status = std::process::Command::new("chown")
                .arg("postgres:")
                .arg(data.join("server.crt"))
                .arg(data.join("server.key"))
                .status()
                .unwrap();
            assert!(status.success());
        }
        let mut conf = std::fs::OpenOptions::new()
            .append(true)
            .open(data.join("postgresql.conf"))
            .unwrap();
        use std::io::Write;
        writeln!(
            conf,
            "ssl = on\nssl_cert_file = 'server.crt'\nssl_key_file = 'server.key'"
        )
        .unwrap();
        server.resume();
        server
    }

    fn start_with(durable: bool) -> ThrowawayServer {
        let server = Self::initialised(durable);
        server.resume();
        server
    }

    /// A server initialised in its temporary folder, not yet started.
    fn initialised(durable: bool) -> ThrowawayServer {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .expect("PostgreSQL is installed (apt-get install postgresql)")
            .filter_map(|e| e.ok())
            .map(|e| e.path().join("bin"))
            .filter(|b| b.join("initdb").exists())
            .max()
            .expect("a PostgreSQL with initdb");
        let root = tempfile::Builder::new()
            .prefix("aliquot-pg")
            .tempdir_in("/tmp")
            .unwrap();
        let whoami = std::process::Command::new("id").arg("-u").output().unwrap();
        let as_postgres = String::from_utf8_lossy(&whoami.stdout).trim() == "0";
        if as_postgres {
            let status = std::process::Command::new("chown")
                .arg("postgres:")
                .arg(root.path())
                .status()
                .unwrap();
            assert!(status.success());
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let server = ThrowawayServer {
            root,
            bin,
            port,
            as_postgres,
            durable,
        };
        let data = server.data();
        let out = server
            .command("initdb")
            .arg("-D")
            .arg(&data)
            .args([
                "-U",
                "aliquot",
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
            ])
            .output()
            .unwrap();
        assert!(out.status.success(), "initdb: {out:?}");
        server
    }

    fn data(&self) -> std::path::PathBuf {
        self.root.path().join("data")
    }

    fn command(&self, program: &str) -> std::process::Command {
        let program = self.bin.join(program);
        if self.as_postgres {
            let mut c = std::process::Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(program);
            c
        } else {
            std::process::Command::new(program)
        }
    }

    /// Starts the server (again), waiting until it accepts connections.
    pub fn resume(&self) {
        let out = self
            .command("pg_ctl")
            .arg("-D")
            .arg(self.data())
            .arg("-l")
            .arg(self.root.path().join("server.log"))
            .args(["-w", "-t", "60", "-o"])
            .arg(format!(
                "-c listen_addresses=127.0.0.1 -p {} -k {} -c max_connections=200 -c fsync={}",
                self.port,
                self.root.path().display(),
                if self.durable { "on" } else { "off" }
            ))
            .arg("start")
            .output()
            .unwrap();
        assert!(out.status.success(), "pg_ctl start: {out:?}");
    }

    /// Kills the server as a power cut would (`immediate`: no checkpoint, every connection
    /// cut mid-statement).
    pub fn kill(&self) {
        let _ = self
            .command("pg_ctl")
            .arg("-D")
            .arg(self.data())
            .args(["-m", "immediate", "stop"])
            .output();
    }

    pub fn url(&self) -> String {
        format!("postgres://aliquot@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for ThrowawayServer {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A PostgreSQL server for a test that needs one whichever run this is: the run's own
/// (under `scripts/with-postgres`) or one started for the test (kept alive by the guard).
pub async fn some_postgres() -> (Option<ThrowawayServer>, String) {
    match postgres_server() {
        Some(server) => (None, fresh_database(&server).await),
        None => {
            let server = tokio::task::spawn_blocking(ThrowawayServer::start)
                .await
                .unwrap();
            let url = fresh_database(&server.url()).await;
            (Some(server), url)
        }
    }
}

/// I4: the status changes in the hub's lab copy that no command the hub applied made (the
/// lab and the record compared in Rust: on PostgreSQL they are two databases).
pub async fn status_changes_without_an_applied_command(hub: &Hub) -> usize {
    let applied: std::collections::HashSet<String> =
        record_texts(hub, "SELECT command_id || ' ' || outcome FROM hub_claims")
            .await
            .into_iter()
            .filter_map(|line| {
                let (id, outcome) = line.split_once(' ')?;
                let outcome: serde_json::Value = serde_json::from_str(outcome).ok()?;
                (outcome["status"] == "applied").then(|| id.to_owned())
            })
            .collect();
    let history: Vec<Option<String>> =
        sqlx::query_scalar("SELECT command_id FROM sample_status_history")
            .fetch_all(hub.store().pool())
            .await
            .unwrap();
    history
        .iter()
        .filter(|id| id.as_ref().is_none_or(|id| !applied.contains(id)))
        .count()
}

/// A certificate authority of a test's own, such as a lab's IT department runs.
pub struct Authority {
    issuer: rcgen::CertifiedIssuer<'static, rcgen::KeyPair>,
}

impl Authority {
    pub fn new(name: &str) -> Authority {
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, name);
        params.key_usages = vec![
            rcgen::KeyUsagePurpose::KeyCertSign,
            rcgen::KeyUsagePurpose::DigitalSignature,
        ];
        let key = rcgen::KeyPair::generate().unwrap();
        Authority {
            issuer: rcgen::CertifiedIssuer::self_signed(params, key).unwrap(),
        }
    }

    /// The authority's certificate (PEM), for a client to trust.
    pub fn pem(&self) -> String {
        self.issuer.pem()
    }

    /// A server's certificate and key (PEM) for `names`, signed by this authority.
    pub fn server_certificate(&self, names: &[&str]) -> (String, String) {
        let key = rcgen::KeyPair::generate().unwrap();
        let params = rcgen::CertificateParams::new(
            names.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>(),
        )
        .unwrap();
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        (cert.pem(), key.serialize_pem())
    }
}
