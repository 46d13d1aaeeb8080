//! Viet Nam's time: the portal shows dates, and opens and closes consultations, in UTC+07:00. Both crates take
//! the offset from here.

use chrono::FixedOffset;

/// Viet Nam's offset. The country has kept UTC+07:00 all year since 1975 (no daylight saving), so a fixed offset
/// is exact for every date the portal shows.
pub const VIETNAM: FixedOffset = match FixedOffset::east_opt(7 * 3600) {
    Some(offset) => offset,
    None => panic!("UTC+07:00 is a valid offset"),
};

/// The portal's date format (`11-06-2023`), for `chrono`'s `format`: pages, forms and messages show dates this way.
pub const DATE_VI: &str = "%d-%m-%Y";

/// The portal's date and time format (`08:12 11-06-2023`).
pub const DATE_TIME_VI: &str = "%H:%M %d-%m-%Y";
