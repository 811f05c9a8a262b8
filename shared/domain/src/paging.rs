//! The one page type for every list, and its one bound.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// The single maximum page size for every list in Aliquot (predecessor findings I-08, Q-08).
pub const MAX_PER_PAGE: u32 = 200;
pub const DEFAULT_PER_PAGE: u32 = 50;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum SortOrder {
    Asc,
    Desc,
}

impl SortOrder {
    pub fn sql(self) -> &'static str {
        match self {
            SortOrder::Asc => "ASC",
            SortOrder::Desc => "DESC",
        }
    }
}

/// What a caller asks for. `page` starts at 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct PageRequest {
    #[serde(default = "first_page")]
    pub page: u32,
    #[serde(default = "default_per_page")]
    pub per_page: u32,
}

fn first_page() -> u32 {
    1
}
fn default_per_page() -> u32 {
    DEFAULT_PER_PAGE
}

impl Default for PageRequest {
    fn default() -> Self {
        PageRequest {
            page: 1,
            per_page: DEFAULT_PER_PAGE,
        }
    }
}

impl PageRequest {
    /// Refuses a page of 0 and any page size outside 1..=MAX_PER_PAGE rather than silently
    /// clamping, so a caller never believes it got everything when it did not.
    pub fn validate(self) -> Result<ValidPage, crate::DomainError> {
        if self.page == 0 {
            return Err(crate::DomainError::invalid("page", "pages start at 1"));
        }
        if self.per_page == 0 || self.per_page > MAX_PER_PAGE {
            return Err(crate::DomainError::invalid(
                "per_page",
                format!("must be between 1 and {MAX_PER_PAGE}"),
            ));
        }
        Ok(ValidPage {
            page: self.page,
            per_page: self.per_page,
        })
    }
}

/// A page request that passed validation; the only way to build a `Page`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ValidPage {
    page: u32,
    per_page: u32,
}

impl ValidPage {
    pub fn limit(self) -> i64 {
        i64::from(self.per_page)
    }
    pub fn offset(self) -> i64 {
        i64::from(self.page - 1) * i64::from(self.per_page)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub page: u32,
    pub per_page: u32,
    #[ts(type = "number")]
    pub total: u64,
    pub total_pages: u32,
}

impl<T> Page<T> {
    pub fn new(items: Vec<T>, request: ValidPage, total: u64) -> Self {
        let per_page = u64::from(request.per_page);
        let total_pages = u32::try_from(total.div_ceil(per_page)).unwrap_or(u32::MAX);
        Page {
            items,
            page: request.page,
            per_page: request.per_page,
            total,
            total_pages,
        }
    }

    /// The same page with each item turned into another (a record with its live status).
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            page: self.page,
            per_page: self.per_page,
            total: self.total,
            total_pages: self.total_pages,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sort_orders_are_the_sql_keywords() {
        assert_eq!(SortOrder::Asc.sql(), "ASC");
        assert_eq!(SortOrder::Desc.sql(), "DESC");
    }

    /// A request that names neither gets the first page of the default size.
    #[test]
    fn a_request_without_page_or_size_gets_the_defaults() {
        let request: PageRequest = serde_json::from_str("{}").unwrap();
        assert_eq!(request, PageRequest::default());
        assert_eq!((request.page, request.per_page), (1, DEFAULT_PER_PAGE));
    }
    use rstest::rstest;

    #[rstest]
    #[case(1, 0, false)]
    #[case(0, 10, false)]
    #[case(1, MAX_PER_PAGE + 1, false)]
    #[case(1, MAX_PER_PAGE, true)]
    #[case(3, 1, true)]
    fn page_bounds(#[case] page: u32, #[case] per_page: u32, #[case] ok: bool) {
        assert_eq!(PageRequest { page, per_page }.validate().is_ok(), ok);
    }

    #[rstest]
    #[case(0, 10, 0)]
    #[case(1, 10, 1)]
    #[case(10, 10, 1)]
    #[case(11, 10, 2)]
    fn total_pages(#[case] total: u64, #[case] per_page: u32, #[case] pages: u32) {
        let req = PageRequest { page: 1, per_page }.validate().unwrap();
        assert_eq!(Page::<()>::new(vec![], req, total).total_pages, pages);
    }

    #[test]
    fn offset_follows_page() {
        let req = PageRequest {
            page: 3,
            per_page: 20,
        }
        .validate()
        .unwrap();
        assert_eq!((req.offset(), req.limit()), (40, 20));
    }

    #[test]
    fn unknown_sort_order_is_refused() {
        assert!(serde_json::from_str::<SortOrder>("\"sideways\"").is_err());
    }
}
