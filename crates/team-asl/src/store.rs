//! Durable storage of executions.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use crate::error::StoreError;
use crate::record::ExecutionRecord;

/// Durable storage of executions. `teamd` implements it on SQLite;
/// [`MemoryExecutionStore`] is an in-memory implementation.
#[async_trait::async_trait]
pub trait ExecutionStore: Send + Sync {
    /// Insert or replace the record with this execution name.
    async fn save(&self, record: &ExecutionRecord) -> Result<(), StoreError>;
    /// The record with this execution name, if any.
    async fn get(&self, name: &str) -> Result<Option<ExecutionRecord>, StoreError>;
    /// Every record whose status is `Running`.
    async fn unfinished(&self) -> Result<Vec<ExecutionRecord>, StoreError>;
}

/// An [`ExecutionStore`] kept in memory (tests, ephemeral runs). Sharing one
/// instance between two engines simulates a process restart.
#[derive(Debug, Default)]
pub struct MemoryExecutionStore {
    records: Mutex<HashMap<String, ExecutionRecord>>,
}

impl MemoryExecutionStore {
    /// An empty store.
    pub fn new() -> MemoryExecutionStore {
        MemoryExecutionStore::default()
    }

    /// A copy of every stored record.
    pub fn all(&self) -> Vec<ExecutionRecord> {
        let records = self.records.lock().unwrap_or_else(PoisonError::into_inner);
        records.values().cloned().collect()
    }
}

#[async_trait::async_trait]
impl ExecutionStore for MemoryExecutionStore {
    async fn save(&self, record: &ExecutionRecord) -> Result<(), StoreError> {
        let mut records = self.records.lock().unwrap_or_else(PoisonError::into_inner);
        records.insert(record.name.clone(), record.clone());
        Ok(())
    }

    async fn get(&self, name: &str) -> Result<Option<ExecutionRecord>, StoreError> {
        let records = self.records.lock().unwrap_or_else(PoisonError::into_inner);
        Ok(records.get(name).cloned())
    }

    async fn unfinished(&self) -> Result<Vec<ExecutionRecord>, StoreError> {
        let records = self.records.lock().unwrap_or_else(PoisonError::into_inner);
        Ok(records
            .values()
            .filter(|r| !r.status.is_finished())
            .cloned()
            .collect())
    }
}
