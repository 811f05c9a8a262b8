//! Lookup by scan: whatever code form was scanned (a sample code with or without its check
//! character, a box barcode, a participant code, a plate's label), one query per form finds what it names,
//! with everything the screen shows (participant, site, status, location, consent).

use crate::registration::ParticipantRecord;
use crate::samples::{select_sample, SampleRecord, SampleRow};
use crate::storage::BoxRecord;
use crate::{Result, Store};
use aliquot_domain::numbering::{check_character, verify_check_character};
use aliquot_domain::DomainError;

/// What a scanned code names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scanned {
    Sample(Box<SampleRecord>),
    Box(Box<BoxRecord>),
    Participant(Box<ParticipantRecord>),
    /// A plate's label: the plate and its run.
    Plate(Box<crate::runs::PlateRecord>),
}

/// The longest code we look up; longer input is refused before any query.
pub const MAX_SCAN_LENGTH: usize = 64;

/// Trims and checks scanned text: printable, not too long.
pub fn clean_scan(text: &str) -> Result<String, DomainError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(DomainError::invalid("code", "nothing was scanned"));
    }
    if text.chars().count() > MAX_SCAN_LENGTH || text.chars().any(|c| c.is_control()) {
        return Err(DomainError::invalid(
            "code",
            format!("a code is at most {MAX_SCAN_LENGTH} printable characters"),
        ));
    }
    Ok(text.to_owned())
}

impl Store {
    /// Finds what a scanned code names. `Ok(None)` when nothing matches; a code whose check
    /// character is wrong is refused with a message that says so.
    pub async fn lookup_scan(&self, text: &str) -> Result<Option<Scanned>> {
        let text = clean_scan(text)?;
        let upper = text.to_uppercase();
        // The same code with its check character added, for codes typed without it.
        let completed = check_character(&upper)
            .map(|c| format!("{upper}{c}"))
            .unwrap_or_default();

        let sample = select_sample!("s.code IN (?1, ?2) LIMIT 1", upper, completed)
            .fetch_optional(&self.pool)
            .await?;
        if let Some(row) = sample {
            return Ok(Some(Scanned::Sample(Box::new(SampleRecord::try_from(
                row,
            )?))));
        }
        if let Some(b) = self.box_by_barcode(&text).await? {
            return Ok(Some(Scanned::Box(Box::new(b))));
        }
        let participant = sqlx::query_scalar!(
            r#"SELECT id AS "id!" FROM participants WHERE code IN (?1, ?2)"#,
            upper,
            completed
        )
        .fetch_optional(&self.pool)
        .await?;
        if let Some(id) = participant {
            let record = self.participant(crate::users::parse_uuid(&id)?).await?;
            return Ok(Some(Scanned::Participant(Box::new(record))));
        }
        if let Some(plate) = self.plate_by_name(&text).await? {
            return Ok(Some(Scanned::Plate(Box::new(plate))));
        }
        // Nothing matched. If it has the shape of one of our codes (a block's prefix, or a
        // participant code) but its check character is wrong, say so, so the technician
        // rescans instead of treating the tube as unknown.
        if verify_check_character(&upper).is_err() && self.has_code_shape(&upper).await? {
            return Err(DomainError::CheckCharacterMismatch { code: upper }.into());
        }
        Ok(None)
    }

    async fn has_code_shape(&self, code: &str) -> Result<bool> {
        if !code
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
            || code.len() < 3
        {
            return Ok(false);
        }
        if code.starts_with('P')
            && code[1..].bytes().all(|b| b.is_ascii_alphanumeric())
            && code[1..code.len() - 1].bytes().all(|b| b.is_ascii_digit())
        {
            return Ok(true);
        }
        let length = i64::try_from(code.len()).unwrap_or(0);
        let n = sqlx::query_scalar!(
            "SELECT COUNT(*) FROM number_blocks WHERE kind <> 'participant' AND substr(?1, 1, length(prefix)) = prefix AND length(prefix) + digits + 1 = ?2",
            code,
            length
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(n > 0)
    }
}
