//! The pagination cursor decoder: any text is a cursor or `BadCursor`, never a panic.
#![no_main]

use cchc_functions::store::Cursor;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data)
        && let Ok(cursor) = Cursor::parse(text)
    {
        let _ = cursor.position();
    }
});
