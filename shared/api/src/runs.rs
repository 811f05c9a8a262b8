//! Operations for runs on instruments (issue 16): plate templates, runs and their plates,
//! the plate map filled by scanning, the plate map exported for the instrument, a result
//! file previewed and imported, a lab manager's decision on a held run, a tube's runs and
//! results, a control's Levey-Jennings points.

use crate::dto::{default_per_page, first_page};
use crate::registration::IdArgs;
use crate::{Api, ApiError};
use aliquot_domain::paging::{Page, PageRequest};
use aliquot_domain::runs::{FillOrder, LayoutWell, NewPlate, PlateFormat, RunDecision, RunState};
use aliquot_domain::{Command, DomainError, Permission};
use aliquot_instruments::plate_map::{write_plate_map, MapContent, MapWell, PlateMapStyle};
use aliquot_store::instruments::ControlLotRecord;
use aliquot_store::lookup::Scanned;
use aliquot_store::result_import::{import_command, ImportOutcome, ImportPreview};
use aliquot_store::runs::{
    ControlPoint, PlateMap, PlateRecord, PlateTemplateRecord, ResultImportRecord, RunFilter,
    RunRecord, SampleResult, SampleRun, WellRole,
};
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use uuid::Uuid;

type Result<T> = std::result::Result<T, ApiError>;

fn page(page: u32, per_page: u32) -> PageRequest {
    PageRequest { page, per_page }
}

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct ListRunsArgs {
    /// Start of the run's name.
    #[serde(default)]
    #[ts(optional)]
    pub search: Option<String>,
    #[serde(default)]
    #[ts(optional)]
    pub instrument_id: Option<Uuid>,
    #[serde(default)]
    #[ts(optional)]
    pub state: Option<RunState>,
    #[serde(default = "first_page")]
    pub page: u32,
    #[serde(default = "default_per_page")]
    pub per_page: u32,
}

/// A plate of a new run: its label's name, its size, and the template its controls,
/// standards and blanks come from.
#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct PlateArgs {
    pub name: String,
    pub format: PlateFormat,
    #[serde(default)]
    #[ts(optional)]
    pub template_id: Option<Uuid>,
}

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct CreateRunArgs {
    pub instrument_id: Uuid,
    pub name: String,
    pub plates: Vec<PlateArgs>,
}

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct ListPlatesArgs {
    pub run_id: Uuid,
    #[serde(default = "first_page")]
    pub page: u32,
    #[serde(default = "default_per_page")]
    pub per_page: u32,
}

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct ListPlateTemplatesArgs {
    #[serde(default)]
    #[ts(optional)]
    pub format: Option<PlateFormat>,
    #[serde(default = "first_page")]
    pub page: u32,
    #[serde(default = "default_per_page")]
    pub per_page: u32,
}

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct CreatePlateTemplateArgs {
    pub name: String,
    pub format: PlateFormat,
    pub layout: Vec<LayoutWell>,
}

/// A scanned tube for a plate: at the clicked well, or the next free well in `order`.
#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct FillWellArgs {
    pub plate_id: Uuid,
    /// The tube's code as scanned or typed.
    pub code: String,
    #[serde(default)]
    #[ts(optional)]
    pub well: Option<String>,
    #[serde(default)]
    #[ts(optional)]
    pub order: Option<FillOrder>,
}

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct ClearWellArgs {
    pub plate_id: Uuid,
    pub well: String,
    pub reason: String,
}

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct ExportPlateMapArgs {
    pub plate_id: Uuid,
    pub style: PlateMapStyleArg,
}

/// Which plate-map file: Gen5's plate layout with its sample IDs, or a list of wells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum PlateMapStyleArg {
    Gen5Layout,
    WellList,
}

/// A plate map file, for the browser to save.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct PlateMapFile {
    pub file_name: String,
    pub text: String,
}

/// A result file the technician chose, as bytes (instruments write UTF-16 too).
#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct ResultFileArgs {
    pub run_id: Uuid,
    pub file_name: String,
    pub file_base64: String,
    /// Why a corrected file supersedes the run's results.
    #[serde(default)]
    #[ts(optional)]
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct DecideRunArgs {
    pub run_id: Uuid,
    pub decision: RunDecision,
    pub reason: String,
}

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct ListSampleResultsArgs {
    pub sample_id: Uuid,
    /// Superseded values too (a corrected file replaced them).
    #[serde(default)]
    #[ts(optional)]
    pub include_superseded: Option<bool>,
    #[serde(default = "first_page")]
    pub page: u32,
    #[serde(default = "default_per_page")]
    pub per_page: u32,
}

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct ListBySampleArgs {
    pub sample_id: Uuid,
    #[serde(default = "first_page")]
    pub page: u32,
    #[serde(default = "default_per_page")]
    pub per_page: u32,
}

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct ListByRunArgs {
    pub run_id: Uuid,
    #[serde(default = "first_page")]
    pub page: u32,
    #[serde(default = "default_per_page")]
    pub per_page: u32,
}

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct ControlChartArgs {
    pub control_lot_id: Uuid,
    #[serde(default = "first_page")]
    pub page: u32,
    #[serde(default = "default_per_page")]
    pub per_page: u32,
}

/// A control lot's target and its values run by run: a Levey-Jennings chart.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct ControlChart {
    pub lot: ControlLotRecord,
    pub points: Page<ControlPoint>,
}

fn file_bytes(args: &ResultFileArgs) -> Result<Vec<u8>> {
    base64::engine::general_purpose::STANDARD
        .decode(args.file_base64.trim())
        .map_err(|_| ApiError::invalid("the file did not arrive whole; choose it again"))
}

impl Api {
    pub async fn list_runs(
        &self,
        token: Option<&str>,
        args: ListRunsArgs,
    ) -> Result<Page<RunRecord>> {
        self.actor_with(token, Permission::ReadSamples).await?;
        let filter = RunFilter {
            search: args.search,
            instrument_id: args.instrument_id,
            state: args.state,
        };
        Ok(self
            .store()
            .runs(&filter, page(args.page, args.per_page))
            .await?)
    }

    pub async fn get_run(&self, token: Option<&str>, args: IdArgs) -> Result<RunRecord> {
        self.actor_with(token, Permission::ReadSamples).await?;
        Ok(self.store().run(args.id).await?)
    }

    pub async fn list_plates(
        &self,
        token: Option<&str>,
        args: ListPlatesArgs,
    ) -> Result<Page<PlateRecord>> {
        self.actor_with(token, Permission::ReadSamples).await?;
        Ok(self
            .store()
            .plates(args.run_id, page(args.page, args.per_page))
            .await?)
    }

    /// Creates the run with its plates, each with its template's controls, standards and
    /// blanks copied in (the command carries them, so the run does not change if the
    /// template is edited later).
    pub async fn create_run(&self, token: Option<&str>, args: CreateRunArgs) -> Result<RunRecord> {
        let actor = self.actor_with(token, Permission::RunInstruments).await?;
        let mut plates = Vec::with_capacity(args.plates.len());
        for p in args.plates {
            let layout = match p.template_id {
                Some(t) => self.store().plate_template(t).await?.layout,
                None => Vec::new(),
            };
            plates.push(NewPlate {
                plate_id: Uuid::now_v7(),
                name: p.name,
                format: p.format,
                template_id: p.template_id,
                layout,
            });
        }
        let run_id = Uuid::now_v7();
        self.run(
            &actor,
            Command::CreateRun {
                run_id,
                instrument_id: args.instrument_id,
                name: args.name,
                plates,
            },
        )
        .await?;
        Ok(self.store().run(run_id).await?)
    }

    pub async fn list_plate_templates(
        &self,
        token: Option<&str>,
        args: ListPlateTemplatesArgs,
    ) -> Result<Page<PlateTemplateRecord>> {
        self.actor_with(token, Permission::ReadSamples).await?;
        Ok(self
            .store()
            .plate_templates(args.format, page(args.page, args.per_page))
            .await?)
    }

    pub async fn create_plate_template(
        &self,
        token: Option<&str>,
        args: CreatePlateTemplateArgs,
    ) -> Result<PlateTemplateRecord> {
        let actor = self.actor_with(token, Permission::RunInstruments).await?;
        let template_id = Uuid::now_v7();
        self.run(
            &actor,
            Command::CreatePlateTemplate {
                template_id,
                name: args.name,
                format: args.format,
                layout: args.layout,
            },
        )
        .await?;
        Ok(self.store().plate_template(template_id).await?)
    }

    pub async fn get_plate_map(&self, token: Option<&str>, args: IdArgs) -> Result<PlateMap> {
        self.actor_with(token, Permission::ReadSamples).await?;
        Ok(self.store().plate_map(args.id).await?)
    }

    /// A scanned tube into the plate; returns the plate map with it.
    pub async fn fill_well(&self, token: Option<&str>, args: FillWellArgs) -> Result<PlateMap> {
        let actor = self.actor_with(token, Permission::RunInstruments).await?;
        let sample = match self.store().lookup_scan(&args.code).await? {
            Some(Scanned::Sample(sample)) => sample,
            _ => {
                return Err(DomainError::Refused(format!(
                    "{} is not a tube Aliquot knows; scan the tube's label",
                    args.code.trim()
                ))
                .into())
            }
        };
        self.run(
            &actor,
            Command::FillWell {
                plate_id: args.plate_id,
                sample_id: sample.id,
                well: args.well.filter(|w| !w.trim().is_empty()),
                // The lab's order unless this scan loop chose another.
                order: match args.order {
                    Some(order) => order,
                    None => self.store().settings().await?.plate_fill_order,
                },
            },
        )
        .await?;
        Ok(self.store().plate_map(args.plate_id).await?)
    }

    pub async fn clear_well(&self, token: Option<&str>, args: ClearWellArgs) -> Result<PlateMap> {
        let actor = self.actor_with(token, Permission::RunInstruments).await?;
        self.run(
            &actor,
            Command::ClearWell {
                plate_id: args.plate_id,
                well: args.well,
                reason: args.reason,
            },
        )
        .await?;
        Ok(self.store().plate_map(args.plate_id).await?)
    }

    /// The plate map as the file the instrument imports before the read.
    pub async fn export_plate_map(
        &self,
        token: Option<&str>,
        args: ExportPlateMapArgs,
    ) -> Result<PlateMapFile> {
        self.actor_with(token, Permission::ReadSamples).await?;
        let map = self.store().plate_map(args.plate_id).await?;
        let wells: Vec<MapWell> = map
            .wells
            .iter()
            .map(|w| MapWell {
                well: aliquot_domain::storage::Position {
                    row: w.row,
                    column: w.column,
                },
                content: match w.role {
                    WellRole::Sample => MapContent::Sample {
                        code: w.sample_code.clone().unwrap_or_default(),
                    },
                    WellRole::Control => MapContent::Control {
                        label: w.control_label.clone().unwrap_or_default(),
                    },
                    WellRole::Standard => MapContent::Standard {
                        name: w.standard_name.clone().unwrap_or_default(),
                        concentration: w.concentration.map(|c| c.0),
                    },
                    WellRole::Blank => MapContent::Blank,
                },
            })
            .collect();
        let (style, suffix) = match args.style {
            PlateMapStyleArg::Gen5Layout => (PlateMapStyle::Gen5Layout, "gen5-layout"),
            PlateMapStyleArg::WellList => (PlateMapStyle::WellList, "wells"),
        };
        let format = map.plate.format;
        let safe: String = map
            .plate
            .name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        Ok(PlateMapFile {
            file_name: format!("{safe}-{suffix}.csv"),
            text: write_plate_map(format.rows(), format.columns(), &wells, style),
        })
    }

    /// The file read and matched to the run's plate map; nothing changes.
    pub async fn preview_import(
        &self,
        token: Option<&str>,
        args: ResultFileArgs,
    ) -> Result<ImportPreview> {
        self.actor_with(token, Permission::RunInstruments).await?;
        let bytes = file_bytes(&args)?;
        Ok(self
            .store()
            .preview_import(args.run_id, &args.file_name, &bytes)
            .await?)
    }

    /// The file's matched values applied in one command; the same file again does nothing.
    pub async fn import_results(
        &self,
        token: Option<&str>,
        args: ResultFileArgs,
    ) -> Result<ImportOutcome> {
        let actor = self.actor_with(token, Permission::RunInstruments).await?;
        let bytes = file_bytes(&args)?;
        let preview = self
            .store()
            .preview_import(args.run_id, &args.file_name, &bytes)
            .await?;
        self.import_previewed(&actor, preview, args.reason).await
    }

    /// What `preview` matched, imported as `actor` in one command; a file the run took
    /// already changes nothing. The one way a previewed file is imported (the Import panel,
    /// a watched file, the watch folder's automatic import).
    pub(crate) async fn import_previewed(
        &self,
        actor: &aliquot_domain::Actor,
        preview: ImportPreview,
        reason: Option<String>,
    ) -> Result<ImportOutcome> {
        let (import_id, command) = match import_command(&preview, reason) {
            Ok(found) => found,
            Err(already) => return Ok(already),
        };
        self.run(actor, command).await?;
        Ok(ImportOutcome::Imported {
            import_id,
            run: Box::new(self.store().run(preview.run.id).await?),
            counts: preview.counts,
        })
    }

    pub async fn list_result_imports(
        &self,
        token: Option<&str>,
        args: ListByRunArgs,
    ) -> Result<Page<ResultImportRecord>> {
        self.actor_with(token, Permission::ReadSamples).await?;
        Ok(self
            .store()
            .result_imports(args.run_id, page(args.page, args.per_page))
            .await?)
    }

    pub async fn decide_run(&self, token: Option<&str>, args: DecideRunArgs) -> Result<RunRecord> {
        let actor = self.actor_with(token, Permission::DecideRuns).await?;
        self.run(
            &actor,
            Command::DecideRun {
                run_id: args.run_id,
                decision: args.decision,
                reason: args.reason,
            },
        )
        .await?;
        Ok(self.store().run(args.run_id).await?)
    }

    pub async fn list_sample_runs(
        &self,
        token: Option<&str>,
        args: ListBySampleArgs,
    ) -> Result<Page<SampleRun>> {
        self.actor_with(token, Permission::ReadSamples).await?;
        Ok(self
            .store()
            .sample_runs(args.sample_id, page(args.page, args.per_page))
            .await?)
    }

    pub async fn list_sample_results(
        &self,
        token: Option<&str>,
        args: ListSampleResultsArgs,
    ) -> Result<Page<SampleResult>> {
        self.actor_with(token, Permission::ReadSamples).await?;
        Ok(self
            .store()
            .sample_results(
                args.sample_id,
                !args.include_superseded.unwrap_or(false),
                page(args.page, args.per_page),
            )
            .await?)
    }

    pub async fn get_control_chart(
        &self,
        token: Option<&str>,
        args: ControlChartArgs,
    ) -> Result<ControlChart> {
        self.actor_with(token, Permission::ReadSamples).await?;
        Ok(ControlChart {
            lot: self.store().control_lot(args.control_lot_id).await?,
            points: self
                .store()
                .control_points(args.control_lot_id, page(args.page, args.per_page))
                .await?,
        })
    }
}
