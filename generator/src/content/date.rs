//! Dates in front matter: a date or a date-time, read in Asia/Ho_Chi_Minh time.

use std::fmt;

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Timelike};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Viet Nam's time (UTC+07:00 all year), as the functions judge windows.
fn vietnam() -> FixedOffset {
    cchc_functions::time::VIETNAM
}

/// A point in time from front matter, shown in Viet Nam's time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ContentDate {
    at: DateTime<FixedOffset>,
    has_time: bool,
}

pub use cchc_functions::time::{DATE_TIME_VI, DATE_VI};

/// What a date in front matter may look like, for error messages.
pub const DATE_FORMATS: &str = "YYYY-MM-DD, YYYY-MM-DD HH:MM hoặc YYYY-MM-DDTHH:MM:SS+07:00";

impl ContentDate {
    /// Parses `2023-06-11`, `2023-06-11 08:12`, `2023-06-11T08:12:00` or RFC 3339 with an offset.
    /// Values without an offset are Viet Nam time.
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        if let Ok(at) = DateTime::parse_from_rfc3339(text) {
            return Some(Self { at: at.with_timezone(&vietnam()), has_time: true });
        }
        if let Ok(date) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
            return Self::from_local(date.and_time(NaiveTime::MIN), false);
        }
        for format in ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"] {
            if let Ok(local) = NaiveDateTime::parse_from_str(text, format) {
                return Self::from_local(local, true);
            }
        }
        None
    }

    fn from_local(local: NaiveDateTime, has_time: bool) -> Option<Self> {
        vietnam().from_local_datetime(&local).single().map(|at| Self { at, has_time })
    }

    /// The current time, in Viet Nam.
    pub fn now() -> Self {
        Self { at: chrono::Utc::now().with_timezone(&vietnam()), has_time: true }
    }

    /// The instant, with the +07:00 offset.
    pub fn at(&self) -> DateTime<FixedOffset> {
        self.at
    }

    /// Whether the source gave a time of day.
    pub fn has_time(&self) -> bool {
        self.has_time
    }

    /// The calendar year.
    pub fn year(&self) -> i32 {
        chrono::Datelike::year(&self.at)
    }

    /// RFC 3339, as feeds and `<time datetime>` want it.
    pub fn rfc3339(&self) -> String {
        self.at.to_rfc3339()
    }

    /// The portal's display format: `08:12 11-06-2023`, or `11-06-2023` for a date without time.
    pub fn display_vi(&self) -> String {
        if !self.has_time {
            return self.date_vi();
        }
        match self.four_digit_year() {
            Some(y) => format!(
                "{:02}:{:02} {:02}-{:02}-{y:04}",
                self.at.hour(),
                self.at.minute(),
                self.at.day(),
                self.at.month()
            ),
            None => self.at.format(DATE_TIME_VI).to_string(),
        }
    }

    /// The date alone: `11-06-2023`.
    pub fn date_vi(&self) -> String {
        match self.four_digit_year() {
            Some(y) => format!("{:02}-{:02}-{y:04}", self.at.day(), self.at.month()),
            None => self.at.format(DATE_VI).to_string(),
        }
    }

    /// The year, when `DATE_VI`'s `%Y` writes it as four digits and no sign: then the two formats above are
    /// written directly, which costs a fraction of parsing the `strftime` string again for every date of every list.
    fn four_digit_year(&self) -> Option<i32> {
        Some(self.year()).filter(|y| (0..=9999).contains(y))
    }

    /// `2023-06-11`, for front matter written by `cchc new`.
    pub fn iso_date(&self) -> String {
        self.at.format("%Y-%m-%d").to_string()
    }

    /// `2023-06-11 08:12`, for front matter written by `cchc new`.
    pub fn iso_minutes(&self) -> String {
        self.at.format("%Y-%m-%d %H:%M").to_string()
    }
}

impl fmt::Display for ContentDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.rfc3339())
    }
}

/// Why `text` is not a date, for the editor: a day that does not exist in its month (`2023-11-31`) is said so,
/// anything else gets the accepted forms.
fn why_invalid(text: &str) -> String {
    let digits = |s: &str| s.parse::<u32>().ok();
    let date = text.trim().get(..10).unwrap_or_default();
    if let [Some(year), Some(month), Some(day)] = date.splitn(3, '-').map(digits).collect::<Vec<_>>()[..]
        && (1..=12).contains(&month)
        && (1..=31).contains(&day)
        && NaiveDate::from_ymd_opt(year as i32, month, day).is_none()
    {
        return format!("ngày không hợp lệ `{text}`: tháng {month} năm {year} không có ngày {day}");
    }
    format!("ngày không hợp lệ `{text}`: cần dạng {DATE_FORMATS}")
}

impl<'de> Deserialize<'de> for ContentDate {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = ContentDate;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "một ngày dạng {DATE_FORMATS}")
            }
            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<ContentDate, E> {
                ContentDate::parse(text).ok_or_else(|| E::custom(why_invalid(text)))
            }
            fn visit_i64<E: serde::de::Error>(self, n: i64) -> Result<ContentDate, E> {
                self.visit_str(&n.to_string())
            }
            fn visit_u64<E: serde::de::Error>(self, n: u64) -> Result<ContentDate, E> {
                self.visit_str(&n.to_string())
            }
        }
        // Errors raised inside the visitor carry the scalar's own position.
        deserializer.deserialize_any(Visitor)
    }
}

impl Serialize for ContentDate {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.rfc3339())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_written_as_the_strftime_formats_write_them() {
        let mut dates: Vec<ContentDate> =
            ["2023-06-11", "2023-06-11 08:12", "0001-01-01", "0999-12-31 23:59", "9999-12-31 00:00", "2024-02-29"]
                .iter()
                .map(|text| ContentDate::parse(text).expect(text))
                .collect();
        // Years the front matter cannot give, where `%Y` writes a sign or more digits: written by chrono.
        for (year, has_time) in [(12345, true), (-5, false)] {
            let at = vietnam().with_ymd_and_hms(year, 3, 4, 5, 6, 0).single().expect("a time");
            dates.push(ContentDate { at, has_time });
        }
        for date in dates {
            assert_eq!(date.date_vi(), date.at.format(DATE_VI).to_string(), "{date:?}");
            let display = if date.has_time { date.at.format(DATE_TIME_VI).to_string() } else { date.date_vi() };
            assert_eq!(date.display_vi(), display, "{date:?}");
        }
    }

    #[test]
    fn a_day_that_does_not_exist_is_said_so() {
        assert_eq!(why_invalid("2023-11-31"), "ngày không hợp lệ `2023-11-31`: tháng 11 năm 2023 không có ngày 31");
        assert_eq!(
            why_invalid("2023-02-29 08:00"),
            "ngày không hợp lệ `2023-02-29 08:00`: tháng 2 năm 2023 không có ngày 29"
        );
        assert!(why_invalid("2023-13-45").contains("cần dạng YYYY-MM-DD"));
        assert!(why_invalid("hôm qua").contains("cần dạng YYYY-MM-DD"));
    }

    #[test]
    fn a_plain_date_is_midnight_in_vietnam() {
        let d = ContentDate::parse("2023-06-11").expect("valid");
        assert_eq!(d.rfc3339(), "2023-06-11T00:00:00+07:00");
        assert!(!d.has_time());
        assert_eq!(d.display_vi(), "11-06-2023");
    }

    #[test]
    fn a_date_time_shows_as_the_portal_does() {
        let d = ContentDate::parse("2023-06-11 08:12").expect("valid");
        assert_eq!(d.display_vi(), "08:12 11-06-2023");
        assert_eq!(ContentDate::parse("2023-06-11T08:12:00").expect("valid"), d);
    }

    #[test]
    fn an_offset_is_converted_to_vietnam_time() {
        let d = ContentDate::parse("2023-06-11T01:12:00Z").expect("valid");
        assert_eq!(d.display_vi(), "08:12 11-06-2023");
    }

    #[test]
    fn impossible_dates_are_rejected() {
        assert_eq!(ContentDate::parse("2023-13-45"), None);
        assert_eq!(ContentDate::parse("2023-02-30"), None);
        assert_eq!(ContentDate::parse("hôm qua"), None);
    }
}
