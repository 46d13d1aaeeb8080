//! Lambda: Moderation: queues, decisions, answers, CSV export.

use cchc_functions::{config, http};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    config::run_lambda(http::moderation_router).await
}
