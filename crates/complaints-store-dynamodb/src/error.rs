//! Failures inside the DynamoDB adapter, before they are mapped onto the port's `StoreError`.

use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use complaints_app::ports::StoreError;

/// What went wrong in the adapter itself (the SDK's own errors are kept as they are).
#[derive(Debug, thiserror::Error)]
pub enum DynamoError {
    #[error("could not encode an item")]
    Encode(#[source] serde_json::Error),
    #[error("could not decode an item")]
    Decode(#[source] serde_json::Error),
    #[error("item attribute {0} is missing or malformed")]
    Malformed(&'static str),
    #[error("could not build the request")]
    Build(#[from] aws_sdk_dynamodb::error::BuildError),
    #[error("a write of {0} items is more than one transaction takes (100)")]
    TooManyWrites(usize),
    #[error("the reference counter kept changing under us after {0} attempts")]
    Contention(u32),
    #[error("the transaction was cancelled: {0}")]
    Cancelled(String),
    #[error("the table did not become active in time")]
    TableNotActive,
    #[error("DynamoDB request failed")]
    Request(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl From<DynamoError> for StoreError {
    fn from(error: DynamoError) -> Self {
        StoreError::Unavailable(Box::new(error))
    }
}

/// Any SDK failure that is not a condition we asked for (throttling, timeouts, service errors)
/// means the store is unavailable for now; the SDK error is kept as the source.
pub fn unavailable<E>(error: E) -> StoreError
where
    E: std::error::Error + Send + Sync + 'static,
{
    StoreError::Unavailable(Box::new(error))
}

/// The answer to a conditional update whose condition failing means there is nothing to do (a
/// later value is kept already, or nothing is there to change): `Ok` then, and any other failure
/// [`unavailable`].
pub(crate) fn unless_condition_failed<T>(
    result: Result<T, SdkError<UpdateItemError, HttpResponse>>,
) -> Result<(), StoreError> {
    match result {
        Err(SdkError::ServiceError(context)) if context.err().is_conditional_check_failed_exception() => Ok(()),
        Err(other) => Err(unavailable(other)),
        Ok(_) => Ok(()),
    }
}
