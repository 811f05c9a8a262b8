//! Result sets produced elsewhere and the partner mappings: the preview (the file read, each
//! code matched to a tube, each partner code to a lab test), the one command that records a
//! set, and the queries, every list one page with its filters in SQL.

use crate::executor::{Applied, Change, Ctx};
use crate::runs::{reading_from, value_columns};
use crate::users::parse_uuid;
use crate::{format_utc, parse_utc, Result, Store, StoreError};
use aliquot_domain::instruments::Figure;
use aliquot_domain::paging::{Page, PageRequest};
use aliquot_domain::result_sets::{PartnerMapping, ResultSetFormat, SetValue};
use aliquot_domain::runs::Reading;
use aliquot_domain::{Command, DomainError};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;
use sqlx::SqliteConnection;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use ts_rs::TS;
use uuid::Uuid;

/// At most this many distinct codes listed in a preview's "unknown" and "unmapped" lists;
/// the counts are always whole.
const LISTED: usize = 200;

/// A result set as recorded, with its summary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct ResultSetRecord {
    pub id: Uuid,
    pub name: String,
    pub format: ResultSetFormat,
    pub partner: Option<String>,
    pub file_name: String,
    pub sha256: String,
    #[ts(type = "number")]
    pub value_count: i64,
    #[ts(type = "number")]
    pub samples_matched: i64,
    #[ts(type = "number")]
    pub unknown_codes: i64,
    #[ts(type = "number")]
    pub analytes: i64,
    #[ts(type = "number")]
    pub unmapped_codes: i64,
    pub imported_at: DateTime<Utc>,
    pub imported_by: String,
}

/// One value of a set, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct SetValueRecord {
    pub set_id: Uuid,
    pub sample_code: String,
    pub sample_id: Option<Uuid>,
    pub analyte: String,
    pub value: Option<Reading>,
    pub unit: Option<String>,
    pub flag: Option<String>,
    pub control: bool,
    pub test_code: Option<String>,
    pub converted: Option<Figure>,
}

/// A value a result set holds for a tube, with its set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct SampleSetValue {
    pub set_id: Uuid,
    pub set_name: String,
    pub partner: Option<String>,
    pub imported_at: DateTime<Utc>,
    pub analyte: String,
    pub value: Option<Reading>,
    pub unit: Option<String>,
    pub flag: Option<String>,
    pub test_code: Option<String>,
    pub converted: Option<Figure>,
}

/// Which values of a set to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum SetValueFilter {
    All,
    /// Codes that are none of the lab's tubes (and not a platform's controls).
    UnknownCodes,
    /// A partner's codes with no mapping to a lab test.
    Unmapped,
}

/// A partner mapping as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct PartnerMappingRecord {
    pub id: Uuid,
    #[serde(flatten)]
    pub mapping: PartnerMapping,
    pub updated_at: DateTime<Utc>,
}

/// What importing a result set would record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct ResultSetPreview {
    pub file_name: String,
    pub sha256: String,
    pub format: ResultSetFormat,
    pub partner: Option<String>,
    /// The set this very file (same SHA-256) became, if it was imported before.
    pub already_imported: Option<Uuid>,
    #[ts(type = "number")]
    pub values: u64,
    #[ts(type = "number")]
    pub samples_matched: u64,
    #[ts(type = "number")]
    pub analytes: u64,
    #[ts(type = "number")]
    pub controls: u64,
    /// Codes that are none of the lab's tubes, at most 200 listed; `unknown_count` is all.
    pub unknown_codes: Vec<String>,
    #[ts(type = "number")]
    pub unknown_count: u64,
    /// A partner's codes with no mapping, at most 200 listed; `unmapped_count` is all.
    pub unmapped_codes: Vec<String>,
    #[ts(type = "number")]
    pub unmapped_count: u64,
    /// The first values, to check the file was read as meant.
    pub first_values: Vec<SetValue>,
}

/// A file read as a result set and matched, with the command that records it.
pub struct MatchedSet {
    pub preview: ResultSetPreview,
    pub values: Vec<SetValue>,
}

pub(crate) async fn apply(
    conn: &mut SqliteConnection,
    ctx: &Ctx<'_>,
    command: &Command,
) -> Result<Applied> {
    match command {
        Command::ImportResultSet {
            set_id,
            name,
            format,
            partner,
            file_name,
            sha256,
            values,
        } => {
            let name = name.trim();
            if name.is_empty() || name.chars().count() > 120 {
                return Err(DomainError::invalid("name", "1 to 120 characters").into());
            }
            if values.is_empty() {
                return Err(DomainError::invalid("values", "the file has no values").into());
            }
            if sha256.len() != 64 || !sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(DomainError::invalid("sha256", "64 hexadecimal characters").into());
            }
            let sha = sha256.to_ascii_lowercase();
            if let Some(at) =
                sqlx::query_scalar!("SELECT imported_at FROM result_sets WHERE sha256 = ?1", sha)
                    .fetch_optional(&mut *conn)
                    .await?
            {
                return Err(DomainError::Refused(format!(
                    "this file was imported as a result set at {at}"
                ))
                .into());
            }
            // Every linked tube is the tube its code names.
            let mut linked: BTreeMap<Uuid, &str> = BTreeMap::new();
            for v in values {
                if let Some(id) = v.sample_id {
                    linked.insert(id, v.sample_code.as_str());
                }
                if let Some(value) = &v.value {
                    value.check()?;
                }
                if v.sample_code.trim().is_empty() || v.analyte.trim().is_empty() {
                    return Err(DomainError::invalid(
                        "values",
                        "every value needs its sample code and analyte",
                    )
                    .into());
                }
            }
            for (id, code) in &linked {
                let id_text = id.to_string();
                let actual = sqlx::query_scalar!("SELECT code FROM samples WHERE id = ?1", id_text)
                    .fetch_optional(&mut *conn)
                    .await?;
                if actual.as_deref().map(str::to_ascii_uppercase)
                    != Some(code.trim().to_ascii_uppercase())
                {
                    return Err(DomainError::Refused(format!(
                        "{code} is not the tube the preview matched; preview the file again"
                    ))
                    .into());
                }
            }
            let analytes: BTreeSet<&str> = values.iter().map(|v| v.analyte.as_str()).collect();
            let unknown: BTreeSet<&str> = values
                .iter()
                .filter(|v| v.sample_id.is_none() && v.control != Some(true))
                .map(|v| v.sample_code.as_str())
                .collect();
            let unmapped: BTreeSet<&str> = if partner.is_some() {
                values
                    .iter()
                    .filter(|v| v.test_code.is_none())
                    .map(|v| v.analyte.as_str())
                    .collect()
            } else {
                BTreeSet::new()
            };
            let count = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
            let (id, fmt, now, by) = (
                set_id.to_string(),
                format.as_str(),
                format_utc(ctx.now),
                ctx.actor.username.clone(),
            );
            let (n_values, n_samples, n_unknown, n_analytes, n_unmapped) = (
                count(values.len()),
                count(linked.len()),
                count(unknown.len()),
                count(analytes.len()),
                count(unmapped.len()),
            );
            let file = file_name.trim();
            sqlx::query!(
                "INSERT INTO result_sets (id, name, format, partner, file_name, sha256, value_count, samples_matched,
                                          unknown_codes, analytes, unmapped_codes, imported_at, imported_by)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
                id, name, fmt, partner, file, sha, n_values, n_samples, n_unknown, n_analytes,
                n_unmapped, now, by
            )
            .execute(&mut *conn)
            .await?;
            let mut per_sample: BTreeMap<Uuid, u32> = BTreeMap::new();
            for (seq, v) in (0_i64..).zip(values) {
                let cols = v.value.as_ref().map(value_columns);
                let (kind, value, bound, flag, text) = match &cols {
                    Some(c) => (Some(c.kind), c.value, c.bound, c.flag, c.text),
                    None => (None, None, None, None, None),
                };
                let (sample, control, converted) = (
                    v.sample_id.map(|s| s.to_string()),
                    v.control == Some(true),
                    v.converted.as_ref().and_then(|c| match c {
                        Reading::Number { value } => Some(*value),
                        Reading::Censored { limit, .. } => *limit,
                        Reading::Flagged { .. } => None,
                    }),
                );
                sqlx::query!(
                    "INSERT INTO result_set_values (set_id, seq, sample_code, sample_id, analyte, value_kind, value,
                                                    bound, flag, text, unit, flag_text, control, test_code, converted_value)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
                    id, seq, v.sample_code, sample, v.analyte, kind, value, bound, flag, text,
                    v.unit, v.flag, control, v.test_code, converted
                )
                .execute(&mut *conn)
                .await?;
                if let Some(s) = v.sample_id {
                    *per_sample.entry(s).or_default() += 1;
                }
            }
            let mut changes = vec![Change {
                entity_type: "result_set",
                entity_id: id.clone(),
                old: None,
                new: Some(json!({"name": name, "format": format, "partner": partner,
                    "file": file, "sha256": sha, "values": n_values, "samples_matched": n_samples,
                    "unknown_codes": n_unknown, "analytes": n_analytes, "unmapped_codes": n_unmapped})),
                subject_user_id: None,
            }];
            let codes = crate::samples::codes_of(conn, per_sample.keys()).await?;
            for (sample, n) in per_sample {
                changes.push(Change {
                    entity_type: "sample",
                    entity_id: codes.get(&sample).cloned().ok_or_else(|| {
                        StoreError::Decode(format!(
                            "a value names tube {sample}, which is not in the lab"
                        ))
                    })?,
                    old: None,
                    new: Some(json!({"result_set": id, "name": name, "values": n})),
                    subject_user_id: None,
                });
            }
            Applied::per_record(changes)
        }
        Command::SetPartnerMapping {
            mapping_id,
            mapping,
            reason,
        } => {
            let m = mapping.checked()?;
            let (id, now) = (mapping_id.to_string(), format_utc(ctx.now));
            let before = sqlx::query!(
                "SELECT partner, partner_code, partner_unit, test_code, unit, factor FROM partner_mappings WHERE id = ?1",
                id
            )
            .fetch_optional(&mut *conn)
            .await?;
            if before.is_some() && reason.is_none() {
                return Err(DomainError::invalid(
                    "reason",
                    "a mapping is corrected with a reason: results were converted by it",
                )
                .into());
            }
            let taken = sqlx::query_scalar!(
                "SELECT COUNT(*) FROM partner_mappings WHERE partner = ?1 AND partner_code = ?2 AND id <> ?3",
                m.partner,
                m.partner_code,
                id
            )
            .fetch_one(&mut *conn)
            .await?;
            if taken > 0 {
                return Err(DomainError::Taken(format!(
                    "a mapping of {}'s code {}",
                    m.partner, m.partner_code
                ))
                .into());
            }
            let factor = m.factor.0;
            sqlx::query!(
                "INSERT INTO partner_mappings (id, partner, partner_code, partner_unit, test_code, unit, factor, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)
                 ON CONFLICT (id) DO UPDATE SET partner = ?2, partner_code = ?3, partner_unit = ?4,
                     test_code = ?5, unit = ?6, factor = ?7, updated_at = ?8",
                id, m.partner, m.partner_code, m.partner_unit, m.test_code, m.unit, factor, now
            )
            .execute(&mut *conn)
            .await?;
            Ok(Change {
                entity_type: "partner_mapping",
                entity_id: id,
                old: before.map(|b| {
                    json!({"partner": b.partner, "partner_code": b.partner_code,
                    "partner_unit": b.partner_unit, "test_code": b.test_code, "unit": b.unit,
                    "factor": b.factor})
                }),
                new: Some(json!(m)),
                subject_user_id: None,
            }
            .into())
        }
        _ => Err(StoreError::Decode(format!(
            "{} is not a result-set command",
            command.kind().as_str()
        ))),
    }
}

fn format_of(text: &str) -> Result<ResultSetFormat> {
    ResultSetFormat::parse(text).ok_or_else(|| StoreError::Decode(format!("format {text:?}")))
}

impl Store {
    /// Reads `bytes` as a result set, links each code to a tube of the lab and, for a
    /// partner's set, each code to the lab's test through the partner's mappings. Changes
    /// nothing.
    pub async fn match_result_set(
        &self,
        format: ResultSetFormat,
        partner: Option<&str>,
        file_name: &str,
        bytes: &[u8],
    ) -> Result<MatchedSet> {
        let rows =
            aliquot_instruments::result_set::parse_result_set(format, bytes).map_err(|e| {
                DomainError::invalid(
                    "file",
                    format!(
                        "{} is not a {} file Aliquot can read: {e}",
                        file_name.trim(),
                        format.as_str().replace('_', " ")
                    ),
                )
            })?;
        let sha256 = crate::result_import::file_sha256(bytes);
        let already = sqlx::query_scalar!(
            r#"SELECT id AS "id!" FROM result_sets WHERE sha256 = ?1"#,
            sha256
        )
        .fetch_optional(&self.pool)
        .await?
        .as_deref()
        .map(parse_uuid)
        .transpose()?;
        // The distinct codes, looked up in chunks (a set names hundreds of tubes, not
        // thousands of thousands).
        let codes: Vec<String> = rows
            .iter()
            .filter(|r| !r.control)
            .map(|r| r.sample_code.to_ascii_uppercase())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let mut tubes: HashMap<String, Uuid> = HashMap::with_capacity(codes.len());
        for chunk in codes.chunks(500) {
            let list =
                serde_json::to_string(chunk).map_err(|e| StoreError::Decode(e.to_string()))?;
            let found = sqlx::query!(
                // Codes are stored upper-case (as lookup by scan relies on): the unique
                // index on `code` answers each one.
                r#"SELECT id AS "id!", code FROM samples
                   WHERE code IN (SELECT value FROM json_each(?1))"#,
                list
            )
            .fetch_all(&self.pool)
            .await?;
            for f in found {
                tubes.insert(f.code.to_ascii_uppercase(), parse_uuid(&f.id)?);
            }
        }
        let partner = partner.map(str::trim).filter(|p| !p.is_empty());
        let mut mappings: HashMap<String, PartnerMapping> = HashMap::new();
        if let Some(p) = partner {
            let found = sqlx::query!(
                "SELECT partner, partner_code, partner_unit, test_code, unit, factor FROM partner_mappings WHERE partner = ?1",
                p
            )
            .fetch_all(&self.pool)
            .await?;
            for m in found {
                mappings.insert(
                    m.partner_code.to_ascii_uppercase(),
                    PartnerMapping {
                        partner: m.partner,
                        partner_code: m.partner_code,
                        partner_unit: m.partner_unit,
                        test_code: m.test_code,
                        unit: m.unit,
                        factor: Figure(m.factor),
                    },
                );
            }
        }
        let mut values = Vec::with_capacity(rows.len());
        let (mut unknown, mut unmapped, mut analytes, mut matched) = (
            BTreeSet::new(),
            BTreeSet::new(),
            BTreeSet::new(),
            BTreeSet::new(),
        );
        let mut controls = 0_u64;
        for r in rows {
            let sample_id = if r.control {
                None
            } else {
                tubes.get(&r.sample_code.to_ascii_uppercase()).copied()
            };
            match sample_id {
                Some(id) => {
                    matched.insert(id);
                }
                None if !r.control => {
                    unknown.insert(r.sample_code.clone());
                }
                None => controls += 1,
            }
            analytes.insert(r.analyte.clone());
            let mapping = partner.and_then(|_| mappings.get(&r.analyte.to_ascii_uppercase()));
            if partner.is_some() && mapping.is_none() {
                unmapped.insert(r.analyte.clone());
            }
            values.push(SetValue {
                test_code: mapping.map(|m| m.test_code.clone()),
                converted: mapping.and_then(|m| r.value.as_ref().map(|v| m.convert(v))),
                sample_code: r.sample_code,
                sample_id,
                analyte: r.analyte,
                value: r.value,
                unit: r.unit,
                flag: r.flag,
                control: r.control.then_some(true),
            });
        }
        let preview = ResultSetPreview {
            file_name: file_name.trim().to_owned(),
            sha256,
            format,
            partner: partner.map(str::to_owned),
            already_imported: already,
            values: values.len() as u64,
            samples_matched: matched.len() as u64,
            analytes: analytes.len() as u64,
            controls,
            unknown_count: unknown.len() as u64,
            unknown_codes: unknown.into_iter().take(LISTED).collect(),
            unmapped_count: unmapped.len() as u64,
            unmapped_codes: unmapped.into_iter().take(LISTED).collect(),
            first_values: values.iter().take(20).cloned().collect(),
        };
        Ok(MatchedSet { preview, values })
    }

    /// A page of the result sets, newest first; `search` is the start of a name.
    pub async fn result_sets(
        &self,
        search: Option<&str>,
        request: PageRequest,
    ) -> Result<Page<ResultSetRecord>> {
        let page = request.validate()?;
        let search = crate::starts_with(search);
        let (limit, offset) = (page.limit(), page.offset());
        let total = sqlx::query_scalar!(
            r#"SELECT COUNT(*) AS "n!: i64" FROM result_sets WHERE (?1 IS NULL OR name LIKE ?1)"#,
            search
        )
        .fetch_one(&self.pool)
        .await?;
        let items = sqlx::query!(
            r#"SELECT id AS "id!", name, format, partner, file_name, sha256, value_count, samples_matched,
                      unknown_codes, analytes, unmapped_codes, imported_at, imported_by
               FROM result_sets WHERE (?1 IS NULL OR name LIKE ?1)
               ORDER BY imported_at DESC, id DESC LIMIT ?2 OFFSET ?3"#,
            search,
            limit,
            offset
        )
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .map(|s| {
            Ok(ResultSetRecord {
                id: parse_uuid(&s.id)?,
                format: format_of(&s.format)?,
                imported_at: parse_utc(&s.imported_at)?,
                name: s.name,
                partner: s.partner,
                file_name: s.file_name,
                sha256: s.sha256,
                value_count: s.value_count,
                samples_matched: s.samples_matched,
                unknown_codes: s.unknown_codes,
                analytes: s.analytes,
                unmapped_codes: s.unmapped_codes,
                imported_by: s.imported_by,
            })
        })
        .collect::<Result<Vec<_>>>()?;
        Ok(Page::new(items, page, u64::try_from(total).unwrap_or(0)))
    }

    pub async fn result_set(&self, id: Uuid) -> Result<ResultSetRecord> {
        let id_text = id.to_string();
        let s = sqlx::query!(
            r#"SELECT id AS "id!", name, format, partner, file_name, sha256, value_count, samples_matched,
                      unknown_codes, analytes, unmapped_codes, imported_at, imported_by
               FROM result_sets WHERE id = ?1"#,
            id_text
        )
        .fetch_optional(&self.pool)
        .await?
        .ok_or(DomainError::NotFound("result set"))?;
        Ok(ResultSetRecord {
            id,
            format: format_of(&s.format)?,
            imported_at: parse_utc(&s.imported_at)?,
            name: s.name,
            partner: s.partner,
            file_name: s.file_name,
            sha256: s.sha256,
            value_count: s.value_count,
            samples_matched: s.samples_matched,
            unknown_codes: s.unknown_codes,
            analytes: s.analytes,
            unmapped_codes: s.unmapped_codes,
            imported_by: s.imported_by,
        })
    }

    pub async fn partner_mapping(&self, id: Uuid) -> Result<PartnerMappingRecord> {
        let id_text = id.to_string();
        let m = sqlx::query!(
            "SELECT partner, partner_code, partner_unit, test_code, unit, factor, updated_at
             FROM partner_mappings WHERE id = ?1",
            id_text
        )
        .fetch_optional(&self.pool)
        .await?
        .ok_or(DomainError::NotFound("partner mapping"))?;
        Ok(PartnerMappingRecord {
            id,
            updated_at: parse_utc(&m.updated_at)?,
            mapping: PartnerMapping {
                partner: m.partner,
                partner_code: m.partner_code,
                partner_unit: m.partner_unit,
                test_code: m.test_code,
                unit: m.unit,
                factor: Figure(m.factor),
            },
        })
    }

    /// A page of a set's values in file order, narrowed by `filter` and the start of an
    /// analyte.
    pub async fn set_values(
        &self,
        set_id: Uuid,
        filter: SetValueFilter,
        analyte: Option<&str>,
        request: PageRequest,
    ) -> Result<Page<SetValueRecord>> {
        let page = request.validate()?;
        let (id, limit, offset) = (set_id.to_string(), page.limit(), page.offset());
        let analyte = crate::starts_with(analyte);
        let (unknown, unmapped) = (
            filter == SetValueFilter::UnknownCodes,
            filter == SetValueFilter::Unmapped,
        );
        let total = sqlx::query_scalar!(
            r#"SELECT COUNT(*) AS "n!: i64" FROM result_set_values
               WHERE set_id = ?1 AND (?2 IS NULL OR analyte LIKE ?2)
                 AND (NOT ?3 OR (sample_id IS NULL AND control = 0))
                 AND (NOT ?4 OR test_code IS NULL)"#,
            id,
            analyte,
            unknown,
            unmapped
        )
        .fetch_one(&self.pool)
        .await?;
        let items = sqlx::query!(
            r#"SELECT set_id, sample_code, sample_id, analyte, value_kind, value, bound, flag, text, unit,
                      flag_text, control, test_code, converted_value
               FROM result_set_values
               WHERE set_id = ?1 AND (?2 IS NULL OR analyte LIKE ?2)
                 AND (NOT ?3 OR (sample_id IS NULL AND control = 0))
                 AND (NOT ?4 OR test_code IS NULL)
               ORDER BY seq LIMIT ?5 OFFSET ?6"#,
            id,
            analyte,
            unknown,
            unmapped,
            limit,
            offset
        )
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .map(|v| {
            Ok(SetValueRecord {
                set_id: parse_uuid(&v.set_id)?,
                sample_id: v.sample_id.as_deref().map(parse_uuid).transpose()?,
                value: v
                    .value_kind
                    .as_deref()
                    .map(|k| reading_from(k, v.value, v.bound.as_deref(), v.flag.as_deref(), v.text))
                    .transpose()?,
                sample_code: v.sample_code,
                analyte: v.analyte,
                unit: v.unit,
                flag: v.flag_text,
                control: v.control != 0,
                test_code: v.test_code,
                converted: v.converted_value.map(Figure),
            })
        })
        .collect::<Result<Vec<_>>>()?;
        Ok(Page::new(items, page, u64::try_from(total).unwrap_or(0)))
    }

    /// A page of the values result sets hold for a tube, newest set first.
    pub async fn sample_set_values(
        &self,
        sample_id: Uuid,
        request: PageRequest,
    ) -> Result<Page<SampleSetValue>> {
        let page = request.validate()?;
        let (id, limit, offset) = (sample_id.to_string(), page.limit(), page.offset());
        let total = sqlx::query_scalar!(
            r#"SELECT COUNT(*) AS "n!: i64" FROM result_set_values WHERE sample_id = ?1"#,
            id
        )
        .fetch_one(&self.pool)
        .await?;
        let items = sqlx::query!(
            r#"SELECT s.id AS "set_id!", s.name, s.partner, s.imported_at, v.analyte, v.value_kind, v.value,
                      v.bound, v.flag, v.text, v.unit, v.flag_text, v.test_code, v.converted_value
               FROM result_set_values v JOIN result_sets s ON s.id = v.set_id
               WHERE v.sample_id = ?1
               ORDER BY s.imported_at DESC, v.set_id, v.seq LIMIT ?2 OFFSET ?3"#,
            id,
            limit,
            offset
        )
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .map(|v| {
            Ok(SampleSetValue {
                set_id: parse_uuid(&v.set_id)?,
                imported_at: parse_utc(&v.imported_at)?,
                value: v
                    .value_kind
                    .as_deref()
                    .map(|k| reading_from(k, v.value, v.bound.as_deref(), v.flag.as_deref(), v.text))
                    .transpose()?,
                set_name: v.name,
                partner: v.partner,
                analyte: v.analyte,
                unit: v.unit,
                flag: v.flag_text,
                test_code: v.test_code,
                converted: v.converted_value.map(Figure),
            })
        })
        .collect::<Result<Vec<_>>>()?;
        Ok(Page::new(items, page, u64::try_from(total).unwrap_or(0)))
    }

    /// A page of the partner mappings by partner and code, of one partner if given.
    pub async fn partner_mappings(
        &self,
        partner: Option<&str>,
        request: PageRequest,
    ) -> Result<Page<PartnerMappingRecord>> {
        let page = request.validate()?;
        let partner = partner.map(str::trim).filter(|p| !p.is_empty());
        let (limit, offset) = (page.limit(), page.offset());
        let total = sqlx::query_scalar!(
            r#"SELECT COUNT(*) AS "n!: i64" FROM partner_mappings WHERE (?1 IS NULL OR partner = ?1)"#,
            partner
        )
        .fetch_one(&self.pool)
        .await?;
        let items = sqlx::query!(
            r#"SELECT id AS "id!", partner, partner_code, partner_unit, test_code, unit, factor, updated_at
               FROM partner_mappings WHERE (?1 IS NULL OR partner = ?1)
               ORDER BY partner, partner_code LIMIT ?2 OFFSET ?3"#,
            partner,
            limit,
            offset
        )
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .map(|m| {
            Ok(PartnerMappingRecord {
                id: parse_uuid(&m.id)?,
                updated_at: parse_utc(&m.updated_at)?,
                mapping: PartnerMapping {
                    partner: m.partner,
                    partner_code: m.partner_code,
                    partner_unit: m.partner_unit,
                    test_code: m.test_code,
                    unit: m.unit,
                    factor: Figure(m.factor),
                },
            })
        })
        .collect::<Result<Vec<_>>>()?;
        Ok(Page::new(items, page, u64::try_from(total).unwrap_or(0)))
    }
}
