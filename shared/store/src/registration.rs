//! Collection sites, number blocks, participants and field events: apply functions (called
//! only by the executor) and queries.

use crate::executor::{Applied, Change, Ctx};
use crate::users::parse_uuid;
use crate::{format_utc, parse_utc, Result, Store, StoreError};
use aliquot_domain::command::Sex;
use aliquot_domain::numbering::{self, BlockKind, NumberBlock};
use aliquot_domain::paging::{Page, PageRequest};
use aliquot_domain::registration::{self as rules, RangeContext, SiteRange};
use aliquot_domain::sample::ConsentStatus;
use aliquot_domain::{Command, DomainError, Role};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::Serialize;
use serde_json::json;
use sqlx::SqliteConnection;
use ts_rs::TS;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct SiteRecord {
    pub id: Uuid,
    pub code: String,
    pub name: String,
    #[ts(type = "number")]
    pub participant_range_start: i64,
    #[ts(type = "number")]
    pub participant_range_end: i64,
    pub voided_at: Option<DateTime<Utc>>,
    pub void_reason: Option<String>,
}

impl SiteRecord {
    /// The site, if it is not voided: a voided site takes no participants, blocks or events.
    fn in_use(self) -> Result<Self> {
        match self.voided_at {
            None => Ok(self),
            Some(_) => Err(DomainError::Refused(format!(
                "site {} is voided: nothing new is recorded there",
                self.code
            ))
            .into()),
        }
    }
}

/// Which number blocks to list; every part is optional and applied in SQL.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BlockFilter {
    pub kind: Option<BlockKind>,
    pub site_id: Option<Uuid>,
    /// The workstation the block belongs to.
    pub device_id: Option<String>,
    pub id: Option<Uuid>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockRecord {
    pub id: Uuid,
    pub block: NumberBlock,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct ParticipantRecord {
    pub id: Uuid,
    pub site_id: Uuid,
    pub site_code: String,
    #[ts(type = "number")]
    pub number: i64,
    pub code: String,
    pub external_id: Option<String>,
    pub consent: ConsentStatus,
    pub consent_date: NaiveDate,
    pub sex: Option<Sex>,
    pub birth_year: Option<i32>,
    #[ts(type = "number")]
    pub sample_count: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct FieldEventRecord {
    pub id: Uuid,
    pub site_id: Uuid,
    pub site_code: String,
    pub name: String,
    pub date: NaiveDate,
    pub coordinator_id: Uuid,
    pub coordinator_name: String,
    #[ts(type = "number")]
    pub participants: i64,
    #[ts(type = "number")]
    pub samples: i64,
}

/// Samples collected at an event, by type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct EventSummary {
    pub event: FieldEventRecord,
    pub samples_by_type: Vec<TypeCount>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct TypeCount {
    pub sample_type: String,
    #[ts(type = "number")]
    pub count: i64,
}

pub(crate) fn parse_date(s: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|e| StoreError::Decode(format!("date {s:?}: {e}")))
}

async fn load_site(conn: &mut SqliteConnection, site_id: Uuid) -> Result<SiteRecord> {
    let id = site_id.to_string();
    let row = sqlx::query!(
        r#"SELECT id AS "id!", code, name, participant_range_start, participant_range_end, voided_at, void_reason
           FROM sites WHERE id = ?1"#,
        id
    )
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(DomainError::NotFound("collection site"))?;
    Ok(SiteRecord {
        id: parse_uuid(&row.id)?,
        code: row.code,
        name: row.name,
        participant_range_start: row.participant_range_start,
        participant_range_end: row.participant_range_end,
        voided_at: row.voided_at.as_deref().map(parse_utc).transpose()?,
        void_reason: row.void_reason,
    })
}

/// The other sites whose participant range meets `range`, chosen in SQL: the domain rule
/// refuses any such overlap and names the site.
async fn sites_overlapping(
    conn: &mut SqliteConnection,
    range: SiteRange,
    except: Option<Uuid>,
) -> Result<Vec<(String, SiteRange)>> {
    let except = except.map(|u| u.to_string()).unwrap_or_default();
    let rows = sqlx::query!(
        "SELECT code, participant_range_start, participant_range_end FROM sites
         WHERE id <> ?1 AND participant_range_start <= ?2 AND participant_range_end >= ?3
           AND voided_at IS NULL
         ORDER BY code LIMIT 1",
        except,
        range.end,
        range.start
    )
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            (
                r.code,
                SiteRange {
                    start: r.participant_range_start,
                    end: r.participant_range_end,
                },
            )
        })
        .collect())
}

struct BlockRow {
    id: String,
    kind: String,
    device_id: String,
    site_id: Option<String>,
    prefix: String,
    digits: i64,
    first_value: i64,
    last_value: i64,
    next_value: i64,
    created_at: String,
}

impl TryFrom<BlockRow> for BlockRecord {
    type Error = StoreError;
    fn try_from(r: BlockRow) -> Result<Self> {
        Ok(BlockRecord {
            id: parse_uuid(&r.id)?,
            block: NumberBlock {
                kind: BlockKind::parse(&r.kind)
                    .ok_or_else(|| StoreError::Decode(format!("block kind {:?}", r.kind)))?,
                device_id: r.device_id,
                site_id: r.site_id.as_deref().map(parse_uuid).transpose()?,
                prefix: r.prefix,
                digits: u8::try_from(r.digits)
                    .map_err(|_| StoreError::Decode("block digits".into()))?,
                first: r.first_value,
                last: r.last_value,
                next: r.next_value,
            },
            created_at: parse_utc(&r.created_at)?,
        })
    }
}

/// Every block of one numbering: the participant numbers (`participants`) or the sample
/// codes of every prefix. A new block or lease is checked against all of them (overlaps,
/// prefixes that are the start of another), so this is the set the rule needs, chosen in SQL.
pub(crate) async fn blocks_of_numbering(
    conn: &mut SqliteConnection,
    participants: bool,
) -> Result<Vec<BlockRecord>> {
    let rows = sqlx::query_as!(
        BlockRow,
        r#"SELECT id AS "id!", kind, device_id, site_id, prefix, digits, first_value, last_value, next_value, created_at
           FROM number_blocks WHERE (kind = 'participant') = ?1
           ORDER BY kind, prefix, first_value"#,
        participants
    )
    .fetch_all(&mut *conn)
    .await?;
    rows.into_iter().map(BlockRecord::try_from).collect()
}

/// The device's blocks of `kinds` (for `site`), chosen in SQL: a hub holds every
/// workstation's blocks, and a command binds against its own device's few.
async fn blocks_of(
    conn: &mut SqliteConnection,
    device_id: &str,
    kinds: &[BlockKind],
    site_id: Option<Uuid>,
) -> Result<Vec<BlockRecord>> {
    let kinds = serde_json::to_string(&kinds.iter().map(|k| k.as_str()).collect::<Vec<_>>())
        .map_err(|e| StoreError::Decode(e.to_string()))?;
    let site = site_id.map(|s| s.to_string());
    let rows = sqlx::query_as!(
        BlockRow,
        r#"SELECT id AS "id!", kind, device_id, site_id, prefix, digits, first_value, last_value, next_value, created_at
           FROM number_blocks
           WHERE device_id = ?1 AND site_id IS ?2 AND kind IN (SELECT value FROM json_each(?3))
           ORDER BY kind, prefix, first_value"#,
        device_id,
        site,
        kinds
    )
    .fetch_all(&mut *conn)
    .await?;
    rows.into_iter().map(BlockRecord::try_from).collect()
}

/// Issues the next value of this workstation's first open block of `kind` (for `site`).
pub(crate) async fn issue_next(
    conn: &mut SqliteConnection,
    device_id: &str,
    kind: BlockKind,
    site_id: Option<Uuid>,
) -> Result<(i64, String)> {
    let kind_text = kind.as_str();
    let site = site_id.map(|s| s.to_string());
    let row = sqlx::query_as!(
        BlockRow,
        r#"SELECT id AS "id!", kind, device_id, site_id, prefix, digits, first_value, last_value, next_value, created_at
           FROM number_blocks
           WHERE device_id = ?1 AND kind = ?2 AND site_id IS ?3 AND next_value <= last_value
           ORDER BY first_value LIMIT 1"#,
        device_id,
        kind_text,
        site
    )
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else {
        let any = sqlx::query_scalar!(
            "SELECT COUNT(*) FROM number_blocks WHERE device_id = ?1 AND kind = ?2 AND site_id IS ?3",
            device_id,
            kind_text,
            site
        )
        .fetch_one(&mut *conn)
        .await?;
        let kind = kind.as_str();
        return Err(if any > 0 {
            DomainError::BlockUsedUp { kind }
        } else {
            DomainError::NoBlock { kind }
        }
        .into());
    };
    let record = BlockRecord::try_from(row)?;
    let (number, after) = record.block.issue()?;
    let id = record.id.to_string();
    sqlx::query!(
        "UPDATE number_blocks SET next_value = ?1 WHERE id = ?2",
        after.next,
        id
    )
    .execute(&mut *conn)
    .await?;
    Ok((number, record.block.code_of(number)?))
}

/// `count` codes from the device's blocks of `kind`: the numbers `count` calls of
/// [`issue_next`] would give, in the same order, read in one statement and written in one
/// per block used (a kit's tubes: two statements instead of ten).
pub(crate) async fn issue_many(
    conn: &mut SqliteConnection,
    device_id: &str,
    kind: BlockKind,
    site_id: Option<Uuid>,
    count: usize,
) -> Result<Vec<String>> {
    let kind_text = kind.as_str();
    let site = site_id.map(|s| s.to_string());
    let rows = sqlx::query_as!(
        BlockRow,
        r#"SELECT id AS "id!", kind, device_id, site_id, prefix, digits, first_value, last_value, next_value, created_at
           FROM number_blocks
           WHERE device_id = ?1 AND kind = ?2 AND site_id IS ?3 AND next_value <= last_value
           ORDER BY first_value"#,
        device_id,
        kind_text,
        site
    )
    .fetch_all(&mut *conn)
    .await?;
    if rows.is_empty() && count > 0 {
        // No block with numbers left: the same refusal as one number at a time.
        issue_next(conn, device_id, kind, site_id).await?;
    }
    let mut codes = Vec::with_capacity(count);
    for row in rows {
        if codes.len() == count {
            break;
        }
        let record = BlockRecord::try_from(row)?;
        let mut block = record.block;
        while codes.len() < count && block.next <= block.last {
            let (number, after) = block.issue()?;
            codes.push(block.code_of(number)?);
            block = after;
        }
        let id = record.id.to_string();
        sqlx::query!(
            "UPDATE number_blocks SET next_value = ?1 WHERE id = ?2",
            block.next,
            id
        )
        .execute(&mut *conn)
        .await?;
    }
    if codes.len() < count {
        return Err(DomainError::BlockUsedUp { kind: kind_text }.into());
    }
    Ok(codes)
}

/// Binds a code the caller gave (a scanned pre-printed label, or a code issued before and
/// now replayed): it must belong to one of this workstation's blocks of `kinds`.
pub(crate) async fn bind_given(
    conn: &mut SqliteConnection,
    device_id: &str,
    kinds: &[BlockKind],
    site_id: Option<Uuid>,
    code: &str,
) -> Result<i64> {
    numbering::verify_check_character(code)?;
    bind(conn, device_id, kinds, site_id, |b| b.number_of(code))
        .await?
        .ok_or_else(|| {
            DomainError::CodeNotIssued {
                code: code.to_owned(),
            }
            .into()
        })
}

/// Binds a participant number given with the command (replayed on the hub, or rebased):
/// it must fall in one of the device's participant blocks for the site.
pub(crate) async fn bind_participant_number(
    conn: &mut SqliteConnection,
    device_id: &str,
    site_id: Uuid,
    number: i64,
) -> Result<i64> {
    bind(
        conn,
        device_id,
        &[BlockKind::Participant],
        Some(site_id),
        |b| (b.first..=b.last).contains(&number).then_some(number),
    )
    .await?
    .ok_or_else(|| {
        DomainError::CodeNotIssued {
            code: numbering::participant_code(number),
        }
        .into()
    })
}

/// The number `of` finds in one of the device's blocks of `kinds` (for `site`), moving a
/// sequential block past it so it is never issued again.
async fn bind(
    conn: &mut SqliteConnection,
    device_id: &str,
    kinds: &[BlockKind],
    site_id: Option<Uuid>,
    of: impl Fn(&NumberBlock) -> Option<i64>,
) -> Result<Option<i64>> {
    for record in blocks_of(conn, device_id, kinds, site_id).await? {
        let b = &record.block;
        if let Some(number) = of(b) {
            if b.kind != BlockKind::Preprinted && number >= b.next {
                let next = number + 1;
                let id = record.id.to_string();
                sqlx::query!(
                    "UPDATE number_blocks SET next_value = ?1 WHERE id = ?2",
                    next,
                    id
                )
                .execute(&mut *conn)
                .await?;
            }
            return Ok(Some(number));
        }
    }
    Ok(None)
}

pub(crate) async fn apply(
    conn: &mut SqliteConnection,
    ctx: &Ctx<'_>,
    command: &Command,
) -> Result<Applied> {
    let now = format_utc(ctx.now);
    match command {
        Command::CreateSite {
            site_id,
            code,
            name,
            participant_range_start,
            participant_range_end,
        } => {
            let code = rules::validate_site_code(code)?;
            let name = rules::validate_text("name", name, 120)?;
            let range = SiteRange {
                start: *participant_range_start,
                end: *participant_range_end,
            };
            let context = RangeContext {
                other_sites: sites_overlapping(conn, range, None).await?,
                used: None,
            };
            rules::check_range(range, &context)?;
            // A voided site keeps its code: participants' codes and old labels may name it.
            let taken = sqlx::query_scalar!("SELECT voided_at FROM sites WHERE code = ?1", code)
                .fetch_optional(&mut *conn)
                .await?;
            match taken {
                Some(None) => return Err(DomainError::Taken(format!("site code {code}")).into()),
                Some(Some(_)) => {
                    return Err(DomainError::Taken(format!(
                        "site code {code} (by a voided site; choose another code)"
                    ))
                    .into())
                }
                None => {}
            }
            let id = site_id.to_string();
            sqlx::query!(
                "INSERT INTO sites (id, code, name, participant_range_start, participant_range_end, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
                id, code, name, range.start, range.end, now
            )
            .execute(&mut *conn)
            .await?;
            Ok(Change {
                entity_type: "site",
                entity_id: id,
                old: None,
                new: Some(json!({"code": code, "name": name, "participant_range_start": range.start, "participant_range_end": range.end})),
                subject_user_id: None,
            }
            .into())
        }
        Command::UpdateSite {
            site_id,
            name,
            participant_range_start,
            participant_range_end,
            ..
        } => {
            let site = load_site(conn, *site_id).await?.in_use()?;
            if name.is_none()
                && participant_range_start.is_none()
                && participant_range_end.is_none()
            {
                return Err(DomainError::invalid("site", "nothing to change").into());
            }
            let new_name = match name {
                Some(n) => rules::validate_text("name", n, 120)?,
                None => site.name.clone(),
            };
            let range = SiteRange {
                start: participant_range_start.unwrap_or(site.participant_range_start),
                end: participant_range_end.unwrap_or(site.participant_range_end),
            };
            let id = site_id.to_string();
            let used = sqlx::query!(
                r#"SELECT MIN(low) AS "low: i64", MAX(high) AS "high: i64" FROM (
                     SELECT number AS low, number AS high FROM participants WHERE site_id = ?1
                     UNION ALL
                     SELECT first_value, last_value FROM number_blocks WHERE site_id = ?1)"#,
                id
            )
            .fetch_one(&mut *conn)
            .await?;
            let context = RangeContext {
                other_sites: sites_overlapping(conn, range, Some(*site_id)).await?,
                used: used.low.zip(used.high),
            };
            rules::check_range(range, &context)?;
            sqlx::query!(
                "UPDATE sites SET name = ?1, participant_range_start = ?2, participant_range_end = ?3, updated_at = ?4 WHERE id = ?5",
                new_name, range.start, range.end, now, id
            )
            .execute(&mut *conn)
            .await?;
            let mut old = serde_json::Map::new();
            let mut new = serde_json::Map::new();
            if name.is_some() {
                old.insert("name".into(), json!(site.name));
                new.insert("name".into(), json!(new_name));
            }
            if participant_range_start.is_some() {
                old.insert(
                    "participant_range_start".into(),
                    json!(site.participant_range_start),
                );
                new.insert("participant_range_start".into(), json!(range.start));
            }
            if participant_range_end.is_some() {
                old.insert(
                    "participant_range_end".into(),
                    json!(site.participant_range_end),
                );
                new.insert("participant_range_end".into(), json!(range.end));
            }
            Ok(Change {
                entity_type: "site",
                entity_id: id,
                old: Some(old.into()),
                new: Some(new.into()),
                subject_user_id: None,
            }
            .into())
        }
        Command::VoidSite { site_id, reason } => {
            aliquot_domain::command::validate_reason(reason)?;
            let site = load_site(conn, *site_id).await?;
            if site.voided_at.is_some() {
                return Err(
                    DomainError::Refused(format!("site {} is already voided", site.code)).into(),
                );
            }
            let id = site_id.to_string();
            let used = sqlx::query!(
                r#"SELECT (SELECT COUNT(*) FROM participants WHERE site_id = ?1) AS "participants!: i64",
                          (SELECT COUNT(*) FROM field_events WHERE site_id = ?1) AS "events!: i64""#,
                id
            )
            .fetch_one(&mut *conn)
            .await?;
            if used.participants > 0 || used.events > 0 {
                let counted = |n: i64, one: &str| match n {
                    0 => None,
                    1 => Some(format!("1 {one}")),
                    n => Some(format!("{n} {one}s")),
                };
                let what: Vec<String> = [
                    counted(used.participants, "participant"),
                    counted(used.events, "field event"),
                ]
                .into_iter()
                .flatten()
                .collect();
                return Err(DomainError::Refused(format!(
                    "site {} has {}: a site in use cannot be voided; correct its name or range instead",
                    site.code,
                    what.join(" and ")
                ))
                .into());
            }
            sqlx::query!(
                "UPDATE sites SET voided_at = ?1, void_reason = ?2, updated_at = ?1 WHERE id = ?3",
                now,
                reason,
                id
            )
            .execute(&mut *conn)
            .await?;
            Ok(Change {
                entity_type: "site",
                entity_id: id,
                old: Some(json!({"voided": false})),
                new: Some(json!({"voided": true})),
                subject_user_id: None,
            }
            .into())
        }
        Command::AssignNumberBlock {
            block_id, block, ..
        } => {
            let site_range = match block.site_id {
                Some(site_id) => {
                    let site = load_site(conn, site_id).await?.in_use()?;
                    Some((site.participant_range_start, site.participant_range_end))
                }
                None => None,
            };
            let existing: Vec<NumberBlock> =
                blocks_of_numbering(conn, block.kind == BlockKind::Participant)
                    .await?
                    .into_iter()
                    .map(|r| r.block)
                    .collect();
            let b = numbering::validate_new_block(block, &existing, site_range)?;
            let id = block_id.to_string();
            let kind = b.kind.as_str();
            let site = b.site_id.map(|s| s.to_string());
            let digits = i64::from(b.digits);
            sqlx::query!(
                "INSERT INTO number_blocks (id, kind, device_id, site_id, prefix, digits, first_value, last_value, next_value, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?7, ?9)",
                id, kind, b.device_id, site, b.prefix, digits, b.first, b.last, now
            )
            .execute(&mut *conn)
            .await?;
            Ok(Change {
                entity_type: "number_block",
                entity_id: id,
                old: None,
                new: Some(json!({"kind": kind, "device_id": b.device_id, "site_id": site, "prefix": b.prefix, "digits": b.digits, "first": b.first, "last": b.last})),
                subject_user_id: None,
            }
            .into())
        }
        Command::RegisterParticipant {
            participant_id,
            site_id,
            number,
            external_id,
            consent,
            consent_date,
            sex,
            birth_year,
        } => {
            let site = load_site(conn, *site_id).await?.in_use()?;
            let external_id =
                rules::validate_optional_text("external_id", external_id.as_deref(), 64)?;
            if *consent_date > lab_today(conn, ctx).await? {
                return Err(DomainError::invalid("consent_date", "cannot be in the future").into());
            }
            if let Some(year) = birth_year {
                if !(1900..=ctx.now.year()).contains(year) {
                    return Err(DomainError::invalid(
                        "birth_year",
                        format!("between 1900 and {}", ctx.now.year()),
                    )
                    .into());
                }
            }
            let number = match number {
                None => {
                    issue_next(conn, ctx.device_id, BlockKind::Participant, Some(*site_id))
                        .await?
                        .0
                }
                Some(n) => bind_participant_number(conn, ctx.device_id, *site_id, *n).await?,
            };
            if number < site.participant_range_start || number > site.participant_range_end {
                return Err(
                    DomainError::invalid("number", "outside the site's participant range").into(),
                );
            }
            let code = numbering::participant_code(number);
            let taken = sqlx::query_scalar!(
                "SELECT COUNT(*) FROM participants WHERE number = ?1",
                number
            )
            .fetch_one(&mut *conn)
            .await?;
            if taken > 0 {
                return Err(DomainError::CodeTaken {
                    code: numbering::participant_code(number),
                }
                .into());
            }
            let id = participant_id.to_string();
            let site_text = site_id.to_string();
            let consent_text = consent.as_str();
            let date = consent_date.to_string();
            let sex_text = sex.map(Sex::as_str);
            let by = ctx.actor.user_id.to_string();
            sqlx::query!(
                "INSERT INTO participants (id, site_id, number, code, external_id, consent, consent_date, sex, birth_year, created_at, created_by, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?10)",
                id, site_text, number, code, external_id, consent_text, date, sex_text, birth_year, now, by
            )
            .execute(&mut *conn)
            .await?;
            // The same person registered twice (two desks offline, the same external id):
            // both registrations stand, and the lab managers get a review task.
            if let Some(external) = external_id.as_deref() {
                let others: Vec<String> = sqlx::query_scalar!(
                    r#"SELECT code AS "code!" FROM participants WHERE external_id = ?1 AND id != ?2 ORDER BY code"#,
                    external,
                    id
                )
                .fetch_all(&mut *conn)
                .await?;
                if !others.is_empty() {
                    let managers = sqlx::query_scalar!(
                        r#"SELECT id AS "id!" FROM users WHERE role = 'lab_manager' AND active = 1 ORDER BY id"#
                    )
                    .fetch_all(&mut *conn)
                    .await?;
                    let message = format!(
                        "{code} and {} share the external id {external}: the same person registered twice? Review and merge.",
                        others.join(", ")
                    );
                    for manager in managers {
                        crate::notifications::notify(
                            conn,
                            crate::notifications::Notify {
                                id: aliquot_domain::derived_id(
                                    ctx.command_id,
                                    &format!("duplicate person {manager}"),
                                ),
                                at: ctx.now,
                                user_id: &manager,
                                kind: "possible_duplicate_participant",
                                message: &message,
                                entity_type: "participant",
                                entity_id: &id,
                            },
                        )
                        .await?;
                    }
                }
            }
            let resolved = Command::RegisterParticipant {
                participant_id: *participant_id,
                site_id: *site_id,
                number: Some(number),
                external_id: external_id.clone(),
                consent: *consent,
                consent_date: *consent_date,
                sex: *sex,
                birth_year: *birth_year,
            };
            Ok(Applied {
                change: Change {
                    entity_type: "participant",
                    entity_id: id,
                    old: None,
                    new: Some(
                        json!({"site": site.code, "number": number, "code": code, "external_id": external_id,
                                     "consent": consent_text, "consent_date": date, "sex": sex_text, "birth_year": birth_year}),
                    ),
                    subject_user_id: None,
                },
                also: Vec::new(),
                resolved: Some(resolved),
                local: false,
            })
        }
        Command::RecordConsent {
            participant_id,
            consent,
            consent_date,
            ..
        } => {
            if *consent_date > lab_today(conn, ctx).await? {
                return Err(DomainError::invalid("consent_date", "cannot be in the future").into());
            }
            let id = participant_id.to_string();
            let before = sqlx::query!(
                "SELECT consent, consent_date FROM participants WHERE id = ?1",
                id
            )
            .fetch_optional(&mut *conn)
            .await?
            .ok_or(DomainError::NotFound("participant"))?;
            let consent_text = consent.as_str();
            let date = consent_date.to_string();
            sqlx::query!("UPDATE participants SET consent = ?1, consent_date = ?2, updated_at = ?3 WHERE id = ?4", consent_text, date, now, id)
                .execute(&mut *conn)
                .await?;
            Ok(Change {
                entity_type: "participant",
                entity_id: id,
                old: Some(json!({"consent": before.consent, "consent_date": before.consent_date})),
                new: Some(json!({"consent": consent_text, "consent_date": date})),
                subject_user_id: None,
            }
            .into())
        }
        Command::CreateFieldEvent {
            event_id,
            site_id,
            name,
            date,
            coordinator_id,
        } => {
            let site = load_site(conn, *site_id).await?.in_use()?;
            let name = rules::validate_text("name", name, 120)?;
            let coordinator = coordinator_id.to_string();
            let user = sqlx::query!("SELECT role, active FROM users WHERE id = ?1", coordinator)
                .fetch_optional(&mut *conn)
                .await?
                .ok_or(DomainError::NotFound("coordinator"))?;
            let role = Role::parse(&user.role);
            if user.active == 0 || !matches!(role, Some(Role::FieldCoordinator | Role::LabManager))
            {
                return Err(DomainError::invalid(
                    "coordinator_id",
                    "must be an active field coordinator or lab manager",
                )
                .into());
            }
            let id = event_id.to_string();
            let site_text = site_id.to_string();
            let day = date.to_string();
            sqlx::query!(
                "INSERT INTO field_events (id, site_id, name, event_date, coordinator_id, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                id, site_text, name, day, coordinator, now
            )
            .execute(&mut *conn)
            .await?;
            Ok(Change {
                entity_type: "field_event",
                entity_id: id,
                old: None,
                new: Some(json!({"site": site.code, "name": name, "date": day, "coordinator_id": coordinator})),
                subject_user_id: None,
            }
            .into())
        }
        Command::CheckInParticipant {
            event_id,
            participant_id,
        } => {
            let event = event_id.to_string();
            let participant = participant_id.to_string();
            let exists =
                sqlx::query_scalar!("SELECT COUNT(*) FROM field_events WHERE id = ?1", event)
                    .fetch_one(&mut *conn)
                    .await?;
            if exists == 0 {
                return Err(DomainError::NotFound("field event").into());
            }
            let code =
                sqlx::query_scalar!("SELECT code FROM participants WHERE id = ?1", participant)
                    .fetch_optional(&mut *conn)
                    .await?
                    .ok_or(DomainError::NotFound("participant"))?;
            let already = sqlx::query_scalar!(
                "SELECT COUNT(*) FROM event_check_ins WHERE event_id = ?1 AND participant_id = ?2",
                event,
                participant
            )
            .fetch_one(&mut *conn)
            .await?;
            if already > 0 {
                return Err(DomainError::Refused(format!(
                    "participant {code} is already checked in to this event"
                ))
                .into());
            }
            let by = ctx.actor.user_id.to_string();
            sqlx::query!(
                "INSERT INTO event_check_ins (event_id, participant_id, checked_in_at, checked_in_by) VALUES (?1, ?2, ?3, ?4)",
                event, participant, now, by
            )
            .execute(&mut *conn)
            .await?;
            Ok(Change {
                entity_type: "field_event",
                entity_id: event,
                old: None,
                new: Some(json!({"checked_in": code})),
                subject_user_id: None,
            }
            .into())
        }
        _ => Err(StoreError::Decode(format!(
            "{} is not a registration command",
            command.kind().as_str()
        ))),
    }
}

struct ParticipantRow {
    id: String,
    site_id: String,
    site_code: String,
    number: i64,
    code: String,
    external_id: Option<String>,
    consent: String,
    consent_date: String,
    sex: Option<String>,
    birth_year: Option<i64>,
    sample_count: i64,
}

impl TryFrom<ParticipantRow> for ParticipantRecord {
    type Error = StoreError;
    fn try_from(r: ParticipantRow) -> Result<Self> {
        Ok(ParticipantRecord {
            id: parse_uuid(&r.id)?,
            site_id: parse_uuid(&r.site_id)?,
            site_code: r.site_code,
            number: r.number,
            code: r.code,
            external_id: r.external_id,
            consent: ConsentStatus::parse(&r.consent)
                .ok_or_else(|| StoreError::Decode(format!("consent {:?}", r.consent)))?,
            consent_date: parse_date(&r.consent_date)?,
            sex: r.sex.as_deref().and_then(Sex::parse),
            birth_year: r.birth_year.and_then(|y| i32::try_from(y).ok()),
            sample_count: r.sample_count,
        })
    }
}

struct EventRow {
    id: String,
    site_id: String,
    site_code: String,
    name: String,
    event_date: String,
    coordinator_id: String,
    coordinator_name: String,
    participants: i64,
    samples: i64,
}

impl TryFrom<EventRow> for FieldEventRecord {
    type Error = StoreError;
    fn try_from(r: EventRow) -> Result<Self> {
        Ok(FieldEventRecord {
            id: parse_uuid(&r.id)?,
            site_id: parse_uuid(&r.site_id)?,
            site_code: r.site_code,
            name: r.name,
            date: parse_date(&r.event_date)?,
            coordinator_id: parse_uuid(&r.coordinator_id)?,
            coordinator_name: r.coordinator_name,
            participants: r.participants,
            samples: r.samples,
        })
    }
}

/// The one participant SELECT; callers add the WHERE clause and its parameters.
macro_rules! select_participant {
    ($where:literal, $($arg:expr),*) => {
        sqlx::query_as!(
            ParticipantRow,
            r#"SELECT p.id AS "id!", p.site_id, s.code AS site_code, p.number, p.code, p.external_id, p.consent,
                      p.consent_date, p.sex, p.birth_year,
                      (SELECT COUNT(*) FROM samples x WHERE x.participant_id = p.id) AS "sample_count!: i64"
               FROM participants p JOIN sites s ON s.id = p.site_id
               WHERE "# + $where,
            $($arg),*
        )
    };
}

impl Store {
    /// A page of the collection sites by code; `search` narrows to codes or names starting
    /// with it.
    pub async fn sites(
        &self,
        search: Option<&str>,
        include_voided: bool,
        request: PageRequest,
    ) -> Result<Page<SiteRecord>> {
        let page = request.validate()?;
        let search = crate::starts_with(search);
        let (limit, offset) = (page.limit(), page.offset());
        let total = sqlx::query_scalar!(
            r#"SELECT COUNT(*) AS "n!: i64" FROM sites
               WHERE (?1 IS NULL OR code LIKE ?1 OR name LIKE ?1) AND (?2 OR voided_at IS NULL)"#,
            search,
            include_voided
        )
        .fetch_one(&self.pool)
        .await?;
        let rows = sqlx::query!(
            r#"SELECT id AS "id!", code, name, participant_range_start, participant_range_end, voided_at, void_reason
               FROM sites
               WHERE (?1 IS NULL OR code LIKE ?1 OR name LIKE ?1) AND (?2 OR voided_at IS NULL)
               ORDER BY code LIMIT ?3 OFFSET ?4"#,
            search,
            include_voided,
            limit,
            offset
        )
        .fetch_all(&self.pool)
        .await?;
        let items = rows
            .into_iter()
            .map(|r| {
                Ok(SiteRecord {
                    id: parse_uuid(&r.id)?,
                    code: r.code,
                    name: r.name,
                    participant_range_start: r.participant_range_start,
                    participant_range_end: r.participant_range_end,
                    voided_at: r.voided_at.as_deref().map(parse_utc).transpose()?,
                    void_reason: r.void_reason,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Page::new(items, page, u64::try_from(total).unwrap_or(0)))
    }

    pub async fn site(&self, site_id: Uuid) -> Result<SiteRecord> {
        let mut conn = self.pool.acquire().await?;
        load_site(&mut conn, site_id).await
    }

    /// A page of the number blocks, by kind, prefix and first number, narrowed by `filter`.
    pub async fn number_blocks(
        &self,
        filter: &BlockFilter,
        request: PageRequest,
    ) -> Result<Page<BlockRecord>> {
        let page = request.validate()?;
        let kind = filter.kind.map(BlockKind::as_str);
        let site = filter.site_id.map(|s| s.to_string());
        let device = filter.device_id.as_deref();
        let id = filter.id.map(|s| s.to_string());
        let (limit, offset) = (page.limit(), page.offset());
        let total = sqlx::query_scalar!(
            r#"SELECT COUNT(*) AS "n!: i64" FROM number_blocks
               WHERE (?1 IS NULL OR kind = ?1) AND (?2 IS NULL OR site_id = ?2)
                 AND (?3 IS NULL OR device_id = ?3) AND (?4 IS NULL OR id = ?4)"#,
            kind,
            site,
            device,
            id
        )
        .fetch_one(&self.pool)
        .await?;
        let rows = sqlx::query_as!(
            BlockRow,
            r#"SELECT id AS "id!", kind, device_id, site_id, prefix, digits, first_value, last_value, next_value, created_at
               FROM number_blocks
               WHERE (?1 IS NULL OR kind = ?1) AND (?2 IS NULL OR site_id = ?2)
                 AND (?3 IS NULL OR device_id = ?3) AND (?4 IS NULL OR id = ?4)
               ORDER BY kind, prefix, first_value, id LIMIT ?5 OFFSET ?6"#,
            kind,
            site,
            device,
            id,
            limit,
            offset
        )
        .fetch_all(&self.pool)
        .await?;
        let items = rows
            .into_iter()
            .map(BlockRecord::try_from)
            .collect::<Result<Vec<_>>>()?;
        Ok(Page::new(items, page, u64::try_from(total).unwrap_or(0)))
    }

    /// One number block, by id.
    pub async fn number_block(&self, block_id: Uuid) -> Result<BlockRecord> {
        let filter = BlockFilter {
            id: Some(block_id),
            ..BlockFilter::default()
        };
        self.number_blocks(&filter, PageRequest::default())
            .await?
            .items
            .pop()
            .ok_or_else(|| DomainError::NotFound("number block").into())
    }

    /// Every block of one numbering (see [`blocks_of_numbering`]), for a lease.
    pub async fn blocks_of_numbering(&self, participants: bool) -> Result<Vec<BlockRecord>> {
        let mut conn = self.pool.acquire().await?;
        blocks_of_numbering(&mut conn, participants).await
    }

    /// Participants whose code, number or external id starts with `query` (all when empty).
    pub async fn search_participants(
        &self,
        query: &str,
        site_id: Option<Uuid>,
        page: PageRequest,
    ) -> Result<Page<ParticipantRecord>> {
        let page = page.validate()?;
        let pattern = format!("{}%", query.trim().replace(['%', '_'], ""));
        let site = site_id.map(|s| s.to_string());
        let total = sqlx::query_scalar!(
            r#"SELECT COUNT(*) FROM participants p
               WHERE (?1 = '%' OR p.code LIKE ?1 OR p.external_id LIKE ?1 OR CAST(p.number AS TEXT) LIKE ?1)
                 AND (?2 IS NULL OR p.site_id = ?2)"#,
            pattern,
            site
        )
        .fetch_one(&self.pool)
        .await?;
        let items = self
            .participants_where(&pattern, site, page.limit(), page.offset())
            .await?;
        Ok(Page::new(items, page, u64::try_from(total).unwrap_or(0)))
    }

    pub async fn participant(&self, participant_id: Uuid) -> Result<ParticipantRecord> {
        let id = participant_id.to_string();
        // By primary key: a lookup by scan must not walk participants in number order.
        let row = select_participant!("p.id = ?1", id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(DomainError::NotFound("participant"))?;
        row.try_into()
    }

    /// Participants by search pattern and site, in number order.
    async fn participants_where(
        &self,
        pattern: &str,
        site: Option<String>,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<ParticipantRecord>> {
        let rows = select_participant!(
            "(?1 = '%' OR p.code LIKE ?1 OR p.external_id LIKE ?1 OR CAST(p.number AS TEXT) LIKE ?1)
               AND (?2 IS NULL OR p.site_id = ?2)
             ORDER BY p.number LIMIT ?3 OFFSET ?4",
            pattern,
            site,
            limit,
            offset
        )
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(ParticipantRecord::try_from).collect()
    }

    pub async fn field_events(
        &self,
        site_id: Option<Uuid>,
        page: PageRequest,
    ) -> Result<Page<FieldEventRecord>> {
        let page = page.validate()?;
        let site = site_id.map(|s| s.to_string());
        let total = sqlx::query_scalar!(
            "SELECT COUNT(*) FROM field_events WHERE ?1 IS NULL OR site_id = ?1",
            site
        )
        .fetch_one(&self.pool)
        .await?;
        let items = self
            .events_where(site, None, page.limit(), page.offset())
            .await?;
        Ok(Page::new(items, page, u64::try_from(total).unwrap_or(0)))
    }

    /// The one field-event SELECT: by site and/or id.
    async fn events_where(
        &self,
        site: Option<String>,
        id: Option<String>,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<FieldEventRecord>> {
        let rows = sqlx::query_as!(
            EventRow,
            r#"SELECT e.id AS "id!", e.site_id, s.code AS site_code, e.name, e.event_date, e.coordinator_id,
                      u.display_name AS coordinator_name,
                      (SELECT COUNT(*) FROM event_check_ins c WHERE c.event_id = e.id) AS "participants!: i64",
                      (SELECT COUNT(*) FROM samples x WHERE x.event_id = e.id) AS "samples!: i64"
               FROM field_events e JOIN sites s ON s.id = e.site_id JOIN users u ON u.id = e.coordinator_id
               WHERE (?1 IS NULL OR e.site_id = ?1) AND (?4 IS NULL OR e.id = ?4)
               ORDER BY e.event_date DESC, e.name LIMIT ?2 OFFSET ?3"#,
            site,
            limit,
            offset,
            id
        )
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(FieldEventRecord::try_from).collect()
    }

    pub async fn event_summary(&self, event_id: Uuid) -> Result<EventSummary> {
        let id = event_id.to_string();
        let event = self
            .events_where(None, Some(id.clone()), 1, 0)
            .await?
            .pop()
            .ok_or(DomainError::NotFound("field event"))?;
        let by_type = sqlx::query!(
            r#"SELECT sample_type, COUNT(*) AS "n!: i64" FROM samples WHERE event_id = ?1 GROUP BY sample_type ORDER BY sample_type"#,
            id
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(EventSummary {
            event,
            samples_by_type: by_type
                .into_iter()
                .map(|r| TypeCount {
                    sample_type: r.sample_type,
                    count: r.n,
                })
                .collect(),
        })
    }
}

/// The lab's today (in its display time zone), which a consent date may not be after.
async fn lab_today(conn: &mut SqliteConnection, ctx: &Ctx<'_>) -> Result<chrono::NaiveDate> {
    let zone = crate::settings::load(conn).await?.display_timezone;
    Ok(aliquot_domain::settings::lab_today(ctx.now, &zone))
}
