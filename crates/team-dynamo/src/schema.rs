//! The two tables: their keys and global secondary indexes, as the SDK's `CreateTable`
//! pieces. `infra/dynamodb.md` documents the same design, and a test checks that its
//! CloudFormation section says exactly what these definitions say.

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::client::Waiters as _;
use aws_sdk_dynamodb::error::BuildError;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType,
};
use team_core::{TeamError, TeamResult};

use crate::error::{Call, sdk_error};
use crate::item::{
    ACCOUNT_ID, CREATED_KEY, INDEX_USER, PK, PRINCIPAL_KEY, REQUEST_STATUS, REQUESTER_ID, SK,
};

/// Requests table index: a requester's requests, newest first.
pub const BY_REQUESTER: &str = "byRequester";
/// Requests table index: requests in one status, newest first.
pub const BY_STATUS: &str = "byStatus";
/// Requests table index: requests for one account, newest first.
pub const BY_ACCOUNT: &str = "byAccount";
/// Requests table index: requests a user may decide (`APPROVER#…`) or decided (`DECIDER#…`).
pub const BY_USER: &str = "byUser";
/// Policies table index: the eligibility policies of one principal.
pub const BY_PRINCIPAL: &str = "byPrincipal";

/// How long [`TableDefinition::create`] waits for a new table to become active.
const ACTIVE_WITHIN: std::time::Duration = std::time::Duration::from_secs(120);

/// Everything `CreateTable` needs besides billing: name, attributes, keys and indexes.
#[derive(Debug, Clone, PartialEq)]
pub struct TableDefinition {
    /// The table name.
    pub table_name: String,
    /// The key attributes of the table and of its indexes (all strings).
    pub attribute_definitions: Vec<AttributeDefinition>,
    /// `pk` (HASH) and `sk` (RANGE).
    pub key_schema: Vec<KeySchemaElement>,
    /// The global secondary indexes, every one projecting all attributes.
    pub global_secondary_indexes: Vec<GlobalSecondaryIndex>,
}

impl TableDefinition {
    /// Creates the table (on-demand billing) and waits until it is active.
    pub async fn create(&self, client: &Client) -> TeamResult<()> {
        let call = Call {
            table: &self.table_name,
            operation: "CreateTable",
        };
        client
            .create_table()
            .table_name(&self.table_name)
            .billing_mode(BillingMode::PayPerRequest)
            .set_attribute_definitions(Some(self.attribute_definitions.clone()))
            .set_key_schema(Some(self.key_schema.clone()))
            .set_global_secondary_indexes(Some(self.global_secondary_indexes.clone()))
            .send()
            .await
            .map_err(|e| sdk_error(call, None, e))?;
        client
            .wait_until_table_exists()
            .table_name(&self.table_name)
            .wait(ACTIVE_WITHIN)
            .await
            .map_err(|e| {
                TeamError::Internal(format!(
                    "table {} did not become active: {}",
                    self.table_name,
                    aws_sdk_dynamodb::error::DisplayErrorContext(&e)
                ))
            })?;
        tracing::info!(table = %self.table_name, "created DynamoDB table");
        Ok(())
    }
}

fn built<T>(what: &str, value: Result<T, BuildError>) -> TeamResult<T> {
    value.map_err(|e| TeamError::Internal(format!("invalid table definition ({what}): {e}")))
}

fn string_attribute(name: &str) -> TeamResult<AttributeDefinition> {
    built(
        name,
        AttributeDefinition::builder()
            .attribute_name(name)
            .attribute_type(ScalarAttributeType::S)
            .build(),
    )
}

fn key(name: &str, kind: KeyType) -> TeamResult<KeySchemaElement> {
    built(
        name,
        KeySchemaElement::builder()
            .attribute_name(name)
            .key_type(kind)
            .build(),
    )
}

fn index(name: &str, hash: &str, range: &str) -> TeamResult<GlobalSecondaryIndex> {
    built(
        name,
        GlobalSecondaryIndex::builder()
            .index_name(name)
            .key_schema(key(hash, KeyType::Hash)?)
            .key_schema(key(range, KeyType::Range)?)
            .projection(
                Projection::builder()
                    .projection_type(ProjectionType::All)
                    .build(),
            )
            .build(),
    )
}

fn table(
    name: String,
    attributes: &[&str],
    indexes: &[(&str, &str, &str)],
) -> TeamResult<TableDefinition> {
    Ok(TableDefinition {
        table_name: name,
        attribute_definitions: attributes
            .iter()
            .map(|a| string_attribute(a))
            .collect::<TeamResult<_>>()?,
        key_schema: vec![key(PK, KeyType::Hash)?, key(SK, KeyType::Range)?],
        global_secondary_indexes: indexes
            .iter()
            .map(|(name, hash, range)| index(name, hash, range))
            .collect::<TeamResult<_>>()?,
    })
}

/// The requests table: requests, their approver and decider index items, their events,
/// and the assignment leases.
pub fn requests_table(name: impl Into<String>) -> TeamResult<TableDefinition> {
    table(
        name.into(),
        &[
            PK,
            SK,
            REQUESTER_ID,
            REQUEST_STATUS,
            ACCOUNT_ID,
            INDEX_USER,
            CREATED_KEY,
        ],
        &[
            (BY_REQUESTER, REQUESTER_ID, CREATED_KEY),
            (BY_STATUS, REQUEST_STATUS, CREATED_KEY),
            (BY_ACCOUNT, ACCOUNT_ID, CREATED_KEY),
            (BY_USER, INDEX_USER, CREATED_KEY),
        ],
    )
}

/// The policies table: settings, eligibility policies and approver policies.
pub fn policies_table(name: impl Into<String>) -> TeamResult<TableDefinition> {
    table(
        name.into(),
        &[PK, SK, PRINCIPAL_KEY],
        &[(BY_PRINCIPAL, PRINCIPAL_KEY, SK)],
    )
}

/// Both tables, requests first.
pub fn table_definitions(
    requests_table_name: impl Into<String>,
    policies_table_name: impl Into<String>,
) -> TeamResult<Vec<TableDefinition>> {
    Ok(vec![
        requests_table(requests_table_name)?,
        policies_table(policies_table_name)?,
    ])
}

/// Creates both tables and waits until they are active (for tests and first deployments
/// without CloudFormation).
pub async fn create_tables(
    client: &Client,
    requests_table_name: &str,
    policies_table_name: &str,
) -> TeamResult<()> {
    for definition in table_definitions(requests_table_name, policies_table_name)? {
        definition.create(client).await?;
    }
    Ok(())
}
