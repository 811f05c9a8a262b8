//! Operations and views for freezers, racks, boxes, placement, check-out and check-in,
//! and rack-scanner import.

use crate::dto::{ascending, default_per_page, first_page, CoreEvent};
use crate::registration::IdArgs;
use crate::samples::SampleView;
use crate::{Api, ApiError};
use aliquot_domain::command::{NewBox, NewRack};
use aliquot_domain::command::{PlacementSource, TubePlacement};
use aliquot_domain::paging::{Page, PageRequest, SortOrder};
use aliquot_domain::rackscan::{self, RackScanDiff};
use aliquot_domain::storage::{
    BoxLayout, BoxSort, FreezerKind, PlannedRack, StorageEdit, StoragePattern, StorageTarget,
};
use aliquot_domain::{Command, DomainError, Permission};
use aliquot_store::storage::{BoxFilter, BoxRecord, FreezerRecord, RackRecord, Well};
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use uuid::Uuid;

type Result<T> = std::result::Result<T, ApiError>;

/// A box and what is in it: the box map.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct BoxMap {
    pub storage_box: BoxRecord,
    pub wells: Vec<Well>,
}

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct ListFreezersArgs {
    /// Start of a freezer's name.
    #[serde(default)]
    #[ts(optional)]
    pub search: Option<String>,
    #[serde(default = "first_page")]
    pub page: u32,
    #[serde(default = "default_per_page")]
    pub per_page: u32,
}

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct ListRacksArgs {
    pub freezer_id: Uuid,
    #[serde(default = "first_page")]
    pub page: u32,
    #[serde(default = "default_per_page")]
    pub per_page: u32,
}

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct ListBoxesArgs {
    #[serde(default)]
    #[ts(optional)]
    pub freezer_id: Option<Uuid>,
    #[serde(default)]
    #[ts(optional)]
    pub rack_id: Option<Uuid>,
    /// true: only boxes with a free position; false: only full boxes.
    #[serde(default)]
    #[ts(optional)]
    pub has_space: Option<bool>,
    /// Only grid boxes with at least this many free positions (a batch that goes together).
    #[serde(default)]
    #[ts(optional)]
    pub min_free: Option<u32>,
    #[serde(default)]
    #[ts(optional)]
    pub box_type: Option<String>,
    /// Start of a box name or barcode.
    #[serde(default)]
    #[ts(optional)]
    pub search: Option<String>,
    #[serde(default)]
    pub sort: BoxSort,
    #[serde(default = "ascending")]
    pub order: SortOrder,
    #[serde(default = "first_page")]
    pub page: u32,
    #[serde(default = "default_per_page")]
    pub per_page: u32,
}

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct CreateFreezerArgs {
    pub name: String,
    pub location: String,
    pub kind: FreezerKind,
    pub temperature_c: i16,
}

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct CreateRackArgs {
    pub freezer_id: Uuid,
    pub name: String,
}

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct CreateBoxArgs {
    pub rack_id: Uuid,
    pub name: String,
    pub barcode: String,
    pub box_type: String,
    pub layout: BoxLayout,
}

/// Racks and boxes for a freezer, named by patterns: previewed, then made in one command.
#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct RacksAndBoxesArgs {
    pub freezer_id: Uuid,
    pub pattern: StoragePattern,
    pub box_type: String,
    pub layout: BoxLayout,
}

/// What [`RacksAndBoxesArgs`] would make, before anything is made.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct RacksAndBoxesPlan {
    pub freezer: String,
    pub racks: Vec<PlannedRack>,
    pub box_count: u32,
    /// Barcodes of the plan that boxes already carry (the first ten): adding is refused
    /// until the barcode pattern changes.
    pub taken_barcodes: Vec<String>,
}

/// The racks and boxes made, in the plan's order (the boxes' labels print as one job).
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct RacksAndBoxesAdded {
    pub rack_ids: Vec<Uuid>,
    pub box_ids: Vec<Uuid>,
}

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct MoveBoxArgs {
    pub box_id: Uuid,
    pub rack_id: Uuid,
    pub reason: String,
}

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct EditStorageArgs {
    pub edit: StorageEdit,
    pub reason: String,
}

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct VoidStorageArgs {
    pub target: StorageTarget,
    pub reason: String,
}

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct PlaceSamplesArgs {
    pub box_id: Uuid,
    pub tubes: Vec<TubePlacement>,
    pub source: PlacementSource,
    /// "Receive and place": tubes not yet received are received in the same command.
    #[serde(default)]
    pub receive: bool,
}

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct CheckOutSamplesArgs {
    pub sample_ids: Vec<Uuid>,
    pub reason: String,
}

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct CheckInSamplesArgs {
    pub sample_ids: Vec<Uuid>,
}

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct UnplaceSampleArgs {
    pub sample_id: Uuid,
    /// Why it leaves its box for good (kept on the bench, sent away, cracked…).
    pub reason: String,
}

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct RackScanArgs {
    pub box_id: Uuid,
    /// The scanner's file, as text.
    pub file_text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct RackScanImported {
    pub diff: RackScanDiff,
    /// How many tubes the import placed or moved (0 when the box already matched).
    pub placed: u32,
    pub box_map: BoxMap,
}

impl Api {
    pub async fn list_freezers(
        &self,
        token: Option<&str>,
        args: ListFreezersArgs,
    ) -> Result<Page<FreezerRecord>> {
        self.actor_with(token, Permission::ReadSamples).await?;
        let page = PageRequest {
            page: args.page,
            per_page: args.per_page,
        };
        Ok(self.store().freezers(args.search.as_deref(), page).await?)
    }

    pub async fn list_racks(
        &self,
        token: Option<&str>,
        args: ListRacksArgs,
    ) -> Result<Page<RackRecord>> {
        self.actor_with(token, Permission::ReadSamples).await?;
        let page = PageRequest {
            page: args.page,
            per_page: args.per_page,
        };
        Ok(self.store().racks(args.freezer_id, page).await?)
    }

    pub async fn create_freezer(
        &self,
        token: Option<&str>,
        args: CreateFreezerArgs,
    ) -> Result<FreezerRecord> {
        let actor = self.actor_with(token, Permission::ManageStorage).await?;
        let freezer_id = Uuid::now_v7();
        self.run(
            &actor,
            Command::CreateFreezer {
                freezer_id,
                name: args.name,
                location: args.location,
                freezer_kind: args.kind,
                temperature_c: args.temperature_c,
            },
        )
        .await?;
        Ok(self.store().freezer(freezer_id).await?)
    }

    pub async fn create_rack(
        &self,
        token: Option<&str>,
        args: CreateRackArgs,
    ) -> Result<RackRecord> {
        let actor = self.actor_with(token, Permission::ManageStorage).await?;
        let rack_id = Uuid::now_v7();
        self.run(
            &actor,
            Command::CreateRack {
                rack_id,
                freezer_id: args.freezer_id,
                name: args.name,
            },
        )
        .await?;
        Ok(self.store().rack(rack_id).await?)
    }

    pub async fn create_box(&self, token: Option<&str>, args: CreateBoxArgs) -> Result<BoxRecord> {
        let actor = self.actor_with(token, Permission::ManageStorage).await?;
        let box_id = Uuid::now_v7();
        self.run(
            &actor,
            Command::CreateBox {
                box_id,
                rack_id: args.rack_id,
                name: args.name,
                barcode: args.barcode,
                box_type: args.box_type,
                layout: args.layout,
            },
        )
        .await?;
        Ok(self.store().storage_box(box_id).await?)
    }

    /// The racks and boxes a pattern names, checked as adding them would check them, and
    /// any barcode already in use; nothing is made.
    pub async fn plan_racks_and_boxes(
        &self,
        token: Option<&str>,
        args: RacksAndBoxesArgs,
    ) -> Result<RacksAndBoxesPlan> {
        self.actor_with(token, Permission::ManageStorage).await?;
        let freezer = self.store().freezer(args.freezer_id).await?;
        args.layout.validate()?;
        aliquot_domain::registration::validate_text("box_type", &args.box_type, 40)?;
        let racks = args.pattern.expand()?;
        let barcodes: Vec<String> = racks
            .iter()
            .flat_map(|r| r.boxes.iter().map(|b| b.barcode.clone()))
            .collect();
        let taken_barcodes = self.store().taken_box_barcodes(&barcodes).await?;
        Ok(RacksAndBoxesPlan {
            freezer: freezer.name,
            box_count: u32::try_from(barcodes.len()).unwrap_or(u32::MAX),
            racks,
            taken_barcodes,
        })
    }

    /// Makes a pattern's racks and boxes in one command: all of them, or none.
    pub async fn add_racks_and_boxes(
        &self,
        token: Option<&str>,
        args: RacksAndBoxesArgs,
    ) -> Result<RacksAndBoxesAdded> {
        let actor = self.actor_with(token, Permission::ManageStorage).await?;
        let racks: Vec<NewRack> = args
            .pattern
            .expand()?
            .into_iter()
            .map(|rack| NewRack {
                rack_id: Uuid::now_v7(),
                name: rack.name,
                boxes: rack
                    .boxes
                    .into_iter()
                    .map(|b| NewBox {
                        box_id: Uuid::now_v7(),
                        name: b.name,
                        barcode: b.barcode,
                    })
                    .collect(),
            })
            .collect();
        let added = RacksAndBoxesAdded {
            rack_ids: racks.iter().map(|r| r.rack_id).collect(),
            box_ids: racks
                .iter()
                .flat_map(|r| r.boxes.iter().map(|b| b.box_id))
                .collect(),
        };
        self.run(
            &actor,
            Command::AddRacksAndBoxes {
                freezer_id: args.freezer_id,
                box_type: args.box_type,
                layout: args.layout,
                racks,
            },
        )
        .await?;
        Ok(added)
    }

    pub async fn move_box(&self, token: Option<&str>, args: MoveBoxArgs) -> Result<BoxRecord> {
        let actor = self.actor_with(token, Permission::ManageStorage).await?;
        let reason = args.reason;
        self.run(
            &actor,
            Command::MoveBox {
                box_id: args.box_id,
                rack_id: args.rack_id,
                reason,
            },
        )
        .await?;
        self.emit(CoreEvent::StorageChanged {
            box_id: args.box_id,
        });
        Ok(self.store().storage_box(args.box_id).await?)
    }

    /// Tells open box maps of the boxes these tubes are in (and `also`) to refresh.
    async fn storage_changed(&self, sample_ids: &[Uuid], also: Option<Uuid>) -> Result<()> {
        let mut boxes = self.store().boxes_holding(sample_ids).await?;
        boxes.extend(also);
        boxes.sort();
        boxes.dedup();
        for box_id in boxes {
            self.emit(CoreEvent::StorageChanged { box_id });
        }
        Ok(())
    }

    /// Corrects a freezer's, rack's or box's name and description.
    pub async fn edit_storage(&self, token: Option<&str>, args: EditStorageArgs) -> Result<()> {
        let actor = self.actor_with(token, Permission::ManageStorage).await?;
        let edited_box = match &args.edit {
            StorageEdit::Box { box_id, .. } => Some(*box_id),
            _ => None,
        };
        self.run(
            &actor,
            Command::EditStorage {
                edit: args.edit,
                reason: args.reason,
            },
        )
        .await?;
        if let Some(box_id) = edited_box {
            self.emit(CoreEvent::StorageChanged { box_id });
        }
        Ok(())
    }

    pub async fn void_storage(&self, token: Option<&str>, args: VoidStorageArgs) -> Result<()> {
        let actor = self.actor_with(token, Permission::ManageStorage).await?;
        self.run(
            &actor,
            Command::VoidStorage {
                target: args.target,
                reason: args.reason,
            },
        )
        .await?;
        Ok(())
    }

    pub async fn list_boxes(
        &self,
        token: Option<&str>,
        args: ListBoxesArgs,
    ) -> Result<Page<BoxRecord>> {
        self.actor_with(token, Permission::ReadSamples).await?;
        let filter = BoxFilter {
            freezer_id: args.freezer_id,
            rack_id: args.rack_id,
            has_space: args.has_space,
            min_free: args.min_free,
            box_type: args.box_type,
            search: args.search,
        };
        let page = PageRequest {
            page: args.page,
            per_page: args.per_page,
        };
        Ok(self
            .store()
            .boxes(&filter, args.sort, args.order, page)
            .await?)
    }

    pub async fn get_box(&self, token: Option<&str>, args: IdArgs) -> Result<BoxMap> {
        self.actor_with(token, Permission::ReadSamples).await?;
        self.box_map(args.id).await
    }

    async fn box_map(&self, box_id: Uuid) -> Result<BoxMap> {
        Ok(BoxMap {
            storage_box: self.store().storage_box(box_id).await?,
            wells: self.store().box_contents(box_id).await?,
        })
    }

    /// Places tubes in a box (all or none); tubes without a position go where the lab's
    /// auto-position strategy puts them. Returns the box map afterwards.
    pub async fn place_samples(
        &self,
        token: Option<&str>,
        args: PlaceSamplesArgs,
    ) -> Result<BoxMap> {
        let actor = self.actor_with(token, Permission::PlaceSamples).await?;
        let moved: Vec<Uuid> = args.tubes.iter().map(|t| t.sample_id).collect();
        // The boxes the tubes leave change too.
        let from = self.store().boxes_holding(&moved).await?;
        self.run(
            &actor,
            Command::PlaceSamples {
                box_id: args.box_id,
                tubes: args.tubes,
                source: args.source,
                receive: args.receive,
            },
        )
        .await?;
        for box_id in from.into_iter().filter(|b| *b != args.box_id) {
            self.emit(CoreEvent::StorageChanged { box_id });
        }
        self.emit(CoreEvent::StorageChanged {
            box_id: args.box_id,
        });
        self.box_map(args.box_id).await
    }

    pub async fn check_out_samples(
        &self,
        token: Option<&str>,
        args: CheckOutSamplesArgs,
    ) -> Result<()> {
        let actor = self.actor_with(token, Permission::PlaceSamples).await?;
        let reason = args.reason;
        self.run(
            &actor,
            Command::CheckOutSamples {
                sample_ids: args.sample_ids.clone(),
                reason,
            },
        )
        .await?;
        self.storage_changed(&args.sample_ids, None).await
    }

    pub async fn check_in_samples(
        &self,
        token: Option<&str>,
        args: CheckInSamplesArgs,
    ) -> Result<()> {
        let actor = self.actor_with(token, Permission::PlaceSamples).await?;
        self.run(
            &actor,
            Command::CheckInSamples {
                sample_ids: args.sample_ids.clone(),
            },
        )
        .await?;
        self.storage_changed(&args.sample_ids, None).await
    }

    /// Takes a stored tube out of its box onto the bench for good, with the reason; the box
    /// it left is told, so open box maps free the well.
    pub async fn unplace_sample(
        &self,
        token: Option<&str>,
        args: UnplaceSampleArgs,
    ) -> Result<SampleView> {
        let actor = self.actor_with(token, Permission::PlaceSamples).await?;
        let left = self.store().boxes_holding(&[args.sample_id]).await?;
        self.run(
            &actor,
            Command::UnplaceSample {
                sample_id: args.sample_id,
                reason: args.reason,
            },
        )
        .await?;
        for box_id in left {
            self.emit(CoreEvent::StorageChanged { box_id });
        }
        Ok(self.sample_view(self.store().sample(args.sample_id).await?))
    }

    async fn rack_scan_diff(&self, args: &RackScanArgs) -> Result<RackScanDiff> {
        let storage_box = self.store().storage_box(args.box_id).await?;
        let grid = storage_box.layout.grid().ok_or_else(|| {
            DomainError::Refused("a bag has no positions to compare a rack scan with".into())
        })?;
        let scan = rackscan::parse_rack_scan(&args.file_text, grid).map_err(DomainError::from)?;
        if let Some(rack) = &scan.rack_barcode {
            if *rack != storage_box.barcode {
                return Err(DomainError::Refused(format!("the scan is of rack {rack}, but box {} has barcode {}; scan the right rack or choose its box", storage_box.name, storage_box.barcode)).into());
            }
        }
        let codes: Vec<String> = scan
            .wells
            .iter()
            .filter_map(|w| match &w.read {
                rackscan::WellRead::Tube(code) => Some(code.clone()),
                _ => None,
            })
            .collect();
        let expected = self.store().expected_tubes(args.box_id).await?;
        let known = self.store().known_tubes(args.box_id, &codes).await?;
        Ok(rackscan::compare(&scan, &expected, &known))
    }

    /// The expected-versus-scanned comparison, changing nothing.
    pub async fn preview_rack_scan(
        &self,
        token: Option<&str>,
        args: RackScanArgs,
    ) -> Result<RackScanDiff> {
        self.actor_with(token, Permission::ReadSamples).await?;
        self.rack_scan_diff(&args).await
    }

    /// Commits every accepted placement of a rack scan in one command, or nothing.
    pub async fn import_rack_scan(
        &self,
        token: Option<&str>,
        args: RackScanArgs,
    ) -> Result<RackScanImported> {
        let actor = self.actor_with(token, Permission::PlaceSamples).await?;
        let diff = self.rack_scan_diff(&args).await?;
        let tubes: Vec<TubePlacement> = diff
            .placements
            .iter()
            .map(|p| TubePlacement {
                sample_id: p.sample_id,
                position: Some(p.position.clone()),
            })
            .collect();
        let placed = u32::try_from(tubes.len()).unwrap_or(u32::MAX);
        if !tubes.is_empty() {
            self.run(
                &actor,
                Command::PlaceSamples {
                    box_id: args.box_id,
                    tubes,
                    source: PlacementSource::RackImport,
                    receive: false,
                },
            )
            .await?;
            self.emit(CoreEvent::StorageChanged {
                box_id: args.box_id,
            });
        }
        Ok(RackScanImported {
            diff,
            placed,
            box_map: self.box_map(args.box_id).await?,
        })
    }
}
