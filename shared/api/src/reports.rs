//! Reports (issue 17, item 1): each made once in the store from SQL, then shown, written as
//! PDF or as CSV. The caller's role decides which it may make (`ReportRequest::permission`).

use crate::{Api, ApiError};
use aliquot_domain::reports::ReportRequest;
use aliquot_reports::csv::{table_csv, CsvOptions};
use aliquot_reports::Report;
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

type Result<T> = std::result::Result<T, ApiError>;

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct ReportArgs {
    pub request: ReportRequest,
}

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct ReportCsvArgs {
    pub request: ReportRequest,
    /// Which of the report's tables (0 is its main one).
    #[serde(default)]
    pub table: u32,
    /// A byte-order mark first, so a spreadsheet opens the file as UTF-8.
    #[serde(default)]
    pub bom: bool,
}

/// A report written as a file, for the UI to save or show.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct ReportFile {
    pub file_name: String,
    pub media_type: String,
    pub content_base64: String,
}

impl Api {
    async fn made_report(&self, token: Option<&str>, request: &ReportRequest) -> Result<Report> {
        let actor = self.actor_with(token, request.permission()).await?;
        Ok(self.store().report(request, &actor.username).await?)
    }

    /// The report as data, for the screen.
    pub async fn make_report(&self, token: Option<&str>, args: ReportArgs) -> Result<Report> {
        self.made_report(token, &args.request).await
    }

    /// The report as a PDF: the lab's name, the parameters, page numbers, when and by whom.
    pub async fn report_pdf(&self, token: Option<&str>, args: ReportArgs) -> Result<ReportFile> {
        let report = self.made_report(token, &args.request).await?;
        let pdf = tokio::task::spawn_blocking(move || aliquot_reports::pdf::report_pdf(&report))
            .await
            .map_err(|e| ApiError::internal(&e))?
            .map_err(|e| ApiError::internal(&e))?;
        Ok(ReportFile {
            file_name: format!("{}.pdf", args.request.file_stem()),
            media_type: "application/pdf".into(),
            content_base64: base64::engine::general_purpose::STANDARD.encode(pdf),
        })
    }

    /// One of the report's tables as CSV (text cells neutralised against formulas).
    pub async fn report_csv(&self, token: Option<&str>, args: ReportCsvArgs) -> Result<ReportFile> {
        let report = self.made_report(token, &args.request).await?;
        let table = usize::try_from(args.table)
            .ok()
            .and_then(|i| report.tables.get(i))
            .ok_or_else(|| ApiError::invalid("This report has no such table."))?;
        let csv =
            table_csv(table, CsvOptions { bom: args.bom }).map_err(|e| ApiError::internal(&e))?;
        let suffix = if args.table == 0 {
            String::new()
        } else {
            format!("-{}", args.table + 1)
        };
        Ok(ReportFile {
            file_name: format!("{}{suffix}.csv", args.request.file_stem()),
            media_type: "text/csv".into(),
            content_base64: base64::engine::general_purpose::STANDARD.encode(csv),
        })
    }
}
