//! The table's shape: its keys, its one index and its TTL attribute, as `infra/` must declare them.

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection, ProjectionType,
    ScalarAttributeType, StreamSpecification, StreamViewType, TimeToLiveSpecification,
};

use super::DynamoStore;

/// The table's shape, shared by the tests that create it and by `infra/` (which must agree with it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TableDefinition {
    /// Partition key attribute.
    pub partition_key: &'static str,
    /// Sort key attribute.
    pub sort_key: &'static str,
    /// The moderation-queue index.
    pub gsi_name: &'static str,
    /// Its partition key.
    pub gsi_partition_key: &'static str,
    /// Its sort key.
    pub gsi_sort_key: &'static str,
    /// Attribute holding the expiry time (epoch seconds) for TTL.
    pub ttl_attribute: &'static str,
    /// What the table's stream carries: the aggregator reads new survey responses from it.
    pub stream_view_type: &'static str,
}

/// The one table.
pub const TABLE_DEFINITION: TableDefinition = TableDefinition {
    partition_key: "pk",
    sort_key: "sk",
    gsi_name: "gsi1",
    gsi_partition_key: "gsi1pk",
    gsi_sort_key: "gsi1sk",
    ttl_attribute: "ttl",
    stream_view_type: "NEW_IMAGE",
};

impl DynamoStore {
    /// Creates the table as `TABLE_DEFINITION` describes (for tests and local set-ups; AWS uses `infra/`).
    pub async fn create_table(client: &Client, table: &str) -> anyhow::Result<()> {
        let t = TABLE_DEFINITION;
        let attribute = |name: &str| {
            AttributeDefinition::builder().attribute_name(name).attribute_type(ScalarAttributeType::S).build()
        };
        let key = |name: &str, kind| KeySchemaElement::builder().attribute_name(name).key_type(kind).build();
        client
            .create_table()
            .table_name(table)
            .billing_mode(BillingMode::PayPerRequest)
            .set_attribute_definitions(Some(vec![
                attribute(t.partition_key)?,
                attribute(t.sort_key)?,
                attribute(t.gsi_partition_key)?,
                attribute(t.gsi_sort_key)?,
            ]))
            .key_schema(key(t.partition_key, KeyType::Hash)?)
            .key_schema(key(t.sort_key, KeyType::Range)?)
            .global_secondary_indexes(
                GlobalSecondaryIndex::builder()
                    .index_name(t.gsi_name)
                    .key_schema(key(t.gsi_partition_key, KeyType::Hash)?)
                    .key_schema(key(t.gsi_sort_key, KeyType::Range)?)
                    .projection(Projection::builder().projection_type(ProjectionType::All).build())
                    .build()?,
            )
            .stream_specification(
                StreamSpecification::builder()
                    .stream_enabled(true)
                    .stream_view_type(StreamViewType::from(t.stream_view_type))
                    .build()?,
            )
            .send()
            .await?;
        client
            .update_time_to_live()
            .table_name(table)
            .time_to_live_specification(
                TimeToLiveSpecification::builder().enabled(true).attribute_name(t.ttl_attribute).build()?,
            )
            .send()
            .await?;
        Ok(())
    }
}
