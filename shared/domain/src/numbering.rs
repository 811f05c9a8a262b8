//! Number blocks and code formats: how a workstation issues participant numbers and sample
//! codes that no other workstation can issue, even offline.
//!
//! A block is a range of numbers owned by one device (a prefix, the range, and the next free
//! value). Blocks of the same kind and prefix never overlap, and sample prefixes are
//! prefix-free (no prefix starts another), so two codes from different blocks can never be
//! the same string. Every code ends in an ISO/IEC 7064 MOD 37,36 check character, which
//! catches every single wrong character and all but about 0.3 % of swaps of two neighbours, so a mistyped or
//! misread code is refused instead of finding the wrong tube.

use crate::DomainError;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// The alphabet of codes and check characters: digits then capital letters.
const ALPHABET: &[u8; 36] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

/// Participant codes are `P` + number + check character; sample prefixes may not start with it.
pub const PARTICIPANT_CODE_PREFIX: char = 'P';

fn value_of(c: char) -> Option<u32> {
    c.to_digit(36)
}

/// ISO/IEC 7064 MOD 37,36 (hybrid) check character over `body` (digits and capital letters).
pub fn check_character(body: &str) -> Result<char, DomainError> {
    const M: u32 = 36;
    let mut p = M;
    for c in body.chars() {
        let v = match value_of(c) {
            Some(v) if !c.is_ascii_lowercase() => v,
            _ => {
                return Err(DomainError::invalid(
                    "code",
                    format!("{c:?} is not allowed in a code (digits and capital letters only)"),
                ))
            }
        };
        let mut s = (p + v) % M;
        if s == 0 {
            s = M;
        }
        p = (2 * s) % (M + 1);
    }
    let check = (M + 1 - p) % M;
    Ok(char::from(ALPHABET[check as usize]))
}

/// Splits a full code into its body after verifying the check character.
pub fn verify_check_character(code: &str) -> Result<&str, DomainError> {
    let Some(last) = code.chars().last() else {
        return Err(DomainError::invalid("code", "is empty"));
    };
    let body = &code[..code.len() - last.len_utf8()];
    if body.is_empty() {
        return Err(DomainError::invalid("code", "is too short"));
    }
    let expected = check_character(body)?;
    if expected != last {
        return Err(DomainError::CheckCharacterMismatch {
            code: code.to_owned(),
        });
    }
    Ok(body)
}

/// What a block numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum BlockKind {
    /// Participant numbers, inside one site's range.
    Participant,
    /// Sample codes issued one after another by this workstation.
    Sample,
    /// A roll of pre-printed labels: its codes are bound when a tube is scanned.
    Preprinted,
}

impl BlockKind {
    pub const ALL: [BlockKind; 3] = [
        BlockKind::Participant,
        BlockKind::Sample,
        BlockKind::Preprinted,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            BlockKind::Participant => "participant",
            BlockKind::Sample => "sample",
            BlockKind::Preprinted => "preprinted",
        }
    }
    pub fn parse(s: &str) -> Option<BlockKind> {
        BlockKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// A block as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NumberBlock {
    pub kind: BlockKind,
    pub device_id: String,
    pub site_id: Option<uuid::Uuid>,
    /// Empty for participant blocks.
    pub prefix: String,
    /// Zero-padded width of the number in a sample code; 0 for participant blocks.
    pub digits: u8,
    pub first: i64,
    pub last: i64,
    /// The next value this block will issue; `last + 1` when used up.
    pub next: i64,
}

/// Sample code from its parts: prefix, zero-padded number, check character.
pub fn sample_code(prefix: &str, digits: u8, number: i64) -> Result<String, DomainError> {
    let body = format!("{prefix}{number:0width$}", width = usize::from(digits));
    let check = check_character(&body)?;
    Ok(format!("{body}{check}"))
}

/// Participant code: `P`, the number, the check character.
pub fn participant_code(number: i64) -> String {
    let body = format!("{PARTICIPANT_CODE_PREFIX}{number}");
    // The body is a capital letter and digits, always in the alphabet.
    let check = check_character(&body).unwrap_or('0');
    format!("{body}{check}")
}

impl NumberBlock {
    pub fn remaining(&self) -> i64 {
        (self.last - self.next + 1).max(0)
    }

    /// The next value and this block's state after issuing it.
    pub fn issue(&self) -> Result<(i64, NumberBlock), DomainError> {
        if self.next > self.last {
            return Err(DomainError::BlockUsedUp {
                kind: self.kind.as_str(),
            });
        }
        let mut after = self.clone();
        after.next += 1;
        Ok((self.next, after))
    }

    pub fn code_of(&self, number: i64) -> Result<String, DomainError> {
        match self.kind {
            BlockKind::Participant => Ok(participant_code(number)),
            BlockKind::Sample | BlockKind::Preprinted => {
                sample_code(&self.prefix, self.digits, number)
            }
        }
    }

    /// The number a code of this block stands for, if the code belongs to it.
    pub fn number_of(&self, code: &str) -> Option<i64> {
        let body = verify_check_character(code).ok()?;
        let digits = body.strip_prefix(self.prefix.as_str())?;
        if digits.len() != usize::from(self.digits) || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let n: i64 = digits.parse().ok()?;
        (self.first..=self.last).contains(&n).then_some(n)
    }
}

/// A block an administrator wants to assign to a workstation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct NewBlock {
    pub kind: BlockKind,
    /// The workstation that will own it (its device id).
    pub device_id: String,
    /// For participant blocks: the site whose range it is cut from.
    pub site_id: Option<uuid::Uuid>,
    #[serde(default)]
    pub prefix: String,
    #[serde(default)]
    pub digits: u8,
    #[ts(type = "number")]
    pub first: i64,
    #[ts(type = "number")]
    pub last: i64,
}

/// How the hub leases blocks to workstations: how many numbers each lease holds, and how
/// the lab's sample codes look. A workstation asks for a new lease when what is left of
/// its open blocks falls below the low-water mark, so it can work a whole offline day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeasePolicy {
    pub sample_prefix: String,
    pub sample_digits: u8,
    pub sample_block: i64,
    pub participant_block: i64,
}

impl Default for LeasePolicy {
    fn default() -> Self {
        LeasePolicy {
            sample_prefix: "S".into(),
            sample_digits: 7,
            sample_block: 1_000,
            participant_block: 100,
        }
    }
}

impl LeasePolicy {
    /// Below this many numbers left, a workstation asks for its next lease.
    pub fn low_water(&self, kind: BlockKind) -> i64 {
        match kind {
            BlockKind::Participant => (self.participant_block / 4).max(1),
            _ => (self.sample_block / 4).max(1),
        }
    }
}

/// The next block the hub leases to `device_id`: the lowest free run of the policy's size
/// after the blocks of the same numbering (inside the site's range for participants),
/// shorter only at the very end of the range. Refused when nothing is left.
pub fn next_lease(
    kind: BlockKind,
    device_id: &str,
    site: Option<(uuid::Uuid, i64, i64)>,
    existing: &[NumberBlock],
    policy: &LeasePolicy,
) -> Result<NewBlock, DomainError> {
    let (site_id, prefix, digits, start, end, size) = match kind {
        BlockKind::Participant => {
            let Some((site_id, start, end)) = site else {
                return Err(DomainError::invalid(
                    "site_id",
                    "a participant block belongs to a site",
                ));
            };
            (
                Some(site_id),
                String::new(),
                0,
                start,
                end,
                policy.participant_block,
            )
        }
        BlockKind::Sample => (
            None,
            policy.sample_prefix.clone(),
            policy.sample_digits,
            1,
            10_i64.pow(u32::from(policy.sample_digits.min(9))) - 1,
            policy.sample_block,
        ),
        BlockKind::Preprinted => {
            return Err(DomainError::Refused(
                "pre-printed rolls are registered by an administrator, not leased".into(),
            ))
        }
    };
    let mut taken: Vec<(i64, i64)> = existing
        .iter()
        .filter(|b| match kind {
            BlockKind::Participant => b.kind == BlockKind::Participant,
            _ => b.kind != BlockKind::Participant && b.prefix == prefix,
        })
        .map(|b| (b.first, b.last))
        .collect();
    taken.sort_unstable();
    let mut first = start;
    for (lo, hi) in taken {
        if hi < first {
            continue;
        }
        if lo > first && lo - first >= size.min(end - first + 1) {
            break;
        }
        first = first.max(hi + 1);
    }
    if first > end {
        return Err(DomainError::Refused(match kind {
            BlockKind::Participant => {
                "the site's participant range is used up; widen it on the hub".into()
            }
            _ => format!("every {prefix} sample code is leased; the lab needs a new prefix"),
        }));
    }
    let last = (first + size - 1).min(end);
    let last = existing
        .iter()
        .filter(|b| match kind {
            BlockKind::Participant => b.kind == BlockKind::Participant,
            _ => b.kind != BlockKind::Participant && b.prefix == prefix,
        })
        .filter(|b| b.first > first)
        .map(|b| b.first - 1)
        .fold(last, i64::min);
    Ok(NewBlock {
        kind,
        device_id: device_id.to_owned(),
        site_id,
        prefix,
        digits,
        first,
        last,
    })
}

/// Checks a new block against every block already assigned (to any workstation) and, for
/// participant blocks, against the site's range.
pub fn validate_new_block(
    new: &NewBlock,
    existing: &[NumberBlock],
    site_range: Option<(i64, i64)>,
) -> Result<NumberBlock, DomainError> {
    if new.device_id.trim().is_empty() {
        return Err(DomainError::invalid(
            "device_id",
            "name the workstation that will own this block",
        ));
    }
    if new.first < 1 || new.last < new.first {
        return Err(DomainError::invalid(
            "range",
            "must be first ≥ 1 and last ≥ first",
        ));
    }
    let mut block = NumberBlock {
        kind: new.kind,
        device_id: new.device_id.trim().to_owned(),
        site_id: new.site_id,
        prefix: new.prefix.trim().to_uppercase(),
        digits: new.digits,
        first: new.first,
        last: new.last,
        next: new.first,
    };
    match new.kind {
        BlockKind::Participant => {
            let Some((start, end)) = site_range else {
                return Err(DomainError::invalid(
                    "site_id",
                    "a participant block belongs to a site",
                ));
            };
            if new.first < start || new.last > end {
                return Err(DomainError::invalid(
                    "range",
                    format!("must lie inside the site's participant range {start}–{end}"),
                ));
            }
            block.prefix.clear();
            block.digits = 0;
        }
        BlockKind::Sample | BlockKind::Preprinted => {
            if new.site_id.is_some() {
                return Err(DomainError::invalid(
                    "site_id",
                    "sample blocks are not tied to a site",
                ));
            }
            let p = &block.prefix;
            if p.is_empty()
                || p.len() > 6
                || !p
                    .bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
            {
                return Err(DomainError::invalid(
                    "prefix",
                    "1 to 6 capital letters or digits",
                ));
            }
            if !p.as_bytes()[0].is_ascii_uppercase() {
                return Err(DomainError::invalid("prefix", "must start with a letter"));
            }
            if p.starts_with(PARTICIPANT_CODE_PREFIX) {
                return Err(DomainError::invalid(
                    "prefix",
                    "P is kept for participant codes",
                ));
            }
            if !(4..=9).contains(&block.digits) {
                return Err(DomainError::invalid("digits", "between 4 and 9"));
            }
            if block.last >= 10_i64.pow(u32::from(block.digits)) {
                return Err(DomainError::invalid(
                    "range",
                    format!("does not fit in {} digits", block.digits),
                ));
            }
        }
    }
    for other in existing {
        let same_numbering = match (block.kind, other.kind) {
            (BlockKind::Participant, BlockKind::Participant) => true,
            (BlockKind::Participant, _) | (_, BlockKind::Participant) => false,
            _ => {
                if other.prefix != block.prefix
                    && (other.prefix.starts_with(&block.prefix)
                        || block.prefix.starts_with(&other.prefix))
                {
                    return Err(DomainError::invalid(
                        "prefix",
                        format!("{} and {} could make the same code; use prefixes where neither starts the other", block.prefix, other.prefix),
                    ));
                }
                if other.prefix == block.prefix && other.digits != block.digits {
                    return Err(DomainError::invalid(
                        "digits",
                        format!(
                            "prefix {} already uses {} digits",
                            block.prefix, other.digits
                        ),
                    ));
                }
                other.prefix == block.prefix
            }
        };
        if same_numbering && block.first <= other.last && other.first <= block.last {
            return Err(DomainError::BlockOverlap {
                first: other.first,
                last: other.last,
                device_id: other.device_id.clone(),
            });
        }
    }
    Ok(block)
}

#[cfg(test)]
mod tests {

    fn held(kind: BlockKind, prefix: &str, first: i64, last: i64) -> NumberBlock {
        NumberBlock {
            kind,
            device_id: "d".into(),
            site_id: None,
            prefix: prefix.into(),
            digits: if kind == BlockKind::Participant { 0 } else { 7 },
            first,
            last,
            next: first,
        }
    }

    #[rstest::rstest]
    // Nothing leased yet: the range starts at the beginning.
    #[case::first(&[], (10_000, 10_099))]
    // After what is leased.
    #[case::after(&[(10_000, 10_099)], (10_100, 10_199))]
    // A gap big enough is used first.
    #[case::gap(&[(10_000, 10_099), (10_300, 10_399)], (10_100, 10_199))]
    // A gap too small is skipped.
    #[case::small_gap(&[(10_000, 10_049), (10_060, 10_099)], (10_100, 10_199))]
    // Short at the end of the range, never past it.
    #[case::end(&[(10_000, 10_949)], (10_950, 10_999))]
    // A short gap at the start is skipped too; the lease goes after the block.
    #[case::small_gap_first(&[(10_050, 10_120)], (10_121, 10_220))]
    // Never over a block further on.
    #[case::past_a_block(&[(10_000, 10_099), (10_150, 10_160)], (10_161, 10_260))]
    fn participant_leases_take_the_lowest_free_run(
        #[case] taken: &[(i64, i64)],
        #[case] expected: (i64, i64),
    ) {
        let existing: Vec<NumberBlock> = taken
            .iter()
            .map(|(a, b)| held(BlockKind::Participant, "", *a, *b))
            .collect();
        let site = uuid::Uuid::nil();
        let lease = next_lease(
            BlockKind::Participant,
            "desk",
            Some((site, 10_000, 10_999)),
            &existing,
            &LeasePolicy::default(),
        )
        .unwrap();
        assert_eq!((lease.first, lease.last), expected);
        assert!(validate_new_block(&lease, &existing, Some((10_000, 10_999))).is_ok());
    }

    #[test]
    fn sample_leases_follow_the_labs_prefix_and_stop_when_used_up() {
        let policy = LeasePolicy {
            sample_digits: 4,
            sample_block: 5_000,
            ..LeasePolicy::default()
        };
        let other_prefix = [held(BlockKind::Sample, "T", 1, 9_000)];
        let lease = next_lease(BlockKind::Sample, "desk", None, &other_prefix, &policy).unwrap();
        assert_eq!(
            (lease.prefix.as_str(), lease.first, lease.last),
            ("S", 1, 5_000)
        );
        let held_s = [held(BlockKind::Sample, "S", 1, 5_000)];
        let lease = next_lease(BlockKind::Sample, "desk", None, &held_s, &policy).unwrap();
        assert_eq!((lease.first, lease.last), (5_001, 9_999));
        let full = [held(BlockKind::Sample, "S", 1, 9_999)];
        assert_eq!(
            next_lease(BlockKind::Sample, "desk", None, &full, &policy)
                .unwrap_err()
                .reason_code(),
            "refused"
        );
        assert!(next_lease(BlockKind::Participant, "desk", None, &[], &policy).is_err());
        assert!(next_lease(BlockKind::Preprinted, "desk", None, &[], &policy).is_err());
    }

    use super::*;
    use proptest::prelude::*;
    use rstest::rstest;

    fn sample_block(device: &str, prefix: &str, first: i64, last: i64) -> NumberBlock {
        NumberBlock {
            kind: BlockKind::Sample,
            device_id: device.into(),
            site_id: None,
            prefix: prefix.into(),
            digits: 6,
            first,
            last,
            next: first,
        }
    }

    fn new_sample(device: &str, prefix: &str, first: i64, last: i64) -> NewBlock {
        NewBlock {
            kind: BlockKind::Sample,
            device_id: device.into(),
            site_id: None,
            prefix: prefix.into(),
            digits: 6,
            first,
            last,
        }
    }

    #[test]
    fn check_character_known_values() {
        // ISO 7064 MOD 37,36 worked value: body "A12425GABC1234002" → "M".
        assert_eq!(check_character("A12425GABC1234002").unwrap(), 'M');
        let code = sample_code("AQ", 6, 42).unwrap();
        assert!(code.starts_with("AQ000042"));
        assert_eq!(verify_check_character(&code).unwrap(), "AQ000042");
    }

    proptest! {
        #[test]
        fn every_single_substitution_is_caught(n in 1i64..999_999, pos in 0usize..8, with in 0usize..36) {
            let code = sample_code("AQ", 6, n).unwrap();
            let mut chars: Vec<char> = code.chars().collect();
            let replacement = char::from(ALPHABET[with]);
            prop_assume!(chars[pos] != replacement);
            chars[pos] = replacement;
            let typo: String = chars.into_iter().collect();
            prop_assert!(verify_check_character(&typo).is_err());
        }

    }

    /// MOD 37,36 does not catch every swap of neighbours; measure that it catches nearly all.
    #[test]
    fn nearly_every_adjacent_swap_is_caught() {
        let (mut swaps, mut caught) = (0u32, 0u32);
        for n in (1..200_000).step_by(7) {
            let code: Vec<char> = sample_code("AQ", 6, n).unwrap().chars().collect();
            for i in 0..code.len() - 1 {
                if code[i] == code[i + 1] {
                    continue;
                }
                let mut typo = code.clone();
                typo.swap(i, i + 1);
                swaps += 1;
                if verify_check_character(&typo.into_iter().collect::<String>()).is_err() {
                    caught += 1;
                }
            }
        }
        let rate = f64::from(caught) / f64::from(swaps);
        assert!(rate > 0.99, "caught {caught} of {swaps} swaps");
    }

    #[test]
    fn a_wrong_check_character_names_the_code() {
        let code = sample_code("AQ", 6, 7).unwrap();
        let mut wrong = code[..code.len() - 1].to_owned();
        wrong.push(if code.ends_with('0') { '1' } else { '0' });
        let err = verify_check_character(&wrong).unwrap_err();
        assert_eq!(
            err,
            DomainError::CheckCharacterMismatch {
                code: wrong.clone()
            }
        );
        assert!(err.to_string().contains(&wrong));
    }

    #[test]
    fn lower_case_and_symbols_are_refused() {
        assert!(check_character("aq1").is_err());
        assert!(check_character("AQ-1").is_err());
    }

    #[test]
    fn issuing_walks_the_block_then_stops() {
        let b = sample_block("ws1", "AQ", 1, 2);
        let (n1, b) = b.issue().unwrap();
        let (n2, b) = b.issue().unwrap();
        assert_eq!((n1, n2), (1, 2));
        assert_eq!(
            b.issue().unwrap_err(),
            DomainError::BlockUsedUp { kind: "sample" }
        );
        assert_eq!(b.remaining(), 0);
    }

    #[test]
    fn codes_map_back_to_their_numbers() {
        let b = sample_block("ws1", "AQ", 100, 200);
        let code = b.code_of(150).unwrap();
        assert_eq!(b.number_of(&code), Some(150));
        assert_eq!(b.number_of(&b.code_of(201).unwrap()), None);
        assert_eq!(sample_block("ws1", "AR", 100, 200).number_of(&code), None);
    }

    #[rstest]
    #[case(new_sample("ws2", "AQ", 50, 150), false)] // overlaps ws1's 1–100
    #[case(new_sample("ws2", "AQ", 101, 200), true)]
    #[case(new_sample("ws2", "AR", 1, 100), true)] // another prefix
    #[case(new_sample("ws2", "A", 500, 600), false)] // A starts AQ
    #[case(new_sample("ws2", "AQX", 500, 600), false)] // AQ starts AQX
    #[case(new_sample("ws2", "PX", 1, 10), false)] // P is for participants
    #[case(new_sample("ws2", "1A", 1, 10), false)]
    #[case(new_sample("", "AR", 1, 10), false)]
    #[case(new_sample("ws2", "AR", 10, 1), false)]
    #[case(new_sample("ws2", "AR", 1, 1_000_000), false)] // does not fit 6 digits
    fn new_blocks_never_collide(#[case] new: NewBlock, #[case] ok: bool) {
        let existing = [sample_block("ws1", "AQ", 1, 100)];
        assert_eq!(
            validate_new_block(&new, &existing, None).is_ok(),
            ok,
            "{new:?}"
        );
    }

    #[test]
    fn participant_blocks_stay_inside_the_site_range() {
        let new = NewBlock {
            kind: BlockKind::Participant,
            device_id: "ws1".into(),
            site_id: Some(uuid::Uuid::nil()),
            prefix: String::new(),
            digits: 0,
            first: 1000,
            last: 1999,
        };
        assert!(validate_new_block(&new, &[], Some((1000, 4999))).is_ok());
        assert!(validate_new_block(&new, &[], Some((1500, 4999))).is_err());
        assert!(validate_new_block(&new, &[], None).is_err());
    }

    #[test]
    fn participant_codes_carry_a_check_character() {
        let code = participant_code(10_042);
        assert!(code.starts_with("P10042"));
        assert_eq!(verify_check_character(&code).unwrap(), "P10042");
    }

    // Boundaries found by `cargo mutants` (issue 11): each case below kills a mutant that
    // survived the tests above (an off-by-one in a range check or in `remaining`).

    #[test]
    fn participant_blocks_do_not_overlap_each_other() {
        let new = |first, last| NewBlock {
            kind: BlockKind::Participant,
            device_id: "ws2".into(),
            site_id: Some(uuid::Uuid::nil()),
            prefix: String::new(),
            digits: 0,
            first,
            last,
        };
        let existing = validate_new_block(&new(1000, 1099), &[], Some((1000, 4999))).unwrap();
        let site = Some((1000, 4999));
        assert!(matches!(
            validate_new_block(&new(1050, 1150), std::slice::from_ref(&existing), site),
            Err(DomainError::BlockOverlap {
                first: 1000,
                last: 1099,
                ..
            })
        ));
        assert!(
            validate_new_block(&new(1100, 1199), std::slice::from_ref(&existing), site).is_ok()
        );
        // A sample block with the same numbers is another numbering.
        let samples = [sample_block("ws1", "AQ", 1000, 1099)];
        assert!(validate_new_block(&new(1000, 1099), &samples, site).is_ok());
    }

    #[test]
    fn block_kinds_read_back_from_their_stored_names() {
        for kind in BlockKind::ALL {
            assert_eq!(BlockKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(BlockKind::parse("sample "), None);
        assert_eq!(BlockKind::parse(""), None);
    }

    #[test]
    fn remaining_counts_what_is_left_and_never_goes_negative() {
        let b = sample_block("ws1", "AQ", 1, 100);
        assert_eq!(b.remaining(), 100);
        let (_, b) = b.issue().unwrap();
        assert_eq!(b.remaining(), 99);
        let one = sample_block("ws1", "AQ", 7, 7);
        assert_eq!(one.remaining(), 1);
        let (n, used) = one.issue().unwrap();
        assert_eq!((n, used.remaining()), (7, 0));
        let mut past = used.clone();
        past.next = past.last + 5;
        assert_eq!(past.remaining(), 0);
    }

    #[rstest]
    #[case(1000, 4999, true)] // exactly the site's range
    #[case(4000, 4999, true)] // ending exactly at the range's end
    #[case(1000, 1000, true)] // a one-number block at the start
    #[case(4999, 4999, true)] // a one-number block at the end
    #[case(999, 1500, false)]
    #[case(4000, 5000, false)]
    fn participant_blocks_at_the_edges_of_the_site_range(
        #[case] first: i64,
        #[case] last: i64,
        #[case] ok: bool,
    ) {
        let new = NewBlock {
            kind: BlockKind::Participant,
            device_id: "ws1".into(),
            site_id: Some(uuid::Uuid::nil()),
            prefix: String::new(),
            digits: 0,
            first,
            last,
        };
        assert_eq!(
            validate_new_block(&new, &[], Some((1000, 4999))).is_ok(),
            ok,
            "{first}–{last}"
        );
    }

    #[rstest]
    #[case(new_sample("ws2", "AR", 1, 1), true)] // one number, the lowest allowed
    #[case(new_sample("ws2", "AR", 0, 5), false)]
    #[case(new_sample("ws2", "ABCDEF", 1, 10), true)] // a 6-character prefix
    #[case(new_sample("ws2", "ABCDEFG", 1, 10), false)]
    #[case(new_sample("ws2", "AR", 1, 999_999), true)] // the largest 6-digit number
    #[case(new_sample("ws2", "AQ", 100, 300), false)] // starts on ws1's last number
    #[case(new_sample("ws2", "AQ", 101, 300), true)] // starts right after it
    #[case(new_sample("ws2", "AQ", 1, 1), false)] // ends on ws1's first number
    #[case(new_sample("ws2", "  aq ", 101, 300), true)] // trimmed and upper-cased
    fn sample_blocks_at_their_edges(#[case] new: NewBlock, #[case] ok: bool) {
        let existing = [sample_block("ws1", "AQ", 1, 100)];
        assert_eq!(
            validate_new_block(&new, &existing, None).is_ok(),
            ok,
            "{new:?}"
        );
    }

    #[test]
    fn digits_between_four_and_nine() {
        for (digits, ok) in [(3, false), (4, true), (9, true), (10, false)] {
            let mut new = new_sample("ws2", "AR", 1, 10);
            new.digits = digits;
            assert_eq!(validate_new_block(&new, &[], None).is_ok(), ok, "{digits}");
        }
        let mut four = new_sample("ws2", "AR", 1, 9_999);
        four.digits = 4;
        assert!(validate_new_block(&four, &[], None).is_ok());
        four.last = 10_000;
        assert!(validate_new_block(&four, &[], None).is_err());
    }

    #[test]
    fn one_prefix_keeps_one_number_of_digits() {
        let mut wider = new_sample("ws2", "AQ", 500, 600);
        wider.digits = 7;
        let err =
            validate_new_block(&wider, &[sample_block("ws1", "AQ", 1, 100)], None).unwrap_err();
        assert!(
            matches!(
                err,
                DomainError::Invalid {
                    field: "digits",
                    ..
                }
            ),
            "{err}"
        );
    }

    #[test]
    fn a_block_reads_back_exactly_its_own_numbers() {
        let b = sample_block("ws1", "AQ", 100, 200);
        for (n, inside) in [(99, false), (100, true), (200, true), (201, false)] {
            let code = b.code_of(n).unwrap();
            assert_eq!(b.number_of(&code), inside.then_some(n), "{n}");
        }
        // A code with another number of digits is not its own.
        let mut seven = b.clone();
        seven.digits = 7;
        assert_eq!(seven.number_of(&b.code_of(150).unwrap()), None);
    }
}
