//! A label as vector shapes in millimetres (origin top-left, y down): the common ground of
//! the PDF and the SVG preview, so the office-printer sheet and the picture on screen are
//! the same drawing.
//!
//! Codes are drawn module by module at the template's module size (no dot grid here), shrunk
//! toward the template's minimum only when the symbol would leave its box. Text is set in
//! Courier Bold, whose every glyph advances exactly 0.6 em, so the fit rule of
//! [`crate::fit`] is exact rather than an estimate. The built-in PDF fonts carry WinAnsi
//! only; other characters are refused rather than printed as `?`.

use crate::codes;
use crate::error::LabelError;
use crate::fit::{self, FontWidth, Place};
use crate::template::{code128_text_box, BoundItem, BoundLabel, CodeBox, CodeKind, TextBox};

/// Courier (and Courier Bold): every glyph is 600/1000 em.
pub const COURIER: FontWidth = FontWidth::monospaced(0.6);

/// Baseline below the top of a text line, in ems (Courier's ascender is about 0.63 em).
pub const BASELINE_EM: f32 = 0.75;

#[derive(Debug, Clone, PartialEq)]
pub enum Shape {
    /// A filled dark rectangle.
    Rect { x: f32, y: f32, w: f32, h: f32 },
    /// A line of text: left end of the baseline, font size (em) in mm.
    Text {
        x: f32,
        baseline: f32,
        size: f32,
        text: String,
    },
}

/// Whether the PDF's built-in fonts have a glyph: printable ASCII and Latin-1.
pub fn has_glyph(c: char) -> bool {
    matches!(u32::from(c), 0x20..=0x7E | 0xA0..=0xFF)
}

fn check_glyphs(field: &'static str, text: &str) -> Result<(), LabelError> {
    match text.chars().find(|c| !has_glyph(*c)) {
        Some(ch) => Err(LabelError::NotPrintable {
            field,
            target: "the PDF's built-in font (WinAnsi)",
            ch,
        }),
        None => Ok(()),
    }
}

fn module_mm(
    label: &BoundLabel,
    spec: &CodeBox,
    value: &str,
    wide: usize,
    high: usize,
) -> Result<f32, LabelError> {
    let limit = if high == 0 {
        spec.max_width_mm / wide as f32
    } else {
        (spec.max_width_mm / wide as f32).min(spec.max_height_mm / high as f32)
    };
    let module = spec.module_mm.min(limit);
    if module + 1e-6 < spec.min_module_mm {
        return Err(LabelError::CodeTooLarge {
            field: spec.field.name(),
            template: label.template.name(),
            value: value.to_owned(),
        });
    }
    Ok(module)
}

fn text_shape(label: &BoundLabel, spec: &TextBox, value: &str) -> Result<Shape, LabelError> {
    let name = spec.field.name();
    check_glyphs(name, value)?;
    let size = fit::fit_height(
        value,
        Place {
            field: name,
            template: label.template.name(),
            width: spec.width_mm,
            nominal: spec.height_mm,
            minimum: spec.min_height_mm,
        },
        COURIER,
    )?;
    Ok(Shape::Text {
        x: spec.x_mm,
        baseline: spec.y_mm + BASELINE_EM * size,
        size,
        text: value.to_owned(),
    })
}

/// The shapes of one label, relative to its top-left corner.
pub fn draw(label: &BoundLabel) -> Result<Vec<Shape>, LabelError> {
    let mut shapes = Vec::new();
    for item in &label.items {
        match item {
            BoundItem::Code { spec, value } => {
                let name = spec.field.name();
                match spec.kind {
                    CodeKind::QrCode | CodeKind::DataMatrix => {
                        let grid = if spec.kind == CodeKind::QrCode {
                            codes::qr(name, value)?
                        } else {
                            codes::data_matrix(name, value)?
                        };
                        let m = module_mm(label, spec, value, grid.width, grid.height)?;
                        for (row, col, len) in grid.runs() {
                            shapes.push(Shape::Rect {
                                x: spec.x_mm + col as f32 * m,
                                y: spec.y_mm + row as f32 * m,
                                w: len as f32 * m,
                                h: m,
                            });
                        }
                    }
                    CodeKind::Code128 => {
                        let bars = codes::code128(name, value)?;
                        let m = module_mm(label, spec, value, bars.len(), 0)?;
                        let mut x = 0;
                        while x < bars.len() {
                            if bars[x] {
                                let start = x;
                                while x < bars.len() && bars[x] {
                                    x += 1;
                                }
                                shapes.push(Shape::Rect {
                                    x: spec.x_mm + start as f32 * m,
                                    y: spec.y_mm,
                                    w: (x - start) as f32 * m,
                                    h: spec.max_height_mm,
                                });
                            } else {
                                x += 1;
                            }
                        }
                        // The human-readable line under the bars.
                        shapes.push(text_shape(label, &code128_text_box(spec), value)?);
                    }
                }
            }
            BoundItem::Text { spec, value } => {
                shapes.push(text_shape(label, spec, value)?);
            }
        }
    }
    Ok(shapes)
}
