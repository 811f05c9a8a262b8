//! Keyboard-wedge scanners type their code as keystrokes, much faster than a person, and
//! end with Enter (or Tab). These are the rules the UI applies to tell a scan from typing,
//! wherever the focus is; the UI's detector follows them and is tested against the same
//! cases (`ui/src/scan/wedge.test.ts`).

use serde::{Deserialize, Serialize};
use ts_rs::TS;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct WedgeRules {
    /// The longest gap between two keystrokes of one scan. People rarely type faster than
    /// one key per 80 ms; scanners send one per 1–20 ms.
    pub max_gap_ms: u32,
    /// Fewer characters than this is typing, however fast.
    pub min_length: u32,
    pub max_length: u32,
    /// Keys that end a scan.
    pub terminators: Vec<String>,
}

impl Default for WedgeRules {
    fn default() -> Self {
        WedgeRules {
            max_gap_ms: 35,
            min_length: 4,
            max_length: 128,
            terminators: vec!["Enter".into(), "Tab".into()],
        }
    }
}

/// One keystroke as the UI sees it: the key's name and when it came.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keystroke {
    pub key: String,
    pub at_ms: u64,
}

/// The reference detector: feed keystrokes, get a scan when a fast burst ends with a
/// terminator. Anything else is typing and is left alone.
#[derive(Debug, Default)]
pub struct WedgeDetector {
    rules: WedgeRules,
    buffer: String,
    last_at: Option<u64>,
    /// The burst went past `max_length`: nothing of it is a scan, up to its terminator.
    overflowed: bool,
}

impl WedgeDetector {
    pub fn new(rules: WedgeRules) -> Self {
        WedgeDetector {
            rules,
            buffer: String::new(),
            last_at: None,
            overflowed: false,
        }
    }

    pub fn key(&mut self, k: &Keystroke) -> Option<String> {
        let gap_ok = self
            .last_at
            .is_none_or(|last| k.at_ms.saturating_sub(last) <= u64::from(self.rules.max_gap_ms));
        if !gap_ok {
            self.buffer.clear();
            self.overflowed = false;
        }
        self.last_at = Some(k.at_ms);
        if self.rules.terminators.contains(&k.key) {
            let scan = std::mem::take(&mut self.buffer);
            let overflowed = std::mem::take(&mut self.overflowed);
            self.last_at = None;
            let n = u32::try_from(scan.chars().count()).unwrap_or(u32::MAX);
            return (gap_ok && !overflowed && n >= self.rules.min_length).then_some(scan);
        }
        let mut chars = k.key.chars();
        match (chars.next(), chars.next()) {
            (Some(_), None) if self.overflowed => {}
            (Some(c), None) if !c.is_control() => {
                if self.buffer.chars().count() < self.rules.max_length as usize {
                    self.buffer.push(c)
                } else {
                    self.buffer.clear();
                    self.overflowed = true;
                }
            }
            _ => {
                self.buffer.clear();
                self.overflowed = false;
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(keys: &[(&str, u64)]) -> Vec<String> {
        let mut d = WedgeDetector::new(WedgeRules::default());
        keys.iter()
            .filter_map(|(k, t)| {
                d.key(&Keystroke {
                    key: (*k).into(),
                    at_ms: *t,
                })
            })
            .collect()
    }

    fn burst(code: &str, start: u64, gap: u64) -> Vec<(String, u64)> {
        let mut keys: Vec<(String, u64)> = code
            .chars()
            .enumerate()
            .map(|(i, c)| (c.to_string(), start + i as u64 * gap))
            .collect();
        keys.push(("Enter".into(), start + code.len() as u64 * gap));
        keys
    }

    fn as_refs(keys: &[(String, u64)]) -> Vec<(&str, u64)> {
        keys.iter().map(|(k, t)| (k.as_str(), *t)).collect()
    }

    #[test]
    fn a_fast_burst_ending_in_enter_is_a_scan() {
        assert_eq!(run(&as_refs(&burst("AQ000042X", 1000, 8))), ["AQ000042X"]);
    }

    #[test]
    fn typing_is_not_a_scan() {
        assert!(run(&as_refs(&burst("AQ000042X", 1000, 120))).is_empty());
        // Fast but too short: a person hitting two keys and Enter.
        assert!(run(&as_refs(&burst("ok", 1000, 5))).is_empty());
    }

    #[test]
    fn a_burst_longer_than_the_rules_allow_is_not_a_scan() {
        let long = "A".repeat(WedgeRules::default().max_length as usize + 10);
        assert!(run(&as_refs(&burst(&long, 0, 1))).is_empty());
        let just = "A".repeat(WedgeRules::default().max_length as usize);
        assert_eq!(run(&as_refs(&burst(&just, 0, 1))), [just]);
    }

    #[test]
    fn a_pause_then_a_scan_still_scans() {
        let mut keys = burst("hello", 0, 150);
        keys.extend(burst("BX1101", 5000, 10));
        assert_eq!(run(&as_refs(&keys)), ["BX1101"]);
    }
}
