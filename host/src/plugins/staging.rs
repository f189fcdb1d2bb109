//! The writes of one plugin call, held until the call returns.
//!
//! Reads inside the call see its own writes; nothing reaches the store
//! until [`Staging::writes`] is committed in one transaction, so a call that
//! traps, times out or fails leaves nothing behind. Every update and delete
//! remembers the version it was based on: if another call changed the row
//! meanwhile, the commit is a conflict rather than a lost update.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::store::records::matches_filter;
use crate::store::{Record, RecordWrite};

/// A row as the call sees it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RowView {
    pub id: String,
    pub data: Value,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone)]
enum Staged {
    /// The row's document as the call left it. `base` is the stored version
    /// it replaces; `None` for a row the call inserted.
    Put {
        data: Value,
        created_at: i64,
        updated_at: i64,
        base: Option<i64>,
        seq: i64,
    },
    /// A stored row the call deleted.
    Removed { base: i64 },
}

/// Sequence numbers of inserted rows sort after every stored row.
const INSERTED_SEQ: i64 = 1 << 62;

/// One call's pending writes.
#[derive(Debug, Default)]
pub(crate) struct Staging {
    entries: BTreeMap<(String, String), Staged>,
    /// Keys in the order they were first written, for the commit.
    order: Vec<(String, String)>,
    inserted: i64,
    /// The version of every stored row the call read before writing it: a
    /// later write is based on what the call saw, not on what is stored by then.
    read_versions: BTreeMap<(String, String), i64>,
}

/// What the call's reads see for a key: its own write, or the store.
pub(crate) enum Seen {
    Staged(Option<RowView>),
    Unstaged,
}

impl Staging {
    /// Remembers the version of a stored row the call has read (the first
    /// read counts).
    pub fn note_read(&mut self, record: &Record) {
        self.read_versions
            .entry((record.collection.clone(), record.id.clone()))
            .or_insert(record.version);
    }

    /// `stored` as the call first saw it: with the version it read, if it
    /// read the row before, so that a write based on that read conflicts
    /// when the row changed since.
    pub fn as_first_read(&self, mut stored: Record) -> Record {
        if let Some(version) = self
            .read_versions
            .get(&(stored.collection.clone(), stored.id.clone()))
        {
            stored.version = *version;
        }
        stored
    }

    /// How many rows the call has written so far.
    pub fn len(&self) -> usize {
        self.order.len()
    }

    /// The call's own version of a row, if it wrote it.
    pub fn seen(&self, collection: &str, id: &str) -> Seen {
        match self.entries.get(&(collection.to_string(), id.to_string())) {
            None => Seen::Unstaged,
            Some(Staged::Removed { .. }) => Seen::Staged(None),
            Some(Staged::Put {
                data,
                created_at,
                updated_at,
                ..
            }) => Seen::Staged(Some(RowView {
                id: id.to_string(),
                data: data.clone(),
                created_at: *created_at,
                updated_at: *updated_at,
            })),
        }
    }

    fn key(&mut self, collection: &str, id: &str) -> (String, String) {
        let key = (collection.to_string(), id.to_string());
        if !self.entries.contains_key(&key) {
            self.order.push(key.clone());
        }
        key
    }

    /// Stages a new row.
    pub fn insert(&mut self, collection: &str, id: &str, data: Value, at: i64) {
        self.inserted += 1;
        let seq = INSERTED_SEQ + self.inserted;
        // A row deleted earlier in the call and inserted again is an update
        // of the stored row.
        let base = match self.entries.get(&(collection.to_string(), id.to_string())) {
            Some(Staged::Removed { base }) => Some(*base),
            _ => None,
        };
        let key = self.key(collection, id);
        self.entries.insert(
            key,
            Staged::Put {
                data,
                created_at: at,
                updated_at: at,
                base,
                seq,
            },
        );
    }

    /// Stages a new document for a row: `stored` is the stored row when the
    /// call had not written it yet.
    pub fn update(
        &mut self,
        collection: &str,
        id: &str,
        stored: Option<&Record>,
        data: Value,
        at: i64,
    ) {
        let key = self.key(collection, id);
        let entry = match (self.entries.remove(&key), stored) {
            (
                Some(Staged::Put {
                    created_at,
                    base,
                    seq,
                    ..
                }),
                _,
            ) => Staged::Put {
                data,
                created_at,
                updated_at: at,
                base,
                seq,
            },
            (_, Some(stored)) => Staged::Put {
                data,
                created_at: stored.created_at,
                updated_at: at,
                base: Some(stored.version),
                seq: stored.seq,
            },
            (other, None) => {
                // Only reachable when the caller checked existence first.
                debug_assert!(other.is_none(), "update of a removed row");
                return;
            }
        };
        self.entries.insert(key, entry);
    }

    /// Stages the removal of a row the call can see.
    pub fn delete(&mut self, collection: &str, id: &str, stored: Option<&Record>) {
        let key = self.key(collection, id);
        match (self.entries.remove(&key), stored) {
            (Some(Staged::Put { base: None, .. }), _) => {
                // Inserted and deleted within the call: nothing to write.
                self.order.retain(|k| k != &key);
            }
            (
                Some(Staged::Put {
                    base: Some(base), ..
                }),
                _,
            )
            | (Some(Staged::Removed { base }), _) => {
                self.entries.insert(key, Staged::Removed { base });
            }
            (None, Some(stored)) => {
                self.entries.insert(
                    key,
                    Staged::Removed {
                        base: stored.version,
                    },
                );
            }
            (None, None) => self.order.retain(|k| k != &key),
        }
    }

    /// The customer's rows of `collection` matching `filter` as the call sees
    /// them (`stored` with the call's writes applied), newest first.
    pub fn query(
        &self,
        collection: &str,
        stored: Vec<Record>,
        filter: &Map<String, Value>,
        limit: usize,
    ) -> Vec<RowView> {
        let mut rows: Vec<(i64, i64, RowView)> = Vec::new();
        for record in stored {
            match self.seen(collection, &record.id) {
                Seen::Staged(None) => {}
                Seen::Staged(Some(view)) => rows.push((view.created_at, record.seq, view)),
                Seen::Unstaged => rows.push((
                    record.created_at,
                    record.seq,
                    RowView {
                        id: record.id,
                        data: record.data,
                        created_at: record.created_at,
                        updated_at: record.updated_at,
                    },
                )),
            }
        }
        for ((coll, id), staged) in &self.entries {
            if let Staged::Put {
                data,
                created_at,
                updated_at,
                base: None,
                seq,
            } = staged
                && coll == collection
            {
                rows.push((
                    *created_at,
                    *seq,
                    RowView {
                        id: id.clone(),
                        data: data.clone(),
                        created_at: *created_at,
                        updated_at: *updated_at,
                    },
                ));
            }
        }
        rows.retain(|(_, _, row)| matches_filter(&row.data, filter));
        rows.sort_by_key(|(created_at, seq, _)| std::cmp::Reverse((*created_at, *seq)));
        rows.into_iter()
            .take(limit)
            .map(|(_, _, row)| row)
            .collect()
    }

    /// The writes to commit, in the order the call made them.
    pub fn writes(&self) -> Vec<RecordWrite> {
        self.order
            .iter()
            .filter_map(|key| {
                let (collection, id) = (key.0.clone(), key.1.clone());
                Some(match self.entries.get(key)? {
                    Staged::Put {
                        data,
                        updated_at,
                        base: None,
                        ..
                    } => RecordWrite::Insert {
                        collection,
                        id,
                        data: data.clone(),
                        at: *updated_at,
                    },
                    Staged::Put {
                        data,
                        updated_at,
                        base: Some(version),
                        ..
                    } => RecordWrite::Update {
                        collection,
                        id,
                        data: data.clone(),
                        at: *updated_at,
                        version: *version,
                    },
                    Staged::Removed { base } => RecordWrite::Delete {
                        collection,
                        id,
                        version: *base,
                    },
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn stored(id: &str, data: Value, version: i64, seq: i64) -> Record {
        Record {
            collection: "notes".into(),
            id: id.into(),
            customer_id: "C1".into(),
            data,
            created_at: 100 + seq,
            updated_at: 100 + seq,
            version,
            seq,
        }
    }

    #[test]
    fn a_write_is_based_on_the_version_the_call_first_read() {
        let mut staging = Staging::default();
        staging.note_read(&stored("a", json!({"n": 1}), 3, 1));
        // Another call changed the row meanwhile: the store now has version 4.
        let now = staging.as_first_read(stored("a", json!({"n": 5}), 4, 1));
        staging.update("notes", "a", Some(&now), json!({"n": 2}), 500);
        assert!(
            matches!(&staging.writes()[0], RecordWrite::Update { version: 3, .. }),
            "the commit must fail against version 4: {:?}",
            staging.writes()
        );
    }

    #[test]
    fn reads_see_the_calls_own_writes_and_the_commit_names_versions() {
        let a = stored("a", json!({"n": 1}), 3, 1);
        let b = stored("b", json!({"n": 2}), 1, 2);
        let mut staging = Staging::default();
        staging.update("notes", "a", Some(&a), json!({"n": 10}), 500);
        staging.delete("notes", "b", Some(&b));
        staging.insert("notes", "c", json!({"n": 3}), 500);
        staging.insert("notes", "tmp", json!({"n": 4}), 500);
        staging.delete("notes", "tmp", None);

        let rows = staging.query("notes", vec![b.clone(), a.clone()], &Map::new(), 10);
        let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, ["c", "a"]);
        assert_eq!(rows[1].data, json!({"n": 10}));
        let filter = json!({"n": 3}).as_object().unwrap().clone();
        assert_eq!(
            staging
                .query("notes", vec![a.clone(), b.clone()], &filter, 10)
                .len(),
            1
        );

        let writes = staging.writes();
        assert_eq!(writes.len(), 3, "{writes:?}");
        assert!(matches!(&writes[0], RecordWrite::Update { id, version: 3, .. } if id == "a"));
        assert!(matches!(&writes[1], RecordWrite::Delete { id, version: 1, .. } if id == "b"));
        assert!(matches!(&writes[2], RecordWrite::Insert { id, .. } if id == "c"));
    }
}
