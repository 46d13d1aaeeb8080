//! The multipart reader: any body under a fixed boundary gives a submission or a Vietnamese 4xx, never a panic.
#![no_main]

use axum::body::Body;
use axum::http::{Request, header};
use cchc_functions::http::Submission;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(runtime) = tokio::runtime::Builder::new_current_thread().build() else { return };
    let request = Request::post("/api/questions")
        .header(header::CONTENT_TYPE, "multipart/form-data; boundary=ranh-gioi")
        .body(Body::from(data.to_vec()));
    let Ok(request) = request else { return };
    if let Err(e) = runtime.block_on(Submission::read(request, 6 * 1024 * 1024, true)) {
        assert!(e.parts().0.is_client_error(), "{e}");
    }
});
