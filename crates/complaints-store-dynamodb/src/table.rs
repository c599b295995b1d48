//! Creating the table: the same key schema and indexes as the SAM template (infra/), for tests
//! and local use against a DynamoDB-compatible server.

use std::time::Duration;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection, ProjectionType,
    ScalarAttributeType, TableStatus,
};

use crate::error::DynamoError;
use crate::keys::{
    GSI_ALERT, GSI_CONTACT, GSI_DUE, GSI_PERIOD, GSI1PK, GSI1SK, GSI2PK, GSI2SK, GSI3PK, GSI3SK, GSI4PK, GSI4SK, PK, SK,
};

/// Creates the case table (on-demand billing) and waits until it is active.
///
/// # Errors
/// [`DynamoError::Request`] when DynamoDB refuses (for example, the table exists);
/// [`DynamoError::TableNotActive`] when it is still being created after two minutes.
pub async fn create_table(client: &Client, table: &str) -> Result<(), DynamoError> {
    let attributes = [PK, SK, GSI1PK, GSI1SK, GSI2PK, GSI2SK, GSI3PK, GSI3SK, GSI4PK, GSI4SK]
        .into_iter()
        .map(|name| AttributeDefinition::builder().attribute_name(name).attribute_type(ScalarAttributeType::S).build())
        .collect::<Result<Vec<_>, _>>()?;
    let indexes = [
        // The breach scan and the exports read whole cases, so they get every attribute.
        (GSI_DUE, GSI1PK, GSI1SK, ProjectionType::All),
        (GSI_PERIOD, GSI2PK, GSI2SK, ProjectionType::All),
        // Contact lookups only need the reference, which is the index sort key.
        (GSI_CONTACT, GSI3PK, GSI3SK, ProjectionType::KeysOnly),
        // The breach scan's alert index: whole cases, like the due index.
        (GSI_ALERT, GSI4PK, GSI4SK, ProjectionType::All),
    ]
    .into_iter()
    .map(|(name, hash, range, projection)| {
        GlobalSecondaryIndex::builder()
            .index_name(name)
            .key_schema(key_element(hash, KeyType::Hash)?)
            .key_schema(key_element(range, KeyType::Range)?)
            .projection(Projection::builder().projection_type(projection).build())
            .build()
            .map_err(DynamoError::from)
    })
    .collect::<Result<Vec<_>, DynamoError>>()?;

    client
        .create_table()
        .table_name(table)
        .billing_mode(BillingMode::PayPerRequest)
        .set_attribute_definitions(Some(attributes))
        .key_schema(key_element(PK, KeyType::Hash)?)
        .key_schema(key_element(SK, KeyType::Range)?)
        .set_global_secondary_indexes(Some(indexes))
        .send()
        .await
        .map_err(|e| DynamoError::Request(Box::new(e)))?;

    // Real DynamoDB takes a few seconds; local servers are active at once.
    for _ in 0..240 {
        let described =
            client.describe_table().table_name(table).send().await.map_err(|e| DynamoError::Request(Box::new(e)))?;
        if described.table().and_then(|t| t.table_status()) == Some(&TableStatus::Active) {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    Err(DynamoError::TableNotActive)
}

fn key_element(name: &str, key_type: KeyType) -> Result<KeySchemaElement, DynamoError> {
    Ok(KeySchemaElement::builder().attribute_name(name).key_type(key_type).build()?)
}
