//! Barcode symbols as module grids, for the renderers that draw them (PDF, preview) and for
//! the printer languages that need a symbol's size in advance to choose a module size.
//!
//! QR and DataMatrix come from the `qrcode` and `datamatrix` crates; Code 128 (subset B,
//! which is what ZPL `^BC…,N` prints for text without invocation codes) is small enough to
//! encode here.

use crate::error::LabelError;

/// A 2D symbol: `width × height` modules, row-major, `true` = dark. No quiet zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModuleGrid {
    pub width: usize,
    pub height: usize,
    pub dark: Vec<bool>,
}

impl ModuleGrid {
    pub fn is_dark(&self, x: usize, y: usize) -> bool {
        self.dark.get(y * self.width + x).copied().unwrap_or(false)
    }

    /// Dark runs per row: `(row, first column, length)`. Drawing runs instead of single
    /// modules keeps files small and leaves no hairline seams between modules.
    pub fn runs(&self) -> Vec<(usize, usize, usize)> {
        let mut out = Vec::new();
        for y in 0..self.height {
            let mut x = 0;
            while x < self.width {
                if self.is_dark(x, y) {
                    let start = x;
                    while x < self.width && self.is_dark(x, y) {
                        x += 1;
                    }
                    out.push((y, start, x - start));
                } else {
                    x += 1;
                }
            }
        }
        out
    }
}

fn too_large(field: &'static str, value: &str) -> LabelError {
    LabelError::CodeTooLarge {
        field,
        template: "any",
        value: value.to_owned(),
    }
}

/// QR code at error correction level Q, the level ZPL's `^FDQA,` asks the printer for.
pub fn qr(field: &'static str, payload: &str) -> Result<ModuleGrid, LabelError> {
    let code = qrcode::QrCode::with_error_correction_level(payload.as_bytes(), qrcode::EcLevel::Q)
        .map_err(|_| too_large(field, payload))?;
    let width = code.width();
    let dark = code
        .to_colors()
        .into_iter()
        .map(|c| c == qrcode::Color::Dark)
        .collect();
    Ok(ModuleGrid {
        width,
        height: width,
        dark,
    })
}

/// The width in modules of the QR code [`qr`] draws, without drawing it: what a label in a
/// printer's own language needs (the printer draws the symbol) to size its modules. Only the
/// data is encoded; the error-correction codewords and the eight mask trials that make up most
/// of a full encoding are skipped.
pub fn qr_width(field: &'static str, payload: &str) -> Result<usize, LabelError> {
    let bits = qrcode::bits::encode_auto(payload.as_bytes(), qrcode::EcLevel::Q)
        .map_err(|_| too_large(field, payload))?;
    usize::try_from(bits.version().width()).map_err(|_| too_large(field, payload))
}

/// DataMatrix ECC 200, smallest square symbol (what ZPL `^BXN,h,200` picks by default).
pub fn data_matrix(field: &'static str, payload: &str) -> Result<ModuleGrid, LabelError> {
    let code = datamatrix::DataMatrix::encode(
        payload.as_bytes(),
        datamatrix::SymbolList::default().enforce_square(),
    )
    .map_err(|_| too_large(field, payload))?;
    let bitmap = code.bitmap();
    let (width, height) = (bitmap.width(), bitmap.height());
    let mut dark = vec![false; width * height];
    for (x, y) in bitmap.pixels() {
        if let Some(cell) = dark.get_mut(y * width + x) {
            *cell = true;
        }
    }
    Ok(ModuleGrid {
        width,
        height,
        dark,
    })
}

/// Bar and space widths (in modules) of the 107 Code 128 symbols, value 0 to 106 (stop).
const CODE128_PATTERNS: [&str; 107] = [
    "212222", "222122", "222221", "121223", "121322", "131222", "122213", "122312", "132212",
    "221213", "221312", "231212", "112232", "122132", "122231", "113222", "123122", "123221",
    "223211", "221132", "221231", "213212", "223112", "312131", "311222", "321122", "321221",
    "312212", "322112", "322211", "212123", "212321", "232121", "111323", "131123", "131321",
    "112313", "132113", "132311", "211313", "231113", "231311", "112133", "112331", "132131",
    "113123", "113321", "133121", "313121", "211331", "231131", "213113", "213311", "213131",
    "311123", "311321", "331121", "312113", "312311", "332111", "314111", "221411", "431111",
    "111224", "111422", "121124", "121421", "141122", "141221", "112214", "112412", "122114",
    "122411", "142112", "142211", "241211", "221114", "413111", "241112", "134111", "111242",
    "121142", "121241", "114212", "124112", "124211", "411212", "421112", "421211", "212141",
    "214121", "412121", "111143", "111341", "131141", "114113", "114311", "411113", "411311",
    "113141", "114131", "311141", "411131", "211412", "211214", "211232", "2331112",
];
const START_B: usize = 104;
const STOP: usize = 106;

/// Code 128 subset B: the modules left to right, `true` = bar. No quiet zone.
pub fn code128(field: &'static str, payload: &str) -> Result<Vec<bool>, LabelError> {
    let mut values = vec![START_B];
    for c in payload.chars() {
        let v = u32::from(c);
        if !(32..=126).contains(&v) {
            return Err(LabelError::CodeCharacter {
                field,
                value: payload.to_owned(),
                ch: c,
            });
        }
        values.push((v - 32) as usize);
    }
    let checksum = values
        .iter()
        .enumerate()
        .map(|(i, v)| i.max(1) * v)
        .sum::<usize>()
        % 103;
    values.push(checksum);
    values.push(STOP);
    let mut modules = Vec::new();
    for v in values {
        let pattern = CODE128_PATTERNS.get(v).copied().unwrap_or("");
        for (i, w) in pattern.bytes().enumerate() {
            let bar = i % 2 == 0;
            modules.extend(std::iter::repeat_n(bar, usize::from(w - b'0')));
        }
    }
    Ok(modules)
}

/// Modules in a Code 128 subset B symbol of `chars` characters: start, data, check (11
/// each) and stop (13).
pub fn code128_width(chars: usize) -> usize {
    11 * (chars + 2) + 13
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code128_pattern_is_eleven_modules_and_stop_is_thirteen() {
        for (i, p) in CODE128_PATTERNS.iter().enumerate() {
            let sum: u32 = p.bytes().map(|b| u32::from(b - b'0')).sum();
            assert_eq!(sum, if i == STOP { 13 } else { 11 }, "pattern {i}");
        }
    }

    #[test]
    fn code128_has_the_expected_width_and_checksum() {
        let bars = code128("box barcode", "BX-0001").unwrap();
        assert_eq!(bars.len(), code128_width(7));
        assert!(bars[0] && *bars.last().unwrap());
        assert!(code128("box barcode", "BX µ").is_err());
    }

    #[test]
    fn a_nine_character_sample_code_is_a_small_symbol() {
        let q = qr("sample code", "AQ000042X").unwrap();
        assert_eq!((q.width, q.height), (21, 21));
        let d = data_matrix("sample code", "AQ000042X").unwrap();
        assert_eq!((d.width, d.height), (14, 14));
        assert!(!d.runs().is_empty());
    }

    /// The printer-language paths size QR modules from `qr_width`; the drawn symbol (PDF,
    /// preview) must be that wide for every length and mix of digits, capitals and bytes.
    #[test]
    fn the_qr_width_without_drawing_is_the_drawn_symbol_width() {
        let alphabets = ["0123456789", "AQ0123456789X-$%*+./: ", "aq-µ_Ü0123456789"];
        for alphabet in alphabets {
            let chars: Vec<char> = alphabet.chars().collect();
            for len in 1..=160 {
                let payload: String = (0..len)
                    .map(|i| chars[(i * 7 + len) % chars.len()])
                    .collect();
                let drawn = qr("sample code", &payload).unwrap();
                assert_eq!(
                    qr_width("sample code", &payload).unwrap(),
                    drawn.width,
                    "{payload:?}"
                );
            }
        }
        let too_long = "9".repeat(4000);
        assert!(qr("sample code", &too_long).is_err());
        assert!(qr_width("sample code", &too_long).is_err());
    }
}
