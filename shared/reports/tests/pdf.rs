//! The PDF writer, read back with poppler's `pdftotext`, `pdfinfo` and `pdffonts`
//! (poppler-utils). A missing tool fails the test: it is never skipped.

use aliquot_reports::pdf::report_pdf;
use aliquot_reports::{
    Chart, ChartKind, Column, ColumnKind, Figure, Parameter, Report, ReportError, Series, Table,
    Value,
};
use chrono::{Duration, TimeZone, Utc};
use std::path::Path;
use std::process::Command;

const NAMES: [&str; 4] = [
    "Дмитрий Иванов",
    "Ødegård Åse",
    "Ελένη Παπαδοπούλου",
    "Zoë O'Brien",
];

fn poppler(tool: &str, args: &[&str], file: &Path) -> String {
    let output = Command::new(tool)
        .args(args)
        .arg(file)
        .args(if tool == "pdftotext" {
            &["-"][..]
        } else {
            &[][..]
        })
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "could not run {tool} (install poppler-utils: apt-get install poppler-utils): {e}"
            )
        });
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{tool} failed: {stderr}");
    assert!(
        !stderr.contains("Error"),
        "{tool} found errors in the PDF: {stderr}"
    );
    String::from_utf8(output.stdout).unwrap()
}

/// Writes `pdf` into a temporary directory; the text of each page, by `pdftotext -layout`.
fn pages_of(pdf: &[u8]) -> (tempfile::TempDir, std::path::PathBuf, Vec<String>) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("report.pdf");
    std::fs::write(&file, pdf).unwrap();
    let text = poppler("pdftotext", &["-layout", "-enc", "UTF-8"], &file);
    let mut pages: Vec<String> = text.split('\u{c}').map(str::to_owned).collect();
    if pages.last().is_some_and(|p| p.trim().is_empty()) {
        pages.pop();
    }
    (dir, file, pages)
}

fn samples_table(rows: usize) -> Table {
    let start = Utc.with_ymd_and_hms(2024, 1, 1, 8, 0, 0).unwrap();
    Table {
        title: "Samples in freezer F-12".into(),
        columns: vec![
            Column::new("code", "Sample code", ColumnKind::Text),
            Column::new("participant", "Participant", ColumnKind::Text),
            Column::new("volume", "Volume (µl)", ColumnKind::Decimal),
            Column::new("aliquots", "Aliquots", ColumnKind::Integer),
            Column::new("received", "Received", ColumnKind::Time),
        ],
        rows: (1..=rows)
            .map(|i| {
                vec![
                    Value::text(format!("S-{i:05}")),
                    Value::text(NAMES[(i - 1) % NAMES.len()]),
                    Value::Decimal(i as f64 * 0.5 + 100.25),
                    Value::Integer(i as i64 % 7 - 3),
                    Value::Time(start + Duration::minutes(i as i64 * 97)),
                ]
            })
            .collect(),
        rows_left_out: 0,
    }
}

fn report() -> Report {
    Report {
        title: "Freezer inventory".into(),
        lab_name: "Ødegård Biobank — Лаборатория".into(),
        parameters: vec![
            Parameter {
                name: "Freezer".into(),
                value: "F-12 (−80 °C), room 3.041".into(),
            },
            Parameter {
                name: "Period".into(),
                value: "2024-01-01 to 2024-03-31".into(),
            },
        ],
        made_at: Utc.with_ymd_and_hms(2024, 4, 2, 10, 15, 42).unwrap(),
        made_by: "alice (Alice Ødegård)".into(),
        figures: vec![
            Figure {
                label: "Samples stored".into(),
                value: Value::Integer(1204),
            },
            Figure {
                label: "Mean volume (µl)".into(),
                value: Value::Decimal(250.125),
            },
        ],
        charts: vec![Chart {
            title: "Samples received per month".into(),
            kind: ChartKind::Bar,
            labels: vec!["January".into(), "February".into(), "March".into()],
            series: vec![
                Series {
                    name: "Received".into(),
                    values: vec![112.0, 97.0, 91.0],
                },
                Series {
                    name: "Disposed".into(),
                    values: vec![3.0, 0.0, 12.0],
                },
            ],
            table: 1,
        }],
        tables: vec![
            samples_table(300),
            Table {
                title: "Per month".into(),
                columns: vec![
                    Column::new("month", "Month", ColumnKind::Text),
                    Column::new("received", "Received", ColumnKind::Integer),
                    Column::new("disposed", "Disposed", ColumnKind::Integer),
                ],
                rows: vec![
                    vec![
                        Value::text("January"),
                        Value::Integer(112),
                        Value::Integer(3),
                    ],
                    vec![
                        Value::text("February"),
                        Value::Integer(97),
                        Value::Integer(0),
                    ],
                    vec![Value::text("March"), Value::Integer(91), Value::Integer(12)],
                ],
                rows_left_out: 0,
            },
        ],
        warnings: vec![
            "Custody gap: S-99017 was out of storage from 2024-02-01 to 2024-02-03 with no scan."
                .into(),
        ],
    }
}

/// The lines of `page` holding `needle`.
fn lines_with<'a>(page: &'a str, needle: &str) -> Vec<&'a str> {
    page.lines().filter(|l| l.contains(needle)).collect()
}

#[test]
fn a_report_reads_back_with_pdftotext() {
    let report = report();
    let pdf = report_pdf(&report).unwrap();
    eprintln!("300-row report: {} bytes", pdf.len());
    assert!(pdf.starts_with(b"%PDF-"));
    let (_dir, file, pages) = pages_of(&pdf);
    let n = pages.len();
    assert!(n >= 3, "300 rows on {n} pages");

    // Every page: the lab, the title, the footer.
    for (i, page) in pages.iter().enumerate() {
        assert!(
            page.contains("Ødegård Biobank — Лаборатория"),
            "page {}: {page}",
            i + 1
        );
        assert!(page.contains("Freezer inventory"), "page {}", i + 1);
        let footer = format!(
            "Made 2024-04-02 10:15 UTC by alice (Alice Ødegård) · Page {} of {n}",
            i + 1
        );
        assert!(
            page.contains(&footer),
            "page {}: no {footer:?} in\n{page}",
            i + 1
        );
    }
    assert!(pages[0].contains(&format!("Page 1 of {n}")));
    assert!(pages[n - 1].contains(&format!("Page {n} of {n}")));

    // Page 1: parameters, figures, the warning, the chart.
    let first = &pages[0];
    assert!(
        first.contains("Freezer: F-12 (−80 °C), room 3.041"),
        "{first}"
    );
    assert!(first.contains("Period: 2024-01-01 to 2024-03-31"));
    assert!(first.contains("Samples stored: 1204"));
    assert!(first.contains("Mean volume (µl): 250.125"));
    assert!(
        first.contains("Warning: Custody gap: S-99017 was out of storage"),
        "{first}"
    );
    assert!(first.contains("Samples received per month"));
    for label in [
        "January", "February", "March", "Received", "Disposed", "112", "97",
    ] {
        assert!(first.contains(label), "chart: no {label}");
    }

    // The table: row 1 on page 1, row 300 further on, every cell on its row's line.
    let row1 = lines_with(first, "S-00001 ");
    assert_eq!(row1.len(), 1, "{first}");
    for cell in ["Дмитрий Иванов", "100.75", "-2", "2024-01-01 09:37:00 UTC"] {
        assert!(row1[0].contains(cell), "row 1 has no {cell:?}: {}", row1[0]);
    }
    let all = pages.join("\n");
    let row300 = lines_with(&all, "S-00300");
    assert_eq!(row300.len(), 1);
    for cell in ["Zoë O'Brien", "250.25", " 3 ", "2024-01-21 13:00:00 UTC"] {
        assert!(
            row300[0].contains(cell),
            "row 300 has no {cell:?}: {}",
            row300[0]
        );
    }
    for i in 1..=300 {
        assert_eq!(lines_with(&all, &format!("S-{i:05}")).len(), 1, "row {i}");
    }

    // The header row again on page 2, under the table's title.
    let second = &pages[1];
    assert!(
        second.contains("Samples in freezer F-12 (continued)"),
        "{second}"
    );
    let header = lines_with(second, "Sample code");
    assert_eq!(header.len(), 1, "{second}");
    for h in ["Participant", "Volume (µl)", "Aliquots", "Received"] {
        assert!(header[0].contains(h), "page 2 header has no {h}");
    }
    assert!(all.contains("Ελένη Παπαδοπούλου"));
    assert!(all.contains("Дмитрий"));
    assert!(all.contains("Per month"));
    assert!(!all.contains("more rows"));

    // The fonts are embedded subsets; the page is A4 portrait.
    let fonts = poppler("pdffonts", &[], &file);
    let embedded: Vec<&str> = fonts.lines().filter(|l| l.contains("DejaVuSans")).collect();
    assert_eq!(embedded.len(), 2, "{fonts}");
    for line in embedded {
        assert!(line.contains(" yes yes "), "not an embedded subset: {line}");
    }
    let info = poppler("pdfinfo", &[], &file);
    assert!(info.contains("595.276 x 841.89"), "{info}");
    assert!(info.contains(&format!("Pages:           {n}")), "{info}");
    assert!(pdf.len() < 250_000, "{} bytes", pdf.len());
}

#[test]
fn rows_left_out_are_announced_under_the_table() {
    let mut report = report();
    report.charts.clear();
    report.tables = vec![Table {
        rows_left_out: 4321,
        ..samples_table(5)
    }];
    let (_dir, _file, pages) = pages_of(&report_pdf(&report).unwrap());
    assert_eq!(pages.len(), 1);
    let line = lines_with(&pages[0], "more rows");
    assert_eq!(line.len(), 1, "{}", pages[0]);
    assert!(
        line[0].contains("… and 4321 more rows, in the CSV export"),
        "{}",
        line[0]
    );
    assert!(pages[0].contains("S-00005"));
}

#[test]
fn the_same_report_gives_the_same_bytes() {
    let report = report();
    assert_eq!(report_pdf(&report).unwrap(), report_pdf(&report).unwrap());
    let mut other = report.clone();
    other.made_by = "bob".into();
    assert_ne!(report_pdf(&report).unwrap(), report_pdf(&other).unwrap());
}

#[test]
fn a_wide_table_turns_the_page_and_long_cells_wrap_whole() {
    let long = "A very long free-text note that cannot possibly fit in its column ".repeat(4);
    let columns: Vec<Column> = (1..=9)
        .map(|i| Column::new(&format!("c{i}"), &format!("Column {i}"), ColumnKind::Text))
        .collect();
    let report = Report {
        title: "Wide".into(),
        lab_name: "Lab".into(),
        parameters: vec![],
        made_at: Utc.with_ymd_and_hms(2024, 4, 2, 10, 15, 0).unwrap(),
        made_by: "alice".into(),
        figures: vec![],
        charts: vec![
            Chart {
                title: "Stacked".into(),
                kind: ChartKind::StackedBar,
                labels: vec!["Box 1".into(), "Box 2".into()],
                series: vec![
                    Series {
                        name: "Used".into(),
                        values: vec![60.0, 81.0],
                    },
                    Series {
                        name: "Free".into(),
                        values: vec![21.0, 0.0],
                    },
                ],
                table: 0,
            },
            Chart {
                title: "Per day".into(),
                kind: ChartKind::Line,
                labels: (1..=60).map(|d| format!("2024-03-{d:02}")).collect(),
                series: vec![Series {
                    name: "Received".into(),
                    values: (1..=60).map(|d| f64::from(d % 9)).collect(),
                }],
                table: 0,
            },
        ],
        tables: vec![Table {
            title: "Notes".into(),
            columns,
            rows: vec![(1..=9)
                .map(|i| Value::text(format!("N{i} {long}")))
                .collect()],
            rows_left_out: 0,
        }],
        warnings: vec![],
    };
    let pdf = report_pdf(&report).unwrap();
    let (_dir, file, pages) = pages_of(&pdf);
    let info = poppler("pdfinfo", &[], &file);
    assert!(info.contains("841.89 x 595.276"), "{info}");
    let all = pages.join("\n");
    for i in 1..=9 {
        assert!(all.contains(&format!("Column {i}")), "{all}");
        assert!(all.contains(&format!("N{i} A very")), "{all}");
    }
    // Every word of every cell is there: a long cell wraps onto more lines, never cut.
    assert_eq!(all.matches("possibly").count(), 9 * 4, "{all}");
    assert!(!all.contains('…'), "{all}");
    for label in ["Stacked", "Box 1", "Box 2", "81", "Per day"] {
        assert!(all.contains(label), "no {label}");
    }
}

#[test]
fn a_ragged_table_is_refused() {
    let mut report = report();
    report.tables[1].rows[0].pop();
    assert!(matches!(
        report_pdf(&report),
        Err(ReportError::RowWidth {
            expected: 3,
            got: 2
        })
    ));
}

#[test]
fn an_empty_report_is_one_page() {
    let report = Report {
        title: "Nothing".into(),
        lab_name: "Lab".into(),
        parameters: vec![],
        made_at: Utc.with_ymd_and_hms(2024, 4, 2, 10, 15, 0).unwrap(),
        made_by: "alice".into(),
        figures: vec![],
        charts: vec![],
        tables: vec![Table {
            title: "Empty".into(),
            columns: vec![Column::new("a", "A", ColumnKind::Text)],
            rows: vec![],
            rows_left_out: 0,
        }],
        warnings: vec![],
    };
    let (_dir, _file, pages) = pages_of(&report_pdf(&report).unwrap());
    assert_eq!(pages.len(), 1);
    assert!(pages[0].contains("No rows."));
    assert!(pages[0].contains("Page 1 of 1"));
}
