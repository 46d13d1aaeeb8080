//! Lambda: counts survey responses behind their writes, from the table's stream (DynamoDB Streams).

use cchc_functions::config;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    config::run_aggregator().await
}
