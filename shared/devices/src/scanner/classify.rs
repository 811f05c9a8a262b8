//! What a scan is: a command barcode that drives the workflow, one of our codes (checked
//! against its check character), a GS1 element string, or another barcode (a box label, a
//! vendor tube) that the store looks up. Pure: the store's block prefixes come in as data.

use aliquot_domain::numbering::{verify_check_character, PARTICIPANT_CODE_PREFIX};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// Command barcodes printed on the bench card, so a gloved hand never needs the keyboard.
pub const COMMAND_PREFIX: &str = "AQCMD:";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum ScanCommand {
    Confirm,
    Cancel,
    NextBox,
    Undo,
}

impl ScanCommand {
    pub const ALL: [ScanCommand; 4] = [
        ScanCommand::Confirm,
        ScanCommand::Cancel,
        ScanCommand::NextBox,
        ScanCommand::Undo,
    ];
    /// The text printed in the command barcode.
    pub fn barcode(self) -> String {
        let name = match self {
            ScanCommand::Confirm => "CONFIRM",
            ScanCommand::Cancel => "CANCEL",
            ScanCommand::NextBox => "NEXT-BOX",
            ScanCommand::Undo => "UNDO",
        };
        format!("{COMMAND_PREFIX}{name}")
    }
}

/// The sample-code shapes this lab issues: a block prefix and its digit count.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CodeShapes {
    pub sample_prefixes: Vec<(String, u8)>,
}

/// A scan, parsed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[ts(export)]
pub enum ScanKind {
    Command {
        command: ScanCommand,
    },
    /// One of our sample codes, with a valid check character.
    SampleCode {
        code: String,
    },
    /// One of our participant codes, with a valid check character.
    ParticipantCode {
        code: String,
    },
    /// A GS1 element string (has group separators or starts with a GS1 identifier).
    Gs1 {
        text: String,
    },
    /// Anything else (a box barcode, a vendor's tube code): the store decides.
    Other {
        text: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, TS)]
#[serde(tag = "reason", rename_all = "snake_case")]
#[ts(export)]
pub enum ClassifyRefusal {
    #[error("{code} looks like one of our codes but its check character is wrong; scan it again")]
    WrongCheckCharacter { code: String },
    #[error("{text} is not a command this workstation knows")]
    UnknownCommand { text: String },
}

fn shape_of<'a>(code: &str, shapes: &'a CodeShapes) -> Option<&'a (String, u8)> {
    shapes.sample_prefixes.iter().find(|(prefix, digits)| {
        code.len() == prefix.len() + usize::from(*digits) + 1
            && code.starts_with(prefix.as_str())
            && code[prefix.len()..code.len() - 1]
                .bytes()
                .all(|b| b.is_ascii_digit())
    })
}

pub fn classify(scan: &str, shapes: &CodeShapes) -> Result<ScanKind, ClassifyRefusal> {
    if let Some(name) = scan.strip_prefix(COMMAND_PREFIX) {
        return ScanCommand::ALL
            .into_iter()
            .find(|c| c.barcode() == scan)
            .map(|command| ScanKind::Command { command })
            .ok_or_else(|| ClassifyRefusal::UnknownCommand {
                text: name.to_owned(),
            });
    }
    if scan.as_bytes().contains(&super::framing::GROUP_SEPARATOR)
        || scan.starts_with("]d2")
        || scan.starts_with("]C1")
    {
        return Ok(ScanKind::Gs1 {
            text: scan.to_owned(),
        });
    }
    let upper = scan.to_ascii_uppercase();
    let checked = |code: String| {
        verify_check_character(&code)
            .map(|_| code.clone())
            .map_err(|_| ClassifyRefusal::WrongCheckCharacter { code })
    };
    if shape_of(&upper, shapes).is_some() {
        return checked(upper).map(|code| ScanKind::SampleCode { code });
    }
    let participant_shape = upper.len() >= 3
        && upper.starts_with(PARTICIPANT_CODE_PREFIX)
        && upper[1..upper.len() - 1]
            .bytes()
            .all(|b| b.is_ascii_digit())
        && upper.as_bytes()[upper.len() - 1].is_ascii_alphanumeric();
    if participant_shape {
        return checked(upper).map(|code| ScanKind::ParticipantCode { code });
    }
    Ok(ScanKind::Other {
        text: scan.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use aliquot_domain::numbering::{participant_code, sample_code};

    fn shapes() -> CodeShapes {
        CodeShapes {
            sample_prefixes: vec![("AQ".into(), 6), ("RL".into(), 6)],
        }
    }

    fn misread(code: &str) -> String {
        let mut wrong = code[..code.len() - 1].to_owned();
        wrong.push(if code.ends_with('0') { '1' } else { '0' });
        wrong
    }

    #[test]
    fn kinds() {
        let sample = sample_code("AQ", 6, 42).unwrap();
        assert_eq!(
            classify(&sample, &shapes()),
            Ok(ScanKind::SampleCode {
                code: sample.clone()
            })
        );
        assert_eq!(
            classify(&sample.to_lowercase(), &shapes()),
            Ok(ScanKind::SampleCode {
                code: sample.clone()
            })
        );
        let participant = participant_code(10_001);
        assert_eq!(
            classify(&participant, &shapes()),
            Ok(ScanKind::ParticipantCode { code: participant })
        );
        assert_eq!(
            classify("BX1101", &shapes()),
            Ok(ScanKind::Other {
                text: "BX1101".into()
            })
        );
        assert_eq!(
            classify("01\u{1d}21X", &shapes()),
            Ok(ScanKind::Gs1 {
                text: "01\u{1d}21X".into()
            })
        );
        for c in ScanCommand::ALL {
            assert_eq!(
                classify(&c.barcode(), &shapes()),
                Ok(ScanKind::Command { command: c })
            );
        }
        assert!(matches!(
            classify("AQCMD:SELF-DESTRUCT", &shapes()),
            Err(ClassifyRefusal::UnknownCommand { .. })
        ));
    }

    #[test]
    fn a_misread_check_character_is_refused() {
        let sample = sample_code("RL", 6, 7).unwrap();
        let wrong = misread(&sample);
        assert_eq!(
            classify(&wrong, &shapes()),
            Err(ClassifyRefusal::WrongCheckCharacter {
                code: wrong.clone()
            })
        );
        let p = misread(&participant_code(20_000));
        assert!(matches!(
            classify(&p, &shapes()),
            Err(ClassifyRefusal::WrongCheckCharacter { .. })
        ));
    }
}
