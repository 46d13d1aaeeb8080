//! Viet Nam's time: the portal shows dates, and opens and closes consultations, in UTC+07:00. Both crates take
//! the offset from here.

use chrono::FixedOffset;

/// Viet Nam's offset. The country has kept UTC+07:00 all year since 1975 (no daylight saving), so a fixed offset
/// is exact for every date the portal shows.
pub const VIETNAM: FixedOffset = match FixedOffset::east_opt(7 * 3600) {
    Some(offset) => offset,
    None => panic!("UTC+07:00 is a valid offset"),
};
