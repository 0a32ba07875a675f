//! What the catalog already knows of a prefix, in a form small enough for millions of objects.

use std::collections::HashMap;

use torro_catalog::CatalogStore;
use torro_model::StorageLocation;

use crate::SourceConfig;
use crate::scan::{Failure, is_hidden, is_in_scope, is_same_or_under};

/// What the catalog knows of one prefix, kept small so that a container of millions of
/// objects fits: per path only a 64-bit hash of it, the id, a hash of the fingerprint and
/// two flags (about 40 bytes an entry). Paths are read again only in the rare case that
/// the listing skipped folders and vanished entries must be checked against them.
pub(crate) struct KnownObjects {
    entries: HashMap<u64, Known>,
}

pub(crate) struct Known {
    pub id: i64,
    pub fingerprint: u64,
    pub deleted: bool,
    /// Passes the source's filters, so it would have been listed if it still existed.
    in_scope: bool,
}

impl KnownObjects {
    pub async fn load(
        store: &dyn CatalogStore,
        location: &StorageLocation,
        prefix: &str,
        cfg: &SourceConfig,
    ) -> Result<Self, Failure> {
        let mut entries = HashMap::new();
        store
            .for_each_known_object(location, prefix, &mut |k| {
                // known_objects matches a string prefix; a folder prefix must not take "raw2/" for "raw".
                if is_same_or_under(&k.path, prefix) || prefix.is_empty() {
                    let known = Known {
                        id: k.id,
                        fingerprint: fingerprint_key(&k.fingerprint),
                        deleted: k.deleted,
                        in_scope: is_in_scope(cfg, &k.path) || is_table_in_scope(cfg, &k.path, &k.fingerprint),
                    };
                    entries.insert(path_key(&k.path), known);
                }
            })
            .await?;
        Ok(KnownObjects { entries })
    }

    pub fn remove(&mut self, path: &str) -> Option<Known> {
        self.entries.remove(&path_key(path))
    }

    /// Ids of live, in-scope entries the listing did not return, except those under a
    /// path the listing skipped (what we knew there is not known to be gone).
    pub async fn vanished(
        self,
        store: &dyn CatalogStore,
        location: &StorageLocation,
        prefix: &str,
        skipped: &[String],
    ) -> Result<Vec<i64>, Failure> {
        let candidates: HashMap<i64, ()> = self
            .entries
            .values()
            .filter(|k| !k.deleted && k.in_scope)
            .map(|k| (k.id, ()))
            .collect();
        if skipped.is_empty() || candidates.is_empty() {
            return Ok(candidates.into_keys().collect());
        }
        let mut out = Vec::new();
        store
            .for_each_known_object(location, prefix, &mut |k| {
                if candidates.contains_key(&k.id) && !skipped.iter().any(|s| is_same_or_under(&k.path, s)) {
                    out.push(k.id);
                }
            })
            .await?;
        Ok(out)
    }
}

fn path_key(path: &str) -> u64 {
    hash64(path.as_bytes())
}

pub(crate) fn fingerprint_key(fingerprint: &str) -> u64 {
    hash64(fingerprint.as_bytes())
}

/// A 64-bit hash; two paths of one prefix colliding is about as likely as 1 in 10^7 for
/// a million objects, and would at worst make one changed file look unchanged once.
fn hash64(bytes: &[u8]) -> u64 {
    use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};
    BuildHasherDefault::<DefaultHasher>::default().hash_one(bytes)
}

/// Table entries (Delta, Iceberg) have no extension: their format is in their fingerprint.
fn is_table_in_scope(cfg: &SourceConfig, path: &str, fingerprint: &str) -> bool {
    let format = fingerprint.split(':').next().unwrap_or_default();
    !is_hidden(path) && matches!(format, "delta" | "iceberg") && cfg.accepts_extension(format)
}
