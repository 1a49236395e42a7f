//! Answers and every other write of the meeting actors, applied as one batch.

use crate::model::*;
use crate::store::{Store, finish};
use crate::{StorageError, batch};

impl Store {
    /// Applies every op in one transaction: all or nothing. A unique-index refusal is
    /// `StorageError::Duplicate`.
    pub async fn apply(&self, ops: &[WriteOp]) -> Result<(), StorageError> {
        if ops.is_empty() {
            return Ok(());
        }
        let _guard = self.write_guard().await;
        let txn = self.begin_write().await?;
        let result = batch::apply_ops(&txn, ops).await;
        finish(txn, result).await
    }
}
