//! What a new lab has set up so far: the guided first run reads it to show each step done or
//! still to do, so leaving the guide and coming back resumes where the lab stands.

use crate::{Result, Store};
use serde::Serialize;
use ts_rs::TS;

/// Counts of what the guided setup's steps make, read in one statement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct SetupProgress {
    /// The lab's name has been saved (with its time zone, on the guide's first step).
    pub lab_named: bool,
    #[ts(type = "number")]
    pub sites: i64,
    /// Participant-number blocks this workstation may issue from.
    #[ts(type = "number")]
    pub participant_blocks: i64,
    /// Sample-code blocks of this workstation: the lab's code format.
    #[ts(type = "number")]
    pub sample_blocks: i64,
    #[ts(type = "number")]
    pub kit_templates: i64,
    /// Active lab managers: the people who run the lab day to day.
    #[ts(type = "number")]
    pub lab_managers: i64,
    #[ts(type = "number")]
    pub freezers: i64,
    #[ts(type = "number")]
    pub boxes: i64,
    /// This workstation's label printers.
    #[ts(type = "number")]
    pub printers: i64,
    /// Test labels this workstation's printers printed.
    #[ts(type = "number")]
    pub test_prints: i64,
}

impl Store {
    pub async fn setup_progress(&self) -> Result<SetupProgress> {
        let device = self.device_id().to_owned();
        let row = sqlx::query!(
            r#"SELECT
                 EXISTS (SELECT 1 FROM settings WHERE key = 'lab_name') AS "lab_named!: bool",
                 (SELECT COUNT(*) FROM sites) AS "sites!: i64",
                 (SELECT COUNT(*) FROM number_blocks WHERE device_id = ?1 AND kind = 'participant') AS "participant_blocks!: i64",
                 (SELECT COUNT(*) FROM number_blocks WHERE device_id = ?1 AND kind = 'sample') AS "sample_blocks!: i64",
                 (SELECT COUNT(*) FROM kit_templates) AS "kit_templates!: i64",
                 (SELECT COUNT(*) FROM users WHERE role = 'lab_manager' AND active = 1) AS "lab_managers!: i64",
                 (SELECT COUNT(*) FROM freezers WHERE voided_at IS NULL) AS "freezers!: i64",
                 (SELECT COUNT(*) FROM boxes WHERE voided_at IS NULL) AS "boxes!: i64",
                 (SELECT COUNT(*) FROM printers) AS "printers!: i64",
                 (SELECT COUNT(*) FROM print_jobs WHERE template = 'test' AND state = 'done') AS "test_prints!: i64""#,
            device
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(SetupProgress {
            lab_named: row.lab_named,
            sites: row.sites,
            participant_blocks: row.participant_blocks,
            sample_blocks: row.sample_blocks,
            kit_templates: row.kit_templates,
            lab_managers: row.lab_managers,
            freezers: row.freezers,
            boxes: row.boxes,
            printers: row.printers,
            test_prints: row.test_prints,
        })
    }
}
