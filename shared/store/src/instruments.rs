//! The lab's instruments and their control lots: apply functions (called only by the
//! executor) and queries, every list one page with its filters in SQL.

use crate::executor::{Applied, Change, Ctx};
use crate::users::parse_uuid;
use crate::{format_utc, parse_utc, Result, Store, StoreError};
use aliquot_domain::command::validate_reason;
use aliquot_domain::instruments::{
    CsvMapping, Figure, InstrumentDescription, InstrumentKind, InstrumentStatus, ResultFormat,
};
use aliquot_domain::paging::{Page, PageRequest};
use aliquot_domain::{Command, DomainError};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;
use sqlx::SqliteConnection;
use ts_rs::TS;
use uuid::Uuid;

/// An instrument as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct InstrumentRecord {
    pub id: Uuid,
    #[serde(flatten)]
    pub description: InstrumentDescription,
    pub status: InstrumentStatus,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A control lot with its target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct ControlLotRecord {
    pub id: Uuid,
    pub instrument_id: Uuid,
    pub material: String,
    pub lot: String,
    pub read: String,
    pub unit: Option<String>,
    pub target_mean: Figure,
    pub target_sd: Figure,
    pub created_at: DateTime<Utc>,
    pub retired_at: Option<DateTime<Utc>>,
}

struct ControlLotSql {
    id: String,
    instrument_id: String,
    material: String,
    lot: String,
    read: String,
    unit: Option<String>,
    target_mean: f64,
    target_sd: f64,
    created_at: String,
    retired_at: Option<String>,
}

impl TryFrom<ControlLotSql> for ControlLotRecord {
    type Error = StoreError;
    fn try_from(r: ControlLotSql) -> Result<Self> {
        Ok(ControlLotRecord {
            id: parse_uuid(&r.id)?,
            instrument_id: parse_uuid(&r.instrument_id)?,
            material: r.material,
            lot: r.lot,
            read: r.read,
            unit: r.unit,
            target_mean: Figure(r.target_mean),
            target_sd: Figure(r.target_sd),
            created_at: parse_utc(&r.created_at)?,
            retired_at: r.retired_at.as_deref().map(parse_utc).transpose()?,
        })
    }
}

/// The one control-lot SELECT; callers add the WHERE clause and its parameters.
macro_rules! select_control_lots {
    ($tail:literal, $($arg:expr),*) => {
        sqlx::query_as!(
            ControlLotSql,
            r#"SELECT id AS "id!", instrument_id, material, lot, read, unit, target_mean,
                      target_sd, created_at, retired_at
               FROM control_lots "# + $tail,
            $($arg),*
        )
    };
}

/// Which instruments to list; every part is optional and applied in SQL.
#[derive(Debug, Clone, Default)]
pub struct InstrumentFilter {
    /// Start of a name, model or serial number.
    pub search: Option<String>,
    pub kind: Option<InstrumentKind>,
    pub status: Option<InstrumentStatus>,
}

struct InstrumentSql {
    id: String,
    name: String,
    kind: String,
    model: String,
    serial_number: String,
    location: String,
    result_format: String,
    csv_mapping: Option<String>,
    status: String,
    created_at: String,
    updated_at: String,
}

impl TryFrom<InstrumentSql> for InstrumentRecord {
    type Error = StoreError;
    fn try_from(r: InstrumentSql) -> Result<Self> {
        let bad = |what: &str, value: &str| StoreError::Decode(format!("{what} {value:?}"));
        Ok(InstrumentRecord {
            id: parse_uuid(&r.id)?,
            description: InstrumentDescription {
                kind: InstrumentKind::parse(&r.kind).ok_or_else(|| bad("kind", &r.kind))?,
                result_format: ResultFormat::parse(&r.result_format)
                    .ok_or_else(|| bad("result format", &r.result_format))?,
                csv_mapping: r
                    .csv_mapping
                    .as_deref()
                    .map(serde_json::from_str::<CsvMapping>)
                    .transpose()
                    .map_err(|e| StoreError::Decode(format!("csv mapping: {e}")))?,
                name: r.name,
                model: r.model,
                serial_number: r.serial_number,
                location: r.location,
            },
            status: InstrumentStatus::parse(&r.status).ok_or_else(|| bad("status", &r.status))?,
            created_at: parse_utc(&r.created_at)?,
            updated_at: parse_utc(&r.updated_at)?,
        })
    }
}

/// The one instrument SELECT; callers add the WHERE clause and its parameters.
macro_rules! select_instruments {
    ($tail:literal, $($arg:expr),*) => {
        sqlx::query_as!(
            InstrumentSql,
            r#"SELECT id AS "id!", name, kind, model, serial_number, location, result_format,
                      csv_mapping, status, created_at, updated_at
               FROM instruments "# + $tail,
            $($arg),*
        )
    };
}

pub(crate) async fn load_instrument(
    conn: &mut SqliteConnection,
    id: Uuid,
) -> Result<InstrumentRecord> {
    let id = id.to_string();
    select_instruments!("WHERE id = ?1", id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(DomainError::NotFound("instrument"))?
        .try_into()
}

/// Refuses a name another instrument has.
async fn name_free(conn: &mut SqliteConnection, name: &str, except: Option<Uuid>) -> Result<()> {
    let except = except.map(|u| u.to_string()).unwrap_or_default();
    let taken = sqlx::query_scalar!(
        "SELECT COUNT(*) FROM instruments WHERE name = ?1 AND id <> ?2",
        name,
        except
    )
    .fetch_one(&mut *conn)
    .await?;
    if taken > 0 {
        return Err(DomainError::Taken(format!("instrument name {name}")).into());
    }
    Ok(())
}

fn mapping_json(d: &InstrumentDescription) -> Result<Option<String>> {
    d.csv_mapping
        .as_ref()
        .map(serde_json::to_string)
        .transpose()
        .map_err(|e| StoreError::Decode(e.to_string()))
}

fn described(d: &InstrumentDescription) -> serde_json::Value {
    json!({
        "name": d.name, "kind": d.kind, "model": d.model, "serial_number": d.serial_number,
        "location": d.location, "result_format": d.result_format, "csv_mapping": d.csv_mapping,
    })
}

pub(crate) async fn apply(
    conn: &mut SqliteConnection,
    ctx: &Ctx<'_>,
    command: &Command,
) -> Result<Applied> {
    let now = format_utc(ctx.now);
    match command {
        Command::RegisterInstrument {
            instrument_id,
            instrument,
        } => {
            let d = instrument.checked()?;
            name_free(conn, &d.name, None).await?;
            let (id, mapping) = (instrument_id.to_string(), mapping_json(&d)?);
            let (kind, format, status) = (
                d.kind.as_str(),
                d.result_format.as_str(),
                InstrumentStatus::InService.as_str(),
            );
            sqlx::query!(
                "INSERT INTO instruments (id, name, kind, model, serial_number, location, result_format, csv_mapping, status, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10)",
                id, d.name, kind, d.model, d.serial_number, d.location, format, mapping, status, now
            )
            .execute(&mut *conn)
            .await?;
            Ok(Change {
                entity_type: "instrument",
                entity_id: id,
                old: None,
                new: Some(described(&d)),
                subject_user_id: None,
            }
            .into())
        }
        Command::EditInstrument {
            instrument_id,
            instrument,
            reason,
        } => {
            validate_reason(reason)?;
            let before = load_instrument(conn, *instrument_id).await?;
            let d = instrument.checked()?;
            if d == before.description {
                return Err(DomainError::invalid("instrument", "nothing to change").into());
            }
            name_free(conn, &d.name, Some(*instrument_id)).await?;
            let (id, mapping) = (instrument_id.to_string(), mapping_json(&d)?);
            let (kind, format) = (d.kind.as_str(), d.result_format.as_str());
            sqlx::query!(
                "UPDATE instruments SET name = ?1, kind = ?2, model = ?3, serial_number = ?4, location = ?5,
                        result_format = ?6, csv_mapping = ?7, updated_at = ?8 WHERE id = ?9",
                d.name, kind, d.model, d.serial_number, d.location, format, mapping, now, id
            )
            .execute(&mut *conn)
            .await?;
            Ok(Change {
                entity_type: "instrument",
                entity_id: id,
                old: Some(described(&before.description)),
                new: Some(described(&d)),
                subject_user_id: None,
            }
            .into())
        }
        Command::SetInstrumentStatus {
            instrument_id,
            status,
            reason,
        } => {
            validate_reason(reason)?;
            let before = load_instrument(conn, *instrument_id).await?;
            if before.status == *status {
                return Err(DomainError::Refused(format!(
                    "{} is already {}",
                    before.description.name,
                    status.as_str().replace('_', " ")
                ))
                .into());
            }
            let (id, text) = (instrument_id.to_string(), status.as_str());
            sqlx::query!(
                "UPDATE instruments SET status = ?1, updated_at = ?2 WHERE id = ?3",
                text,
                now,
                id
            )
            .execute(&mut *conn)
            .await?;
            Ok(Change {
                entity_type: "instrument",
                entity_id: id,
                old: Some(json!({"status": before.status})),
                new: Some(json!({"status": status})),
                subject_user_id: None,
            }
            .into())
        }
        Command::AddControlLot {
            control_lot_id,
            instrument_id,
            lot,
        } => {
            lot.check()?;
            let instrument = load_instrument(conn, *instrument_id).await?;
            let (material, lot_name, read) = (lot.material.trim(), lot.lot.trim(), lot.read.trim());
            let unit = lot.unit.as_deref().map(str::trim).filter(|u| !u.is_empty());
            let instrument_text = instrument_id.to_string();
            let taken = sqlx::query_scalar!(
                "SELECT COUNT(*) FROM control_lots WHERE instrument_id = ?1 AND material = ?2 AND lot = ?3 AND read = ?4",
                instrument_text, material, lot_name, read
            )
            .fetch_one(&mut *conn)
            .await?;
            if taken > 0 {
                return Err(DomainError::Taken(format!(
                    "a target for {material} lot {lot_name} ({read}) on {}",
                    instrument.description.name
                ))
                .into());
            }
            let (id, mean, sd) = (
                control_lot_id.to_string(),
                lot.target_mean.0,
                lot.target_sd.0,
            );
            sqlx::query!(
                "INSERT INTO control_lots (id, instrument_id, material, lot, read, unit, target_mean, target_sd, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                id, instrument_text, material, lot_name, read, unit, mean, sd, now
            )
            .execute(&mut *conn)
            .await?;
            Ok(Change {
                entity_type: "control_lot",
                entity_id: id,
                old: None,
                new: Some(json!({"instrument": instrument.description.name, "material": material,
                    "lot": lot_name, "read": read, "unit": unit, "target_mean": mean, "target_sd": sd})),
                subject_user_id: None,
            }
            .into())
        }
        _ => Err(StoreError::Decode(format!(
            "{} is not an instrument command",
            command.kind().as_str()
        ))),
    }
}

impl Store {
    /// A page of the instruments by name, narrowed by `filter`.
    pub async fn instruments(
        &self,
        filter: &InstrumentFilter,
        request: PageRequest,
    ) -> Result<Page<InstrumentRecord>> {
        let page = request.validate()?;
        let search = crate::starts_with(filter.search.as_deref());
        let kind = filter.kind.map(InstrumentKind::as_str);
        let status = filter.status.map(InstrumentStatus::as_str);
        let (limit, offset) = (page.limit(), page.offset());
        let total = sqlx::query_scalar!(
            r#"SELECT COUNT(*) AS "n!: i64" FROM instruments
               WHERE (?1 IS NULL OR name LIKE ?1 OR model LIKE ?1 OR serial_number LIKE ?1)
                 AND (?2 IS NULL OR kind = ?2) AND (?3 IS NULL OR status = ?3)"#,
            search,
            kind,
            status
        )
        .fetch_one(&self.pool)
        .await?;
        let items = select_instruments!(
            "WHERE (?1 IS NULL OR name LIKE ?1 OR model LIKE ?1 OR serial_number LIKE ?1)
               AND (?2 IS NULL OR kind = ?2) AND (?3 IS NULL OR status = ?3)
             ORDER BY name LIMIT ?4 OFFSET ?5",
            search,
            kind,
            status,
            limit,
            offset
        )
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .map(InstrumentRecord::try_from)
        .collect::<Result<Vec<_>>>()?;
        Ok(Page::new(items, page, u64::try_from(total).unwrap_or(0)))
    }

    pub async fn instrument(&self, id: Uuid) -> Result<InstrumentRecord> {
        let mut conn = self.pool.acquire().await?;
        load_instrument(&mut conn, id).await
    }

    /// A page of an instrument's control lots by material, lot and read; retired lots are
    /// left out unless asked for.
    pub async fn control_lots(
        &self,
        instrument_id: Uuid,
        include_retired: bool,
        request: PageRequest,
    ) -> Result<Page<ControlLotRecord>> {
        let page = request.validate()?;
        let (id, limit, offset) = (instrument_id.to_string(), page.limit(), page.offset());
        let total = sqlx::query_scalar!(
            r#"SELECT COUNT(*) AS "n!: i64" FROM control_lots
               WHERE instrument_id = ?1 AND (?2 OR retired_at IS NULL)"#,
            id,
            include_retired
        )
        .fetch_one(&self.pool)
        .await?;
        let items = select_control_lots!(
            "WHERE instrument_id = ?1 AND (?2 OR retired_at IS NULL)
             ORDER BY material, lot, read LIMIT ?3 OFFSET ?4",
            id,
            include_retired,
            limit,
            offset
        )
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .map(ControlLotRecord::try_from)
        .collect::<Result<Vec<_>>>()?;
        Ok(Page::new(items, page, u64::try_from(total).unwrap_or(0)))
    }

    pub async fn control_lot(&self, id: Uuid) -> Result<ControlLotRecord> {
        let id = id.to_string();
        select_control_lots!("WHERE id = ?1", id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(DomainError::NotFound("control lot"))?
            .try_into()
    }
}
