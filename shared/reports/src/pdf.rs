//! A report as PDF.
//!
//! Layout: A4 portrait, or A4 landscape for the whole document when one of its tables has
//! more than [`LANDSCAPE_ABOVE_COLUMNS`] columns. Every page starts with the lab's name and
//! the report's title and ends with "Made <YYYY-MM-DD HH:MM> UTC by <made_by> · Page n of m".
//! The body, in order: the parameters ("name: value"), the figures, the warnings (in red,
//! each starting "Warning:"), the charts, the tables. Long parameter values, figures and
//! warnings wrap; a table's cells wrap within their column's width (the CSV export
//! has every value whole). Columns get their content's width when the table fits the page,
//! else the page width shared out: narrow columns keep their width, the wide ones share the
//! rest in proportion to their content. A table's rows run on over as many pages as they
//! need, its title ("(continued)") and header row repeated on each. Integer and decimal
//! columns are right-aligned; decimals show at most 4 places; times are
//! `YYYY-MM-DD HH:MM:SS UTC`.
//!
//! Charts are drawn plainly (their numbers are also one of the report's tables): bars side by
//! side or stacked, with the numbers over the bars where they fit; lines as polylines with a
//! dot per point. Labels under the axis are cut to fit, and every k-th is shown when there are
//! too many.
//!
//! Text is set in DejaVu Sans (regular and bold), embedded: Latin, Greek, Cyrillic, Arabic
//! and Hebrew letters, but no CJK ideographs (they show as the font's empty box; their
//! text is still extractable). There is no shaping: Arabic letters come out in their
//! isolated forms, in logical order, and combining marks are placed by the font alone.
//! Widths are measured with the font's advance widths (no kerning, as printpdf sets none).
//! Only the glyphs used are embedded (see `subset`), so a report is tens of KiB.
//!
//! Deterministic: the same report gives the same bytes. No clock is read; the document's
//! dates are `made_at`, the font resource names and subset tags are fixed or derived from
//! the content, and the file identifier printpdf draws at random is replaced by a hash of
//! the file.

mod subset;

use crate::document::{Chart, ChartKind, ColumnKind, Figure, Parameter, Report, Table, Value};
use crate::error::ReportError;
use printpdf::{
    Color, FontId, LinePoint, Mm, Op, PaintMode, ParsedFont, PdfDocument, PdfFont, PdfFontHandle,
    PdfPage, PdfSaveOptions, Point, Pt, Rect, Rgb, TextItem, WindingOrder,
};
use std::borrow::Cow;
use std::collections::BTreeSet;
use std::sync::OnceLock;

/// A document whose widest table has more columns than this is set in landscape.
pub const LANDSCAPE_ABOVE_COLUMNS: usize = 7;

const REGULAR_TTF: &[u8] = include_bytes!("../fonts/DejaVuSans.ttf");
const BOLD_TTF: &[u8] = include_bytes!("../fonts/DejaVuSans-Bold.ttf");

// Page geometry, in points (1/72 inch), measured from the page's top edge.
const A4_SHORT_MM: f32 = 210.0;
const A4_LONG_MM: f32 = 297.0;
const MARGIN: f32 = 40.0;
const HEADER_HEIGHT: f32 = 44.0;
const FOOTER_HEIGHT: f32 = 20.0;

// Type sizes.
const BODY: f32 = 9.5;
const FIGURE: f32 = 11.0;
const HEADING: f32 = 11.0;
const CELL: f32 = 8.0;
const SMALL: f32 = 6.5;
const LEADING: f32 = 1.3;

// Tables.
const CELL_PAD: f32 = 3.0;
const ROW_HEIGHT: f32 = 11.5;
const MIN_COLUMN: f32 = 24.0;

// Charts.
const PLOT_HEIGHT: f32 = 140.0;
const AXIS_GUTTER: f32 = 36.0;

type Rgb3 = [f32; 3];
const BLACK: Rgb3 = [0.0, 0.0, 0.0];
const GREY: Rgb3 = [0.38, 0.38, 0.38];
const RULE: Rgb3 = [0.6, 0.6, 0.6];
const SHADE: Rgb3 = [0.92, 0.92, 0.92];
const STRIPE: Rgb3 = [0.965, 0.965, 0.965];
const RED: Rgb3 = [0.72, 0.05, 0.05];
/// Okabe–Ito colours: told apart by readers with any common colour vision deficiency.
const PALETTE: [Rgb3; 7] = [
    [0.0, 0.447, 0.698],
    [0.902, 0.624, 0.0],
    [0.0, 0.620, 0.451],
    [0.800, 0.475, 0.655],
    [0.337, 0.706, 0.914],
    [0.835, 0.369, 0.0],
    [0.941, 0.894, 0.259],
];

/// A report as PDF bytes.
pub fn report_pdf(report: &Report) -> Result<Vec<u8>, ReportError> {
    for table in &report.tables {
        if let Some(row) = table.rows.iter().find(|r| r.len() != table.columns.len()) {
            return Err(ReportError::RowWidth {
                expected: table.columns.len(),
                got: row.len(),
            });
        }
    }
    let faces = faces()?;
    let landscape = report
        .tables
        .iter()
        .any(|t| t.columns.len() > LANDSCAPE_ABOVE_COLUMNS);
    let mut layout = Layout::new(faces, landscape);
    layout.parameters(&report.parameters);
    layout.figures(&report.figures);
    layout.warnings(&report.warnings);
    for chart in &report.charts {
        layout.chart(chart, report.tables.get(chart.table as usize));
    }
    for table in &report.tables {
        layout.table(table);
    }
    layout.finish(report);
    save(report, layout)
}

// ---------------------------------------------------------------------------------------
// Fonts

struct Face {
    font: ParsedFont,
    units_per_em: f32,
    /// The PostScript name, after the subset tag.
    name: &'static str,
    /// The resource name on the pages (fixed, so the output is deterministic).
    id: &'static str,
}

impl Face {
    fn parse(bytes: &[u8], name: &'static str, id: &'static str) -> Result<Face, String> {
        let mut warnings = Vec::new();
        let font = ParsedFont::from_bytes(bytes, 0, &mut warnings)
            .ok_or_else(|| format!("could not read the font {name}: {warnings:?}"))?;
        let units_per_em = f32::from(font.units_per_em.max(1));
        Ok(Face {
            font,
            units_per_em,
            name,
            id,
        })
    }

    /// The advance width of `c` in ems (the missing-glyph box's for a character the font
    /// does not have).
    fn advance(&self, c: char) -> f32 {
        let gid = self.font.lookup_glyph_index(u32::from(c)).unwrap_or(0);
        f32::from(self.font.get_glyph_width(gid).unwrap_or(0)) / self.units_per_em
    }

    fn width(&self, text: &str, size: f32) -> f32 {
        text.chars().map(|c| self.advance(c)).sum::<f32>() * size
    }
}

struct Faces {
    regular: Face,
    bold: Face,
}

impl Faces {
    fn get(&self, bold: bool) -> &Face {
        if bold {
            &self.bold
        } else {
            &self.regular
        }
    }
}

fn faces() -> Result<&'static Faces, ReportError> {
    static FACES: OnceLock<Result<Faces, String>> = OnceLock::new();
    FACES
        .get_or_init(|| {
            Ok(Faces {
                regular: Face::parse(REGULAR_TTF, "DejaVuSans", "DejaVuSans")?,
                bold: Face::parse(BOLD_TTF, "DejaVuSans-Bold", "DejaVuSansBold")?,
            })
        })
        .as_ref()
        .map_err(|e| ReportError::Pdf(e.clone()))
}

// ---------------------------------------------------------------------------------------
// Text

/// How a piece of text is set.
#[derive(Debug, Clone, Copy)]
struct Pen {
    size: f32,
    bold: bool,
    colour: Rgb3,
}

impl Pen {
    const fn new(size: f32, bold: bool, colour: Rgb3) -> Pen {
        Pen { size, bold, colour }
    }

    fn line_height(self) -> f32 {
        self.size * LEADING
    }

    /// From a line's top to its baseline.
    fn ascent(self) -> f32 {
        self.size * 0.93
    }
}

/// Control characters (line breaks, tabs) as spaces: a PDF line is one line.
fn clean(text: &str) -> Cow<'_, str> {
    if text.chars().any(char::is_control) {
        Cow::Owned(
            text.chars()
                .map(|c| if c.is_control() { ' ' } else { c })
                .collect(),
        )
    } else {
        Cow::Borrowed(text)
    }
}

/// A decimal as shown in a PDF: at most 4 places, no trailing zeros; empty when not finite.
fn decimal_text(x: f64) -> String {
    if !x.is_finite() {
        return String::new();
    }
    let plain = format!("{x}");
    let places = plain.find('.').map_or(0, |dot| plain.len() - dot - 1);
    if places <= 4 {
        return plain;
    }
    let rounded = format!("{x:.4}");
    let trimmed = rounded.trim_end_matches('0').trim_end_matches('.');
    if trimmed == "-0" {
        "0".to_owned()
    } else {
        trimmed.to_owned()
    }
}

/// A cell's text in a PDF.
fn value_text(value: &Value) -> Cow<'_, str> {
    match value {
        Value::Empty => Cow::Borrowed(""),
        Value::Text(s) => clean(s),
        Value::Integer(n) => Cow::Owned(n.to_string()),
        Value::Decimal(x) => Cow::Owned(decimal_text(*x)),
        Value::Time(t) => Cow::Owned(t.format("%Y-%m-%d %H:%M:%S UTC").to_string()),
    }
}

// ---------------------------------------------------------------------------------------
// Layout

/// The pages being laid out, top to bottom; `y` is measured from the page's top edge.
struct Layout<'f> {
    faces: &'f Faces,
    page_height: f32,
    width_mm: f32,
    height_mm: f32,
    left: f32,
    content_width: f32,
    body_top: f32,
    body_bottom: f32,
    done: Vec<Vec<Op>>,
    ops: Vec<Op>,
    /// The fill colour the current page is painting with.
    fill: Option<Rgb3>,
    y: f32,
    used_regular: BTreeSet<char>,
    used_bold: BTreeSet<char>,
}

fn colour(c: Rgb3) -> Color {
    Color::Rgb(Rgb::new(c[0], c[1], c[2], None))
}

impl<'f> Layout<'f> {
    fn new(faces: &'f Faces, landscape: bool) -> Layout<'f> {
        let (width_mm, height_mm) = if landscape {
            (A4_LONG_MM, A4_SHORT_MM)
        } else {
            (A4_SHORT_MM, A4_LONG_MM)
        };
        let page_width = Pt::from(Mm(width_mm)).0;
        let page_height = Pt::from(Mm(height_mm)).0;
        Layout {
            faces,
            page_height,
            width_mm,
            height_mm,
            left: MARGIN,
            content_width: page_width - 2.0 * MARGIN,
            body_top: MARGIN + HEADER_HEIGHT,
            body_bottom: page_height - MARGIN - FOOTER_HEIGHT,
            done: Vec::new(),
            ops: Vec::new(),
            fill: None,
            y: MARGIN + HEADER_HEIGHT,
            used_regular: BTreeSet::new(),
            used_bold: BTreeSet::new(),
        }
    }

    fn new_page(&mut self) {
        self.done.push(std::mem::take(&mut self.ops));
        self.fill = None;
        self.y = self.body_top;
    }

    /// Starts a new page unless `height` more fits on this one (or this one is empty).
    fn ensure(&mut self, height: f32) {
        if self.y + height > self.body_bottom && self.y > self.body_top {
            self.new_page();
        }
    }

    fn gap(&mut self, height: f32) {
        if self.y > self.body_top {
            self.y += height;
        }
    }

    fn width(&self, text: &str, pen: Pen) -> f32 {
        self.faces.get(pen.bold).width(text, pen.size)
    }

    fn set_fill(&mut self, c: Rgb3) {
        if self.fill != Some(c) {
            self.ops.push(Op::SetFillColor { col: colour(c) });
            self.fill = Some(c);
        }
    }

    /// `text` with its left end at `x` and its baseline at `baseline`.
    fn text(&mut self, x: f32, baseline: f32, pen: Pen, text: &str) {
        if text.trim().is_empty() {
            return;
        }
        let used = if pen.bold {
            &mut self.used_bold
        } else {
            &mut self.used_regular
        };
        used.extend(text.chars());
        self.set_fill(pen.colour);
        let face = self.faces.get(pen.bold);
        self.ops.extend([
            Op::StartTextSection,
            Op::SetFont {
                font: PdfFontHandle::External(FontId(face.id.to_owned())),
                size: Pt(pen.size),
            },
            Op::SetTextCursor {
                pos: Point {
                    x: Pt(x),
                    y: Pt(self.page_height - baseline),
                },
            },
            Op::ShowText {
                items: vec![TextItem::Text(text.to_owned())],
            },
            Op::EndTextSection,
        ]);
    }

    /// `text` ending at `right`.
    fn text_right(&mut self, right: f32, baseline: f32, pen: Pen, text: &str) {
        let x = right - self.width(text, pen);
        self.text(x, baseline, pen, text);
    }

    /// `text` centred on `centre`.
    fn text_centred(&mut self, centre: f32, baseline: f32, pen: Pen, text: &str) {
        let x = centre - self.width(text, pen) / 2.0;
        self.text(x, baseline, pen, text);
    }

    fn rect(&mut self, x: f32, top: f32, width: f32, height: f32, c: Rgb3) {
        if width <= 0.0 || height <= 0.0 {
            return;
        }
        self.set_fill(c);
        self.ops.push(Op::DrawRectangle {
            rectangle: Rect {
                x: Pt(x),
                y: Pt(self.page_height - top - height),
                width: Pt(width),
                height: Pt(height),
                mode: Some(PaintMode::Fill),
                winding_order: Some(WindingOrder::NonZero),
            },
        });
    }

    /// A polyline through `points` (x, y from the top).
    fn polyline(&mut self, points: &[(f32, f32)], c: Rgb3, thickness: f32) {
        if points.len() < 2 {
            return;
        }
        self.ops.push(Op::SetOutlineColor { col: colour(c) });
        self.ops.push(Op::SetOutlineThickness { pt: Pt(thickness) });
        let points = points
            .iter()
            .map(|&(x, y)| LinePoint {
                p: Point {
                    x: Pt(x),
                    y: Pt(self.page_height - y),
                },
                bezier: false,
            })
            .collect();
        self.ops.push(Op::DrawLine {
            line: printpdf::Line {
                points,
                is_closed: false,
            },
        });
    }

    fn hrule(&mut self, x: f32, y: f32, width: f32, c: Rgb3) {
        self.polyline(&[(x, y), (x + width, y)], c, 0.5);
    }

    /// `text` cut to `max_width` with "…".
    fn fit(&self, text: &str, pen: Pen, max_width: f32) -> String {
        let face = self.faces.get(pen.bold);
        if face.width(text, pen.size) <= max_width {
            return text.to_owned();
        }
        let budget = max_width - face.width("…", pen.size);
        let mut used = 0.0;
        let mut out = String::new();
        for c in text.chars() {
            used += face.advance(c) * pen.size;
            if used > budget {
                break;
            }
            out.push(c);
        }
        let kept = out.trim_end().len();
        out.truncate(kept);
        out.push('…');
        out
    }

    /// `text` broken into lines no wider than `max_width`, at spaces where it can be and
    /// inside a word where a word alone is too wide.
    fn wrap(&self, text: &str, pen: Pen, max_width: f32) -> Vec<String> {
        let face = self.faces.get(pen.bold);
        let space = face.width(" ", pen.size);
        let mut lines = Vec::new();
        let mut line = String::new();
        let mut line_width = 0.0;
        for word in text.split(' ').filter(|w| !w.is_empty()) {
            let word_width = face.width(word, pen.size);
            if !line.is_empty() && line_width + space + word_width <= max_width {
                line.push(' ');
                line.push_str(word);
                line_width += space + word_width;
                continue;
            }
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            line_width = 0.0;
            for c in word.chars() {
                let w = face.advance(c) * pen.size;
                if !line.is_empty() && line_width + w > max_width {
                    lines.push(std::mem::take(&mut line));
                    line_width = 0.0;
                }
                line.push(c);
                line_width += w;
            }
        }
        if !line.is_empty() || lines.is_empty() {
            lines.push(line);
        }
        lines
    }

    /// "key: value", the value wrapping under itself.
    fn key_value(&mut self, key: &str, key_pen: Pen, value: &str, value_pen: Pen) {
        let key = format!("{}: ", clean(key));
        let key = self.fit(&key, key_pen, self.content_width / 2.0);
        let indent = self.width(&key, key_pen) + 1.0;
        let lines = self.wrap(&clean(value), value_pen, self.content_width - indent);
        let height = key_pen.line_height().max(value_pen.line_height());
        let ascent = key_pen.ascent().max(value_pen.ascent());
        self.ensure(height);
        self.text(self.left, self.y + ascent, key_pen, &key);
        for (i, line) in lines.iter().enumerate() {
            if i > 0 {
                self.ensure(height);
            }
            self.text(self.left + indent, self.y + ascent, value_pen, line);
            self.y += height;
        }
    }

    fn heading(&mut self, text: &str, extra: f32) {
        let pen = Pen::new(HEADING, true, BLACK);
        self.ensure(pen.line_height() + extra);
        let text = self.fit(&clean(text), pen, self.content_width);
        self.text(self.left, self.y + pen.ascent(), pen, &text);
        self.y += pen.line_height() + 2.0;
    }

    fn parameters(&mut self, parameters: &[Parameter]) {
        for p in parameters {
            self.key_value(
                &p.name,
                Pen::new(BODY, true, BLACK),
                &p.value,
                Pen::new(BODY, false, BLACK),
            );
        }
        if !parameters.is_empty() {
            self.y += 6.0;
        }
    }

    fn figures(&mut self, figures: &[Figure]) {
        for f in figures {
            let value = value_text(&f.value);
            self.key_value(
                &f.label,
                Pen::new(FIGURE, false, BLACK),
                &value,
                Pen::new(FIGURE, true, BLACK),
            );
        }
        if !figures.is_empty() {
            self.y += 6.0;
        }
    }

    fn warnings(&mut self, warnings: &[String]) {
        for w in warnings {
            self.key_value(
                "Warning",
                Pen::new(BODY, true, RED),
                w,
                Pen::new(BODY, false, RED),
            );
        }
        if !warnings.is_empty() {
            self.y += 6.0;
        }
    }

    // -----------------------------------------------------------------------------------
    // Charts

    fn chart(&mut self, chart: &Chart, table: Option<&Table>) {
        let label_pen = Pen::new(SMALL, false, BLACK);
        let number_pen = Pen::new(SMALL, false, GREY);
        let legend_pen = Pen::new(CELL, false, BLACK);
        let legend_rows = if chart.series.len() > 1 { 2.0 } else { 0.0 };
        let block = HEADING * LEADING
            + 2.0
            + PLOT_HEIGHT
            + 12.0
            + legend_rows * legend_pen.line_height()
            + CELL * LEADING;
        self.gap(6.0);
        self.ensure(block);
        self.heading(&chart.title, 0.0);
        let n = chart.labels.len();
        let value = |s: usize, i: usize| -> f64 {
            chart
                .series
                .get(s)
                .and_then(|s| s.values.get(i))
                .copied()
                .filter(|v| v.is_finite())
                .unwrap_or(0.0)
        };
        if n == 0 || chart.series.is_empty() {
            let pen = Pen::new(BODY, false, GREY);
            self.ensure(pen.line_height());
            self.text(self.left, self.y + pen.ascent(), pen, "No data.");
            self.y += pen.line_height() + 6.0;
            return;
        }

        // The value range, always including 0.
        let (mut lo, mut hi) = (0.0f64, 0.0f64);
        for i in 0..n {
            match chart.kind {
                ChartKind::StackedBar => {
                    let (mut up, mut down) = (0.0, 0.0);
                    for s in 0..chart.series.len() {
                        let v = value(s, i);
                        if v >= 0.0 {
                            up += v;
                        } else {
                            down += v;
                        }
                    }
                    hi = hi.max(up);
                    lo = lo.min(down);
                }
                ChartKind::Bar | ChartKind::Line => {
                    for s in 0..chart.series.len() {
                        hi = hi.max(value(s, i));
                        lo = lo.min(value(s, i));
                    }
                }
            }
        }
        if hi - lo <= f64::EPSILON {
            hi = lo + 1.0;
        }
        let top = self.y + 6.0; // room for the numbers over the highest bar
        let plot_height = PLOT_HEIGHT - 6.0;
        let x0 = self.left + AXIS_GUTTER;
        let plot_width = self.content_width - AXIS_GUTTER;
        let y_of = |v: f64| top + plot_height * ((hi - v) / (hi - lo)) as f32;
        let zero = y_of(0.0);
        let slot = plot_width / n as f32;

        // Axes: the value scale's ends and zero, the baseline at zero.
        let axis_pen = Pen::new(SMALL, false, GREY);
        self.text_right(x0 - 3.0, top + 2.0, axis_pen, &decimal_text(hi));
        if lo < 0.0 {
            self.text_right(x0 - 3.0, top + plot_height, axis_pen, &decimal_text(lo));
        }
        let bottom_label = if lo < 0.0 {
            top + plot_height
        } else {
            f32::MAX
        };
        if zero - top > 8.0 && (bottom_label - zero).abs() > 8.0 {
            self.text_right(x0 - 3.0, zero + 2.0, axis_pen, "0");
        }
        self.polyline(&[(x0, top), (x0, top + plot_height)], RULE, 0.5);

        match chart.kind {
            ChartKind::Bar => {
                let bar = slot * 0.8 / chart.series.len() as f32;
                for i in 0..n {
                    for s in 0..chart.series.len() {
                        let v = value(s, i);
                        let x = x0 + slot * (i as f32 + 0.1) + bar * s as f32;
                        let (y1, y2) = (y_of(v.max(0.0)), y_of(v.min(0.0)));
                        self.rect(x, y1, bar, y2 - y1, PALETTE[s % PALETTE.len()]);
                        self.number(x + bar / 2.0, y1 - 1.5, bar + 2.0, number_pen, v);
                    }
                }
            }
            ChartKind::StackedBar => {
                let bar = slot * 0.6;
                for i in 0..n {
                    let x = x0 + slot * (i as f32 + 0.2);
                    let (mut up, mut down) = (0.0, 0.0);
                    for s in 0..chart.series.len() {
                        let v = value(s, i);
                        let (from, to) = if v >= 0.0 {
                            up += v;
                            (up - v, up)
                        } else {
                            down += v;
                            (down - v, down)
                        };
                        let (y1, y2) = (y_of(from.max(to)), y_of(from.min(to)));
                        self.rect(x, y1, bar, y2 - y1, PALETTE[s % PALETTE.len()]);
                        if y2 - y1 >= SMALL + 2.0 && v != 0.0 {
                            let pen = Pen::new(SMALL, false, BLACK);
                            self.number(x + bar / 2.0, (y1 + y2) / 2.0 + 2.2, bar, pen, v);
                        }
                    }
                    self.number(x + bar / 2.0, y_of(up) - 1.5, slot, number_pen, up);
                }
            }
            ChartKind::Line => {
                for s in 0..chart.series.len() {
                    let c = PALETTE[s % PALETTE.len()];
                    let points: Vec<(f32, f32)> = (0..n)
                        .map(|i| (x0 + slot * (i as f32 + 0.5), y_of(value(s, i))))
                        .collect();
                    self.polyline(&points, c, 1.2);
                    for (i, &(x, y)) in points.iter().enumerate() {
                        self.rect(x - 1.5, y - 1.5, 3.0, 3.0, c);
                        if chart.series.len() == 1 {
                            self.number(x, y - 3.0, slot, number_pen, value(s, i));
                        }
                    }
                }
            }
        }
        self.polyline(&[(x0, zero), (x0 + plot_width, zero)], BLACK, 0.6);

        // The labels under the axis, every k-th when they do not all fit.
        let widest = chart
            .labels
            .iter()
            .map(|l| self.width(&clean(l), label_pen))
            .fold(0.0f32, f32::max)
            .min(60.0);
        let step = ((widest + 4.0) / slot).ceil().max(1.0) as usize;
        let room = slot * step as f32 - 2.0;
        let baseline = top + plot_height + 2.0 + label_pen.ascent();
        for (i, label) in chart.labels.iter().enumerate().step_by(step) {
            let label = self.fit(&clean(label), label_pen, room);
            self.text_centred(x0 + slot * (i as f32 + 0.5), baseline, label_pen, &label);
        }
        self.y = top + plot_height + 12.0;

        // The legend, when there is more than one series.
        if chart.series.len() > 1 {
            let mut x = x0;
            let swatch = 7.0;
            for (s, series) in chart.series.iter().enumerate() {
                let name = self.fit(&clean(&series.name), legend_pen, self.content_width / 3.0);
                let w = swatch + 3.0 + self.width(&name, legend_pen) + 10.0;
                if x + w > self.left + self.content_width && x > x0 {
                    x = x0;
                    self.y += legend_pen.line_height();
                }
                self.rect(x, self.y + 1.0, swatch, swatch, PALETTE[s % PALETTE.len()]);
                self.text(
                    x + swatch + 3.0,
                    self.y + legend_pen.ascent(),
                    legend_pen,
                    &name,
                );
                x += w;
            }
            self.y += legend_pen.line_height();
        }
        if let Some(table) = table {
            let pen = Pen::new(CELL, false, GREY);
            let note = format!("The numbers are in the table “{}”.", clean(&table.title));
            let note = self.fit(&note, pen, self.content_width);
            self.ensure(pen.line_height());
            self.text(self.left, self.y + pen.ascent(), pen, &note);
            self.y += pen.line_height();
        }
        self.y += 8.0;
    }

    /// A chart's number centred on `centre`, if it fits in `room`.
    fn number(&mut self, centre: f32, baseline: f32, room: f32, pen: Pen, v: f64) {
        let text = decimal_text(v);
        if self.width(&text, pen) <= room {
            self.text_centred(centre, baseline, pen, &text);
        }
    }

    // -----------------------------------------------------------------------------------
    // Tables

    fn column_widths(&self, table: &Table, cells: &[Vec<Cow<'_, str>>]) -> Vec<f32> {
        let header_pen = Pen::new(CELL, true, BLACK);
        let cell_pen = Pen::new(CELL, false, BLACK);
        let natural: Vec<f32> = table
            .columns
            .iter()
            .enumerate()
            .map(|(c, column)| {
                let header = self.width(&clean(&column.label), header_pen);
                let widest = cells
                    .iter()
                    .filter_map(|row| row.get(c))
                    .map(|cell| self.width(cell, cell_pen))
                    .fold(header, f32::max);
                (widest + 2.0 * CELL_PAD).max(MIN_COLUMN)
            })
            .collect();
        share_width(&natural, self.content_width)
    }

    fn table(&mut self, table: &Table) {
        let header_pen = Pen::new(CELL, true, BLACK);
        let cell_pen = Pen::new(CELL, false, BLACK);
        let cells: Vec<Vec<Cow<'_, str>>> = table
            .rows
            .iter()
            .map(|row| row.iter().map(value_text).collect())
            .collect();
        let widths = self.column_widths(table, &cells);
        let right_aligned: Vec<bool> = table
            .columns
            .iter()
            .map(|c| matches!(c.kind, ColumnKind::Integer | ColumnKind::Decimal))
            .collect();
        let headers: Vec<String> = table
            .columns
            .iter()
            .zip(&widths)
            .map(|(c, w)| self.fit(&clean(&c.label), header_pen, w - 2.0 * CELL_PAD))
            .collect();
        let table_width: f32 = widths.iter().sum();

        self.gap(8.0);
        let first_rows = cells.len().min(3) as f32;
        self.ensure(HEADING * LEADING + 2.0 + ROW_HEIGHT * (1.0 + first_rows));
        self.heading(&table.title, 0.0);
        if !table.columns.is_empty() {
            self.header_row(&headers, &widths, &right_aligned, table_width);
        }
        let line_height = cell_pen.line_height();
        for (r, row) in cells.iter().enumerate() {
            // A cell too long for its column wraps: an auditor's record is never cut short.
            let lines: Vec<Vec<String>> = row
                .iter()
                .zip(&widths)
                .map(|(cell, &w)| self.wrap(cell, cell_pen, w - 2.0 * CELL_PAD))
                .collect();
            let extra = lines.iter().map(Vec::len).max().unwrap_or(1).max(1) - 1;
            let height = ROW_HEIGHT + extra as f32 * line_height;
            if self.y + height > self.body_bottom {
                self.new_page();
                self.heading(&format!("{} (continued)", clean(&table.title)), 0.0);
                self.header_row(&headers, &widths, &right_aligned, table_width);
            }
            if r % 2 == 1 {
                self.rect(self.left, self.y, table_width, height, STRIPE);
            }
            let first_baseline = self.y + (ROW_HEIGHT + CELL * 0.7) / 2.0;
            let mut x = self.left;
            for ((cell_lines, &w), &right) in lines.iter().zip(&widths).zip(&right_aligned) {
                for (i, text) in cell_lines.iter().enumerate() {
                    let baseline = first_baseline + i as f32 * line_height;
                    if right {
                        self.text_right(x + w - CELL_PAD, baseline, cell_pen, text);
                    } else {
                        self.text(x + CELL_PAD, baseline, cell_pen, text);
                    }
                }
                x += w;
            }
            self.y += height;
        }
        if !table.columns.is_empty() {
            self.hrule(self.left, self.y, table_width, RULE);
        }
        let note_pen = Pen::new(CELL, false, GREY);
        let note = if table.rows.is_empty() && table.rows_left_out == 0 {
            Some("No rows.".to_owned())
        } else if table.rows_left_out > 0 {
            Some(format!(
                "… and {} more rows, in the CSV export",
                table.rows_left_out
            ))
        } else {
            None
        };
        if let Some(note) = note {
            self.y += 2.0;
            self.ensure(note_pen.line_height());
            self.text(self.left, self.y + note_pen.ascent(), note_pen, &note);
            self.y += note_pen.line_height();
        }
        self.y += 6.0;
    }

    fn header_row(&mut self, headers: &[String], widths: &[f32], right: &[bool], total: f32) {
        let pen = Pen::new(CELL, true, BLACK);
        self.rect(self.left, self.y, total, ROW_HEIGHT, SHADE);
        let baseline = self.y + (ROW_HEIGHT + CELL * 0.7) / 2.0;
        let mut x = self.left;
        for ((header, &w), &right) in headers.iter().zip(widths).zip(right) {
            if right {
                self.text_right(x + w - CELL_PAD, baseline, pen, header);
            } else {
                self.text(x + CELL_PAD, baseline, pen, header);
            }
            x += w;
        }
        self.y += ROW_HEIGHT;
        self.hrule(self.left, self.y, total, BLACK);
    }

    // -----------------------------------------------------------------------------------
    // Every page's header and footer

    fn finish(&mut self, report: &Report) {
        self.done.push(std::mem::take(&mut self.ops));
        let pages = std::mem::take(&mut self.done);
        let total = pages.len();
        let lab_pen = Pen::new(BODY, false, GREY);
        let title_pen = Pen::new(13.0, true, BLACK);
        let footer_pen = Pen::new(SMALL + 0.5, false, GREY);
        let lab = self.fit(&clean(&report.lab_name), lab_pen, self.content_width);
        let title = self.fit(&clean(&report.title), title_pen, self.content_width);
        let made = report.made_at.format("%Y-%m-%d %H:%M UTC").to_string();
        let made_by = clean(&report.made_by).into_owned();
        for (i, body) in pages.into_iter().enumerate() {
            self.fill = None;
            self.ops = Vec::with_capacity(body.len() + 40);
            self.text(self.left, MARGIN + lab_pen.ascent(), lab_pen, &lab);
            self.text(
                self.left,
                MARGIN + 13.0 + title_pen.ascent(),
                title_pen,
                &title,
            );
            self.hrule(self.left, MARGIN + 32.0, self.content_width, RULE);

            let page = format!(" · Page {} of {total}", i + 1);
            let room =
                self.content_width - self.width(&format!("Made {made} by {page}"), footer_pen);
            let who = self.fit(&made_by, footer_pen, room.max(40.0));
            let footer = format!("Made {made} by {who}{page}");
            let rule_y = self.page_height - MARGIN - FOOTER_HEIGHT + 8.0;
            self.hrule(self.left, rule_y, self.content_width, RULE);
            self.text(
                self.left,
                rule_y + 4.0 + footer_pen.ascent(),
                footer_pen,
                &footer,
            );

            self.fill = None;
            self.ops.push(Op::SaveGraphicsState);
            self.ops.extend(body);
            self.ops.push(Op::RestoreGraphicsState);
            self.done.push(std::mem::take(&mut self.ops));
        }
    }
}

/// Column widths: the natural ones when they fit in `available`; else narrow columns keep
/// theirs and the wide ones share what is left in proportion to their natural width.
fn share_width(natural: &[f32], available: f32) -> Vec<f32> {
    let total: f32 = natural.iter().sum();
    if total <= available || natural.is_empty() {
        return natural.to_vec();
    }
    let mut order: Vec<usize> = (0..natural.len()).collect();
    order.sort_by(|&a, &b| natural[a].total_cmp(&natural[b]));
    let mut widths = natural.to_vec();
    let mut remaining = available;
    for (k, &c) in order.iter().enumerate() {
        let left = (natural.len() - k) as f32;
        if natural[c] <= remaining / left {
            remaining -= natural[c];
            continue;
        }
        let rest: f32 = order[k..].iter().map(|&c| natural[c]).sum();
        for &c in &order[k..] {
            widths[c] = remaining * natural[c] / rest;
        }
        break;
    }
    widths
}

// ---------------------------------------------------------------------------------------
// Saving

/// Six capital letters derived from `gids`: the subset tag a subset font's name must carry.
fn subset_tag(gids: &BTreeSet<u16>, salt: &str) -> String {
    let mut hash = fnv(0xcbf2_9ce4_8422_2325, salt.as_bytes());
    for g in gids {
        hash = fnv(hash, &g.to_be_bytes());
    }
    (0..6)
        .map(|i| char::from(b'A' + ((hash >> (i * 8)) % 26) as u8))
        .collect()
}

fn fnv(mut hash: u64, bytes: &[u8]) -> u64 {
    for b in bytes {
        hash = (hash ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

fn save(report: &Report, layout: Layout<'_>) -> Result<Vec<u8>, ReportError> {
    let mut doc = PdfDocument::new(&report.title);
    let made_at = printpdf::OffsetDateTime::from_unix_timestamp(report.made_at.timestamp())
        .map_err(|e| ReportError::Pdf(e.to_owned()))?;
    let info = &mut doc.metadata.info;
    info.creation_date = made_at;
    info.modification_date = made_at;
    info.metadata_date = made_at;
    info.author = report.made_by.clone();
    info.subject = report.lab_name.clone();
    info.creator = "Aliquot".to_owned();

    for (face, used) in [
        (&layout.faces.regular, &layout.used_regular),
        (&layout.faces.bold, &layout.used_bold),
    ] {
        let gids: BTreeSet<u16> = used
            .iter()
            .filter_map(|c| face.font.lookup_glyph_index(u32::from(*c)))
            .collect();
        if used.is_empty() {
            continue;
        }
        let mut font = face.font.clone();
        font.original_bytes =
            subset::strip_glyphs(&face.font.original_bytes, &gids).map_err(ReportError::Pdf)?;
        font.font_name = Some(format!("{}+{}", subset_tag(&gids, face.name), face.name));
        doc.resources
            .fonts
            .map
            .insert(FontId(face.id.to_owned()), PdfFont::new(font));
    }

    let pages = layout
        .done
        .into_iter()
        .map(|ops| PdfPage::new(Mm(layout.width_mm), Mm(layout.height_mm), ops))
        .collect();
    let mut warnings = Vec::new();
    let bytes = doc
        .with_pages(pages)
        .save(&PdfSaveOptions::default(), &mut warnings);
    if let Some(error) = warnings
        .iter()
        .find(|w| w.severity == printpdf::PdfParseErrorSeverity::Error)
    {
        return Err(ReportError::Pdf(error.msg.clone()));
    }
    Ok(stable_id(bytes))
}

/// printpdf writes a random file identifier (`/ID` in the trailer). Replace it with one
/// derived from the content, so the same report always gives the same bytes. The
/// replacement has the same length, so no offset moves.
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
    let hash = fnv(
        fnv(0xcbf2_9ce4_8422_2325, &bytes[..first]),
        &bytes[second + LEN..],
    );
    let id = format!(
        "{hash:016X}{:016X}",
        hash.rotate_left(32) ^ 0x5A5A_5A5A_5A5A_5A5A
    );
    bytes[first..first + LEN].copy_from_slice(id.as_bytes());
    bytes[second..second + LEN].copy_from_slice(id.as_bytes());
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_show_at_most_four_places() {
        assert_eq!(decimal_text(0.25), "0.25");
        assert_eq!(decimal_text(-0.25), "-0.25");
        assert_eq!(decimal_text(0.1 + 0.2), "0.3");
        assert_eq!(decimal_text(2.0 / 3.0), "0.6667");
        assert_eq!(decimal_text(-0.00001), "0");
        assert_eq!(decimal_text(12.0), "12");
        assert_eq!(decimal_text(f64::NAN), "");
    }

    #[test]
    fn narrow_columns_keep_their_width_and_wide_ones_share_the_rest() {
        assert_eq!(share_width(&[10.0, 20.0], 100.0), vec![10.0, 20.0]);
        let w = share_width(&[30.0, 300.0, 200.0], 330.0);
        assert!((w.iter().sum::<f32>() - 330.0).abs() < 0.01, "{w:?}");
        assert_eq!(w[0], 30.0);
        assert!((w[1] / w[2] - 1.5).abs() < 0.01, "{w:?}");
    }

    #[test]
    fn text_is_cut_with_an_ellipsis_and_wrapped_at_spaces() {
        let faces = faces().unwrap();
        let layout = Layout::new(faces, false);
        let pen = Pen::new(10.0, false, BLACK);
        let long = "Ødegård Дмитрий 0123456789 0123456789 0123456789";
        let cut = layout.fit(long, pen, 60.0);
        assert!(
            cut.ends_with('…') && layout.width(&cut, pen) <= 60.0,
            "{cut}"
        );
        let lines = layout.wrap(long, pen, 80.0);
        assert!(lines.len() > 1);
        assert_eq!(lines.join(" "), long);
        assert!(
            lines.iter().all(|l| layout.width(l, pen) <= 80.0),
            "{lines:?}"
        );
    }

    #[test]
    fn the_subset_keeps_the_used_glyphs_and_drops_the_rest() {
        let faces = faces().unwrap();
        let font = &faces.regular.font;
        let gid = |c: char| font.lookup_glyph_index(u32::from(c)).unwrap();
        let keep: BTreeSet<u16> = "AДé".chars().map(gid).collect();
        let small = subset::strip_glyphs(&font.original_bytes, &keep).unwrap();
        assert!(
            small.len() < font.original_bytes.len() / 4,
            "{}",
            small.len()
        );
        let mut warnings = Vec::new();
        let parsed = ParsedFont::from_bytes(&small, 0, &mut warnings).unwrap();
        assert_eq!(parsed.lookup_glyph_index(u32::from('Д')), Some(gid('Д')));
        assert_eq!(
            parsed.get_glyph_width(gid('Д')),
            font.get_glyph_width(gid('Д'))
        );
    }
}
