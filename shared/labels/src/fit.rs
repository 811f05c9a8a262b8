//! The rule for text that is too wide for its place on a label.
//!
//! A label that silently drops the end of a participant code is worse than no label, so
//! text is never cut off. The rule, the same in every renderer:
//!
//! 1. Text is set at the template's nominal character height.
//! 2. If its estimated width is more than the width the template gives it, the height
//!    shrinks (keeping the aspect) until the text fits.
//! 3. If it would have to shrink below the template's minimum legible height, the label is
//!    refused with [`LabelError::TextTooLong`] naming the field, and nothing is printed.
//!
//! Widths are estimated from per-font advances by character class (digits, capitals, …),
//! each class taking its widest member's advance, so estimates err on the wide side; a
//! character outside ASCII counts at least a full em (accents, other scripts, wide CJK).

use crate::error::LabelError;

/// How wide a font's characters are, in ems (multiples of the character height), by class.
/// Each class takes the widest member's advance, so estimates err on the wide side.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FontWidth {
    pub digit_em: f32,
    /// Capitals except `M` and `W`.
    pub upper_em: f32,
    /// Lower case except `m` and `w`.
    pub lower_em: f32,
    /// `M`, `W`, `m`, `w`.
    pub wide_letter_em: f32,
    pub space_em: f32,
    /// Every other printable ASCII character (punctuation, symbols).
    pub symbol_em: f32,
    /// Every character outside ASCII (accents, other scripts, wide CJK).
    pub other_em: f32,
}

impl FontWidth {
    /// A font whose every glyph has the same advance.
    pub const fn monospaced(em: f32) -> FontWidth {
        FontWidth {
            digit_em: em,
            upper_em: em,
            lower_em: em,
            wide_letter_em: em,
            space_em: em,
            symbol_em: em,
            other_em: em,
        }
    }

    pub fn advance(self, c: char) -> f32 {
        match c {
            '0'..='9' => self.digit_em,
            'M' | 'W' | 'm' | 'w' => self.wide_letter_em,
            'A'..='Z' => self.upper_em,
            'a'..='z' => self.lower_em,
            ' ' => self.space_em,
            c if c.is_ascii() => self.symbol_em,
            _ => self.other_em,
        }
    }

    /// Width of `text` in ems.
    pub fn ems(self, text: &str) -> f32 {
        text.chars().map(|c| self.advance(c)).sum()
    }
}

/// The field, its template and its box, for error messages.
#[derive(Debug, Clone, Copy)]
pub struct Place {
    pub field: &'static str,
    pub template: &'static str,
    pub width: f32,
    pub nominal: f32,
    pub minimum: f32,
}

/// The character height at which `text` fits its place, in the place's units; an error
/// naming the field when it would fall below the minimum.
pub fn fit_height(text: &str, place: Place, font: FontWidth) -> Result<f32, LabelError> {
    let ems = font.ems(text);
    let height = if ems * place.nominal <= place.width {
        place.nominal
    } else {
        place.width / ems
    };
    // A relative hair of tolerance, so text exactly at the limit is not lost to rounding.
    if height * (1.0 + 1e-4) < place.minimum {
        return Err(too_long(text, place, font));
    }
    Ok(height)
}

/// Whole-dot version for printer languages: the height is rounded down to a dot, and the
/// minimum is rounded to the nearest dot.
pub fn fit_dots(text: &str, place: Place, font: FontWidth) -> Result<u32, LabelError> {
    let height = fit_height(text, place, font)?;
    // Heights are a few hundred dots at most; the cast cannot overflow.
    let dots = height.floor().max(0.0) as u32;
    if (dots as f32) < place.minimum.round() {
        return Err(too_long(text, place, font));
    }
    Ok(dots)
}

pub(crate) fn too_long(text: &str, place: Place, font: FontWidth) -> LabelError {
    // "About" this many: counted with the average of a code's characters (capitals and
    // digits), which is what a technician can act on.
    let per_char = (font.upper_em + font.digit_em) / 2.0 * place.minimum;
    let max_chars = if per_char > 0.0 {
        // A count of characters; small and non-negative.
        (place.width / per_char + 1e-3).floor() as usize
    } else {
        0
    };
    LabelError::TextTooLong {
        field: place.field,
        template: place.template,
        chars: text.chars().count(),
        max_chars,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MONO: FontWidth = FontWidth {
        other_em: 1.0,
        ..FontWidth::monospaced(0.6)
    };

    fn place(width: f32) -> Place {
        Place {
            field: "site",
            template: "tube-2x1",
            width,
            nominal: 3.0,
            minimum: 2.0,
        }
    }

    #[test]
    fn short_text_keeps_the_nominal_height() {
        assert_eq!(fit_height("ABC", place(30.0), MONO).unwrap(), 3.0);
    }

    #[test]
    fn long_text_shrinks_until_it_fits() {
        // 20 chars × 0.6 em × h <= 30 mm  =>  h = 2.5 mm.
        let h = fit_height(&"A".repeat(20), place(30.0), MONO).unwrap();
        assert!((h - 2.5).abs() < 1e-4, "{h}");
        assert!(MONO.ems(&"A".repeat(20)) * h <= 30.0 + 1e-4);
    }

    #[test]
    fn text_that_would_fall_below_the_minimum_is_refused_naming_the_field() {
        // 26 chars × 0.6 × 2.0 = 31.2 mm > 30 mm.
        let err = fit_height(&"A".repeat(26), place(30.0), MONO).unwrap_err();
        assert_eq!(
            err,
            LabelError::TextTooLong {
                field: "site",
                template: "tube-2x1",
                chars: 26,
                max_chars: 25
            }
        );
        assert!(err.to_string().contains("site"));
        // Exactly at the limit still fits.
        assert!(fit_height(&"A".repeat(25), place(30.0), MONO).is_ok());
    }

    #[test]
    fn non_ascii_counts_a_full_em() {
        assert!(fit_height(&"漢".repeat(15), place(30.0), MONO).is_ok());
        assert!(fit_height(&"漢".repeat(16), place(30.0), MONO).is_err());
    }

    #[test]
    fn dots_round_down_and_respect_the_minimum() {
        let p = Place {
            field: "site",
            template: "t",
            width: 100.0,
            nominal: 24.0,
            minimum: 16.0,
        };
        assert_eq!(fit_dots("AB", p, MONO).unwrap(), 24);
        // 7 chars × 0.6 = 4.2 em; 100 / 4.2 = 23.8 -> 23 dots.
        assert_eq!(fit_dots("ABCDEFG", p, MONO).unwrap(), 23);
        assert!(fit_dots(&"A".repeat(11), p, MONO).is_err());
    }
}
