//! The importer: an instrument file's raw results (from its format's parser, which knows
//! nothing of samples) matched to a run's plate map, shown as a preview, then applied as one
//! `ImportResults` command. The preview and the import match the same way, through
//! [`Store::preview_import`]; the watch folder and the Import screen both come here.

use crate::runs::{RunRecord, WellRole};
use crate::users::parse_uuid;
use crate::{Result, Store, StoreError};
use aliquot_domain::instruments::ResultFormat;
use aliquot_domain::runs::{ImportedResult, PlateFormat, Reading};
use aliquot_domain::storage::Position;
use aliquot_domain::{Command, DomainError};
use aliquot_instruments::RawResult;
use chrono::{DateTime, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use ts_rs::TS;
use uuid::Uuid;

/// How a value of the file stands against the plate map.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum PreviewMatch {
    /// A tube of the plate map: imported as its result.
    Sample,
    /// A control well: imported, and judged by QC.
    Control,
    /// A standard or a blank: imported, shown on the plate.
    Standard,
    Blank,
    /// The well is empty on the plate map: not imported.
    NoSampleThere,
    /// The file names a sample that is on none of the run's plates: not imported.
    NotOnPlate,
    /// The file names a plate the run does not have: not imported.
    UnknownPlate,
}

impl PreviewMatch {
    pub fn imported(self) -> bool {
        matches!(
            self,
            PreviewMatch::Sample
                | PreviewMatch::Control
                | PreviewMatch::Standard
                | PreviewMatch::Blank
        )
    }
}

/// One value of the file against the plate map.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct PreviewRow {
    pub plate_id: Option<Uuid>,
    pub plate_name: Option<String>,
    /// The well, or the sample name a one-tube instrument was given.
    pub position: String,
    pub well: Option<String>,
    pub read: String,
    pub value: Reading,
    pub unit: Option<String>,
    pub matched: PreviewMatch,
    pub sample_id: Option<Uuid>,
    pub sample_code: Option<String>,
    pub control_lot_id: Option<Uuid>,
    /// The instrument flagged or censored the value.
    pub flagged: bool,
}

/// The counts a technician checks before importing.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct PreviewCounts {
    pub values: u32,
    pub samples: u32,
    pub controls: u32,
    pub standards_and_blanks: u32,
    pub no_sample_there: u32,
    pub not_on_plate: u32,
    pub unknown_plate: u32,
    pub flagged: u32,
}

/// The file was imported into this run before.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct EarlierImport {
    pub import_id: Uuid,
    pub imported_at: DateTime<Utc>,
}

/// What importing the file would do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct ImportPreview {
    pub run: RunRecord,
    pub file_name: String,
    pub sha256: String,
    pub format: ResultFormat,
    /// Set when this very file (same SHA-256) was imported into the run: importing it again
    /// does nothing.
    pub already_imported: Option<EarlierImport>,
    /// The run's current import, which this file would supersede (a reason is needed).
    pub supersedes: Option<Uuid>,
    pub counts: PreviewCounts,
    pub rows: Vec<PreviewRow>,
}

/// What an import did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(tag = "outcome", rename_all = "snake_case")]
#[ts(export)]
pub enum ImportOutcome {
    Imported {
        import_id: Uuid,
        run: Box<RunRecord>,
        counts: PreviewCounts,
    },
    /// The same file again: nothing changed.
    AlreadyImported {
        import_id: Uuid,
        imported_at: DateTime<Utc>,
    },
}

/// SHA-256 of a file's bytes, hex.
pub fn file_sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// A filled well of one of the run's plates.
struct MapEntry {
    role: WellRole,
    sample_id: Option<Uuid>,
    sample_code: Option<String>,
    control_lot_id: Option<Uuid>,
}

struct RunPlate {
    id: Uuid,
    name: String,
    format: PlateFormat,
}

/// The command that imports what `preview` matched, with its import's id; or, for a file
/// the run already took, the outcome saying so (nothing to run).
pub fn import_command(
    preview: &ImportPreview,
    reason: Option<String>,
) -> std::result::Result<(Uuid, Command), ImportOutcome> {
    if let Some(earlier) = &preview.already_imported {
        return Err(ImportOutcome::AlreadyImported {
            import_id: earlier.import_id,
            imported_at: earlier.imported_at,
        });
    }
    let results: Vec<ImportedResult> = preview
        .rows
        .iter()
        .filter(|r| r.matched.imported())
        .filter_map(|r| {
            Some(ImportedResult {
                plate_id: r.plate_id?,
                well: r.well.clone()?,
                sample_id: r.sample_id,
                control_lot_id: r.control_lot_id,
                read: r.read.clone(),
                value: r.value.clone(),
                unit: r.unit.clone(),
            })
        })
        .collect();
    let import_id = Uuid::now_v7();
    Ok((
        import_id,
        Command::ImportResults {
            import_id,
            run_id: preview.run.id,
            file_name: preview.file_name.clone(),
            sha256: preview.sha256.clone(),
            format: preview.format,
            results,
            supersedes: preview.supersedes,
            reason: preview.supersedes.and(reason),
        },
    ))
}

impl Store {
    /// Reads `bytes` with the run's instrument's parser and matches every value to the run's
    /// plate map. Changes nothing.
    pub async fn preview_import(
        &self,
        run_id: Uuid,
        file_name: &str,
        bytes: &[u8],
    ) -> Result<ImportPreview> {
        let run = self.run(run_id).await?;
        let instrument = self.instrument(run.instrument_id).await?;
        let sha256 = file_sha256(bytes);
        let already_imported =
            self.import_of_file(run_id, &sha256)
                .await?
                .map(|(import_id, imported_at)| EarlierImport {
                    import_id,
                    imported_at,
                });
        let format = instrument.description.result_format;
        let raw =
            aliquot_instruments::parse(format, bytes, instrument.description.csv_mapping.as_ref())
                .map_err(|e| {
                    DomainError::invalid(
                        "file",
                        format!(
                            "{} is not a {} file Aliquot can read: {e}",
                            file_name.trim(),
                            format.as_str()
                        ),
                    )
                })?;
        let (plates, wells, by_code) = self.run_plate_map(run_id).await?;
        let rows = match_results(&raw, &plates, &wells, &by_code);
        let mut counts = PreviewCounts::default();
        for row in &rows {
            counts.values += 1;
            match row.matched {
                PreviewMatch::Sample => counts.samples += 1,
                PreviewMatch::Control => counts.controls += 1,
                PreviewMatch::Standard | PreviewMatch::Blank => counts.standards_and_blanks += 1,
                PreviewMatch::NoSampleThere => counts.no_sample_there += 1,
                PreviewMatch::NotOnPlate => counts.not_on_plate += 1,
                PreviewMatch::UnknownPlate => counts.unknown_plate += 1,
            }
            if row.flagged {
                counts.flagged += 1;
            }
        }
        Ok(ImportPreview {
            supersedes: run.current_import_id,
            run,
            file_name: file_name.trim().to_owned(),
            sha256,
            format,
            already_imported,
            counts,
            rows,
        })
    }

    /// The run's plates and filled wells: one run's map (at most 40 plates of 1,536 wells),
    /// read once per preview.
    async fn run_plate_map(
        &self,
        run_id: Uuid,
    ) -> Result<(
        Vec<RunPlate>,
        HashMap<(Uuid, Position), MapEntry>,
        HashMap<String, (Uuid, Position)>,
    )> {
        let id = run_id.to_string();
        let plates = sqlx::query!(
            r#"SELECT id AS "id!", name, format FROM plates WHERE run_id = ?1 ORDER BY ordinal"#,
            id
        )
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .map(|p| {
            Ok(RunPlate {
                id: parse_uuid(&p.id)?,
                format: PlateFormat::parse(&p.format)
                    .ok_or_else(|| StoreError::Decode(format!("plate format {}", p.format)))?,
                name: p.name,
            })
        })
        .collect::<Result<Vec<_>>>()?;
        let rows = sqlx::query!(
            r#"SELECT w.plate_id, w.well, w.role, w.sample_id, s.code AS "code?", w.control_lot_id
               FROM plate_wells w JOIN plates p ON p.id = w.plate_id
               LEFT JOIN samples s ON s.id = w.sample_id
               WHERE p.run_id = ?1"#,
            id
        )
        .fetch_all(&self.pool)
        .await?;
        let mut wells = HashMap::with_capacity(rows.len());
        let mut by_code = HashMap::new();
        for w in rows {
            let plate = parse_uuid(&w.plate_id)?;
            let well = Position::parse(&w.well)
                .ok_or_else(|| StoreError::Decode(format!("well {}", w.well)))?;
            let role = match w.role.as_str() {
                "sample" => WellRole::Sample,
                "control" => WellRole::Control,
                "standard" => WellRole::Standard,
                _ => WellRole::Blank,
            };
            if let Some(code) = &w.code {
                by_code.insert(code.to_ascii_uppercase(), (plate, well));
            }
            wells.insert(
                (plate, well),
                MapEntry {
                    role,
                    sample_id: w.sample_id.as_deref().map(parse_uuid).transpose()?,
                    sample_code: w.code,
                    control_lot_id: w.control_lot_id.as_deref().map(parse_uuid).transpose()?,
                },
            );
        }
        Ok((plates, wells, by_code))
    }
}

/// Matches each raw result to a plate and well of the run, and what the map has there.
///
/// Which plate a well's value belongs to: the run's only plate; else the plate the file names
/// by the run's plate name; else the file's plates in the order they first appear, matched to
/// the run's plates in their order.
fn match_results(
    raw: &[RawResult],
    plates: &[RunPlate],
    wells: &HashMap<(Uuid, Position), MapEntry>,
    by_code: &HashMap<String, (Uuid, Position)>,
) -> Vec<PreviewRow> {
    let mut file_plates: Vec<&str> = Vec::new();
    for r in raw {
        if let Some(p) = r.plate.as_deref() {
            if !file_plates.contains(&p) {
                file_plates.push(p);
            }
        }
    }
    let plate_for = |name: Option<&str>| -> Option<&RunPlate> {
        if plates.len() == 1 {
            return plates.first();
        }
        let name = name?;
        plates
            .iter()
            .find(|p| p.name.eq_ignore_ascii_case(name.trim()))
            .or_else(|| {
                let i = file_plates.iter().position(|p| *p == name)?;
                plates.get(i)
            })
    };
    raw.iter()
        .map(|r| {
            let value = r.value.clone();
            let flagged = value.is_flagged();
            let mut row = PreviewRow {
                plate_id: None,
                plate_name: r.plate.clone(),
                position: r.position.to_string(),
                well: None,
                read: r.read.clone(),
                value,
                unit: r.unit.clone(),
                matched: PreviewMatch::UnknownPlate,
                sample_id: None,
                sample_code: None,
                control_lot_id: None,
                flagged,
            };
            let at = match &r.position {
                aliquot_instruments::Position::Well(well) => match plate_for(r.plate.as_deref()) {
                    Some(p) if p.format.contains(*well) => Some((p, *well)),
                    Some(p) => {
                        row.plate_id = Some(p.id);
                        row.plate_name = Some(p.name.clone());
                        row.matched = PreviewMatch::NoSampleThere;
                        None
                    }
                    None => None,
                },
                aliquot_instruments::Position::Sample(code) => {
                    row.sample_code = Some(code.trim().to_owned());
                    match by_code.get(&code.trim().to_ascii_uppercase()) {
                        Some((plate, well)) => {
                            plates.iter().find(|p| p.id == *plate).map(|p| (p, *well))
                        }
                        None => {
                            row.matched = PreviewMatch::NotOnPlate;
                            None
                        }
                    }
                }
            };
            if let Some((plate, well)) = at {
                row.plate_id = Some(plate.id);
                row.plate_name = Some(plate.name.clone());
                row.well = Some(well.name());
                row.matched = match wells.get(&(plate.id, well)) {
                    None => PreviewMatch::NoSampleThere,
                    Some(entry) => {
                        row.sample_id = entry.sample_id;
                        row.control_lot_id = entry.control_lot_id;
                        if entry.sample_code.is_some() {
                            row.sample_code.clone_from(&entry.sample_code);
                        }
                        match entry.role {
                            WellRole::Sample => PreviewMatch::Sample,
                            WellRole::Control => PreviewMatch::Control,
                            WellRole::Standard => PreviewMatch::Standard,
                            WellRole::Blank => PreviewMatch::Blank,
                        }
                    }
                };
            }
            row
        })
        .collect()
}
