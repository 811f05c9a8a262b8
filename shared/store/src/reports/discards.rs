//! Discards over a period: the requests made in it (who asked, why, what was decided), the
//! decisions made in it, the tubes disposed in it (status changes to `disposed` in the
//! status history, whatever path took them there), and the requests still waiting a
//! decision for more than a week when the report is made.

use super::parts::{chart, figure, left_out, opt_time, status_label, table, time, TABLE_ROWS};
use super::{parameter, Heading};
use crate::{format_utc, Result, Store};
use aliquot_domain::reports::Period;
use aliquot_reports::{ChartKind, Column, ColumnKind, Report, Value};

/// A request waiting longer than this is named in a warning.
pub(crate) const PENDING_TOO_LONG: chrono::Duration = chrono::Duration::days(7);

/// The decision states in the order a reader expects them.
const STATES: [(&str, &str); 3] = [
    ("pending", "Waiting for a decision"),
    ("approved", "Approved"),
    ("rejected", "Rejected"),
];

fn state_label(state: &str) -> String {
    STATES
        .iter()
        .find(|(s, _)| *s == state)
        .map_or(state, |(_, label)| label)
        .to_owned()
}

impl Store {
    pub(crate) async fn discard_report(&self, heading: Heading, period: Period) -> Result<Report> {
        let (from, to) = (format_utc(period.from), format_utc(period.to));
        let stale_before = format_utc(heading.made_at - PENDING_TOO_LONG);

        let requested = sqlx::query!(
            r#"SELECT state AS "state!", COUNT(*) AS "n!: i64" FROM discard_requests
               WHERE requested_at >= ?1 AND requested_at < ?2 GROUP BY state"#,
            from,
            to
        )
        .fetch_all(&self.pool)
        .await?;
        let requests = sqlx::query!(
            r#"SELECT d.requested_at AS "requested_at!", s.code AS "code!",
                      COALESCE(t.label, s.sample_type) AS "sample_type!: String",
                      ru.display_name || ' (' || ru.username || ')' AS "requested_by?: String",
                      d.reason AS "reason!", d.state AS "state!",
                      du.display_name || ' (' || du.username || ')' AS "decided_by?: String",
                      d.decided_at AS "decided_at?", d.decision_note AS "note?"
               FROM discard_requests d JOIN samples s ON s.id = d.sample_id
               LEFT JOIN sample_types t ON t.code = s.sample_type
               LEFT JOIN users ru ON ru.id = d.requested_by
               LEFT JOIN users du ON du.id = d.decided_by
               WHERE d.requested_at >= ?1 AND d.requested_at < ?2
               ORDER BY d.requested_at, d.id LIMIT ?3"#,
            from,
            to,
            TABLE_ROWS
        )
        .fetch_all(&self.pool)
        .await?;

        let decided = sqlx::query!(
            r#"SELECT state AS "state!", COUNT(*) AS "n!: i64" FROM discard_requests
               WHERE decided_at >= ?1 AND decided_at < ?2 GROUP BY state"#,
            from,
            to
        )
        .fetch_all(&self.pool)
        .await?;
        let decisions = sqlx::query!(
            r#"SELECT d.decided_at AS "decided_at!", s.code AS "code!",
                      COALESCE(t.label, s.sample_type) AS "sample_type!: String",
                      d.state AS "state!", du.display_name || ' (' || du.username || ')' AS "decided_by?: String",
                      d.decision_note AS "note?", d.requested_at AS "requested_at!",
                      ru.display_name || ' (' || ru.username || ')' AS "requested_by?: String"
               FROM discard_requests d JOIN samples s ON s.id = d.sample_id
               LEFT JOIN sample_types t ON t.code = s.sample_type
               LEFT JOIN users ru ON ru.id = d.requested_by
               LEFT JOIN users du ON du.id = d.decided_by
               WHERE d.decided_at >= ?1 AND d.decided_at < ?2
               ORDER BY d.decided_at, d.id LIMIT ?3"#,
            from,
            to,
            TABLE_ROWS
        )
        .fetch_all(&self.pool)
        .await?;

        let disposed_by_type = sqlx::query!(
            r#"SELECT COALESCE(t.label, g.sample_type) AS "sample_type!: String", g.n AS "n!: i64"
               FROM (SELECT s.sample_type, COUNT(*) AS n FROM sample_status_history h
                     JOIN samples s ON s.id = h.sample_id
                     WHERE h.to_status = 'disposed' AND h.at >= ?1 AND h.at < ?2
                     GROUP BY s.sample_type) g
               LEFT JOIN sample_types t ON t.code = g.sample_type
               ORDER BY g.n DESC, g.sample_type"#,
            from,
            to
        )
        .fetch_all(&self.pool)
        .await?;
        let disposals = sqlx::query!(
            r#"SELECT h.at AS "at!", s.code AS "code!", COALESCE(t.label, s.sample_type) AS "sample_type!: String",
                      h.from_status AS "from_status?", h.via AS "via!",
                      u.display_name || ' (' || u.username || ')' AS "by?: String", h.reason AS "reason?"
               FROM sample_status_history h JOIN samples s ON s.id = h.sample_id
               LEFT JOIN sample_types t ON t.code = s.sample_type
               LEFT JOIN users u ON u.id = h.actor_id
               WHERE h.to_status = 'disposed' AND h.at >= ?1 AND h.at < ?2
               ORDER BY h.at, h.seq LIMIT ?3"#,
            from,
            to,
            TABLE_ROWS
        )
        .fetch_all(&self.pool)
        .await?;

        let stale_total = sqlx::query_scalar!(
            r#"SELECT COUNT(*) AS "n!: i64" FROM discard_requests
               WHERE state = 'pending' AND requested_at < ?1"#,
            stale_before
        )
        .fetch_one(&self.pool)
        .await?;
        let stale = sqlx::query!(
            r#"SELECT d.requested_at AS "requested_at!", s.code AS "code!",
                      ru.display_name || ' (' || ru.username || ')' AS "requested_by?: String",
                      d.reason AS "reason!"
               FROM discard_requests d JOIN samples s ON s.id = d.sample_id
               LEFT JOIN users ru ON ru.id = d.requested_by
               WHERE d.state = 'pending' AND d.requested_at < ?1
               ORDER BY d.requested_at, d.id LIMIT ?2"#,
            stale_before,
            TABLE_ROWS
        )
        .fetch_all(&self.pool)
        .await?;

        let mut report = heading.report(
            "Discards",
            vec![
                parameter("From", format_utc(period.from)),
                parameter("To (not included)", format_utc(period.to)),
            ],
        );
        let count_of = |groups: &[(String, i64)], state: &str| {
            groups
                .iter()
                .find(|(s, _)| s == state)
                .map_or(0, |(_, n)| *n)
        };
        let requested: Vec<(String, i64)> = requested.into_iter().map(|r| (r.state, r.n)).collect();
        let decided: Vec<(String, i64)> = decided.into_iter().map(|r| (r.state, r.n)).collect();
        let requested_total: i64 = requested.iter().map(|(_, n)| n).sum();
        let decided_total: i64 = decided.iter().map(|(_, n)| n).sum();
        let disposed_total: i64 = disposed_by_type.iter().map(|r| r.n).sum();
        report.figures = vec![
            figure("Discard requests made", requested_total),
            figure(
                "of them still waiting for a decision",
                count_of(&requested, "pending"),
            ),
            figure("of them approved", count_of(&requested, "approved")),
            figure("of them rejected", count_of(&requested, "rejected")),
            figure("Decisions made", decided_total),
            figure("Approved", count_of(&decided, "approved")),
            figure("Rejected", count_of(&decided, "rejected")),
            figure("Samples disposed", disposed_total),
            figure("Requests waiting more than 7 days", stale_total),
        ];
        if stale_total > 0 {
            report.warnings.push(format!(
                "{stale_total} discard requests have waited more than 7 days for a decision"
            ));
        }

        // Table 0 and its chart: the period's requests by state.
        let by_state: Vec<(String, i64)> = STATES
            .iter()
            .map(|(s, label)| ((*label).to_owned(), count_of(&requested, s)))
            .chain(
                requested
                    .iter()
                    .filter(|(s, _)| STATES.iter().all(|(k, _)| k != s))
                    .map(|(s, n)| (s.clone(), *n)),
            )
            .collect();
        report.tables.push(table(
            "Requests made in the period, by state now",
            vec![
                Column::new("state", "State", ColumnKind::Text),
                Column::new("requests", "Requests", ColumnKind::Integer),
            ],
            by_state
                .iter()
                .map(|(s, n)| vec![Value::text(s.clone()), Value::Integer(*n)])
                .collect(),
            0,
        ));
        report.charts.push(chart(
            "Requests made in the period, by state now",
            ChartKind::Bar,
            0,
            by_state.iter().map(|(s, _)| s.clone()).collect(),
            vec![("Requests", by_state.iter().map(|(_, n)| *n).collect())],
        ));

        let mut rows = Vec::with_capacity(requests.len());
        for r in &requests {
            rows.push(vec![
                time(&r.requested_at)?,
                Value::text(r.code.clone()),
                Value::text(r.sample_type.clone()),
                Value::opt_text(r.requested_by.clone()),
                Value::text(r.reason.clone()),
                Value::text(state_label(&r.state)),
                Value::opt_text(r.decided_by.clone()),
                opt_time(r.decided_at.as_deref())?,
                Value::opt_text(r.note.clone()),
            ]);
        }
        report.tables.push(table(
            "Requests made in the period",
            vec![
                Column::new("requested_at", "Requested", ColumnKind::Time),
                Column::new("sample", "Sample", ColumnKind::Text),
                Column::new("sample_type", "Sample type", ColumnKind::Text),
                Column::new("requested_by", "Requested by", ColumnKind::Text),
                Column::new("reason", "Reason", ColumnKind::Text),
                Column::new("state", "State", ColumnKind::Text),
                Column::new("decided_by", "Decided by", ColumnKind::Text),
                Column::new("decided_at", "Decided", ColumnKind::Time),
                Column::new("note", "Decision note", ColumnKind::Text),
            ],
            rows,
            left_out(requested_total, requests.len()),
        ));

        let mut rows = Vec::with_capacity(decisions.len());
        for r in &decisions {
            rows.push(vec![
                time(&r.decided_at)?,
                Value::text(r.code.clone()),
                Value::text(r.sample_type.clone()),
                Value::text(state_label(&r.state)),
                Value::opt_text(r.decided_by.clone()),
                Value::opt_text(r.note.clone()),
                time(&r.requested_at)?,
                Value::opt_text(r.requested_by.clone()),
            ]);
        }
        report.tables.push(table(
            "Decisions made in the period",
            vec![
                Column::new("decided_at", "Decided", ColumnKind::Time),
                Column::new("sample", "Sample", ColumnKind::Text),
                Column::new("sample_type", "Sample type", ColumnKind::Text),
                Column::new("decision", "Decision", ColumnKind::Text),
                Column::new("decided_by", "Decided by", ColumnKind::Text),
                Column::new("note", "Decision note", ColumnKind::Text),
                Column::new("requested_at", "Requested", ColumnKind::Time),
                Column::new("requested_by", "Requested by", ColumnKind::Text),
            ],
            rows,
            left_out(decided_total, decisions.len()),
        ));

        report.tables.push(table(
            "Samples disposed, by type",
            vec![
                Column::new("sample_type", "Sample type", ColumnKind::Text),
                Column::new("disposed", "Disposed", ColumnKind::Integer),
            ],
            disposed_by_type
                .iter()
                .map(|r| vec![Value::text(r.sample_type.clone()), Value::Integer(r.n)])
                .collect(),
            0,
        ));
        let mut rows = Vec::with_capacity(disposals.len());
        for d in &disposals {
            rows.push(vec![
                time(&d.at)?,
                Value::text(d.code.clone()),
                Value::text(d.sample_type.clone()),
                Value::opt_text(d.from_status.as_deref().map(status_label)),
                Value::text(d.via.replace('_', " ")),
                Value::opt_text(d.by.clone()),
                Value::opt_text(d.reason.clone()),
            ]);
        }
        report.tables.push(table(
            "Samples disposed",
            vec![
                Column::new("at", "Disposed", ColumnKind::Time),
                Column::new("sample", "Sample", ColumnKind::Text),
                Column::new("sample_type", "Sample type", ColumnKind::Text),
                Column::new("from_status", "Status before", ColumnKind::Text),
                Column::new("via", "How", ColumnKind::Text),
                Column::new("by", "By", ColumnKind::Text),
                Column::new("reason", "Reason", ColumnKind::Text),
            ],
            rows,
            left_out(disposed_total, disposals.len()),
        ));

        let mut rows = Vec::with_capacity(stale.len());
        for s in &stale {
            rows.push(vec![
                time(&s.requested_at)?,
                Value::text(s.code.clone()),
                Value::opt_text(s.requested_by.clone()),
                Value::text(s.reason.clone()),
            ]);
        }
        report.tables.push(table(
            "Requests waiting more than 7 days (any period)",
            vec![
                Column::new("requested_at", "Requested", ColumnKind::Time),
                Column::new("sample", "Sample", ColumnKind::Text),
                Column::new("requested_by", "Requested by", ColumnKind::Text),
                Column::new("reason", "Reason", ColumnKind::Text),
            ],
            rows,
            left_out(stale_total, stale.len()),
        ));
        Ok(report)
    }
}
