//! What the fixture tests share: reading a fixture in place, and walking the allotropy
//! reading beside it (Allotrope Simple Model JSON).
#![allow(dead_code)] // Each test file uses its own part.

use aliquot_instruments::{RawResult, Reading};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::PathBuf;

pub fn fixture(path: &str) -> Vec<u8> {
    let root =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures/instruments");
    let file = root.join(path);
    std::fs::read(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()))
}

pub fn asm(path: &str) -> Value {
    serde_json::from_slice(&fixture(path)).expect("the fixture's JSON")
}

/// Every object in `v` that has `key`, depth first.
pub fn objects_with<'a>(v: &'a Value, key: &str, out: &mut Vec<&'a Value>) {
    match v {
        Value::Object(map) => {
            if map.contains_key(key) {
                out.push(v);
            }
            map.values().for_each(|c| objects_with(c, key, out));
        }
        Value::Array(items) => items.iter().for_each(|c| objects_with(c, key, out)),
        _ => {}
    }
}

/// One measured well of the ASM reading: its id, well, the value of `feature` and any error.
pub struct Measured {
    pub well: String,
    pub value: Option<f64>,
    pub error: Option<String>,
}

pub fn measured(doc: &Value, feature: &str) -> BTreeMap<String, Measured> {
    let mut found = Vec::new();
    objects_with(doc, "measurement identifier", &mut found);
    found
        .into_iter()
        .filter(|m| m.get(feature).is_some())
        .map(|m| {
            let id = m["measurement identifier"].as_str().unwrap().to_owned();
            let error = m
                .pointer("/error aggregate document/error document/0/error")
                .and_then(Value::as_str)
                .map(str::to_owned);
            let measured = Measured {
                well: m["sample document"]["location identifier"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
                value: m[feature]["value"].as_f64(),
                error,
            };
            (id, measured)
        })
        .collect()
}

/// The results of one read, by their position (`A1`, or a sample's name).
pub fn by_read<'a>(results: &'a [RawResult], read: &str) -> BTreeMap<String, &'a RawResult> {
    results
        .iter()
        .filter(|r| r.read == read)
        .map(|r| (r.position.to_string(), r))
        .collect()
}

pub fn same_number(ours: &Reading, theirs: f64, at: &str) {
    let ours = ours
        .number()
        .unwrap_or_else(|| panic!("{at}: {ours:?} is not a number"));
    assert!((ours - theirs).abs() < 1e-9, "{at}: {ours} vs {theirs}");
}
