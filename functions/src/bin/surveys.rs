//! Lambda: survey responses and results, plus health and the proof-of-work challenge.

use cchc_functions::{config, http};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    config::init_tracing();
    let state = config::dynamo_state_from_env().await?;
    lambda_http::run(http::surveys_router(state.clone()).merge(http::shared_router(state))).await
}
