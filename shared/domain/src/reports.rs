//! The reports a user can ask for, as data: what each needs and who may make it. A saved
//! or scheduled report keeps one of these, so it runs again with the same parameters.

use crate::Permission;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use uuid::Uuid;

/// A half-open period `[from, to)`: a day ends where the next begins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Period {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

impl Period {
    pub fn checked(self) -> Result<Period, crate::DomainError> {
        if self.to <= self.from {
            return Err(crate::DomainError::Invalid {
                field: "period",
                problem: "the period must end after it starts".into(),
            });
        }
        Ok(self)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "report", rename_all = "snake_case", deny_unknown_fields)]
#[ts(export)]
pub enum ReportRequest {
    /// One sample and its aliquots, from collection to disposal.
    ChainOfCustody { sample_code: String },
    /// Sign-ins, lockouts, account and role changes, settings, discards, overridden QC, and
    /// the audit chain's verification, over a period.
    Compliance { period: Period },
    /// Samples by type, status, site, event and freezer, with consent state.
    Inventory,
    /// Used and free positions per freezer, rack and box; one freezer or all.
    Occupancy {
        #[serde(default)]
        #[ts(optional)]
        freezer_id: Option<Uuid>,
    },
    /// A field event's check-ins and collections.
    FieldEvent { event_id: Uuid },
    /// Discard requests and their decisions over a period.
    Discards { period: Period },
}

impl ReportRequest {
    /// Who may make it: the compliance report reads the audit trail; the rest read samples.
    pub fn permission(&self) -> Permission {
        match self {
            ReportRequest::Compliance { .. } => Permission::ReadAudit,
            _ => Permission::ReadSamples,
        }
    }

    /// The same report over a period of the same length ending at `end` (a scheduled
    /// run's due time: "the last 7 days" each week); a report without a period as it is.
    pub fn ending_at(&self, end: DateTime<Utc>) -> ReportRequest {
        let shift = |p: &Period| Period {
            from: end - (p.to - p.from),
            to: end,
        };
        match self {
            ReportRequest::Compliance { period } => ReportRequest::Compliance {
                period: shift(period),
            },
            ReportRequest::Discards { period } => ReportRequest::Discards {
                period: shift(period),
            },
            other => other.clone(),
        }
    }

    /// A file name for its PDF or CSV, without the extension.
    pub fn file_stem(&self) -> String {
        match self {
            ReportRequest::ChainOfCustody { sample_code } => {
                format!("chain-of-custody-{}", file_safe(sample_code))
            }
            ReportRequest::Compliance { period } => {
                format!("compliance-{}", period.from.format("%Y-%m-%d"))
            }
            ReportRequest::Inventory => "inventory".into(),
            ReportRequest::Occupancy { .. } => "storage-occupancy".into(),
            ReportRequest::FieldEvent { .. } => "field-event".into(),
            ReportRequest::Discards { period } => {
                format!("discards-{}", period.from.format("%Y-%m-%d"))
            }
        }
    }
}

/// Letters, digits, `-` and `_` kept; anything else becomes `_`.
fn file_safe(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_period_must_end_after_it_starts() {
        let t = DateTime::<Utc>::from_timestamp(1_700_000_000, 0).unwrap_or_default();
        assert!(Period { from: t, to: t }.checked().is_err());
        assert!(Period {
            from: t,
            to: t + chrono::Duration::seconds(1)
        }
        .checked()
        .is_ok());
    }

    #[test]
    fn a_scheduled_period_keeps_its_length_and_ends_at_the_run() {
        let t = DateTime::<Utc>::from_timestamp(1_700_000_000, 0).unwrap_or_default();
        let week = chrono::Duration::days(7);
        let saved = ReportRequest::Discards {
            period: Period {
                from: t,
                to: t + week,
            },
        };
        let run = t + chrono::Duration::days(30);
        assert_eq!(
            saved.ending_at(run),
            ReportRequest::Discards {
                period: Period {
                    from: run - week,
                    to: run
                }
            }
        );
        assert_eq!(
            ReportRequest::Inventory.ending_at(run),
            ReportRequest::Inventory
        );
    }

    #[test]
    fn only_the_compliance_report_needs_the_audit_permission() {
        let t = DateTime::<Utc>::from_timestamp(1_700_000_000, 0).unwrap_or_default();
        let period = Period { from: t, to: t };
        assert_eq!(
            ReportRequest::Compliance { period }.permission(),
            Permission::ReadAudit
        );
        assert_eq!(
            ReportRequest::Inventory.permission(),
            Permission::ReadSamples
        );
        assert_eq!(
            ReportRequest::ChainOfCustody {
                sample_code: "S/1 2".into()
            }
            .file_stem(),
            "chain-of-custody-S_1_2"
        );
    }
}
