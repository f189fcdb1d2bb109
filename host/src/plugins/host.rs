//! The host side of the WIT imports a tool plugin may call: `orders`, `clock`
//! and `log`. Every order access goes through the call's [`CustomerScope`].

use super::bindings::{clock, deskhand::plugin::tool_types, log, orders};
use super::state::GuestState;
use crate::clock::{Clock, rfc3339};
use crate::store::{self, StoreError};

/// Most orders one `list-orders` call returns, whatever the guest asks for.
const MAX_LISTED_ORDERS: u32 = 100;
/// Longest note or log line a guest may hand the host, in bytes.
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

impl From<store::OrderStatus> for orders::OrderStatus {
    fn from(status: store::OrderStatus) -> Self {
        use store::OrderStatus as S;
        match status {
            S::Pending => Self::Pending,
            S::Processing => Self::Processing,
            S::Shipped => Self::Shipped,
            S::Delivered => Self::Delivered,
            S::Cancelled => Self::Cancelled,
            S::Returned => Self::Returned,
        }
    }
}

impl From<orders::OrderStatus> for store::OrderStatus {
    fn from(status: orders::OrderStatus) -> Self {
        use orders::OrderStatus as W;
        match status {
            W::Pending => Self::Pending,
            W::Processing => Self::Processing,
            W::Shipped => Self::Shipped,
            W::Delivered => Self::Delivered,
            W::Cancelled => Self::Cancelled,
            W::Returned => Self::Returned,
        }
    }
}

impl From<store::Order> for orders::Order {
    fn from(order: store::Order) -> Self {
        orders::Order {
            id: order.id,
            status: order.status.into(),
            placed_at: order.placed_at,
            items: order
                .items
                .into_iter()
                .map(|item| orders::LineItem {
                    sku: item.sku,
                    name: item.name,
                    quantity: item.quantity,
                    unit_price_cents: item.unit_price_cents,
                })
                .collect(),
            total_cents: order.total_cents,
            refunded_cents: order.refunded_cents,
            currency: order.currency,
            carrier: order.carrier,
            tracking_number: order.tracking_number,
            shipped_at: order.shipped_at,
            delivered_at: order.delivered_at,
            estimated_delivery: order.estimated_delivery,
        }
    }
}

/// A store failure on a write becomes a WIT error the plugin can explain.
fn wit_store_error(error: StoreError) -> orders::StoreError {
    match error {
        StoreError::NotFound(_) => orders::StoreError::NotFound,
        StoreError::Rejected(reason) => orders::StoreError::Rejected(reason),
        other => {
            tracing::error!("order store failed during a plugin call: {other}");
            orders::StoreError::Unavailable("the order store is not available".into())
        }
    }
}

/// A store failure on a read has no WIT error to travel in: it traps, and the
/// call is reported as a host failure.
fn read_failure(error: StoreError) -> wasmtime::Error {
    wasmtime::Error::msg(format!("the order store failed: {error}"))
}

impl orders::Host for GuestState {
    fn get_order(&mut self, id: String) -> wasmtime::Result<Option<orders::Order>> {
        let Some(scope) = &self.scope else {
            return Ok(None);
        };
        let order = scope
            .store
            .order(&scope.customer_id, &id)
            .map_err(read_failure)?;
        Ok(order.map(Into::into))
    }

    fn list_orders(&mut self, limit: u32) -> wasmtime::Result<Vec<orders::Order>> {
        let Some(scope) = &self.scope else {
            return Ok(Vec::new());
        };
        let limit = limit.min(MAX_LISTED_ORDERS) as usize;
        let orders = scope
            .store
            .orders(&scope.customer_id, limit)
            .map_err(read_failure)?;
        Ok(orders.into_iter().map(Into::into).collect())
    }

    fn set_status(
        &mut self,
        id: String,
        status: orders::OrderStatus,
        note: String,
    ) -> wasmtime::Result<Result<orders::Order, orders::StoreError>> {
        let Some(scope) = &self.scope else {
            return Ok(Err(orders::StoreError::NotFound));
        };
        let note = format!("{}: {}", self.plugin, clip(&note));
        Ok(scope
            .store
            .set_order_status(
                &scope.customer_id,
                &id,
                status.into(),
                &note,
                scope.clock.now(),
            )
            .map(Into::into)
            .map_err(wit_store_error))
    }

    fn record_refund(
        &mut self,
        id: String,
        amount_cents: i64,
        reason: String,
    ) -> wasmtime::Result<Result<orders::Refund, orders::StoreError>> {
        let Some(scope) = &self.scope else {
            return Ok(Err(orders::StoreError::NotFound));
        };
        Ok(scope
            .store
            .record_refund(
                &scope.customer_id,
                &id,
                amount_cents,
                clip(&reason),
                scope.clock.now(),
            )
            .map(|refund| orders::Refund {
                id: refund.id,
                order_id: refund.order_id,
                amount_cents: refund.amount_cents,
                reason: refund.reason,
                created_at: refund.created_at,
            })
            .map_err(wit_store_error))
    }
}

impl clock::Host for GuestState {
    fn now(&mut self) -> wasmtime::Result<clock::Instant> {
        let now = match &self.scope {
            Some(scope) => scope.clock.now(),
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
