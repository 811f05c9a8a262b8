//! The query builder and the streamed export (issue 17, item 2): every operator of every
//! field type run against real rows, nested groups, pages counted in SQL, hostile text found
//! literally and exported exactly (formula starts defused, numbers left alone), a cancelled
//! export, and refusals in the lab's words.

use super::lab::Lab;
use super::runs::{fill, import, planned_run};
use super::{fixture, Fixture};
use aliquot_domain::paging::PageRequest;
use aliquot_domain::query::{
    fields, Condition, FilterGroup, FilterItem, Join, Operator, Query, QueryEntity, Sort,
};
use aliquot_domain::storage::StorageTarget;
use aliquot_domain::{Command, DomainError};
use aliquot_reports::csv::CsvOptions;
use aliquot_reports::{ColumnKind, Value};
use aliquot_store::query::{ExportOutcome, ExportProgress};
use aliquot_store::StoreError;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use uuid::Uuid;

fn cond(field: &str, operator: Operator, values: &[&str]) -> FilterItem {
    FilterItem::Condition(Condition {
        field: field.into(),
        operator,
        values: values.iter().map(|v| (*v).to_owned()).collect(),
    })
}

fn all(items: Vec<FilterItem>) -> FilterGroup {
    FilterGroup {
        join: Join::All,
        items,
    }
}

fn any(items: Vec<FilterItem>) -> FilterGroup {
    FilterGroup {
        join: Join::Any,
        items,
    }
}

fn query(
    entity: QueryEntity,
    filter: FilterGroup,
    columns: &[&str],
    sort: &[(&str, bool)],
) -> Query {
    Query {
        entity,
        filter,
        columns: columns.iter().map(|c| (*c).to_owned()).collect(),
        sort: sort
            .iter()
            .map(|(field, descending)| Sort {
                field: (*field).into(),
                descending: *descending,
            })
            .collect(),
    }
}

fn text(value: &Value) -> String {
    match value {
        Value::Empty => String::new(),
        Value::Text(s) => s.clone(),
        Value::Integer(n) => n.to_string(),
        Value::Decimal(x) => x.to_string(),
        Value::Time(t) => t.to_rfc3339(),
    }
}

fn page(page: u32, per_page: u32) -> PageRequest {
    PageRequest { page, per_page }
}

/// Every row of the query's first column, through the preview's pages.
async fn first_column(f: &Fixture, q: &Query) -> Vec<String> {
    let mut out = Vec::new();
    for n in 1.. {
        let p = f.store.query_preview(q, page(n, 200)).await.unwrap();
        out.extend(p.items.iter().map(|row| text(&row.cells[0])));
        if n >= p.total_pages {
            break;
        }
    }
    out
}

async fn code_of(f: &Fixture, table: &str, id: Uuid) -> String {
    let sql = match table {
        "samples" => "SELECT code FROM samples WHERE id = ?1",
        "participants" => "SELECT code FROM participants WHERE id = ?1",
        _ => "SELECT barcode FROM boxes WHERE id = ?1",
    };
    sqlx::query_scalar(sql)
        .bind(id.to_string())
        .fetch_one(f.store.pool())
        .await
        .unwrap()
}

/// A small lab whose every queried value is known: six tubes (a–c the lab's, d, e, g a
/// second participant's kit), three participants, three boxes (one voided), a run with a
/// tube's result (-0.25 in A1) and a control's (1.25 in H12). Made by commands; the values
/// the commands do not let a test choose (collectors, volumes, moments, a parent, consent
/// dates) are set by UPDATE afterwards.
struct Seeded {
    f: Fixture,
    lab: Lab,
    /// Name (a, b, P1, SB, …) → code or barcode, and back.
    codes: BTreeMap<&'static str, String>,
    names: BTreeMap<String, &'static str>,
}

impl Seeded {
    async fn new() -> Seeded {
        let f = fixture().await;
        let lab = f.lab().await;
        let p2 = f.participant(&lab.desk, lab.site).await;
        let p3 = f.participant(&lab.desk, lab.site).await;
        let kit = f.kit(&lab.desk, p2, lab.kit, 3).await;
        f.run(
            &lab.manager,
            Command::VoidStorage {
                target: StorageTarget::Box(lab.empty_box),
                reason: "cracked lid".into(),
            },
        )
        .await;
        let t = planned_run(&f, &lab, "ELISA-Q").await;
        f.run(&lab.tech, fill(t.plate, lab.received, Some("A1")))
            .await;
        f.run(&lab.tech, import(&t, lab.received, -0.25, 1.25))
            .await;

        let tubes = [
            (
                "a",
                lab.stored,
                "Nurse Joy",
                Some(100),
                "2026-01-10T08:00:00.000000Z",
            ),
            (
                "b",
                lab.received,
                "Dr. Ann",
                Some(250),
                "2026-02-01T00:00:00.000000Z",
            ),
            (
                "c",
                lab.checked_out,
                "nurse joyce",
                Some(500),
                "2026-02-15T12:30:00.000000Z",
            ),
            ("d", kit[0], "Joy%", None, "2026-03-01T09:00:00.000000Z"),
            (
                "e",
                kit[1],
                "J_y",
                Some(1000),
                "2026-02-20T10:00:00.000000Z",
            ),
            ("g", kit[2], "Ann", Some(250), "2026-02-28T23:59:59.000000Z"),
        ];
        let pool = f.store.pool();
        for (_, id, collector, volume, at) in &tubes {
            sqlx::query("UPDATE samples SET collector = ?1, volume_ul = ?2, collected_at = ?3 WHERE id = ?4")
                .bind(collector)
                .bind(volume)
                .bind(at)
                .bind(id.to_string())
                .execute(pool)
                .await
                .unwrap();
        }
        sqlx::query("UPDATE samples SET parent_id = ?1 WHERE id = ?2")
            .bind(lab.received.to_string())
            .bind(kit[2].to_string())
            .execute(pool)
            .await
            .unwrap();
        for (id, date, external, sex) in [
            (p2, "2025-12-31", Some("EXT-2"), None),
            (p3, "2026-02-01", None, Some("female")),
        ] {
            sqlx::query("UPDATE participants SET consent_date = ?1, external_id = ?2, sex = ?3 WHERE id = ?4")
                .bind(date)
                .bind(external)
                .bind(sex)
                .bind(id.to_string())
                .execute(pool)
                .await
                .unwrap();
        }
        let mut codes = BTreeMap::new();
        for (name, id, ..) in &tubes {
            codes.insert(*name, code_of(&f, "samples", *id).await);
        }
        for (name, id) in [("P1", lab.participant), ("P2", p2), ("P3", p3)] {
            codes.insert(name, code_of(&f, "participants", id).await);
        }
        for (name, id) in [
            ("SB", lab.storage_box),
            ("EB", lab.empty_box),
            ("BAG", lab.bag),
        ] {
            codes.insert(name, code_of(&f, "boxes", id).await);
        }
        codes.insert("A1", "A1".into());
        codes.insert("H12", "H12".into());
        let names = codes.iter().map(|(n, c)| (c.clone(), *n)).collect();
        Seeded {
            f,
            lab,
            codes,
            names,
        }
    }

    /// The names of the records the filter keeps, by the entity's key column.
    async fn matching(&self, entity: QueryEntity, filter: FilterGroup) -> BTreeSet<&'static str> {
        let key = match entity {
            QueryEntity::Samples | QueryEntity::Participants => "code",
            QueryEntity::Boxes => "barcode",
            QueryEntity::Results => "well",
        };
        let q = query(entity, filter, &[key], &[]);
        let rows = first_column(&self.f, &q).await;
        let count = self.f.store.query_count(&q).await.unwrap();
        assert_eq!(count, rows.len() as u64, "the count and the rows agree");
        rows.iter()
            .map(|code| {
                *self
                    .names
                    .get(code)
                    .unwrap_or_else(|| panic!("a row the fixture did not name: {code}"))
            })
            .collect()
    }

    fn code(&self, name: &str) -> &str {
        &self.codes[name]
    }
}

fn names(list: &str) -> BTreeSet<&str> {
    list.split_whitespace().collect()
}

/// Every operator of every field type, against real rows: each returns exactly the rows
/// the fixture says.
#[tokio::test]
async fn each_operator_returns_exactly_its_rows() {
    use Operator::*;
    use QueryEntity::*;
    let s = Seeded::new().await;
    let (b, p2) = (s.code("b").to_owned(), s.code("P2").to_owned());
    let cases: Vec<(QueryEntity, FilterItem, &str)> = vec![
        // Text.
        (Samples, cond("collector", Equals, &["Nurse Joy"]), "a"),
        (
            Samples,
            cond("collector", NotEquals, &["Nurse Joy"]),
            "b c d e g",
        ),
        (Samples, cond("collector", Contains, &["joy"]), "a c d"),
        (Samples, cond("collector", Contains, &["%"]), "d"),
        (Samples, cond("collector", Contains, &["_"]), "e"),
        (Samples, cond("collector", StartsWith, &["J_"]), "e"),
        (Samples, cond("collector", StartsWith, &["nurse"]), "a c"),
        (
            Samples,
            cond("collector", OneOf, &["Ann", "Dr. Ann", "nobody"]),
            "b g",
        ),
        (Samples, cond("position", Equals, &["A1"]), "a"),
        // "is not" keeps the tubes with no position.
        (Samples, cond("position", NotEquals, &["A1"]), "b c d e g"),
        (Samples, cond("box", IsEmpty, &[]), "b d e g"),
        (Samples, cond("box", IsNotEmpty, &[]), "a c"),
        (Samples, cond("parent", Equals, &[&b]), "g"),
        (Samples, cond("parent", IsNotEmpty, &[]), "g"),
        (Samples, cond("participant", Equals, &[&p2]), "d e g"),
        (Samples, cond("site", Equals, &["NORTH"]), "a b c d e g"),
        (Participants, cond("external_id", Equals, &["EXT-2"]), "P2"),
        (Participants, cond("external_id", IsEmpty, &[]), "P1 P3"),
        // Integer.
        (Samples, cond("volume_ul", Equals, &["250"]), "b g"),
        (Samples, cond("volume_ul", NotEquals, &["250"]), "a c d e"),
        (Samples, cond("volume_ul", LessThan, &["250"]), "a"),
        (Samples, cond("volume_ul", AtMost, &["250"]), "a b g"),
        (Samples, cond("volume_ul", GreaterThan, &["250"]), "c e"),
        (Samples, cond("volume_ul", AtLeast, &["250"]), "b c e g"),
        (
            Samples,
            cond("volume_ul", Between, &["100", "250"]),
            "a b g",
        ),
        (Samples, cond("volume_ul", IsEmpty, &[]), "d"),
        (Samples, cond("volume_ul", IsNotEmpty, &[]), "a b c e g"),
        (Participants, cond("samples", Equals, &["0"]), "P3"),
        (Participants, cond("samples", AtLeast, &["3"]), "P1 P2"),
        (Boxes, cond("used", AtLeast, &["1"]), "SB"),
        (Boxes, cond("free", Between, &["2", "4"]), "SB BAG"),
        (Boxes, cond("capacity", IsEmpty, &[]), ""),
        // Decimal.
        (Results, cond("value", Equals, &["-0.25"]), "A1"),
        (Results, cond("value", NotEquals, &["-0.25"]), "H12"),
        (Results, cond("value", LessThan, &["0"]), "A1"),
        (Results, cond("value", AtMost, &["1.25"]), "A1 H12"),
        (Results, cond("value", GreaterThan, &["0"]), "H12"),
        (Results, cond("value", AtLeast, &["1.25"]), "H12"),
        (Results, cond("value", Between, &["-1", "1"]), "A1"),
        (Results, cond("value", IsEmpty, &[]), ""),
        (Results, cond("value", IsNotEmpty, &[]), "A1 H12"),
        // Time: moments compare as moments, whatever offset they are written with.
        (
            Samples,
            cond("collected_at", Equals, &["2026-02-15T13:30:00+01:00"]),
            "c",
        ),
        (
            Samples,
            cond("collected_at", NotEquals, &["2026-02-15T12:30:00Z"]),
            "a b d e g",
        ),
        (
            Samples,
            cond("collected_at", LessThan, &["2026-02-01T00:00:00Z"]),
            "a",
        ),
        (
            Samples,
            cond("collected_at", AtMost, &["2026-02-01T00:00:00Z"]),
            "a b",
        ),
        (
            Samples,
            cond("collected_at", GreaterThan, &["2026-02-28T23:59:59Z"]),
            "d",
        ),
        (
            Samples,
            cond("collected_at", AtLeast, &["2026-02-28T23:59:59Z"]),
            "d g",
        ),
        (
            Samples,
            cond(
                "collected_at",
                Between,
                &["2026-02-01T00:00:00Z", "2026-02-20T10:00:00Z"],
            ),
            "b c e",
        ),
        (Samples, cond("collected_at", IsEmpty, &[]), ""),
        (
            Samples,
            cond("collected_at", IsNotEmpty, &[]),
            "a b c d e g",
        ),
        (Samples, cond("checked_out_at", IsNotEmpty, &[]), "c"),
        // Date.
        (
            Participants,
            cond("consent_date", Equals, &["2026-03-01"]),
            "P1",
        ),
        (
            Participants,
            cond("consent_date", NotEquals, &["2026-03-01"]),
            "P2 P3",
        ),
        (
            Participants,
            cond("consent_date", LessThan, &["2026-02-01"]),
            "P2",
        ),
        (
            Participants,
            cond("consent_date", AtMost, &["2026-02-01"]),
            "P2 P3",
        ),
        (
            Participants,
            cond("consent_date", GreaterThan, &["2026-02-01"]),
            "P1",
        ),
        (
            Participants,
            cond("consent_date", AtLeast, &["2026-02-01"]),
            "P1 P3",
        ),
        (
            Participants,
            cond("consent_date", Between, &["2026-01-01", "2026-02-28"]),
            "P3",
        ),
        (Participants, cond("consent_date", IsEmpty, &[]), ""),
        (
            Participants,
            cond("consent_date", IsNotEmpty, &[]),
            "P1 P2 P3",
        ),
        // Choice.
        (Samples, cond("status", Equals, &["stored"]), "a"),
        (Samples, cond("status", NotEquals, &["collected"]), "a b c"),
        (
            Samples,
            cond("status", OneOf, &["received", "checked_out"]),
            "b c",
        ),
        (Samples, cond("status", IsEmpty, &[]), ""),
        (Samples, cond("status", IsNotEmpty, &[]), "a b c d e g"),
        (Participants, cond("sex", Equals, &["female"]), "P3"),
        (Participants, cond("sex", NotEquals, &["female"]), "P1 P2"),
        (Participants, cond("sex", IsEmpty, &[]), "P1 P2"),
        (Participants, cond("consent", OneOf, &["withdrawn"]), ""),
        (Results, cond("role", Equals, &["control"]), "H12"),
        (Results, cond("run_state", Equals, &["resulted"]), "A1 H12"),
        // Flag.
        (Boxes, cond("voided", Equals, &["yes"]), "EB"),
        (Boxes, cond("voided", Equals, &["no"]), "SB BAG"),
        (Boxes, cond("voided", NotEquals, &["yes"]), "SB BAG"),
        (Boxes, cond("voided", IsEmpty, &[]), ""),
        (Boxes, cond("voided", IsNotEmpty, &[]), "SB EB BAG"),
        (Results, cond("censored", Equals, &["no"]), "A1 H12"),
        (Results, cond("current", Equals, &["yes"]), "A1 H12"),
        (Results, cond("sample", IsEmpty, &[]), "H12"),
        (Results, cond("sample", Equals, &[&b]), "A1"),
    ];
    let mut failures = Vec::new();
    for (entity, item, expected) in cases {
        let got = s.matching(entity, all(vec![item.clone()])).await;
        if got != names(expected) {
            failures.push(format!(
                "{entity:?} {item:?}: got {got:?}, expected {expected:?}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // Every operator of every type was run above.
    let _ = &s.lab;
}

#[tokio::test]
async fn groups_join_by_all_and_any_at_any_depth() {
    use Operator::*;
    let s = Seeded::new().await;
    let cases: Vec<(FilterGroup, &str)> = vec![
        (
            any(vec![
                FilterItem::Group(all(vec![
                    cond("status", Equals, &["stored"]),
                    cond("volume_ul", LessThan, &["500"]),
                ])),
                FilterItem::Group(all(vec![
                    cond("collector", Contains, &["ann"]),
                    FilterItem::Group(any(vec![
                        cond("volume_ul", GreaterThan, &["300"]),
                        cond("parent", IsNotEmpty, &[]),
                    ])),
                ])),
            ]),
            "a g",
        ),
        (
            all(vec![
                FilterItem::Group(any(vec![
                    cond("status", Equals, &["collected"]),
                    cond("status", Equals, &["checked_out"]),
                ])),
                cond("volume_ul", AtLeast, &["500"]),
            ]),
            "c e",
        ),
        // Without the parentheses "x AND y OR z" would keep d (Joy% has no volume).
        (
            all(vec![
                cond("volume_ul", IsNotEmpty, &[]),
                FilterItem::Group(any(vec![
                    cond("collector", StartsWith, &["Joy"]),
                    cond("collector", Equals, &["Ann"]),
                ])),
            ]),
            "g",
        ),
        // An empty group narrows nothing, in an "any" as in an "all".
        (
            any(vec![
                cond("status", Equals, &["stored"]),
                FilterItem::Group(all(vec![])),
            ]),
            "a",
        ),
        (all(vec![FilterItem::Group(any(vec![]))]), "a b c d e g"),
        (any(vec![]), "a b c d e g"),
        (
            all(vec![FilterItem::Group(any(vec![FilterItem::Group(all(
                vec![FilterItem::Group(any(vec![cond(
                    "volume_ul",
                    Equals,
                    &["1000"],
                )]))],
            ))]))]),
            "e",
        ),
    ];
    for (filter, expected) in cases {
        let got = s.matching(QueryEntity::Samples, filter.clone()).await;
        assert_eq!(got, names(expected), "{filter:?}");
    }
}

/// Inserts `n` tubes for the lab's participant (codes BULK000001…), raw: a fixture of
/// size, not a command's behaviour. Volumes cycle 0, 50, … 300; days cycle through January.
async fn bulk_samples(f: &Fixture, lab: &Lab, n: i64) {
    sqlx::query(
        "WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < ?1)
         INSERT INTO samples (id, code, participant_id, sample_type, status, collected_at, collector,
                              volume_ul, created_at, updated_at)
         SELECT printf('bulk-%08d', i), printf('BULK%06d', i), ?2, 'plasma', 'received',
                printf('2026-01-%02dT08:00:00.000000Z', 1 + i % 28), 'Bulk', (i % 7) * 50,
                '2026-03-01T09:00:00.000000Z', '2026-03-01T09:00:00.000000Z'
         FROM k",
    )
    .bind(n)
    .bind(lab.participant.to_string())
    .execute(f.store.pool())
    .await
    .unwrap();
}

/// The preview's total is SQL's count, its pages follow one another without overlap or
/// gap, and the order is the one asked for with the code breaking ties.
#[tokio::test]
async fn preview_pages_are_counted_and_cut_in_sql_in_the_order_asked() {
    let f = fixture().await;
    let lab = f.lab().await;
    bulk_samples(&f, &lab, 250).await;
    let filter = all(vec![
        cond("collector", Operator::Equals, &["Bulk"]),
        cond("volume_ul", Operator::AtLeast, &["100"]),
    ]);
    let q = query(
        QueryEntity::Samples,
        filter,
        &["code", "volume_ul", "collected_at"],
        &[("volume_ul", true), ("collected_at", false)],
    );
    let direct: Vec<String> = sqlx::query_scalar(
        "SELECT code FROM samples WHERE collector = 'Bulk' AND volume_ul >= 100
         ORDER BY volume_ul DESC, collected_at ASC, code ASC",
    )
    .fetch_all(f.store.pool())
    .await
    .unwrap();
    let count: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM samples WHERE collector = 'Bulk' AND volume_ul >= 100",
    )
    .fetch_one(f.store.pool())
    .await
    .unwrap();
    assert!(count > 100 && count < 250, "{count}");
    assert_eq!(f.store.query_count(&q).await.unwrap(), count as u64);

    let first = f.store.query_preview(&q, page(1, 40)).await.unwrap();
    let second = f.store.query_preview(&q, page(2, 40)).await.unwrap();
    assert_eq!(first.total, count as u64);
    assert_eq!(first.total_pages, (count as u32).div_ceil(40));
    assert_eq!((first.items.len(), second.items.len()), (40, 40));
    let codes = |p: &aliquot_domain::paging::Page<aliquot_store::query::QueryRow>| -> Vec<String> {
        p.items.iter().map(|r| text(&r.cells[0])).collect()
    };
    let (one, two) = (codes(&first), codes(&second));
    assert!(one.iter().all(|c| !two.contains(c)), "pages overlap");
    assert_eq!(one, direct[..40]);
    assert_eq!(two, direct[40..80]);
    // Cells come typed: the volume a number, the moment a time.
    assert!(matches!(first.items[0].cells[1], Value::Integer(300)));
    assert!(matches!(first.items[0].cells[2], Value::Time(_)));

    // Every page together is the whole list in order.
    assert_eq!(first_column(&f, &q).await, direct);
    let past = f.store.query_preview(&q, page(99, 40)).await.unwrap();
    assert!(past.items.is_empty());
    assert_eq!(past.total, count as u64);
    assert!(f.store.query_preview(&q, page(1, 201)).await.is_err());
}

/// Text a spreadsheet or a LIKE pattern would read as something else. None is inside
/// another, so "contains" must find each one's own row only; the decoys are what an
/// unescaped `%`, `_` or `\` would also match.
const HOSTILE: &[&str] = &[
    "say \"hi\"",
    "it's",
    "a,b",
    "c;d",
    "line\nbreak",
    "crlf\r\nend",
    "=1+1",
    "+x1",
    "-x2",
    "@x3",
    "\tx4",
    "50%off",
    "50 percent off",
    "under_score",
    "underXscore",
    "back\\slash",
    "backslash",
    "Ünïcödé 名前 ✓",
];

/// The records as an independent reader reads them (the `csv` crate, every record the
/// same width, the header a record like the rest).
fn read_csv(text: &str) -> Vec<Vec<String>> {
    assert!(
        text.is_empty() || text.ends_with("\r\n"),
        "the last record has no CRLF"
    );
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(false)
        .from_reader(text.as_bytes())
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect()
}

fn no_progress() -> (impl Fn(u64) + Send + Sync, AtomicBool) {
    (|_| {}, AtomicBool::new(false))
}

async fn export(f: &Fixture, q: &Query, bom: bool) -> Vec<u8> {
    let (on_rows, cancelled) = no_progress();
    let mut out = Vec::new();
    let outcome = f
        .store
        .export_query_csv(
            q,
            &mut out,
            CsvOptions { bom },
            ExportProgress {
                on_rows: &on_rows,
                cancelled: &cancelled,
            },
        )
        .await
        .unwrap();
    assert!(matches!(outcome, ExportOutcome::Finished { .. }));
    out
}

/// (a) "is" and "contains" find each hostile text's own row only; (b) the exported CSV
/// reads back as exactly the stored text, a formula start behind a `'`, and a negative
/// number in a number column as it is.
#[tokio::test]
async fn hostile_text_is_matched_literally_and_exported_exactly() {
    let f = fixture().await;
    let lab = f.lab().await;
    let pool = f.store.pool();
    // Set by UPDATE: the commands refuse control characters (a line break, a tab), but a
    // value from before that rule, or from another workstation's version, must still be
    // found and exported safely.
    let mut rows: Vec<(String, String, &str)> = Vec::new();
    for hostile in HOSTILE {
        let p = f.participant(&lab.desk, lab.site).await;
        let tube = f.kit(&lab.desk, p, lab.kit, 3).await[0];
        sqlx::query("UPDATE participants SET external_id = ?1 WHERE id = ?2")
            .bind(hostile)
            .bind(p.to_string())
            .execute(pool)
            .await
            .unwrap();
        sqlx::query("UPDATE samples SET collector = ?1 WHERE id = ?2")
            .bind(hostile)
            .bind(tube.to_string())
            .execute(pool)
            .await
            .unwrap();
        rows.push((
            code_of(&f, "participants", p).await,
            code_of(&f, "samples", tube).await,
            hostile,
        ));
    }
    for (participant, tube, hostile) in &rows {
        for op in [Operator::Equals, Operator::Contains] {
            let by_external = query(
                QueryEntity::Participants,
                all(vec![cond("external_id", op, &[hostile])]),
                &["code"],
                &[],
            );
            assert_eq!(
                first_column(&f, &by_external).await,
                vec![participant.clone()],
                "{op:?} {hostile:?}"
            );
            let by_collector = query(
                QueryEntity::Samples,
                all(vec![cond("collector", op, &[hostile])]),
                &["code"],
                &[],
            );
            assert_eq!(
                first_column(&f, &by_collector).await,
                vec![tube.clone()],
                "{op:?} {hostile:?}"
            );
        }
        // Starts with the whole text: one row too.
        let starts = query(
            QueryEntity::Participants,
            all(vec![cond("external_id", Operator::StartsWith, &[hostile])]),
            &["code"],
            &[],
        );
        assert_eq!(first_column(&f, &starts).await, vec![participant.clone()]);
    }

    // (b) The export, read back.
    let q = query(
        QueryEntity::Participants,
        all(vec![cond("external_id", Operator::IsNotEmpty, &[])]),
        &["code", "external_id", "samples"],
        &[],
    );
    let bytes = export(&f, &q, true).await;
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "the BOM");
    let records = read_csv(std::str::from_utf8(&bytes[3..]).unwrap());
    assert_eq!(
        records[0],
        vec!["Participant code", "External ID", "Number of samples"]
    );
    assert_eq!(records.len(), HOSTILE.len() + 1);
    let exported: BTreeMap<&str, &str> = records[1..]
        .iter()
        .map(|r| (r[0].as_str(), r[1].as_str()))
        .collect();
    for (participant, _, hostile) in &rows {
        let cell = exported[participant.as_str()];
        if hostile.starts_with(['=', '+', '-', '@', '\t', '\r']) {
            assert_eq!(cell, format!("'{hostile}"), "a formula start is defused");
        } else {
            assert_eq!(cell, *hostile, "exactly as stored");
        }
    }
    assert!(records[1..].iter().all(|r| r[2] == "3"));

    // A negative number in a number column is a number, not a formula to defuse.
    let t = planned_run(&f, &lab, "ELISA-H").await;
    f.run(&lab.tech, fill(t.plate, lab.received, Some("A1")))
        .await;
    f.run(&lab.tech, import(&t, lab.received, -0.25, 1.25))
        .await;
    let results = query(
        QueryEntity::Results,
        FilterGroup::default(),
        &["sample", "well", "value", "unit", "imported_at"],
        &[("well", false)],
    );
    let columns = f.store.query_columns(&results).await.unwrap();
    assert_eq!(columns[2].kind, ColumnKind::Decimal);
    assert_eq!(columns[4].kind, ColumnKind::Time);
    let records = read_csv(std::str::from_utf8(&export(&f, &results, false).await).unwrap());
    let received = code_of(&f, "samples", lab.received).await;
    assert_eq!(records[1][..4], [received.as_str(), "A1", "-0.25", "OD"]);
    assert_eq!(records[2][..4], ["", "H12", "1.25", "OD"]);
    assert_eq!(records[1][4], "2026-03-01T09:00:00Z");
}

/// Cancelling after the first progress report stops the export there: the file holds the
/// header and the rows written so far, and the outcome says it was cancelled.
#[tokio::test]
async fn an_export_cancelled_after_its_first_progress_stops_early() {
    let f = fixture().await;
    let lab = f.lab().await;
    bulk_samples(&f, &lab, 25_000).await;
    let q = query(
        QueryEntity::Samples,
        all(vec![cond("collector", Operator::Equals, &["Bulk"])]),
        &["code", "status", "volume_ul", "collected_at", "participant"],
        &[],
    );
    // Uncancelled: every row, progress every 10,000 rows and once at the end.
    let seen = Mutex::new(Vec::new());
    let on_rows = |n: u64| seen.lock().unwrap().push(n);
    let never = AtomicBool::new(false);
    let mut out = Vec::new();
    let outcome = f
        .store
        .export_query_csv(
            &q,
            &mut out,
            CsvOptions::default(),
            ExportProgress {
                on_rows: &on_rows,
                cancelled: &never,
            },
        )
        .await
        .unwrap();
    assert_eq!(outcome, ExportOutcome::Finished { rows: 25_000 });
    assert_eq!(*seen.lock().unwrap(), vec![10_000, 20_000, 25_000]);
    assert_eq!(read_csv(std::str::from_utf8(&out).unwrap()).len(), 25_001);

    let cancel = AtomicBool::new(false);
    let calls = Mutex::new(Vec::new());
    let on_rows = |n: u64| {
        calls.lock().unwrap().push(n);
        cancel.store(true, Ordering::Relaxed);
    };
    let mut out = Vec::new();
    let outcome = f
        .store
        .export_query_csv(
            &q,
            &mut out,
            CsvOptions::default(),
            ExportProgress {
                on_rows: &on_rows,
                cancelled: &cancel,
            },
        )
        .await
        .unwrap();
    assert_eq!(outcome, ExportOutcome::Cancelled { rows: 10_000 });
    assert_eq!(*calls.lock().unwrap(), vec![10_000, 10_000]);
    let records = read_csv(std::str::from_utf8(&out).unwrap());
    assert_eq!(records.len(), 10_001, "the header and whole rows only");
    // The store is usable afterwards: the export's connection and transaction are gone.
    assert_eq!(f.store.query_count(&q).await.unwrap(), 25_000);
}

/// The export reads one state in its own read transaction, and a write commits meanwhile
/// without waiting for it (WAL).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_export_sees_one_state_while_a_write_commits_meanwhile() {
    let f = fixture().await;
    let lab = f.lab().await;
    bulk_samples(&f, &lab, 30_000).await;
    let q = query(
        QueryEntity::Samples,
        all(vec![cond("collector", Operator::Equals, &["Bulk"])]),
        &["code", "volume_ul"],
        &[],
    );
    let store = f.store.clone();
    let wrote = Mutex::new(None);
    let on_rows = |n: u64| {
        if n == 10_000 {
            // A write in the middle of the export: a tube sorted last, and every volume.
            let took = std::time::Instant::now();
            let result = tokio::task::block_in_place(|| {
                tokio::runtime::Handle::current().block_on(async {
                    let mut tx = store.pool().begin().await?;
                    sqlx::query("UPDATE samples SET volume_ul = 999 WHERE collector = 'Bulk'")
                        .execute(&mut *tx)
                        .await?;
                    sqlx::query(
                        "INSERT INTO samples (id, code, participant_id, sample_type, status, collected_at,
                                              collector, created_at, updated_at)
                         VALUES ('late', 'ZZZLATE', ?1, 'plasma', 'received', '2026-03-01T09:00:00.000000Z',
                                 'Bulk', '2026-03-01T09:00:00.000000Z', '2026-03-01T09:00:00.000000Z')",
                    )
                    .bind(lab.participant.to_string())
                    .execute(&mut *tx)
                    .await?;
                    tx.commit().await
                })
            });
            *wrote.lock().unwrap() = Some((result.map_err(|e| e.to_string()), took.elapsed()));
        }
    };
    let never = AtomicBool::new(false);
    let mut out = Vec::new();
    let outcome = f
        .store
        .export_query_csv(
            &q,
            &mut out,
            CsvOptions::default(),
            ExportProgress {
                on_rows: &on_rows,
                cancelled: &never,
            },
        )
        .await
        .unwrap();
    let (result, took) = wrote.lock().unwrap().take().expect("the write ran");
    result.unwrap();
    assert!(
        took < std::time::Duration::from_secs(5),
        "the write waited {took:?}"
    );
    assert_eq!(outcome, ExportOutcome::Finished { rows: 30_000 });
    let records = read_csv(std::str::from_utf8(&out).unwrap());
    assert!(records[1..].iter().all(|r| r[0] != "ZZZLATE"));
    assert!(
        records[1..].iter().all(|r| r[1] != "999"),
        "rows from after the write"
    );
    assert_eq!(f.store.query_count(&q).await.unwrap(), 30_001);
}

/// Every field of every entity can be shown, filtered and sorted by on real rows: each
/// expression is valid SQL and each cell reads as its type.
#[tokio::test]
async fn every_field_of_every_entity_shows_filters_and_sorts_on_real_rows() {
    let s = Seeded::new().await;
    for entity in QueryEntity::ALL {
        let fs = fields(entity);
        let columns: Vec<&str> = fs.iter().map(|f| f.key).collect();
        let q = query(entity, FilterGroup::default(), &columns, &[]);
        let total = s.f.store.query_count(&q).await.unwrap();
        assert!(total > 0, "{entity:?}");
        let kinds = s.f.store.query_columns(&q).await.unwrap();
        let rows = s.f.store.query_preview(&q, page(1, 200)).await.unwrap();
        for row in &rows.items {
            for (cell, column) in row.cells.iter().zip(&kinds) {
                let fits = matches!(
                    (cell, column.kind),
                    (Value::Empty, _)
                        | (Value::Text(_), ColumnKind::Text)
                        | (Value::Integer(_), ColumnKind::Integer)
                        | (Value::Decimal(_), ColumnKind::Decimal)
                        | (Value::Time(_), ColumnKind::Time)
                );
                assert!(fits, "{entity:?} {}: {cell:?}", column.key);
            }
        }
        for field in fs {
            for (op, values) in [(Operator::IsEmpty, vec![]), (Operator::IsNotEmpty, vec![])] {
                let filtered = Query {
                    filter: all(vec![cond(field.key, op, &values)]),
                    sort: vec![Sort {
                        field: field.key.into(),
                        descending: true,
                    }],
                    ..q.clone()
                };
                let n = s.f.store.query_count(&filtered).await.unwrap();
                let p =
                    s.f.store
                        .query_preview(&filtered, page(1, 200))
                        .await
                        .unwrap_or_else(|e| panic!("{entity:?} {}: {e}", field.key));
                assert_eq!(p.total, n);
            }
        }
        // Exported whole: as many rows as counted.
        let bytes = export(&s.f, &q, false).await;
        let records = read_csv(std::str::from_utf8(&bytes).unwrap());
        assert_eq!(records.len() as u64, total + 1, "{entity:?}");
    }
}

fn refusal(result: Result<impl std::fmt::Debug, StoreError>) -> (String, String) {
    match result {
        Err(StoreError::Domain(DomainError::Invalid { field, problem })) => {
            (field.to_owned(), problem)
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
}

/// An unknown field, a comparison its type does not offer and a value of the wrong kind
/// are refused before any SQL, with what to do instead; an export writes nothing.
#[tokio::test]
async fn unknown_fields_wrong_operators_and_bad_values_are_refused_clearly() {
    let f = fixture().await;
    let q = |item: FilterItem| query(QueryEntity::Samples, all(vec![item]), &["code"], &[]);
    let cases = [
        (
            q(cond("shoe_size", Operator::Equals, &["42"])),
            "filter",
            "Samples have no field “shoe_size”; choose one from the list",
        ),
        (
            q(cond("volume_ul", Operator::Contains, &["5"])),
            "volume_ul",
            "“contains” does not apply to Volume (µL), which is a whole number; use one of: is, is not, is less than, is at most, is greater than, is at least, is between, is empty, is not empty",
        ),
        (
            q(cond("volume_ul", Operator::AtLeast, &["lots"])),
            "volume_ul",
            "Volume (µL) takes a whole number such as 250, not “lots”",
        ),
        (
            q(cond("collected_at", Operator::LessThan, &["yesterday"])),
            "collected_at",
            "Collected at takes a date and time with its offset, such as 2026-03-01T09:30:00Z, not “yesterday”",
        ),
        (
            q(cond("status", Operator::Equals, &["lost"])),
            "status",
            "Status is one of collected, in_transit, received, processing, stored, checked_out, depleted, disposed; “lost” is not among them",
        ),
        (
            q(cond("volume_ul", Operator::Between, &["1"])),
            "volume_ul",
            "Volume (µL) is between takes two values, the lowest and the highest, not 1",
        ),
        (
            query(QueryEntity::Boxes, FilterGroup::default(), &["barcode", "collector"], &[]),
            "columns",
            "Boxes have no field “collector”; choose one from the list",
        ),
    ];
    for (bad, field, problem) in cases {
        assert_eq!(
            refusal(f.store.query_preview(&bad, page(1, 10)).await),
            (field.to_owned(), problem.to_owned())
        );
        assert_eq!(refusal(f.store.query_count(&bad).await).0, field);
        assert_eq!(refusal(f.store.query_columns(&bad).await).0, field);
        let (on_rows, cancelled) = no_progress();
        let mut out = Vec::new();
        let exported = f
            .store
            .export_query_csv(
                &bad,
                &mut out,
                CsvOptions::default(),
                ExportProgress {
                    on_rows: &on_rows,
                    cancelled: &cancelled,
                },
            )
            .await;
        assert_eq!(refusal(exported).0, field);
        assert!(out.is_empty(), "nothing written for a refused export");
    }
}
