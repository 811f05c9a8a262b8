//! Label templates: the physical size of each label stock and where each field sits on it,
//! in millimetres, independent of any printer.
//!
//! A template is bound to the data of one sample or one box ([`LabelTemplate::bind`]); the
//! binding checks what every printer language needs alike (no control characters, a
//! barcode alphabet for coded fields, the right kind of data), so the renderers only decide
//! sizes. Geometry is data, not code, so each renderer draws the same label.

use crate::error::LabelError;
use chrono::{Datelike, NaiveDate};

/// Printer resolutions: Zebra's 8, 12 and 24 dots per millimetre.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dpi {
    D203,
    D300,
    D600,
}

impl Dpi {
    pub const ALL: [Dpi; 3] = [Dpi::D203, Dpi::D300, Dpi::D600];

    pub fn dots_per_mm(self) -> u32 {
        match self {
            Dpi::D203 => 8,
            Dpi::D300 => 12,
            Dpi::D600 => 24,
        }
    }

    /// The resolution as printers are sold and configured (203, 300, 600).
    pub fn dpi(self) -> u16 {
        match self {
            Dpi::D203 => 203,
            Dpi::D300 => 300,
            Dpi::D600 => 600,
        }
    }

    pub fn from_dpi(dpi: u16) -> Result<Dpi, LabelError> {
        Dpi::ALL
            .into_iter()
            .find(|d| d.dpi() == dpi)
            .ok_or(LabelError::UnsupportedDpi { dpi })
    }

    /// Millimetres to whole dots, rounded to the nearest dot.
    pub fn dots(self, mm: f32) -> u32 {
        // Geometry comes from templates (small, positive); the cast cannot overflow.
        (mm * self.dots_per_mm() as f32).round().max(0.0) as u32
    }
}

/// The 2D symbol a sample label carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Symbology {
    /// QR code, error correction level Q (about 25 % of the symbol may be damaged).
    QrCode,
    /// DataMatrix ECC 200, square symbols.
    DataMatrix,
}

/// A barcode as a template places it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CodeKind {
    QrCode,
    DataMatrix,
    /// Code 128, subset B, with its human-readable line underneath.
    Code128,
}

impl From<Symbology> for CodeKind {
    fn from(s: Symbology) -> CodeKind {
        match s {
            Symbology::QrCode => CodeKind::QrCode,
            Symbology::DataMatrix => CodeKind::DataMatrix,
        }
    }
}

/// The label stocks Aliquot prints on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LabelTemplate {
    /// 25.4 × 12.7 mm (1" × 0.5") cryovial side label: 2D code, sample code, participant,
    /// sample type and collection date.
    Cryovial(Symbology),
    /// 50.8 × 25.4 mm (2" × 1") tube label: QR code and six lines of text.
    Tube2x1,
    /// 76.2 × 25.4 mm (3" × 1") box label: Code 128 of the box barcode, box name, location.
    StorageBox,
}

/// Which record's field goes into an element.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    SampleCode,
    ParticipantCode,
    /// The sample type's two-letter short code (`PL`).
    SampleTypeCode,
    /// The sample type's short code and full name (`PL Plasma`).
    SampleTypeName,
    CollectionDate,
    Site,
    Event,
    BoxName,
    BoxBarcode,
    BoxLocation,
}

impl Field {
    /// The field's name in error messages.
    pub fn name(self) -> &'static str {
        match self {
            Field::SampleCode => "sample code",
            Field::ParticipantCode => "participant code",
            Field::SampleTypeCode | Field::SampleTypeName => "sample type",
            Field::CollectionDate => "collection date",
            Field::Site => "site",
            Field::Event => "event",
            Field::BoxName => "box name",
            Field::BoxBarcode => "box barcode",
            Field::BoxLocation => "box location",
        }
    }
}

/// A line of text: its top-left corner, the width it may use, and its character height
/// (the nominal size, and the smallest size it may shrink to before it is refused).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TextBox {
    pub field: Field,
    pub x_mm: f32,
    pub y_mm: f32,
    pub width_mm: f32,
    pub height_mm: f32,
    pub min_height_mm: f32,
}

/// A barcode: its top-left corner, the box it must stay inside, and the module (narrowest
/// bar or cell) size it aims for and may shrink to.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CodeBox {
    pub field: Field,
    pub kind: CodeKind,
    pub x_mm: f32,
    pub y_mm: f32,
    pub max_width_mm: f32,
    /// For 2D codes the symbol's height limit; for Code 128 the height of the bars.
    pub max_height_mm: f32,
    pub module_mm: f32,
    pub min_module_mm: f32,
}

/// Room reserved under Code 128 bars for the human-readable line.
pub const CODE128_TEXT_MM: f32 = 2.6;

/// The human-readable line under a Code 128 symbol, as an ordinary text field: every
/// renderer prints it itself (ZPL `^BC…,N`, TSPL readable 0) so its size follows the same
/// fit rule as other text instead of the printer's own choice, which at 300 dpi ran into
/// the line below.
pub fn code128_text_box(code: &CodeBox) -> TextBox {
    TextBox {
        field: code.field,
        x_mm: code.x_mm,
        y_mm: code.y_mm + code.max_height_mm + 0.3,
        width_mm: code.max_width_mm,
        height_mm: CODE128_TEXT_MM * 0.85,
        min_height_mm: 1.5,
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Element {
    Text(TextBox),
    Code(CodeBox),
}

/// What is printed about a sample; the store fills it from the sample, its participant,
/// site and collection event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SampleLabel {
    pub sample_code: String,
    pub participant_code: String,
    /// The sample type's short code and name, as the lab keeps them.
    pub sample_type_code: String,
    pub sample_type_label: String,
    /// Collection date as recorded (a date, not a clock reading).
    pub collected_on: NaiveDate,
    pub site: String,
    pub event: String,
}

/// What is printed about a storage box.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoxLabel {
    pub box_name: String,
    pub box_barcode: String,
    /// Where the box lives, e.g. "Freezer 3 / Rack B / Shelf 2".
    pub location: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LabelData {
    Sample(SampleLabel),
    StorageBox(BoxLabel),
}

impl LabelData {
    fn kind(&self) -> &'static str {
        match self {
            LabelData::Sample(_) => "sample",
            LabelData::StorageBox(_) => "box",
        }
    }
}

const fn text(
    field: Field,
    x_mm: f32,
    y_mm: f32,
    width_mm: f32,
    height_mm: f32,
    min_height_mm: f32,
) -> Element {
    Element::Text(TextBox {
        field,
        x_mm,
        y_mm,
        width_mm,
        height_mm,
        min_height_mm,
    })
}

const CRYOVIAL_TEXT: [Element; 4] = [
    text(Field::SampleCode, 11.0, 1.0, 13.8, 2.6, 1.5),
    text(Field::ParticipantCode, 11.0, 4.0, 13.8, 2.2, 1.5),
    text(Field::SampleTypeCode, 11.0, 6.6, 13.8, 2.2, 1.5),
    text(Field::CollectionDate, 11.0, 9.2, 13.8, 2.2, 1.5),
];

const TUBE_TEXT: [Element; 6] = [
    text(Field::SampleCode, 18.5, 1.5, 31.0, 4.0, 2.0),
    text(Field::ParticipantCode, 18.5, 6.2, 31.0, 3.0, 1.8),
    text(Field::SampleTypeName, 18.5, 9.8, 31.0, 3.0, 1.8),
    text(Field::CollectionDate, 18.5, 13.4, 31.0, 3.0, 1.8),
    text(Field::Site, 1.5, 18.5, 48.0, 2.6, 1.8),
    text(Field::Event, 1.5, 21.6, 48.0, 2.6, 1.8),
];

const BOX_ELEMENTS: [Element; 3] = [
    Element::Code(CodeBox {
        field: Field::BoxBarcode,
        kind: CodeKind::Code128,
        x_mm: 4.0,
        y_mm: 1.5,
        max_width_mm: 68.2,
        max_height_mm: 9.0,
        module_mm: 0.375,
        min_module_mm: 0.25,
    }),
    text(Field::BoxName, 4.0, 14.2, 68.2, 4.0, 2.0),
    text(Field::BoxLocation, 4.0, 19.6, 68.2, 3.0, 1.8),
];

impl LabelTemplate {
    pub const ALL: [LabelTemplate; 4] = [
        LabelTemplate::Cryovial(Symbology::DataMatrix),
        LabelTemplate::Cryovial(Symbology::QrCode),
        LabelTemplate::Tube2x1,
        LabelTemplate::StorageBox,
    ];

    /// A stable name, used in file names, settings and error messages.
    pub fn name(self) -> &'static str {
        match self {
            LabelTemplate::Cryovial(Symbology::DataMatrix) => "cryovial-datamatrix",
            LabelTemplate::Cryovial(Symbology::QrCode) => "cryovial-qr",
            LabelTemplate::Tube2x1 => "tube-2x1",
            LabelTemplate::StorageBox => "box",
        }
    }

    /// Width × height of the label stock in millimetres.
    pub fn size_mm(self) -> (f32, f32) {
        match self {
            LabelTemplate::Cryovial(_) => (25.4, 12.7),
            LabelTemplate::Tube2x1 => (50.8, 25.4),
            LabelTemplate::StorageBox => (76.2, 25.4),
        }
    }

    /// The gap between labels on the roll, for printers that need it (TSPL `GAP`).
    pub fn gap_mm(self) -> f32 {
        match self {
            LabelTemplate::Cryovial(_) => 2.0,
            LabelTemplate::Tube2x1 | LabelTemplate::StorageBox => 3.0,
        }
    }

    /// The elements of the label, codes first.
    pub fn elements(self) -> Vec<Element> {
        let mut out = Vec::new();
        match self {
            LabelTemplate::Cryovial(symbology) => {
                let (module, min) = match symbology {
                    // 21 modules (version 1) at 0.375 mm = 7.9 mm, 4-module quiet zone 1.5 mm.
                    Symbology::QrCode => (0.375, 0.25),
                    // 14 modules for a 9-character code at 0.5 mm = 7 mm.
                    Symbology::DataMatrix => (0.5, 0.25),
                };
                out.push(Element::Code(CodeBox {
                    field: Field::SampleCode,
                    kind: symbology.into(),
                    x_mm: 1.5,
                    y_mm: 1.5,
                    max_width_mm: 8.5,
                    max_height_mm: 9.7,
                    module_mm: module,
                    min_module_mm: min,
                }));
                out.extend(CRYOVIAL_TEXT);
            }
            LabelTemplate::Tube2x1 => {
                out.push(Element::Code(CodeBox {
                    field: Field::SampleCode,
                    kind: CodeKind::QrCode,
                    x_mm: 1.5,
                    y_mm: 1.5,
                    max_width_mm: 15.0,
                    max_height_mm: 15.0,
                    module_mm: 0.625,
                    min_module_mm: 0.25,
                }));
                out.extend(TUBE_TEXT);
            }
            LabelTemplate::StorageBox => out.extend(BOX_ELEMENTS),
        }
        out
    }

    /// Binds the template to a record: every element gets its text, checked for what no
    /// printer can take.
    pub fn bind(self, data: &LabelData) -> Result<BoundLabel, LabelError> {
        let expected = match self {
            LabelTemplate::Cryovial(_) | LabelTemplate::Tube2x1 => "sample",
            LabelTemplate::StorageBox => "box",
        };
        if expected != data.kind() {
            return Err(LabelError::WrongData {
                template: self.name(),
                expected,
                given: data.kind(),
            });
        }
        let mut items = Vec::new();
        for element in self.elements() {
            match element {
                Element::Text(spec) => {
                    let value = field_value(spec.field, data)?;
                    check_text(spec.field, &value)?;
                    items.push(BoundItem::Text { spec, value });
                }
                Element::Code(spec) => {
                    let value = field_value(spec.field, data)?;
                    check_code(spec.field, &value)?;
                    items.push(BoundItem::Code { spec, value });
                }
            }
        }
        Ok(BoundLabel {
            template: self,
            items,
        })
    }
}

/// A template with its data: what every renderer draws.
#[derive(Debug, Clone, PartialEq)]
pub struct BoundLabel {
    pub template: LabelTemplate,
    pub items: Vec<BoundItem>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum BoundItem {
    Text { spec: TextBox, value: String },
    Code { spec: CodeBox, value: String },
}

/// ISO 8601 (`2026-01-31`): unambiguous in every country a biobank ships to.
pub fn format_date(date: NaiveDate) -> String {
    format!("{:04}-{:02}-{:02}", date.year(), date.month(), date.day())
}

fn field_value(field: Field, data: &LabelData) -> Result<String, LabelError> {
    let value = match (field, data) {
        (Field::SampleCode, LabelData::Sample(s)) => s.sample_code.clone(),
        (Field::ParticipantCode, LabelData::Sample(s)) => s.participant_code.clone(),
        (Field::SampleTypeCode, LabelData::Sample(s)) => s.sample_type_code.clone(),
        (Field::SampleTypeName, LabelData::Sample(s)) => {
            format!("{} {}", s.sample_type_code, s.sample_type_label)
        }
        (Field::CollectionDate, LabelData::Sample(s)) => format_date(s.collected_on),
        (Field::Site, LabelData::Sample(s)) => s.site.clone(),
        (Field::Event, LabelData::Sample(s)) => s.event.clone(),
        (Field::BoxName, LabelData::StorageBox(b)) => b.box_name.clone(),
        (Field::BoxBarcode, LabelData::StorageBox(b)) => b.box_barcode.clone(),
        (Field::BoxLocation, LabelData::StorageBox(b)) => b.location.clone(),
        // `bind` checked the data kind against the template; a template naming a field of
        // the other kind is a template bug, reported as the data mismatch it amounts to.
        (_, other) => {
            return Err(LabelError::WrongData {
                template: field.name(),
                expected: "other",
                given: other.kind(),
            })
        }
    };
    Ok(value)
}

/// Text may be any Unicode except control characters, which no label can show and which
/// would end a TSPL command line.
/// One rule for every output: text the printers' resident fonts (ZPL font 0, and the PDF
/// preview's WinAnsi font) cannot draw is refused when the label is bound, so a print job
/// and its preview accept or refuse the same labels with the same words, before anything
/// is queued (issue 11, defect 12). Zebra font 0 has no CJK glyphs: a site name in Chinese
/// would print as boxes.
fn check_text(field: Field, value: &str) -> Result<(), LabelError> {
    if let Some(c) = value.chars().find(|c| c.is_control()) {
        return Err(LabelError::ControlCharacter {
            field: field.name(),
            code: u32::from(c),
        });
    }
    if let Some(ch) = value.chars().find(|c| !crate::vector::has_glyph(*c)) {
        return Err(LabelError::NoGlyph {
            field: field.name(),
            ch,
        });
    }
    Ok(())
}

/// Whether a character may go into a barcode. The set is small on purpose: it excludes
/// the ZPL hex indicator `_` (DataMatrix's own escape character), Code 128's invocation
/// character `>`, quotes and backslashes (TSPL), and all non-ASCII (QR automatic mode).
pub fn is_code_character(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '/')
}

/// Longest payload a label barcode carries; far above any sample or box code.
pub const MAX_CODE_CHARS: usize = 64;

fn check_code(field: Field, value: &str) -> Result<(), LabelError> {
    if value.is_empty() {
        return Err(LabelError::EmptyField {
            field: field.name(),
        });
    }
    if let Some(ch) = value.chars().find(|c| !is_code_character(*c)) {
        return Err(LabelError::CodeCharacter {
            field: field.name(),
            value: value.to_owned(),
            ch,
        });
    }
    if value.len() > MAX_CODE_CHARS {
        return Err(LabelError::CodeTooLarge {
            field: field.name(),
            template: "any",
            value: value.to_owned(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> LabelData {
        LabelData::Sample(SampleLabel {
            sample_code: "AQ000042X".into(),
            participant_code: "P10000X".into(),
            sample_type_code: "PL".into(),
            sample_type_label: "Plasma".into(),
            collected_on: NaiveDate::from_ymd_opt(2026, 1, 31).unwrap(),
            site: "Site".into(),
            event: "Baseline".into(),
        })
    }

    #[test]
    fn a_box_template_refuses_sample_data() {
        let err = LabelTemplate::StorageBox.bind(&sample()).unwrap_err();
        assert!(matches!(err, LabelError::WrongData { .. }), "{err}");
    }

    #[test]
    fn a_barcode_refuses_characters_outside_its_alphabet() {
        for bad in [
            "AQ_1", "AQ>1", "AQ\"1", "AQ\\1", "AQ µ", "AQ 1", "AQ^1", "AQ~1",
        ] {
            let LabelData::Sample(mut s) = sample() else {
                unreachable!()
            };
            s.sample_code = bad.into();
            let err = LabelTemplate::Tube2x1
                .bind(&LabelData::Sample(s))
                .unwrap_err();
            assert!(
                matches!(err, LabelError::CodeCharacter { .. }),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn control_characters_in_text_are_refused_not_printed() {
        let LabelData::Sample(mut s) = sample() else {
            unreachable!()
        };
        s.site = "North\r\nSite".into();
        let err = LabelTemplate::Tube2x1
            .bind(&LabelData::Sample(s))
            .unwrap_err();
        assert_eq!(
            err,
            LabelError::ControlCharacter {
                field: "site",
                code: 0x0D
            }
        );
    }

    /// Every element's box is on the label and no two boxes overlap, so text that fits its
    /// box can never print over a neighbour.
    #[test]
    fn element_boxes_are_on_the_label_and_do_not_overlap() {
        for template in LabelTemplate::ALL {
            let (w, h) = template.size_mm();
            let mut boxes = Vec::new();
            for element in template.elements() {
                match element {
                    Element::Text(t) => boxes.push((t.x_mm, t.y_mm, t.width_mm, t.height_mm)),
                    Element::Code(c) => {
                        boxes.push((c.x_mm, c.y_mm, c.max_width_mm, c.max_height_mm));
                        if c.kind == CodeKind::Code128 {
                            let t = code128_text_box(&c);
                            boxes.push((t.x_mm, t.y_mm, t.width_mm, t.height_mm));
                        }
                    }
                }
            }
            for (i, a) in boxes.iter().enumerate() {
                assert!(a.0 >= 0.0 && a.1 >= 0.0, "{template:?} {a:?}");
                assert!(
                    a.0 + a.2 <= w && a.1 + a.3 <= h,
                    "{template:?} {a:?} off the label"
                );
                for b in &boxes[i + 1..] {
                    let apart = a.0 + a.2 <= b.0
                        || b.0 + b.2 <= a.0
                        || a.1 + a.3 <= b.1
                        || b.1 + b.3 <= a.1;
                    assert!(apart, "{template:?}: {a:?} overlaps {b:?}");
                }
            }
        }
    }

    #[test]
    fn dates_print_as_iso_8601() {
        assert_eq!(
            format_date(NaiveDate::from_ymd_opt(2026, 3, 7).unwrap()),
            "2026-03-07"
        );
    }
}
