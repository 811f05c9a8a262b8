//! A lab on a hub, made through the hub's own commands, and two enrolled workstations
//! ("Desk A", "Desk B") each with its participant and sample blocks.

use aliquot_domain::command::{NewTube, PlacementSource, TubePlacement};
use aliquot_domain::numbering::{sample_code, BlockKind, NewBlock};
use aliquot_domain::sample::{ConsentStatus, KitItem, SampleStatus, SampleType};
use aliquot_domain::storage::{BoxLayout, FreezerKind};
use aliquot_domain::{Actor, Command, Role, COMMAND_SCHEMA_VERSION};
use aliquot_hub::{Device, Hub};
use aliquot_sync::{
    CommandResult, EnrollRequest, Outcome, PushRequest, PushResponse, PushedCommand,
    PROTOCOL_VERSION,
};
use chrono::{Duration, Utc};
use uuid::Uuid;

pub struct Desk {
    pub device: Device,
    pub credential: String,
    /// The sample code prefix of its block.
    pub prefix: &'static str,
    /// The first participant number of its block.
    pub first_number: i64,
    pub next_seq: std::cell::Cell<i64>,
}

pub struct Bench {
    pub _dir: tempfile::TempDir,
    pub hub: Hub,
    pub admin: Actor,
    pub manager: Actor,
    pub tech: Actor,
    pub site: Uuid,
    pub kit: Uuid,
    pub rack: Uuid,
    pub storage_box: Uuid,
    pub a: Desk,
    pub b: Desk,
}

pub fn actor(username: &str, role: Role) -> Actor {
    Actor {
        user_id: Uuid::now_v7(),
        username: username.into(),
        role,
    }
}

pub fn hash() -> String {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| aliquot_store::hash_password("correct horse battery").unwrap())
        .clone()
}

impl Bench {
    pub async fn new() -> Bench {
        let dir = tempfile::tempdir().unwrap();
        let hub = crate::backend::open_hub(dir.path()).await;
        Self::with_hub(dir, hub).await
    }

    /// The bench around a hub already open (its data directory kept with it).
    pub async fn with_hub(dir: tempfile::TempDir, hub: Hub) -> Bench {
        let admin = actor("admin", Role::Admin);
        hub.execute(
            &Actor::system(),
            Command::CreateFirstAdmin {
                user_id: admin.user_id,
                username: admin.username.clone(),
                display_name: "Admin".into(),
                password_hash: hash(),
            },
        )
        .await
        .unwrap();
        let manager = actor("manager", Role::LabManager);
        let tech = actor("tech", Role::Technician);
        for user in [&manager, &tech] {
            hub.execute(
                &admin,
                Command::CreateUser {
                    user_id: user.user_id,
                    username: user.username.clone(),
                    display_name: user.username.clone(),
                    role: user.role,
                    password_hash: hash(),
                },
            )
            .await
            .unwrap();
        }
        let site = Uuid::now_v7();
        hub.execute(
            &manager,
            Command::CreateSite {
                site_id: site,
                code: "NORTH".into(),
                name: "North clinic".into(),
                participant_range_start: 10_000,
                participant_range_end: 19_999,
            },
        )
        .await
        .unwrap();
        let kit = Uuid::now_v7();
        hub.execute(
            &manager,
            Command::CreateKitTemplate {
                template_id: kit,
                name: "Two tubes".into(),
                items: vec![KitItem {
                    sample_type: SampleType::new(SampleType::WHOLE_BLOOD),
                    count: 2,
                    volume_ul: Some(500),
                }],
            },
        )
        .await
        .unwrap();
        let (freezer, rack, storage_box) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        for command in [
            Command::CreateFreezer {
                freezer_id: freezer,
                name: "Freezer 1".into(),
                location: "Room 1".into(),
                freezer_kind: FreezerKind::UltraLow,
                temperature_c: -80,
            },
            Command::CreateRack {
                rack_id: rack,
                freezer_id: freezer,
                name: "Rack 1".into(),
            },
            Command::CreateBox {
                box_id: storage_box,
                rack_id: rack,
                name: "Box 1".into(),
                barcode: "BOX0001".into(),
                box_type: "2x3".into(),
                layout: BoxLayout::Grid {
                    rows: 2,
                    columns: 3,
                },
            },
        ] {
            hub.execute(&manager, command).await.unwrap();
        }
        Bench {
            _dir: dir,
            a: desk(&hub, &admin, site, "Desk A", "AA", 10_000).await,
            b: desk(&hub, &admin, site, "Desk B", "BB", 10_100).await,
            hub,
            admin,
            manager,
            tech,
            site,
            kit,
            rack,
            storage_box,
        }
    }

    /// The hub's answer to `desk` pushing `commands` as its next ones.
    pub async fn push(&self, desk: &Desk, commands: Vec<(Actor, Command)>) -> PushResponse {
        let pushed: Vec<PushedCommand> = commands
            .into_iter()
            .map(|(actor, command)| {
                let p = pushed(desk.next_seq.get(), &actor, &command);
                desk.next_seq.set(desk.next_seq.get() + 1);
                p
            })
            .collect();
        self.push_raw(desk, pushed).await
    }

    pub async fn push_raw(&self, desk: &Desk, commands: Vec<PushedCommand>) -> PushResponse {
        self.hub
            .push(
                &desk.device,
                PushRequest {
                    protocol: PROTOCOL_VERSION,
                    device_id: desk.device.device_id.clone(),
                    commands,
                    audit: vec![],
                },
            )
            .await
            .unwrap()
    }

    /// Pushes one command and returns its outcome.
    pub async fn one(&self, desk: &Desk, actor: &Actor, command: Command) -> Outcome {
        let response = self.push(desk, vec![(actor.clone(), command)]).await;
        assert_eq!(response.stopped, None);
        response.results.into_iter().next().unwrap().outcome
    }

    /// A kit of two tubes registered at `desk` for a new participant, with codes from
    /// the desk's block starting at `n`; returns the tube ids and codes.
    pub async fn kit_at(&self, desk: &Desk, n: i64) -> Vec<(Uuid, String)> {
        let participant = Uuid::now_v7();
        let number = desk.first_number + n;
        let outcome = self
            .one(
                desk,
                &self.tech.clone(),
                Command::RegisterParticipant {
                    participant_id: participant,
                    site_id: self.site,
                    number: Some(number),
                    external_id: None,
                    consent: ConsentStatus::Given,
                    consent_date: (Utc::now() - Duration::days(1)).date_naive(),
                    sex: None,
                    birth_year: None,
                },
            )
            .await;
        assert!(matches!(outcome, Outcome::Applied { .. }), "{outcome:?}");
        let tubes: Vec<(Uuid, String)> = (0..2)
            .map(|i| {
                (
                    Uuid::now_v7(),
                    sample_code(desk.prefix, 6, 2 * n + i + 1).unwrap(),
                )
            })
            .collect();
        let outcome = self
            .one(
                desk,
                &self.tech.clone(),
                register_kit(participant, self.kit, &tubes),
            )
            .await;
        assert!(matches!(outcome, Outcome::Applied { .. }), "{outcome:?}");
        tubes
    }

    pub async fn sample_status(&self, sample: Uuid) -> SampleStatus {
        self.hub.store().sample(sample).await.unwrap().status
    }
}

pub fn register_kit(participant: Uuid, kit: Uuid, tubes: &[(Uuid, String)]) -> Command {
    Command::RegisterKit {
        registration_id: Uuid::now_v7(),
        participant_id: participant,
        template_id: kit,
        template_version: Some(1),
        event_id: None,
        collected_at: Utc::now() - Duration::hours(1),
        collector: "Nurse Jo".into(),
        tubes: tubes
            .iter()
            .map(|(id, code)| NewTube {
                sample_id: *id,
                code: Some(code.clone()),
            })
            .collect(),
    }
}

pub fn place(storage_box: Uuid, sample: Uuid, position: &str) -> Command {
    Command::PlaceSamples {
        box_id: storage_box,
        tubes: vec![TubePlacement {
            sample_id: sample,
            position: Some(position.into()),
        }],
        source: PlacementSource::Scan,
        receive: true,
    }
}

pub fn pushed(seq: i64, actor: &Actor, command: &Command) -> PushedCommand {
    PushedCommand {
        seq,
        command_id: Uuid::now_v7(),
        recorded_at: Utc::now(),
        actor_id: actor.user_id,
        kind: command.kind().as_str().into(),
        schema_version: COMMAND_SCHEMA_VERSION,
        payload: serde_json::to_value(command).unwrap(),
    }
}

/// Enrolls a workstation and gives it blocks on the hub.
async fn desk(
    hub: &Hub,
    admin: &Actor,
    site: Uuid,
    name: &str,
    prefix: &'static str,
    first_number: i64,
) -> Desk {
    let enrollment = hub.enroll(name, Duration::minutes(5)).await.unwrap();
    let device_id = Uuid::now_v7().to_string();
    let enrolled = hub
        .redeem(EnrollRequest {
            protocol: PROTOCOL_VERSION,
            code: enrollment.code,
            device_id: device_id.clone(),
        })
        .await
        .unwrap();
    let device = hub.authenticate(&enrolled.credential).await.unwrap();
    for block in [
        NewBlock {
            kind: BlockKind::Participant,
            device_id: device_id.clone(),
            site_id: Some(site),
            prefix: String::new(),
            digits: 0,
            first: first_number,
            last: first_number + 99,
        },
        NewBlock {
            kind: BlockKind::Sample,
            device_id: device_id.clone(),
            site_id: None,
            prefix: prefix.into(),
            digits: 6,
            first: 1,
            last: 999,
        },
    ] {
        hub.execute(
            admin,
            Command::AssignNumberBlock {
                block_id: Uuid::now_v7(),
                block,
                reason: "lease".into(),
            },
        )
        .await
        .unwrap();
    }
    Desk {
        device,
        credential: enrolled.credential,
        prefix,
        first_number,
        next_seq: std::cell::Cell::new(1),
    }
}

pub fn reason_code(outcome: &Outcome) -> &str {
    match outcome {
        Outcome::Rejected { reason_code, .. } => reason_code,
        Outcome::Applied { .. } => "applied",
        Outcome::Held { .. } => "held",
    }
}

pub fn codes(results: &[CommandResult]) -> Vec<String> {
    results
        .iter()
        .map(|r| {
            let mut s = reason_code(&r.outcome).to_owned();
            if r.duplicate {
                s.push_str(" (duplicate)");
            }
            s
        })
        .collect()
}
