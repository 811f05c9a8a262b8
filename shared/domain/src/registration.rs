//! Collection sites, participants and field events: the rules for their data.

use crate::DomainError;

/// Site codes appear on labels and reports: short and unambiguous.
pub fn validate_site_code(code: &str) -> Result<String, DomainError> {
    let code = code.trim().to_uppercase();
    if code.is_empty()
        || code.len() > 8
        || !code
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
    {
        return Err(DomainError::invalid(
            "code",
            "1 to 8 capital letters or digits",
        ));
    }
    Ok(code)
}

/// A required short text (names, places): trimmed, 1‥max printable characters.
/// Characters no name, label text or reason may hold: control characters, and the Unicode
/// bidirectional formatting characters (overrides, embeddings, isolates, marks), which can
/// make a label or a list show text in an order other than the one stored — `U+202E` turns
/// "P10023X" into what reads as another code (Trojan Source, CVE-2021-42574).
pub fn is_unsafe_text_char(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}'
        )
}

pub fn validate_text(field: &'static str, value: &str, max: usize) -> Result<String, DomainError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(DomainError::invalid(field, "is required"));
    }
    if value.chars().count() > max || value.chars().any(is_unsafe_text_char) {
        return Err(DomainError::invalid(
            field,
            format!("at most {max} printable characters"),
        ));
    }
    Ok(value.to_owned())
}

/// An optional short text: empty means none.
pub fn validate_optional_text(
    field: &'static str,
    value: Option<&str>,
    max: usize,
) -> Result<Option<String>, DomainError> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => validate_text(field, v, max).map(Some),
    }
}

/// A site's participant number range as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SiteRange {
    pub start: i64,
    pub end: i64,
}

/// What the store loaded to decide a range change: the other sites' ranges, and the
/// numbers this site has already used or handed out in blocks.
#[derive(Debug, Clone, Default)]
pub struct RangeContext {
    pub other_sites: Vec<(String, SiteRange)>,
    /// Lowest and highest participant number used or reserved in a block at this site.
    pub used: Option<(i64, i64)>,
}

/// A site's range never overlaps another site's and never shrinks below what is used.
pub fn check_range(range: SiteRange, context: &RangeContext) -> Result<(), DomainError> {
    if range.start < 1 || range.end < range.start {
        return Err(DomainError::invalid(
            "participant_range",
            "must be start ≥ 1 and end ≥ start",
        ));
    }
    if range.end > 999_999_999 {
        return Err(DomainError::invalid(
            "participant_range",
            "must end at or below 999999999",
        ));
    }
    for (site, other) in &context.other_sites {
        if range.start <= other.end && other.start <= range.end {
            return Err(DomainError::RangeOverlap {
                site: site.clone(),
                start: other.start,
                end: other.end,
            });
        }
    }
    if let Some((low, high)) = context.used {
        if range.start > low || range.end < high {
            return Err(DomainError::RangeBelowUsed { low, high });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn names_refuse_text_direction_characters() {
        // Issue 11, defect 11: U+202E makes "Site 1 evil" display reversed on a label.
        for bad in [
            "Site \u{202E}1",
            "A\u{2066}B",
            "A\u{200F}B",
            "A\u{061C}B",
            "A\u{202A}B",
        ] {
            assert!(super::validate_text("name", bad, 60).is_err(), "{bad:?}");
        }
        for good in ["Site 1", "Hôpital Saint-Éloi", "北京协和医院", "مستشفى"] {
            assert!(super::validate_text("name", good, 60).is_ok(), "{good:?}");
        }
    }

    use super::*;

    #[test]
    fn site_codes_and_texts_stop_at_their_limits() {
        assert_eq!(validate_site_code("north123").unwrap(), "NORTH123");
        assert!(validate_site_code("NORTH1234").is_err());
        assert_eq!(validate_text("name", "ab", 2).unwrap(), "ab");
        assert!(validate_text("name", "abc", 2).is_err());
        assert_eq!(validate_text("name", "éé", 2).unwrap(), "éé");
    }

    #[rstest::rstest]
    #[case(1, 1, true)]
    #[case(0, 10, false)]
    #[case(5, 4, false)]
    #[case(1, 999_999_999, true)]
    #[case(1, 1_000_000_000, false)]
    fn a_range_starts_at_one_or_more_and_ends_at_or_after_its_start(
        #[case] start: i64,
        #[case] end: i64,
        #[case] ok: bool,
    ) {
        let result = check_range(SiteRange { start, end }, &RangeContext::default());
        assert_eq!(result.is_ok(), ok, "{start}–{end}");
    }
    use rstest::rstest;

    fn ctx() -> RangeContext {
        RangeContext {
            other_sites: vec![(
                "NORTH".into(),
                SiteRange {
                    start: 1000,
                    end: 1999,
                },
            )],
            used: Some((2000, 2050)),
        }
    }

    #[rstest]
    #[case(2000, 2999, true)]
    #[case(1999, 2999, false)] // touches NORTH
    #[case(500, 1000, false)]
    #[case(2001, 2999, false)] // would drop number 2000, already used
    #[case(2000, 2049, false)] // would drop 2050
    #[case(2000, 2050, true)]
    #[case(0, 10, false)]
    #[case(3000, 2999, false)]
    fn ranges(#[case] start: i64, #[case] end: i64, #[case] ok: bool) {
        assert_eq!(
            check_range(SiteRange { start, end }, &ctx()).is_ok(),
            ok,
            "{start}-{end}"
        );
    }

    #[test]
    fn site_codes() {
        assert_eq!(validate_site_code(" nrth1 ").unwrap(), "NRTH1");
        assert!(validate_site_code("NORTH-1").is_err());
        assert!(validate_site_code("").is_err());
        assert!(validate_site_code("ABCDEFGHI").is_err());
    }
}
