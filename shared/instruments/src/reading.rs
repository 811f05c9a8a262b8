//! A well's value as the instrument wrote it. A number is a number; a value the instrument
//! could only bound (`< 40`, `>4.000`, Luminex's `OOR <`) is **censored** and stays so, never
//! becoming its bound; a value the instrument flagged instead of measuring (`OVRFLW`,
//! `MISSED`, qPCR's `Undetermined`, `NaN`) is a **flag**. Neither is ever read as a number.
//!
//! The value helpers every parser shares live here too: [`number`], the decimal-mark guesses
//! ([`guess_decimal_mark`], [`comma_if_no_point`]) and [`unit`]. [`DecimalMark`] is the
//! domain's (`aliquot_domain::instruments::DecimalMark`), re-exported.

pub use aliquot_domain::instruments::DecimalMark;
/// The value types are the domain's, so a parsed value is the value a command carries.
pub use aliquot_domain::runs::{Bound, Flag, Reading};

/// A cell's value; `None` for an empty cell.
pub fn read_cell(cell: &str, mark: DecimalMark) -> Option<Reading> {
    let text = cell.trim();
    if text.is_empty() {
        return None;
    }
    if let Some(value) = number(text, mark) {
        return Some(Reading::Number { value });
    }
    let upper = text.to_ascii_uppercase();
    let censored = |bound: Bound, rest: &str| Reading::Censored {
        bound,
        limit: number(rest.trim(), mark),
        text: text.to_owned(),
    };
    // "OOR <" / "OOR >" (Luminex): out of range, below or above, bound not given.
    if let Some(rest) = upper.strip_prefix("OOR") {
        match rest.trim() {
            "<" => return Some(censored(Bound::Below, "")),
            ">" => return Some(censored(Bound::Above, "")),
            _ => {}
        }
    }
    for (prefix, bound) in [
        ("<=", Bound::Below),
        ("≤", Bound::Below),
        ("<", Bound::Below),
        (">=", Bound::Above),
        ("≥", Bound::Above),
        (">", Bound::Above),
    ] {
        if let Some(rest) = text.strip_prefix(prefix) {
            if number(rest.trim(), mark).is_some() {
                return Some(censored(bound, rest));
            }
        }
    }
    let flag = match upper.as_str() {
        "OVRFLW" | "OVERFLOW" | "OVER" | "SAT" | "SATURATED" => Flag::Overflow,
        "MISSED" => Flag::Missed,
        "UNDETERMINED" | "NO CT" | "N/A CT" => Flag::Undetermined,
        "NAN" | "-NAN" => Flag::NotANumber,
        _ => Flag::Other,
    };
    Some(Reading::Flagged {
        flag,
        text: text.to_owned(),
    })
}

/// A decimal number written with `mark`, with or without thousands separators (`,` or `.`
/// opposite the mark, a space, an apostrophe), sign and exponent. Infinite and NaN are not
/// numbers here.
pub fn number(text: &str, mark: DecimalMark) -> Option<f64> {
    let (decimal, thousands) = match mark {
        DecimalMark::Point => ('.', ','),
        DecimalMark::Comma => (',', '.'),
    };
    let text = text.trim();
    if text.is_empty() || text.len() > 64 {
        return None;
    }
    let mut plain = String::with_capacity(text.len());
    let mut groups_ok = true;
    let (integer, fraction) = match text.rsplit_once(decimal) {
        Some((integer, fraction)) => (integer, Some(fraction)),
        None => (text, None),
    };
    // Thousands separators only in the integer part, every group after the first of three.
    let mut pieces = integer.split([thousands, ' ', '\'', '\u{a0}']);
    if let Some(first) = pieces.next() {
        plain.push_str(first);
        for piece in pieces {
            groups_ok &= piece.len() == 3 && piece.bytes().all(|b| b.is_ascii_digit());
            plain.push_str(piece);
        }
    }
    if !groups_ok {
        return None;
    }
    if let Some(fraction) = fraction {
        plain.push('.');
        plain.push_str(fraction);
    }
    let ok = plain
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'+' | b'e' | b'E'))
        && plain.bytes().any(|b| b.is_ascii_digit());
    if !ok {
        return None;
    }
    plain.parse::<f64>().ok().filter(|v| v.is_finite())
}

/// Which decimal mark a file's values are written with, from the values themselves: the
/// mark that reads the cells the other cannot (`2,07` is only a decimal comma, `8.51` only a
/// decimal point); a point where nothing tells (`704,986` alone could be either). A leading
/// `<`, `>`, `=`, `≤` or `≥` is passed over.
pub fn guess_decimal_mark<'a>(cells: impl IntoIterator<Item = &'a str>) -> DecimalMark {
    let (mut point, mut comma) = (0usize, 0usize);
    for cell in cells {
        let cell = cell
            .trim()
            .trim_start_matches(['<', '>', '=', '≤', '≥'])
            .trim();
        match (
            number(cell, DecimalMark::Point).is_some(),
            number(cell, DecimalMark::Comma).is_some(),
        ) {
            (true, false) => point += 1,
            (false, true) => comma += 1,
            _ => {}
        }
    }
    if comma > point {
        DecimalMark::Comma
    } else {
        DecimalMark::Point
    }
}

/// Decimal commas if the cells hold a comma and never a point; else a point. For grids of
/// values in a file whose separator (tab, semicolon) leaves the comma free to be the mark,
/// where `0,123` is far likelier a decimal than a thousands group ([`guess_decimal_mark`]
/// would call it undecided, and a point).
pub fn comma_if_no_point<'a>(cells: impl IntoIterator<Item = &'a str>) -> DecimalMark {
    let (mut commas, mut points) = (false, false);
    for cell in cells {
        commas |= cell.contains(',');
        points |= cell.contains('.');
    }
    if commas && !points {
        DecimalMark::Comma
    } else {
        DecimalMark::Point
    }
}

/// A unit as the file wrote it, trimmed, with the Greek mu some exports write read as the
/// micro sign (`μL` is `µL`); `None` for an empty cell.
pub fn unit(text: &str) -> Option<String> {
    let text = text.trim();
    (!text.is_empty()).then(|| text.replace('\u{3bc}', "\u{b5}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Option<Reading> {
        read_cell(text, DecimalMark::Point)
    }

    #[test]
    fn numbers_with_either_mark_and_thousands() {
        let cases = [
            ("2.100", DecimalMark::Point, Some(2.1)),
            ("-0.000", DecimalMark::Point, Some(-0.0)),
            ("1,234.5", DecimalMark::Point, Some(1234.5)),
            ("1 234.5", DecimalMark::Point, Some(1234.5)),
            ("2.5E+03", DecimalMark::Point, Some(2500.0)),
            ("0,125", DecimalMark::Comma, Some(0.125)),
            ("1.234,5", DecimalMark::Comma, Some(1234.5)),
            ("1 234,5", DecimalMark::Comma, Some(1234.5)),
            ("1,23.4", DecimalMark::Point, None),
            ("12,34", DecimalMark::Point, None),
            ("1.2.3", DecimalMark::Point, None),
            ("abc", DecimalMark::Point, None),
            ("inf", DecimalMark::Point, None),
            ("NaN", DecimalMark::Point, None),
            ("-", DecimalMark::Point, None),
        ];
        for (text, mark, expect) in cases {
            assert_eq!(number(text, mark), expect, "{text:?} {mark:?}");
        }
    }

    #[test]
    fn censored_values_stay_censored_with_their_bound() {
        assert_eq!(
            read("< 40"),
            Some(Reading::Censored {
                bound: Bound::Below,
                limit: Some(40.0),
                text: "< 40".into()
            })
        );
        assert_eq!(
            read(">4.000"),
            Some(Reading::Censored {
                bound: Bound::Above,
                limit: Some(4.0),
                text: ">4.000".into()
            })
        );
        for (text, bound) in [
            ("OOR <", Bound::Below),
            ("OOR >", Bound::Above),
            ("oor>", Bound::Above),
        ] {
            assert_eq!(
                read(text),
                Some(Reading::Censored {
                    bound,
                    limit: None,
                    text: text.into()
                }),
                "{text}"
            );
        }
        assert!(read("< 40").unwrap().number().is_none());
    }

    #[test]
    fn instrument_words_are_flags_and_an_empty_cell_is_nothing() {
        for (text, flag) in [
            ("OVRFLW", Flag::Overflow),
            ("MISSED", Flag::Missed),
            ("Undetermined", Flag::Undetermined),
            ("NaN", Flag::NotANumber),
            ("?????", Flag::Other),
            ("<", Flag::Other),
        ] {
            assert_eq!(
                read(text),
                Some(Reading::Flagged {
                    flag,
                    text: text.into()
                }),
                "{text}"
            );
        }
        assert_eq!(read("   "), None);
    }

    #[test]
    fn the_decimal_mark_is_the_one_only_it_reads() {
        assert_eq!(
            guess_decimal_mark(["704,986", "2,07", "17,62"]),
            DecimalMark::Comma
        );
        assert_eq!(guess_decimal_mark(["704.986", "2.07"]), DecimalMark::Point);
        assert_eq!(guess_decimal_mark(["704,986"]), DecimalMark::Point);
        assert_eq!(guess_decimal_mark(["1,234.5", "2.07"]), DecimalMark::Point);
        assert_eq!(guess_decimal_mark(["< 0,5", "1"]), DecimalMark::Comma);
        assert_eq!(guess_decimal_mark([]), DecimalMark::Point);
    }

    #[test]
    fn a_grid_has_decimal_commas_only_without_points() {
        assert_eq!(comma_if_no_point(["0,123", "1,5", ""]), DecimalMark::Comma);
        assert_eq!(comma_if_no_point(["0,123", "1.5"]), DecimalMark::Point);
        assert_eq!(comma_if_no_point(["12", "OVRFLW"]), DecimalMark::Point);
    }

    #[test]
    fn units_are_trimmed_and_mu_is_the_micro_sign() {
        assert_eq!(unit(" ng/\u{3bc}L "), Some("ng/\u{b5}L".into()));
        assert_eq!(unit("ng/mL"), Some("ng/mL".into()));
        assert_eq!(unit("   "), None);
    }
}
