//! The in-memory object store under the path the social intake's tests name it by; the one
//! implementation is [`crate::memory_objects`].

pub use crate::memory_objects::MemoryObjectStore;
