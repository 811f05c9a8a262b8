//! The demo lab: a realistic data set made only through the command executor, so the demo
//! is also a test of every command it uses (finding I-10: the predecessor's seeder broke
//! unnoticed). Run by `aliquot init --demo`, by `scripts/run` on a fresh data directory,
//! and by the store's tests.

use crate::{hash_password, Result, Store, StoreError};
use aliquot_domain::command::{NewAliquot, NewTube, PlacementSource, TubePlacement};
use aliquot_domain::numbering::{BlockKind, NewBlock};
use aliquot_domain::sample::{ConsentStatus, KitItem, SampleStatus, SampleType};
use aliquot_domain::settings::Setting;
use aliquot_domain::storage::{AutoPosition, BoxLayout, FreezerKind};
use aliquot_domain::{Actor, Command, Role};
use chrono::Duration;
use uuid::Uuid;

/// The demo accounts and their passwords (printed by the CLI; never use them for real data).
pub const DEMO_ACCOUNTS: [(&str, &str, Role, &str); 4] = [
    (
        "admin",
        "Demo Administrator",
        Role::Admin,
        "aliquot demo passphrase",
    ),
    (
        "manager",
        "Demo Lab Manager",
        Role::LabManager,
        "manager demo passphrase",
    ),
    (
        "tech",
        "Demo Technician",
        Role::Technician,
        "bench demo passphrase",
    ),
    (
        "desk",
        "Demo Field Coordinator",
        Role::FieldCoordinator,
        "desk demo passphrase",
    ),
];

/// How big the demo lab is.
#[derive(Debug, Clone, Copy)]
pub struct DemoSize {
    pub participants_per_site: usize,
    pub checked_in_per_event: usize,
}

impl Default for DemoSize {
    /// 3 sites × 100 participants × a 5-tube kit = 1,500 samples.
    fn default() -> Self {
        DemoSize {
            participants_per_site: 100,
            checked_in_per_event: 30,
        }
    }
}

/// What the seeder made.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DemoReport {
    pub users: usize,
    pub sites: usize,
    pub field_events: usize,
    pub participants: usize,
    pub samples: usize,
    pub freezers: usize,
    pub boxes: usize,
    pub placed: usize,
    pub discard_requests: usize,
    pub commands: usize,
}

/// Where the demo lab is made: a workstation's own store, or a hub, whose decisions also
/// number each change in its feed so that enrolled workstations pull the lab. Reads (the
/// clock, whether accounts exist) come from the store either way; every change goes
/// through the target's executor, recorded as made by `device_id` (the one its number
/// blocks are assigned to).
pub trait DemoLabTarget: Sync {
    type Error: From<StoreError> + Send;
    fn store(&self) -> &Store;
    /// The device the target's executor records commands as made on.
    fn device_id(&self) -> &str;
    fn execute(
        &self,
        actor: &Actor,
        command: Command,
    ) -> impl std::future::Future<Output = std::result::Result<(), Self::Error>> + Send;
}

impl DemoLabTarget for Store {
    type Error = StoreError;
    fn store(&self) -> &Store {
        self
    }
    fn device_id(&self) -> &str {
        Store::device_id(self)
    }
    async fn execute(&self, actor: &Actor, command: Command) -> Result<()> {
        Store::execute(self, actor, command).await.map(|_| ())
    }
}

struct Seeder<'a, T> {
    target: &'a T,
    commands: usize,
}

impl<T: DemoLabTarget> Seeder<'_, T> {
    async fn run(&mut self, actor: &Actor, command: Command) -> std::result::Result<(), T::Error> {
        self.target.execute(actor, command).await?;
        self.commands += 1;
        Ok(())
    }
}

fn actor(id: Uuid, username: &str, role: Role) -> Actor {
    Actor {
        user_id: id,
        username: username.to_owned(),
        role,
    }
}

/// Seeds the demo lab into an empty store. Refuses a store that already has users, so it
/// can never mix demo data into real data.
pub async fn demo_lab(store: &Store, size: DemoSize) -> Result<DemoReport> {
    demo_lab_through(store, size).await
}

/// [`demo_lab`] made through `target`'s executor (a hub's, for a lab its workstations sync).
pub async fn demo_lab_through<T: DemoLabTarget>(
    target: &T,
    size: DemoSize,
) -> std::result::Result<DemoReport, T::Error> {
    let store = target.store();
    if store.user_count().await? > 0 {
        return Err(StoreError::Domain(aliquot_domain::DomainError::Refused(
            "this data directory already has accounts; demo data goes only into a new one".into(),
        ))
        .into());
    }
    let mut s = Seeder {
        target,
        commands: 0,
    };
    let mut report = DemoReport::default();
    let now = store.now();

    // Accounts.
    let mut ids = Vec::new();
    for (i, (username, name, role, password)) in DEMO_ACCOUNTS.iter().enumerate() {
        let user_id = Uuid::now_v7();
        let password_hash = hash_password(password)?;
        let command = if i == 0 {
            Command::CreateFirstAdmin {
                user_id,
                username: (*username).into(),
                display_name: (*name).into(),
                password_hash,
            }
        } else {
            Command::CreateUser {
                user_id,
                username: (*username).into(),
                display_name: (*name).into(),
                role: *role,
                password_hash,
            }
        };
        let by = if i == 0 {
            Actor::system()
        } else {
            actor(ids[0], "admin", Role::Admin)
        };
        s.run(&by, command).await?;
        ids.push(user_id);
    }
    report.users = ids.len();
    let admin = actor(ids[0], "admin", Role::Admin);
    let manager = actor(ids[1], "manager", Role::LabManager);
    let tech = actor(ids[2], "tech", Role::Technician);
    let desk = actor(ids[3], "desk", Role::FieldCoordinator);

    s.run(
        &admin,
        Command::ChangeSettings {
            settings: vec![Setting::LabName("Demo Cohort Biobank".into())],
            reason: "demo data".into(),
        },
    )
    .await?;

    // Sites, each with this workstation's participant block.
    let device = target.device_id().to_owned();
    let sites = [
        ("NORTH", "North Clinic", 10_000),
        ("SOUTH", "South Health Centre", 20_000),
        ("EAST", "East Field Station", 30_000),
    ];
    let mut site_ids = Vec::new();
    for (code, name, start) in sites {
        let site_id = Uuid::now_v7();
        s.run(
            &admin,
            Command::CreateSite {
                site_id,
                code: code.into(),
                name: name.into(),
                participant_range_start: start,
                participant_range_end: start + 9_999,
            },
        )
        .await?;
        s.run(
            &admin,
            Command::AssignNumberBlock {
                block_id: Uuid::now_v7(),
                block: NewBlock {
                    kind: BlockKind::Participant,
                    device_id: device.clone(),
                    site_id: Some(site_id),
                    prefix: String::new(),
                    digits: 0,
                    first: start,
                    last: start + 999,
                },
                reason: "demo workstation block".into(),
            },
        )
        .await?;
        site_ids.push(site_id);
    }
    report.sites = site_ids.len();
    s.run(
        &admin,
        Command::AssignNumberBlock {
            block_id: Uuid::now_v7(),
            block: NewBlock {
                kind: BlockKind::Sample,
                device_id: device.clone(),
                site_id: None,
                prefix: "AQ".into(),
                digits: 6,
                first: 1,
                last: 99_999,
            },
            reason: "demo workstation block".into(),
        },
    )
    .await?;
    s.run(
        &admin,
        Command::AssignNumberBlock {
            block_id: Uuid::now_v7(),
            block: NewBlock {
                kind: BlockKind::Preprinted,
                device_id: device.clone(),
                site_id: None,
                prefix: "RL".into(),
                digits: 6,
                first: 1,
                last: 500,
            },
            reason: "pre-printed roll at the desk".into(),
        },
    )
    .await?;

    let kit_id = Uuid::now_v7();
    s.run(
        &manager,
        Command::CreateKitTemplate {
            template_id: kit_id,
            name: "Standard blood and urine".into(),
            items: vec![
                KitItem {
                    sample_type: SampleType::new(SampleType::PLASMA),
                    count: 2,
                    volume_ul: Some(500),
                },
                KitItem {
                    sample_type: SampleType::new(SampleType::SERUM),
                    count: 1,
                    volume_ul: Some(500),
                },
                KitItem {
                    sample_type: SampleType::new(SampleType::BUFFY_COAT),
                    count: 1,
                    volume_ul: Some(200),
                },
                KitItem {
                    sample_type: SampleType::new(SampleType::URINE),
                    count: 1,
                    volume_ul: Some(1000),
                },
            ],
        },
    )
    .await?;
    s.run(
        &manager,
        Command::CreateKitTemplate {
            template_id: Uuid::now_v7(),
            name: "Saliva only".into(),
            items: vec![KitItem {
                sample_type: SampleType::new(SampleType::SALIVA),
                count: 1,
                volume_ul: Some(2000),
            }],
        },
    )
    .await?;

    // The desk starts with the standard kit; one participant's tubes go side by side.
    s.run(
        &manager,
        Command::ChangeSettings {
            settings: vec![
                Setting::StandardKit(Some(kit_id)),
                Setting::AutoPosition(AutoPosition::KeepParticipantTogether),
            ],
            reason: "demo lab set-up".into(),
        },
    )
    .await?;

    // Two field events, at the first two sites.
    let mut events = Vec::new();
    for (i, site_id) in site_ids.iter().take(2).enumerate() {
        let event_id = Uuid::now_v7();
        let date = (now - Duration::days(7 * (i64::try_from(i).unwrap_or(0) + 1))).date_naive();
        s.run(
            &desk,
            Command::CreateFieldEvent {
                event_id,
                site_id: *site_id,
                name: format!("Community collection day {}", i + 1),
                date,
                coordinator_id: desk.user_id,
            },
        )
        .await?;
        events.push(event_id);
    }
    report.field_events = events.len();

    // Participants and their kits.
    let mut samples = Vec::new();
    for (site_index, site_id) in site_ids.iter().enumerate() {
        for n in 0..size.participants_per_site {
            let participant_id = Uuid::now_v7();
            let withdrawn = n % 97 == 13;
            s.run(
                &desk,
                Command::RegisterParticipant {
                    participant_id,
                    site_id: *site_id,
                    number: None,
                    external_id: Some(format!("EXT-{}{:04}", site_index + 1, n + 1)),
                    consent: ConsentStatus::Given,
                    consent_date: (now - Duration::days(30)).date_naive(),
                    sex: Some(if n % 2 == 0 {
                        aliquot_domain::command::Sex::Female
                    } else {
                        aliquot_domain::command::Sex::Male
                    }),
                    birth_year: Some(1940 + i32::try_from(n % 60).unwrap_or(0)),
                },
            )
            .await?;
            report.participants += 1;
            let event_id = events
                .get(site_index)
                .copied()
                .filter(|_| n < size.checked_in_per_event);
            if let Some(event_id) = event_id {
                s.run(
                    &desk,
                    Command::CheckInParticipant {
                        event_id,
                        participant_id,
                    },
                )
                .await?;
            }
            let tubes: Vec<NewTube> = (0..5)
                .map(|_| NewTube {
                    sample_id: Uuid::now_v7(),
                    code: None,
                })
                .collect();
            samples.extend(tubes.iter().map(|t| t.sample_id));
            s.run(
                &desk,
                Command::RegisterKit {
                    registration_id: Uuid::now_v7(),
                    participant_id,
                    template_id: kit_id,
                    template_version: Some(1),
                    event_id,
                    collected_at: now - Duration::days(3)
                        + Duration::minutes(i64::try_from(n).unwrap_or(0)),
                    collector: "Demo Phlebotomist".into(),
                    tubes,
                },
            )
            .await?;
            if withdrawn {
                s.run(
                    &desk,
                    Command::RecordConsent {
                        participant_id,
                        consent: ConsentStatus::Withdrawn,
                        consent_date: now.date_naive(),
                        reason: "participant asked to leave the study".into(),
                    },
                )
                .await?;
            }
        }
    }
    report.samples = samples.len();

    // The lab receives every tube.
    for sample_id in &samples {
        s.run(
            &tech,
            Command::TransitionSample {
                sample_id: *sample_id,
                expected: SampleStatus::Collected,
                to: SampleStatus::Received,
                reason: None,
            },
        )
        .await?;
    }

    // Two −80 °C freezers, two racks each, five 8×12 boxes per rack; and a bag.
    let mut boxes = Vec::new();
    let mut first_rack = None;
    for f in 1..=2 {
        let freezer_id = Uuid::now_v7();
        s.run(
            &manager,
            Command::CreateFreezer {
                freezer_id,
                name: format!("Freezer {f}"),
                location: format!("Room B0{f}"),
                freezer_kind: FreezerKind::UltraLow,
                temperature_c: -80,
            },
        )
        .await?;
        for r in 1..=2 {
            let rack_id = Uuid::now_v7();
            s.run(
                &manager,
                Command::CreateRack {
                    rack_id,
                    freezer_id,
                    name: format!("Rack {r}"),
                },
            )
            .await?;
            first_rack.get_or_insert(rack_id);
            for b in 1..=5 {
                let box_id = Uuid::now_v7();
                s.run(
                    &manager,
                    Command::CreateBox {
                        box_id,
                        rack_id,
                        name: format!("F{f}-R{r}-B{b}"),
                        barcode: format!("BX{f}{r}{b:02}"),
                        box_type: "96-tube rack".into(),
                        layout: BoxLayout::Grid {
                            rows: 8,
                            columns: 12,
                        },
                    },
                )
                .await?;
                boxes.push(box_id);
            }
        }
        report.freezers += 1;
    }
    if let Some(rack_id) = first_rack {
        s.run(
            &manager,
            Command::CreateBox {
                box_id: Uuid::now_v7(),
                rack_id,
                name: "Overflow bag".into(),
                barcode: "BAG001".into(),
                box_type: "bag".into(),
                layout: BoxLayout::Bag { capacity: Some(50) },
            },
        )
        .await?;
    }
    report.boxes = boxes.len() + 1;

    // Place the tubes, a box at a time, leaving the last boxes with space.
    for (chunk, box_id) in samples.chunks(90).zip(&boxes) {
        let tubes = chunk
            .iter()
            .map(|id| TubePlacement {
                sample_id: *id,
                position: None,
            })
            .collect();
        s.run(
            &tech,
            Command::PlaceSamples {
                box_id: *box_id,
                tubes,
                source: PlacementSource::Scan,
                receive: false,
            },
        )
        .await?;
        report.placed += chunk.len();
    }

    // A little daily life: tubes out on the bench (only stored tubes can be checked out: a
    // larger demo has more tubes than its boxes hold), aliquots, discard requests.
    let out: Vec<Uuid> = samples[..report.placed]
        .iter()
        .skip(3)
        .step_by(250)
        .copied()
        .collect();
    s.run(
        &tech,
        Command::CheckOutSamples {
            sample_ids: out,
            reason: "assay run".into(),
        },
    )
    .await?;
    let parent = samples[0];
    s.run(
        &tech,
        Command::CreateAliquots {
            parent_id: parent,
            children: (0..2)
                .map(|_| NewAliquot {
                    sample_id: Uuid::now_v7(),
                    code: None,
                    sample_type: SampleType::new(SampleType::PLASMA),
                    volume_ul: 100,
                })
                .collect(),
        },
    )
    .await?;
    report.samples += 2;
    let discard: Vec<Uuid> = samples
        .iter()
        .skip(7)
        .step_by(300)
        .take(4)
        .copied()
        .collect();
    let mut requests = Vec::new();
    for (i, sample_id) in discard.iter().enumerate() {
        let request_id = Uuid::now_v7();
        let reason = [
            "tube cracked in the freezer",
            "haemolysed",
            "label unreadable",
            "volume below minimum",
        ][i % 4];
        s.run(
            &tech,
            Command::RequestDiscard {
                request_id,
                sample_id: *sample_id,
                reason: reason.into(),
            },
        )
        .await?;
        requests.push(request_id);
    }
    report.discard_requests = requests.len();
    if let [first, second, ..] = requests.as_slice() {
        s.run(
            &manager,
            Command::DecideDiscard {
                request_id: *first,
                approve: true,
                reason: "confirmed, dispose".into(),
            },
        )
        .await?;
        s.run(
            &manager,
            Command::DecideDiscard {
                request_id: *second,
                approve: false,
                reason: "tube is fine, relabel it".into(),
            },
        )
        .await?;
    }
    report.commands = s.commands;
    Ok(report)
}
