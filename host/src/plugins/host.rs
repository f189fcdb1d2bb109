//! The host side of the WIT imports a tool plugin may call: `records`,
//! `http`, `config`, `clock` and `log`. Every records access goes through
//! the call's [`CallContext`]: its customer, its grant, its staged writes.

use serde_json::{Map, Value};

use super::call::CallContext;
use super::grants::Access;
use super::staging::{RowView, Seen};
use super::state::GuestState;
use crate::bindings::{clock, config, http, log, records, tool_types};
use crate::clock::{Clock, rfc3339};
use crate::store::records::{is_collection_name, is_record_id, merge_patch};
use crate::store::{Record, StoreError};

/// Most rows one `query` returns, whatever the guest asks for.
const MAX_QUERY_ROWS: u32 = 500;
/// Largest document a guest may write, in bytes of JSON.
const MAX_DOCUMENT_BYTES: usize = 256 << 10;
/// Most rows one call may write.
const MAX_WRITES_PER_CALL: usize = 1000;
/// Longest log line a guest may hand the host, in bytes.
const MAX_GUEST_TEXT: usize = 4096;

fn clip(text: &str) -> &str {
    if text.len() <= MAX_GUEST_TEXT {
        return text;
    }
    let mut end = MAX_GUEST_TEXT;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

type RecordsResult<T> = wasmtime::Result<Result<T, records::RecordsError>>;

fn unavailable(error: StoreError) -> records::RecordsError {
    tracing::error!("the record store failed during a plugin call: {error}");
    records::RecordsError::Unavailable("the data store is not available".into())
}

fn row(view: RowView) -> records::Row {
    records::Row {
        id: view.id,
        data: view.data.to_string(),
        created_at: view.created_at,
        updated_at: view.updated_at,
    }
}

fn parse_document(text: &str) -> Result<Value, records::RecordsError> {
    if text.len() > MAX_DOCUMENT_BYTES {
        return Err(records::RecordsError::Invalid(format!(
            "the document is {} bytes; at most {MAX_DOCUMENT_BYTES} are allowed",
            text.len()
        )));
    }
    match serde_json::from_str::<Value>(text) {
        Ok(value @ Value::Object(_)) => Ok(value),
        Ok(_) => Err(records::RecordsError::Invalid(
            "a document must be a JSON object".into(),
        )),
        Err(e) => Err(records::RecordsError::Invalid(format!(
            "the document is not JSON: {e}"
        ))),
    }
}

fn check_names(collection: &str, id: Option<&str>) -> Result<(), records::RecordsError> {
    if !is_collection_name(collection) {
        return Err(records::RecordsError::Invalid(format!(
            "{collection:?} is not a collection name"
        )));
    }
    if let Some(id) = id
        && !is_record_id(id)
    {
        return Err(records::RecordsError::Invalid(format!(
            "{id:?} is not a row id (1 to 128 printable characters)"
        )));
    }
    Ok(())
}

impl GuestState {
    /// The call's context, or the answer for a guest outside a customer call
    /// (reading its manifest): no records at all.
    fn context(&mut self) -> Result<&mut CallContext, records::RecordsError> {
        self.call.as_mut().ok_or_else(|| {
            records::RecordsError::Denied("records are only available during a tool call".into())
        })
    }
}

impl CallContext {
    /// The stored row, unless the call wrote it already.
    fn stored(&self, collection: &str, id: &str) -> Result<Option<Record>, records::RecordsError> {
        self.scope
            .store
            .record(&self.scope.customer_id, collection, id)
            .map_err(unavailable)
    }

    /// The row as the call sees it.
    fn visible(
        &mut self,
        collection: &str,
        id: &str,
    ) -> Result<Option<RowView>, records::RecordsError> {
        match self.staging.seen(collection, id) {
            Seen::Staged(view) => Ok(view),
            Seen::Unstaged => {
                let stored = self.stored(collection, id)?;
                if let Some(record) = &stored {
                    self.staging.note_read(record);
                }
                Ok(stored.map(|r| RowView {
                    id: r.id,
                    data: r.data,
                    created_at: r.created_at,
                    updated_at: r.updated_at,
                }))
            }
        }
    }

    /// Checks that the call may write row `id` of `collection` and finds
    /// what the write is based on: `None` when the call cannot see the row,
    /// else the stored row (`None` inside when the call already wrote it).
    fn prepare_write(
        &mut self,
        collection: &str,
        id: &str,
    ) -> Result<Option<Option<Record>>, records::RecordsError> {
        check_names(collection, Some(id))?;
        self.check_records(collection, Access::ReadWrite)
            .map_err(records::RecordsError::Denied)?;
        self.room_for_a_write()?;
        Ok(match self.staging.seen(collection, id) {
            Seen::Staged(None) => None,
            Seen::Staged(Some(_)) => Some(None),
            Seen::Unstaged => {
                let stored = self.stored(collection, id)?;
                stored.map(|r| Some(self.staging.as_first_read(r)))
            }
        })
    }

    fn room_for_a_write(&self) -> Result<(), records::RecordsError> {
        if self.staging.len() >= MAX_WRITES_PER_CALL {
            return Err(records::RecordsError::Invalid(format!(
                "one call may write at most {MAX_WRITES_PER_CALL} rows"
            )));
        }
        Ok(())
    }
}

impl records::Host for GuestState {
    fn get(&mut self, collection: String, id: String) -> RecordsResult<Option<records::Row>> {
        let call = match self.context() {
            Ok(call) => call,
            Err(e) => return Ok(Err(e)),
        };
        Ok((|| -> Result<_, records::RecordsError> {
            check_names(&collection, Some(&id))?;
            call.check_records(&collection, Access::Read)
                .map_err(records::RecordsError::Denied)?;
            Ok(call.visible(&collection, &id)?.map(row))
        })())
    }

    fn query(
        &mut self,
        collection: String,
        filter: String,
        limit: u32,
    ) -> RecordsResult<Vec<records::Row>> {
        let call = match self.context() {
            Ok(call) => call,
            Err(e) => return Ok(Err(e)),
        };
        Ok((|| -> Result<_, records::RecordsError> {
            check_names(&collection, None)?;
            call.check_records(&collection, Access::Read)
                .map_err(records::RecordsError::Denied)?;
            let filter: Map<String, Value> =
                match serde_json::from_str(if filter.trim().is_empty() {
                    "{}"
                } else {
                    &filter
                }) {
                    Ok(Value::Object(map)) => map,
                    _ => {
                        return Err(records::RecordsError::Invalid(
                            "the filter must be a JSON object of top-level fields and values"
                                .into(),
                        ));
                    }
                };
            let stored = call
                .scope
                .store
                .records(&call.scope.customer_id, &collection)
                .map_err(unavailable)?;
            for record in &stored {
                call.staging.note_read(record);
            }
            let limit = limit.min(MAX_QUERY_ROWS) as usize;
            Ok(call
                .staging
                .query(&collection, stored, &filter, limit)
                .into_iter()
                .map(row)
                .collect())
        })())
    }

    fn insert(
        &mut self,
        collection: String,
        id: Option<String>,
        data: String,
    ) -> RecordsResult<records::Row> {
        let call = match self.context() {
            Ok(call) => call,
            Err(e) => return Ok(Err(e)),
        };
        Ok((|| -> Result<_, records::RecordsError> {
            check_names(&collection, id.as_deref())?;
            call.check_records(&collection, Access::ReadWrite)
                .map_err(records::RecordsError::Denied)?;
            call.room_for_a_write()?;
            let data = parse_document(&data)?;
            let id = match id {
                Some(id) => {
                    if call.visible(&collection, &id)?.is_some() {
                        call.conflicts += 1;
                        return Err(records::RecordsError::Conflict(format!(
                            "{collection} already has a row {id}"
                        )));
                    }
                    id
                }
                None => format!("{:016x}", rand::random::<u64>()),
            };
            let now = call.scope.clock.now();
            call.staging.insert(&collection, &id, data, now);
            Ok(row(call.visible(&collection, &id)?.expect("just staged")))
        })())
    }

    fn update(
        &mut self,
        collection: String,
        id: String,
        change: records::Change,
    ) -> RecordsResult<records::Row> {
        let call = match self.context() {
            Ok(call) => call,
            Err(e) => return Ok(Err(e)),
        };
        Ok((|| -> Result<_, records::RecordsError> {
            let Some(stored) = call.prepare_write(&collection, &id)? else {
                return Err(records::RecordsError::NotFound);
            };
            let data = match change {
                records::Change::Replace(text) => parse_document(&text)?,
                records::Change::Merge(text) => {
                    let patch: Value = serde_json::from_str(&text).map_err(|e| {
                        records::RecordsError::Invalid(format!("the merge patch is not JSON: {e}"))
                    })?;
                    if !patch.is_object() {
                        return Err(records::RecordsError::Invalid(
                            "a merge patch must be a JSON object".into(),
                        ));
                    }
                    // The document the patch applies to: the stored row as
                    // just read, or the call's own version of it.
                    let mut data = match (&stored, call.staging.seen(&collection, &id)) {
                        (Some(record), _) => record.data.clone(),
                        (None, Seen::Staged(Some(view))) => view.data,
                        (None, _) => return Err(records::RecordsError::NotFound),
                    };
                    merge_patch(&mut data, &patch);
                    if data.to_string().len() > MAX_DOCUMENT_BYTES {
                        return Err(records::RecordsError::Invalid(format!(
                            "the document would exceed {MAX_DOCUMENT_BYTES} bytes"
                        )));
                    }
                    data
                }
            };
            let now = call.scope.clock.now();
            call.staging
                .update(&collection, &id, stored.as_ref(), data, now);
            Ok(row(call.visible(&collection, &id)?.expect("just staged")))
        })())
    }

    fn delete(&mut self, collection: String, id: String) -> RecordsResult<bool> {
        let call = match self.context() {
            Ok(call) => call,
            Err(e) => return Ok(Err(e)),
        };
        Ok((|| -> Result<_, records::RecordsError> {
            let Some(stored) = call.prepare_write(&collection, &id)? else {
                return Ok(false);
            };
            call.staging.delete(&collection, &id, stored.as_ref());
            Ok(true)
        })())
    }
}

impl http::Host for GuestState {
    fn send(
        &mut self,
        request: http::Request,
    ) -> wasmtime::Result<Result<http::Response, http::HttpError>> {
        let plugin = self.plugin.clone();
        let Some(call) = self.call.as_mut() else {
            return Ok(Err(http::HttpError::Denied(
                "HTTP is only available during a tool call".into(),
            )));
        };
        Ok(call.send_http(&plugin, request))
    }
}

impl config::Host for GuestState {
    fn get(&mut self, name: String) -> wasmtime::Result<Option<String>> {
        Ok(self
            .call
            .as_ref()
            .and_then(|call| call.grant.settings.get(&name))
            .map(Value::to_string))
    }

    fn secret(&mut self, name: String) -> wasmtime::Result<Option<String>> {
        let Some(call) = self.call.as_ref() else {
            return Ok(None);
        };
        let Some(variable) = call.grant.secrets.get(&name) else {
            return Ok(None);
        };
        Ok(std::env::var(variable).ok())
    }
}

impl clock::Host for GuestState {
    fn now(&mut self) -> wasmtime::Result<clock::Instant> {
        let now = match &self.call {
            Some(call) => call.scope.clock.now(),
            None => Clock::system().now(),
        };
        Ok(clock::Instant {
            unix_seconds: now,
            rfc3339: rfc3339(now),
        })
    }
}

impl log::Host for GuestState {
    fn log(&mut self, level: log::Level, message: String) -> wasmtime::Result<()> {
        let plugin = &*self.plugin;
        let message = clip(&message);
        match level {
            log::Level::Trace => tracing::trace!(plugin, "{message}"),
            log::Level::Debug => tracing::debug!(plugin, "{message}"),
            log::Level::Info => tracing::info!(plugin, "{message}"),
            log::Level::Warn => tracing::warn!(plugin, "{message}"),
            log::Level::Error => tracing::error!(plugin, "{message}"),
        }
        Ok(())
    }
}

impl tool_types::Host for GuestState {}
