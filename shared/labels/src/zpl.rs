//! ZPL II for Zebra printers (and the many that emulate them).
//!
//! Field data is where a label can be hijacked: `^` and `~` start commands, so a site name
//! containing `^XZ^XA…` would end the label and start another, and `~JA` would cancel every
//! queued job the moment the printer read it. Every field therefore goes through
//! [`escape_field`] behind `^FH_`: only a small set of harmless ASCII characters stays
//! literal, every other byte of the UTF-8 text (including `_` itself, `^`, `~`, `\`, CR, LF
//! and all non-ASCII bytes) is written as `_XX`. `^CI28` tells the printer the bytes are
//! UTF-8, so non-Latin text prints where the printer's font has the glyphs.
//!
//! Sizes come from the template in millimetres, converted to dots at 8, 12 or 24 dots/mm;
//! `^PW`/`^LL` give the printer the label's size so nothing relies on its stored setup.
//!
//! Code 128 goes out as `^BCN,h,N,N,N` (no printer interpretation line) with the readable
//! text as an ordinary `^A0` field below it: the printer sizes its own line from `^BY`,
//! which at 300 dpi ran into the box name; our own line follows the fit rule.

use crate::codes;
use crate::error::LabelError;
use crate::fit::{self, FontWidth, Place};
use crate::template::{code128_text_box, BoundItem, BoundLabel, CodeBox, CodeKind, Dpi, TextBox};
use std::fmt::Write as _;

/// Zebra's limit for one `^FD` field.
pub const MAX_FIELD_BYTES: usize = 3072;

/// Zebra's scalable font 0 (CG Triumvirate Bold Condensed) set with width = height.
/// Measured on labelize's font 0 (ink width of ten repeats at 40 dots) with about 0.07 em
/// added for side bearings: digits 0.48, capitals up to 0.60 (`M` 0.75, `W` 0.80), lower
/// case up to 0.49 (`m` 0.74), `-`, `+`, `=`, `@`, `%`, `<`, `>` up to 0.95. Characters
/// outside ASCII count a full em and a bit, since their glyphs depend on the printer's font.
pub const FONT0: FontWidth = FontWidth {
    digit_em: 0.55,
    upper_em: 0.67,
    lower_em: 0.56,
    wide_letter_em: 0.87,
    space_em: 0.5,
    symbol_em: 1.0,
    other_em: 1.2,
};

/// QR magnification above 10 needs newer firmware; stay within what every printer takes.
const MAX_QR_MAGNIFICATION: u32 = 10;

/// Copies of one label a single command may ask for.
pub const MAX_COPIES: u16 = aliquot_domain::printing::MAX_COPIES as u16;

fn is_literal(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b' ' | b'.'
                | b','
                | b':'
                | b';'
                | b'/'
                | b'('
                | b')'
                | b'+'
                | b'='
                | b'*'
                | b'#'
                | b'@'
                | b'!'
                | b'?'
                | b'-'
        )
}

/// Field data for `^FH_^FD…^FS`: safe ASCII literal, every other byte as `_XX`.
pub fn escape_field(text: &str) -> String {
    escape_bytes(text.as_bytes())
}

/// [`escape_field`] on raw bytes (what the property tests feed it).
pub fn escape_bytes(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for &b in bytes {
        if is_literal(b) {
            out.push(char::from(b));
        } else {
            // Writing to a String cannot fail.
            let _ = write!(out, "_{b:02X}");
        }
    }
    out
}

/// What a printer makes of `^FH_` field data: `_XX` becomes the byte 0xXX. The inverse of
/// [`escape_field`]; used by tests and by anyone checking a job's bytes.
pub fn unescape_field(data: &str) -> Vec<u8> {
    let bytes = data.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |j: usize| bytes.get(j).and_then(|b| char::from(*b).to_digit(16));
        match (bytes[i], hex(i + 1), hex(i + 2)) {
            (b'_', Some(hi), Some(lo)) => {
                // Two hex digits: 0..=255.
                out.push((hi * 16 + lo) as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    out
}

/// Zebra printers (and labelize, which follows Labelary) read `\&` in field data as a line
/// break even after `^FH` unescaping, so it cannot be printed as itself: refused.
const LINE_BREAK: &str = "\\&";

fn field_data(field: &'static str, data: &str) -> Result<String, LabelError> {
    if data.contains(LINE_BREAK) {
        return Err(LabelError::NotPrintable {
            field,
            target: "a ZPL printer (it reads a backslash before '&' as a line break)",
            ch: '&',
        });
    }
    let escaped = escape_field(data);
    if escaped.len() > MAX_FIELD_BYTES {
        return Err(LabelError::FieldTooLong {
            field,
            bytes: escaped.len(),
            max: MAX_FIELD_BYTES,
        });
    }
    Ok(escaped)
}

pub(crate) fn check_copies(copies: u16) -> Result<(), LabelError> {
    if copies == 0 || copies > MAX_COPIES {
        return Err(LabelError::Copies {
            given: copies,
            max: MAX_COPIES,
        });
    }
    Ok(())
}

/// A code's module size in dots: the template's aim, shrunk while the symbol is larger
/// than its box, refused if it would have to go below the template's minimum.
pub(crate) fn module_dots(
    label: &BoundLabel,
    spec: &CodeBox,
    value: &str,
    modules_wide: usize,
    modules_high: usize,
    dpi: Dpi,
    cap: u32,
) -> Result<u32, LabelError> {
    let minimum = dpi.dots(spec.min_module_mm).max(1);
    let mut dots = dpi.dots(spec.module_mm).clamp(1, cap);
    let max_w = dpi.dots(spec.max_width_mm);
    let max_h = dpi.dots(spec.max_height_mm);
    let fits = |d: u32| {
        let w = modules_wide as u64 * u64::from(d);
        let h = modules_high as u64 * u64::from(d);
        w <= u64::from(max_w) && h <= u64::from(max_h)
    };
    while !fits(dots) && dots > minimum {
        dots -= 1;
    }
    if !fits(dots) || dots < minimum {
        return Err(LabelError::CodeTooLarge {
            field: spec.field.name(),
            template: label.template.name(),
            value: value.to_owned(),
        });
    }
    Ok(dots)
}

/// The character height in dots for a text field, by the rule in [`crate::fit`].
pub(crate) fn text_dots(
    label: &BoundLabel,
    spec: &TextBox,
    value: &str,
    dpi: Dpi,
    font: FontWidth,
) -> Result<u32, LabelError> {
    let dpmm = dpi.dots_per_mm() as f32;
    fit::fit_dots(
        value,
        Place {
            field: spec.field.name(),
            template: label.template.name(),
            width: dpi.dots(spec.width_mm) as f32,
            nominal: spec.height_mm * dpmm,
            minimum: spec.min_height_mm * dpmm,
        },
        font,
    )
}

fn write_text(
    out: &mut String,
    label: &BoundLabel,
    spec: &TextBox,
    value: &str,
    dpi: Dpi,
) -> Result<(), LabelError> {
    let h = text_dots(label, spec, value, dpi, FONT0)?;
    let data = field_data(spec.field.name(), value)?;
    let (x, y) = (dpi.dots(spec.x_mm), dpi.dots(spec.y_mm));
    let _ = writeln!(out, "^FO{x},{y}^A0N,{h},{h}^FH_^FD{data}^FS");
    Ok(())
}

/// One label as a ZPL format (`^XA` … `^XZ`), `copies` times (`^PQ`).
pub fn render(label: &BoundLabel, dpi: Dpi, copies: u16) -> Result<String, LabelError> {
    check_copies(copies)?;
    let (w_mm, h_mm) = label.template.size_mm();
    let mut out = String::new();
    // Writing to a String cannot fail; the results are ignored below.
    let _ = writeln!(out, "^XA");
    let _ = writeln!(out, "^CI28");
    let _ = writeln!(out, "^PW{}", dpi.dots(w_mm));
    let _ = writeln!(out, "^LL{}", dpi.dots(h_mm));
    let _ = writeln!(out, "^LH0,0");
    for item in &label.items {
        match item {
            BoundItem::Code { spec, value } => {
                let name = spec.field.name();
                let (x, y) = (dpi.dots(spec.x_mm), dpi.dots(spec.y_mm));
                let data = field_data(name, value)?;
                match spec.kind {
                    CodeKind::QrCode => {
                        let width = codes::qr_width(name, value)?;
                        let m = module_dots(
                            label,
                            spec,
                            value,
                            width,
                            width,
                            dpi,
                            MAX_QR_MAGNIFICATION,
                        )?;
                        let _ = writeln!(out, "^FO{x},{y}^BQN,2,{m}^FH_^FDQA,{data}^FS");
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
                        let _ = writeln!(out, "^FO{x},{y}^BXN,{m},200^FH_^FD{data}^FS");
                    }
                    CodeKind::Code128 => {
                        let modules = codes::code128_width(value.chars().count());
                        // ^BY takes 1 to 10 dots.
                        let m = module_dots(label, spec, value, modules, 1, dpi, 10)?;
                        let bar_h = dpi.dots(spec.max_height_mm);
                        let _ = writeln!(out, "^FO{x},{y}^BY{m}^BCN,{bar_h},N,N,N^FH_^FD{data}^FS");
                        write_text(&mut out, label, &code128_text_box(spec), value, dpi)?;
                    }
                }
            }
            BoundItem::Text { spec, value } => write_text(&mut out, label, spec, value, dpi)?,
        }
    }
    let _ = writeln!(out, "^PQ{copies}");
    let _ = writeln!(out, "^XZ");
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_characters_and_the_hex_indicator_are_escaped() {
        assert_eq!(escape_field("a^b~c_d"), "a_5Eb_7Ec_5Fd");
        assert_eq!(escape_field("\\\r\n"), "_5C_0D_0A");
        assert_eq!(escape_field("µ"), "_C2_B5");
        assert_eq!(escape_field("AQ-01 (x)"), "AQ-01 (x)");
    }

    #[test]
    fn unescaping_gives_back_the_bytes() {
        let s = "^XZ^XA^FO0,0^FDX^FS ~JA _5E µ";
        assert_eq!(unescape_field(&escape_field(s)), s.as_bytes());
    }

    #[test]
    fn copies_are_bounded() {
        assert!(check_copies(0).is_err());
        assert!(check_copies(1).is_ok());
        assert!(check_copies(MAX_COPIES + 1).is_err());
    }
}
