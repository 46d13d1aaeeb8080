//! The table's stream as the tests read it from the moto server: DynamoDB Streams' JSON protocol over one POST
//! (the Rust SDK's Streams client is not among the workspace's dependencies, and this is all the tests need).

use serde_json::{Value, json};

/// One call of the DynamoDB Streams API on the server at `endpoint` (`http://127.0.0.1:PORT`).
async fn streams_call(endpoint: &str, action: &str, body: Value) -> Value {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let host = endpoint.trim_start_matches("http://").trim_end_matches('/').to_string();
    let body = body.to_string();
    let request = format!(
        "POST / HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/x-amz-json-1.0\r\n\
         X-Amz-Target: DynamoDBStreams_20120810.{action}\r\n\
         Authorization: AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let mut connection = tokio::net::TcpStream::connect(&host).await.expect("connect to moto");
    connection.write_all(request.as_bytes()).await.expect("send");
    let mut reply = Vec::new();
    connection.read_to_end(&mut reply).await.expect("read");
    let reply = String::from_utf8(reply).expect("UTF-8");
    let (head, body) = reply.split_once("\r\n\r\n").expect("an HTTP reply");
    assert_eq!(head.split(' ').nth(1), Some("200"), "{action}: {reply}");
    serde_json::from_str(body).expect("JSON")
}

/// Every record of `table`'s stream so far, from its start, as event-shaped batches (`{"Records": [...]}`) of at
/// most 100, as the event source mapping gives them to the aggregator.
pub async fn stream_batches(client: &aws_sdk_dynamodb::Client, endpoint: &str, table: &str) -> Vec<Value> {
    // Right after a burst moto may still be working through it: a timed-out attempt is asked again (the test
    // bounds how slow a test server may be, not how slow this metadata read is).
    let mut attempts = 0;
    let described = loop {
        match client.describe_table().table_name(table).send().await {
            Ok(described) => break described,
            Err(e) if attempts < 5 => {
                attempts += 1;
                eprintln!("[stream] describe_table, attempt {attempts}: {e}; asked again");
                tokio::time::sleep(std::time::Duration::from_secs(2)).await;
            }
            Err(e) => panic!("describe: {e:?}"),
        }
    };
    let arn = described.table().and_then(|t| t.latest_stream_arn()).expect("the table has a stream").to_string();
    let stream = streams_call(endpoint, "DescribeStream", json!({ "StreamArn": arn })).await;
    let mut batches = Vec::new();
    for shard in stream["StreamDescription"]["Shards"].as_array().expect("shards") {
        let start = json!({ "StreamArn": arn, "ShardId": shard["ShardId"], "ShardIteratorType": "TRIM_HORIZON" });
        let mut iterator = streams_call(endpoint, "GetShardIterator", start).await["ShardIterator"].clone();
        loop {
            let page = streams_call(endpoint, "GetRecords", json!({ "ShardIterator": iterator, "Limit": 100 })).await;
            let records = page["Records"].as_array().cloned().unwrap_or_default();
            if records.is_empty() {
                break;
            }
            batches.push(json!({ "Records": records }));
            iterator = page["NextShardIterator"].clone();
        }
    }
    batches
}
