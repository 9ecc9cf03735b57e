//! The reconciler's runs in the requests table: one partition, newest last.

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use team_core::TeamResult;
use team_core::ports::SweepLog;
use team_core::sweep::SweepRun;

use crate::error::{Call, sdk_error};
use crate::item::{ITEM_TYPE, PK, SK, decode, encode, n, nanos, s};

/// Partition key of every sweep run.
const SWEEPS_PK: &str = "SWEEPS";
/// Attribute DynamoDB's time to live reads (seconds since the epoch), so old runs
/// expire by themselves where the table enables TTL on it.
pub const EXPIRES_AT: &str = "expiresAt";
/// How long a run is kept.
const KEEP_FOR: time::Duration = time::Duration::days(30);

/// [`SweepLog`] in the requests table (partition `SWEEPS`, sort key `RUN#<start ns>`).
#[derive(Debug, Clone)]
pub struct DynamoSweepLog {
    client: Client,
    table: String,
}

impl DynamoSweepLog {
    /// Runs in the requests table named `table`.
    pub fn new(client: Client, table: impl Into<String>) -> DynamoSweepLog {
        DynamoSweepLog {
            client,
            table: table.into(),
        }
    }

    fn call(&self, operation: &'static str) -> Call<'_> {
        Call {
            table: &self.table,
            operation,
        }
    }
}

#[async_trait]
impl SweepLog for DynamoSweepLog {
    async fn record(&self, run: &SweepRun) -> TeamResult<()> {
        let mut item = encode("sweep", run)?;
        item.insert(PK.into(), s(SWEEPS_PK));
        // Zero-padded, so the sort key orders like the time.
        item.insert(SK.into(), s(format!("RUN#{:024}", nanos(run.started_at))));
        item.insert(ITEM_TYPE.into(), s("sweep"));
        item.insert(
            EXPIRES_AT.into(),
            n((run.started_at + KEEP_FOR).unix_timestamp()),
        );
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await
            .map_err(|e| sdk_error(self.call("PutItem"), None, e))?;
        Ok(())
    }

    async fn recent(&self, limit: usize) -> TeamResult<Vec<SweepRun>> {
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("#pk = :pk")
            .expression_attribute_names("#pk", PK)
            .expression_attribute_values(":pk", s(SWEEPS_PK))
            .scan_index_forward(false)
            .limit(i32::try_from(limit.clamp(1, 100)).unwrap_or(100))
            .send()
            .await
            .map_err(|e| sdk_error(self.call("Query"), None, e))?;
        out.items
            .unwrap_or_default()
            .into_iter()
            .map(|item| {
                let mut item = item;
                item.remove(EXPIRES_AT);
                decode("sweep", item)
            })
            .collect()
    }
}
