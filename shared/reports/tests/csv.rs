//! The CSV writer, read back with an independent reader (the `csv` crate's `Reader`).

use aliquot_reports::csv::{neutralise, table_csv, CsvExport, CsvOptions};
use aliquot_reports::{Column, ColumnKind, ReportError, Table, Value};
use chrono::{TimeZone, Utc};
use proptest::prelude::*;

fn text_column() -> Vec<Column> {
    vec![Column::new("text", "Text", ColumnKind::Text)]
}

/// Every record of `bytes` (after the header), as strings, read with a strict reader.
fn read_back(bytes: &[u8]) -> (Vec<String>, Vec<Vec<String>>) {
    assert!(
        !bytes.starts_with(b"\xEF\xBB\xBF"),
        "a BOM nobody asked for"
    );
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(bytes);
    let header = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    let rows = reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect();
    (header, rows)
}

/// What a text cell must read back as: itself, or `'` and itself when it starts a formula.
fn expected(text: &str) -> String {
    match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r' | '\0') => format!("'{text}"),
        _ => text.to_owned(),
    }
}

fn hostile() -> Vec<&'static str> {
    vec![
        "plain",
        "say \"hello\"",
        "\"\"doubled\"\"",
        "\"",
        "\"\"",
        "a,b",
        "a;b",
        ",",
        ";",
        "line\nbreak",
        "windows\r\nbreak",
        "lone\rcr",
        "\n",
        "\r\n",
        "  leading and trailing  ",
        " ",
        "",
        "Ελληνικά",
        "Дмитрий",
        "王小明",
        "العربية",
        "שָׁלוֹם",
        "🧪🧬 emoji",
        "e\u{301}\u{302} combining",
        "nul\0inside",
        "\0leading nul",
        "=HYPERLINK(\"http://x\")",
        "+1+1",
        "-2+3",
        "@SUM(A1)",
        "\t=1",
        "\r=1",
        "=1,\"2\"\n3",
        "-5",
        "'already quoted",
        "a=b",
    ]
}

#[test]
fn a_hostile_corpus_reads_back_exactly_but_for_neutralised_formula_starts() {
    let table = Table {
        title: "Hostile".into(),
        columns: vec![
            Column::new("text", "Text", ColumnKind::Text),
            Column::new("n", "Row", ColumnKind::Integer),
        ],
        rows: hostile()
            .into_iter()
            .enumerate()
            .map(|(i, s)| vec![Value::text(s), Value::Integer(i as i64)])
            .collect(),
        rows_left_out: 0,
    };
    let bytes = table_csv(&table, CsvOptions::default()).unwrap();
    let (header, rows) = read_back(&bytes);
    assert_eq!(header, vec!["Text", "Row"]);
    assert_eq!(rows.len(), hostile().len());
    for (i, (row, original)) in rows.iter().zip(hostile()).enumerate() {
        assert_eq!(row[0], expected(original), "cell {original:?}");
        assert_eq!(row[1], i.to_string());
    }
    // The formula starts really were defused, not merely read back as written.
    let formulas = [
        "=HYPERLINK(\"http://x\")",
        "+1+1",
        "-2+3",
        "@SUM(A1)",
        "\t=1",
    ];
    for f in formulas {
        assert!(
            rows.iter().any(|r| r[0] == format!("'{f}")),
            "{f:?} not neutralised"
        );
        assert!(!rows.iter().any(|r| r[0] == f), "{f:?} written live");
    }
}

#[test]
fn a_single_text_column_keeps_empty_cells_as_rows() {
    let columns = text_column();
    let mut export = CsvExport::new(Vec::new(), &columns, CsvOptions::default()).unwrap();
    for s in ["", "x", ""] {
        export.write_row(&[Value::text(s)]).unwrap();
    }
    assert_eq!(export.rows(), 3);
    let (_, rows) = read_back(&export.finish().unwrap());
    assert_eq!(rows, vec![vec![""], vec!["x"], vec![""]]);
}

#[test]
fn negative_numbers_stay_numbers_but_a_negative_text_is_prefixed() {
    let table = Table {
        title: "Numbers".into(),
        columns: vec![
            Column::new("i", "Integer", ColumnKind::Integer),
            Column::new("d", "Decimal", ColumnKind::Decimal),
            Column::new("t", "Text", ColumnKind::Text),
        ],
        rows: vec![
            vec![Value::Integer(-5), Value::Decimal(-0.25), Value::text("-5")],
            vec![
                Value::Integer(i64::MIN),
                Value::Decimal(1e-7),
                Value::Integer(-3),
            ],
            vec![
                Value::Empty,
                Value::Decimal(f64::NAN),
                Value::Decimal(f64::INFINITY),
            ],
        ],
        rows_left_out: 0,
    };
    let (header, rows) = read_back(&table_csv(&table, CsvOptions::default()).unwrap());
    assert_eq!(header, vec!["Integer", "Decimal", "Text"]);
    assert_eq!(rows[0], vec!["-5", "-0.25", "'-5"]);
    assert_eq!(rows[0][0].parse::<i64>().unwrap(), -5);
    assert_eq!(rows[0][1].parse::<f64>().unwrap(), -0.25);
    assert_eq!(rows[1][0].parse::<i64>().unwrap(), i64::MIN);
    assert_eq!(rows[1][1].parse::<f64>().unwrap(), 1e-7);
    // A number in a text column is text: the column's kind decides.
    assert_eq!(rows[1][2], "'-3");
    // Not-a-number and infinity are empty cells.
    assert_eq!(rows[2], vec!["", "", ""]);
}

#[test]
fn text_in_a_number_column_is_still_neutralised() {
    let columns = vec![Column::new("n", "Count", ColumnKind::Integer)];
    let mut export = CsvExport::new(Vec::new(), &columns, CsvOptions::default()).unwrap();
    export.write_row(&[Value::text("=1+1")]).unwrap();
    let (_, rows) = read_back(&export.finish().unwrap());
    assert_eq!(rows, vec![vec!["'=1+1"]]);
}

#[test]
fn the_bom_is_there_only_when_asked_for() {
    let columns = text_column();
    let with = CsvExport::new(Vec::new(), &columns, CsvOptions { bom: true })
        .unwrap()
        .finish()
        .unwrap();
    assert_eq!(with, b"\xEF\xBB\xBFText\r\n");
    let without = CsvExport::new(Vec::new(), &columns, CsvOptions::default())
        .unwrap()
        .finish()
        .unwrap();
    assert_eq!(without, b"Text\r\n");
    assert!(!CsvOptions::default().bom);
}

#[test]
fn the_header_is_the_labels_neutralised() {
    let columns = vec![
        Column::new("code", "Sample code", ColumnKind::Text),
        Column::new("volume", "Volume, µl", ColumnKind::Decimal),
        Column::new("evil", "=cmd|' /C calc'!A0", ColumnKind::Integer),
    ];
    let bytes = CsvExport::new(Vec::new(), &columns, CsvOptions::default())
        .unwrap()
        .finish()
        .unwrap();
    let (header, rows) = read_back(&bytes);
    assert_eq!(
        header,
        vec!["Sample code", "Volume, µl", "'=cmd|' /C calc'!A0"]
    );
    assert!(rows.is_empty());
}

#[test]
fn a_row_of_the_wrong_width_is_refused_and_the_rows_before_it_stay() {
    let columns = vec![
        Column::new("a", "A", ColumnKind::Text),
        Column::new("b", "B", ColumnKind::Integer),
    ];
    let mut export = CsvExport::new(Vec::new(), &columns, CsvOptions::default()).unwrap();
    export
        .write_row(&[Value::text("one"), Value::Integer(1)])
        .unwrap();
    let err = export.write_row(&[Value::text("short")]).unwrap_err();
    assert!(
        matches!(
            err,
            ReportError::RowWidth {
                expected: 2,
                got: 1
            }
        ),
        "{err:?}"
    );
    let err = export
        .write_row(&[Value::Empty, Value::Empty, Value::Empty])
        .unwrap_err();
    assert!(matches!(
        err,
        ReportError::RowWidth {
            expected: 2,
            got: 3
        }
    ));
    assert_eq!(export.rows(), 1);
    export
        .write_row(&[Value::text("two"), Value::Integer(2)])
        .unwrap();
    assert_eq!(export.rows(), 2);
    let (_, rows) = read_back(&export.finish().unwrap());
    assert_eq!(rows, vec![vec!["one", "1"], vec!["two", "2"]]);
}

#[test]
fn table_csv_refuses_a_ragged_table() {
    let table = Table {
        title: "Ragged".into(),
        columns: text_column(),
        rows: vec![vec![Value::text("a")], vec![]],
        rows_left_out: 0,
    };
    assert!(matches!(
        table_csv(&table, CsvOptions::default()),
        Err(ReportError::RowWidth { .. })
    ));
}

#[test]
fn times_are_rfc3339_in_utc() {
    let columns = vec![
        Column::new("at", "At", ColumnKind::Time),
        Column::new("note", "Note", ColumnKind::Text),
    ];
    let whole = Utc.with_ymd_and_hms(2024, 5, 1, 9, 30, 0).unwrap();
    let fraction = whole + chrono::Duration::microseconds(250_600);
    let mut export = CsvExport::new(Vec::new(), &columns, CsvOptions::default()).unwrap();
    export
        .write_row(&[Value::Time(whole), Value::Time(whole)])
        .unwrap();
    export
        .write_row(&[Value::Time(fraction), Value::Empty])
        .unwrap();
    let (_, rows) = read_back(&export.finish().unwrap());
    assert_eq!(rows[0][0], "2024-05-01T09:30:00Z");
    // In a text column too: a time starts with a digit, nothing to defuse.
    assert_eq!(rows[0][1], "2024-05-01T09:30:00Z");
    assert_eq!(rows[1][0], "2024-05-01T09:30:00.250Z");
    let parsed = chrono::DateTime::parse_from_rfc3339(&rows[0][0]).unwrap();
    assert_eq!(parsed, whole);
}

#[test]
fn neutralise_borrows_what_it_leaves_alone() {
    assert!(matches!(
        neutralise("S-0001"),
        std::borrow::Cow::Borrowed("S-0001")
    ));
    assert_eq!(neutralise("-1"), "'-1");
    assert_eq!(neutralise(""), "");
    for c in ['=', '+', '-', '@', '\t', '\r', '\0'] {
        assert_eq!(neutralise(&format!("{c}x")), format!("'{c}x"));
    }
    assert_eq!(neutralise(" =1"), " =1");
    assert_eq!(neutralise("\n=1"), "\n=1");
}

#[test]
fn a_big_export_streams_into_any_writer() {
    // Rows go straight through the csv crate's buffer: the sink sees bytes long before the
    // end, and the count is right.
    struct Counting {
        bytes: usize,
        writes: usize,
    }
    impl std::io::Write for Counting {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.bytes += buf.len();
            self.writes += 1;
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let columns = vec![
        Column::new("code", "Code", ColumnKind::Text),
        Column::new("n", "N", ColumnKind::Integer),
        Column::new("v", "Volume", ColumnKind::Decimal),
        Column::new("at", "At", ColumnKind::Time),
    ];
    let at = Utc.with_ymd_and_hms(2024, 5, 1, 9, 30, 0).unwrap();
    let sink = Counting {
        bytes: 0,
        writes: 0,
    };
    let mut export = CsvExport::new(sink, &columns, CsvOptions::default()).unwrap();
    let mut row = Vec::with_capacity(4);
    for i in 0..20_000i64 {
        row.clear();
        row.extend([
            Value::text(format!("S-{i:06}")),
            Value::Integer(i),
            Value::Decimal(i as f64 / 4.0),
            Value::Time(at),
        ]);
        export.write_row(&row).unwrap();
    }
    assert_eq!(export.rows(), 20_000);
    let sink = export.finish().unwrap();
    assert!(sink.writes > 10, "written in one piece: {}", sink.writes);
    assert!(sink.bytes > 20_000 * 30);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_text_round_trips_modulo_neutralisation(
        cells in proptest::collection::vec(
            proptest::collection::vec(
                prop_oneof![
                    any::<char>(),
                    proptest::sample::select(vec![
                        '=', '+', '-', '@', '\t', '\r', '\0', '"', ',', ';', '\n', ' ',
                    ]),
                ],
                0..24,
            )
                .prop_map(|cs| cs.into_iter().collect::<String>()),
            1..8,
        )
    ) {
        let mut export = CsvExport::new(Vec::new(), &text_column(), CsvOptions::default())
            .unwrap();
        for cell in &cells {
            export.write_row(&[Value::text(cell.clone())]).unwrap();
        }
        let bytes = export.finish().unwrap();
        let (_, rows) = read_back(&bytes);
        prop_assert_eq!(rows.len(), cells.len());
        for (row, cell) in rows.iter().zip(&cells) {
            prop_assert_eq!(&row[0], &expected(cell));
        }
    }
}
