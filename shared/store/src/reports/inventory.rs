//! The inventory: every sample counted by status, by type (and type × status), by site with
//! its participants' consent, by field event and by freezer, each count made by SQL's
//! `GROUP BY`.

use super::parts::{chart, figure, left_out, status_label, table, TABLE_ROWS};
use super::Heading;
use crate::{Result, Store};
use aliquot_domain::sample::SampleStatus;
use aliquot_reports::{ChartKind, Column, ColumnKind, Report, Value};

impl Store {
    pub(crate) async fn inventory_report(&self, heading: Heading) -> Result<Report> {
        // Each tube has at most one placement (its key), so those not placed are the rest.
        let totals = sqlx::query!(
            r#"SELECT (SELECT COUNT(*) FROM samples) AS "samples!: i64",
                      (SELECT COUNT(*) FROM placements) AS "placed!: i64",
                      (SELECT COUNT(*) FROM samples) - (SELECT COUNT(*) FROM placements) AS "not_placed!: i64",
                      (SELECT COUNT(*) FROM samples WHERE parent_id IS NOT NULL) AS "aliquots!: i64""#
        )
        .fetch_one(&self.pool)
        .await?;
        let people = sqlx::query!(
            r#"SELECT COUNT(*) AS "participants!: i64",
                      COALESCE(SUM(consent = 'given'), 0) AS "given!: i64",
                      COALESCE(SUM(consent = 'withdrawn'), 0) AS "withdrawn!: i64"
               FROM participants"#
        )
        .fetch_one(&self.pool)
        .await?;
        // Tubes still held (neither used up nor disposed) of participants who withdrew.
        let held_withdrawn = sqlx::query_scalar!(
            r#"SELECT COUNT(*) AS "n!: i64" FROM samples s JOIN participants p ON p.id = s.participant_id
               WHERE p.consent = 'withdrawn' AND s.status NOT IN ('disposed', 'depleted')"#
        )
        .fetch_one(&self.pool)
        .await?;

        // Type × status in one pass over the samples, then summed each way.
        let tallies = sqlx::query!(
            r#"WITH g AS MATERIALIZED (
                   SELECT sample_type, status, COUNT(*) AS n FROM samples GROUP BY sample_type, status)
               SELECT 'cell' AS "part!: String", sample_type AS "code!: String", status AS "status!: String",
                      '' AS "label!: String", n AS "n!: i64"
               FROM g
               UNION ALL
               SELECT 'type', g.sample_type, '', COALESCE(t.label, g.sample_type), SUM(g.n)
               FROM g LEFT JOIN sample_types t ON t.code = g.sample_type GROUP BY g.sample_type
               UNION ALL
               SELECT 'status', '', status, '', SUM(n) FROM g GROUP BY status"#
        )
        .fetch_all(&self.pool)
        .await?;
        let by_status: Vec<_> = tallies.iter().filter(|t| t.part == "status").collect();
        let mut by_type: Vec<_> = tallies.iter().filter(|t| t.part == "type").collect();
        by_type.sort_by(|a, b| b.n.cmp(&a.n).then_with(|| a.code.cmp(&b.code)));
        let type_status: Vec<_> = tallies.iter().filter(|t| t.part == "cell").collect();
        let by_site = sqlx::query!(
            r#"SELECT si.code AS "code!", si.name AS "name!",
                      COALESCE(p.n, 0) AS "participants!: i64", COALESCE(p.given, 0) AS "given!: i64",
                      COALESCE(p.withdrawn, 0) AS "withdrawn!: i64", COALESCE(s.n, 0) AS "samples!: i64",
                      COALESCE(s.held_withdrawn, 0) AS "held_withdrawn!: i64"
               FROM sites si
               LEFT JOIN (SELECT site_id, COUNT(*) AS n, SUM(consent = 'given') AS given,
                                 SUM(consent = 'withdrawn') AS withdrawn
                          FROM participants GROUP BY site_id) p ON p.site_id = si.id
               LEFT JOIN (SELECT pp.site_id, COUNT(*) AS n,
                                 SUM(pp.consent = 'withdrawn' AND ss.status NOT IN ('disposed', 'depleted')) AS held_withdrawn
                          FROM samples ss JOIN participants pp ON pp.id = ss.participant_id
                          GROUP BY pp.site_id) s ON s.site_id = si.id
               WHERE si.voided_at IS NULL OR COALESCE(p.n, 0) > 0
               ORDER BY si.code"#
        )
        .fetch_all(&self.pool)
        .await?;
        let events_total = sqlx::query_scalar!(r#"SELECT COUNT(*) AS "n!: i64" FROM field_events"#)
            .fetch_one(&self.pool)
            .await?;
        let by_event = sqlx::query!(
            r#"SELECT e.name AS "name!", si.code AS "site!", e.event_date AS "date!",
                      COALESCE(g.n, 0) AS "samples!: i64"
               FROM field_events e JOIN sites si ON si.id = e.site_id
               LEFT JOIN (SELECT event_id, COUNT(*) AS n FROM samples
                          WHERE event_id IS NOT NULL GROUP BY event_id) g ON g.event_id = e.id
               ORDER BY e.event_date DESC, e.name LIMIT ?1"#,
            TABLE_ROWS
        )
        .fetch_all(&self.pool)
        .await?;
        let no_event = sqlx::query_scalar!(
            r#"SELECT COUNT(*) AS "n!: i64" FROM samples WHERE event_id IS NULL"#
        )
        .fetch_one(&self.pool)
        .await?;
        // Each box's own count of its tubes (`boxes.occupied`, kept by the placements'
        // triggers), summed per freezer: one row per box read, not one per tube.
        let by_freezer = sqlx::query!(
            r#"SELECT f.name AS "name!", f.location AS "location!", g.n AS "n!: i64"
               FROM (SELECT r.freezer_id, SUM(b.occupied) AS n FROM boxes b
                     JOIN racks r ON r.id = b.rack_id
                     GROUP BY r.freezer_id HAVING SUM(b.occupied) > 0) g
               JOIN freezers f ON f.id = g.freezer_id
               ORDER BY f.name, f.id"#
        )
        .fetch_all(&self.pool)
        .await?;

        let mut report = heading.report("Sample inventory", Vec::new());
        report.figures = vec![
            figure("Samples", totals.samples),
            figure("Aliquots among them", totals.aliquots),
            figure("In a box", totals.placed),
            figure("Not placed", totals.not_placed),
            figure("Participants", people.participants),
            figure("Consent given", people.given),
            figure("Consent withdrawn", people.withdrawn),
            figure("Samples held of participants who withdrew", held_withdrawn),
        ];
        if held_withdrawn > 0 {
            report.warnings.push(format!(
                "{held_withdrawn} samples still held belong to participants who withdrew their consent"
            ));
        }

        // Statuses in their life-cycle order, each once even at zero, so charts compare.
        let status_rows: Vec<(String, i64)> = SampleStatus::ALL
            .iter()
            .map(|s| {
                let n = by_status
                    .iter()
                    .find(|r| r.status == s.as_str())
                    .map_or(0, |r| r.n);
                (s.as_str().to_owned(), n)
            })
            .chain(
                by_status
                    .iter()
                    .filter(|r| SampleStatus::parse(&r.status).is_none())
                    .map(|r| (r.status.clone(), r.n)),
            )
            .collect();
        report.tables.push(table(
            "Samples by status",
            vec![
                Column::new("status", "Status", ColumnKind::Text),
                Column::new("samples", "Samples", ColumnKind::Integer),
            ],
            status_rows
                .iter()
                .map(|(s, n)| vec![Value::text(status_label(s)), Value::Integer(*n)])
                .collect(),
            0,
        ));
        report.charts.push(chart(
            "Samples by status",
            ChartKind::Bar,
            0,
            status_rows.iter().map(|(s, _)| status_label(s)).collect(),
            vec![("Samples", status_rows.iter().map(|(_, n)| *n).collect())],
        ));

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
            1,
            by_type.iter().map(|r| r.label.clone()).collect(),
            vec![("Samples", by_type.iter().map(|r| r.n).collect())],
        ));

        let mut columns = vec![Column::new("type", "Sample type", ColumnKind::Text)];
        columns.extend(
            status_rows
                .iter()
                .map(|(s, _)| Column::new(s, &status_label(s), ColumnKind::Integer)),
        );
        columns.push(Column::new("total", "Total", ColumnKind::Integer));
        let rows = by_type
            .iter()
            .map(|t| {
                let mut row = vec![Value::text(t.label.clone())];
                row.extend(status_rows.iter().map(|(s, _)| {
                    Value::Integer(
                        type_status
                            .iter()
                            .find(|c| c.code == t.code && c.status == *s)
                            .map_or(0, |c| c.n),
                    )
                }));
                row.push(Value::Integer(t.n));
                row
            })
            .collect();
        report
            .tables
            .push(table("Samples by type and status", columns, rows, 0));

        report.tables.push(table(
            "Samples and consent by site",
            vec![
                Column::new("site", "Site", ColumnKind::Text),
                Column::new("site_name", "Site name", ColumnKind::Text),
                Column::new("participants", "Participants", ColumnKind::Integer),
                Column::new("consent_given", "Consent given", ColumnKind::Integer),
                Column::new(
                    "consent_withdrawn",
                    "Consent withdrawn",
                    ColumnKind::Integer,
                ),
                Column::new("samples", "Samples", ColumnKind::Integer),
                Column::new(
                    "held_withdrawn",
                    "Samples held of participants who withdrew",
                    ColumnKind::Integer,
                ),
            ],
            by_site
                .iter()
                .map(|r| {
                    vec![
                        Value::text(r.code.clone()),
                        Value::text(r.name.clone()),
                        Value::Integer(r.participants),
                        Value::Integer(r.given),
                        Value::Integer(r.withdrawn),
                        Value::Integer(r.samples),
                        Value::Integer(r.held_withdrawn),
                    ]
                })
                .collect(),
            0,
        ));

        let mut rows: Vec<Vec<Value>> = by_event
            .iter()
            .map(|r| {
                vec![
                    Value::text(r.name.clone()),
                    Value::text(r.site.clone()),
                    Value::text(r.date.clone()),
                    Value::Integer(r.samples),
                ]
            })
            .collect();
        let shown = rows.len();
        rows.push(vec![
            Value::text("No field event"),
            Value::Empty,
            Value::Empty,
            Value::Integer(no_event),
        ]);
        report.tables.push(table(
            "Samples by field event",
            vec![
                Column::new("event", "Field event", ColumnKind::Text),
                Column::new("site", "Site", ColumnKind::Text),
                Column::new("date", "Date", ColumnKind::Text),
                Column::new("samples", "Samples", ColumnKind::Integer),
            ],
            rows,
            left_out(events_total, shown),
        ));

        let mut rows: Vec<Vec<Value>> = by_freezer
            .iter()
            .map(|r| {
                vec![
                    Value::text(r.name.clone()),
                    Value::text(r.location.clone()),
                    Value::Integer(r.n),
                ]
            })
            .collect();
        rows.push(vec![
            Value::text("Not placed"),
            Value::Empty,
            Value::Integer(totals.not_placed),
        ]);
        report.tables.push(table(
            "Samples by freezer",
            vec![
                Column::new("freezer", "Freezer", ColumnKind::Text),
                Column::new("location", "Location", ColumnKind::Text),
                Column::new("samples", "Samples", ColumnKind::Integer),
            ],
            rows,
            0,
        ));
        Ok(report)
    }
}
