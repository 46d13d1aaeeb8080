//! The form body reader: any bytes give a submission or a Vietnamese 4xx, never a panic.
#![no_main]

use cchc_functions::http::Submission;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(e) = Submission::from_form(data) {
        assert!(e.parts().0.is_client_error(), "{e}");
    }
});
