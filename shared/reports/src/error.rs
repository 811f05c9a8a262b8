//! What writing a report can fail on.

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("a row has {got} cells where the table has {expected} columns")]
    RowWidth { expected: usize, got: usize },
    #[error("could not write the file: {0}")]
    Io(#[from] std::io::Error),
    #[error("could not write the CSV: {0}")]
    Csv(#[from] ::csv::Error),
    #[error("could not make the PDF: {0}")]
    Pdf(String),
}
