//! Lambda: Questions to the ministry.

use cchc_functions::{config, http};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    config::run_lambda(http::questions_router).await
}
