//! What goes on labels: the sample, its participant, site and collection event, or a box
//! and where it lives, read for a label group in the order the labels come out.

use crate::users::parse_uuid;
use crate::{parse_utc, Result, Store, StoreError};
use aliquot_domain::printing::{LabelGroup, MAX_LABELS_PER_JOB};
use aliquot_domain::DomainError;
use aliquot_labels::{BoxLabel, SampleLabel};
use uuid::Uuid;

/// One sample label's data (the collection date in UTC, as recorded; the event empty for a
/// sample collected outside one) and the sample it is of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SampleLabelRow {
    pub sample_id: Uuid,
    pub label: SampleLabel,
}

/// One box label's data (location "Freezer / Rack") and the box it is of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoxLabelRow {
    pub box_id: Uuid,
    pub label: BoxLabel,
}

/// The labels of a group and what they are of, for people ("kit of P10000X").
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LabelRows {
    Samples {
        subject: String,
        rows: Vec<SampleLabelRow>,
    },
    Boxes {
        subject: String,
        rows: Vec<BoxLabelRow>,
    },
}

struct SampleLabelSql {
    id: String,
    code: String,
    sample_type_code: String,
    sample_type_label: String,
    collected_at: String,
    participant_code: String,
    site: String,
    event: Option<String>,
}

macro_rules! select_sample_labels {
    ($tail:literal, $($arg:expr),*) => {
        sqlx::query_as!(
            SampleLabelSql,
            r#"SELECT s.id AS "id!", s.code, t.short_code AS sample_type_code, t.label AS sample_type_label, s.collected_at,
                      p.code AS participant_code, si.name AS site, e.name AS "event?"
               FROM samples s
               JOIN sample_types t ON t.code = s.sample_type
               JOIN participants p ON p.id = s.participant_id
               JOIN sites si ON si.id = p.site_id
               LEFT JOIN field_events e ON e.id = s.event_id
               "# + $tail,
            $($arg),*
        )
    };
}

fn sample_row(r: SampleLabelSql) -> Result<SampleLabelRow> {
    Ok(SampleLabelRow {
        sample_id: parse_uuid(&r.id)?,
        label: SampleLabel {
            sample_type_code: r.sample_type_code,
            sample_type_label: r.sample_type_label,
            collected_on: parse_utc(&r.collected_at)?.date_naive(),
            sample_code: r.code,
            participant_code: r.participant_code,
            site: r.site,
            event: r.event.unwrap_or_default(),
        },
    })
}

fn too_many(n: usize) -> Result<()> {
    if n > MAX_LABELS_PER_JOB {
        return Err(DomainError::invalid(
            "labels",
            format!("{n} labels are more than one job carries ({MAX_LABELS_PER_JOB})"),
        )
        .into());
    }
    Ok(())
}

impl Store {
    /// The labels of `group`, each record once, in print order. An id that is not there
    /// is refused by name rather than skipped, so a job never silently lacks a label.
    pub async fn label_rows(&self, group: &LabelGroup) -> Result<LabelRows> {
        let mut conn = self.pool.acquire().await?;
        match group {
            LabelGroup::Samples { sample_ids } => {
                too_many(sample_ids.len())?;
                let ids = serde_json::to_string(sample_ids)
                    .map_err(|e| StoreError::Decode(e.to_string()))?;
                let found =
                    select_sample_labels!("WHERE s.id IN (SELECT value FROM json_each(?1))", ids)
                        .fetch_all(&mut *conn)
                        .await?
                        .into_iter()
                        .map(sample_row)
                        .collect::<Result<Vec<_>>>()?;
                let mut rows = Vec::with_capacity(sample_ids.len());
                for id in sample_ids {
                    if rows.iter().any(|r: &SampleLabelRow| r.sample_id == *id) {
                        continue;
                    }
                    let row = found
                        .iter()
                        .find(|r| r.sample_id == *id)
                        .ok_or(DomainError::NotFound("sample"))?;
                    rows.push(row.clone());
                }
                let subject = match rows.as_slice() {
                    [one] => format!("sample {}", one.label.sample_code),
                    many => format!("{} samples", many.len()),
                };
                Ok(LabelRows::Samples { subject, rows })
            }
            LabelGroup::Kit { registration_id } => {
                let id = registration_id.to_string();
                let rows =
                    select_sample_labels!("WHERE s.registration_id = ?1 ORDER BY s.code", id)
                        .fetch_all(&mut *conn)
                        .await?
                        .into_iter()
                        .map(sample_row)
                        .collect::<Result<Vec<_>>>()?;
                let Some(first) = rows.first() else {
                    return Err(DomainError::NotFound("kit registration").into());
                };
                too_many(rows.len())?;
                let subject = format!("kit of {}", first.label.participant_code);
                Ok(LabelRows::Samples { subject, rows })
            }
            LabelGroup::BoxContents { box_id } => {
                let id = box_id.to_string();
                let name = sqlx::query_scalar!("SELECT name FROM boxes WHERE id = ?1", id)
                    .fetch_optional(&mut *conn)
                    .await?
                    .ok_or(DomainError::NotFound("box"))?;
                let rows = select_sample_labels!(
                    "JOIN placements pl ON pl.sample_id = s.id
                     WHERE pl.box_id = ?1
                     ORDER BY pl.row_index, pl.column_index, pl.placed_at, s.code",
                    id
                )
                .fetch_all(&mut *conn)
                .await?
                .into_iter()
                .map(sample_row)
                .collect::<Result<Vec<_>>>()?;
                if rows.is_empty() {
                    return Err(DomainError::invalid("box", format!("{name} is empty")).into());
                }
                too_many(rows.len())?;
                Ok(LabelRows::Samples {
                    subject: format!("contents of {name}"),
                    rows,
                })
            }
            LabelGroup::Boxes { box_ids } => {
                too_many(box_ids.len())?;
                let mut rows = Vec::with_capacity(box_ids.len());
                for id in box_ids {
                    let key = id.to_string();
                    let r = sqlx::query!(
                        r#"SELECT b.name, b.barcode, r.name AS rack, f.name AS freezer
                           FROM boxes b JOIN racks r ON r.id = b.rack_id
                           JOIN freezers f ON f.id = r.freezer_id WHERE b.id = ?1"#,
                        key
                    )
                    .fetch_optional(&mut *conn)
                    .await?
                    .ok_or(DomainError::NotFound("box"))?;
                    rows.push(BoxLabelRow {
                        box_id: *id,
                        label: BoxLabel {
                            box_name: r.name,
                            box_barcode: r.barcode,
                            location: format!("{} / {}", r.freezer, r.rack),
                        },
                    });
                }
                let subject = match rows.as_slice() {
                    [one] => format!("box {}", one.label.box_name),
                    many => format!("{} boxes", many.len()),
                };
                Ok(LabelRows::Boxes { subject, rows })
            }
            LabelGroup::Plates { plate_ids } => {
                too_many(plate_ids.len())?;
                let mut rows = Vec::with_capacity(plate_ids.len());
                for id in plate_ids {
                    let key = id.to_string();
                    let r = sqlx::query!(
                        r#"SELECT p.name, p.format, r.name AS run FROM plates p
                           JOIN runs r ON r.id = p.run_id WHERE p.id = ?1"#,
                        key
                    )
                    .fetch_optional(&mut *conn)
                    .await?
                    .ok_or(DomainError::NotFound("plate"))?;
                    rows.push(BoxLabelRow {
                        box_id: *id,
                        label: BoxLabel {
                            box_barcode: r.name.clone(),
                            box_name: r.name,
                            location: format!("Run {} · {} wells", r.run, r.format),
                        },
                    });
                }
                let subject = match rows.as_slice() {
                    [one] => format!("plate {}", one.label.box_name),
                    many => format!("{} plates", many.len()),
                };
                Ok(LabelRows::Boxes { subject, rows })
            }
        }
    }
}
