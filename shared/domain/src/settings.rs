//! Workstation settings: a closed set of typed values, each validated here.

use crate::printing::SampleLabelCode;
use crate::scanning::ScannerSettings;
use crate::storage::AutoPosition;
use crate::DomainError;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// One setting and its new value. Changing a setting is the `ChangeSettings` command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "key", content = "value", rename_all = "snake_case")]
#[ts(export)]
pub enum Setting {
    LabName(String),
    /// IANA zone used only to display times; everything is stored in UTC.
    DisplayTimezone(String),
    /// The printer sample labels go to unless the user picks another; its loaded stock
    /// decides the label (cryovial or 2" x 1").
    SampleLabelPrinter(Option<String>),
    /// The printer box labels go to (3" x 1" stock).
    BoxLabelPrinter(Option<String>),
    /// The 2D code on cryovial labels.
    SampleLabelCode(SampleLabelCode),
    LabelCopies(u8),
    /// How a tube placed in a box without a position gets one.
    AutoPosition(AutoPosition),
    /// The serial or HID POS scanner attached to this workstation, if any.
    Scanner(Option<ScannerSettings>),
    /// How dates are written on every screen.
    DateFormat(DateFormat),
    /// The kit template the desk starts with (the lab's standard kit).
    StandardKit(Option<uuid::Uuid>),
    /// The order scanned tubes fill a plate in: down the columns or along the rows.
    PlateFillOrder(crate::runs::FillOrder),
}

/// How the lab writes dates. Times are always 24-hour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum DateFormat {
    /// 2026-12-01 (ISO 8601)
    #[default]
    YearMonthDay,
    /// 01.12.2026
    DayMonthYearDots,
    /// 01/12/2026
    DayMonthYearSlashes,
    /// 12/01/2026
    MonthDayYearSlashes,
}

impl DateFormat {
    pub const ALL: [DateFormat; 4] = [
        DateFormat::YearMonthDay,
        DateFormat::DayMonthYearDots,
        DateFormat::DayMonthYearSlashes,
        DateFormat::MonthDayYearSlashes,
    ];

    /// The `chrono` pattern, also an example for the settings screen.
    pub fn pattern(self) -> &'static str {
        match self {
            DateFormat::YearMonthDay => "%Y-%m-%d",
            DateFormat::DayMonthYearDots => "%d.%m.%Y",
            DateFormat::DayMonthYearSlashes => "%d/%m/%Y",
            DateFormat::MonthDayYearSlashes => "%m/%d/%Y",
        }
    }
}

/// All settings with their current values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Settings {
    pub lab_name: String,
    pub display_timezone: String,
    pub sample_label_printer: Option<String>,
    pub box_label_printer: Option<String>,
    pub sample_label_code: SampleLabelCode,
    pub label_copies: u8,
    pub auto_position: AutoPosition,
    pub scanner: Option<ScannerSettings>,
    pub date_format: DateFormat,
    pub standard_kit: Option<uuid::Uuid>,
    pub plate_fill_order: crate::runs::FillOrder,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            lab_name: "Aliquot biobank".to_owned(),
            display_timezone: "UTC".to_owned(),
            sample_label_printer: None,
            box_label_printer: None,
            sample_label_code: SampleLabelCode::DataMatrix,
            label_copies: 1,
            auto_position: AutoPosition::NextFree,
            scanner: None,
            date_format: DateFormat::YearMonthDay,
            standard_kit: None,
            plate_fill_order: crate::runs::FillOrder::Columns,
        }
    }
}

impl Settings {
    pub fn with(mut self, setting: Setting) -> Settings {
        match setting {
            Setting::LabName(v) => self.lab_name = v,
            Setting::DisplayTimezone(v) => self.display_timezone = v,
            Setting::SampleLabelPrinter(v) => self.sample_label_printer = v,
            Setting::BoxLabelPrinter(v) => self.box_label_printer = v,
            Setting::SampleLabelCode(v) => self.sample_label_code = v,
            Setting::LabelCopies(v) => self.label_copies = v,
            Setting::AutoPosition(v) => self.auto_position = v,
            Setting::Scanner(v) => self.scanner = v,
            Setting::DateFormat(v) => self.date_format = v,
            Setting::StandardKit(v) => self.standard_kit = v,
            Setting::PlateFillOrder(v) => self.plate_fill_order = v,
        }
        self
    }

    /// The current value of the same key as `setting`, for the audit trail's "old value".
    pub fn current(&self, setting: &Setting) -> Setting {
        match setting {
            Setting::LabName(_) => Setting::LabName(self.lab_name.clone()),
            Setting::DisplayTimezone(_) => Setting::DisplayTimezone(self.display_timezone.clone()),
            Setting::SampleLabelPrinter(_) => {
                Setting::SampleLabelPrinter(self.sample_label_printer.clone())
            }
            Setting::BoxLabelPrinter(_) => Setting::BoxLabelPrinter(self.box_label_printer.clone()),
            Setting::SampleLabelCode(_) => Setting::SampleLabelCode(self.sample_label_code),
            Setting::LabelCopies(_) => Setting::LabelCopies(self.label_copies),
            Setting::AutoPosition(_) => Setting::AutoPosition(self.auto_position),
            Setting::Scanner(_) => Setting::Scanner(self.scanner.clone()),
            Setting::DateFormat(_) => Setting::DateFormat(self.date_format),
            Setting::StandardKit(_) => Setting::StandardKit(self.standard_kit),
            Setting::PlateFillOrder(_) => Setting::PlateFillOrder(self.plate_fill_order),
        }
    }
}

/// Whose a setting is: the lab's (changed by a command, synced through the hub, the same on
/// every workstation) or this workstation's alone (its devices, label routing).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SettingScope {
    Lab,
    Workstation,
}

impl Setting {
    pub fn scope(&self) -> SettingScope {
        match self {
            Setting::LabName(_)
            | Setting::DisplayTimezone(_)
            | Setting::SampleLabelCode(_)
            | Setting::AutoPosition(_)
            | Setting::DateFormat(_)
            | Setting::StandardKit(_)
            | Setting::PlateFillOrder(_) => SettingScope::Lab,
            Setting::SampleLabelPrinter(_)
            | Setting::BoxLabelPrinter(_)
            | Setting::LabelCopies(_)
            | Setting::Scanner(_) => SettingScope::Workstation,
        }
    }

    pub fn key(&self) -> &'static str {
        match self {
            Setting::LabName(_) => "lab_name",
            Setting::DisplayTimezone(_) => "display_timezone",
            Setting::SampleLabelPrinter(_) => "sample_label_printer",
            Setting::BoxLabelPrinter(_) => "box_label_printer",
            Setting::SampleLabelCode(_) => "sample_label_code",
            Setting::LabelCopies(_) => "label_copies",
            Setting::AutoPosition(_) => "auto_position",
            Setting::Scanner(_) => "scanner",
            Setting::DateFormat(_) => "date_format",
            Setting::StandardKit(_) => "standard_kit",
            Setting::PlateFillOrder(_) => "plate_fill_order",
        }
    }

    /// The value alone, as stored in the `settings.value` column.
    pub fn value_json(&self) -> serde_json::Value {
        match serde_json::to_value(self) {
            Ok(serde_json::Value::Object(mut map)) => {
                map.remove("value").unwrap_or(serde_json::Value::Null)
            }
            _ => serde_json::Value::Null,
        }
    }

    /// Rebuilds a setting from its stored key and value.
    pub fn from_stored(key: &str, value: serde_json::Value) -> Option<Setting> {
        serde_json::from_value(serde_json::json!({ "key": key, "value": value })).ok()
    }

    pub fn validate(self) -> Result<Setting, DomainError> {
        match self {
            Setting::LabName(name) => {
                let name = name.trim().to_owned();
                if name.is_empty()
                    || name.chars().count() > 120
                    || name.chars().any(crate::registration::is_unsafe_text_char)
                {
                    return Err(DomainError::invalid(
                        "lab_name",
                        "must be 1 to 120 printable characters",
                    ));
                }
                Ok(Setting::LabName(name))
            }
            Setting::DisplayTimezone(zone) => {
                if is_time_zone(&zone) {
                    Ok(Setting::DisplayTimezone(zone))
                } else {
                    Err(DomainError::invalid(
                        "display_timezone",
                        "must be a time zone from the list, such as UTC or Europe/Paris",
                    ))
                }
            }
            Setting::DateFormat(v) => Ok(Setting::DateFormat(v)),
            Setting::StandardKit(v) => Ok(Setting::StandardKit(v)),
            Setting::SampleLabelPrinter(name) => Ok(Setting::SampleLabelPrinter(optional_name(
                "sample_label_printer",
                name,
            )?)),
            Setting::BoxLabelPrinter(name) => Ok(Setting::BoxLabelPrinter(optional_name(
                "box_label_printer",
                name,
            )?)),
            Setting::SampleLabelCode(code) => Ok(Setting::SampleLabelCode(code)),
            Setting::Scanner(None) => Ok(Setting::Scanner(None)),
            Setting::Scanner(Some(scanner)) => Ok(Setting::Scanner(Some(scanner.validate()?))),
            Setting::LabelCopies(n) if (1..=10).contains(&n) => Ok(Setting::LabelCopies(n)),
            Setting::LabelCopies(_) => Err(DomainError::invalid(
                "label_copies",
                "must be between 1 and 10",
            )),
            Setting::AutoPosition(v) => Ok(Setting::AutoPosition(v)),
            Setting::PlateFillOrder(v) => Ok(Setting::PlateFillOrder(v)),
        }
    }
}

/// The hub's address: an absolute http(s) URL naming a host, with no user name or
/// password in it (they would be stored and shown in clear), no query and no fragment.
pub fn validate_hub_url(raw: &str) -> Result<String, DomainError> {
    let refuse = || {
        DomainError::invalid(
            "url",
            "must be an address such as https://hub.lab.example (or http:// on a lab network), without a user name, password, query or fragment",
        )
    };
    let raw = raw.trim();
    if raw.len() > 300
        || raw
            .chars()
            .any(|c| c.is_whitespace() || crate::registration::is_unsafe_text_char(c))
    {
        return Err(refuse());
    }
    let url = url::Url::parse(raw).map_err(|_| refuse())?;
    let plain = matches!(url.scheme(), "https" | "http")
        && url.host().is_some()
        && url.username().is_empty()
        && url.password().is_none()
        && url.query().is_none()
        && url.fragment().is_none();
    if !plain {
        return Err(refuse());
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

fn optional_name(field: &'static str, name: Option<String>) -> Result<Option<String>, DomainError> {
    match name.map(|n| n.trim().to_owned()) {
        None => Ok(None),
        Some(n) if n.is_empty() => Ok(None),
        Some(n)
            if n.chars().count() <= 80
                && !n.chars().any(crate::registration::is_unsafe_text_char) =>
        {
            Ok(Some(n))
        }
        Some(_) => Err(DomainError::invalid(
            field,
            "must be at most 80 printable characters",
        )),
    }
}

/// The IANA time zone names (tz database), the one list the settings screen offers.
pub fn time_zones() -> impl Iterator<Item = &'static str> {
    chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name())
}

/// The lab's calendar day at `now`, in its display time zone (UTC if the zone is unknown):
/// "today" for rules such as "a consent date cannot be in the future".
pub fn lab_today(now: chrono::DateTime<chrono::Utc>, zone: &str) -> chrono::NaiveDate {
    match zone.parse::<chrono_tz::Tz>() {
        Ok(tz) => now.with_timezone(&tz).date_naive(),
        Err(_) => now.date_naive(),
    }
}

fn is_time_zone(zone: &str) -> bool {
    zone.parse::<chrono_tz::Tz>()
        .is_ok_and(|tz| tz.name() == zone)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lab_name_and_a_hub_address_stop_at_their_limits() {
        assert!(Setting::LabName("L".repeat(120)).validate().is_ok());
        assert!(Setting::LabName("L".repeat(121)).validate().is_err());
        let host = format!("https://{}.lab", "h".repeat(288));
        assert_eq!(host.len(), 300);
        assert!(validate_hub_url(&host).is_ok());
        assert!(validate_hub_url(&format!("{host}x")).is_err());
        assert!(validate_hub_url("https://hub .lab").is_err());
        assert!(validate_hub_url("https://hub.lab\u{200F}").is_err());
        // In the path the URL parser would percent-encode these; the address is refused
        // before that: whitespace, and text-direction characters.
        assert!(validate_hub_url("https://hub.lab/a\u{A0}b").is_err());
        assert!(validate_hub_url("https://hub.lab/a\u{202E}b").is_err());
    }
    use rstest::rstest;

    /// Kiritimati is UTC+14: at 10:00 UTC it is already the next day there; Pago Pago
    /// (UTC-11) is still on the day before.
    #[test]
    fn the_labs_today_is_in_its_own_zone() {
        use chrono::TimeZone;
        let now = chrono::Utc.with_ymd_and_hms(2026, 12, 1, 10, 0, 0).unwrap();
        let day = |y, m, d| chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap();
        assert_eq!(lab_today(now, "Pacific/Kiritimati"), day(2026, 12, 2));
        assert_eq!(lab_today(now, "America/Los_Angeles"), day(2026, 12, 1));
        assert_eq!(lab_today(now, "Pacific/Pago_Pago"), day(2026, 11, 30));
        assert_eq!(lab_today(now, "UTC"), day(2026, 12, 1));
        assert_eq!(lab_today(now, "Nowhere/Such"), day(2026, 12, 1));
    }

    #[rstest]
    #[case(Setting::LabName("  Lab A ".into()), Ok(Setting::LabName("Lab A".into())))]
    #[case(Setting::LabName("".into()), Err("lab_name"))]
    #[case(Setting::DisplayTimezone("Europe/Paris".into()), Ok(Setting::DisplayTimezone("Europe/Paris".into())))]
    #[case(Setting::DisplayTimezone("../etc/passwd".into()), Err("display_timezone"))]
    #[case(Setting::LabelCopies(0), Err("label_copies"))]
    #[case(Setting::LabelCopies(3), Ok(Setting::LabelCopies(3)))]
    #[case(Setting::LabName("Lab \u{202E}A".into()), Err("lab_name"))]
    #[case(Setting::SampleLabelPrinter(Some("Zebra\u{2066}".into())), Err("sample_label_printer"))]
    #[case(Setting::SampleLabelPrinter(Some(" ".into())), Ok(Setting::SampleLabelPrinter(None)))]
    #[case(Setting::BoxLabelPrinter(Some("Box Zebra ".into())), Ok(Setting::BoxLabelPrinter(Some("Box Zebra".into()))))]
    fn validation(#[case] input: Setting, #[case] expected: Result<Setting, &'static str>) {
        let got = input.validate().map_err(|e| match e {
            DomainError::Invalid { field, .. } => field,
            _ => "other",
        });
        assert_eq!(got, expected);
    }

    #[rstest]
    #[case("ftp://x", None)]
    #[case("https://hub.lab", Some("https://hub.lab"))]
    #[case("http://10.0.0.5:8443/", Some("http://10.0.0.5:8443"))]
    // Issue 11, defect 11: anything that merely starts with https:// was accepted.
    #[case("https://", None)]
    #[case("https://<script>", None)]
    #[case("https://admin:secret@hub.lab", None)]
    #[case("https://hub.lab/?next=evil", None)]
    #[case("https://hub.lab/#x", None)]
    #[case("javascript:alert(1)", None)]
    #[case("https://hub\u{202E}bal.", None)]
    fn hub_addresses(#[case] input: &str, #[case] expected: Option<&str>) {
        assert_eq!(validate_hub_url(input).ok().as_deref(), expected);
    }

    #[test]
    fn stored_form_round_trips() {
        let s = Setting::SampleLabelPrinter(Some("Desk Zebra".into()));
        assert_eq!(Setting::from_stored(s.key(), s.value_json()), Some(s));
        assert_eq!(
            Setting::from_stored("no_such_key", serde_json::json!(1)),
            None
        );
    }
}
