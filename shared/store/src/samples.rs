//! Kit templates, kit registration, status transitions, aliquots and discard requests:
//! apply functions (called only by the executor) and queries.

use crate::executor::{Applied, Change, Ctx};
use crate::registration::{bind_given, issue_many, issue_next};
use crate::users::parse_uuid;
use crate::{format_utc, notifications, parse_utc, storage, Result, Store, StoreError};
use aliquot_domain::command::validate_reason;
use aliquot_domain::command::NewTube;
use aliquot_domain::numbering::BlockKind;
use aliquot_domain::paging::{Page, PageRequest};
use aliquot_domain::registration::validate_text;
use aliquot_domain::sample::{self, ConsentStatus, KitItem, Origin, SampleStatus, SampleType, Via};
use aliquot_domain::{Command, DomainError};

/// A receiving batch is a shipment box or a few kits: far below this.
pub const MAX_RECEIVED_AT_ONCE: usize = 500;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::SqliteConnection;
use ts_rs::TS;
use uuid::Uuid;

/// A sample's state as a rule needs it.
pub(crate) struct SampleState {
    pub id: Uuid,
    pub code: String,
    pub participant_id: String,
    pub status: SampleStatus,
    pub volume_ul: Option<u32>,
    pub time_out_seconds: i64,
    pub checked_out_at: Option<DateTime<Utc>>,
    /// The participant's consent, which decides what receiving the tube means.
    pub consent: ConsentStatus,
}

pub(crate) async fn load_sample(
    conn: &mut SqliteConnection,
    sample_id: Uuid,
) -> Result<SampleState> {
    let id = sample_id.to_string();
    let r = sqlx::query!(
        "SELECT s.code, s.participant_id, s.status, s.volume_ul, s.time_out_seconds, s.checked_out_at, p.consent
         FROM samples s JOIN participants p ON p.id = s.participant_id WHERE s.id = ?1",
        id
    )
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(DomainError::NotFound("sample"))?;
    Ok(SampleState {
        id: sample_id,
        code: r.code,
        participant_id: r.participant_id,
        status: parse_status(&r.status)?,
        volume_ul: r
            .volume_ul
            .map(u32::try_from)
            .transpose()
            .map_err(|_| StoreError::Decode("volume".into()))?,
        time_out_seconds: r.time_out_seconds,
        checked_out_at: r.checked_out_at.as_deref().map(parse_utc).transpose()?,
        consent: ConsentStatus::parse(&r.consent)
            .ok_or_else(|| StoreError::Decode(format!("consent {:?}", r.consent)))?,
    })
}

pub(crate) fn parse_status(s: &str) -> Result<SampleStatus> {
    SampleStatus::parse(s).ok_or_else(|| StoreError::Decode(format!("status {s:?}")))
}

/// Writes a status change and its history row together; the only place either is written.
pub(crate) async fn set_status(
    conn: &mut SqliteConnection,
    ctx: &Ctx<'_>,
    sample: &SampleState,
    to: SampleStatus,
    via: Via,
    reason: Option<&str>,
) -> Result<()> {
    sample::transition(sample.status, sample.status, to, via)?;
    let (id, to_text, from_text, via_text) = (
        sample.id.to_string(),
        to.as_str(),
        sample.status.as_str(),
        via.as_str(),
    );
    let (now, actor, command) = (
        format_utc(ctx.now),
        ctx.actor.user_id.to_string(),
        ctx.command_id.to_string(),
    );
    sqlx::query!(
        "UPDATE samples SET status = ?1, updated_at = ?2 WHERE id = ?3",
        to_text,
        now,
        id
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        "INSERT INTO sample_status_history (sample_id, from_status, to_status, via, actor_id, at, reason, command_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        id, from_text, to_text, via_text, actor, now, reason, command
    )
    .execute(&mut *conn)
    .await?;
    if sample.status.holds_position() && !to.holds_position() {
        storage::release(conn, ctx, sample.id, via.as_str()).await?;
    }
    Ok(())
}

struct NewSample<'a> {
    id: Uuid,
    code: &'a str,
    participant_id: &'a str,
    sample_type: &'a SampleType,
    origin: Origin,
    parent_id: Option<Uuid>,
    registration_id: Option<Uuid>,
    event_id: Option<Uuid>,
    collected_at: DateTime<Utc>,
    collector: &'a str,
    volume_ul: Option<u32>,
}

/// Inserts a sample in the status the domain gives its origin, with its first history row.
async fn insert_sample(conn: &mut SqliteConnection, ctx: &Ctx<'_>, s: NewSample<'_>) -> Result<()> {
    let taken = sqlx::query_scalar!("SELECT COUNT(*) FROM samples WHERE code = ?1", s.code)
        .fetch_one(&mut *conn)
        .await?;
    if taken > 0 {
        return Err(DomainError::CodeTaken {
            code: s.code.to_owned(),
        }
        .into());
    }
    let status = sample::initial_status(s.origin).as_str();
    let (id, kind) = (s.id.to_string(), s.sample_type.as_str());
    let (parent, registration, event) = (
        s.parent_id.map(|u| u.to_string()),
        s.registration_id.map(|u| u.to_string()),
        s.event_id.map(|u| u.to_string()),
    );
    let (collected, now, volume) = (
        format_utc(s.collected_at),
        format_utc(ctx.now),
        s.volume_ul.map(i64::from),
    );
    sqlx::query!(
        "INSERT INTO samples (id, code, participant_id, sample_type, status, parent_id, registration_id, event_id,
                              collected_at, collector, volume_ul, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?12)",
        id, s.code, s.participant_id, kind, status, parent, registration, event, collected, s.collector, volume, now
    )
    .execute(&mut *conn)
    .await?;
    let (actor, command) = (ctx.actor.user_id.to_string(), ctx.command_id.to_string());
    let via = match s.origin {
        Origin::Collection => "registration",
        Origin::Aliquot => "aliquot",
    };
    sqlx::query!(
        "INSERT INTO sample_status_history (sample_id, from_status, to_status, via, actor_id, at, reason, command_id)
         VALUES (?1, NULL, ?2, ?3, ?4, ?5, NULL, ?6)",
        id, status, via, actor, now, command
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A code for a new tube: the next from this workstation's sample block, or a scanned
/// pre-printed code that belongs to one of its blocks.
async fn code_for(
    conn: &mut SqliteConnection,
    ctx: &Ctx<'_>,
    given: Option<&str>,
) -> Result<String> {
    match given {
        None => Ok(issue_next(conn, ctx.device_id, BlockKind::Sample, None)
            .await?
            .1),
        Some(code) => {
            let code = code.trim().to_uppercase();
            bind_given(
                conn,
                ctx.device_id,
                &[BlockKind::Preprinted, BlockKind::Sample],
                None,
                &code,
            )
            .await?;
            Ok(code)
        }
    }
}

/// One version of a kit template (the current one when `version` is `None`), with whether
/// and when the template was retired.
struct KitTemplateVersion {
    name: String,
    version: u32,
    items: Vec<KitItem>,
    retired_at: Option<DateTime<Utc>>,
}

async fn kit_template_version(
    conn: &mut SqliteConnection,
    template_id: Uuid,
    version: Option<u32>,
) -> Result<KitTemplateVersion> {
    let id = template_id.to_string();
    let row = sqlx::query!(
        r#"SELECT t.name, v.version AS "version: u32", v.items, t.retired_at
           FROM kit_templates t
           JOIN kit_template_versions v ON v.template_id = t.id AND v.version = COALESCE(?2, t.version)
           WHERE t.id = ?1"#,
        id,
        version
    )
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(DomainError::NotFound(if version.is_some() {
        "kit template version"
    } else {
        "kit template"
    }))?;
    Ok(KitTemplateVersion {
        name: row.name,
        version: row.version,
        items: serde_json::from_str(&row.items)
            .map_err(|e| StoreError::Decode(format!("kit items: {e}")))?,
        retired_at: row.retired_at.as_deref().map(parse_utc).transpose()?,
    })
}

/// Refuses a type the lab does not have or has retired: new tubes are only of types in use.
async fn require_sample_types_in_use(
    conn: &mut SqliteConnection,
    types: Vec<&SampleType>,
) -> Result<()> {
    let mut asked = std::collections::BTreeSet::new();
    for sample_type in types {
        if !asked.insert(sample_type.as_str()) {
            continue;
        }
        let code = sample_type.as_str();
        let row = sqlx::query!(
            "SELECT label, retired_at FROM sample_types WHERE code = ?1",
            code
        )
        .fetch_optional(&mut *conn)
        .await?;
        match row {
            None => {
                return Err(DomainError::invalid(
                    "sample_type",
                    format!("the lab has no sample type {code}; add it under Lab setup first"),
                )
                .into())
            }
            Some(r) if r.retired_at.is_some() => {
                return Err(DomainError::Refused(format!(
                    "{} is a retired sample type: no new tubes are made of it",
                    r.label
                ))
                .into())
            }
            Some(_) => {}
        }
    }
    Ok(())
}

/// The JSON of a template's lines, as stored.
fn items_json(items: &[KitItem]) -> Result<String> {
    serde_json::to_string(items).map_err(|e| StoreError::Decode(e.to_string()))
}

pub(crate) async fn apply(
    conn: &mut SqliteConnection,
    ctx: &Ctx<'_>,
    command: &Command,
) -> Result<Applied> {
    let now = format_utc(ctx.now);
    match command {
        Command::CreateKitTemplate {
            template_id,
            name,
            items,
        } => {
            let name = validate_text("name", name, 80)?;
            sample::kit_tubes(items)?;
            require_sample_types_in_use(conn, items.iter().map(|i| &i.sample_type).collect())
                .await?;
            let taken =
                sqlx::query_scalar!("SELECT COUNT(*) FROM kit_templates WHERE name = ?1", name)
                    .fetch_one(&mut *conn)
                    .await?;
            if taken > 0 {
                return Err(DomainError::Taken(format!("kit template name {name}")).into());
            }
            let id = template_id.to_string();
            let items_json = items_json(items)?;
            sqlx::query!(
                "INSERT INTO kit_templates (id, name, items, created_at) VALUES (?1, ?2, ?3, ?4)",
                id,
                name,
                items_json,
                now
            )
            .execute(&mut *conn)
            .await?;
            sqlx::query!(
                "INSERT INTO kit_template_versions (template_id, version, items, created_at) VALUES (?1, 1, ?2, ?3)",
                id,
                items_json,
                now
            )
            .execute(&mut *conn)
            .await?;
            Ok(Change {
                entity_type: "kit_template",
                entity_id: id,
                old: None,
                new: Some(json!({"name": name, "version": 1, "items": items})),
                subject_user_id: None,
            }
            .into())
        }
        Command::ReviseKitTemplate {
            template_id,
            version,
            items,
            reason,
        } => {
            validate_reason(reason)?;
            let current = kit_template_version(conn, *template_id, None).await?;
            if current.retired_at.is_some() {
                return Err(DomainError::Refused(format!(
                    "kit template {} is retired; make a new template instead",
                    current.name
                ))
                .into());
            }
            if *version != current.version + 1 {
                return Err(DomainError::Refused(format!(
                    "kit template {} is at version {} now, so this change cannot be version {version}; open it again and make the change there",
                    current.name, current.version
                ))
                .into());
            }
            sample::kit_tubes(items)?;
            if *items == current.items {
                return Err(DomainError::invalid(
                    "items",
                    "these are the lines the template has now",
                )
                .into());
            }
            require_sample_types_in_use(conn, items.iter().map(|i| &i.sample_type).collect())
                .await?;
            let (id, items_text) = (template_id.to_string(), items_json(items)?);
            sqlx::query!(
                "UPDATE kit_templates SET items = ?1, version = ?2 WHERE id = ?3",
                items_text,
                version,
                id
            )
            .execute(&mut *conn)
            .await?;
            sqlx::query!(
                "INSERT INTO kit_template_versions (template_id, version, items, created_at, reason) VALUES (?1, ?2, ?3, ?4, ?5)",
                id,
                version,
                items_text,
                now,
                reason
            )
            .execute(&mut *conn)
            .await?;
            Ok(Change {
                entity_type: "kit_template",
                entity_id: id,
                old: Some(json!({"version": current.version, "items": current.items})),
                new: Some(json!({"version": version, "items": items})),
                subject_user_id: None,
            }
            .into())
        }
        Command::RetireKitTemplate {
            template_id,
            reason,
        } => {
            validate_reason(reason)?;
            let current = kit_template_version(conn, *template_id, None).await?;
            if current.retired_at.is_some() {
                return Err(DomainError::Refused(format!(
                    "kit template {} is already retired",
                    current.name
                ))
                .into());
            }
            let id = template_id.to_string();
            sqlx::query!(
                "UPDATE kit_templates SET retired_at = ?1, retire_reason = ?2 WHERE id = ?3",
                now,
                reason,
                id
            )
            .execute(&mut *conn)
            .await?;
            Ok(Change {
                entity_type: "kit_template",
                entity_id: id,
                old: Some(json!({"retired": false})),
                new: Some(json!({"retired": true})),
                subject_user_id: None,
            }
            .into())
        }
        Command::CreateSampleType {
            code,
            short_code,
            label,
        } => {
            let (code, short_code, label) = sample::validate_sample_type(code, short_code, label)?;
            let taken = sqlx::query!(
                "SELECT code, short_code FROM sample_types WHERE code = ?1 OR short_code = ?2",
                code,
                short_code
            )
            .fetch_optional(&mut *conn)
            .await?;
            if let Some(t) = taken {
                return Err(DomainError::Taken(if t.code == code {
                    format!("sample type {code}")
                } else {
                    format!("short code {short_code} (sample type {})", t.code)
                })
                .into());
            }
            sqlx::query!(
                "INSERT INTO sample_types (code, short_code, label, created_at) VALUES (?1, ?2, ?3, ?4)",
                code,
                short_code,
                label,
                now
            )
            .execute(&mut *conn)
            .await?;
            Ok(Change {
                entity_type: "sample_type",
                entity_id: code.clone(),
                old: None,
                new: Some(json!({"code": code, "short_code": short_code, "label": label})),
                subject_user_id: None,
            }
            .into())
        }
        Command::RetireSampleType {
            sample_type,
            reason,
        } => {
            validate_reason(reason)?;
            require_sample_types_in_use(conn, vec![sample_type]).await?;
            let code = sample_type.as_str();
            // A template still offered would make tubes of it at the next kit.
            let listed_in = sqlx::query_scalar!(
                r#"SELECT t.name FROM kit_templates t, json_each(t.items) AS line
                   WHERE t.retired_at IS NULL AND json_extract(line.value, '$.sample_type') = ?1
                   ORDER BY t.name LIMIT 1"#,
                code
            )
            .fetch_optional(&mut *conn)
            .await?;
            if let Some(template) = listed_in {
                return Err(DomainError::Refused(format!(
                    "kit template {template} still makes tubes of {code}: revise or retire it first"
                ))
                .into());
            }
            sqlx::query!(
                "UPDATE sample_types SET retired_at = ?1, retire_reason = ?2 WHERE code = ?3",
                now,
                reason,
                code
            )
            .execute(&mut *conn)
            .await?;
            Ok(Change {
                entity_type: "sample_type",
                entity_id: code.to_owned(),
                old: Some(json!({"retired": false})),
                new: Some(json!({"retired": true})),
                subject_user_id: None,
            }
            .into())
        }
        Command::RegisterKit {
            registration_id,
            participant_id,
            template_id,
            template_version,
            event_id,
            collected_at,
            collector,
            tubes,
        } => {
            let participant = participant_id.to_string();
            let p = sqlx::query!(
                "SELECT code, consent FROM participants WHERE id = ?1",
                participant
            )
            .fetch_optional(&mut *conn)
            .await?
            .ok_or(DomainError::NotFound("participant"))?;
            if p.consent == ConsentStatus::Withdrawn.as_str() {
                return Err(DomainError::Refused(format!(
                    "participant {} has withdrawn consent; no new samples may be registered",
                    p.code
                ))
                .into());
            }
            let collector = validate_text("collector", collector, 80)?;
            if *collected_at > ctx.now + chrono::Duration::minutes(5) {
                return Err(DomainError::invalid("collected_at", "cannot be in the future").into());
            }
            let template = kit_template_version(conn, *template_id, *template_version).await?;
            if let Some(retired_at) = template.retired_at.filter(|at| *at <= ctx.now) {
                return Err(DomainError::Refused(format!(
                    "kit template {} was retired on {}; register the kit with a template in use",
                    template.name,
                    retired_at.format("%Y-%m-%d")
                ))
                .into());
            }
            let template_name = template.name;
            let kit = sample::kit_tubes(&template.items)?;
            if kit.len() != tubes.len() {
                return Err(DomainError::invalid(
                    "tubes",
                    format!(
                        "kit {template_name} has {} tubes, {} were sent",
                        kit.len(),
                        tubes.len()
                    ),
                )
                .into());
            }
            if let Some(event) = event_id {
                let event_text = event.to_string();
                let checked_in = sqlx::query_scalar!(
                    "SELECT COUNT(*) FROM event_check_ins WHERE event_id = ?1 AND participant_id = ?2",
                    event_text, participant
                )
                .fetch_one(&mut *conn)
                .await?;
                if checked_in == 0 {
                    return Err(DomainError::Refused(format!(
                        "participant {} is not checked in to this field event",
                        p.code
                    ))
                    .into());
                }
            }
            let id = registration_id.to_string();
            let (template_text, event, collected, by) = (
                template_id.to_string(),
                event_id.map(|e| e.to_string()),
                format_utc(*collected_at),
                ctx.actor.user_id.to_string(),
            );
            sqlx::query!(
                "INSERT INTO kit_registrations (id, participant_id, template_id, template_version, event_id, collected_at, collector, registered_at, registered_by)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                id, participant, template_text, template.version, event, collected, collector, now, by
            )
            .execute(&mut *conn)
            .await?;
            let mut resolved = Vec::with_capacity(tubes.len());
            let mut made = Vec::with_capacity(tubes.len());
            // Each tube's own row, so a filter by one tube finds how it was collected.
            let mut tube_rows = Vec::with_capacity(tubes.len());
            // A kit whose codes all come from the block takes them together; with a scanned
            // label among them each tube goes in turn, as a label may be of the same block.
            let mut issued = if tubes.iter().all(|t| t.code.is_none()) {
                issue_many(conn, ctx.device_id, BlockKind::Sample, None, tubes.len()).await?
            } else {
                Vec::new()
            }
            .into_iter();
            for (tube, (sample_type, volume_ul)) in tubes.iter().zip(kit) {
                let code = match issued.next() {
                    Some(code) => code,
                    None => code_for(conn, ctx, tube.code.as_deref()).await?,
                };
                insert_sample(
                    conn,
                    ctx,
                    NewSample {
                        id: tube.sample_id,
                        code: &code,
                        participant_id: &participant,
                        sample_type: &sample_type,
                        origin: Origin::Collection,
                        parent_id: None,
                        registration_id: Some(*registration_id),
                        event_id: *event_id,
                        collected_at: *collected_at,
                        collector: &collector,
                        volume_ul,
                    },
                )
                .await?;
                made.push(json!({"sample_id": tube.sample_id, "code": code, "type": sample_type.as_str()}));
                tube_rows.push(Change {
                    entity_type: "sample",
                    entity_id: code.clone(),
                    old: None,
                    new: Some(json!({"status": "collected", "participant": p.code, "kit_registration": id, "type": sample_type.as_str()})),
                    subject_user_id: None,
                });
                resolved.push(NewTube {
                    sample_id: tube.sample_id,
                    code: Some(code),
                });
            }
            Ok(Applied {
                change: Change {
                    entity_type: "kit_registration",
                    entity_id: id,
                    old: None,
                    new: Some(
                        json!({"participant": p.code, "kit": template_name, "event_id": event, "collected_at": collected, "collector": collector, "tubes": made}),
                    ),
                    subject_user_id: None,
                },
                also: tube_rows,
                local: false,
                resolved: Some(Command::RegisterKit {
                    registration_id: *registration_id,
                    participant_id: *participant_id,
                    template_id: *template_id,
                    template_version: Some(template.version),
                    event_id: *event_id,
                    collected_at: *collected_at,
                    collector,
                    tubes: resolved,
                }),
            })
        }
        Command::ReceiveSamples { sample_ids } => {
            if sample_ids.is_empty() || sample_ids.len() > MAX_RECEIVED_AT_ONCE {
                return Err(DomainError::Refused(format!(
                    "Scan between 1 and {MAX_RECEIVED_AT_ONCE} tubes, then receive them together."
                ))
                .into());
            }
            let mut seen = std::collections::HashSet::new();
            let mut changes = Vec::with_capacity(sample_ids.len());
            for sample_id in sample_ids {
                let s = load_sample(conn, *sample_id).await?;
                if !seen.insert(*sample_id) {
                    return Err(DomainError::Refused(format!(
                        "{} is in this batch twice; scan each tube once",
                        s.code
                    ))
                    .into());
                }
                let check = sample::ReceiptCheck::of(s.status, s.consent);
                if !check.joins_batch() {
                    return Err(DomainError::Refused(check.next_step(&s.code)).into());
                }
                set_status(conn, ctx, &s, SampleStatus::Received, Via::Receipt, None).await?;
                changes.push(Change {
                    entity_type: "sample",
                    entity_id: s.code,
                    old: Some(json!({"status": s.status.as_str()})),
                    new: Some(json!({"status": "received"})),
                    subject_user_id: None,
                });
            }
            Applied::per_record(changes)
        }
        Command::TransitionSample {
            sample_id,
            expected,
            to,
            reason,
        } => {
            let reason = reason.as_deref().map(validate_reason).transpose()?;
            let s = load_sample(conn, *sample_id).await?;
            let step = sample::transition_intent(*expected, s.status, *to, Via::Manual)?;
            if step == sample::TransitionStep::Change {
                set_status(conn, ctx, &s, *to, Via::Manual, reason.as_deref()).await?;
            }
            Ok(Change {
                entity_type: "sample",
                entity_id: s.code,
                old: Some(json!({"status": s.status.as_str()})),
                // Someone made the same change first: recorded, nothing changed.
                new: Some(if step == sample::TransitionStep::AlreadyThere {
                    json!({"status": to.as_str(), "already": true})
                } else {
                    json!({"status": to.as_str()})
                }),
                subject_user_id: None,
            }
            .into())
        }
        Command::CreateAliquots {
            parent_id,
            children,
        } => {
            let parent = load_sample(conn, *parent_id).await?;
            if !matches!(
                parent.status,
                SampleStatus::Received
                    | SampleStatus::Processing
                    | SampleStatus::Stored
                    | SampleStatus::CheckedOut
            ) {
                return Err(DomainError::Refused(format!(
                    "aliquots are made from a sample in the lab; {} is {}",
                    parent.code,
                    parent.status.as_str()
                ))
                .into());
            }
            require_sample_types_in_use(conn, children.iter().map(|c| &c.sample_type).collect())
                .await?;
            let volumes: Vec<u32> = children.iter().map(|c| c.volume_ul).collect();
            let (left, used_up) = sample::split_volume(parent.volume_ul, &volumes)?;
            let parent_text = parent_id.to_string();
            let (collected_at, collector) = {
                let r = sqlx::query!(
                    "SELECT collected_at, collector FROM samples WHERE id = ?1",
                    parent_text
                )
                .fetch_one(&mut *conn)
                .await?;
                (parse_utc(&r.collected_at)?, r.collector)
            };
            let mut resolved = Vec::with_capacity(children.len());
            let mut made = Vec::with_capacity(children.len());
            // Each aliquot's own row, so its story starts where it was made.
            let mut aliquot_rows = Vec::with_capacity(children.len());
            for child in children {
                let code = code_for(conn, ctx, child.code.as_deref()).await?;
                insert_sample(
                    conn,
                    ctx,
                    NewSample {
                        id: child.sample_id,
                        code: &code,
                        participant_id: &parent.participant_id,
                        sample_type: &child.sample_type,
                        origin: Origin::Aliquot,
                        parent_id: Some(*parent_id),
                        registration_id: None,
                        event_id: None,
                        collected_at,
                        collector: &collector,
                        volume_ul: Some(child.volume_ul),
                    },
                )
                .await?;
                made.push(json!({"code": code, "type": child.sample_type.as_str(), "volume_ul": child.volume_ul}));
                aliquot_rows.push(Change {
                    entity_type: "sample",
                    entity_id: code.clone(),
                    old: None,
                    new: Some(json!({"aliquot_of": parent.code, "type": child.sample_type.as_str(), "volume_ul": child.volume_ul})),
                    subject_user_id: None,
                });
                resolved.push(aliquot_domain::command::NewAliquot {
                    code: Some(code),
                    ..child.clone()
                });
            }
            let left_db = left.map(i64::from);
            sqlx::query!(
                "UPDATE samples SET volume_ul = ?1, updated_at = ?2 WHERE id = ?3",
                left_db,
                now,
                parent_text
            )
            .execute(&mut *conn)
            .await?;
            if used_up {
                set_status(
                    conn,
                    ctx,
                    &parent,
                    SampleStatus::Depleted,
                    Via::Aliquot,
                    Some("volume used up by aliquots"),
                )
                .await?;
            }
            Ok(Applied {
                change: Change {
                    entity_type: "sample",
                    entity_id: parent.code,
                    old: Some(
                        json!({"volume_ul": parent.volume_ul, "status": parent.status.as_str()}),
                    ),
                    new: Some(json!({"volume_ul": left, "aliquots": made, "depleted": used_up})),
                    subject_user_id: None,
                },
                also: aliquot_rows,
                resolved: Some(Command::CreateAliquots {
                    parent_id: *parent_id,
                    children: resolved,
                }),
                local: false,
            })
        }
        Command::RequestDiscard {
            request_id,
            sample_id,
            reason,
        } => {
            let reason = validate_reason(reason)?;
            let s = load_sample(conn, *sample_id).await?;
            if s.status == SampleStatus::Disposed {
                return Err(DomainError::Refused(format!("{} is already disposed", s.code)).into());
            }
            let sample_text = sample_id.to_string();
            let pending = sqlx::query_scalar!(
                "SELECT COUNT(*) FROM discard_requests WHERE sample_id = ?1 AND state = 'pending'",
                sample_text
            )
            .fetch_one(&mut *conn)
            .await?;
            if pending > 0 {
                return Err(DomainError::Refused(format!(
                    "{} already has a discard request waiting for a decision",
                    s.code
                ))
                .into());
            }
            let (id, by) = (request_id.to_string(), ctx.actor.user_id.to_string());
            sqlx::query!(
                "INSERT INTO discard_requests (id, sample_id, requested_by, requested_at, reason, state) VALUES (?1, ?2, ?3, ?4, ?5, 'pending')",
                id, sample_text, by, now, reason
            )
            .execute(&mut *conn)
            .await?;
            let managers = sqlx::query_scalar!(
                r#"SELECT id AS "id!" FROM users WHERE role = 'lab_manager' AND active = 1"#
            )
            .fetch_all(&mut *conn)
            .await?;
            let message = format!(
                "{} asks to discard {}: {}",
                ctx.actor.username, s.code, reason
            );
            for manager in managers {
                notifications::notify(
                    conn,
                    notifications::Notify {
                        id: aliquot_domain::derived_id(
                            ctx.command_id,
                            &format!("notify {manager}"),
                        ),
                        at: ctx.now,
                        user_id: &manager,
                        kind: "discard_requested",
                        message: &message,
                        entity_type: "discard_request",
                        entity_id: &id,
                    },
                )
                .await?;
            }
            Applied::per_record(vec![
                Change {
                    entity_type: "discard_request",
                    entity_id: id.clone(),
                    old: None,
                    new: Some(json!({"sample": s.code, "state": "pending"})),
                    subject_user_id: None,
                },
                Change {
                    entity_type: "sample",
                    entity_id: s.code,
                    old: Some(json!({"status": s.status.as_str()})),
                    new: Some(json!({"discard_requested": id})),
                    subject_user_id: None,
                },
            ])
        }
        Command::DecideDiscard {
            request_id,
            approve,
            reason,
        } => {
            let note = validate_reason(reason)?;
            let id = request_id.to_string();
            let r = sqlx::query!(
                "SELECT sample_id, requested_by, state FROM discard_requests WHERE id = ?1",
                id
            )
            .fetch_optional(&mut *conn)
            .await?
            .ok_or(DomainError::NotFound("discard request"))?;
            if r.state != "pending" {
                return Err(
                    DomainError::Refused(format!("this request was already {}", r.state)).into(),
                );
            }
            if r.requested_by == ctx.actor.user_id.to_string() {
                return Err(DomainError::Refused(
                    "a discard request is decided by another lab manager than the one who asked"
                        .into(),
                )
                .into());
            }
            let s = load_sample(conn, parse_uuid(&r.sample_id)?).await?;
            if *approve {
                set_status(
                    conn,
                    ctx,
                    &s,
                    SampleStatus::Disposed,
                    Via::Discard,
                    Some(&note),
                )
                .await?;
            }
            let state = if *approve { "approved" } else { "rejected" };
            let by = ctx.actor.user_id.to_string();
            sqlx::query!(
                "UPDATE discard_requests SET state = ?1, decided_by = ?2, decided_at = ?3, decision_note = ?4 WHERE id = ?5",
                state, by, now, note, id
            )
            .execute(&mut *conn)
            .await?;
            let message = format!(
                "{} {} your request to discard {}: {}",
                ctx.actor.username, state, s.code, note
            );
            notifications::notify(
                conn,
                notifications::Notify {
                    id: aliquot_domain::derived_id(
                        ctx.command_id,
                        &format!("notify {}", r.requested_by),
                    ),
                    at: ctx.now,
                    user_id: &r.requested_by,
                    kind: "discard_decided",
                    message: &message,
                    entity_type: "discard_request",
                    entity_id: &id,
                },
            )
            .await?;
            let sample_now = if *approve {
                SampleStatus::Disposed
            } else {
                s.status
            };
            Applied::per_record(vec![
                Change {
                    entity_type: "discard_request",
                    entity_id: id.clone(),
                    old: Some(json!({"state": "pending", "sample_status": s.status.as_str()})),
                    new: Some(json!({"state": state, "sample": s.code})),
                    subject_user_id: None,
                },
                Change {
                    entity_type: "sample",
                    entity_id: s.code,
                    old: Some(json!({"status": s.status.as_str()})),
                    new: Some(
                        json!({"status": sample_now.as_str(), "discard": state, "request": id}),
                    ),
                    subject_user_id: None,
                },
            ])
        }
        _ => Err(StoreError::Decode(format!(
            "{} is not a sample command",
            command.kind().as_str()
        ))),
    }
}

// ---------------------------------------------------------------- queries

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct KitTemplateRecord {
    pub id: Uuid,
    pub name: String,
    /// The current version's number and lines; earlier versions stay in
    /// `kit_template_versions` for the kits registered against them.
    pub version: u32,
    pub items: Vec<KitItem>,
    pub tube_count: u32,
    pub retired_at: Option<DateTime<Utc>>,
    pub retire_reason: Option<String>,
}

/// One of the lab's sample types.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct SampleTypeRecord {
    pub code: SampleType,
    pub short_code: String,
    pub label: String,
    pub retired_at: Option<DateTime<Utc>>,
    pub retire_reason: Option<String>,
}

struct SampleTypeSql {
    code: String,
    short_code: String,
    label: String,
    retired_at: Option<String>,
    retire_reason: Option<String>,
}

impl TryFrom<SampleTypeSql> for SampleTypeRecord {
    type Error = StoreError;
    fn try_from(r: SampleTypeSql) -> Result<Self> {
        Ok(SampleTypeRecord {
            code: SampleType::new(r.code),
            short_code: r.short_code,
            label: r.label,
            retired_at: r.retired_at.as_deref().map(parse_utc).transpose()?,
            retire_reason: r.retire_reason,
        })
    }
}

/// Where a sample is, in words and ids.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Location {
    pub freezer_id: Uuid,
    pub freezer: String,
    pub rack_id: Uuid,
    pub rack: String,
    pub box_id: Uuid,
    pub box_name: String,
    pub box_barcode: String,
    pub position: Option<String>,
}

/// A sample with everything a technician needs on one screen, read in one query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SampleRecord {
    pub id: Uuid,
    pub code: String,
    pub sample_type: SampleType,
    /// The type's short code, as printed on labels, and its name.
    pub sample_type_code: String,
    pub sample_type_label: String,
    pub status: SampleStatus,
    pub volume_ul: Option<u32>,
    pub parent_id: Option<Uuid>,
    pub event_id: Option<Uuid>,
    pub collected_at: DateTime<Utc>,
    pub collector: String,
    pub time_out_seconds: i64,
    pub checked_out_at: Option<DateTime<Utc>>,
    pub participant_id: Uuid,
    pub participant_code: String,
    pub consent: ConsentStatus,
    pub site_code: String,
    pub site_name: String,
    pub location: Option<Location>,
}

pub(crate) struct SampleRow {
    pub id: String,
    pub code: String,
    pub sample_type: String,
    pub sample_type_code: String,
    pub sample_type_label: String,
    pub status: String,
    pub volume_ul: Option<i64>,
    pub parent_id: Option<String>,
    pub event_id: Option<String>,
    pub collected_at: String,
    pub collector: String,
    pub time_out_seconds: i64,
    pub checked_out_at: Option<String>,
    pub participant_id: String,
    pub participant_code: String,
    pub consent: String,
    pub site_code: String,
    pub site_name: String,
    pub freezer_id: Option<String>,
    pub freezer: Option<String>,
    pub rack_id: Option<String>,
    pub rack: Option<String>,
    pub box_id: Option<String>,
    pub box_name: Option<String>,
    pub box_barcode: Option<String>,
    pub position: Option<String>,
}

impl TryFrom<SampleRow> for SampleRecord {
    type Error = StoreError;
    fn try_from(r: SampleRow) -> Result<Self> {
        let location = match (
            r.freezer_id,
            r.freezer,
            r.rack_id,
            r.rack,
            r.box_id,
            r.box_name,
            r.box_barcode,
        ) {
            (Some(fi), Some(f), Some(ri), Some(ra), Some(bi), Some(b), Some(bc)) => {
                Some(Location {
                    freezer_id: parse_uuid(&fi)?,
                    freezer: f,
                    rack_id: parse_uuid(&ri)?,
                    rack: ra,
                    box_id: parse_uuid(&bi)?,
                    box_name: b,
                    box_barcode: bc,
                    position: r.position,
                })
            }
            _ => None,
        };
        Ok(SampleRecord {
            id: parse_uuid(&r.id)?,
            code: r.code,
            sample_type: SampleType::new(r.sample_type),
            sample_type_code: r.sample_type_code,
            sample_type_label: r.sample_type_label,
            status: parse_status(&r.status)?,
            volume_ul: r.volume_ul.and_then(|v| u32::try_from(v).ok()),
            parent_id: r.parent_id.as_deref().map(parse_uuid).transpose()?,
            event_id: r.event_id.as_deref().map(parse_uuid).transpose()?,
            collected_at: parse_utc(&r.collected_at)?,
            collector: r.collector,
            time_out_seconds: r.time_out_seconds,
            checked_out_at: r.checked_out_at.as_deref().map(parse_utc).transpose()?,
            participant_id: parse_uuid(&r.participant_id)?,
            participant_code: r.participant_code,
            consent: ConsentStatus::parse(&r.consent)
                .ok_or_else(|| StoreError::Decode("consent".into()))?,
            site_code: r.site_code,
            site_name: r.site_name,
            location,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct DiscardRequestRecord {
    pub id: Uuid,
    pub sample_id: Uuid,
    pub sample_code: String,
    pub requested_by: String,
    pub requested_at: DateTime<Utc>,
    pub reason: String,
    pub state: String,
    pub decided_by: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    pub decision_note: Option<String>,
}

/// Which discard requests to list; every filter is applied in SQL so totals are right.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiscardFilter {
    pub state: Option<DiscardState>,
    pub requested_by: Option<Uuid>,
    pub sample_code: Option<String>,
    pub sample_id: Option<Uuid>,
    pub request_id: Option<Uuid>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DiscardState {
    Pending,
    Approved,
    Rejected,
}

impl DiscardState {
    pub fn as_str(self) -> &'static str {
        match self {
            DiscardState::Pending => "pending",
            DiscardState::Approved => "approved",
            DiscardState::Rejected => "rejected",
        }
    }
}

/// One thing that happened to a tube, as its history shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct SampleEvent {
    pub at: DateTime<Utc>,
    /// Who did it (a user name), or for a label the printer it went to.
    pub by: String,
    pub what: SampleEventKind,
    /// The reason given, the decision's note, or a reprint's reason.
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[ts(export)]
pub enum SampleEventKind {
    Status {
        from: Option<SampleStatus>,
        to: SampleStatus,
        via: String,
    },
    /// Into a box (`to_box_id`), or out of one onto the bench (none).
    Placement {
        /// The position it left, when it moved from one.
        from_position: Option<String>,
        to_box_id: Option<Uuid>,
        to_position: Option<String>,
        source: String,
    },
    DiscardRequested,
    DiscardDecided {
        state: String,
    },
    /// A label job of this tube from this workstation (`state` as the print queue has it).
    Label {
        state: String,
        in_doubt: bool,
        reprint: bool,
    },
}

/// Whose samples a list holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SamplesOf {
    Participant(Uuid),
    /// The aliquots made from a sample.
    Parent(Uuid),
}

/// The one SELECT for a sample view; callers add the WHERE clause's parameter.
macro_rules! select_sample {
    ($where:literal, $($arg:expr),*) => {
        sqlx::query_as!(
            SampleRow,
            r#"SELECT s.id AS "id!", s.code, s.sample_type, t.short_code AS sample_type_code, t.label AS sample_type_label,
                      s.status, s.volume_ul, s.parent_id, s.event_id,
                      s.collected_at, s.collector, s.time_out_seconds, s.checked_out_at,
                      p.id AS participant_id, p.code AS participant_code, p.consent,
                      si.code AS site_code, si.name AS site_name,
                      f.id AS "freezer_id?", f.name AS "freezer?", r.id AS "rack_id?", r.name AS "rack?",
                      b.id AS "box_id?", b.name AS "box_name?", b.barcode AS "box_barcode?", pl.position AS "position?"
               FROM samples s
               JOIN sample_types t ON t.code = s.sample_type
               JOIN participants p ON p.id = s.participant_id
               JOIN sites si ON si.id = p.site_id
               LEFT JOIN placements pl ON pl.sample_id = s.id
               LEFT JOIN boxes b ON b.id = pl.box_id
               LEFT JOIN racks r ON r.id = b.rack_id
               LEFT JOIN freezers f ON f.id = r.freezer_id
               WHERE "# + $where,
            $($arg),*
        )
    };
}
pub(crate) use select_sample;

impl Store {
    /// A page of the kit templates by name; `search` narrows to names starting with it.
    /// Retired templates are left out unless asked for.
    pub async fn kit_templates(
        &self,
        search: Option<&str>,
        include_retired: bool,
        request: PageRequest,
    ) -> Result<Page<KitTemplateRecord>> {
        let page = request.validate()?;
        let search = crate::starts_with(search);
        let total = sqlx::query_scalar!(
            r#"SELECT COUNT(*) AS "n!: i64" FROM kit_templates
               WHERE (?1 IS NULL OR name LIKE ?1) AND (?2 OR retired_at IS NULL)"#,
            search,
            include_retired
        )
        .fetch_one(&self.pool)
        .await?;
        let items = self
            .kit_templates_where(None, search, include_retired, page.limit(), page.offset())
            .await?;
        Ok(Page::new(items, page, u64::try_from(total).unwrap_or(0)))
    }

    /// One kit template, by id, retired or not.
    pub async fn kit_template(&self, template_id: Uuid) -> Result<KitTemplateRecord> {
        self.kit_templates_where(Some(template_id.to_string()), None, true, 1, 0)
            .await?
            .pop()
            .ok_or_else(|| DomainError::NotFound("kit template").into())
    }

    /// The one kit-template SELECT: by id and/or name, in name order.
    async fn kit_templates_where(
        &self,
        id: Option<String>,
        search: Option<String>,
        include_retired: bool,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<KitTemplateRecord>> {
        let rows = sqlx::query!(
            r#"SELECT id AS "id!", name, version AS "version: u32", items, retired_at, retire_reason
               FROM kit_templates
               WHERE (?1 IS NULL OR id = ?1) AND (?2 IS NULL OR name LIKE ?2) AND (?3 OR retired_at IS NULL)
               ORDER BY name LIMIT ?4 OFFSET ?5"#,
            id,
            search,
            include_retired,
            limit,
            offset
        )
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|r| {
                let items: Vec<KitItem> = serde_json::from_str(&r.items)
                    .map_err(|e| StoreError::Decode(format!("kit items: {e}")))?;
                Ok(KitTemplateRecord {
                    id: parse_uuid(&r.id)?,
                    name: r.name,
                    version: r.version,
                    tube_count: items.iter().map(|i| u32::from(i.count)).sum(),
                    items,
                    retired_at: r.retired_at.as_deref().map(parse_utc).transpose()?,
                    retire_reason: r.retire_reason,
                })
            })
            .collect()
    }

    /// One sample type by its code, retired or not.
    pub async fn sample_type(&self, code: &str) -> Result<Option<SampleTypeRecord>> {
        sqlx::query_as!(
            SampleTypeSql,
            r#"SELECT code AS "code!", short_code, label, retired_at, retire_reason FROM sample_types WHERE code = ?1"#,
            code
        )
        .fetch_optional(&self.pool)
        .await?
        .map(SampleTypeRecord::try_from)
        .transpose()
    }

    /// A page of the lab's sample types by name; `search` narrows to codes or names
    /// starting with it. Retired types are left out unless asked for.
    pub async fn sample_types(
        &self,
        search: Option<&str>,
        include_retired: bool,
        request: PageRequest,
    ) -> Result<Page<SampleTypeRecord>> {
        let page = request.validate()?;
        let search = crate::starts_with(search);
        let total = sqlx::query_scalar!(
            r#"SELECT COUNT(*) AS "n!: i64" FROM sample_types
               WHERE (?1 IS NULL OR code LIKE ?1 OR label LIKE ?1) AND (?2 OR retired_at IS NULL)"#,
            search,
            include_retired
        )
        .fetch_one(&self.pool)
        .await?;
        let (limit, offset) = (page.limit(), page.offset());
        let items = sqlx::query_as!(
            SampleTypeSql,
            r#"SELECT code AS "code!", short_code, label, retired_at, retire_reason FROM sample_types
               WHERE (?1 IS NULL OR code LIKE ?1 OR label LIKE ?1) AND (?2 OR retired_at IS NULL)
               ORDER BY label, code LIMIT ?3 OFFSET ?4"#,
            search,
            include_retired,
            limit,
            offset
        )
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .map(SampleTypeRecord::try_from)
        .collect::<Result<Vec<_>>>()?;
        Ok(Page::new(items, page, u64::try_from(total).unwrap_or(0)))
    }

    pub async fn sample(&self, sample_id: Uuid) -> Result<SampleRecord> {
        let id = sample_id.to_string();
        select_sample!("s.id = ?1", id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(DomainError::NotFound("sample"))?
            .try_into()
    }

    pub async fn sample_by_code(&self, code: &str) -> Result<Option<SampleRecord>> {
        select_sample!("s.code = ?1", code)
            .fetch_optional(&self.pool)
            .await?
            .map(SampleRecord::try_from)
            .transpose()
    }

    /// The tubes the lab expects to receive (collected or in transit), oldest collection
    /// first, of one field event or of all: the receiving screen's manifest.
    pub async fn tubes_to_receive(
        &self,
        event_id: Option<Uuid>,
        request: PageRequest,
    ) -> Result<Page<SampleRecord>> {
        let page = request.validate()?;
        let (limit, offset) = (page.limit(), page.offset());
        let event = event_id.map(|e| e.to_string());
        let total = sqlx::query_scalar!(
            r#"SELECT COUNT(*) AS "n!: i64" FROM samples
               WHERE status IN ('collected', 'in_transit') AND (?1 IS NULL OR event_id = ?1)"#,
            event
        )
        .fetch_one(&self.pool)
        .await?;
        let rows = select_sample!(
            "s.status IN ('collected', 'in_transit') AND (?1 IS NULL OR s.event_id = ?1)
             ORDER BY s.collected_at, s.code LIMIT ?2 OFFSET ?3",
            event,
            limit,
            offset
        )
        .fetch_all(&self.pool)
        .await?;
        let items = rows
            .into_iter()
            .map(SampleRecord::try_from)
            .collect::<Result<Vec<_>>>()?;
        Ok(Page::new(items, page, u64::try_from(total).unwrap_or(0)))
    }

    /// A participant's samples, or a parent's aliquots.
    /// A page of one participant's samples, or of one sample's aliquots, by code.
    pub async fn samples_of(
        &self,
        of: SamplesOf,
        request: PageRequest,
    ) -> Result<Page<SampleRecord>> {
        let page = request.validate()?;
        let (limit, offset) = (page.limit(), page.offset());
        let (participant, parent) = match of {
            SamplesOf::Participant(id) => (Some(id.to_string()), None),
            SamplesOf::Parent(id) => (None, Some(id.to_string())),
        };
        let total = sqlx::query_scalar!(
            r#"SELECT COUNT(*) AS "n!: i64" FROM samples s
               WHERE (?1 IS NULL OR s.participant_id = ?1) AND (?2 IS NULL OR s.parent_id = ?2)"#,
            participant,
            parent
        )
        .fetch_one(&self.pool)
        .await?;
        let rows = select_sample!(
            "(?1 IS NULL OR s.participant_id = ?1) AND (?2 IS NULL OR s.parent_id = ?2)
             ORDER BY s.code LIMIT ?3 OFFSET ?4",
            participant,
            parent,
            limit,
            offset
        )
        .fetch_all(&self.pool)
        .await?;
        let items = rows
            .into_iter()
            .map(SampleRecord::try_from)
            .collect::<Result<Vec<_>>>()?;
        Ok(Page::new(items, page, u64::try_from(total).unwrap_or(0)))
    }

    /// A page of everything that happened to one tube, newest first: its status changes,
    /// its moves in and out of boxes, its discard requests and their decisions, and the
    /// labels printed of it here. One UNION in SQL, so the page is cut in time order.
    pub async fn sample_history(
        &self,
        sample_id: Uuid,
        request: PageRequest,
    ) -> Result<Page<SampleEvent>> {
        let page = request.validate()?;
        let (limit, offset) = (page.limit(), page.offset());
        let id = sample_id.to_string();
        let total = sqlx::query_scalar!(
            r#"SELECT (SELECT COUNT(*) FROM sample_status_history WHERE sample_id = ?1)
                    + (SELECT COUNT(*) FROM placement_history WHERE sample_id = ?1)
                    + (SELECT COUNT(*) FROM discard_requests WHERE sample_id = ?1)
                    + (SELECT COUNT(*) FROM discard_requests WHERE sample_id = ?1 AND decided_at IS NOT NULL)
                    + (SELECT COUNT(*) FROM print_jobs j
                       WHERE EXISTS (SELECT 1 FROM json_each(j.records) WHERE value = ?1)) AS "n!: i64""#,
            id
        )
        .fetch_one(&self.pool)
        .await?;
        let rows = sqlx::query!(
            r#"SELECT at AS "at!: String", kind AS "kind!: String", who AS "who!: String",
                      a AS "a?: String", b AS "b?: String", c AS "c?: String", d AS "d?: String",
                      note AS "note?: String"
               FROM (
                 SELECT h.at, h.seq, 'status' AS kind, COALESCE(u.username, 'system') AS who,
                        h.from_status AS a, h.to_status AS b, h.via AS c, NULL AS d, h.reason AS note
                   FROM sample_status_history h LEFT JOIN users u ON u.id = h.actor_id
                  WHERE h.sample_id = ?1
                 UNION ALL
                 SELECT h.at, h.seq, 'placement', COALESCE(u.username, 'system'),
                        h.to_box_id, h.to_position, h.source, h.from_position, NULL
                   FROM placement_history h LEFT JOIN users u ON u.id = h.actor_id
                  WHERE h.sample_id = ?1
                 UNION ALL
                 SELECT d.requested_at, 0, 'discard_requested', COALESCE(u.username, 'system'),
                        NULL, NULL, NULL, NULL, d.reason
                   FROM discard_requests d LEFT JOIN users u ON u.id = d.requested_by
                  WHERE d.sample_id = ?1
                 UNION ALL
                 SELECT d.decided_at, 0, 'discard_decided', COALESCE(u.username, 'system'),
                        d.state, NULL, NULL, NULL, d.decision_note
                   FROM discard_requests d LEFT JOIN users u ON u.id = d.decided_by
                  WHERE d.sample_id = ?1 AND d.decided_at IS NOT NULL
                 UNION ALL
                 SELECT j.created_at, 0, 'label', j.printer,
                        j.state, CASE WHEN j.in_doubt_since IS NULL THEN NULL ELSE 'in_doubt' END,
                        j.reprint_of, NULL, j.reason
                   FROM print_jobs j
                  WHERE EXISTS (SELECT 1 FROM json_each(j.records) WHERE value = ?1)
               )
               ORDER BY at DESC, seq DESC, kind LIMIT ?2 OFFSET ?3"#,
            id,
            limit,
            offset
        )
        .fetch_all(&self.pool)
        .await?;
        let items = rows
            .into_iter()
            .map(|r| {
                let what = match r.kind.as_str() {
                    "status" => SampleEventKind::Status {
                        from: r.a.as_deref().map(parse_status).transpose()?,
                        to: parse_status(r.b.as_deref().unwrap_or_default())?,
                        via: r.c.unwrap_or_default(),
                    },
                    "placement" => SampleEventKind::Placement {
                        from_position: r.d,
                        to_box_id: r.a.as_deref().map(parse_uuid).transpose()?,
                        to_position: r.b,
                        source: r.c.unwrap_or_default(),
                    },
                    "discard_requested" => SampleEventKind::DiscardRequested,
                    "discard_decided" => SampleEventKind::DiscardDecided {
                        state: r.a.unwrap_or_default(),
                    },
                    "label" => SampleEventKind::Label {
                        state: r.a.unwrap_or_default(),
                        in_doubt: r.b.is_some(),
                        reprint: r.c.is_some(),
                    },
                    other => return Err(StoreError::Decode(format!("history kind {other:?}"))),
                };
                Ok(SampleEvent {
                    at: parse_utc(&r.at)?,
                    by: r.who,
                    what,
                    note: r.note,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Page::new(items, page, u64::try_from(total).unwrap_or(0)))
    }

    /// Whether the tube has ever been placed in a box.
    pub async fn has_been_stored(&self, sample_id: Uuid) -> Result<bool> {
        let id = sample_id.to_string();
        Ok(sqlx::query_scalar!(
            r#"SELECT EXISTS (SELECT 1 FROM placement_history WHERE sample_id = ?1) AS "stored!: bool""#,
            id
        )
        .fetch_one(&self.pool)
        .await?)
    }

    pub async fn discard_requests(
        &self,
        filter: &DiscardFilter,
        page: PageRequest,
    ) -> Result<Page<DiscardRequestRecord>> {
        let page = page.validate()?;
        let state = filter.state.map(DiscardState::as_str);
        let by = filter.requested_by.map(|u| u.to_string());
        let code = filter
            .sample_code
            .as_deref()
            .map(|c| format!("{}%", c.trim().to_uppercase().replace(['%', '_'], "")));
        let request = filter.request_id.map(|u| u.to_string());
        let sample = filter.sample_id.map(|u| u.to_string());
        let (limit, offset) = (page.limit(), page.offset());
        let total = sqlx::query_scalar!(
            r#"SELECT COUNT(*) FROM discard_requests d JOIN samples s ON s.id = d.sample_id
               WHERE (?1 IS NULL OR d.state = ?1) AND (?2 IS NULL OR d.requested_by = ?2) AND (?3 IS NULL OR s.code LIKE ?3)
                 AND (?4 IS NULL OR d.id = ?4) AND (?5 IS NULL OR d.sample_id = ?5)"#,
            state, by, code, request, sample
        )
        .fetch_one(&self.pool)
        .await?;
        let rows = sqlx::query!(
            r#"SELECT d.id AS "id!", d.sample_id, s.code AS sample_code, ru.username AS requested_by, d.requested_at, d.reason,
                      d.state, du.username AS "decided_by?", d.decided_at, d.decision_note
               FROM discard_requests d
               JOIN samples s ON s.id = d.sample_id
               JOIN users ru ON ru.id = d.requested_by
               LEFT JOIN users du ON du.id = d.decided_by
               WHERE (?1 IS NULL OR d.state = ?1) AND (?2 IS NULL OR d.requested_by = ?2) AND (?3 IS NULL OR s.code LIKE ?3)
                 AND (?6 IS NULL OR d.id = ?6) AND (?7 IS NULL OR d.sample_id = ?7)
               ORDER BY d.requested_at DESC, d.id LIMIT ?4 OFFSET ?5"#,
            state, by, code, limit, offset, request, sample
        )
        .fetch_all(&self.pool)
        .await?;
        let items = rows
            .into_iter()
            .map(|r| {
                Ok(DiscardRequestRecord {
                    id: parse_uuid(&r.id)?,
                    sample_id: parse_uuid(&r.sample_id)?,
                    sample_code: r.sample_code,
                    requested_by: r.requested_by,
                    requested_at: parse_utc(&r.requested_at)?,
                    reason: r.reason,
                    state: r.state,
                    decided_by: r.decided_by,
                    decided_at: r.decided_at.as_deref().map(parse_utc).transpose()?,
                    decision_note: r.decision_note,
                })
            })
            .collect::<Result<_>>()?;
        Ok(Page::new(items, page, u64::try_from(total).unwrap_or(0)))
    }
}
/// The codes of these tubes, in one query: audit rows name a tube by its code, so a
/// sample's whole story is found by the code a technician scans.
pub(crate) async fn codes_of<'a>(
    conn: &mut SqliteConnection,
    ids: impl Iterator<Item = &'a Uuid>,
) -> Result<std::collections::BTreeMap<Uuid, String>> {
    let ids = serde_json::to_string(&ids.map(Uuid::to_string).collect::<Vec<_>>())
        .map_err(|e| StoreError::Decode(e.to_string()))?;
    let rows = sqlx::query!(
        r#"SELECT s.id AS "id!", s.code AS "code!" FROM samples s
           JOIN json_each(?1) j ON s.id = j.value"#,
        ids
    )
    .fetch_all(&mut *conn)
    .await?;
    rows.into_iter()
        .map(|r| Ok((parse_uuid(&r.id)?, r.code)))
        .collect()
}
