//! A field event's collection summary: the event (name, site, date, coordinator), who was
//! checked in, the samples collected at it (kit tubes registered to the event; aliquots
//! made later from them are the lab's, not the event's) by type and by status, the
//! participants checked in who gave no sample, and the collectors.

use super::parts::{chart, figure, left_out, status_label, table, TABLE_ROWS};
use super::{parameter, Heading};
use crate::{parse_utc, Result, Store};
use aliquot_domain::sample::SampleStatus;
use aliquot_domain::DomainError;
use aliquot_reports::{ChartKind, Column, ColumnKind, Report, Value};
use uuid::Uuid;

impl Store {
    pub(crate) async fn field_event_report(
        &self,
        heading: Heading,
        event_id: Uuid,
    ) -> Result<Report> {
        let id = event_id.to_string();
        let event = sqlx::query!(
            r#"SELECT e.name AS "name!", e.event_date AS "date!", si.code AS "site_code!",
                      si.name AS "site_name!",
                      u.display_name || ' (' || u.username || ')' AS "coordinator?: String"
               FROM field_events e JOIN sites si ON si.id = e.site_id
               LEFT JOIN users u ON u.id = e.coordinator_id
               WHERE e.id = ?1"#,
            id
        )
        .fetch_optional(&self.pool)
        .await?
        .ok_or(DomainError::NotFound("field event"))?;

        let totals = sqlx::query!(
            r#"SELECT (SELECT COUNT(*) FROM event_check_ins WHERE event_id = ?1) AS "checked_in!: i64",
                      (SELECT COUNT(*) FROM samples WHERE event_id = ?1) AS "samples!: i64",
                      (SELECT COUNT(DISTINCT participant_id) FROM samples WHERE event_id = ?1) AS "donors!: i64",
                      (SELECT COUNT(DISTINCT registration_id) FROM samples WHERE event_id = ?1) AS "kits!: i64",
                      (SELECT COUNT(*) FROM event_check_ins c
                         LEFT JOIN (SELECT DISTINCT participant_id FROM samples WHERE event_id = ?1) g
                                ON g.participant_id = c.participant_id
                       WHERE c.event_id = ?1 AND g.participant_id IS NULL) AS "no_sample!: i64",
                      (SELECT COUNT(DISTINCT collector) FROM samples WHERE event_id = ?1) AS "collectors!: i64""#,
            id
        )
        .fetch_one(&self.pool)
        .await?;

        let by_type = sqlx::query!(
            r#"SELECT COALESCE(t.label, g.sample_type) AS "label!: String", g.n AS "n!: i64"
               FROM (SELECT sample_type, COUNT(*) AS n FROM samples WHERE event_id = ?1
                     GROUP BY sample_type) g
               LEFT JOIN sample_types t ON t.code = g.sample_type
               ORDER BY g.n DESC, g.sample_type"#,
            id
        )
        .fetch_all(&self.pool)
        .await?;
        let by_status = sqlx::query!(
            r#"SELECT status AS "status!", COUNT(*) AS "n!: i64" FROM samples WHERE event_id = ?1
               GROUP BY status"#,
            id
        )
        .fetch_all(&self.pool)
        .await?;
        let check_ins = sqlx::query!(
            r#"SELECT p.code AS "participant!", p.consent AS "consent!", c.checked_in_at AS "at!",
                      u.display_name || ' (' || u.username || ')' AS "by?: String",
                      COALESCE(g.n, 0) AS "samples!: i64"
               FROM event_check_ins c JOIN participants p ON p.id = c.participant_id
               LEFT JOIN users u ON u.id = c.checked_in_by
               LEFT JOIN (SELECT participant_id, COUNT(*) AS n FROM samples WHERE event_id = ?1
                          GROUP BY participant_id) g ON g.participant_id = c.participant_id
               WHERE c.event_id = ?1
               ORDER BY c.checked_in_at, p.code LIMIT ?2"#,
            id,
            TABLE_ROWS
        )
        .fetch_all(&self.pool)
        .await?;
        let no_sample = sqlx::query!(
            r#"SELECT p.code AS "participant!", c.checked_in_at AS "at!",
                      u.display_name || ' (' || u.username || ')' AS "by?: String"
               FROM event_check_ins c JOIN participants p ON p.id = c.participant_id
               LEFT JOIN users u ON u.id = c.checked_in_by
               LEFT JOIN (SELECT DISTINCT participant_id FROM samples WHERE event_id = ?1) g
                      ON g.participant_id = c.participant_id
               WHERE c.event_id = ?1 AND g.participant_id IS NULL
               ORDER BY c.checked_in_at, p.code LIMIT ?2"#,
            id,
            TABLE_ROWS
        )
        .fetch_all(&self.pool)
        .await?;
        let collectors = sqlx::query!(
            r#"SELECT collector AS "collector!", COUNT(DISTINCT registration_id) AS "kits!: i64",
                      COUNT(DISTINCT participant_id) AS "participants!: i64", COUNT(*) AS "samples!: i64",
                      MIN(collected_at) AS "first!: String", MAX(collected_at) AS "last!: String"
               FROM samples WHERE event_id = ?1
               GROUP BY collector ORDER BY COUNT(*) DESC, collector LIMIT ?2"#,
            id,
            TABLE_ROWS
        )
        .fetch_all(&self.pool)
        .await?;

        let mut report = heading.report(
            "Field event collection summary",
            vec![
                parameter("Field event", event.name.clone()),
                parameter("Site", format!("{} ({})", event.site_name, event.site_code)),
                parameter("Date", event.date.clone()),
            ],
        );
        report.figures = vec![
            figure("Field event", Value::text(event.name.clone())),
            figure("Site", Value::text(event.site_name.clone())),
            figure("Date", Value::text(event.date.clone())),
            figure("Coordinator", Value::opt_text(event.coordinator.clone())),
            figure("Participants checked in", totals.checked_in),
            figure("Participants who gave samples", totals.donors),
            figure("Checked in, no sample", totals.no_sample),
            figure("Kits registered", totals.kits),
            figure("Samples collected", totals.samples),
            figure("Collectors", totals.collectors),
        ];
        if totals.no_sample > 0 {
            report.warnings.push(format!(
                "{} participants were checked in but no sample of theirs is registered to this event",
                totals.no_sample
            ));
        }

        // Table 0 and its chart: samples by type.
        report.tables.push(table(
            "Samples by type",
            vec![
                Column::new("type", "Sample type", ColumnKind::Text),
                Column::new("samples", "Samples", ColumnKind::Integer),
            ],
            by_type
                .iter()
                .map(|r| vec![Value::text(r.label.clone()), Value::Integer(r.n)])
                .collect(),
            0,
        ));
        report.charts.push(chart(
            "Samples by type",
            ChartKind::Bar,
            0,
            by_type.iter().map(|r| r.label.clone()).collect(),
            vec![("Samples", by_type.iter().map(|r| r.n).collect())],
        ));

        // Table 1: by status, in life-cycle order, only the statuses present.
        let mut statuses: Vec<(usize, String, i64)> = by_status
            .iter()
            .map(|r| {
                let order = SampleStatus::ALL
                    .iter()
                    .position(|s| s.as_str() == r.status)
                    .unwrap_or(usize::MAX);
                (order, r.status.clone(), r.n)
            })
            .collect();
        statuses.sort();
        report.tables.push(table(
            "Samples by status now",
            vec![
                Column::new("status", "Status", ColumnKind::Text),
                Column::new("samples", "Samples", ColumnKind::Integer),
            ],
            statuses
                .iter()
                .map(|(_, s, n)| vec![Value::text(status_label(s)), Value::Integer(*n)])
                .collect(),
            0,
        ));

        let mut rows = Vec::with_capacity(check_ins.len());
        for c in &check_ins {
            rows.push(vec![
                Value::text(c.participant.clone()),
                Value::Time(parse_utc(&c.at)?),
                Value::opt_text(c.by.clone()),
                Value::text(if c.consent == "withdrawn" {
                    "Withdrawn"
                } else {
                    "Given"
                }),
                Value::Integer(c.samples),
            ]);
        }
        report.tables.push(table(
            "Check-ins",
            vec![
                Column::new("participant", "Participant", ColumnKind::Text),
                Column::new("checked_in_at", "Checked in", ColumnKind::Time),
                Column::new("checked_in_by", "Checked in by", ColumnKind::Text),
                Column::new("consent", "Consent now", ColumnKind::Text),
                Column::new("samples", "Samples", ColumnKind::Integer),
            ],
            rows,
            left_out(totals.checked_in, check_ins.len()),
        ));

        let mut rows = Vec::with_capacity(no_sample.len());
        for c in &no_sample {
            rows.push(vec![
                Value::text(c.participant.clone()),
                Value::Time(parse_utc(&c.at)?),
                Value::opt_text(c.by.clone()),
            ]);
        }
        report.tables.push(table(
            "Checked in, no sample",
            vec![
                Column::new("participant", "Participant", ColumnKind::Text),
                Column::new("checked_in_at", "Checked in", ColumnKind::Time),
                Column::new("checked_in_by", "Checked in by", ColumnKind::Text),
            ],
            rows,
            left_out(totals.no_sample, no_sample.len()),
        ));

        let mut rows = Vec::with_capacity(collectors.len());
        for c in &collectors {
            rows.push(vec![
                Value::text(c.collector.clone()),
                Value::Integer(c.kits),
                Value::Integer(c.participants),
                Value::Integer(c.samples),
                Value::Time(parse_utc(&c.first)?),
                Value::Time(parse_utc(&c.last)?),
            ]);
        }
        report.tables.push(table(
            "Collectors",
            vec![
                Column::new("collector", "Collector", ColumnKind::Text),
                Column::new("kits", "Kits", ColumnKind::Integer),
                Column::new("participants", "Participants", ColumnKind::Integer),
                Column::new("samples", "Samples", ColumnKind::Integer),
                Column::new("first", "First collection", ColumnKind::Time),
                Column::new("last", "Last collection", ColumnKind::Time),
            ],
            rows,
            left_out(totals.collectors, collectors.len()),
        ));
        Ok(report)
    }
}
