use aliquot_api::dto::LoginArgs;
use aliquot_api::sync::{ConnectHubArgs, HubCertificateArgs};
use aliquot_api::Api;
use aliquot_domain::{Actor, Command, Role, SystemClock};
use aliquot_hub::{tls, Hub};
use aliquot_store::Store;
use std::sync::Arc;
use uuid::Uuid;

pub const PASSWORD: &str = "correct horse battery";

pub struct RunningHub {
    pub _dir: tempfile::TempDir,
    pub hub: Hub,
    pub url: String,
    pub fingerprint: String,
    pub admin: Actor,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl RunningHub {
    /// A hub with its first administrator, served over HTTPS on a free loopback port.
    pub async fn start() -> RunningHub {
        let dir = tempfile::tempdir().unwrap();
        let hub = crate::backend::open_hub(dir.path()).await;
        RunningHub::with_first_admin(dir, hub).await
    }

    /// [`RunningHub::start`] with the record in the PostgreSQL database at `url`, opened
    /// with `settings`.
    pub async fn start_on_postgres(url: &str, settings: &aliquot_hub::PgSettings) -> RunningHub {
        let dir = tempfile::tempdir().unwrap();
        let hub = Hub::open_postgres(dir.path(), url, settings, Arc::new(SystemClock))
            .await
            .unwrap();
        RunningHub::with_first_admin(dir, hub).await
    }

    async fn with_first_admin(dir: tempfile::TempDir, hub: Hub) -> RunningHub {
        let admin = Actor {
            user_id: Uuid::now_v7(),
            username: "hubadmin".into(),
            role: Role::Admin,
        };
        hub.execute(
            &Actor::system(),
            Command::CreateFirstAdmin {
                user_id: admin.user_id,
                username: admin.username.clone(),
                display_name: "Hub admin".into(),
                password_hash: aliquot_store::hash_password(PASSWORD).unwrap(),
            },
        )
        .await
        .unwrap();
        RunningHub::serving(dir, hub, admin).await
    }

    /// A hub on SQLite (whichever backend the run tests) with the demo lab made as its own
    /// commands; `admin` is the demo administrator.
    pub async fn start_with_demo_lab(size: aliquot_store::seed::DemoSize) -> RunningHub {
        let dir = tempfile::tempdir().unwrap();
        let hub = crate::backend::open_hub_on(dir.path(), None).await;
        hub.demo_lab(size).await.unwrap();
        let admin = hub.store().user_by_name("admin").await.unwrap().unwrap();
        let admin = Actor {
            user_id: admin.id,
            username: admin.username,
            role: admin.role,
        };
        RunningHub::serving(dir, hub, admin).await
    }

    /// `hub` served over HTTPS on a free loopback port.
    async fn serving(dir: tempfile::TempDir, hub: Hub, admin: Actor) -> RunningHub {
        let fingerprint = tls::ensure_certificate(dir.path(), &[]).unwrap();
        let mut running = RunningHub {
            _dir: dir,
            hub,
            url: String::new(),
            fingerprint,
            admin,
            stop: None,
            task: None,
        };
        running.serve("127.0.0.1:0".parse().unwrap()).await;
        running
    }

    async fn serve(&mut self, listen: std::net::SocketAddr) {
        let config = tls::server_config(self.hub.data_dir()).unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
        let hub = self.hub.clone();
        let task = tokio::spawn(async move {
            aliquot_hub::http::serve(
                hub,
                listen,
                Some(config),
                move |addr, _| {
                    let _ = ready_tx.send(addr);
                },
                async move {
                    let _ = stopped.await;
                },
            )
            .await
            .unwrap();
        });
        let addr = ready_rx.await.unwrap();
        self.url = format!("https://127.0.0.1:{}", addr.port());
        self.stop = Some(stop);
        self.task = Some(task);
    }

    /// The network goes away: the hub stops answering (its data stays).
    pub async fn go_offline(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.abort();
            let _ = task.await;
        }
    }

    /// The network comes back, at the same address.
    pub async fn come_back(&mut self) {
        let port: u16 = self.url.rsplit(':').next().unwrap().parse().unwrap();
        self.serve(std::net::SocketAddr::from(([127, 0, 0, 1], port)))
            .await;
    }

    /// The operator's move of a running hub: it stops answering, its record is copied into
    /// the empty PostgreSQL database at `url`, and the same data directory is opened on it
    /// and served again at the same address.
    pub async fn move_to_postgres(&mut self, url: &str) -> aliquot_hub::pg::ImportedRecord {
        self.go_offline().await;
        let moved = self.hub.move_record_to_postgres(url).await.unwrap();
        self.hub.close().await;
        self.hub = crate::backend::open_hub_on(self._dir.path(), Some(url)).await;
        self.come_back().await;
        moved
    }

    pub async fn user(&self, name: &str, role: Role) -> Actor {
        let actor = Actor {
            user_id: Uuid::now_v7(),
            username: name.into(),
            role,
        };
        self.hub
            .execute(
                &self.admin,
                Command::CreateUser {
                    user_id: actor.user_id,
                    username: name.into(),
                    display_name: name.into(),
                    role,
                    password_hash: aliquot_store::hash_password(PASSWORD).unwrap(),
                },
            )
            .await
            .unwrap();
        actor
    }
}

pub struct Workstation {
    pub _dir: tempfile::TempDir,
    pub api: Api,
}

impl Workstation {
    /// A fresh workstation enrolled with `hub` as `name`, with the lab pulled.
    pub async fn enrolled(hub: &RunningHub, name: &str) -> Workstation {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), Arc::new(SystemClock))
            .await
            .unwrap();
        let api = Api::new(store);
        let seen = api
            .hub_certificate(
                None,
                HubCertificateArgs {
                    url: hub.url.clone(),
                },
            )
            .await
            .unwrap();
        assert_eq!(seen.fingerprint, hub.fingerprint);
        let code = hub
            .hub
            .enroll(name, chrono::Duration::minutes(5))
            .await
            .unwrap()
            .code;
        let status = api
            .connect_hub(
                None,
                ConnectHubArgs {
                    url: hub.url.clone(),
                    code,
                    fingerprint: seen.fingerprint,
                },
            )
            .await
            .unwrap();
        assert!(status.connected);
        assert_eq!(status.device_name.as_deref(), Some(name));
        let ws = Workstation { _dir: dir, api };
        ws.sync().await;
        ws
    }

    pub fn store(&self) -> &Store {
        self.api.store()
    }

    pub fn device_id(&self) -> String {
        self.store().device_id().to_owned()
    }

    pub async fn sync(&self) -> aliquot_api::sync::SyncRound {
        self.api.sync_round().await.unwrap()
    }

    pub async fn login(&self, username: &str) -> Result<String, aliquot_api::ApiError> {
        self.api
            .login(
                None,
                LoginArgs {
                    username: username.into(),
                    password: PASSWORD.into(),
                },
            )
            .await
            .map(|s| s.token)
    }
}

/// Every lab table of `store` equals the hub's (I8).
pub async fn assert_converged(hub: &Hub, store: &Store) {
    assert_eq!(
        store.lab_digests().await.unwrap(),
        hub.store().lab_digests().await.unwrap()
    );
}
