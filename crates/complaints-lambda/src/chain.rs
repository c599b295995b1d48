//! Errors as one log field: the error and its causes, `: `-separated. The one implementation
//! lives in the application layer (`complaints_app::error_chain`), which the local server and the
//! use cases log with too.

pub use complaints_app::error_chain;
