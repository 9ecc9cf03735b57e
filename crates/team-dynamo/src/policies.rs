//! [`PolicyStore`] on the policies table.
//!
//! Settings are one item (`pk = sk = SETTINGS`); eligibility policies live in partition
//! `ELIGIBILITY` and approver policies in partition `APPROVER`, with the policy id as
//! sort key, so listing a kind is one strongly consistent `Query` in id order. The
//! `byPrincipal` index finds the eligibility policies of a user or group.

use std::collections::{BTreeMap, BTreeSet};

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::ReturnValue;
use serde::Serialize;
use serde::de::DeserializeOwned;
use team_core::TeamResult;
use team_core::ids::PolicyId;
use team_core::policy::{ApproverPolicy, EligibilityPolicy, Principal, Settings};
use team_core::ports::PolicyStore;

use crate::error::{Call, sdk_error};
use crate::item::{ITEM_TYPE, Item, PK, PRINCIPAL_KEY, SK, decode, encode, s};
use crate::schema::BY_PRINCIPAL;

/// Key of the settings item (partition and sort key alike).
const SETTINGS: &str = "SETTINGS";
/// Partition of eligibility policies.
const ELIGIBILITY: &str = "ELIGIBILITY";
/// Partition of approver policies.
const APPROVER: &str = "APPROVER";

/// [`PolicyStore`] on a DynamoDB table laid out as [`crate::policies_table`] defines.
#[derive(Debug, Clone)]
pub struct DynamoPolicyStore {
    client: Client,
    table: String,
}

/// The `principalKey` of a principal: the kind keeps a user and a group with the same id apart.
fn principal_key(principal: &Principal) -> String {
    match principal {
        Principal::User(id) => format!("USER#{id}"),
        Principal::Group(id) => format!("GROUP#{id}"),
    }
}

impl DynamoPolicyStore {
    /// A store over the table named `table` (created with [`crate::policies_table`]).
    pub fn new(client: Client, table: impl Into<String>) -> DynamoPolicyStore {
        DynamoPolicyStore {
            client,
            table: table.into(),
        }
    }

    /// The table name.
    pub fn table(&self) -> &str {
        &self.table
    }

    /// Whether settings were ever saved (the trait answers defaults either way).
    pub async fn has_settings(&self) -> TeamResult<bool> {
        Ok(self.get_item(SETTINGS, SETTINGS).await?.is_some())
    }

    fn call(&self, operation: &'static str) -> Call<'_> {
        Call {
            table: &self.table,
            operation,
        }
    }

    async fn get_item(&self, pk: &str, sk: &str) -> TeamResult<Option<Item>> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(PK, s(pk))
            .key(SK, s(sk))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| sdk_error(self.call("GetItem"), None, e))?;
        Ok(out.item)
    }

    async fn get<T: DeserializeOwned>(
        &self,
        what: &str,
        pk: &str,
        sk: &str,
    ) -> TeamResult<Option<T>> {
        self.get_item(pk, sk)
            .await?
            .map(|item| decode(what, item))
            .transpose()
    }

    async fn put<T: Serialize>(
        &self,
        what: &str,
        value: &T,
        pk: &str,
        sk: &str,
        extra: &[(&str, String)],
    ) -> TeamResult<()> {
        let mut item = encode(what, value)?;
        item.insert(PK.into(), s(pk));
        item.insert(SK.into(), s(sk));
        item.insert(ITEM_TYPE.into(), s(what.replace(' ', "-")));
        for (name, value) in extra {
            item.insert((*name).to_owned(), s(value.clone()));
        }
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await
            .map_err(|e| sdk_error(self.call("PutItem"), None, e))?;
        tracing::debug!(table = %self.table, what, id = sk, "stored");
        Ok(())
    }

    async fn delete(&self, pk: &str, sk: &str) -> TeamResult<bool> {
        let out = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key(PK, s(pk))
            .key(SK, s(sk))
            .return_values(ReturnValue::AllOld)
            .send()
            .await
            .map_err(|e| sdk_error(self.call("DeleteItem"), None, e))?;
        let existed = out.attributes.is_some_and(|old| !old.is_empty());
        tracing::debug!(table = %self.table, id = sk, existed, "deleted");
        Ok(existed)
    }

    /// Every item of a partition (of the table, or of an index with `index`), in sort key order.
    async fn partition(&self, index: Option<(&str, &str)>, value: &str) -> TeamResult<Vec<Item>> {
        let (index_name, attribute) = match index {
            Some((name, attribute)) => (Some(name.to_owned()), attribute),
            None => (None, PK),
        };
        let mut items = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let out = self
                .client
                .query()
                .table_name(&self.table)
                .set_index_name(index_name.clone())
                .key_condition_expression("#key = :key")
                .expression_attribute_names("#key", attribute)
                .expression_attribute_values(":key", s(value))
                // Global secondary indexes only offer eventually consistent reads.
                .consistent_read(index_name.is_none())
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| sdk_error(self.call("Query"), None, e))?;
            items.extend(out.items.unwrap_or_default());
            match out.last_evaluated_key.filter(|k| !k.is_empty()) {
                Some(key) => start = Some(key),
                None => return Ok(items),
            }
        }
    }

    async fn all<T: DeserializeOwned>(&self, what: &str, partition: &str) -> TeamResult<Vec<T>> {
        self.partition(None, partition)
            .await?
            .into_iter()
            .map(|item| decode(what, item))
            .collect()
    }
}

#[async_trait]
impl PolicyStore for DynamoPolicyStore {
    async fn settings(&self) -> TeamResult<Settings> {
        Ok(self
            .get("settings", SETTINGS, SETTINGS)
            .await?
            .unwrap_or_default())
    }

    async fn put_settings(&self, settings: &Settings) -> TeamResult<()> {
        self.put("settings", settings, SETTINGS, SETTINGS, &[])
            .await
    }

    async fn eligibility_policies(&self) -> TeamResult<Vec<EligibilityPolicy>> {
        self.all("eligibility policy", ELIGIBILITY).await
    }

    async fn eligibility_policies_for(
        &self,
        principals: &[Principal],
    ) -> TeamResult<Vec<EligibilityPolicy>> {
        let keys: BTreeSet<String> = principals.iter().map(principal_key).collect();
        let mut found: BTreeMap<String, EligibilityPolicy> = BTreeMap::new();
        for key in keys {
            for item in self
                .partition(Some((BY_PRINCIPAL, PRINCIPAL_KEY)), &key)
                .await?
            {
                let policy: EligibilityPolicy = decode("eligibility policy", item)?;
                // The index may lag a replacement for a moment: the policy itself decides.
                if principals.contains(&policy.spec.principal) {
                    found.insert(policy.id.to_string(), policy);
                }
            }
        }
        Ok(found.into_values().collect())
    }

    async fn eligibility_policy(&self, id: &PolicyId) -> TeamResult<Option<EligibilityPolicy>> {
        self.get("eligibility policy", ELIGIBILITY, id.as_str())
            .await
    }

    async fn put_eligibility_policy(&self, policy: &EligibilityPolicy) -> TeamResult<()> {
        let principal = principal_key(&policy.spec.principal);
        self.put(
            "eligibility policy",
            policy,
            ELIGIBILITY,
            policy.id.as_str(),
            &[(PRINCIPAL_KEY, principal)],
        )
        .await
    }

    async fn delete_eligibility_policy(&self, id: &PolicyId) -> TeamResult<bool> {
        self.delete(ELIGIBILITY, id.as_str()).await
    }

    async fn approver_policies(&self) -> TeamResult<Vec<ApproverPolicy>> {
        self.all("approver policy", APPROVER).await
    }

    async fn approver_policy(&self, id: &PolicyId) -> TeamResult<Option<ApproverPolicy>> {
        self.get("approver policy", APPROVER, id.as_str()).await
    }

    async fn put_approver_policy(&self, policy: &ApproverPolicy) -> TeamResult<()> {
        self.put("approver policy", policy, APPROVER, policy.id.as_str(), &[])
            .await
    }

    async fn delete_approver_policy(&self, id: &PolicyId) -> TeamResult<bool> {
        self.delete(APPROVER, id.as_str()).await
    }
}
