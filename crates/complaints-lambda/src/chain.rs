//! Errors as one log field: the error and its causes, `: `-separated. The SDK puts the useful part
//! (a TLS or DNS failure, a service's error code) several sources down.

use std::error::Error;

/// `err` and its causes, each once: a cause whose text the previous one already ends with (as
/// `#[error("…: {0}")]` wrappers do) is not repeated.
#[must_use]
pub fn error_chain(err: &dyn Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.ends_with(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("connection refused")]
    struct Root;

    #[derive(Debug, thiserror::Error)]
    #[error("dispatch failure")]
    struct Dispatch(#[source] Root);

    #[derive(Debug, thiserror::Error)]
    #[error("cannot read the keys: {0}")]
    struct Quoting(#[source] Root);

    #[test]
    fn each_cause_appears_once_in_order() {
        assert_eq!(error_chain(&Dispatch(Root)), "dispatch failure: connection refused");
        assert_eq!(error_chain(&Quoting(Root)), "cannot read the keys: connection refused");
    }
}
