//! Freezers, racks, boxes and placements: apply functions (called only by the executor)
//! and queries. The `placements` table's two UNIQUE constraints are the storage invariant
//! (one sample per position, one position per sample); the code here checks first only to
//! say which tube is in the way.

use crate::executor::{Applied, Change, Ctx};
use crate::samples::{load_sample, set_status};
use crate::users::parse_uuid;
use crate::{format_utc, parse_utc, settings, Result, Store, StoreError};
use aliquot_domain::command::{validate_reason, NewBox, PlacementSource, TubePlacement};
use aliquot_domain::paging::{Page, PageRequest, SortOrder};
use aliquot_domain::rackscan::{KnownLocation, KnownTube};
use aliquot_domain::registration::validate_text;
use aliquot_domain::sample::{self, SampleStatus, Via};
use aliquot_domain::storage::{
    self as rules, BoxContents, BoxLayout, BoxSort, FreezerKind, Grid, Position, StorageEdit,
    StorageTarget,
};
use aliquot_domain::{Command, DomainError};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;
use sqlx::SqliteConnection;
use std::collections::{HashMap, HashSet};
use ts_rs::TS;
use uuid::Uuid;

/// The most tubes one placement, check-out or check-in command may carry (a full 384 plate).
pub const MAX_TUBES_PER_COMMAND: usize = 384;

/// Takes a sample out of its position (disposed, used up), with a history row.
pub(crate) async fn release(
    conn: &mut SqliteConnection,
    ctx: &Ctx<'_>,
    sample_id: Uuid,
    source: &str,
) -> Result<()> {
    let id = sample_id.to_string();
    let Some(current) = sqlx::query!(
        "SELECT box_id, position FROM placements WHERE sample_id = ?1",
        id
    )
    .fetch_optional(&mut *conn)
    .await?
    else {
        return Ok(());
    };
    sqlx::query!("DELETE FROM placements WHERE sample_id = ?1", id)
        .execute(&mut *conn)
        .await?;
    history(
        conn,
        ctx,
        &id,
        Some((&current.box_id, current.position.as_deref())),
        None,
        source,
    )
    .await
}

async fn history(
    conn: &mut SqliteConnection,
    ctx: &Ctx<'_>,
    sample_id: &str,
    from: Option<(&str, Option<&str>)>,
    to: Option<(&str, Option<&str>)>,
    source: &str,
) -> Result<()> {
    let (from_box, from_pos) = from.map_or((None, None), |(b, p)| (Some(b), p));
    let (to_box, to_pos) = to.map_or((None, None), |(b, p)| (Some(b), p));
    let (actor, at, command) = (
        ctx.actor.user_id.to_string(),
        format_utc(ctx.now),
        ctx.command_id.to_string(),
    );
    sqlx::query!(
        "INSERT INTO placement_history (sample_id, from_box_id, from_position, to_box_id, to_position, source, actor_id, at, command_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        sample_id, from_box, from_pos, to_box, to_pos, source, actor, at, command
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

struct ActiveBox {
    id: String,
    name: String,
    layout: BoxLayout,
}

async fn load_box(conn: &mut SqliteConnection, box_id: Uuid) -> Result<ActiveBox> {
    let id = box_id.to_string();
    let b = sqlx::query!(
        "SELECT name, rows, columns, capacity, voided_at FROM boxes WHERE id = ?1",
        id
    )
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(DomainError::NotFound("box"))?;
    if b.voided_at.is_some() {
        return Err(DomainError::Voided("the box").into());
    }
    Ok(ActiveBox {
        id,
        name: b.name,
        layout: layout_of(b.rows, b.columns, b.capacity)?,
    })
}

fn layout_of(rows: Option<i64>, columns: Option<i64>, capacity: Option<i64>) -> Result<BoxLayout> {
    let small = |v: i64| u8::try_from(v).map_err(|_| StoreError::Decode("box size".into()));
    Ok(match (rows, columns) {
        (Some(r), Some(c)) => BoxLayout::Grid {
            rows: small(r)?,
            columns: small(c)?,
        },
        _ => BoxLayout::Bag {
            capacity: capacity.and_then(|c| u32::try_from(c).ok()),
        },
    })
}

async fn active_rack(conn: &mut SqliteConnection, rack_id: Uuid) -> Result<String> {
    let id = rack_id.to_string();
    let r = sqlx::query!("SELECT r.name, r.voided_at, f.voided_at AS freezer_voided FROM racks r JOIN freezers f ON f.id = r.freezer_id WHERE r.id = ?1", id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(DomainError::NotFound("rack"))?;
    if r.voided_at.is_some() || r.freezer_voided.is_some() {
        return Err(DomainError::Voided("the rack").into());
    }
    Ok(r.name)
}

/// An active freezer's name; an unknown or voided freezer is refused.
async fn active_freezer(conn: &mut SqliteConnection, freezer_id: Uuid) -> Result<String> {
    let freezer = freezer_id.to_string();
    let f = sqlx::query!(
        "SELECT name, voided_at FROM freezers WHERE id = ?1",
        freezer
    )
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(DomainError::NotFound("freezer"))?;
    if f.voided_at.is_some() {
        return Err(DomainError::Voided("the freezer").into());
    }
    Ok(f.name)
}

/// One new rack in an active freezer, its name unique among the freezer's active racks.
async fn insert_rack(
    conn: &mut SqliteConnection,
    now: &str,
    rack_id: Uuid,
    freezer_id: Uuid,
    freezer_name: &str,
    name: &str,
) -> Result<Change> {
    let name = validate_text("name", name, 40)?;
    let freezer = freezer_id.to_string();
    let taken = sqlx::query_scalar!(
        "SELECT COUNT(*) FROM racks WHERE freezer_id = ?1 AND name = ?2 AND voided_at IS NULL",
        freezer,
        name
    )
    .fetch_one(&mut *conn)
    .await?;
    if taken > 0 {
        return Err(DomainError::Taken(format!("rack name {name} in {freezer_name}")).into());
    }
    let id = rack_id.to_string();
    sqlx::query!(
        "INSERT INTO racks (id, freezer_id, name, created_at) VALUES (?1, ?2, ?3, ?4)",
        id,
        freezer,
        name,
        now
    )
    .execute(&mut *conn)
    .await?;
    Ok(Change {
        entity_type: "rack",
        entity_id: id,
        old: None,
        new: Some(json!({"freezer": freezer_name, "name": name})),
        subject_user_id: None,
    })
}

/// One new box in an active rack (`box_type` and `layout` already validated), its barcode
/// unique among every box ever made, voided or not.
async fn insert_box(
    conn: &mut SqliteConnection,
    now: &str,
    rack_id: Uuid,
    rack_name: &str,
    new: &NewBox,
    box_type: &str,
    layout: BoxLayout,
) -> Result<Change> {
    let name = validate_text("name", &new.name, 60)?;
    let barcode = barcode_ok(&new.barcode)?;
    let taken = sqlx::query_scalar!("SELECT COUNT(*) FROM boxes WHERE barcode = ?1", barcode)
        .fetch_one(&mut *conn)
        .await?;
    if taken > 0 {
        return Err(DomainError::Taken(format!("box barcode {barcode}")).into());
    }
    let (rows, columns) = match layout {
        BoxLayout::Grid { rows, columns } => (Some(i64::from(rows)), Some(i64::from(columns))),
        BoxLayout::Bag { .. } => (None, None),
    };
    let capacity = layout.capacity().map(i64::from);
    let (id, rack_text) = (new.box_id.to_string(), rack_id.to_string());
    sqlx::query!(
        "INSERT INTO boxes (id, rack_id, name, barcode, box_type, rows, columns, capacity, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        id, rack_text, name, barcode, box_type, rows, columns, capacity, now
    )
    .execute(&mut *conn)
    .await?;
    Ok(Change {
        entity_type: "box",
        entity_id: id,
        old: None,
        new: Some(
            json!({"rack": rack_name, "name": name, "barcode": barcode, "box_type": box_type, "layout": layout}),
        ),
        subject_user_id: None,
    })
}

fn no_duplicates(ids: &[Uuid]) -> Result<()> {
    if ids.is_empty() {
        return Err(DomainError::invalid("samples", "name at least one sample").into());
    }
    if ids.len() > MAX_TUBES_PER_COMMAND {
        return Err(DomainError::invalid(
            "samples",
            format!("at most {MAX_TUBES_PER_COMMAND} at a time"),
        )
        .into());
    }
    let unique: HashSet<_> = ids.iter().collect();
    if unique.len() != ids.len() {
        return Err(DomainError::invalid("samples", "the same sample is named twice").into());
    }
    Ok(())
}

fn barcode_ok(barcode: &str) -> Result<String> {
    let b = barcode.trim();
    if b.is_empty() || b.len() > 40 || !b.bytes().all(|c| c.is_ascii_graphic()) {
        return Err(
            DomainError::invalid("barcode", "1 to 40 printable characters without spaces").into(),
        );
    }
    Ok(b.to_owned())
}

/// One storage object's corrected description; refused if it is voided, if a name or
/// barcode is another's, or if nothing changes. The audit entry holds what it was and is.
async fn edit_storage(conn: &mut SqliteConnection, edit: &StorageEdit) -> Result<Applied> {
    let unchanged = || DomainError::invalid("edit", "nothing is different from what it is now");
    let change = match edit {
        StorageEdit::Freezer {
            freezer_id,
            name,
            location,
            freezer_kind,
            temperature_c,
        } => {
            let id = freezer_id.to_string();
            let was = sqlx::query!(
                "SELECT name, location, kind, temperature_c, voided_at FROM freezers WHERE id = ?1",
                id
            )
            .fetch_optional(&mut *conn)
            .await?
            .ok_or(DomainError::NotFound("freezer"))?;
            if was.voided_at.is_some() {
                return Err(DomainError::Voided("the freezer").into());
            }
            let name = validate_text("name", name, 80)?;
            let location = validate_text("location", location, 120)?;
            freezer_kind.check_temperature(*temperature_c)?;
            let (kind, t) = (freezer_kind.as_str(), i64::from(*temperature_c));
            if (
                &was.name,
                &was.location,
                was.kind.as_str(),
                was.temperature_c,
            ) == (&name, &location, kind, t)
            {
                return Err(unchanged().into());
            }
            let taken = sqlx::query_scalar!(
                "SELECT COUNT(*) FROM freezers WHERE name = ?1 AND voided_at IS NULL AND id <> ?2",
                name,
                id
            )
            .fetch_one(&mut *conn)
            .await?;
            if taken > 0 {
                return Err(DomainError::Taken(format!("freezer name {name}")).into());
            }
            sqlx::query!(
                "UPDATE freezers SET name = ?2, location = ?3, kind = ?4, temperature_c = ?5 WHERE id = ?1",
                id, name, location, kind, t
            )
            .execute(&mut *conn)
            .await?;
            Change {
                entity_type: "freezer",
                entity_id: id,
                old: Some(
                    json!({"name": was.name, "location": was.location, "kind": was.kind, "temperature_c": was.temperature_c}),
                ),
                new: Some(
                    json!({"name": name, "location": location, "kind": kind, "temperature_c": t}),
                ),
                subject_user_id: None,
            }
        }
        StorageEdit::Rack { rack_id, name } => {
            let id = rack_id.to_string();
            active_rack(conn, *rack_id).await?;
            let was = sqlx::query!(
                r#"SELECT r.name, r.freezer_id, f.name AS freezer FROM racks r JOIN freezers f ON f.id = r.freezer_id WHERE r.id = ?1"#,
                id
            )
            .fetch_one(&mut *conn)
            .await?;
            let name = validate_text("name", name, 40)?;
            if was.name == name {
                return Err(unchanged().into());
            }
            let taken = sqlx::query_scalar!(
                "SELECT COUNT(*) FROM racks WHERE freezer_id = ?1 AND name = ?2 AND voided_at IS NULL AND id <> ?3",
                was.freezer_id,
                name,
                id
            )
            .fetch_one(&mut *conn)
            .await?;
            if taken > 0 {
                return Err(
                    DomainError::Taken(format!("rack name {name} in {}", was.freezer)).into(),
                );
            }
            sqlx::query!("UPDATE racks SET name = ?2 WHERE id = ?1", id, name)
                .execute(&mut *conn)
                .await?;
            Change {
                entity_type: "rack",
                entity_id: id,
                old: Some(json!({"name": was.name})),
                new: Some(json!({"name": name})),
                subject_user_id: None,
            }
        }
        StorageEdit::Box {
            box_id,
            name,
            barcode,
            box_type,
        } => {
            let b = load_box(conn, *box_id).await?;
            let was = sqlx::query!("SELECT barcode, box_type FROM boxes WHERE id = ?1", b.id)
                .fetch_one(&mut *conn)
                .await?;
            let name = validate_text("name", name, 60)?;
            let barcode = barcode_ok(barcode)?;
            let box_type = validate_text("box_type", box_type, 40)?;
            if (&b.name, &was.barcode, &was.box_type) == (&name, &barcode, &box_type) {
                return Err(unchanged().into());
            }
            // A barcode is never given to a second box, voided or not: an old label scanned
            // must not find another box.
            let taken = sqlx::query_scalar!(
                "SELECT COUNT(*) FROM boxes WHERE barcode = ?1 AND id <> ?2",
                barcode,
                b.id
            )
            .fetch_one(&mut *conn)
            .await?;
            if taken > 0 {
                return Err(DomainError::Taken(format!("box barcode {barcode}")).into());
            }
            sqlx::query!(
                "UPDATE boxes SET name = ?2, barcode = ?3, box_type = ?4 WHERE id = ?1",
                b.id,
                name,
                barcode,
                box_type
            )
            .execute(&mut *conn)
            .await?;
            Change {
                entity_type: "box",
                entity_id: b.id,
                old: Some(
                    json!({"name": b.name, "barcode": was.barcode, "box_type": was.box_type}),
                ),
                new: Some(json!({"name": name, "barcode": barcode, "box_type": box_type})),
                subject_user_id: None,
            }
        }
    };
    Ok(change.into())
}

pub(crate) async fn apply(
    conn: &mut SqliteConnection,
    ctx: &Ctx<'_>,
    command: &Command,
) -> Result<Applied> {
    let now = format_utc(ctx.now);
    match command {
        Command::CreateFreezer {
            freezer_id,
            name,
            location,
            freezer_kind,
            temperature_c,
        } => {
            let name = validate_text("name", name, 80)?;
            let location = validate_text("location", location, 120)?;
            freezer_kind.check_temperature(*temperature_c)?;
            let taken = sqlx::query_scalar!(
                "SELECT COUNT(*) FROM freezers WHERE name = ?1 AND voided_at IS NULL",
                name
            )
            .fetch_one(&mut *conn)
            .await?;
            if taken > 0 {
                return Err(DomainError::Taken(format!("freezer name {name}")).into());
            }
            let (id, kind, t) = (
                freezer_id.to_string(),
                freezer_kind.as_str(),
                i64::from(*temperature_c),
            );
            sqlx::query!(
                "INSERT INTO freezers (id, name, location, kind, temperature_c, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                id, name, location, kind, t, now
            )
            .execute(&mut *conn)
            .await?;
            Ok(Change {
                entity_type: "freezer",
                entity_id: id,
                old: None,
                new: Some(
                    json!({"name": name, "location": location, "kind": kind, "temperature_c": t}),
                ),
                subject_user_id: None,
            }
            .into())
        }
        Command::CreateRack {
            rack_id,
            freezer_id,
            name,
        } => {
            let freezer = active_freezer(conn, *freezer_id).await?;
            Ok(
                insert_rack(conn, &now, *rack_id, *freezer_id, &freezer, name)
                    .await?
                    .into(),
            )
        }
        Command::CreateBox {
            box_id,
            rack_id,
            name,
            barcode,
            box_type,
            layout,
        } => {
            let rack = active_rack(conn, *rack_id).await?;
            let box_type = validate_text("box_type", box_type, 40)?;
            let layout = layout.validate()?;
            let new = NewBox {
                box_id: *box_id,
                name: name.clone(),
                barcode: barcode.clone(),
            };
            Ok(
                insert_box(conn, &now, *rack_id, &rack, &new, &box_type, layout)
                    .await?
                    .into(),
            )
        }
        Command::AddRacksAndBoxes {
            freezer_id,
            box_type,
            layout,
            racks,
        } => {
            let boxes: usize = racks.iter().map(|r| r.boxes.len()).sum();
            if racks.is_empty() || racks.len() > rules::MAX_RACKS_AT_ONCE as usize {
                return Err(DomainError::invalid(
                    "racks",
                    format!("between 1 and {} racks at once", rules::MAX_RACKS_AT_ONCE),
                )
                .into());
            }
            if boxes > rules::MAX_BOXES_AT_ONCE as usize {
                return Err(DomainError::invalid(
                    "boxes",
                    format!("at most {} boxes at once", rules::MAX_BOXES_AT_ONCE),
                )
                .into());
            }
            let freezer = active_freezer(conn, *freezer_id).await?;
            let box_type = validate_text("box_type", box_type, 40)?;
            let layout = layout.validate()?;
            // One audit row per rack and per box, each under its own id. The names and
            // barcodes are checked against the ones inserted before them, so two of this
            // command's own collide as plainly as with an older one.
            let mut changes = Vec::with_capacity(racks.len() + boxes);
            for rack in racks {
                let change =
                    insert_rack(conn, &now, rack.rack_id, *freezer_id, &freezer, &rack.name)
                        .await?;
                let rack_name = validate_text("name", &rack.name, 40)?;
                changes.push(change);
                for new in &rack.boxes {
                    changes.push(
                        insert_box(conn, &now, rack.rack_id, &rack_name, new, &box_type, layout)
                            .await?,
                    );
                }
            }
            Applied::per_record(changes)
        }
        Command::MoveBox {
            box_id,
            rack_id,
            reason,
        } => {
            let b = load_box(conn, *box_id).await?;
            let to_rack = active_rack(conn, *rack_id).await?;
            let from = sqlx::query_scalar!("SELECT rack_id FROM boxes WHERE id = ?1", b.id)
                .fetch_one(&mut *conn)
                .await?;
            let to = rack_id.to_string();
            if from == to {
                return Err(DomainError::Refused(format!(
                    "{} is already in rack {to_rack}",
                    b.name
                ))
                .into());
            }
            let (actor, command) = (ctx.actor.user_id.to_string(), ctx.command_id.to_string());
            sqlx::query!("UPDATE boxes SET rack_id = ?1 WHERE id = ?2", to, b.id)
                .execute(&mut *conn)
                .await?;
            sqlx::query!(
                "INSERT INTO box_moves (box_id, from_rack_id, to_rack_id, actor_id, at, reason, command_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                b.id, from, to, actor, now, reason, command
            )
            .execute(&mut *conn)
            .await?;
            Ok(Change {
                entity_type: "box",
                entity_id: b.id,
                old: Some(json!({"rack_id": from})),
                new: Some(json!({"rack_id": to, "rack": to_rack})),
                subject_user_id: None,
            }
            .into())
        }
        Command::EditStorage { edit, .. } => edit_storage(conn, edit).await,
        Command::VoidStorage { target, reason } => {
            aliquot_domain::command::validate_reason(reason)?;
            let (entity_type, id, held, children): (&'static str, String, i64, i64) = match target {
                StorageTarget::Freezer(id) => {
                    let id = id.to_string();
                    let held = sqlx::query_scalar!(
                        "SELECT COUNT(*) FROM placements p JOIN boxes b ON b.id = p.box_id JOIN racks r ON r.id = b.rack_id WHERE r.freezer_id = ?1",
                        id
                    )
                    .fetch_one(&mut *conn)
                    .await?;
                    let children = sqlx::query_scalar!(
                        "SELECT COUNT(*) FROM racks WHERE freezer_id = ?1 AND voided_at IS NULL",
                        id
                    )
                    .fetch_one(&mut *conn)
                    .await?;
                    ("freezer", id, held, children)
                }
                StorageTarget::Rack(id) => {
                    let id = id.to_string();
                    let held = sqlx::query_scalar!("SELECT COUNT(*) FROM placements p JOIN boxes b ON b.id = p.box_id WHERE b.rack_id = ?1", id)
                        .fetch_one(&mut *conn)
                        .await?;
                    let children = sqlx::query_scalar!(
                        "SELECT COUNT(*) FROM boxes WHERE rack_id = ?1 AND voided_at IS NULL",
                        id
                    )
                    .fetch_one(&mut *conn)
                    .await?;
                    ("rack", id, held, children)
                }
                StorageTarget::Box(id) => {
                    let id = id.to_string();
                    let held = sqlx::query_scalar!(
                        "SELECT COUNT(*) FROM placements WHERE box_id = ?1",
                        id
                    )
                    .fetch_one(&mut *conn)
                    .await?;
                    ("box", id, held, 0)
                }
            };
            let voided = match entity_type {
                "freezer" => {
                    sqlx::query_scalar!("SELECT voided_at FROM freezers WHERE id = ?1", id)
                        .fetch_optional(&mut *conn)
                        .await?
                }
                "rack" => {
                    sqlx::query_scalar!("SELECT voided_at FROM racks WHERE id = ?1", id)
                        .fetch_optional(&mut *conn)
                        .await?
                }
                _ => {
                    sqlx::query_scalar!("SELECT voided_at FROM boxes WHERE id = ?1", id)
                        .fetch_optional(&mut *conn)
                        .await?
                }
            };
            match voided {
                None => return Err(DomainError::NotFound(entity_type).into()),
                Some(Some(_)) => {
                    return Err(DomainError::Refused(format!(
                        "this {entity_type} is already voided"
                    ))
                    .into())
                }
                Some(None) => {}
            }
            if held > 0 {
                return Err(DomainError::NotEmpty {
                    what: match entity_type {
                        "freezer" => "the freezer",
                        "rack" => "the rack",
                        _ => "the box",
                    },
                }
                .into());
            }
            if children > 0 {
                return Err(DomainError::Refused(format!(
                    "this {entity_type} still has {children} active {}; void or move them first",
                    if entity_type == "freezer" {
                        "racks"
                    } else {
                        "boxes"
                    }
                ))
                .into());
            }
            match entity_type {
                "freezer" => {
                    sqlx::query!(
                        "UPDATE freezers SET voided_at = ?1, void_reason = ?2 WHERE id = ?3",
                        now,
                        reason,
                        id
                    )
                    .execute(&mut *conn)
                    .await?
                }
                "rack" => {
                    sqlx::query!(
                        "UPDATE racks SET voided_at = ?1, void_reason = ?2 WHERE id = ?3",
                        now,
                        reason,
                        id
                    )
                    .execute(&mut *conn)
                    .await?
                }
                _ => {
                    sqlx::query!(
                        "UPDATE boxes SET voided_at = ?1, void_reason = ?2 WHERE id = ?3",
                        now,
                        reason,
                        id
                    )
                    .execute(&mut *conn)
                    .await?
                }
            };
            Ok(Change {
                entity_type,
                entity_id: id,
                old: Some(json!({"voided": false})),
                new: Some(json!({"voided": true})),
                subject_user_id: None,
            }
            .into())
        }
        Command::PlaceSamples {
            box_id,
            tubes,
            source,
            receive,
        } => place(conn, ctx, *box_id, tubes, *source, *receive).await,
        Command::CheckOutSamples { sample_ids, .. } => {
            no_duplicates(sample_ids)?;
            let mut codes = Vec::with_capacity(sample_ids.len());
            for sample_id in sample_ids {
                let s = load_sample(conn, *sample_id).await?;
                if s.status != SampleStatus::Stored {
                    return Err(DomainError::Refused(format!(
                        "{} is {}; only a stored sample can be checked out",
                        s.code,
                        s.status.as_str()
                    ))
                    .into());
                }
                set_status(conn, ctx, &s, SampleStatus::CheckedOut, Via::CheckOut, None).await?;
                let id = sample_id.to_string();
                sqlx::query!(
                    "UPDATE samples SET checked_out_at = ?1 WHERE id = ?2",
                    now,
                    id
                )
                .execute(&mut *conn)
                .await?;
                codes.push(Change {
                    entity_type: "sample",
                    entity_id: s.code,
                    old: Some(json!({"status": "stored"})),
                    new: Some(json!({"status": "checked_out"})),
                    subject_user_id: None,
                });
            }
            Applied::per_record(codes)
        }
        Command::CheckInSamples { sample_ids } => {
            no_duplicates(sample_ids)?;
            let mut returned = Vec::with_capacity(sample_ids.len());
            for sample_id in sample_ids {
                let s = load_sample(conn, *sample_id).await?;
                let (SampleStatus::CheckedOut, Some(out_at)) = (s.status, s.checked_out_at) else {
                    return Err(DomainError::Refused(format!(
                        "{} is {}, not checked out",
                        s.code,
                        s.status.as_str()
                    ))
                    .into());
                };
                let total = sample::time_out_after_check_in(s.time_out_seconds, out_at, ctx.now);
                set_status(conn, ctx, &s, SampleStatus::Stored, Via::CheckIn, None).await?;
                let id = sample_id.to_string();
                sqlx::query!(
                    "UPDATE samples SET checked_out_at = NULL, time_out_seconds = ?1 WHERE id = ?2",
                    total,
                    id
                )
                .execute(&mut *conn)
                .await?;
                returned.push(Change {
                    entity_type: "sample",
                    entity_id: s.code,
                    old: Some(json!({"status": "checked_out"})),
                    new: Some(json!({"status": "stored", "time_out_seconds": total})),
                    subject_user_id: None,
                });
            }
            Applied::per_record(returned)
        }
        Command::UnplaceSample { sample_id, reason } => {
            let reason = validate_reason(reason)?;
            let s = load_sample(conn, *sample_id).await?;
            let id = sample_id.to_string();
            let Some(place) = sqlx::query!(
                r#"SELECT p.box_id, p.position, b.name AS box_name
                   FROM placements p JOIN boxes b ON b.id = p.box_id WHERE p.sample_id = ?1"#,
                id
            )
            .fetch_optional(&mut *conn)
            .await?
            else {
                return Err(DomainError::Refused(format!(
                    "{} is not in a box; there is nothing to take it out of",
                    s.code
                ))
                .into());
            };
            if s.status != SampleStatus::Stored {
                return Err(DomainError::Refused(format!(
                    "{} is {}; check it in first, then take it out of its box",
                    s.code,
                    s.status.as_str()
                ))
                .into());
            }
            release(conn, ctx, *sample_id, Via::Unplace.as_str()).await?;
            set_status(
                conn,
                ctx,
                &s,
                SampleStatus::Received,
                Via::Unplace,
                Some(&reason),
            )
            .await?;
            Ok(Change {
                entity_type: "sample",
                entity_id: s.code,
                old: Some(json!({"status": "stored", "location": {"box_id": place.box_id, "box": place.box_name, "position": place.position}})),
                new: Some(json!({"status": "received", "location": null})),
                subject_user_id: None,
            }
            .into())
        }
        _ => Err(StoreError::Decode(format!(
            "{} is not a storage command",
            command.kind().as_str()
        ))),
    }
}

/// How many of a participant's tubes are in the lab's hands or on their way but not yet
/// stored: the room a keep-together placement looks for.
async fn still_to_store(conn: &mut SqliteConnection, participant_id: &str) -> Result<u32> {
    let n = sqlx::query_scalar!(
        r#"SELECT COUNT(*) AS "n!: i64" FROM samples
           WHERE participant_id = ?1
             AND status IN ('collected', 'in_transit', 'received', 'processing')"#,
        participant_id
    )
    .fetch_one(&mut *conn)
    .await?;
    Ok(u32::try_from(n).unwrap_or(u32::MAX))
}

/// Places (or moves) tubes into one box, all or none. With `receive`, tubes not yet
/// received are received first, each through the state machine's receipt path.
async fn place(
    conn: &mut SqliteConnection,
    ctx: &Ctx<'_>,
    box_id: Uuid,
    tubes: &[TubePlacement],
    source: PlacementSource,
    receive: bool,
) -> Result<Applied> {
    let ids: Vec<Uuid> = tubes.iter().map(|t| t.sample_id).collect();
    no_duplicates(&ids)?;
    let target = load_box(conn, box_id).await?;
    let grid = target.layout.grid();
    let strategy = settings::load(conn).await?.auto_position;

    // Load every tube and lift the ones already placed, so tubes can swap positions
    // within one command (a rack scan of a rearranged box).
    let mut loaded = Vec::with_capacity(tubes.len());
    // Tubes received by this command, with the status they arrived in.
    let mut received: HashMap<Uuid, &'static str> = HashMap::new();
    for tube in tubes {
        let mut s = load_sample(conn, tube.sample_id).await?;
        if sample::next_statuses(s.status, Via::Receipt).contains(&SampleStatus::Received) {
            if !receive {
                return Err(DomainError::NotReceived { code: s.code }.into());
            }
            set_status(conn, ctx, &s, SampleStatus::Received, Via::Receipt, None).await?;
            received.insert(s.id, s.status.as_str());
            s.status = SampleStatus::Received;
        }
        match s.status {
            SampleStatus::Stored => {}
            SampleStatus::CheckedOut => {
                return Err(DomainError::Refused(format!(
                    "{} is checked out; check it in before moving it",
                    s.code
                ))
                .into());
            }
            other => {
                if !sample::next_statuses(other, Via::Placement).contains(&SampleStatus::Stored) {
                    return Err(DomainError::Refused(format!(
                        "{} is {}; it cannot be placed in storage",
                        s.code,
                        other.as_str()
                    ))
                    .into());
                }
            }
        }
        let id = tube.sample_id.to_string();
        let from = sqlx::query!(
            "SELECT box_id, position FROM placements WHERE sample_id = ?1",
            id
        )
        .fetch_optional(&mut *conn)
        .await?;
        if from.is_some() {
            sqlx::query!("DELETE FROM placements WHERE sample_id = ?1", id)
                .execute(&mut *conn)
                .await?;
        }
        loaded.push((s, from.map(|f| (f.box_id, f.position))));
    }

    let rows = sqlx::query!(
        r#"SELECT p.position, s.code, s.participant_id FROM placements p JOIN samples s ON s.id = p.sample_id WHERE p.box_id = ?1"#,
        target.id
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut occupant: HashMap<String, String> = HashMap::new();
    let mut by_participant: HashMap<String, Vec<Position>> = HashMap::new();
    let mut count = rows.len();
    for r in rows {
        if let (Some(pos), Some(g)) = (r.position, grid) {
            if let Ok(p) = g.parse_position(&pos) {
                by_participant.entry(r.participant_id).or_default().push(p);
            }
            occupant.insert(pos, r.code);
        }
    }

    let placed_at = format_utc(ctx.now);
    let mut resolved = Vec::with_capacity(tubes.len());
    let mut summary = Vec::with_capacity(tubes.len());
    let mut per_sample = Vec::with_capacity(tubes.len());
    for (tube, (s, from)) in tubes.iter().zip(loaded) {
        let position: Option<Position> = match (grid, tube.position.as_deref()) {
            (Some(g), Some(text)) => Some(g.parse_position(text)?),
            (Some(g), None) => {
                let contents = BoxContents {
                    occupied: occupant
                        .keys()
                        .filter_map(|p| g.parse_position(p).ok())
                        .collect(),
                    same_participant: by_participant
                        .get(&s.participant_id)
                        .cloned()
                        .unwrap_or_default(),
                    still_to_store: still_to_store(conn, &s.participant_id).await?,
                };
                Some(rules::choose_position(g, strategy, &contents)?)
            }
            (None, Some(_)) => {
                return Err(DomainError::invalid(
                    "position",
                    format!("{} is a bag: its tubes have no position", target.name),
                )
                .into());
            }
            (None, None) => {
                if let Some(capacity) = target.layout.capacity() {
                    if count >= usize::try_from(capacity).unwrap_or(usize::MAX) {
                        return Err(DomainError::BoxFull.into());
                    }
                }
                None
            }
        };
        let name = position.map(Position::name);
        if let Some(n) = &name {
            if let Some(code) = occupant.get(n) {
                return Err(DomainError::PositionOccupied {
                    position: n.clone(),
                    occupant: code.clone(),
                }
                .into());
            }
            occupant.insert(n.clone(), s.code.clone());
            if let Some(p) = position {
                by_participant
                    .entry(s.participant_id.clone())
                    .or_default()
                    .push(p);
            }
        }
        count += 1;
        let id = s.id.to_string();
        let (row, column) = (
            position.map(|p| i64::from(p.row)),
            position.map(|p| i64::from(p.column)),
        );
        sqlx::query!(
            "INSERT INTO placements (sample_id, box_id, position, row_index, column_index, placed_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            id, target.id, name, row, column, placed_at
        )
        .execute(&mut *conn)
        .await?;
        history(
            conn,
            ctx,
            &id,
            from.as_ref().map(|(b, p)| (b.as_str(), p.as_deref())),
            Some((&target.id, name.as_deref())),
            source.as_str(),
        )
        .await?;
        if s.status != SampleStatus::Stored {
            set_status(conn, ctx, &s, SampleStatus::Stored, Via::Placement, None).await?;
        }
        let moved_from = from.map(|(b, p)| json!({"box_id": b, "position": p}));
        per_sample.push(Change {
            entity_type: "sample",
            entity_id: s.code.clone(),
            old: Some(json!({"status": received.get(&s.id).copied().unwrap_or(s.status.as_str()), "location": moved_from})),
            new: Some(json!({"status": "stored", "box": target.name, "position": name, "received": received.contains_key(&s.id)})),
            subject_user_id: None,
        });
        summary.push(json!({"code": s.code, "position": name, "moved_from": moved_from}));
        resolved.push(TubePlacement {
            sample_id: s.id,
            position: name,
        });
    }
    // The box's row lists the whole placement; each tube's own row tells its story.
    Ok(Applied {
        change: Change {
            entity_type: "box",
            entity_id: target.id,
            old: None,
            new: Some(json!({"box": target.name, "placed": summary, "source": source.as_str()})),
            subject_user_id: None,
        },
        also: per_sample,
        resolved: Some(Command::PlaceSamples {
            box_id,
            tubes: resolved,
            source,
            receive,
        }),
        local: false,
    })
}

// ---------------------------------------------------------------- queries

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct FreezerRecord {
    pub id: Uuid,
    pub name: String,
    pub location: String,
    pub kind: FreezerKind,
    pub temperature_c: i16,
    #[ts(type = "number")]
    pub racks: i64,
    #[ts(type = "number")]
    pub boxes: i64,
    #[ts(type = "number")]
    pub samples: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct RackRecord {
    pub id: Uuid,
    pub freezer_id: Uuid,
    pub name: String,
    #[ts(type = "number")]
    pub boxes: i64,
    #[ts(type = "number")]
    pub samples: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct BoxRecord {
    pub id: Uuid,
    pub name: String,
    pub barcode: String,
    pub box_type: String,
    pub layout: BoxLayout,
    pub rack_id: Uuid,
    pub rack: String,
    pub freezer_id: Uuid,
    pub freezer: String,
    #[ts(type = "number")]
    pub occupied: i64,
    #[ts(type = "number | null")]
    pub capacity: Option<i64>,
    pub has_space: bool,
    pub created_at: DateTime<Utc>,
}

/// Which boxes to list; every filter is applied in SQL so totals and pages are right.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BoxFilter {
    pub freezer_id: Option<Uuid>,
    pub rack_id: Option<Uuid>,
    pub has_space: Option<bool>,
    /// Grid boxes with at least this many free positions.
    pub min_free: Option<u32>,
    pub box_type: Option<String>,
    /// Name or barcode starts with this.
    pub search: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct Well {
    pub position: Option<String>,
    pub sample_id: Uuid,
    pub code: String,
    pub sample_type: String,
    pub status: SampleStatus,
    pub participant_code: String,
}

struct BoxRow {
    id: String,
    name: String,
    barcode: String,
    box_type: String,
    rows: Option<i64>,
    columns: Option<i64>,
    capacity: Option<i64>,
    rack_id: String,
    rack: String,
    freezer_id: String,
    freezer: String,
    occupied: i64,
    created_at: String,
}

impl TryFrom<BoxRow> for BoxRecord {
    type Error = StoreError;
    fn try_from(r: BoxRow) -> Result<Self> {
        Ok(BoxRecord {
            id: parse_uuid(&r.id)?,
            layout: layout_of(r.rows, r.columns, r.capacity)?,
            name: r.name,
            barcode: r.barcode,
            box_type: r.box_type,
            rack_id: parse_uuid(&r.rack_id)?,
            rack: r.rack,
            freezer_id: parse_uuid(&r.freezer_id)?,
            freezer: r.freezer,
            has_space: r.capacity.is_none_or(|c| r.occupied < c),
            occupied: r.occupied,
            capacity: r.capacity,
            created_at: parse_utc(&r.created_at)?,
        })
    }
}

impl Store {
    /// A page of the freezers in use, by name; `search` narrows to names starting with it.
    pub async fn freezers(
        &self,
        search: Option<&str>,
        request: PageRequest,
    ) -> Result<Page<FreezerRecord>> {
        let page = request.validate()?;
        let search = crate::starts_with(search);
        let total = sqlx::query_scalar!(
            r#"SELECT COUNT(*) AS "n!: i64" FROM freezers f
               WHERE f.voided_at IS NULL AND (?1 IS NULL OR f.name LIKE ?1)"#,
            search
        )
        .fetch_one(&self.pool)
        .await?;
        let items = self
            .freezers_where(None, search, page.limit(), page.offset())
            .await?;
        Ok(Page::new(items, page, u64::try_from(total).unwrap_or(0)))
    }

    /// One freezer in use, by id.
    pub async fn freezer(&self, freezer_id: Uuid) -> Result<FreezerRecord> {
        self.freezers_where(Some(freezer_id.to_string()), None, 1, 0)
            .await?
            .pop()
            .ok_or_else(|| DomainError::NotFound("freezer").into())
    }

    /// Which of these box barcodes boxes already carry (voided boxes too: a barcode is
    /// never given twice), the first ten in order: what a bulk plan would collide with.
    pub async fn taken_box_barcodes(&self, barcodes: &[String]) -> Result<Vec<String>> {
        let wanted = serde_json::to_string(barcodes)
            .map_err(|e| StoreError::Decode(format!("barcodes: {e}")))?;
        Ok(sqlx::query_scalar!(
            r#"SELECT barcode AS "barcode!" FROM boxes
               WHERE barcode IN (SELECT value FROM json_each(?1)) ORDER BY barcode LIMIT 10"#,
            wanted
        )
        .fetch_all(&self.pool)
        .await?)
    }

    /// The one freezer SELECT: by id and/or name, in name order.
    async fn freezers_where(
        &self,
        id: Option<String>,
        search: Option<String>,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<FreezerRecord>> {
        let rows = sqlx::query!(
            r#"SELECT f.id AS "id!", f.name, f.location, f.kind, f.temperature_c,
                      (SELECT COUNT(*) FROM racks r WHERE r.freezer_id = f.id AND r.voided_at IS NULL) AS "racks!: i64",
                      (SELECT COUNT(*) FROM boxes b JOIN racks r ON r.id = b.rack_id WHERE r.freezer_id = f.id AND b.voided_at IS NULL) AS "boxes!: i64",
                      (SELECT COALESCE(SUM(b.occupied), 0) FROM boxes b JOIN racks r ON r.id = b.rack_id WHERE r.freezer_id = f.id) AS "samples!: i64"
               FROM freezers f
               WHERE f.voided_at IS NULL AND (?1 IS NULL OR f.id = ?1) AND (?2 IS NULL OR f.name LIKE ?2)
               ORDER BY f.name, f.id LIMIT ?3 OFFSET ?4"#,
            id,
            search,
            limit,
            offset
        )
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|r| {
                Ok(FreezerRecord {
                    id: parse_uuid(&r.id)?,
                    name: r.name,
                    location: r.location,
                    kind: FreezerKind::parse(&r.kind)
                        .ok_or_else(|| StoreError::Decode(format!("freezer kind {:?}", r.kind)))?,
                    temperature_c: i16::try_from(r.temperature_c)
                        .map_err(|_| StoreError::Decode("temperature".into()))?,
                    racks: r.racks,
                    boxes: r.boxes,
                    samples: r.samples,
                })
            })
            .collect()
    }

    /// A page of a freezer's racks in use, by name.
    pub async fn racks(&self, freezer_id: Uuid, request: PageRequest) -> Result<Page<RackRecord>> {
        let page = request.validate()?;
        let freezer = freezer_id.to_string();
        let total = sqlx::query_scalar!(
            r#"SELECT COUNT(*) AS "n!: i64" FROM racks r WHERE r.freezer_id = ?1 AND r.voided_at IS NULL"#,
            freezer
        )
        .fetch_one(&self.pool)
        .await?;
        let items = self
            .racks_where(Some(freezer), None, page.limit(), page.offset())
            .await?;
        Ok(Page::new(items, page, u64::try_from(total).unwrap_or(0)))
    }

    /// One rack in use, by id.
    pub async fn rack(&self, rack_id: Uuid) -> Result<RackRecord> {
        self.racks_where(None, Some(rack_id.to_string()), 1, 0)
            .await?
            .pop()
            .ok_or_else(|| DomainError::NotFound("rack").into())
    }

    /// The one rack SELECT: by freezer and/or id, in name order.
    async fn racks_where(
        &self,
        freezer: Option<String>,
        id: Option<String>,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<RackRecord>> {
        let rows = sqlx::query!(
            r#"SELECT r.id AS "id!", r.freezer_id, r.name,
                      (SELECT COUNT(*) FROM boxes b WHERE b.rack_id = r.id AND b.voided_at IS NULL) AS "boxes!: i64",
                      (SELECT COALESCE(SUM(b.occupied), 0) FROM boxes b WHERE b.rack_id = r.id) AS "samples!: i64"
               FROM racks r
               WHERE r.voided_at IS NULL AND (?1 IS NULL OR r.freezer_id = ?1) AND (?2 IS NULL OR r.id = ?2)
               ORDER BY r.name, r.id LIMIT ?3 OFFSET ?4"#,
            freezer,
            id,
            limit,
            offset
        )
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|r| {
                Ok(RackRecord {
                    id: parse_uuid(&r.id)?,
                    freezer_id: parse_uuid(&r.freezer_id)?,
                    name: r.name,
                    boxes: r.boxes,
                    samples: r.samples,
                })
            })
            .collect()
    }

    pub async fn boxes(
        &self,
        filter: &BoxFilter,
        sort: BoxSort,
        order: SortOrder,
        page: PageRequest,
    ) -> Result<Page<BoxRecord>> {
        let page = page.validate()?;
        if filter.has_space == Some(true)
            && filter.rack_id.is_none()
            && (sort, order) == (BoxSort::Name, SortOrder::Asc)
        {
            return self.boxes_with_space_by_name(filter, page).await;
        }
        let (freezer, rack) = (
            filter.freezer_id.map(|u| u.to_string()),
            filter.rack_id.map(|u| u.to_string()),
        );
        let has_space = filter.has_space.map(i64::from);
        let min_free = filter.min_free.map(i64::from);
        let box_type = filter.box_type.clone();
        let search = crate::starts_with(filter.search.as_deref());
        let (limit, offset) = (page.limit(), page.offset());
        // `boxes.occupied` is kept by triggers on `placements` (migration 0004); the filters
        // and the count use the same WHERE, so the total is the number of boxes that match.
        // The count reads the boxes alone: a freezer's boxes are its racks' (one index
        // lookup), not a join of every box with its rack.
        let total = {
            sqlx::query_scalar!(
            r#"SELECT COUNT(*) AS "n!: i64" FROM boxes b
               WHERE b.voided_at IS NULL AND (?1 IS NULL OR b.rack_id IN (SELECT id FROM racks WHERE freezer_id = ?1))
                 AND (?2 IS NULL OR b.rack_id = ?2)
                 AND (?4 IS NULL OR b.box_type = ?4) AND (?5 IS NULL OR b.name LIKE ?5 OR b.barcode LIKE ?5)
                 AND (?3 IS NULL OR (?3 = 1 AND (b.capacity IS NULL OR b.occupied < b.capacity))
                                 OR (?3 = 0 AND b.capacity IS NOT NULL AND b.occupied >= b.capacity))
                 AND (?6 IS NULL OR (b.rows IS NOT NULL AND b.capacity - b.occupied >= ?6))"#,
            freezer, rack, has_space, box_type, search, min_free
        )
        .fetch_one(&self.pool)
        .await?
        };
        // One statement per order, its ORDER BY written out, so each is served by its index
        // (migration 0017) and a page stops after its rows; a sort key chosen in SQL with
        // CASE made SQLite sort every matching box first.
        macro_rules! page_in_order {
            ($order:literal) => {
                sqlx::query_as!(
                    BoxRow,
                    r#"SELECT b.id AS "id!", b.name, b.barcode, b.box_type, b.rows, b.columns, b.capacity, b.rack_id, r.name AS rack,
                              r.freezer_id, f.name AS freezer, b.occupied, b.created_at
                       FROM boxes b JOIN racks r ON r.id = b.rack_id JOIN freezers f ON f.id = r.freezer_id
                       WHERE b.voided_at IS NULL AND (?1 IS NULL OR b.rack_id IN (SELECT id FROM racks WHERE freezer_id = ?1))
                         AND (?2 IS NULL OR b.rack_id = ?2)
                         AND (?4 IS NULL OR b.box_type = ?4) AND (?5 IS NULL OR b.name LIKE ?5 OR b.barcode LIKE ?5)
                         AND (?3 IS NULL OR (?3 = 1 AND (b.capacity IS NULL OR b.occupied < b.capacity))
                                         OR (?3 = 0 AND b.capacity IS NOT NULL AND b.occupied >= b.capacity))
                         AND (?8 IS NULL OR (b.rows IS NOT NULL AND b.capacity - b.occupied >= ?8))
                       ORDER BY "# + $order + " LIMIT ?6 OFFSET ?7",
                    freezer, rack, has_space, box_type, search, limit, offset, min_free
                )
                .fetch_all(&self.pool)
                .await?
            };
        }
        let rows = match (sort, order) {
            (BoxSort::Name, SortOrder::Asc) => page_in_order!("b.name, b.id"),
            (BoxSort::Name, SortOrder::Desc) => page_in_order!("b.name DESC, b.id DESC"),
            (BoxSort::Barcode, SortOrder::Asc) => page_in_order!("b.barcode, b.id"),
            (BoxSort::Barcode, SortOrder::Desc) => page_in_order!("b.barcode DESC, b.id DESC"),
            (BoxSort::Free, SortOrder::Asc) => {
                page_in_order!("COALESCE(b.capacity, 1000000) - b.occupied, b.id")
            }
            (BoxSort::Free, SortOrder::Desc) => {
                page_in_order!("COALESCE(b.capacity, 1000000) - b.occupied DESC, b.id DESC")
            }
            (BoxSort::CreatedAt, SortOrder::Asc) => page_in_order!("b.created_at, b.id"),
            (BoxSort::CreatedAt, SortOrder::Desc) => {
                page_in_order!("b.created_at DESC, b.id DESC")
            }
        };
        let items = rows
            .into_iter()
            .map(BoxRecord::try_from)
            .collect::<Result<_>>()?;
        Ok(Page::new(items, page, u64::try_from(total).unwrap_or(0)))
    }

    /// The page the placement screens ask for most: boxes with space, by name, in the lab or
    /// in one freezer. It reads the index of boxes with space (migration 0018) in order, so
    /// the full boxes that come first by name are never read; the space condition is a WHERE
    /// term of its own, as that index's WHERE is. A rack's few boxes go the general way: in
    /// this index they would be found only by reading past every other box with space.
    async fn boxes_with_space_by_name(
        &self,
        filter: &BoxFilter,
        page: aliquot_domain::paging::ValidPage,
    ) -> Result<Page<BoxRecord>> {
        let freezer = filter.freezer_id.map(|u| u.to_string());
        let min_free = filter.min_free.map(i64::from);
        let box_type = filter.box_type.clone();
        let search = crate::starts_with(filter.search.as_deref());
        let (limit, offset) = (page.limit(), page.offset());
        let total = sqlx::query_scalar!(
            r#"SELECT COUNT(*) AS "n!: i64" FROM boxes b INDEXED BY boxes_with_space_by_name
               WHERE b.voided_at IS NULL AND (b.capacity IS NULL OR b.occupied < b.capacity)
                 AND (?1 IS NULL OR b.rack_id IN (SELECT id FROM racks WHERE freezer_id = ?1))
                 AND (?2 IS NULL OR b.box_type = ?2) AND (?3 IS NULL OR b.name LIKE ?3 OR b.barcode LIKE ?3)
                 AND (?4 IS NULL OR (b.rows IS NOT NULL AND b.capacity - b.occupied >= ?4))"#,
            freezer,
            box_type,
            search,
            min_free
        )
        .fetch_one(&self.pool)
        .await?;
        let rows = sqlx::query_as!(
            BoxRow,
            r#"SELECT b.id AS "id!", b.name, b.barcode, b.box_type, b.rows, b.columns, b.capacity, b.rack_id, r.name AS rack,
                      r.freezer_id, f.name AS freezer, b.occupied, b.created_at
               FROM boxes b INDEXED BY boxes_with_space_by_name
                 JOIN racks r ON r.id = b.rack_id JOIN freezers f ON f.id = r.freezer_id
               WHERE b.voided_at IS NULL AND (b.capacity IS NULL OR b.occupied < b.capacity)
                 AND (?1 IS NULL OR b.rack_id IN (SELECT id FROM racks WHERE freezer_id = ?1))
                 AND (?2 IS NULL OR b.box_type = ?2) AND (?3 IS NULL OR b.name LIKE ?3 OR b.barcode LIKE ?3)
                 AND (?4 IS NULL OR (b.rows IS NOT NULL AND b.capacity - b.occupied >= ?4))
               ORDER BY b.name, b.id LIMIT ?5 OFFSET ?6"#,
            freezer,
            box_type,
            search,
            min_free,
            limit,
            offset
        )
        .fetch_all(&self.pool)
        .await?;
        let items = rows
            .into_iter()
            .map(BoxRecord::try_from)
            .collect::<Result<_>>()?;
        Ok(Page::new(items, page, u64::try_from(total).unwrap_or(0)))
    }

    pub async fn storage_box(&self, box_id: Uuid) -> Result<BoxRecord> {
        let id = box_id.to_string();
        self.box_where_id_or_barcode(&id)
            .await?
            .ok_or_else(|| DomainError::NotFound("box").into())
    }

    pub async fn box_by_barcode(&self, barcode: &str) -> Result<Option<BoxRecord>> {
        self.box_where_id_or_barcode(barcode).await
    }

    async fn box_where_id_or_barcode(&self, key: &str) -> Result<Option<BoxRecord>> {
        let row = sqlx::query_as!(
            BoxRow,
            r#"SELECT b.id AS "id!", b.name, b.barcode, b.box_type, b.rows, b.columns, b.capacity, b.rack_id, r.name AS rack,
                      r.freezer_id, f.name AS freezer, b.created_at,
                      b.occupied
               FROM boxes b JOIN racks r ON r.id = b.rack_id JOIN freezers f ON f.id = r.freezer_id
               WHERE (b.id = ?1 OR b.barcode = ?1) AND b.voided_at IS NULL"#,
            key
        )
        .fetch_optional(&self.pool)
        .await?;
        row.map(BoxRecord::try_from).transpose()
    }

    /// The boxes that hold any of these tubes now (for telling open box maps to refresh).
    pub async fn boxes_holding(&self, sample_ids: &[Uuid]) -> Result<Vec<Uuid>> {
        let ids =
            serde_json::to_string(sample_ids).map_err(|e| StoreError::Decode(e.to_string()))?;
        sqlx::query_scalar!(
            r#"SELECT DISTINCT box_id AS "box_id!" FROM placements
               WHERE sample_id IN (SELECT value FROM json_each(?1)) ORDER BY box_id"#,
            ids
        )
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|id| parse_uuid(id))
        .collect()
    }

    /// What is in a box, in reading order (bags: by code).
    pub async fn box_contents(&self, box_id: Uuid) -> Result<Vec<Well>> {
        let id = box_id.to_string();
        let rows = sqlx::query!(
            r#"SELECT pl.position, s.id AS "sample_id!", s.code, s.sample_type, s.status, p.code AS participant_code
               FROM placements pl JOIN samples s ON s.id = pl.sample_id JOIN participants p ON p.id = s.participant_id
               WHERE pl.box_id = ?1 ORDER BY pl.row_index, pl.column_index, s.code"#,
            id
        )
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|r| {
                Ok(Well {
                    position: r.position,
                    sample_id: parse_uuid(&r.sample_id)?,
                    code: r.code,
                    sample_type: r.sample_type,
                    status: crate::samples::parse_status(&r.status)?,
                    participant_code: r.participant_code,
                })
            })
            .collect()
    }

    /// The store's record of each code (those it knows), for a rack-scan comparison.
    pub async fn known_tubes(&self, box_id: Uuid, codes: &[String]) -> Result<Vec<KnownTube>> {
        let codes_json =
            serde_json::to_string(codes).map_err(|e| StoreError::Decode(e.to_string()))?;
        let this_box = box_id.to_string();
        let rows = sqlx::query!(
            r#"SELECT s.id AS "id!", s.code, pl.box_id AS "box_id?", b.name AS "box_name?", pl.position AS "position?"
               FROM samples s LEFT JOIN placements pl ON pl.sample_id = s.id LEFT JOIN boxes b ON b.id = pl.box_id
               WHERE s.code IN (SELECT value FROM json_each(?1))"#,
            codes_json
        )
        .fetch_all(&self.pool)
        .await?;
        let grid = self.box_grid(box_id).await?;
        rows.into_iter()
            .map(|r| {
                let position =
                    |p: Option<&str>| p.and_then(|p| grid.and_then(|g| g.parse_position(p).ok()));
                let location = match (r.box_id.as_deref(), r.box_name) {
                    (Some(b), _) if b == this_box => match position(r.position.as_deref()) {
                        Some(p) => KnownLocation::ThisBox(p),
                        None => KnownLocation::NotPlaced,
                    },
                    (Some(_), Some(name)) => KnownLocation::OtherBox {
                        box_name: name,
                        position: None,
                    },
                    _ => KnownLocation::NotPlaced,
                };
                Ok(KnownTube {
                    sample_id: parse_uuid(&r.id)?,
                    code: r.code,
                    location,
                })
            })
            .collect()
    }

    /// The tubes the store has in a grid box, as a rack-scan comparison expects them.
    pub async fn expected_tubes(&self, box_id: Uuid) -> Result<Vec<KnownTube>> {
        let grid = self.box_grid(box_id).await?.ok_or_else(|| {
            DomainError::Refused("a bag has no positions to compare a rack scan with".into())
        })?;
        let wells = self.box_contents(box_id).await?;
        Ok(wells
            .into_iter()
            .filter_map(|w| {
                let p = grid.parse_position(w.position.as_deref()?).ok()?;
                Some(KnownTube {
                    sample_id: w.sample_id,
                    code: w.code,
                    location: KnownLocation::ThisBox(p),
                })
            })
            .collect())
    }

    /// Every box's grid, for a rack-scan comparison: the box's layout by id.
    pub async fn box_grid(&self, box_id: Uuid) -> Result<Option<Grid>> {
        let mut conn = self.pool.acquire().await?;
        Ok(load_box(&mut conn, box_id).await?.layout.grid())
    }
}
