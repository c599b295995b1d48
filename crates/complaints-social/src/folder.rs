//! A folder as the object store, for `complaints serve`: each key is a file under the folder
//! (created 0600 in 0700 folders), so raw deliveries, quarantine and triage records sit beside
//! the SQLite store in the data directory.

use std::path::{Component, Path, PathBuf};

use async_trait::async_trait;
use complaints_app::object_store::{ObjectStore, ObjectStoreError};

/// Objects as files under `root`.
#[derive(Debug, Clone)]
pub struct FolderObjectStore {
    root: PathBuf,
}

#[derive(Debug, thiserror::Error)]
#[error("object key is not a plain relative path")]
struct BadKey;

impl FolderObjectStore {
    #[must_use]
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// The file for `key`; keys are our own (`social/raw/…`), but a key that could leave the
    /// folder is refused all the same.
    fn path(&self, key: &str) -> Result<PathBuf, ObjectStoreError> {
        let relative = Path::new(key);
        if key.is_empty() || !relative.components().all(|c| matches!(c, Component::Normal(_))) {
            return Err(ObjectStoreError::Unavailable(Box::new(BadKey)));
        }
        Ok(self.root.join(relative))
    }
}

fn unavailable(err: std::io::Error) -> ObjectStoreError {
    ObjectStoreError::Unavailable(Box::new(err))
}

#[async_trait]
impl ObjectStore for FolderObjectStore {
    async fn put(&self, key: &str, _content_type: &str, bytes: Vec<u8>) -> Result<(), ObjectStoreError> {
        let path = self.path(key)?;
        tokio::task::spawn_blocking(move || {
            if let Some(parent) = path.parent() {
                let mut builder = std::fs::DirBuilder::new();
                builder.recursive(true);
                #[cfg(unix)]
                {
                    use std::os::unix::fs::DirBuilderExt;
                    builder.mode(0o700);
                }
                builder.create(parent)?;
            }
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create(true).truncate(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                options.mode(0o600);
            }
            std::io::Write::write_all(&mut options.open(&path)?, &bytes)
        })
        .await
        .map_err(|join| ObjectStoreError::Unavailable(Box::new(join)))?
        .map_err(unavailable)
    }

    async fn get(&self, key: &str) -> Result<Vec<u8>, ObjectStoreError> {
        let path = self.path(key)?;
        match tokio::fs::read(&path).await {
            Ok(bytes) => Ok(bytes),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => Err(ObjectStoreError::NotFound),
            Err(err) => Err(unavailable(err)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn keys_are_files_and_escaping_keys_are_refused() {
        let dir = std::env::temp_dir().join(format!("complaints-social-folder-{}", std::process::id()));
        let store = FolderObjectStore::new(&dir);
        store.put("social/raw/a.json", "application/json", b"{}".to_vec()).await.expect("put");
        assert_eq!(store.get("social/raw/a.json").await.expect("get"), b"{}");
        assert!(matches!(store.get("social/raw/b.json").await, Err(ObjectStoreError::NotFound)));
        for bad in ["../x", "/etc/x", "", "a/../../x"] {
            assert!(store.put(bad, "text/plain", Vec::new()).await.is_err(), "{bad}");
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
