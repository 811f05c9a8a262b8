//! When a scheduled report runs: "daily at 06:30 Europe/Oslo", "weekly on Monday at 07:00",
//! "monthly on the 31st at 05:00".
//!
//! A schedule keeps a local time of day in a named IANA time zone, not a UTC time: a daily
//! report at 06:30 in Oslo runs at 05:30 UTC in winter and at 04:30 UTC in summer. The rules
//! for the days the local clock is odd:
//!
//! - **A day the month lacks.** Monthly on the 29th, 30th or 31st runs on the month's last
//!   day in a month without that day (the 30th of April, the 28th or 29th of February).
//! - **Spring forward (a gap).** When the clock jumps forward over the scheduled time (02:30
//!   Europe/Oslo on the last Sunday of March does not exist), the report runs at the
//!   scheduled time shifted by the gap's length (02:30 becomes 03:30 local): the UTC instant
//!   it would have had if the clock had not jumped, read with the offset in effect before the
//!   gap.
//! - **Fall back (an overlap).** When the clock falls back over the scheduled time (02:30
//!   Europe/Oslo on the last Sunday of October happens twice), the report runs once, at the
//!   first occurrence (the earlier UTC instant).
//!
//! Nothing here reads the clock: "now" is always an argument.

use crate::DomainError;
use chrono::{
    DateTime, Datelike, Days, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeDelta,
    TimeZone, Utc,
};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// How long after its due time a run still counts as on time. A run that starts later than
/// this is reported as late.
pub const GRACE: TimeDelta = TimeDelta::minutes(5);

/// A day of the week, Monday first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum Weekday {
    Monday,
    Tuesday,
    Wednesday,
    Thursday,
    Friday,
    Saturday,
    Sunday,
}

impl Weekday {
    pub const ALL: [Weekday; 7] = [
        Weekday::Monday,
        Weekday::Tuesday,
        Weekday::Wednesday,
        Weekday::Thursday,
        Weekday::Friday,
        Weekday::Saturday,
        Weekday::Sunday,
    ];
}

impl From<Weekday> for chrono::Weekday {
    fn from(day: Weekday) -> Self {
        match day {
            Weekday::Monday => chrono::Weekday::Mon,
            Weekday::Tuesday => chrono::Weekday::Tue,
            Weekday::Wednesday => chrono::Weekday::Wed,
            Weekday::Thursday => chrono::Weekday::Thu,
            Weekday::Friday => chrono::Weekday::Fri,
            Weekday::Saturday => chrono::Weekday::Sat,
            Weekday::Sunday => chrono::Weekday::Sun,
        }
    }
}

impl From<chrono::Weekday> for Weekday {
    fn from(day: chrono::Weekday) -> Self {
        match day {
            chrono::Weekday::Mon => Weekday::Monday,
            chrono::Weekday::Tue => Weekday::Tuesday,
            chrono::Weekday::Wed => Weekday::Wednesday,
            chrono::Weekday::Thu => Weekday::Thursday,
            chrono::Weekday::Fri => Weekday::Friday,
            chrono::Weekday::Sat => Weekday::Saturday,
            chrono::Weekday::Sun => Weekday::Sunday,
        }
    }
}

/// On which days a scheduled report runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
#[ts(export)]
pub enum Cadence {
    /// Every day.
    Daily,
    /// Once a week, on this day.
    Weekly { weekday: Weekday },
    /// Once a month, on this day of the month (1 to 31). A month without that day (the 31st
    /// in April, the 29th to 31st in February) runs on its last day.
    Monthly { day: u8 },
}

/// When a report runs, as the lab manager sets it up.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct Schedule {
    pub cadence: Cadence,
    /// Time of day on the 24-hour clock, `HH:MM` ("06:30"), in `time_zone`.
    pub local_time: String,
    /// IANA time zone name, such as `Europe/Oslo` or `UTC`.
    pub time_zone: String,
}

impl Schedule {
    /// The schedule with its time and zone read, or the first thing wrong with it: the time
    /// must be `HH:MM` from 00:00 to 23:59, the zone a known IANA zone (exact spelling), and a
    /// monthly day from 1 to 31.
    pub fn checked(&self) -> Result<CheckedSchedule, DomainError> {
        let local_time = parse_local_time(&self.local_time).ok_or_else(|| {
            DomainError::invalid(
                "local_time",
                "must be a time of day as HH:MM on the 24-hour clock, from 00:00 to 23:59, \
                 such as 06:30",
            )
        })?;
        let time_zone = self
            .time_zone
            .parse::<Tz>()
            .ok()
            .filter(|tz| tz.name() == self.time_zone)
            .ok_or_else(|| {
                DomainError::invalid(
                    "time_zone",
                    "must be a time zone from the list, such as UTC or Europe/Oslo",
                )
            })?;
        if let Cadence::Monthly { day } = self.cadence {
            if !(1..=31).contains(&day) {
                return Err(DomainError::invalid(
                    "day",
                    "must be a day of the month from 1 to 31 (a month without that day runs \
                     on its last day)",
                ));
            }
        }
        Ok(CheckedSchedule {
            cadence: self.cadence,
            local_time,
            time_zone,
        })
    }
}

/// `HH:MM`, exactly two digits each, 00:00 to 23:59.
fn parse_local_time(text: &str) -> Option<NaiveTime> {
    let (hours, minutes) = text.split_once(':')?;
    let two_digits = |part: &str| -> Option<u32> {
        if part.len() == 2 && part.bytes().all(|b| b.is_ascii_digit()) {
            part.parse().ok()
        } else {
            None
        }
    };
    NaiveTime::from_hms_opt(two_digits(hours)?, two_digits(minutes)?, 0)
}

/// A schedule whose time, zone and day have been checked; it computes when the report runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckedSchedule {
    cadence: Cadence,
    local_time: NaiveTime,
    time_zone: Tz,
}

/// What to do about a schedule at start-up or on a timer tick.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[ts(export)]
pub enum Due {
    /// Nothing is due; the next run is at `next`.
    NotYet { next: DateTime<Utc> },
    /// Run it now, once. `due` is the latest due time that has passed, `missed` how many due
    /// times have passed since the last run (1 when on schedule), and `late` whether now is
    /// more than [`GRACE`] after `due`.
    Now {
        due: DateTime<Utc>,
        missed: u32,
        late: bool,
    },
}

impl CheckedSchedule {
    pub fn cadence(&self) -> Cadence {
        self.cadence
    }

    pub fn local_time(&self) -> NaiveTime {
        self.local_time
    }

    pub fn time_zone(&self) -> Tz {
        self.time_zone
    }

    /// The first run strictly after `after` (a UTC instant).
    ///
    /// The run keeps its local time of day in the schedule's zone; in a spring-forward gap it
    /// is shifted by the gap's length (02:30 → 03:30), in a fall-back overlap it is the first
    /// occurrence; monthly on a day the month lacks runs on the month's last day (see the
    /// module's documentation). For an instant at the very end of the calendar chrono can
    /// represent, where no later run exists, the answer is [`DateTime::<Utc>::MAX_UTC`].
    pub fn next_after(&self, after: DateTime<Utc>) -> DateTime<Utc> {
        self.find_next_after(after)
            .unwrap_or(DateTime::<Utc>::MAX_UTC)
    }

    fn find_next_after(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        // A run shifted forward by a gap can land after a day boundary, so start a day early;
        // runs are in date order, so the first one after `after` is the answer.
        let mut from = after
            .with_timezone(&self.time_zone)
            .date_naive()
            .pred_opt()?;
        // A monthly run is at most two months past `from`; the bound only guards the loop.
        for _ in 0..8 {
            let date = self.run_date_on_or_after(from)?;
            let run = self.run_on(date)?;
            if run > after {
                return Some(run);
            }
            from = date.succ_opt()?;
        }
        None
    }

    /// The first date on or after `from` on which the cadence runs.
    fn run_date_on_or_after(&self, from: NaiveDate) -> Option<NaiveDate> {
        match self.cadence {
            Cadence::Daily => Some(from),
            Cadence::Weekly { weekday } => {
                let target = chrono::Weekday::from(weekday).num_days_from_monday();
                let today = from.weekday().num_days_from_monday();
                from.checked_add_days(Days::new(u64::from((target + 7 - today) % 7)))
            }
            Cadence::Monthly { day } => {
                let this_month = monthly_date(from.year(), from.month(), day)?;
                if this_month >= from {
                    Some(this_month)
                } else if from.month() == 12 {
                    monthly_date(from.year().checked_add(1)?, 1, day)
                } else {
                    monthly_date(from.year(), from.month() + 1, day)
                }
            }
        }
    }

    /// The UTC instant of the run on local `date`.
    fn run_on(&self, date: NaiveDate) -> Option<DateTime<Utc>> {
        let local = date.and_time(self.local_time);
        match self.time_zone.from_local_datetime(&local) {
            LocalResult::Single(run) => Some(run.with_timezone(&Utc)),
            // Fall back: the local time happens twice; run at the first.
            LocalResult::Ambiguous(a, b) => Some(a.with_timezone(&Utc).min(b.with_timezone(&Utc))),
            // Spring forward: read the local time with the offset in effect before the gap,
            // which shifts it by the gap's length.
            LocalResult::None => {
                let before = self.offset_before_gap(local)?;
                local.checked_sub_offset(before).map(|utc| utc.and_utc())
            }
        }
    }

    /// The UTC offset of the last local time before the gap `local` falls in.
    fn offset_before_gap(&self, local: NaiveDateTime) -> Option<chrono::FixedOffset> {
        let step = TimeDelta::minutes(15);
        let mut probe = local;
        // Gaps are an hour or less in practice; a whole skipped day is 96 steps.
        for _ in 0..(4 * 48) {
            probe = probe.checked_sub_signed(step)?;
            match self.time_zone.offset_from_local_datetime(&probe) {
                LocalResult::Single(offset) => return Some(offset.fix()),
                LocalResult::Ambiguous(_, later) => return Some(later.fix()),
                LocalResult::None => {}
            }
        }
        None
    }

    /// What to do at start-up or on a timer tick.
    ///
    /// `last_due` is the due time of the schedule's last run (or its creation time if it has
    /// never run); `now` is the current instant. If no due time has passed since `last_due`
    /// (every run is after `now`), the answer is [`Due::NotYet`] with the next run. Otherwise
    /// it is [`Due::Now`]: run once, for the latest due time that has passed (a due time equal
    /// to `now` has passed), with how many due times passed and whether now is more than
    /// [`GRACE`] after it. A workstation that was off for a week runs a daily report once,
    /// says it was late and that it missed seven runs; it does not run it seven times. A clock
    /// that is behind `last_due` makes nothing due.
    pub fn due(&self, last_due: DateTime<Utc>, now: DateTime<Utc>) -> Due {
        let first = self.next_after(last_due);
        if first > now {
            return Due::NotYet { next: first };
        }
        let mut due = first;
        let mut missed: u32 = 1;
        loop {
            let next = self.next_after(due);
            if next > now || next <= due {
                break;
            }
            due = next;
            missed = missed.saturating_add(1);
        }
        Due::Now {
            due,
            missed,
            late: now.signed_duration_since(due) > GRACE,
        }
    }
}

/// The date of a monthly run in `year`-`month`: `day`, or the month's last day if it is
/// shorter.
fn monthly_date(year: i32, month: u32, day: u8) -> Option<NaiveDate> {
    let first = NaiveDate::from_ymd_opt(year, month, 1)?;
    let last = u32::from(first.num_days_in_month());
    first.with_day(u32::from(day).clamp(1, last))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Timelike;
    use proptest::prelude::*;
    use rstest::rstest;

    /// The local wall-clock time of `instant` in `zone`, to the minute.
    fn wall_time(instant: DateTime<Utc>, zone: Tz) -> NaiveTime {
        let local = instant.with_timezone(&zone);
        NaiveTime::from_hms_opt(local.hour(), local.minute(), 0).unwrap()
    }

    fn utc(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    fn schedule(cadence: Cadence, local_time: &str, time_zone: &str) -> CheckedSchedule {
        Schedule {
            cadence,
            local_time: local_time.to_owned(),
            time_zone: time_zone.to_owned(),
        }
        .checked()
        .unwrap()
    }

    const MONDAY: Cadence = Cadence::Weekly {
        weekday: Weekday::Monday,
    };

    const fn monthly(day: u8) -> Cadence {
        Cadence::Monthly { day }
    }

    #[rstest]
    // Oslo: CET (+01) in winter, CEST (+02) in summer.
    #[case("Europe/Oslo", "06:30", "2026-01-15T00:00:00Z", "2026-01-15T05:30:00Z")]
    #[case("Europe/Oslo", "06:30", "2026-07-15T00:00:00Z", "2026-07-15T04:30:00Z")]
    #[case("Europe/Oslo", "06:30", "2026-01-15T05:30:00Z", "2026-01-16T05:30:00Z")]
    #[case("Europe/Oslo", "06:30", "2026-07-15T04:29:59Z", "2026-07-15T04:30:00Z")]
    #[case("UTC", "00:00", "2026-12-31T23:59:59Z", "2027-01-01T00:00:00Z")]
    fn daily_keeps_the_local_time_not_the_utc_time(
        #[case] zone: &str,
        #[case] time: &str,
        #[case] after: &str,
        #[case] expected: &str,
    ) {
        let s = schedule(Cadence::Daily, time, zone);
        assert_eq!(s.next_after(utc(after)), utc(expected));
    }

    #[rstest]
    // 2026-01-05 is a Monday; 07:00 Oslo is 06:00 UTC in January.
    #[case("2026-01-05T05:00:00Z", "2026-01-05T06:00:00Z")] // that Monday, before 07:00
    #[case("2026-01-05T06:00:00Z", "2026-01-12T06:00:00Z")] // that Monday, at 07:00
    #[case("2026-01-05T09:00:00Z", "2026-01-12T06:00:00Z")] // that Monday, after 07:00
    #[case("2026-01-06T00:00:00Z", "2026-01-12T06:00:00Z")] // Tuesday
    #[case("2026-01-11T23:30:00Z", "2026-01-12T06:00:00Z")] // Monday 00:30 local
    #[case("2026-01-04T22:59:59Z", "2026-01-05T06:00:00Z")] // Sunday 23:59 local
    fn weekly_runs_on_the_next_matching_weekday(#[case] after: &str, #[case] expected: &str) {
        let s = schedule(MONDAY, "07:00", "Europe/Oslo");
        assert_eq!(s.next_after(utc(after)), utc(expected));
    }

    #[rstest]
    #[case(Weekday::Monday, "2026-01-05T06:00:00Z")]
    #[case(Weekday::Tuesday, "2026-01-06T06:00:00Z")]
    #[case(Weekday::Wednesday, "2026-01-07T06:00:00Z")]
    #[case(Weekday::Thursday, "2026-01-01T06:00:00Z")]
    #[case(Weekday::Friday, "2026-01-02T06:00:00Z")]
    #[case(Weekday::Saturday, "2026-01-03T06:00:00Z")]
    #[case(Weekday::Sunday, "2026-01-04T06:00:00Z")]
    fn weekly_finds_each_weekday(#[case] weekday: Weekday, #[case] expected: &str) {
        // 2026-01-01 is a Thursday.
        let s = schedule(Cadence::Weekly { weekday }, "07:00", "Europe/Oslo");
        assert_eq!(s.next_after(utc("2026-01-01T00:00:00Z")), utc(expected));
    }

    #[rstest]
    // The 31st in April runs on the 30th (05:00 CEST = 03:00 UTC).
    #[case(31, "2026-04-01T00:00:00Z", "2026-04-30T03:00:00Z")]
    #[case(31, "2026-04-30T03:00:00Z", "2026-05-31T03:00:00Z")]
    // The 29th to 31st in February 2026 (28 days) run on the 28th (05:00 CET = 04:00 UTC).
    #[case(29, "2026-02-01T00:00:00Z", "2026-02-28T04:00:00Z")]
    #[case(30, "2026-02-01T00:00:00Z", "2026-02-28T04:00:00Z")]
    #[case(31, "2026-02-01T00:00:00Z", "2026-02-28T04:00:00Z")]
    // In the leap year 2028 they run on the 29th; the 29th itself is kept.
    #[case(29, "2028-02-01T00:00:00Z", "2028-02-29T04:00:00Z")]
    #[case(31, "2028-02-01T00:00:00Z", "2028-02-29T04:00:00Z")]
    // After a short month the asked day comes back: the 31st of March, not the 28th.
    #[case(31, "2026-01-31T04:00:00Z", "2026-02-28T04:00:00Z")]
    #[case(31, "2026-02-28T04:00:00Z", "2026-03-31T03:00:00Z")]
    // A day every month has; December rolls into January.
    #[case(1, "2026-12-01T04:00:00Z", "2027-01-01T04:00:00Z")]
    #[case(15, "2026-01-15T03:59:59Z", "2026-01-15T04:00:00Z")]
    fn monthly_on_a_day_the_month_lacks_runs_on_its_last_day(
        #[case] day: u8,
        #[case] after: &str,
        #[case] expected: &str,
    ) {
        let s = schedule(monthly(day), "05:00", "Europe/Oslo");
        assert_eq!(s.next_after(utc(after)), utc(expected));
    }

    #[rstest]
    // Oslo 2026-03-29: 02:00 CET jumps to 03:00 CEST; 02:30 runs at 03:30 CEST.
    #[case(
        "Europe/Oslo",
        "02:30",
        "2026-03-28T12:00:00Z",
        "2026-03-29T01:30:00Z",
        "03:30"
    )]
    // New York 2026-03-08: 02:00 EST jumps to 03:00 EDT; 02:30 runs at 03:30 EDT.
    #[case(
        "America/New_York",
        "02:30",
        "2026-03-07T12:00:00Z",
        "2026-03-08T07:30:00Z",
        "03:30"
    )]
    // Lord Howe 2026-10-04: 02:00 (+10:30) jumps to 02:30 (+11); 02:15 runs at 02:45.
    #[case(
        "Australia/Lord_Howe",
        "02:15",
        "2026-10-03T00:00:00Z",
        "2026-10-03T15:45:00Z",
        "02:45"
    )]
    // The day after the gap, the scheduled time is kept again.
    #[case(
        "Europe/Oslo",
        "02:30",
        "2026-03-29T01:30:00Z",
        "2026-03-30T00:30:00Z",
        "02:30"
    )]
    #[case(
        "America/New_York",
        "02:30",
        "2026-03-08T07:30:00Z",
        "2026-03-09T06:30:00Z",
        "02:30"
    )]
    #[case(
        "Australia/Lord_Howe",
        "02:15",
        "2026-10-03T15:45:00Z",
        "2026-10-04T15:15:00Z",
        "02:15"
    )]
    fn a_time_in_the_spring_forward_gap_runs_shifted_by_the_gap(
        #[case] zone: &str,
        #[case] time: &str,
        #[case] after: &str,
        #[case] expected: &str,
        #[case] wall: &str,
    ) {
        let s = schedule(Cadence::Daily, time, zone);
        let next = s.next_after(utc(after));
        assert_eq!(next, utc(expected));
        assert_eq!(
            wall_time(next, s.time_zone()),
            parse_local_time(wall).unwrap()
        );
    }

    #[rstest]
    // Oslo 2026-10-25: 02:30 happens at 00:30 UTC (CEST) and again at 01:30 UTC (CET).
    #[case(
        "Europe/Oslo",
        "02:30",
        "2026-10-25T00:30:00Z",
        "2026-10-25T01:30:00Z",
        "2026-10-26T01:30:00Z"
    )]
    // New York 2026-11-01: 01:30 happens at 05:30 UTC (EDT) and again at 06:30 UTC (EST).
    #[case(
        "America/New_York",
        "01:30",
        "2026-11-01T05:30:00Z",
        "2026-11-01T06:30:00Z",
        "2026-11-02T06:30:00Z"
    )]
    // Lord Howe 2026-04-05: 01:45 happens at 14:45 UTC (+11) and again at 15:15 UTC (+10:30).
    #[case(
        "Australia/Lord_Howe",
        "01:45",
        "2026-04-04T14:45:00Z",
        "2026-04-04T15:15:00Z",
        "2026-04-05T15:15:00Z"
    )]
    fn a_time_in_the_fall_back_overlap_runs_once_at_the_first_occurrence(
        #[case] zone: &str,
        #[case] time: &str,
        #[case] first: &str,
        #[case] second: &str,
        #[case] next_day: &str,
    ) {
        let s = schedule(Cadence::Daily, time, zone);
        let (first, second, next_day) = (utc(first), utc(second), utc(next_day));
        let day_before = first - TimeDelta::hours(12);
        assert_eq!(s.next_after(day_before), first);
        // Not the second occurrence: the next run after the first is the next day's.
        assert_eq!(s.next_after(first), next_day);
        assert_eq!(s.next_after(first + TimeDelta::minutes(30)), next_day);
        assert_eq!(s.next_after(second), next_day);
    }

    #[rstest]
    // Kolkata is +05:30 all year: 06:30 is 01:00 UTC.
    #[case(
        "Asia/Kolkata",
        Cadence::Daily,
        "06:30",
        "2026-01-14T01:00:00Z",
        "2026-01-15T01:00:00Z"
    )]
    #[case(
        "Asia/Kolkata",
        Cadence::Daily,
        "06:30",
        "2026-07-14T12:00:00Z",
        "2026-07-15T01:00:00Z"
    )]
    // 23:45 on the last of January in Kolkata is 18:15 UTC.
    #[case(
        "Asia/Kolkata",
        monthly(31),
        "23:45",
        "2026-01-31T18:14:00Z",
        "2026-01-31T18:15:00Z"
    )]
    // Lord Howe is +11 in its summer and +10:30 in its winter.
    #[case(
        "Australia/Lord_Howe",
        Cadence::Daily,
        "06:30",
        "2026-01-14T12:00:00Z",
        "2026-01-14T19:30:00Z"
    )]
    #[case(
        "Australia/Lord_Howe",
        Cadence::Daily,
        "06:30",
        "2026-07-14T12:00:00Z",
        "2026-07-14T20:00:00Z"
    )]
    // 2026-01-12 is a Monday; 07:00 in Lord Howe (+11) is 20:00 UTC the Sunday before.
    #[case(
        "Australia/Lord_Howe",
        MONDAY,
        "07:00",
        "2026-01-10T00:00:00Z",
        "2026-01-11T20:00:00Z"
    )]
    fn zones_with_a_non_hour_offset_work(
        #[case] zone: &str,
        #[case] cadence: Cadence,
        #[case] time: &str,
        #[case] after: &str,
        #[case] expected: &str,
    ) {
        let s = schedule(cadence, time, zone);
        assert_eq!(s.next_after(utc(after)), utc(expected));
    }

    #[rstest]
    #[case(Cadence::Daily, "25:00", "Europe/Oslo", "local_time")]
    #[case(Cadence::Daily, "24:00", "Europe/Oslo", "local_time")]
    #[case(Cadence::Daily, "06:60", "Europe/Oslo", "local_time")]
    #[case(Cadence::Daily, "6:3", "Europe/Oslo", "local_time")]
    #[case(Cadence::Daily, "6:30", "Europe/Oslo", "local_time")]
    #[case(Cadence::Daily, "06:30:00", "Europe/Oslo", "local_time")]
    #[case(Cadence::Daily, "+6:30", "Europe/Oslo", "local_time")]
    #[case(Cadence::Daily, " 06:30", "Europe/Oslo", "local_time")]
    #[case(Cadence::Daily, "", "Europe/Oslo", "local_time")]
    #[case(Cadence::Daily, "06:30", "Mars/Olympus", "time_zone")]
    #[case(Cadence::Daily, "06:30", "europe/oslo", "time_zone")]
    #[case(Cadence::Daily, "06:30", "", "time_zone")]
    #[case(monthly(0), "06:30", "Europe/Oslo", "day")]
    #[case(monthly(32), "06:30", "Europe/Oslo", "day")]
    fn a_bad_schedule_is_refused(
        #[case] cadence: Cadence,
        #[case] local_time: &str,
        #[case] time_zone: &str,
        #[case] field: &str,
    ) {
        let refused = Schedule {
            cadence,
            local_time: local_time.to_owned(),
            time_zone: time_zone.to_owned(),
        }
        .checked()
        .unwrap_err();
        match refused {
            DomainError::Invalid {
                field: refused_field,
                problem,
            } => {
                assert_eq!(refused_field, field);
                assert!(problem.starts_with("must be"), "{problem}");
            }
            other => panic!("expected an Invalid refusal, got {other:?}"),
        }
    }

    #[rstest]
    #[case("00:00", 0, 0)]
    #[case("06:30", 6, 30)]
    #[case("23:59", 23, 59)]
    fn times_from_midnight_to_23_59_are_accepted(
        #[case] text: &str,
        #[case] hour: u32,
        #[case] minute: u32,
    ) {
        let s = schedule(monthly(31), text, "UTC");
        assert_eq!(
            s.local_time(),
            NaiveTime::from_hms_opt(hour, minute, 0).unwrap()
        );
        assert_eq!(s.cadence(), monthly(31));
        assert_eq!(s.time_zone(), Tz::UTC);
        assert!(Schedule {
            cadence: monthly(1),
            local_time: text.to_owned(),
            time_zone: "Pacific/Apia".to_owned(),
        }
        .checked()
        .is_ok());
    }

    #[rstest]
    // Off for a week: one run, late, seven runs missed (the 6th to the 12th).
    #[case(
        "2026-01-05T05:30:00Z",
        "2026-01-12T09:00:00Z",
        Due::Now { due: utc("2026-01-12T05:30:00Z"), missed: 7, late: true }
    )]
    // Ran this morning; tomorrow is next.
    #[case(
        "2026-01-12T05:30:00Z",
        "2026-01-12T09:00:00Z",
        Due::NotYet { next: utc("2026-01-13T05:30:00Z") }
    )]
    // Exactly at the due time: due, on time.
    #[case(
        "2026-01-12T05:30:00Z",
        "2026-01-13T05:30:00Z",
        Due::Now { due: utc("2026-01-13T05:30:00Z"), missed: 1, late: false }
    )]
    // Exactly the grace period after: still on time.
    #[case(
        "2026-01-12T05:30:00Z",
        "2026-01-13T05:35:00Z",
        Due::Now { due: utc("2026-01-13T05:30:00Z"), missed: 1, late: false }
    )]
    // A second past the grace period: late, though nothing else was missed.
    #[case(
        "2026-01-12T05:30:00Z",
        "2026-01-13T05:35:01Z",
        Due::Now { due: utc("2026-01-13T05:30:00Z"), missed: 1, late: true }
    )]
    // Created in the afternoon, never run: the next morning's run is the first.
    #[case(
        "2026-01-12T14:03:17Z",
        "2026-01-13T05:31:00Z",
        Due::Now { due: utc("2026-01-13T05:30:00Z"), missed: 1, late: false }
    )]
    #[case(
        "2026-01-12T14:03:17Z",
        "2026-01-13T05:29:59Z",
        Due::NotYet { next: utc("2026-01-13T05:30:00Z") }
    )]
    // Off across the spring-forward night: 06:30 is kept, 05:30 UTC then 04:30 UTC.
    #[case(
        "2026-03-27T05:30:00Z",
        "2026-03-30T12:00:00Z",
        Due::Now { due: utc("2026-03-30T04:30:00Z"), missed: 3, late: true }
    )]
    // A clock behind the last run makes nothing due.
    #[case(
        "2026-01-12T05:30:00Z",
        "2026-01-10T09:00:00Z",
        Due::NotYet { next: utc("2026-01-13T05:30:00Z") }
    )]
    fn due_runs_once_for_the_latest_missed_time(
        #[case] last_due: &str,
        #[case] now: &str,
        #[case] expected: Due,
    ) {
        let s = schedule(Cadence::Daily, "06:30", "Europe/Oslo");
        assert_eq!(s.due(utc(last_due), utc(now)), expected);
    }

    #[test]
    fn due_counts_missed_monthly_and_weekly_runs() {
        let monthly = schedule(monthly(31), "05:00", "Europe/Oslo");
        // Off from the 31st of January to the 1st of May: February 28, March 31, April 30.
        assert_eq!(
            monthly.due(utc("2026-01-31T04:00:00Z"), utc("2026-05-01T08:00:00Z")),
            Due::Now {
                due: utc("2026-04-30T03:00:00Z"),
                missed: 3,
                late: true
            }
        );
        let weekly = schedule(MONDAY, "07:00", "Europe/Oslo");
        assert_eq!(
            weekly.due(utc("2026-01-05T06:00:00Z"), utc("2026-01-26T06:04:00Z")),
            Due::Now {
                due: utc("2026-01-26T06:00:00Z"),
                missed: 3,
                late: false
            }
        );
    }

    #[test]
    fn schedules_read_and_write_as_snake_case_json() {
        let s = Schedule {
            cadence: Cadence::Weekly {
                weekday: Weekday::Monday,
            },
            local_time: "07:00".into(),
            time_zone: "Europe/Oslo".into(),
        };
        let json = serde_json::to_value(&s).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "cadence": {"kind": "weekly", "weekday": "monday"},
                "local_time": "07:00",
                "time_zone": "Europe/Oslo",
            })
        );
        assert_eq!(serde_json::from_value::<Schedule>(json).unwrap(), s);
        let monthly: Schedule = serde_json::from_value(serde_json::json!({
            "cadence": {"kind": "monthly", "day": 31},
            "local_time": "05:00",
            "time_zone": "UTC",
        }))
        .unwrap();
        assert_eq!(monthly.cadence, Cadence::Monthly { day: 31 });
        assert!(serde_json::from_value::<Schedule>(serde_json::json!({
            "cadence": {"kind": "daily"},
            "local_time": "05:00",
            "time_zone": "UTC",
            "utc": true,
        }))
        .is_err());
        assert!(serde_json::from_value::<Schedule>(serde_json::json!({
            "cadence": {"kind": "weekly", "weekday": "monday", "day": 3},
            "local_time": "05:00",
            "time_zone": "UTC",
        }))
        .is_err());
        for day in Weekday::ALL {
            assert_eq!(Weekday::from(chrono::Weekday::from(day)), day);
        }
    }

    const ZONES: [&str; 6] = [
        "Europe/Oslo",
        "America/New_York",
        "Australia/Lord_Howe",
        "Asia/Kolkata",
        "UTC",
        "Pacific/Apia",
    ];

    fn any_cadence() -> impl Strategy<Value = Cadence> {
        prop_oneof![
            Just(Cadence::Daily),
            prop::sample::select(Weekday::ALL.to_vec())
                .prop_map(|weekday| Cadence::Weekly { weekday }),
            (1u8..=31).prop_map(|day| Cadence::Monthly { day }),
        ]
    }

    fn any_schedule() -> impl Strategy<Value = CheckedSchedule> {
        (
            any_cadence(),
            0u32..24,
            0u32..60,
            prop::sample::select(ZONES.to_vec()),
        )
            .prop_map(|(cadence, hour, minute, zone)| {
                schedule(cadence, &format!("{hour:02}:{minute:02}"), zone)
            })
    }

    /// 2024-01-01T00:00:00Z to 2030-12-31T23:59:59Z.
    fn any_instant() -> impl Strategy<Value = DateTime<Utc>> {
        (1_704_067_200i64..1_924_991_999)
            .prop_map(|secs| DateTime::<Utc>::from_timestamp(secs, 0).unwrap())
    }

    proptest! {
        #[test]
        fn next_after_is_strictly_later_within_a_period_and_at_the_local_time(
            s in any_schedule(),
            after in any_instant(),
        ) {
            let next = s.next_after(after);
            prop_assert!(next > after, "{next} is not after {after}");
            let bound = match s.cadence() {
                Cadence::Daily => TimeDelta::days(1) + TimeDelta::hours(1),
                Cadence::Weekly { .. } => TimeDelta::days(7) + TimeDelta::hours(1),
                Cadence::Monthly { .. } => TimeDelta::days(32),
            };
            prop_assert!(next - after <= bound, "{next} is too long after {after}");

            let local = next.with_timezone(&s.time_zone());
            let date = local.date_naive();
            let wall = wall_time(next, s.time_zone());
            if wall != s.local_time() {
                // Only on a gap day, and then shifted forward by at most an hour.
                let scheduled = date.and_time(s.local_time());
                prop_assert!(
                    matches!(s.time_zone().from_local_datetime(&scheduled), LocalResult::None),
                    "{next} is at {wall}, not {}, on a day without a gap", s.local_time()
                );
                let shift = wall - s.local_time();
                prop_assert!(shift > TimeDelta::zero() && shift <= TimeDelta::hours(1));
            }
            match s.cadence() {
                Cadence::Daily => {}
                Cadence::Weekly { weekday } => {
                    prop_assert_eq!(Weekday::from(date.weekday()), weekday);
                }
                Cadence::Monthly { day } => {
                    let last = u32::from(date.num_days_in_month());
                    prop_assert_eq!(date.day(), u32::from(day).min(last));
                }
            }
        }

        #[test]
        fn next_after_is_strictly_increasing_and_skips_no_run(
            s in any_schedule(),
            a in any_instant(),
            b in any_instant(),
        ) {
            let (early, late) = if a <= b { (a, b) } else { (b, a) };
            prop_assert!(s.next_after(early) <= s.next_after(late));
            let next = s.next_after(early);
            let after_next = s.next_after(next);
            prop_assert!(after_next > next);
            // Nothing runs between `early` and `next`: asking just before `next` finds it.
            prop_assert_eq!(s.next_after(next - TimeDelta::seconds(1)), next);
            prop_assert_eq!(s.next_after(early + (next - early) / 2), next);
        }
    }
}
