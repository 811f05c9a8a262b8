//! PDF for office printers: one label on a page of exactly its size, or many labels on a
//! sheet of label stock (A4 or US Letter) laid out on a fixed grid.
//!
//! Codes are vector rectangles, so they are as sharp as the printer allows at any
//! resolution. The document carries no clock reading (printpdf's dates default to the Unix
//! epoch), so the same labels give the same bytes. Print sheets at 100 % ("actual size"),
//! never "fit to page", or the grid will not meet the stock.

use crate::error::LabelError;
use crate::template::{BoundLabel, LabelTemplate};
use crate::vector::{self, Shape};
use aliquot_domain::printing::SheetPaper;
use printpdf::{
    BuiltinFont, Color, Mm, Op, PaintMode, PdfDocument, PdfFontHandle, PdfPage, PdfSaveOptions,
    Point, Pt, Rect, TextItem, WindingOrder,
};

/// A sheet of label stock: page size and the grid of label cells, in millimetres.
#[derive(Debug, Clone, PartialEq)]
pub struct SheetLayout {
    pub name: String,
    pub page_width_mm: f32,
    pub page_height_mm: f32,
    pub columns: u32,
    pub rows: u32,
    pub label_width_mm: f32,
    pub label_height_mm: f32,
    /// Top-left corner of the first cell.
    pub left_mm: f32,
    pub top_mm: f32,
    /// Distance from one cell's left (top) edge to the next one's.
    pub column_pitch_mm: f32,
    pub row_pitch_mm: f32,
}

impl SheetLayout {
    /// 96 cryovial labels (6 × 16) on A4, 6 mm between columns and 4.5 mm between rows so
    /// every code keeps its quiet zone from its neighbours.
    pub fn a4_cryovial_96() -> SheetLayout {
        SheetLayout {
            name: "A4 cryovial 6x16".into(),
            page_width_mm: 210.0,
            page_height_mm: 297.0,
            columns: 6,
            rows: 16,
            label_width_mm: 25.4,
            label_height_mm: 12.7,
            left_mm: 13.8,
            top_mm: 13.15,
            column_pitch_mm: 31.4,
            row_pitch_mm: 17.2,
        }
    }

    /// 96 cryovial labels (6 × 16) on US Letter.
    pub fn letter_cryovial_96() -> SheetLayout {
        SheetLayout {
            name: "Letter cryovial 6x16".into(),
            page_width_mm: 215.9,
            page_height_mm: 279.4,
            columns: 6,
            rows: 16,
            label_width_mm: 25.4,
            label_height_mm: 12.7,
            left_mm: 16.75,
            top_mm: 11.85,
            column_pitch_mm: 31.4,
            row_pitch_mm: 16.2,
        }
    }

    /// The sheet a template's labels are printed on, on `paper`: the cryovial sheets above,
    /// or for larger labels a grid centred on the page with margins of at least 8 mm and
    /// 4 mm between labels, so every code keeps its quiet zone.
    pub fn for_template(template: LabelTemplate, paper: SheetPaper) -> SheetLayout {
        if let LabelTemplate::Cryovial(_) = template {
            return match paper {
                SheetPaper::A4 => SheetLayout::a4_cryovial_96(),
                SheetPaper::Letter => SheetLayout::letter_cryovial_96(),
            };
        }
        const MARGIN: f32 = 8.0;
        const GAP: f32 = 4.0;
        let (page_width_mm, page_height_mm, paper_name) = match paper {
            SheetPaper::A4 => (210.0, 297.0, "A4"),
            SheetPaper::Letter => (215.9, 279.4, "Letter"),
        };
        let (w, h) = template.size_mm();
        let fit = |page: f32, label: f32| {
            // Whole labels only: truncation is the point.
            (((page - 2.0 * MARGIN + GAP) / (label + GAP)).floor() as u32).max(1)
        };
        let (columns, rows) = (fit(page_width_mm, w), fit(page_height_mm, h));
        let used = |n: u32, label: f32| n as f32 * label + (n - 1) as f32 * GAP;
        SheetLayout {
            name: format!("{paper_name} {} {columns}x{rows}", template.name()),
            page_width_mm,
            page_height_mm,
            columns,
            rows,
            label_width_mm: w,
            label_height_mm: h,
            left_mm: (page_width_mm - used(columns, w)) / 2.0,
            top_mm: (page_height_mm - used(rows, h)) / 2.0,
            column_pitch_mm: w + GAP,
            row_pitch_mm: h + GAP,
        }
    }

    pub fn labels_per_page(&self) -> usize {
        self.columns as usize * self.rows as usize
    }

    /// Top-left corner of cell `index` (row by row) on its page.
    pub fn cell(&self, index: usize) -> (f32, f32) {
        let columns = self.columns.max(1) as usize;
        let on_page = index % self.labels_per_page().max(1);
        let (row, col) = (on_page / columns, on_page % columns);
        (
            self.left_mm + col as f32 * self.column_pitch_mm,
            self.top_mm + row as f32 * self.row_pitch_mm,
        )
    }

    /// Checks that the grid is on the page and its cells do not overlap.
    pub fn validate(&self) -> Result<(), LabelError> {
        let bad = |reason: &str| {
            Err(LabelError::SheetLayout {
                sheet: self.name.clone(),
                reason: reason.to_owned(),
            })
        };
        if self.columns == 0 || self.rows == 0 {
            return bad("it has no label cells");
        }
        if self.column_pitch_mm < self.label_width_mm || self.row_pitch_mm < self.label_height_mm {
            return bad("its label cells overlap");
        }
        let right =
            self.left_mm + (self.columns - 1) as f32 * self.column_pitch_mm + self.label_width_mm;
        let bottom =
            self.top_mm + (self.rows - 1) as f32 * self.row_pitch_mm + self.label_height_mm;
        if self.left_mm < 0.0
            || self.top_mm < 0.0
            || right > self.page_width_mm + 1e-3
            || bottom > self.page_height_mm + 1e-3
        {
            return bad("its grid runs off the page");
        }
        Ok(())
    }

    fn fits(&self, template: LabelTemplate) -> bool {
        let (w, h) = template.size_mm();
        (w - self.label_width_mm).abs() < 0.05 && (h - self.label_height_mm).abs() < 0.05
    }
}

const FONT: BuiltinFont = BuiltinFont::CourierBold;

fn black() -> Color {
    Color::Greyscale(printpdf::Greyscale::new(0.0, None))
}

/// Ops drawing `shapes` with the label's top-left at (`left`, `top`) mm on a page
/// `page_height` mm high (PDF's y axis points up).
fn label_ops(shapes: &[Shape], left: f32, top: f32, page_height: f32, ops: &mut Vec<Op>) {
    let y_up = |y: f32| page_height - (top + y);
    for shape in shapes {
        match shape {
            Shape::Rect { x, y, w, h } => ops.push(Op::DrawRectangle {
                rectangle: Rect {
                    x: Mm(left + x).into(),
                    y: Mm(y_up(y + h)).into(),
                    width: Mm(*w).into(),
                    height: Mm(*h).into(),
                    mode: Some(PaintMode::Fill),
                    winding_order: Some(WindingOrder::NonZero),
                },
            }),
            Shape::Text {
                x,
                baseline,
                size,
                text,
            } => {
                ops.push(Op::StartTextSection);
                ops.push(Op::SetFont {
                    font: PdfFontHandle::Builtin(FONT),
                    size: Mm(*size).into(),
                });
                ops.push(Op::SetTextCursor {
                    pos: Point::new(Mm(left + x), Mm(y_up(*baseline))),
                });
                ops.push(Op::ShowText {
                    items: vec![TextItem::Text(text.clone())],
                });
                ops.push(Op::EndTextSection);
            }
        }
    }
}

fn save(title: &str, pages: Vec<PdfPage>) -> Vec<u8> {
    let mut doc = PdfDocument::new(title);
    let mut warnings = Vec::new();
    let bytes = doc
        .with_pages(pages)
        .save(&PdfSaveOptions::default(), &mut warnings);
    stable_id(bytes)
}

/// printpdf writes a random file identifier (`/ID` in the trailer). Replace it with one
/// derived from the content, so the same labels always give the same bytes. The trailer
/// follows the cross-reference table, and the replacement has the same length, so no
/// offset moves.
fn stable_id(mut bytes: Vec<u8>) -> Vec<u8> {
    const MARK: &[u8] = b"/ID[(";
    const LEN: usize = 32;
    let Some(at) = bytes.windows(MARK.len()).rposition(|w| w == MARK) else {
        return bytes;
    };
    let first = at + MARK.len();
    let second = first + LEN + 2; // after ")("
    if bytes.get(first + LEN..second) != Some(b")(".as_slice())
        || bytes.get(second + LEN) != Some(&b')')
    {
        return bytes;
    }
    // FNV-1a over everything but the identifier itself.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for (i, b) in bytes.iter().enumerate() {
        if (first..second + LEN).contains(&i) {
            continue;
        }
        hash = (hash ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
    }
    let id = format!(
        "{hash:016X}{:016X}",
        hash.rotate_left(32) ^ 0x5A5A_5A5A_5A5A_5A5A
    );
    bytes[first..first + LEN].copy_from_slice(id.as_bytes());
    bytes[second..second + LEN].copy_from_slice(id.as_bytes());
    bytes
}

fn start_page() -> Vec<Op> {
    vec![Op::SetFillColor { col: black() }]
}

/// One label on a page of exactly the label's size (for printers fed with label stock
/// through a PDF driver).
pub fn single(label: &BoundLabel) -> Result<Vec<u8>, LabelError> {
    let shapes = vector::draw(label)?;
    let (w, h) = label.template.size_mm();
    let mut ops = start_page();
    label_ops(&shapes, 0.0, 0.0, h, &mut ops);
    Ok(save("Aliquot label", vec![PdfPage::new(Mm(w), Mm(h), ops)]))
}

/// Labels on sheets, row by row; as many pages as needed. Every label must be of the size
/// the sheet's cells are made for.
pub fn sheet(labels: &[BoundLabel], layout: &SheetLayout) -> Result<Vec<u8>, LabelError> {
    layout.validate()?;
    if labels.is_empty() {
        return Err(LabelError::NoLabels);
    }
    let per_page = layout.labels_per_page();
    let mut pages = Vec::new();
    for chunk in labels.chunks(per_page) {
        let mut ops = start_page();
        for (i, label) in chunk.iter().enumerate() {
            if !layout.fits(label.template) {
                let (w, h) = label.template.size_mm();
                return Err(LabelError::SheetMismatch {
                    template: label.template.name(),
                    sheet: layout.name.clone(),
                    width_mm: format!("{w}"),
                    height_mm: format!("{h}"),
                });
            }
            let shapes = vector::draw(label)?;
            let (left, top) = layout.cell(i);
            label_ops(&shapes, left, top, layout.page_height_mm, &mut ops);
        }
        pages.push(PdfPage::new(
            Mm(layout.page_width_mm),
            Mm(layout.page_height_mm),
            ops,
        ));
    }
    Ok(save("Aliquot label sheet", pages))
}

/// Points per millimetre, for callers placing PDFs.
pub fn mm_to_pt(mm: f32) -> f32 {
    let pt: Pt = Mm(mm).into();
    pt.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_preset_sheets_are_on_the_page() {
        for layout in [
            SheetLayout::a4_cryovial_96(),
            SheetLayout::letter_cryovial_96(),
        ] {
            layout.validate().unwrap();
            assert_eq!(layout.labels_per_page(), 96);
        }
    }

    #[test]
    fn every_template_has_a_sheet_on_both_papers_that_fits_the_page() {
        use crate::template::Symbology;
        let expect = [
            (LabelTemplate::Cryovial(Symbology::DataMatrix), 96, 96),
            (LabelTemplate::Tube2x1, 3 * 9, 3 * 9),
            (LabelTemplate::StorageBox, 2 * 9, 2 * 9),
        ];
        for (template, a4, letter) in expect {
            for (paper, per_page) in [(SheetPaper::A4, a4), (SheetPaper::Letter, letter)] {
                let layout = SheetLayout::for_template(template, paper);
                layout.validate().unwrap();
                assert!(layout.fits(template), "{}", layout.name);
                assert_eq!(layout.labels_per_page(), per_page, "{}", layout.name);
                if !matches!(template, LabelTemplate::Cryovial(_)) {
                    // Centred, with at least the margin on every side.
                    let right = layout.page_width_mm
                        - (layout.left_mm
                            + (layout.columns - 1) as f32 * layout.column_pitch_mm
                            + layout.label_width_mm);
                    assert!((right - layout.left_mm).abs() < 0.01, "{}", layout.name);
                    assert!(
                        layout.left_mm >= 8.0 && layout.top_mm >= 8.0,
                        "{}",
                        layout.name
                    );
                }
            }
        }
    }

    #[test]
    fn a_grid_off_the_page_is_refused() {
        let mut layout = SheetLayout::a4_cryovial_96();
        layout.rows = 17;
        assert!(matches!(
            layout.validate(),
            Err(LabelError::SheetLayout { .. })
        ));
    }

    #[test]
    fn a_millimetre_is_about_2_83_points() {
        assert!((mm_to_pt(25.4) - 72.0).abs() < 0.01);
    }
}
