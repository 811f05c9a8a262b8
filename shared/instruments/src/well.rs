//! Wells: a row letter (A–P for 384 wells, A–AF for 1536) and a column from 1. Files write
//! `A1`, `A01`, `a1` and `      A1`; all are the same well.

use serde::Serialize;
use std::fmt;

/// A well of a plate; rows and columns count from 0 here and print from A and 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(into = "String")]
pub struct Well {
    pub row: u8,
    pub column: u8,
}

/// The largest plate: 32 rows (A–AF) of 48 columns.
pub const MAX_ROWS: u8 = 32;
pub const MAX_COLUMNS: u8 = 48;

impl Well {
    /// A well from its name, padded or not; `None` for anything else.
    pub fn parse(text: &str) -> Option<Well> {
        let text = text.trim();
        let split = text.find(|c: char| c.is_ascii_digit())?;
        let (letters, digits) = text.split_at(split);
        Some(Well {
            row: row_from_letters(letters)?,
            column: column_from_digits(digits)?,
        })
    }

    /// A well from a row's letters and a column's number, as grid exports give them apart.
    pub fn from_parts(row: &str, column: &str) -> Option<Well> {
        Some(Well {
            row: row_from_letters(row.trim())?,
            column: column_from_digits(column.trim())?,
        })
    }
}

fn row_from_letters(letters: &str) -> Option<u8> {
    let upper = letters.to_ascii_uppercase();
    let row = match upper.as_bytes() {
        [a @ b'A'..=b'Z'] => a - b'A',
        // AA–AF: the rows after Z of a 1536-well plate.
        [b'A', b @ b'A'..=b'F'] => 26 + (b - b'A'),
        _ => return None,
    };
    (row < MAX_ROWS).then_some(row)
}

fn column_from_digits(digits: &str) -> Option<u8> {
    if digits.is_empty() || digits.len() > 3 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: u8 = digits.parse().ok()?;
    (1..=MAX_COLUMNS).contains(&n).then(|| n - 1)
}

impl fmt::Display for Well {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.row < 26 {
            write!(f, "{}{}", char::from(b'A' + self.row), self.column + 1)
        } else {
            write!(
                f,
                "A{}{}",
                char::from(b'A' + self.row - 26),
                self.column + 1
            )
        }
    }
}

impl From<Well> for String {
    fn from(w: Well) -> String {
        w.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn padded_and_zero_padded_names_are_one_well() {
        let a1 = Well { row: 0, column: 0 };
        for name in ["A1", "A01", "a1", "      A1", "A001", "A1 "] {
            assert_eq!(Well::parse(name), Some(a1), "{name:?}");
        }
        assert_eq!(
            Well::parse("P24"),
            Some(Well {
                row: 15,
                column: 23
            })
        );
        assert_eq!(
            Well::parse("AF48"),
            Some(Well {
                row: 31,
                column: 47
            })
        );
        assert_eq!(Well::parse("AF48").unwrap().to_string(), "AF48");
        assert_eq!(Well::from_parts("H", "12").unwrap().to_string(), "H12");
    }

    #[test]
    fn what_is_not_a_well_is_refused_at_the_edges() {
        for name in [
            "", "A", "1", "A0", "A49", "AG1", "AAA1", "A1B", "Ä1", "A-1", "A1000",
        ] {
            assert_eq!(Well::parse(name), None, "{name:?}");
        }
    }
}
