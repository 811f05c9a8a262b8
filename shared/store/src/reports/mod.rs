//! The lab's reports, each filled from SQL into one `aliquot_reports::Report`: the chain of
//! custody of a sample, compliance over a period, inventory, storage occupancy, a field
//! event, discards. Totals are counted in SQL; a report's tables are bounded, and a list
//! that is not (every box with space) says how many rows it left out.

mod compliance;
mod custody;
mod discards;
mod field_event;
mod inventory;
mod occupancy;
mod parts;

use crate::{Result, Store};
use aliquot_domain::reports::ReportRequest;
use aliquot_reports::{Parameter, Report};
use chrono::{DateTime, Utc};

/// The head of every report: the lab, when it was made and by whom.
pub(crate) struct Heading {
    pub lab_name: String,
    pub made_at: DateTime<Utc>,
    pub made_by: String,
}

impl Heading {
    /// A report with this heading and nothing in it yet.
    pub(crate) fn report(self, title: &str, parameters: Vec<Parameter>) -> Report {
        Report {
            title: title.to_owned(),
            lab_name: self.lab_name,
            parameters,
            made_at: self.made_at,
            made_by: self.made_by,
            figures: Vec::new(),
            charts: Vec::new(),
            tables: Vec::new(),
            warnings: Vec::new(),
        }
    }
}

pub(crate) fn parameter(name: &str, value: impl Into<String>) -> Parameter {
    Parameter {
        name: name.to_owned(),
        value: value.into(),
    }
}

impl Store {
    /// Makes the report asked for. `made_by` is printed on it; the caller has checked that
    /// its maker may (`ReportRequest::permission`).
    pub async fn report(&self, request: &ReportRequest, made_by: &str) -> Result<Report> {
        let heading = Heading {
            lab_name: self.settings().await?.lab_name,
            made_at: self.now(),
            made_by: made_by.to_owned(),
        };
        match request {
            ReportRequest::ChainOfCustody { sample_code } => {
                self.custody_report(heading, sample_code).await
            }
            ReportRequest::Compliance { period } => {
                self.compliance_report(heading, period.checked()?).await
            }
            ReportRequest::Inventory => self.inventory_report(heading).await,
            ReportRequest::Occupancy { freezer_id } => {
                self.occupancy_report(heading, *freezer_id).await
            }
            ReportRequest::FieldEvent { event_id } => {
                self.field_event_report(heading, *event_id).await
            }
            ReportRequest::Discards { period } => {
                self.discard_report(heading, period.checked()?).await
            }
        }
    }
}
