//! What the store's requests cost: the capacity DynamoDB reports and the items a query evaluated.
//! Each operation also records its own figures in its tracing span; the meter adds them up per
//! store so tests (and a Lambda at the end of an invocation) can read them.

use std::sync::{Mutex, PoisonError};

use aws_sdk_dynamodb::types::ConsumedCapacity;

/// Totals since the store was built.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Cost {
    /// Requests sent to DynamoDB.
    pub requests: u64,
    /// Capacity units DynamoDB reported (`ReturnConsumedCapacity=TOTAL`), reads and writes.
    pub capacity_units: f64,
    /// Items queries evaluated (`ScannedCount`): what a read is billed on.
    pub items_evaluated: u64,
    /// Writes refused by a condition (billed, but nothing written).
    pub failed_conditional_writes: u64,
    /// Writes that succeeded (single puts and whole transactions each count once).
    pub writes: u64,
}

/// A running total shared by the store's operations.
#[derive(Debug, Default)]
pub struct Meter(Mutex<Cost>);

impl Meter {
    /// The totals so far.
    #[must_use]
    pub fn snapshot(&self) -> Cost {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn add(&self, delta: &Cost) {
        let mut total = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        total.requests += delta.requests;
        total.capacity_units += delta.capacity_units;
        total.items_evaluated += delta.items_evaluated;
        total.failed_conditional_writes += delta.failed_conditional_writes;
        total.writes += delta.writes;
    }
}

impl Cost {
    /// One request and the capacity it reported.
    pub(crate) fn request<'a>(capacity: impl IntoIterator<Item = &'a ConsumedCapacity>) -> Self {
        let capacity_units = capacity.into_iter().filter_map(ConsumedCapacity::capacity_units).sum();
        Self { requests: 1, capacity_units, ..Self::default() }
    }
}
