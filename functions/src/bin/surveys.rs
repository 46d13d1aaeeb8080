//! Lambda: survey responses and results, plus health and the proof-of-work challenge.

use cchc_functions::{config, http};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    config::run_lambda(http::surveys_router).await
}
