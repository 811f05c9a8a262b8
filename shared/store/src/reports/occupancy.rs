//! Storage occupancy: used and free positions per freezer and per rack (or, for one freezer,
//! per rack and per box), the boxes with space, the free positions of grid boxes, and the
//! boxes worth merging.
//!
//! Every count comes from the box's own occupancy counter (`boxes.occupied`, kept by
//! triggers on `placements`, migration 0004) summed with `GROUP BY`, so the report reads
//! one row per box and never counts tubes. Voided freezers, racks and boxes are left out.
//! A grid box has `rows × columns` positions; a bag counts by its limit; a bag without a
//! limit adds no positions, and its tubes are shown apart ("in bags without a limit").
//! A position held for a checked-out tube is used: the tube comes back to it.

use super::parts::{chart, figure, int, left_out, table, TABLE_ROWS};
use super::{parameter, Heading};
use crate::{Result, Store, StoreError};
use aliquot_domain::storage::{Grid, Position};
use aliquot_domain::DomainError;
use aliquot_reports::{ChartKind, Column, ColumnKind, Report, Value};
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

/// How many boxes with space have their free positions named (the rest are counted).
pub(crate) const EMPTY_POSITION_BOXES: i64 = 500;

/// A box is a candidate for merging when it holds at least one tube and is under this
/// share full (strictly): two such boxes always fit into one.
const SPARSE_NUMERATOR: i64 = 1;
const SPARSE_DENOMINATOR: i64 = 2;

/// Occupancy of one freezer, rack or box, as SQL summed it.
struct Use {
    positions: i64,
    used: i64,
    free: i64,
    unlimited: i64,
}

impl Use {
    fn percent(&self) -> Value {
        if self.positions == 0 {
            return Value::Empty;
        }
        // One decimal, as people read a fill level.
        Value::Decimal((self.used as f64 * 1000.0 / self.positions as f64).round() / 10.0)
    }

    fn cells(&self) -> [Value; 5] {
        [
            Value::Integer(self.positions),
            Value::Integer(self.used),
            Value::Integer(self.free),
            self.percent(),
            Value::Integer(self.unlimited),
        ]
    }
}

fn use_columns() -> [Column; 5] {
    [
        Column::new("positions", "Positions", ColumnKind::Integer),
        Column::new("used", "Used", ColumnKind::Integer),
        Column::new("free", "Free", ColumnKind::Integer),
        Column::new("percent_used", "% used", ColumnKind::Decimal),
        Column::new(
            "in_unlimited_bags",
            "Tubes in bags without a limit",
            ColumnKind::Integer,
        ),
    ]
}

fn grid_of(rows: i64, columns: i64) -> Result<Grid> {
    let rows = u8::try_from(rows).map_err(|_| StoreError::Decode(format!("box rows {rows}")))?;
    let columns =
        u8::try_from(columns).map_err(|_| StoreError::Decode(format!("box columns {columns}")))?;
    Ok(Grid { rows, columns })
}

impl Store {
    /// The occupancy of every freezer (`None`) or of one freezer's racks and boxes.
    ///
    /// **Defragmentation** lists, per freezer, the grid boxes of the same box type and grid
    /// that each hold at least one tube and are less than half full, where there are two
    /// or more of them: their tubes fit together into `ceil(tubes / positions)` boxes, so
    /// moving them frees the rest. Bags are not merged (their tubes have no positions).
    pub(crate) async fn occupancy_report(
        &self,
        heading: Heading,
        freezer_id: Option<Uuid>,
    ) -> Result<Report> {
        let freezer = freezer_id.map(|id| id.to_string());
        let freezer_name = match &freezer {
            Some(id) => Some(
                sqlx::query_scalar!(
                    "SELECT name FROM freezers WHERE id = ?1 AND voided_at IS NULL",
                    id
                )
                .fetch_optional(&self.pool)
                .await?
                .ok_or(DomainError::NotFound("freezer"))?,
            ),
            None => None,
        };

        let freezers = sqlx::query!(
            r#"SELECT f.id AS "id!", f.name AS "name!", f.location AS "location!",
                      (SELECT COUNT(*) FROM racks r WHERE r.freezer_id = f.id AND r.voided_at IS NULL) AS "racks!: i64",
                      COALESCE(g.boxes, 0) AS "boxes!: i64", COALESCE(g.positions, 0) AS "positions!: i64",
                      COALESCE(g.used, 0) AS "used!: i64", COALESCE(g.free, 0) AS "free!: i64",
                      COALESCE(g.unlimited, 0) AS "unlimited!: i64", COALESCE(g.with_space, 0) AS "with_space!: i64",
                      COALESCE(g.empty, 0) AS "empty!: i64", COALESCE(g.full, 0) AS "full!: i64"
               FROM freezers f
               LEFT JOIN (SELECT r.freezer_id, COUNT(*) AS boxes,
                                 SUM(COALESCE(b.capacity, 0)) AS positions,
                                 SUM(CASE WHEN b.capacity IS NULL THEN 0 ELSE b.occupied END) AS used,
                                 SUM(CASE WHEN b.capacity IS NULL THEN 0 ELSE MAX(b.capacity - b.occupied, 0) END) AS free,
                                 SUM(CASE WHEN b.capacity IS NULL THEN b.occupied ELSE 0 END) AS unlimited,
                                 SUM(b.capacity IS NULL OR b.occupied < b.capacity) AS with_space,
                                 SUM(b.occupied = 0) AS empty,
                                 SUM(b.capacity IS NOT NULL AND b.occupied >= b.capacity) AS full
                          FROM boxes b JOIN racks r ON r.id = b.rack_id
                          WHERE b.voided_at IS NULL AND r.voided_at IS NULL
                          GROUP BY r.freezer_id) g ON g.freezer_id = f.id
               WHERE f.voided_at IS NULL AND (?1 IS NULL OR f.id = ?1)
               ORDER BY f.name, f.id"#,
            freezer
        )
        .fetch_all(&self.pool)
        .await?;

        let racks_total = sqlx::query_scalar!(
            r#"SELECT COUNT(*) AS "n!: i64" FROM racks r JOIN freezers f ON f.id = r.freezer_id
               WHERE r.voided_at IS NULL AND f.voided_at IS NULL AND (?1 IS NULL OR f.id = ?1)"#,
            freezer
        )
        .fetch_one(&self.pool)
        .await?;
        let racks = sqlx::query!(
            r#"SELECT f.name AS "freezer!", r.name AS "rack!",
                      COALESCE(g.boxes, 0) AS "boxes!: i64", COALESCE(g.positions, 0) AS "positions!: i64",
                      COALESCE(g.used, 0) AS "used!: i64", COALESCE(g.free, 0) AS "free!: i64",
                      COALESCE(g.unlimited, 0) AS "unlimited!: i64"
               FROM racks r JOIN freezers f ON f.id = r.freezer_id
               LEFT JOIN (SELECT b.rack_id, COUNT(*) AS boxes,
                                 SUM(COALESCE(b.capacity, 0)) AS positions,
                                 SUM(CASE WHEN b.capacity IS NULL THEN 0 ELSE b.occupied END) AS used,
                                 SUM(CASE WHEN b.capacity IS NULL THEN 0 ELSE MAX(b.capacity - b.occupied, 0) END) AS free,
                                 SUM(CASE WHEN b.capacity IS NULL THEN b.occupied ELSE 0 END) AS unlimited
                          FROM boxes b WHERE b.voided_at IS NULL GROUP BY b.rack_id) g ON g.rack_id = r.id
               WHERE r.voided_at IS NULL AND f.voided_at IS NULL AND (?1 IS NULL OR f.id = ?1)
               ORDER BY f.name, f.id, r.name, r.id LIMIT ?2"#,
            freezer,
            TABLE_ROWS
        )
        .fetch_all(&self.pool)
        .await?;

        // The boxes with space, in the order people walk the freezers.
        let with_space_total: i64 = freezers.iter().map(|f| f.with_space).sum();
        let with_space = sqlx::query!(
            r#"SELECT b.id AS "id!", f.name AS "freezer!", r.name AS "rack!", b.name AS "name!",
                      b.barcode AS "barcode!", b.box_type AS "box_type!", b.rows, b.columns,
                      b.capacity, b.occupied AS "occupied!: i64"
               FROM boxes b JOIN racks r ON r.id = b.rack_id JOIN freezers f ON f.id = r.freezer_id
               WHERE b.voided_at IS NULL AND r.voided_at IS NULL AND f.voided_at IS NULL
                 AND (b.capacity IS NULL OR b.occupied < b.capacity)
                 AND (?1 IS NULL OR f.id = ?1)
               ORDER BY f.name, f.id, r.name, r.id, b.name, b.id LIMIT ?2"#,
            freezer,
            TABLE_ROWS
        )
        .fetch_all(&self.pool)
        .await?;

        // Free positions of the first grid boxes with space: their placements, one query.
        let grid_with_space_total = sqlx::query_scalar!(
            r#"SELECT COUNT(*) AS "n!: i64"
               FROM boxes b JOIN racks r ON r.id = b.rack_id JOIN freezers f ON f.id = r.freezer_id
               WHERE b.voided_at IS NULL AND r.voided_at IS NULL AND f.voided_at IS NULL
                 AND b.rows IS NOT NULL AND b.occupied < b.capacity AND (?1 IS NULL OR f.id = ?1)"#,
            freezer
        )
        .fetch_one(&self.pool)
        .await?;
        let grid_boxes = sqlx::query!(
            r#"SELECT b.id AS "id!", f.name AS "freezer!", r.name AS "rack!", b.name AS "name!",
                      b.rows AS "rows!: i64", b.columns AS "columns!: i64", b.occupied AS "occupied!: i64"
               FROM boxes b JOIN racks r ON r.id = b.rack_id JOIN freezers f ON f.id = r.freezer_id
               WHERE b.voided_at IS NULL AND r.voided_at IS NULL AND f.voided_at IS NULL
                 AND b.rows IS NOT NULL AND b.occupied < b.capacity AND (?1 IS NULL OR f.id = ?1)
               ORDER BY f.name, f.id, r.name, r.id, b.name, b.id LIMIT ?2"#,
            freezer,
            EMPTY_POSITION_BOXES
        )
        .fetch_all(&self.pool)
        .await?;
        let ids = serde_json::to_string(&grid_boxes.iter().map(|b| &b.id).collect::<Vec<_>>())
            .map_err(|e| StoreError::Decode(e.to_string()))?;
        let taken = sqlx::query!(
            r#"SELECT p.box_id AS "box_id!", p.row_index AS "row!: i64", p.column_index AS "column!: i64"
               FROM json_each(?1) chosen JOIN placements p ON p.box_id = chosen.value
               WHERE p.row_index IS NOT NULL AND p.column_index IS NOT NULL"#,
            ids
        )
        .fetch_all(&self.pool)
        .await?;
        let mut taken_in: HashMap<&str, HashSet<(i64, i64)>> = HashMap::new();
        for t in &taken {
            taken_in
                .entry(t.box_id.as_str())
                .or_default()
                .insert((t.row, t.column));
        }

        let (num, den) = (SPARSE_NUMERATOR, SPARSE_DENOMINATOR);
        let merge_groups = sqlx::query!(
            r#"SELECT f.name AS "freezer!", g.box_type AS "box_type!", g.rows AS "rows!: i64",
                      g.columns AS "columns!: i64", g.boxes AS "boxes!: i64", g.tubes AS "tubes!: i64",
                      (g.tubes + g.rows * g.columns - 1) / (g.rows * g.columns) AS "needed!: i64"
               FROM (SELECT r.freezer_id, b.box_type, b.rows, b.columns, COUNT(*) AS boxes,
                            SUM(b.occupied) AS tubes
                     FROM boxes b JOIN racks r ON r.id = b.rack_id
                     WHERE b.voided_at IS NULL AND r.voided_at IS NULL AND b.rows IS NOT NULL
                       AND b.occupied > 0 AND b.occupied * ?2 < b.capacity * ?3
                       AND (?1 IS NULL OR r.freezer_id = ?1)
                     GROUP BY r.freezer_id, b.box_type, b.rows, b.columns
                     HAVING COUNT(*) >= 2) g
               JOIN freezers f ON f.id = g.freezer_id
               WHERE f.voided_at IS NULL
               ORDER BY g.boxes - (g.tubes + g.rows * g.columns - 1) / (g.rows * g.columns) DESC,
                        f.name, g.box_type
               LIMIT ?4"#,
            freezer,
            den,
            num,
            TABLE_ROWS
        )
        .fetch_all(&self.pool)
        .await?;
        let merge_totals = sqlx::query!(
            r#"SELECT COUNT(*) AS "groups!: i64", COALESCE(SUM(g.boxes), 0) AS "boxes!: i64",
                      COALESCE(SUM(g.boxes - (g.tubes + g.rows * g.columns - 1) / (g.rows * g.columns)), 0) AS "freed!: i64"
               FROM (SELECT r.freezer_id, b.box_type, b.rows, b.columns, COUNT(*) AS boxes,
                            SUM(b.occupied) AS tubes
                     FROM boxes b JOIN racks r ON r.id = b.rack_id JOIN freezers f ON f.id = r.freezer_id
                     WHERE b.voided_at IS NULL AND r.voided_at IS NULL AND f.voided_at IS NULL
                       AND b.rows IS NOT NULL AND b.occupied > 0 AND b.occupied * ?2 < b.capacity * ?3
                       AND (?1 IS NULL OR r.freezer_id = ?1)
                     GROUP BY r.freezer_id, b.box_type, b.rows, b.columns
                     HAVING COUNT(*) >= 2) g"#,
            freezer,
            den,
            num
        )
        .fetch_one(&self.pool)
        .await?;
        let merge_boxes = sqlx::query!(
            r#"WITH sparse AS (
                   SELECT b.id, b.name, b.barcode, b.box_type, b.rows, b.columns, b.capacity, b.occupied,
                          r.name AS rack, r.freezer_id,
                          COUNT(*) OVER (PARTITION BY r.freezer_id, b.box_type, b.rows, b.columns) AS alike
                   FROM boxes b JOIN racks r ON r.id = b.rack_id JOIN freezers f ON f.id = r.freezer_id
                   WHERE b.voided_at IS NULL AND r.voided_at IS NULL AND f.voided_at IS NULL
                     AND b.rows IS NOT NULL AND b.occupied > 0 AND b.occupied * ?2 < b.capacity * ?3
                     AND (?1 IS NULL OR r.freezer_id = ?1))
               SELECT f.name AS "freezer!", s.box_type AS "box_type!", s.rows AS "rows!: i64",
                      s.columns AS "columns!: i64", s.rack AS "rack!", s.name AS "name!",
                      s.barcode AS "barcode!", s.occupied AS "occupied!: i64", s.capacity AS "capacity!: i64"
               FROM sparse s JOIN freezers f ON f.id = s.freezer_id
               WHERE s.alike >= 2
               ORDER BY f.name, f.id, s.box_type, s.rows, s.columns, s.occupied, s.rack, s.name
               LIMIT ?4"#,
            freezer,
            den,
            num,
            TABLE_ROWS
        )
        .fetch_all(&self.pool)
        .await?;

        // For one freezer: its boxes, each with its own numbers.
        let boxes_total: i64 = freezers.iter().map(|f| f.boxes).sum();
        let boxes = match &freezer {
            Some(_) => {
                sqlx::query!(
                    r#"SELECT r.name AS "rack!", b.name AS "name!", b.barcode AS "barcode!",
                              b.box_type AS "box_type!", b.rows, b.columns, b.capacity,
                              b.occupied AS "occupied!: i64"
                       FROM boxes b JOIN racks r ON r.id = b.rack_id
                       WHERE b.voided_at IS NULL AND r.voided_at IS NULL AND r.freezer_id = ?1
                       ORDER BY r.name, r.id, b.name, b.id LIMIT ?2"#,
                    freezer,
                    TABLE_ROWS
                )
                .fetch_all(&self.pool)
                .await?
            }
            None => Vec::new(),
        };

        // ------------------------------------------------------------------ the report
        let parameters = vec![parameter(
            "Freezer",
            freezer_name
                .clone()
                .unwrap_or_else(|| "all freezers".into()),
        )];
        let mut report = heading.report("Storage occupancy", parameters);
        let all = Use {
            positions: freezers.iter().map(|f| f.positions).sum(),
            used: freezers.iter().map(|f| f.used).sum(),
            free: freezers.iter().map(|f| f.free).sum(),
            unlimited: freezers.iter().map(|f| f.unlimited).sum(),
        };
        report.figures = vec![
            figure("Freezers", int(freezers.len())),
            figure("Racks", racks_total),
            figure("Boxes", boxes_total),
            figure("Positions", all.positions),
            figure("Used", all.used),
            figure("Free", all.free),
            figure("% used", all.percent()),
            figure("Tubes in bags without a limit", all.unlimited),
            figure("Boxes with space", with_space_total),
            figure("Empty boxes", freezers.iter().map(|f| f.empty).sum::<i64>()),
            figure("Full boxes", freezers.iter().map(|f| f.full).sum::<i64>()),
            figure("Boxes that merging would empty", merge_totals.freed),
        ];

        // Table 0: per freezer.
        let mut columns = vec![
            Column::new("freezer", "Freezer", ColumnKind::Text),
            Column::new("location", "Location", ColumnKind::Text),
            Column::new("racks", "Racks", ColumnKind::Integer),
            Column::new("boxes", "Boxes", ColumnKind::Integer),
        ];
        columns.extend(use_columns());
        let rows = freezers
            .iter()
            .map(|f| {
                let mut row = vec![
                    Value::text(f.name.clone()),
                    Value::text(f.location.clone()),
                    Value::Integer(f.racks),
                    Value::Integer(f.boxes),
                ];
                row.extend(
                    Use {
                        positions: f.positions,
                        used: f.used,
                        free: f.free,
                        unlimited: f.unlimited,
                    }
                    .cells(),
                );
                row
            })
            .collect();
        report
            .tables
            .push(table("Occupancy by freezer", columns, rows, 0));

        // Table 1: per rack.
        let mut columns = vec![
            Column::new("freezer", "Freezer", ColumnKind::Text),
            Column::new("rack", "Rack", ColumnKind::Text),
            Column::new("boxes", "Boxes", ColumnKind::Integer),
        ];
        columns.extend(use_columns());
        let rows = racks
            .iter()
            .map(|r| {
                let mut row = vec![
                    Value::text(r.freezer.clone()),
                    Value::text(r.rack.clone()),
                    Value::Integer(r.boxes),
                ];
                row.extend(
                    Use {
                        positions: r.positions,
                        used: r.used,
                        free: r.free,
                        unlimited: r.unlimited,
                    }
                    .cells(),
                );
                row
            })
            .collect();
        report.tables.push(table(
            "Occupancy by rack",
            columns,
            rows,
            left_out(racks_total, racks.len()),
        ));
        report.charts.push(match &freezer_name {
            None => chart(
                "Used and free positions by freezer",
                ChartKind::StackedBar,
                0,
                freezers.iter().map(|f| f.name.clone()).collect(),
                vec![
                    ("Used", freezers.iter().map(|f| f.used).collect()),
                    ("Free", freezers.iter().map(|f| f.free).collect()),
                ],
            ),
            Some(name) => chart(
                &format!("Used and free positions by rack in {name}"),
                ChartKind::StackedBar,
                1,
                racks.iter().map(|r| r.rack.clone()).collect(),
                vec![
                    ("Used", racks.iter().map(|r| r.used).collect()),
                    ("Free", racks.iter().map(|r| r.free).collect()),
                ],
            ),
        });

        if freezer.is_some() {
            let rows = boxes
                .iter()
                .map(|b| {
                    let (used, unlimited) = match b.capacity {
                        Some(_) => (b.occupied, 0),
                        None => (0, b.occupied),
                    };
                    let capacity = b.capacity.unwrap_or(0);
                    let mut row = vec![
                        Value::text(b.rack.clone()),
                        Value::text(b.name.clone()),
                        Value::text(b.barcode.clone()),
                        Value::text(b.box_type.clone()),
                        Value::text(layout(b.rows, b.columns)),
                    ];
                    row.extend(
                        Use {
                            positions: capacity,
                            used,
                            free: (capacity - used).max(0),
                            unlimited,
                        }
                        .cells(),
                    );
                    row
                })
                .collect();
            let mut columns = vec![
                Column::new("rack", "Rack", ColumnKind::Text),
                Column::new("box", "Box", ColumnKind::Text),
                Column::new("barcode", "Barcode", ColumnKind::Text),
                Column::new("box_type", "Box type", ColumnKind::Text),
                Column::new("layout", "Layout", ColumnKind::Text),
            ];
            columns.extend(use_columns());
            report.tables.push(table(
                "Boxes",
                columns,
                rows,
                left_out(boxes_total, boxes.len()),
            ));
        }

        report.tables.push(table(
            "Boxes with space",
            vec![
                Column::new("freezer", "Freezer", ColumnKind::Text),
                Column::new("rack", "Rack", ColumnKind::Text),
                Column::new("box", "Box", ColumnKind::Text),
                Column::new("barcode", "Barcode", ColumnKind::Text),
                Column::new("box_type", "Box type", ColumnKind::Text),
                Column::new("layout", "Layout", ColumnKind::Text),
                Column::new("positions", "Positions", ColumnKind::Integer),
                Column::new("used", "Used", ColumnKind::Integer),
                Column::new("free", "Free", ColumnKind::Integer),
            ],
            with_space
                .iter()
                .map(|b| {
                    vec![
                        Value::text(b.freezer.clone()),
                        Value::text(b.rack.clone()),
                        Value::text(b.name.clone()),
                        Value::text(b.barcode.clone()),
                        Value::text(b.box_type.clone()),
                        Value::text(layout(b.rows, b.columns)),
                        b.capacity.map_or(Value::Empty, Value::Integer),
                        Value::Integer(b.occupied),
                        b.capacity
                            .map_or(Value::Empty, |c| Value::Integer((c - b.occupied).max(0))),
                    ]
                })
                .collect(),
            left_out(with_space_total, with_space.len()),
        ));

        let mut rows = Vec::with_capacity(grid_boxes.len());
        for b in &grid_boxes {
            let grid = grid_of(b.rows, b.columns)?;
            let taken = taken_in.get(b.id.as_str());
            let free: Vec<String> = grid
                .positions()
                .filter(|p: &Position| {
                    !taken.is_some_and(|t| t.contains(&(i64::from(p.row), i64::from(p.column))))
                })
                .map(Position::name)
                .collect();
            rows.push(vec![
                Value::text(b.freezer.clone()),
                Value::text(b.rack.clone()),
                Value::text(b.name.clone()),
                int(free.len()),
                Value::text(free.join(" ")),
            ]);
        }
        report.tables.push(table(
            "Empty positions",
            vec![
                Column::new("freezer", "Freezer", ColumnKind::Text),
                Column::new("rack", "Rack", ColumnKind::Text),
                Column::new("box", "Box", ColumnKind::Text),
                Column::new("free", "Free", ColumnKind::Integer),
                Column::new("positions", "Free positions", ColumnKind::Text),
            ],
            rows,
            left_out(grid_with_space_total, grid_boxes.len()),
        ));

        report.tables.push(table(
            "Defragmentation: boxes under half full that fit into fewer",
            vec![
                Column::new("freezer", "Freezer", ColumnKind::Text),
                Column::new("box_type", "Box type", ColumnKind::Text),
                Column::new("layout", "Layout", ColumnKind::Text),
                Column::new("boxes", "Boxes", ColumnKind::Integer),
                Column::new("tubes", "Tubes", ColumnKind::Integer),
                Column::new("boxes_needed", "Boxes needed", ColumnKind::Integer),
                Column::new("boxes_freed", "Boxes freed", ColumnKind::Integer),
            ],
            merge_groups
                .iter()
                .map(|g| {
                    vec![
                        Value::text(g.freezer.clone()),
                        Value::text(g.box_type.clone()),
                        Value::text(layout(Some(g.rows), Some(g.columns))),
                        Value::Integer(g.boxes),
                        Value::Integer(g.tubes),
                        Value::Integer(g.needed),
                        Value::Integer(g.boxes - g.needed),
                    ]
                })
                .collect(),
            left_out(merge_totals.groups, merge_groups.len()),
        ));
        report.tables.push(table(
            "Defragmentation: the boxes to merge",
            vec![
                Column::new("freezer", "Freezer", ColumnKind::Text),
                Column::new("box_type", "Box type", ColumnKind::Text),
                Column::new("layout", "Layout", ColumnKind::Text),
                Column::new("rack", "Rack", ColumnKind::Text),
                Column::new("box", "Box", ColumnKind::Text),
                Column::new("barcode", "Barcode", ColumnKind::Text),
                Column::new("tubes", "Tubes", ColumnKind::Integer),
                Column::new("positions", "Positions", ColumnKind::Integer),
            ],
            merge_boxes
                .iter()
                .map(|b| {
                    vec![
                        Value::text(b.freezer.clone()),
                        Value::text(b.box_type.clone()),
                        Value::text(layout(Some(b.rows), Some(b.columns))),
                        Value::text(b.rack.clone()),
                        Value::text(b.name.clone()),
                        Value::text(b.barcode.clone()),
                        Value::Integer(b.occupied),
                        Value::Integer(b.capacity),
                    ]
                })
                .collect(),
            left_out(merge_totals.boxes, merge_boxes.len()),
        ));
        Ok(report)
    }
}

/// "8 × 12", or "bag" for a box without a grid.
fn layout(rows: Option<i64>, columns: Option<i64>) -> String {
    match (rows, columns) {
        (Some(r), Some(c)) => format!("{r} × {c}"),
        _ => "bag".into(),
    }
}
