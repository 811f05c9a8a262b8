//! The property-based simulation of the design (`shared/design/sync.md`): a hub and three
//! workstations in one process, random bench work (including conflicting work: the same
//! box positions, the same tubes' status, consent withdrawn while a kit is registered
//! elsewhere), random partitions, lost answers and resent requests, random sync orders.
//! After every step I1–I5, I9 and I11 hold on the hub and on every workstation; after the
//! network heals and everyone syncs, I6 and I8 hold: no command lost or undecided, every
//! rejection listed, every workstation equal to the hub.
//!
//! ALIQUOT_SIM_CASES sets the number of cases (default 12; the soak runs hundreds).

#[path = "support/backend.rs"]
mod backend;

use aliquot_api::hub_client::HubCallError;
use aliquot_api::sync::{HubTransport, RoundParts};
use aliquot_api::Api;
use aliquot_domain::command::{NewTube, PlacementSource, TubePlacement};
use aliquot_domain::numbering::{BlockKind, LeasePolicy};
use aliquot_domain::sample::{ConsentStatus, KitItem, SampleStatus, SampleType, VALID_TRANSITIONS};
use aliquot_domain::storage::{BoxLayout, FreezerKind};
use aliquot_domain::{Actor, Command, Role, SystemClock};
use aliquot_hub::{Hub, HubFailure};
use aliquot_store::Store;
use aliquot_sync::{LeaseRequest, LeaseResponse, PullResponse, PushRequest, PushResponse};
use chrono::{Duration, Utc};
use proptest::prelude::*;
use sqlx::Row;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use uuid::Uuid;

const DESKS: usize = 3;

/// The hub reached directly, with the faults a network has. On PostgreSQL the hub is two
/// processes on one database, and each call goes to the next of them, as a load balancer
/// would send it.
struct InProcess {
    hubs: Vec<Hub>,
    turn: std::sync::atomic::AtomicUsize,
    credential: String,
    online: AtomicBool,
    lose_next_answer: AtomicBool,
    duplicate_next: AtomicBool,
}

fn refusal(f: HubFailure) -> HubCallError {
    if f.status >= 500 {
        HubCallError::Unreachable(f.message)
    } else {
        HubCallError::Refused {
            status: f.status,
            code: f.code,
            message: f.message,
        }
    }
}

impl InProcess {
    fn hub(&self) -> &Hub {
        &self.hubs[self.turn.fetch_add(1, Ordering::SeqCst) % self.hubs.len()]
    }

    async fn device(&self) -> Result<aliquot_hub::Device, HubCallError> {
        if !self.online.load(Ordering::SeqCst) {
            return Err(HubCallError::Unreachable("partitioned".into()));
        }
        self.hub()
            .authenticate(&self.credential)
            .await
            .map_err(refusal)
    }
}

impl HubTransport for InProcess {
    async fn push(&self, request: &PushRequest) -> Result<PushResponse, HubCallError> {
        let device = self.device().await?;
        let mut response = self
            .hub()
            .push(&device, request.clone())
            .await
            .map_err(refusal)?;
        if self.duplicate_next.swap(false, Ordering::SeqCst) {
            response = self
                .hub()
                .push(&device, request.clone())
                .await
                .map_err(refusal)?;
        }
        // The hub committed; the answer never reaches the workstation.
        if self.lose_next_answer.swap(false, Ordering::SeqCst) {
            return Err(HubCallError::Unreachable("answer lost".into()));
        }
        Ok(response)
    }
    async fn pull(
        &self,
        cursor: i64,
        limit: i64,
        digests: bool,
    ) -> Result<PullResponse, HubCallError> {
        let device = self.device().await?;
        self.hub()
            .pull(&device, cursor, limit, digests)
            .await
            .map_err(refusal)
    }
    async fn snapshot(
        &self,
        from: Option<&aliquot_sync::SnapshotFrom>,
    ) -> Result<aliquot_api::sync::SnapshotChunks, HubCallError> {
        self.device().await?;
        let lines = self.hub().snapshot(from.cloned());
        Ok(Box::pin(futures_util::stream::unfold(
            lines,
            |mut lines| async move {
                let line = lines.recv().await?;
                Some((line.map(String::into_bytes).map_err(refusal), lines))
            },
        )))
    }
    async fn lease(&self, request: &LeaseRequest) -> Result<LeaseResponse, HubCallError> {
        let device = self.device().await?;
        self.hub()
            .lease(&device, request.clone())
            .await
            .map_err(refusal)
    }
    async fn table(
        &self,
        name: &str,
        page: u32,
    ) -> Result<aliquot_domain::paging::Page<serde_json::Value>, HubCallError> {
        self.device().await?;
        self.hub()
            .table(
                name,
                aliquot_domain::paging::PageRequest {
                    page,
                    per_page: aliquot_domain::paging::MAX_PER_PAGE,
                },
            )
            .await
            .map_err(refusal)
    }
}

#[derive(Debug, Clone)]
enum Step {
    Register {
        desk: usize,
    },
    Receive {
        desk: usize,
        tube: usize,
    },
    Place {
        desk: usize,
        tube: usize,
        storage_box: usize,
        position: usize,
    },
    Process {
        desk: usize,
        tube: usize,
    },
    CheckOut {
        desk: usize,
        tube: usize,
    },
    Withdraw {
        desk: usize,
        participant: usize,
    },
    Sync {
        desk: usize,
    },
    PullOnly {
        desk: usize,
    },
    Offline {
        desk: usize,
    },
    Online {
        desk: usize,
    },
    LoseNextAnswer {
        desk: usize,
    },
    DuplicateNext {
        desk: usize,
    },
}

fn step() -> impl Strategy<Value = Step> {
    let desk = 0..DESKS;
    let any = 0..64usize;
    prop_oneof![
        3 => desk.clone().prop_map(|desk| Step::Register { desk }),
        2 => (desk.clone(), any.clone()).prop_map(|(desk, tube)| Step::Receive { desk, tube }),
        4 => (desk.clone(), any.clone(), 0..2usize, 0..6usize).prop_map(|(desk, tube, storage_box, position)| Step::Place { desk, tube, storage_box, position }),
        2 => (desk.clone(), any.clone()).prop_map(|(desk, tube)| Step::Process { desk, tube }),
        1 => (desk.clone(), any.clone()).prop_map(|(desk, tube)| Step::CheckOut { desk, tube }),
        1 => (desk.clone(), any.clone()).prop_map(|(desk, participant)| Step::Withdraw { desk, participant }),
        4 => desk.clone().prop_map(|desk| Step::Sync { desk }),
        1 => desk.clone().prop_map(|desk| Step::PullOnly { desk }),
        2 => desk.clone().prop_map(|desk| Step::Offline { desk }),
        2 => desk.clone().prop_map(|desk| Step::Online { desk }),
        1 => desk.clone().prop_map(|desk| Step::LoseNextAnswer { desk }),
        1 => desk.prop_map(|desk| Step::DuplicateNext { desk }),
    ]
}

fn password_hash() -> String {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| aliquot_store::hash_password("correct horse battery").unwrap())
        .clone()
}

struct Desk {
    _dir: tempfile::TempDir,
    api: Api,
    link: InProcess,
    last_cursor: i64,
}

struct Sim {
    _dirs: Vec<tempfile::TempDir>,
    /// The first of the hub's processes (the only one on SQLite).
    hub: Hub,
    hubs: Vec<Hub>,
    tech: Actor,
    site: Uuid,
    kit: Uuid,
    boxes: [Uuid; 2],
    desks: Vec<Desk>,
    /// Every tube and participant registered anywhere, in order (a desk that has not
    /// pulled one yet is refused locally, like a technician scanning an unknown tube).
    tubes: Vec<Uuid>,
    participants: Vec<Uuid>,
}

impl Sim {
    async fn new() -> Sim {
        let (dirs, hubs) = backend::open_hub_processes(2).await;
        let hub = hubs[0].clone();
        hub.set_lease_policy(&LeasePolicy {
            sample_prefix: "SIM".into(),
            sample_digits: 6,
            sample_block: 24,
            participant_block: 8,
        })
        .await
        .unwrap();
        let admin = Actor {
            user_id: Uuid::now_v7(),
            username: "admin".into(),
            role: Role::Admin,
        };
        let manager = Actor {
            user_id: Uuid::now_v7(),
            username: "manager".into(),
            role: Role::LabManager,
        };
        let tech = Actor {
            user_id: Uuid::now_v7(),
            username: "tech".into(),
            role: Role::Technician,
        };
        hub.execute(
            &Actor::system(),
            Command::CreateFirstAdmin {
                user_id: admin.user_id,
                username: admin.username.clone(),
                display_name: "Admin".into(),
                password_hash: password_hash(),
            },
        )
        .await
        .unwrap();
        for user in [&manager, &tech] {
            hub.execute(
                &admin,
                Command::CreateUser {
                    user_id: user.user_id,
                    username: user.username.clone(),
                    display_name: user.username.clone(),
                    role: user.role,
                    password_hash: password_hash(),
                },
            )
            .await
            .unwrap();
        }
        let (site, kit, freezer, rack) = (
            Uuid::now_v7(),
            Uuid::now_v7(),
            Uuid::now_v7(),
            Uuid::now_v7(),
        );
        let boxes = [Uuid::now_v7(), Uuid::now_v7()];
        let mut setup = vec![
            Command::CreateSite {
                site_id: site,
                code: "SIM".into(),
                name: "Simulated clinic".into(),
                participant_range_start: 10_000,
                participant_range_end: 19_999,
            },
            Command::CreateKitTemplate {
                template_id: kit,
                name: "Two tubes".into(),
                items: vec![KitItem {
                    sample_type: SampleType::new(SampleType::WHOLE_BLOOD),
                    count: 2,
                    volume_ul: Some(500),
                }],
            },
            Command::CreateFreezer {
                freezer_id: freezer,
                name: "Freezer".into(),
                location: "Room".into(),
                freezer_kind: FreezerKind::UltraLow,
                temperature_c: -80,
            },
            Command::CreateRack {
                rack_id: rack,
                freezer_id: freezer,
                name: "Rack".into(),
            },
        ];
        for (i, id) in boxes.iter().enumerate() {
            setup.push(Command::CreateBox {
                box_id: *id,
                rack_id: rack,
                name: format!("Box {i}"),
                barcode: format!("SIMBOX{i}"),
                box_type: "2x3".into(),
                layout: BoxLayout::Grid {
                    rows: 2,
                    columns: 3,
                },
            });
        }
        for command in setup {
            hub.execute(&manager, command).await.unwrap();
        }
        let mut desks = Vec::new();
        for i in 0..DESKS {
            let dir = tempfile::tempdir().unwrap();
            let store = Store::open(dir.path(), Arc::new(SystemClock))
                .await
                .unwrap();
            let code = hub
                .enroll(&format!("Desk {i}"), Duration::minutes(5))
                .await
                .unwrap()
                .code;
            let enrolled = hub
                .redeem(aliquot_sync::EnrollRequest {
                    protocol: aliquot_sync::PROTOCOL_VERSION,
                    code,
                    device_id: store.device_id().to_owned(),
                })
                .await
                .unwrap();
            store
                .link_hub(
                    "https://hub.sim",
                    &enrolled.hub_id,
                    &enrolled.device_name,
                    &enrolled.credential,
                    "",
                )
                .await
                .unwrap();
            let desk = Desk {
                _dir: dir,
                api: Api::new(store),
                link: InProcess {
                    hubs: hubs.clone(),
                    turn: std::sync::atomic::AtomicUsize::new(i),
                    credential: enrolled.credential,
                    online: AtomicBool::new(true),
                    lose_next_answer: AtomicBool::new(false),
                    duplicate_next: AtomicBool::new(false),
                },
                last_cursor: 0,
            };
            desk.api
                .sync_round_with(&desk.link, RoundParts::All)
                .await
                .unwrap();
            desks.push(desk);
        }
        Sim {
            _dirs: dirs,
            hub,
            hubs,
            tech,
            site,
            kit,
            boxes,
            desks,
            tubes: Vec::new(),
            participants: Vec::new(),
        }
    }

    fn store(&self, desk: usize) -> &Store {
        self.desks[desk].api.store()
    }

    /// A technician's command at a desk: refused by the rules (as at the bench) or kept.
    async fn bench(&self, desk: usize, command: Command) -> bool {
        match self.store(desk).execute(&self.tech, command).await {
            Ok(_) => true,
            Err(aliquot_store::StoreError::Domain(_)) => false,
            Err(other) => panic!("desk {desk}: {other}"),
        }
    }

    /// The `i`-th tube this desk knows (its own, and those it has pulled).
    async fn tube(&self, desk: usize, i: usize) -> Option<Uuid> {
        let known: Vec<String> = sqlx::query_scalar("SELECT id FROM samples ORDER BY id")
            .fetch_all(self.store(desk).pool())
            .await
            .unwrap();
        (!known.is_empty()).then(|| Uuid::parse_str(&known[i % known.len()]).unwrap())
    }

    async fn run(&mut self, step: &Step) {
        match *step {
            Step::Register { desk } => {
                let participant = Uuid::now_v7();
                let registered = self
                    .bench(
                        desk,
                        Command::RegisterParticipant {
                            participant_id: participant,
                            site_id: self.site,
                            number: None,
                            external_id: None,
                            consent: ConsentStatus::Given,
                            consent_date: (Utc::now() - Duration::days(1)).date_naive(),
                            sex: None,
                            birth_year: None,
                        },
                    )
                    .await;
                if !registered {
                    return;
                }
                self.participants.push(participant);
                let tubes = [Uuid::now_v7(), Uuid::now_v7()];
                let kit = Command::RegisterKit {
                    registration_id: Uuid::now_v7(),
                    participant_id: participant,
                    template_id: self.kit,
                    template_version: Some(1),
                    event_id: None,
                    collected_at: Utc::now() - Duration::hours(1),
                    collector: "Sim".into(),
                    tubes: tubes
                        .iter()
                        .map(|id| NewTube {
                            sample_id: *id,
                            code: None,
                        })
                        .collect(),
                };
                if self.bench(desk, kit).await {
                    self.tubes.extend(tubes);
                }
            }
            Step::Receive { desk, tube } => {
                if let Some(tube) = self.tube(desk, tube).await {
                    self.bench(
                        desk,
                        Command::ReceiveSamples {
                            sample_ids: vec![tube],
                        },
                    )
                    .await;
                }
            }
            Step::Place {
                desk,
                tube,
                storage_box,
                position,
            } => {
                if let Some(tube) = self.tube(desk, tube).await {
                    let name = format!("{}{}", ["A", "B"][position / 3], position % 3 + 1);
                    self.bench(
                        desk,
                        Command::PlaceSamples {
                            box_id: self.boxes[storage_box],
                            tubes: vec![TubePlacement {
                                sample_id: tube,
                                position: Some(name),
                            }],
                            source: PlacementSource::Scan,
                            receive: true,
                        },
                    )
                    .await;
                }
            }
            Step::Process { desk, tube } => {
                if let Some(tube) = self.tube(desk, tube).await {
                    if let Ok(s) = self.store(desk).sample(tube).await {
                        self.bench(
                            desk,
                            Command::TransitionSample {
                                sample_id: tube,
                                expected: s.status,
                                to: SampleStatus::Processing,
                                reason: None,
                            },
                        )
                        .await;
                    }
                }
            }
            Step::CheckOut { desk, tube } => {
                if let Some(tube) = self.tube(desk, tube).await {
                    self.bench(
                        desk,
                        Command::CheckOutSamples {
                            sample_ids: vec![tube],
                            reason: "assay".into(),
                        },
                    )
                    .await;
                }
            }
            Step::Withdraw { desk, participant } => {
                let known: Vec<String> =
                    sqlx::query_scalar("SELECT id FROM participants ORDER BY id")
                        .fetch_all(self.store(desk).pool())
                        .await
                        .unwrap();
                if !known.is_empty() {
                    let participant = Uuid::parse_str(&known[participant % known.len()]).unwrap();
                    self.bench(
                        desk,
                        Command::RecordConsent {
                            participant_id: participant,
                            consent: ConsentStatus::Withdrawn,
                            consent_date: Utc::now().date_naive(),
                            reason: "phoned".into(),
                        },
                    )
                    .await;
                }
            }
            Step::Sync { desk } => {
                let d = &self.desks[desk];
                let _ = d.api.sync_round_with(&d.link, RoundParts::All).await;
            }
            Step::PullOnly { desk } => {
                let d = &self.desks[desk];
                let _ = d.api.sync_round_with(&d.link, RoundParts::PullOnly).await;
            }
            Step::Offline { desk } => self.desks[desk].link.online.store(false, Ordering::SeqCst),
            Step::Online { desk } => self.desks[desk].link.online.store(true, Ordering::SeqCst),
            Step::LoseNextAnswer { desk } => self.desks[desk]
                .link
                .lose_next_answer
                .store(true, Ordering::SeqCst),
            Step::DuplicateNext { desk } => self.desks[desk]
                .link
                .duplicate_next
                .store(true, Ordering::SeqCst),
        }
    }

    /// I1, I2, I3 and I11 on one database (the hub's or a workstation's), plus the box
    /// counts that triggers keep.
    async fn check_lab(&self, store: &Store, who: &str) {
        let pool = store.pool();
        let scalar = |sql: &'static str| async move {
            sqlx::query(sql)
                .fetch_one(pool)
                .await
                .unwrap()
                .get::<i64, _>(0)
        };
        // I1
        assert_eq!(
            scalar("SELECT COUNT(*) - COUNT(DISTINCT code) FROM samples").await,
            0,
            "{who}: I1"
        );
        // I2 (the constraints hold it; a rebase that wrote around them would show here)
        assert_eq!(
            scalar("SELECT COUNT(*) FROM (SELECT 1 FROM placements WHERE position IS NOT NULL GROUP BY box_id, position HAVING COUNT(*) > 1)").await,
            0,
            "{who}: I2"
        );
        assert_eq!(
            scalar("SELECT COUNT(*) FROM boxes b WHERE occupied != (SELECT COUNT(*) FROM placements p WHERE p.box_id = b.id)").await,
            0,
            "{who}: box counts"
        );
        // I3: each sample's history is a path of the state machine ending at its status.
        let statuses: HashMap<String, String> = sqlx::query("SELECT id, status FROM samples")
            .fetch_all(pool)
            .await
            .unwrap()
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect();
        let history = sqlx::query(
            "SELECT sample_id, from_status, to_status, via FROM sample_status_history ORDER BY sample_id, seq",
        )
        .fetch_all(pool)
        .await
        .unwrap();
        let mut last: HashMap<String, String> = HashMap::new();
        for row in &history {
            let (sample, from, to, via): (String, Option<String>, String, String) =
                (row.get(0), row.get(1), row.get(2), row.get(3));
            match (&from, last.get(&sample)) {
                (None, None) => {}
                (Some(from), Some(previous)) => {
                    assert_eq!(from, previous, "{who}: I3 history of {sample} is no path");
                    let valid = VALID_TRANSITIONS.iter().any(|(f, t, v)| {
                        f.as_str() == from && t.as_str() == to && v.as_str() == via
                    });
                    assert!(valid, "{who}: I3 {from}→{to} by {via} is no transition");
                }
                other => panic!("{who}: I3 history of {sample} starts wrong: {other:?}"),
            }
            last.insert(sample, to);
        }
        for (sample, status) in &statuses {
            assert_eq!(
                last.get(sample),
                Some(status),
                "{who}: I3 {sample} ends elsewhere"
            );
        }
        // I11: blocks of one numbering never overlap, whoever holds them.
        let blocks: Vec<_> = store
            .number_blocks(
                &Default::default(),
                aliquot_domain::paging::PageRequest {
                    page: 1,
                    per_page: 200,
                },
            )
            .await
            .unwrap()
            .items
            .into_iter()
            .map(|r| r.block)
            .collect();
        for (i, x) in blocks.iter().enumerate() {
            for y in &blocks[i + 1..] {
                let same = (x.kind == BlockKind::Participant) == (y.kind == BlockKind::Participant)
                    && (x.kind == BlockKind::Participant || x.prefix == y.prefix);
                assert!(
                    !same || x.last < y.first || y.last < x.first,
                    "{who}: I11 {x:?} overlaps {y:?}"
                );
            }
        }
    }

    /// Everything that must hold after every step.
    async fn check(&mut self) {
        // Each hub process's copy of the lab, brought to the feed's head, is the lab.
        for hub in &self.hubs {
            hub.catch_up().await.unwrap();
        }
        for (i, hub) in self.hubs.iter().enumerate().skip(1) {
            assert_eq!(
                hub.store().lab_digests().await.unwrap(),
                self.hub.store().lab_digests().await.unwrap(),
                "hub process {i}'s copy differs from the first's"
            );
        }
        self.check_lab(self.hub.store(), "hub").await;
        // I4: every status change on the hub belongs to one command the hub applied.
        assert_eq!(
            backend::status_changes_without_an_applied_command(&self.hub).await,
            0,
            "hub: I4"
        );
        // I5: each device's decided commands are 1..last_seq without a gap.
        let gaps = backend::record_i64(
            &self.hub,
            "SELECT COUNT(*) FROM (SELECT d.device_id FROM hub_devices d
               LEFT JOIN hub_claims c ON c.device_id = d.device_id
               GROUP BY d.device_id, d.last_seq
               HAVING COUNT(c.seq) != COALESCE(MAX(c.seq), 0) OR COALESCE(MAX(c.seq), 0) != d.last_seq) AS g",
            None,
        )
        .await;
        assert_eq!(gaps, 0, "hub: I5");
        for i in 0..self.desks.len() {
            self.check_lab(self.store(i), &format!("desk {i}")).await;
            // I9: the cursor never goes back.
            let cursor = self.store(i).hub_link().await.unwrap().unwrap().cursor;
            assert!(cursor >= self.desks[i].last_cursor, "desk {i}: I9");
            self.desks[i].last_cursor = cursor;
        }
    }

    /// The network heals and everyone syncs until nothing is pending.
    async fn quiesce(&mut self) {
        for d in &self.desks {
            d.link.online.store(true, Ordering::SeqCst);
            d.link.lose_next_answer.store(false, Ordering::SeqCst);
            d.link.duplicate_next.store(false, Ordering::SeqCst);
        }
        for _ in 0..4 {
            for d in &self.desks {
                d.api
                    .sync_round_with(&d.link, RoundParts::All)
                    .await
                    .unwrap();
            }
        }
        // The first hub process's copy holds what the others decided once it catches up.
        self.hub.catch_up().await.unwrap();
        for (i, d) in self.desks.iter().enumerate() {
            let store = d.api.store();
            let counts = store.outbox_counts().await.unwrap();
            // I6: every command decided, every refusal listed; I10: none left waiting.
            assert_eq!((counts.pending, counts.held), (0, 0), "desk {i}: I6/I10");
            let listed = store.sync_issues(Default::default()).await.unwrap().total;
            assert_eq!(listed as i64, counts.rejected, "desk {i}: I6 Sync issues");
            let undecided: i64 = sqlx::query("SELECT COUNT(*) FROM outbox WHERE settled = 0")
                .fetch_one(store.pool())
                .await
                .unwrap()
                .get(0);
            assert_eq!(undecided, 0, "desk {i}: every command settled");
            // I8
            assert_eq!(
                store.lab_digests().await.unwrap(),
                self.hub.store().lab_digests().await.unwrap(),
                "desk {i}: I8"
            );
        }
    }
}

fn cases() -> u32 {
    std::env::var("ALIQUOT_SIM_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(12)
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: cases(),
        max_shrink_iters: 200,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn invariants_hold_through_random_work_partitions_and_faults(
        steps in proptest::collection::vec(step(), 10..60)
    ) {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        runtime.block_on(async {
            let mut sim = Sim::new().await;
            for step in &steps {
                sim.run(step).await;
                sim.check().await;
            }
            sim.quiesce().await;
            sim.check().await;
            if std::env::var_os("ALIQUOT_SIM_VERBOSE").is_some() {
                let mut totals = (0, 0, 0);
                for d in &sim.desks {
                    let c = d.api.store().outbox_counts().await.unwrap();
                    totals = (totals.0 + c.applied, totals.1 + c.rejected, totals.2 + c.pending);
                }
                let placed: i64 = sqlx::query("SELECT COUNT(*) FROM placements")
                    .fetch_one(sim.hub.store().pool()).await.unwrap().get(0);
                eprintln!("steps {} tubes {} applied {} rejected {} placed {placed}", steps.len(), sim.tubes.len(), totals.0, totals.1);
            }
        });
    }
}

fn local_step() -> impl Strategy<Value = Step> {
    step().prop_filter("local work only", |s| {
        matches!(
            s,
            Step::Register { .. }
                | Step::Receive { .. }
                | Step::Place { .. }
                | Step::Process { .. }
                | Step::CheckOut { .. }
                | Step::Withdraw { .. }
        )
    })
}

impl Sim {
    /// A copy of the hub as it is now, opened as a second hub.
    async fn hub_copy(&self) -> (tempfile::TempDir, Hub) {
        let dir = tempfile::tempdir().unwrap();
        self.hub.catch_up().await.unwrap();
        self.hub
            .store()
            .backup(&dir.path().join(aliquot_store::DB_FILE_NAME))
            .await
            .unwrap();
        let hub = Hub::open(dir.path(), Arc::new(SystemClock)).await.unwrap();
        (dir, hub)
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: cases() / 2 + 1,
        max_shrink_iters: 100,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    /// I7, sync ≡ the direct path: the commands offline workstations queued, decided by
    /// push and replay, leave the hub exactly as the same commands decided directly on a
    /// copy of the hub (the path a command made on the hub itself takes), in the order
    /// the hub received them. A rule the sync path skipped or applied differently (the
    /// predecessor's bug) would show as a difference.
    #[test]
    fn the_sync_path_decides_exactly_as_the_direct_path(
        steps in proptest::collection::vec(local_step(), 5..40)
    ) {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        runtime.block_on(async {
            let mut sim = Sim::new().await;
            let (_copy_dir, direct) = sim.hub_copy().await;
            for d in &sim.desks {
                d.link.online.store(false, Ordering::SeqCst);
            }
            for step in &steps {
                sim.run(step).await;
            }
            // Back online one desk after the other.
            for d in &sim.desks {
                d.link.online.store(true, Ordering::SeqCst);
                d.api.sync_round_with(&d.link, RoundParts::All).await.unwrap();
            }
            sim.quiesce().await;
            sim.hub.catch_up().await.unwrap();

            // The same commands, in the order the hub decided them, on the direct path.
            let mut queued = HashMap::new();
            for d in &sim.desks {
                for row in d.api.store().outbox_after(0, 100_000).await.unwrap() {
                    queued.insert(row.command_id.clone(), row);
                }
            }
            let order = backend::record_texts(&sim.hub, "SELECT command_id FROM hub_claims ORDER BY change").await;
            assert_eq!(order.len(), queued.len());
            let mut refused_directly = std::collections::BTreeSet::new();
            for id in order {
                let row = &queued[&id];
                let recorded = aliquot_store::Recorded {
                    command_id: Uuid::parse_str(&row.command_id).unwrap(),
                    device_id: row.device_id.clone(),
                    recorded_at: chrono::DateTime::parse_from_rfc3339(&row.recorded_at).unwrap().with_timezone(&Utc),
                };
                assert_eq!(row.actor_id, sim.tech.user_id.to_string());
                let command: Command = serde_json::from_str(&row.payload).unwrap();
                // A refusal on the direct path is a refusal on the sync path too (checked
                // by the states being equal below, and by the hub's refusal records).
                if direct.execute_recorded(&sim.tech, &recorded, command).await.is_err() {
                    refused_directly.insert(id);
                }
            }
            // The sync path keeps each refusal as a record of the lab (`sync_issues`); the
            // direct path has no push to refuse: the records name exactly the commands the
            // direct path refused.
            let recorded_refusals: std::collections::BTreeSet<String> =
                sqlx::query_scalar("SELECT command_id FROM sync_issues")
                    .fetch_all(sim.hub.store().pool())
                    .await
                    .unwrap()
                    .into_iter()
                    .collect();
            assert_eq!(recorded_refusals, refused_directly, "I7: refusals");
            // Number blocks the hub leased while the desks synced are the hub's own
            // commands, not pushed ones: every block of the direct path is on the synced
            // hub as it is, and every other table is the same.
            let without_blocks = |digests: Vec<aliquot_sync::TableDigest>| {
                digests
                    .into_iter()
                    .filter(|d| d.table != "number_blocks" && d.table != "sync_issues")
                    .collect::<Vec<_>>()
            };
            assert_eq!(
                without_blocks(direct.store().lab_digests().await.unwrap()),
                without_blocks(sim.hub.store().lab_digests().await.unwrap()),
                "I7: the sync path and the direct path left different labs"
            );
            let blocks = aliquot_store::lab_tables::lab_table("number_blocks").unwrap();
            let synced = sim.hub.store().lab_rows(blocks).await.unwrap();
            for row in direct.store().lab_rows(blocks).await.unwrap() {
                assert!(synced.contains(&row), "I7: block {row} differs");
            }
        });
    }
}
