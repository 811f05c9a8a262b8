//! TSPL for TSC printers, and the "Zebra-like" desktop printers in labs that really speak it.
//!
//! TSPL is one command per CR LF line with strings in double quotes. A quote inside a
//! string is written `\["]`; a backslash could start such a sequence, and CR or LF would end
//! the command, so those are refused rather than guessed at (control characters are already
//! refused when the template is bound). Text uses the resident bitmap fonts 1–5, whose
//! cells are fixed in dots and which print ASCII only: the largest font whose cell fits the
//! template's height and width is chosen, and text that fits no font at or above the
//! minimum height is refused, as everywhere (see [`crate::fit`]).

use crate::codes;
use crate::error::LabelError;
use crate::template::{code128_text_box, BoundItem, BoundLabel, CodeKind, Dpi, TextBox};
use crate::zpl::{check_copies, module_dots};
use std::fmt::Write as _;

/// Resident fonts 1–5 (cell width × height in dots) with their 1× to 3× multipliers.
const FONTS: [(&str, u32, u32); 5] = [
    ("1", 8, 12),
    ("2", 12, 20),
    ("3", 16, 24),
    ("4", 24, 32),
    ("5", 32, 48),
];

const TARGET: &str = "the TSPL printer's resident fonts";

/// A string argument in quotes, with `"` as `\["]`.
pub fn quote(field: &'static str, text: &str) -> Result<String, LabelError> {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\[\"]"),
            '\\' => {
                return Err(LabelError::NotPrintable {
                    field,
                    target: "TSPL (a backslash starts an escape sequence there)",
                    ch: c,
                })
            }
            c if c.is_ascii_control() => {
                return Err(LabelError::NotPrintable {
                    field,
                    target: "TSPL",
                    ch: c,
                })
            }
            c => out.push(c),
        }
    }
    out.push('"');
    Ok(out)
}

/// Font, multiplier and cell height for a text field: the largest cell not taller than the
/// template's height whose line fits the width, and not smaller than its minimum.
fn choose_font(
    label: &BoundLabel,
    spec: &TextBox,
    value: &str,
    dpi: Dpi,
) -> Result<(&'static str, u32), LabelError> {
    if let Some(ch) = value.chars().find(|c| !c.is_ascii()) {
        return Err(LabelError::NotPrintable {
            field: spec.field.name(),
            target: TARGET,
            ch,
        });
    }
    let chars = value.chars().count() as u64;
    let width = u64::from(dpi.dots(spec.width_mm));
    let nominal = dpi.dots(spec.height_mm);
    let minimum = dpi.dots(spec.min_height_mm);
    let mut best: Option<(&'static str, u32, u32)> = None;
    let mut narrowest_admissible: Option<u32> = None;
    for mult in 1..=3u32 {
        for (font, w, h) in FONTS {
            let (w, h) = (w * mult, h * mult);
            if h < minimum || h > nominal {
                continue;
            }
            narrowest_admissible = Some(narrowest_admissible.map_or(w, |n: u32| n.min(w)));
            if chars * u64::from(w) <= width && best.is_none_or(|(_, _, bh)| h > bh) {
                best = Some((font, mult, h));
            }
        }
    }
    match best {
        Some((font, mult, _)) => Ok((font, mult)),
        None => Err(LabelError::TextTooLong {
            field: spec.field.name(),
            template: label.template.name(),
            chars: value.chars().count(),
            max_chars: narrowest_admissible
                .map_or(0, |w| usize::try_from(width / u64::from(w)).unwrap_or(0)),
        }),
    }
}

fn mm(v: f32) -> String {
    // One decimal is the precision TSPL's SIZE/GAP take; drop a trailing ".0".
    let s = format!("{v:.1}");
    s.strip_suffix(".0").map(str::to_owned).unwrap_or(s)
}

fn write_text(
    out: &mut String,
    label: &BoundLabel,
    spec: &TextBox,
    value: &str,
    dpi: Dpi,
) -> Result<(), LabelError> {
    let (font, mult) = choose_font(label, spec, value, dpi)?;
    let data = quote(spec.field.name(), value)?;
    let (x, y) = (dpi.dots(spec.x_mm), dpi.dots(spec.y_mm));
    let _ = write!(out, "TEXT {x},{y},\"{font}\",0,{mult},{mult},{data}\r\n");
    Ok(())
}

/// One label as a TSPL job, `copies` times.
pub fn render(label: &BoundLabel, dpi: Dpi, copies: u16) -> Result<String, LabelError> {
    check_copies(copies)?;
    let (w_mm, h_mm) = label.template.size_mm();
    let mut out = String::new();
    // Writing to a String cannot fail.
    let _ = write!(out, "SIZE {} mm,{} mm\r\n", mm(w_mm), mm(h_mm));
    let _ = write!(out, "GAP {} mm,0 mm\r\n", mm(label.template.gap_mm()));
    let _ = write!(out, "DIRECTION 1,0\r\n");
    let _ = write!(out, "CLS\r\n");
    for item in &label.items {
        match item {
            BoundItem::Code { spec, value } => {
                let name = spec.field.name();
                let (x, y) = (dpi.dots(spec.x_mm), dpi.dots(spec.y_mm));
                let data = quote(name, value)?;
                match spec.kind {
                    CodeKind::QrCode => {
                        let width = codes::qr_width(name, value)?;
                        let m = module_dots(label, spec, value, width, width, dpi, 10)?;
                        let _ = write!(out, "QRCODE {x},{y},Q,{m},A,0,{data}\r\n");
                    }
                    CodeKind::DataMatrix => {
                        let grid = codes::data_matrix(name, value)?;
                        let m = module_dots(
                            label,
                            spec,
                            value,
                            grid.width,
                            grid.height,
                            dpi,
                            u32::MAX,
                        )?;
                        let (bw, bh) = (dpi.dots(spec.max_width_mm), dpi.dots(spec.max_height_mm));
                        let _ = write!(out, "DMATRIX {x},{y},{bw},{bh},x{m},{data}\r\n");
                    }
                    CodeKind::Code128 => {
                        let modules = codes::code128_width(value.chars().count());
                        let m = module_dots(label, spec, value, modules, 1, dpi, 10)?;
                        let bar_h = dpi.dots(spec.max_height_mm);
                        let _ = write!(
                            out,
                            "BARCODE {x},{y},\"128\",{bar_h},0,0,{m},{m},{data}\r\n"
                        );
                        write_text(&mut out, label, &code128_text_box(spec), value, dpi)?;
                    }
                }
            }
            BoundItem::Text { spec, value } => write_text(&mut out, label, spec, value, dpi)?,
        }
    }
    let _ = write!(out, "PRINT 1,{copies}\r\n");
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_are_escaped_and_backslashes_refused() {
        assert_eq!(quote("site", "a\"b").unwrap(), "\"a\\[\"]b\"");
        assert!(quote("site", "a\\b").is_err());
        assert!(quote("site", "a\r\nPRINT 9").is_err());
    }

    #[test]
    fn millimetres_print_without_trailing_zero() {
        assert_eq!(mm(25.4), "25.4");
        assert_eq!(mm(2.0), "2");
    }
}
