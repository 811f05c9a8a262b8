//! The chain of custody of a sample and its aliquots: from collection to disposal, every
//! step with who, when and where, in order.
//!
//! The audit trail is its backbone: every command that touches a tube writes one audit row
//! named by the tube's code (`entity_type = 'sample'`), so the tube's whole story is the
//! rows with its code. Each row is joined, by the command that wrote it, to the histories
//! that say more than the row itself: the status change (`sample_status_history`) and the
//! placement (`placement_history`, with the freezer, rack, box and position it went from and
//! to). The collection itself comes first, from the sample record (the time and collector
//! written on the tube, which the registration may follow by hours).

use super::parts::{audit_json, figure, int};
use super::{parameter, Heading};
use crate::{parse_utc, Result, Store, StoreError};
use aliquot_domain::DomainError;
use aliquot_reports::{Column, ColumnKind, Report, Table, Value};
use serde_json::Value as Json;

/// One step of the story as the trail and histories give it.
struct Step {
    at: String,
    code: String,
    action: String,
    actor: String,
    device: Option<String>,
    seq: i64,
    old: Option<String>,
    new: Option<String>,
    reason: Option<String>,
    from_status: Option<String>,
    to_status: Option<String>,
    from_place: Option<String>,
    to_place: Option<String>,
}

impl Store {
    pub(crate) async fn custody_report(&self, heading: Heading, code: &str) -> Result<Report> {
        let code = code.trim();
        let sample = sqlx::query!(
            r#"SELECT s.id AS "id!", s.code AS "code!", s.sample_type, s.status, s.collected_at,
                      s.collector, s.time_out_seconds, s.checked_out_at,
                      p.code AS "participant!", p.consent, parent.code AS "parent?"
               FROM samples s JOIN participants p ON p.id = s.participant_id
               LEFT JOIN samples parent ON parent.id = s.parent_id
               WHERE s.code = ?1"#,
            code
        )
        .fetch_optional(&self.pool)
        .await?
        .ok_or(DomainError::NotFound("sample"))?;

        // The tube and every aliquot made from it, at any depth, each with its collection.
        let family = sqlx::query!(
            r#"WITH RECURSIVE family(id) AS (
                   SELECT ?1 UNION ALL SELECT s.id FROM samples s JOIN family f ON s.parent_id = f.id
               )
               SELECT s.id AS "id!", s.code AS "code!", s.collected_at, s.collector
               FROM samples s JOIN family f ON f.id = s.id ORDER BY s.created_at, s.code"#,
            sample.id
        )
        .fetch_all(&self.pool)
        .await?;
        let codes = serde_json::to_string(&family.iter().map(|f| &f.code).collect::<Vec<_>>())
            .map_err(|e| StoreError::Decode(e.to_string()))?;

        let steps = sqlx::query_as!(
            Step,
            r#"SELECT a.at AS "at!", a.entity_id AS "code!", a.action AS "action!",
                      a.actor_name AS "actor!", json_extract(a.context, '$.device_id') AS "device?: String",
                      a.seq AS "seq!", a.old_value AS "old?", a.new_value AS "new?", a.reason AS "reason?",
                      h.from_status AS "from_status?", h.to_status AS "to_status?",
                      (SELECT f.name || ' / ' || r.name || ' / ' || b.name || COALESCE(' ' || p.from_position, '')
                         FROM boxes b JOIN racks r ON r.id = b.rack_id JOIN freezers f ON f.id = r.freezer_id
                         WHERE b.id = p.from_box_id) AS "from_place?: String",
                      (SELECT f.name || ' / ' || r.name || ' / ' || b.name || COALESCE(' ' || p.to_position, '')
                         FROM boxes b JOIN racks r ON r.id = b.rack_id JOIN freezers f ON f.id = r.freezer_id
                         WHERE b.id = p.to_box_id) AS "to_place?: String"
               FROM audit_log a
               JOIN json_each(?1) codes ON a.entity_id = codes.value
               LEFT JOIN samples s ON s.code = a.entity_id
               LEFT JOIN sample_status_history h
                      ON h.sample_id = s.id AND h.command_id = json_extract(a.context, '$.command_id')
               LEFT JOIN placement_history p
                      ON p.sample_id = s.id AND p.command_id = json_extract(a.context, '$.command_id')
               WHERE a.entity_type = 'sample'
               ORDER BY a.at, a.seq"#,
            codes
        )
        .fetch_all(&self.pool)
        .await?;

        let results = sqlx::query_scalar!(
            r#"SELECT COUNT(*) AS "n!: i64" FROM results r
               JOIN json_each(?1) codes JOIN samples s ON s.code = codes.value AND r.sample_id = s.id"#,
            codes
        )
        .fetch_one(&self.pool)
        .await?;
        let place = sqlx::query_scalar!(
            r#"SELECT f.name || ' / ' || r.name || ' / ' || b.name || COALESCE(' ' || p.position, '') AS "at!: String"
               FROM placements p JOIN boxes b ON b.id = p.box_id JOIN racks r ON r.id = b.rack_id
               JOIN freezers f ON f.id = r.freezer_id WHERE p.sample_id = ?1"#,
            sample.id
        )
        .fetch_optional(&self.pool)
        .await?;

        let mut report = heading.report(
            "Chain of custody",
            vec![
                parameter("Sample", sample.code.clone()),
                parameter("Participant", sample.participant.clone()),
                parameter("Sample type", sample.sample_type.clone()),
                parameter(
                    "Aliquot of",
                    sample.parent.clone().unwrap_or_else(|| "—".into()),
                ),
            ],
        );
        let check_outs = steps
            .iter()
            .filter(|s| s.action == "check_out_samples" && s.code == sample.code)
            .count();
        report.figures = vec![
            figure("Status now", Value::text(words(&sample.status))),
            figure(
                "Where now",
                Value::text(place.unwrap_or_else(|| "not in storage".into())),
            ),
            figure("Collected", Value::Time(parse_utc(&sample.collected_at)?)),
            figure("Collected by", Value::text(sample.collector.clone())),
            figure("Aliquots made from it", int(family.len().saturating_sub(1))),
            figure("Times checked out", int(check_outs)),
            figure(
                "Time out of the freezer (minutes)",
                Value::Integer(sample.time_out_seconds / 60),
            ),
            figure("Results", Value::Integer(results)),
            figure("Steps recorded", int(steps.len())),
        ];

        let mut rows = Vec::with_capacity(family.len() + steps.len());
        // Collection first, per tube, from what the tube's record says.
        for f in &family {
            rows.push(vec![
                Value::Time(parse_utc(&f.collected_at)?),
                Value::text(f.code.clone()),
                Value::text("Collected"),
                Value::text("collected"),
                Value::Empty,
                Value::text(f.collector.clone()),
                Value::Empty,
                Value::text("as written on the tube's record"),
                Value::Empty,
            ]);
        }
        for s in &steps {
            rows.push(step_row(s)?);
        }
        // Collection times can be earlier than anything in the trail; keep the story in
        // time order, the trail's own order among equal times.
        rows.sort_by(|a, b| match (&a[0], &b[0]) {
            (Value::Time(x), Value::Time(y)) => x.cmp(y),
            _ => std::cmp::Ordering::Equal,
        });

        report.warnings = warnings(
            &sample.status,
            sample.checked_out_at.as_deref(),
            &steps,
            &sample.consent,
        )?;
        report.tables.push(Table {
            title: "Steps, in order".into(),
            columns: vec![
                Column::new("at", "When", ColumnKind::Time),
                Column::new("sample", "Sample", ColumnKind::Text),
                Column::new("step", "Step", ColumnKind::Text),
                Column::new("status", "Status", ColumnKind::Text),
                Column::new("location", "Where", ColumnKind::Text),
                Column::new("actor", "Who", ColumnKind::Text),
                Column::new("workstation", "Workstation", ColumnKind::Text),
                Column::new("details", "Details", ColumnKind::Text),
                Column::new("audit_seq", "Audit record", ColumnKind::Integer),
            ],
            rows,
            rows_left_out: 0,
        });
        Ok(report)
    }
}

/// A status as the lab says it.
fn words(status: &str) -> String {
    status.replace('_', " ")
}

fn step_row(s: &Step) -> Result<Vec<Value>> {
    let old = audit_json(s.old.as_deref())?;
    let new = audit_json(s.new.as_deref())?;
    let status = match (&s.from_status, &s.to_status) {
        (Some(from), Some(to)) => format!("{} → {}", words(from), words(to)),
        (None, Some(to)) => words(to),
        _ => String::new(),
    };
    let location = match (&s.from_place, &s.to_place) {
        (Some(from), Some(to)) => format!("{from} → {to}"),
        (None, Some(to)) => to.clone(),
        (Some(from), None) => format!("{from} → out of storage"),
        (None, None) => String::new(),
    };
    let (step, details) = describe(s, &old, &new);
    let details = match &s.reason {
        Some(reason) if !reason.is_empty() => {
            if details.is_empty() {
                format!("reason: {reason}")
            } else {
                format!("{details}; reason: {reason}")
            }
        }
        _ => details,
    };
    Ok(vec![
        Value::Time(parse_utc(&s.at)?),
        Value::text(s.code.clone()),
        Value::text(step),
        Value::text(status),
        Value::text(location),
        Value::text(s.actor.clone()),
        Value::opt_text(s.device.clone()),
        Value::text(details),
        Value::Integer(s.seq),
    ])
}

fn text_of(v: &Json, key: &str) -> String {
    match &v[key] {
        Json::String(s) => s.clone(),
        Json::Null => String::new(),
        other => other.to_string(),
    }
}

/// The step in the lab's words, and what the audit row adds to the histories.
fn describe(s: &Step, old: &Json, new: &Json) -> (String, String) {
    let step = |w: &str| w.to_owned();
    match s.action.as_str() {
        "register_kit" => (
            step("Registered"),
            format!(
                "{} for participant {}",
                text_of(new, "type"),
                text_of(new, "participant")
            ),
        ),
        "transition_sample" => (
            match s.to_status.as_deref().or_else(|| new["status"].as_str()) {
                Some("in_transit") => step("Sent (in transit)"),
                Some("received") => step("Received"),
                Some("processing") => step("Processing"),
                Some("depleted") => step("Used up"),
                Some("disposed") => step("Disposed"),
                Some(other) => format!("Status set to {}", words(other)),
                None => step("Status changed"),
            },
            String::new(),
        ),
        "receive_samples" => (step("Received"), String::new()),
        "place_samples" => (
            if old["location"].is_object() {
                step("Moved")
            } else {
                step("Placed")
            },
            if new["received"] == Json::Bool(true) {
                "received and placed".into()
            } else {
                String::new()
            },
        ),
        "unplace_sample" => (step("Taken out of storage"), String::new()),
        "check_out_samples" => (step("Checked out"), String::new()),
        "check_in_samples" => (
            step("Checked in"),
            match new["time_out_seconds"].as_i64() {
                Some(total) => format!("out of the freezer {} min in all", total / 60),
                None => String::new(),
            },
        ),
        "create_aliquots" => {
            if new["aliquot_of"].is_string() {
                (
                    step("Aliquoted from parent"),
                    format!(
                        "from {}, {} µl",
                        text_of(new, "aliquot_of"),
                        text_of(new, "volume_ul")
                    ),
                )
            } else {
                let made = new["aliquots"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .map(|x| text_of(x, "code"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    })
                    .unwrap_or_default();
                (
                    step("Aliquots made"),
                    format!("{made}; {} µl left", text_of(new, "volume_ul")),
                )
            }
        }
        "fill_well" => (
            step("Put on a plate"),
            format!(
                "run {}, plate {}, well {}",
                text_of(new, "run"),
                text_of(new, "plate"),
                text_of(new, "well")
            ),
        ),
        "clear_well" => (
            step("Taken off a plate"),
            format!(
                "run {}, plate {}, well {}",
                text_of(old, "run"),
                text_of(old, "plate"),
                text_of(old, "well")
            ),
        ),
        "import_results" => {
            let values = new["results"]
                .as_array()
                .map(|vs| {
                    vs.iter()
                        .map(|v| {
                            let value = match &v["value"] {
                                Json::Object(o) => o
                                    .get("value")
                                    .or_else(|| o.get("limit"))
                                    .map(|n| n.to_string())
                                    .or_else(|| o.get("flag").map(|f| f.to_string()))
                                    .unwrap_or_default(),
                                other => other.to_string(),
                            };
                            format!("{} {} {}", text_of(v, "read"), value, text_of(v, "unit"))
                                .trim()
                                .to_owned()
                        })
                        .collect::<Vec<_>>()
                        .join("; ")
                })
                .unwrap_or_default();
            (
                step("Result"),
                format!(
                    "run {} ({}): {values}",
                    text_of(new, "run"),
                    words(&text_of(new, "state"))
                ),
            )
        }
        "decide_run" => (
            step("Run decided"),
            format!(
                "run {}: results {}",
                text_of(new, "run"),
                text_of(new, "results")
            ),
        ),
        "import_result_set" => (
            step("Result set"),
            format!(
                "{}: {} values",
                text_of(new, "name"),
                text_of(new, "values")
            ),
        ),
        "request_discard" => (step("Discard requested"), String::new()),
        "decide_discard" => (
            match new["discard"].as_str() {
                Some("approved") => step("Discard approved"),
                Some("rejected") => step("Discard rejected"),
                _ => step("Discard decided"),
            },
            String::new(),
        ),
        other => (words(other), String::new()),
    }
}

/// What the reader must not miss: a tube past receipt with no receipt recorded, a tube out
/// of the freezer now, consent withdrawn.
fn warnings(
    status: &str,
    checked_out_at: Option<&str>,
    steps: &[Step],
    consent: &str,
) -> Result<Vec<String>> {
    let mut out = Vec::new();
    let past_receipt = !matches!(status, "collected" | "in_transit");
    let received = steps.iter().any(|s| {
        s.to_status.as_deref() == Some("received")
            || s.action == "receive_samples"
            || (s.action == "place_samples"
                && s.new
                    .as_deref()
                    .is_some_and(|n| n.contains("\"received\":true")))
    });
    if past_receipt && !received && !steps.iter().any(|s| s.action == "create_aliquots") {
        out.push("No receipt at the lab is recorded for this tube.".to_owned());
    }
    if let Some(since) = checked_out_at {
        let since = parse_utc(since)?;
        out.push(format!(
            "The tube is checked out of the freezer since {} UTC.",
            since.format("%Y-%m-%d %H:%M")
        ));
    }
    if consent == "withdrawn" {
        out.push("The participant has withdrawn consent.".to_owned());
    }
    Ok(out)
}
