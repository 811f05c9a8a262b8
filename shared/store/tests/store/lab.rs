//! A small lab on top of the fixture: users of every bench role, a site with this
//! workstation's blocks, a kit, a participant checked in to an event, storage, and samples
//! in each state the commands start from.

use super::{fixture_hash, Fixture};
use aliquot_domain::command::{NewTube, PlacementSource, TubePlacement};
use aliquot_domain::numbering::{BlockKind, NewBlock};
use aliquot_domain::sample::{ConsentStatus, KitItem, SampleStatus, SampleType};
use aliquot_domain::storage::{BoxLayout, FreezerKind};
use aliquot_domain::{Actor, Clock, Command, Role};
use chrono::Duration;
use uuid::Uuid;

pub struct Lab {
    pub manager: Actor,
    pub tech: Actor,
    pub desk: Actor,
    pub site: Uuid,
    pub kit: Uuid,
    pub participant: Uuid,
    /// The participant is checked in here.
    pub event: Uuid,
    /// Nobody is checked in here yet.
    pub other_event: Uuid,
    pub freezer: Uuid,
    pub rack: Uuid,
    pub other_rack: Uuid,
    /// 2 × 3 box holding `stored` at A1 and `checked_out`'s reserved A2.
    pub storage_box: Uuid,
    pub empty_box: Uuid,
    pub bag: Uuid,
    pub stored: Uuid,
    pub received: Uuid,
    pub checked_out: Uuid,
    /// Pending discard request for `stored`, by `tech`.
    pub discard_request: Uuid,
    /// The manager's notification about that request.
    pub notification: Uuid,
    /// A printer "Desk Zebra" (a fake) with one queued job.
    pub print_job: Uuid,
    /// A command of `tech`'s the hub refused, as a pull brings it: not yet settled.
    pub sync_issue: Uuid,
}

pub fn printer_settings(name: &str) -> aliquot_domain::printing::PrinterSettings {
    aliquot_domain::printing::PrinterSettings {
        name: name.into(),
        address: aliquot_domain::printing::PrinterAddress::Fake { name: name.into() },
        language: aliquot_domain::printing::PrinterLanguage::Zpl,
        dpi: 300,
        stock: aliquot_domain::printing::LabelStock::Cryovial,
        darkness: None,
    }
}

pub fn queue_print(lab: &Lab, reprint_of: Option<Uuid>, reason: Option<&str>) -> Command {
    Command::QueuePrint {
        job_id: Uuid::now_v7(),
        printer: "Desk Zebra".into(),
        template: "cryovial".into(),
        subject: "test labels".into(),
        records: vec![lab.stored],
        copies: 1,
        payload: "^XA^FDtest^FS^XZ".into(),
        reprint_of,
        reason: reason.map(str::to_owned),
    }
}

impl Fixture {
    pub async fn run(&self, actor: &Actor, command: Command) {
        let kind = command.kind();
        self.store
            .execute(actor, command)
            .await
            .unwrap_or_else(|e| panic!("{kind:?}: {e}"));
    }

    pub async fn user(&self, name: &str, role: Role) -> Actor {
        let user_id = Uuid::now_v7();
        let username = format!("{name}{}", &Uuid::now_v7().simple().to_string()[24..]);
        self.run(
            &self.admin,
            Command::CreateUser {
                user_id,
                username: username.clone(),
                display_name: name.into(),
                role,
                password_hash: fixture_hash(),
            },
        )
        .await;
        Actor {
            user_id,
            username,
            role,
        }
    }

    pub async fn site(&self, code: &str, start: i64) -> Uuid {
        let site = Uuid::now_v7();
        self.run(
            &self.admin,
            Command::CreateSite {
                site_id: site,
                code: code.into(),
                name: format!("{code} clinic"),
                participant_range_start: start,
                participant_range_end: start + 999,
            },
        )
        .await;
        self.run(
            &self.admin,
            Command::AssignNumberBlock {
                block_id: Uuid::now_v7(),
                block: NewBlock {
                    kind: BlockKind::Participant,
                    device_id: self.store.device_id().into(),
                    site_id: Some(site),
                    prefix: String::new(),
                    digits: 0,
                    first: start,
                    last: start + 99,
                },
                reason: "test block".into(),
            },
        )
        .await;
        site
    }

    pub async fn participant(&self, actor: &Actor, site: Uuid) -> Uuid {
        let participant_id = Uuid::now_v7();
        self.run(
            actor,
            Command::RegisterParticipant {
                participant_id,
                site_id: site,
                number: None,
                external_id: None,
                consent: ConsentStatus::Given,
                consent_date: self.clock.now().date_naive(),
                sex: None,
                birth_year: None,
            },
        )
        .await;
        participant_id
    }

    /// Registers a kit and returns its tubes' ids.
    pub async fn kit(
        &self,
        actor: &Actor,
        participant: Uuid,
        template: Uuid,
        tubes: usize,
    ) -> Vec<Uuid> {
        let tubes: Vec<NewTube> = (0..tubes)
            .map(|_| NewTube {
                sample_id: Uuid::now_v7(),
                code: None,
            })
            .collect();
        let ids = tubes.iter().map(|t| t.sample_id).collect();
        self.run(
            actor,
            Command::RegisterKit {
                registration_id: Uuid::now_v7(),
                participant_id: participant,
                template_id: template,
                template_version: Some(1),
                event_id: None,
                collected_at: self.clock.now() - Duration::hours(1),
                collector: "Nurse Joy".into(),
                tubes,
            },
        )
        .await;
        ids
    }

    pub async fn receive(&self, actor: &Actor, sample: Uuid) {
        self.run(
            actor,
            Command::TransitionSample {
                sample_id: sample,
                expected: SampleStatus::Collected,
                to: SampleStatus::Received,
                reason: None,
            },
        )
        .await;
    }

    pub async fn grid_box(&self, actor: &Actor, rack: Uuid, rows: u8, columns: u8) -> Uuid {
        let box_id = Uuid::now_v7();
        self.run(
            actor,
            Command::CreateBox {
                box_id,
                rack_id: rack,
                name: format!("Box {}", &box_id.simple().to_string()[26..]),
                barcode: format!("BX{}", &box_id.simple().to_string()[20..]),
                box_type: "cryobox".into(),
                layout: BoxLayout::Grid { rows, columns },
            },
        )
        .await;
        box_id
    }

    pub async fn place(&self, actor: &Actor, box_id: Uuid, sample: Uuid, position: Option<&str>) {
        self.run(
            actor,
            Command::PlaceSamples {
                box_id,
                tubes: vec![TubePlacement {
                    sample_id: sample,
                    position: position.map(str::to_owned),
                }],
                source: PlacementSource::Manual,
                receive: false,
            },
        )
        .await;
    }

    pub async fn lab(&self) -> Lab {
        self.lab_with(true).await
    }

    /// The lab without this workstation's sample block (its first kit uses a label roll).
    pub async fn lab_without_sample_block(&self) -> Lab {
        self.lab_with(false).await
    }

    async fn lab_with(&self, sample_block: bool) -> Lab {
        let manager = self.user("manager", Role::LabManager).await;
        let tech = self.user("tech", Role::Technician).await;
        let desk = self.user("desk", Role::FieldCoordinator).await;
        let site = self.site("NORTH", 10_000).await;
        if sample_block {
            self.run(
                &self.admin,
                Command::AssignNumberBlock {
                    block_id: Uuid::now_v7(),
                    block: NewBlock {
                        kind: BlockKind::Sample,
                        device_id: self.store.device_id().into(),
                        site_id: None,
                        prefix: "AQ".into(),
                        digits: 6,
                        first: 1,
                        last: 1000,
                    },
                    reason: "test block".into(),
                },
            )
            .await;
        }
        self.run(
            &self.admin,
            Command::AssignNumberBlock {
                block_id: Uuid::now_v7(),
                block: NewBlock {
                    kind: BlockKind::Preprinted,
                    device_id: self.store.device_id().into(),
                    site_id: None,
                    prefix: "RL".into(),
                    digits: 6,
                    first: 1,
                    last: 100,
                },
                reason: "label roll".into(),
            },
        )
        .await;
        let kit = Uuid::now_v7();
        self.run(
            &manager,
            Command::CreateKitTemplate {
                template_id: kit,
                name: "Plasma and serum".into(),
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
                ],
            },
        )
        .await;
        let (event, other_event) = (Uuid::now_v7(), Uuid::now_v7());
        for id in [event, other_event] {
            self.run(
                &desk,
                Command::CreateFieldEvent {
                    event_id: id,
                    site_id: site,
                    name: format!("Event {id}"),
                    date: self.clock.now().date_naive(),
                    coordinator_id: desk.user_id,
                },
            )
            .await;
        }
        let participant = self.participant(&desk, site).await;
        self.run(
            &desk,
            Command::CheckInParticipant {
                event_id: event,
                participant_id: participant,
            },
        )
        .await;
        let tubes = if sample_block {
            self.kit(&desk, participant, kit, 3).await
        } else {
            let tubes: Vec<NewTube> = (1..=3)
                .map(|n| NewTube {
                    sample_id: Uuid::now_v7(),
                    code: Some(aliquot_domain::numbering::sample_code("RL", 6, n).unwrap()),
                })
                .collect();
            let ids = tubes.iter().map(|t| t.sample_id).collect::<Vec<_>>();
            self.run(
                &desk,
                Command::RegisterKit {
                    registration_id: Uuid::now_v7(),
                    participant_id: participant,
                    template_id: kit,
                    template_version: Some(1),
                    event_id: None,
                    collected_at: self.clock.now(),
                    collector: "Nurse Joy".into(),
                    tubes,
                },
            )
            .await;
            ids
        };
        for t in &tubes {
            self.receive(&tech, *t).await;
        }
        let freezer = Uuid::now_v7();
        self.run(
            &manager,
            Command::CreateFreezer {
                freezer_id: freezer,
                name: "Freezer A".into(),
                location: "Room 1".into(),
                freezer_kind: FreezerKind::UltraLow,
                temperature_c: -80,
            },
        )
        .await;
        let (rack, other_rack) = (Uuid::now_v7(), Uuid::now_v7());
        for (id, name) in [(rack, "Rack 1"), (other_rack, "Rack 2")] {
            self.run(
                &manager,
                Command::CreateRack {
                    rack_id: id,
                    freezer_id: freezer,
                    name: name.into(),
                },
            )
            .await;
        }
        let storage_box = self.grid_box(&manager, rack, 2, 3).await;
        let empty_box = self.grid_box(&manager, rack, 2, 3).await;
        let bag = Uuid::now_v7();
        self.run(
            &manager,
            Command::CreateBox {
                box_id: bag,
                rack_id: rack,
                name: "Bag".into(),
                barcode: format!("BAG{}", &bag.simple().to_string()[20..]),
                box_type: "bag".into(),
                layout: BoxLayout::Bag { capacity: Some(2) },
            },
        )
        .await;
        let (stored, received, checked_out) = (tubes[0], tubes[1], tubes[2]);
        self.place(&tech, storage_box, stored, Some("A1")).await;
        self.place(&tech, storage_box, checked_out, Some("A2"))
            .await;
        self.run(
            &tech,
            Command::CheckOutSamples {
                sample_ids: vec![checked_out],
                reason: "assay".into(),
            },
        )
        .await;
        let discard_request = Uuid::now_v7();
        self.run(
            &tech,
            Command::RequestDiscard {
                request_id: discard_request,
                sample_id: stored,
                reason: "cracked".into(),
            },
        )
        .await;
        let notification = self
            .store
            .notifications(manager.user_id, false, Default::default())
            .await
            .unwrap()
            .items[0]
            .id;
        self.run(
            &manager,
            Command::ConfigurePrinter {
                printer: printer_settings("Desk Zebra"),
            },
        )
        .await;
        let print_job = Uuid::now_v7();
        self.run(
            &desk,
            Command::QueuePrint {
                job_id: print_job,
                printer: "Desk Zebra".into(),
                template: "cryovial".into(),
                subject: "kit".into(),
                records: tubes.clone(),
                copies: 1,
                payload: "^XA^FDkit^FS^XZ".into(),
                reprint_of: None,
                reason: None,
            },
        )
        .await;
        let sync_issue = Uuid::now_v7();
        sqlx::query(
            "INSERT INTO sync_issues (command_id, device_id, device_name, kind, actor_id, recorded_at, decided_at, reason_code, message, details)
             VALUES (?1, 'desk-b', 'Desk B', 'place_samples', ?2, '2026-12-01T09:00:00.000000Z', '2026-12-01T09:05:00.000000Z',
                     'position_occupied', 'position A1 already holds S1', '{\"position\":\"A1\"}')",
        )
        .bind(sync_issue.to_string())
        .bind(tech.user_id.to_string())
        .execute(self.store.pool())
        .await
        .unwrap();
        Lab {
            manager,
            tech,
            desk,
            site,
            kit,
            participant,
            event,
            other_event,
            freezer,
            rack,
            other_rack,
            storage_box,
            empty_box,
            bag,
            stored,
            received,
            checked_out,
            discard_request,
            notification,
            print_job,
            sync_issue,
        }
    }
}
