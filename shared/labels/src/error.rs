//! The one error type of the label engine. Each message says what is wrong with which field
//! and what the technician can do about it, because these errors reach the person at the
//! printer, not a developer.

use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum LabelError {
    #[error("the {template} label prints {expected} details, but {given} details were given")]
    WrongData {
        template: &'static str,
        expected: &'static str,
        given: &'static str,
    },

    #[error("the {field} is empty; this label cannot be printed without it")]
    EmptyField { field: &'static str },

    #[error(
        "the {field} contains an invisible control character (U+{code:04X}); \
         retype it without tabs or line breaks"
    )]
    ControlCharacter { field: &'static str, code: u32 },

    #[error(
        "the {field} {value:?} cannot be put in a barcode: {ch:?} is not allowed \
         (barcodes carry letters, digits, '-', '.' and '/' only)"
    )]
    CodeCharacter {
        field: &'static str,
        value: String,
        ch: char,
    },

    #[error(
        "the {field} does not fit on the {template} label: {chars} characters, but at the \
         smallest legible size only about {max_chars} fit; shorten it or choose a larger label"
    )]
    TextTooLong {
        field: &'static str,
        template: &'static str,
        chars: usize,
        max_chars: usize,
    },

    #[error(
        "the {field} {value:?} makes a barcode too large for the {template} label even at the \
         smallest readable module size; use a shorter code or a larger label"
    )]
    CodeTooLarge {
        field: &'static str,
        template: &'static str,
        value: String,
    },

    #[error(
        "the {field} is {bytes} bytes once escaped for the printer; a ZPL field holds at most \
         {max} bytes"
    )]
    FieldTooLong {
        field: &'static str,
        bytes: usize,
        max: usize,
    },

    #[error(
        "the {field} contains {ch:?}, which {target} cannot print; use plain Latin letters or \
         print on a printer that has the font"
    )]
    NotPrintable {
        field: &'static str,
        target: &'static str,
        ch: char,
    },

    #[error(
        "the {field} contains {ch:?}, which label printers' built-in fonts cannot print (they \
         carry Latin letters only); write it in Latin letters for labels"
    )]
    NoGlyph { field: &'static str, ch: char },

    #[error("copies must be between 1 and {max}, not {given}")]
    Copies { given: u16, max: u16 },

    #[error("{dpi} dpi is not a printer resolution Aliquot knows; use 203, 300 or 600")]
    UnsupportedDpi { dpi: u16 },

    #[error("the sheet layout {sheet:?} is not usable: {reason}")]
    SheetLayout { sheet: String, reason: String },

    #[error(
        "the {template} label ({width_mm} × {height_mm} mm) does not match the cells of the \
         sheet {sheet:?}; choose a sheet made for this label"
    )]
    SheetMismatch {
        template: &'static str,
        sheet: String,
        width_mm: String,
        height_mm: String,
    },

    #[error("there are no labels to print")]
    NoLabels,
}
