//! Untrusted text cannot take over the printer. Label data comes from people (site and
//! event names, box names, locations) and from other systems; in ZPL `^` and `~` start
//! commands, so a box named `^XZ^XA^FO0,0^FDX^FS` would end the label and print another,
//! and `~JA` would cancel every job in the printer. Each test feeds such data and checks
//! that it comes out as literal text inside exactly one label, both in the bytes and as an
//! independent parser (labelize) reads them.

mod common;

use aliquot_labels::{tspl, zpl, Dpi, LabelData, LabelError, LabelTemplate};
use labelize::elements::label_element::LabelElement;
use labelize::{TsplParser, ZplParser};
use proptest::prelude::*;

const ATTACKS: [&str; 5] = [
    "^XZ^XA^FO0,0^FDX^FS",
    "~JA",
    "_5E_7E^FS~JR",
    "\\^FS\\~JA",
    "X^FS^XZ^XA^FO0,0^FDINJECTED^FS^XZ",
];

fn zpl_texts(zpl: &str) -> (usize, Vec<String>) {
    let labels = ZplParser::new().parse(zpl.as_bytes()).expect("parses");
    let texts = labels
        .iter()
        .flat_map(|l| l.elements.iter())
        .filter_map(|e| match e {
            LabelElement::Text(t) => Some(t.text.clone()),
            _ => None,
        })
        .collect();
    (labels.len(), texts)
}

/// The `^FD` data of every field, as the printer sees it after `^FH_`.
fn field_data(zpl: &str) -> Vec<Vec<u8>> {
    zpl.split("^FD")
        .skip(1)
        .map(|rest| zpl::unescape_field(rest.split("^FS").next().unwrap_or("")))
        .collect()
}

fn site_label(site: &str) -> Result<String, LabelError> {
    let mut s = common::sample(&common::sample_code(1));
    s.site = site.to_owned();
    let label = LabelTemplate::Tube2x1.bind(&LabelData::Sample(s))?;
    zpl::render(&label, Dpi::D203, 1)
}

fn assert_one_label_with(zpl: &str, text: &str) {
    assert_eq!(zpl.matches("^XA").count(), 1, "{zpl}");
    assert_eq!(zpl.matches("^XZ").count(), 1, "{zpl}");
    assert!(!zpl.contains('~'), "no raw tilde: {zpl}");
    assert!(
        field_data(zpl).iter().any(|d| d == text.as_bytes()),
        "{text:?} is one field's data: {zpl}"
    );
    let (labels, texts) = zpl_texts(zpl);
    assert_eq!(labels, 1, "labelize sees one label: {zpl}");
    assert!(texts.iter().any(|t| t == text), "{text:?} in {texts:?}");
}

#[test]
fn zpl_commands_in_every_free_text_field_print_as_text() {
    for attack in ATTACKS {
        assert_one_label_with(&site_label(attack).expect("renders"), attack);

        let mut s = common::sample(&common::sample_code(2));
        s.event = attack.to_owned();
        let label = LabelTemplate::Tube2x1
            .bind(&LabelData::Sample(s))
            .expect("binds");
        assert_one_label_with(&zpl::render(&label, Dpi::D600, 1).expect("zpl"), attack);

        let mut b = common::storage_box();
        b.box_name = attack.to_owned();
        b.location = attack.to_owned();
        let label = LabelTemplate::StorageBox
            .bind(&LabelData::StorageBox(b))
            .expect("binds");
        assert_one_label_with(&zpl::render(&label, Dpi::D300, 1).expect("zpl"), attack);
    }
}

#[test]
fn a_backslash_ampersand_is_refused_because_zebra_reads_it_as_a_line_break() {
    let err = site_label("North\\&South").unwrap_err();
    assert!(err.to_string().contains("line break"), "{err}");
    // A backslash elsewhere prints.
    assert_one_label_with(&site_label("C:\\lab").expect("renders"), "C:\\lab");
}

#[test]
fn commands_in_a_barcode_are_refused_not_escaped_into_the_symbol() {
    let mut s = common::sample("AQ^XZ");
    s.sample_code = "AQ^XZ~JA".into();
    let err = LabelTemplate::Cryovial(aliquot_labels::Symbology::QrCode)
        .bind(&LabelData::Sample(s))
        .unwrap_err();
    assert!(
        matches!(err, LabelError::CodeCharacter { ch: '^', .. }),
        "{err}"
    );
}

#[test]
fn tspl_quotes_stay_inside_their_string() {
    let attack = "\",0,1,1,\"X\"\nPRINT 99";
    let mut b = common::storage_box();
    b.box_name = "A\",PRINT 99,\"".to_owned();
    let label = LabelTemplate::StorageBox
        .bind(&LabelData::StorageBox(b))
        .expect("binds");
    let bytes = tspl::render(&label, Dpi::D203, 1).expect("tspl");
    assert_eq!(bytes.matches("PRINT").count(), 2, "{bytes}"); // the data's and the real one
    assert_eq!(bytes.lines().filter(|l| l.starts_with("PRINT")).count(), 1);
    let labels = TsplParser::new().parse(bytes.as_bytes()).expect("parses");
    assert_eq!(labels.len(), 1);
    let texts: Vec<String> = labels[0]
        .elements
        .iter()
        .filter_map(|e| match e {
            LabelElement::Text(t) => Some(t.text.clone()),
            _ => None,
        })
        .collect();
    assert!(texts.contains(&"A\",PRINT 99,\"".to_owned()), "{texts:?}");

    // A line break would start a new command: refused when the label is bound.
    let mut b = common::storage_box();
    b.location = attack.to_owned();
    let err = LabelTemplate::StorageBox
        .bind(&LabelData::StorageBox(b))
        .unwrap_err();
    assert!(matches!(err, LabelError::ControlCharacter { .. }), "{err}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Random bytes through the escaping: no panic, nothing but safe characters and `_XX`
    /// escapes, no command character, and the printer's unescaping gives the bytes back.
    #[test]
    fn field_escaping_round_trips_any_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let escaped = zpl::escape_bytes(&bytes);
        prop_assert!(!escaped.contains('^') && !escaped.contains('~'));
        prop_assert!(escaped.is_ascii());
        prop_assert!(!escaped.contains('\n') && !escaped.contains('\r'));
        prop_assert_eq!(zpl::unescape_field(&escaped), bytes);
    }

    /// Any text (no control characters; those are refused at binding) in a free-text field:
    /// one label, no raw `^`/`~` from the data, the field's data unescapes to the input
    /// bytes, and labelize reads the same text back.
    #[test]
    fn any_site_name_prints_as_itself_in_one_label(
        site in prop_oneof!["[ -~\u{a0}-\u{ff}]{1,12}", "[^\\p{Cc}]{1,12}"]
    ) {
        // What the label fonts cannot draw is refused, never printed as boxes.
        if let Some(ch) = site.chars().find(|c| !aliquot_labels::vector::has_glyph(*c)) {
            let refused = matches!(site_label(&site), Err(LabelError::NoGlyph { ch: c, .. }) if c == ch);
            prop_assert!(refused, "{:?}", site);
            return Ok(());
        }
        if site.contains("\\&") {
            let refused = matches!(site_label(&site), Err(LabelError::NotPrintable { ch: '&', .. }));
            prop_assert!(refused);
            return Ok(());
        }
        let zpl = site_label(&site).expect("a 12-character site fits the tube label");
        prop_assert_eq!(zpl.matches("^XA").count(), 1);
        prop_assert_eq!(zpl.matches("^XZ").count(), 1);
        prop_assert!(!zpl.contains('~'));
        prop_assert!(field_data(&zpl).iter().any(|d| d == site.as_bytes()));
        let (labels, texts) = zpl_texts(&zpl);
        prop_assert_eq!(labels, 1);
        prop_assert!(texts.iter().any(|t| t == &site), "{:?} not in {:?}", site, texts);
    }

    /// Strings built from ZPL's own vocabulary, where injection is most likely to slip through.
    #[test]
    fn zpl_vocabulary_prints_as_itself(parts in proptest::collection::vec(
        prop_oneof![Just("^XA"), Just("^XZ"), Just("^FS"), Just("^FD"), Just("~JA"), Just("~JR"),
                    Just("_"), Just("_5E"), Just("\\"), Just("^FH"), Just("^CI0"), Just("A")], 1..6)) {
        let site: String = parts.concat();
        let zpl = site_label(&site).expect("fits");
        prop_assert!(!site.contains("\\&"));
        prop_assert_eq!(zpl.matches("^XA").count(), 1);
        let (labels, texts) = zpl_texts(&zpl);
        prop_assert_eq!(labels, 1);
        prop_assert!(texts.iter().any(|t| t == &site), "{:?} not in {:?}", site, texts);
    }
}
