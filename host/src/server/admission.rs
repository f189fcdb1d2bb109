//! Admission of turns: a fixed number run at once, a bounded number wait,
//! and the rest are turned away at once with `503 Retry-After`, never left
//! hanging.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::error::ApiError;

/// The turn slots and their waiting line.
pub struct Admission {
    slots: Arc<Semaphore>,
    /// How many slots there are; those not available are running.
    concurrency: usize,
    waiting: AtomicUsize,
    queue: usize,
    retry_after: u64,
}

/// A running turn's slot; freed when dropped.
pub struct Ticket {
    _permit: OwnedSemaphorePermit,
}

/// Counts a waiting turn out of the line when it leaves it, however it
/// leaves (admitted, or the client went away).
struct InLine<'a>(&'a AtomicUsize);

impl Drop for InLine<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Admission {
    /// `concurrency` turns at once, `queue` more waiting.
    pub fn new(concurrency: usize, queue: usize, retry_after: u64) -> Self {
        let concurrency = concurrency.max(1);
        Admission {
            slots: Arc::new(Semaphore::new(concurrency)),
            concurrency,
            waiting: AtomicUsize::new(0),
            queue,
            retry_after: retry_after.max(1),
        }
    }

    /// A slot: at once if one is free, after waiting if the line has room,
    /// otherwise [`ApiError::Busy`].
    pub async fn admit(&self) -> Result<Ticket, ApiError> {
        let permit = match self.slots.clone().try_acquire_owned() {
            Ok(permit) => permit,
            Err(_) => {
                if self.waiting.fetch_add(1, Ordering::SeqCst) >= self.queue {
                    self.waiting.fetch_sub(1, Ordering::SeqCst);
                    return Err(ApiError::Busy {
                        retry_after: self.retry_after,
                    });
                }
                let _in_line = InLine(&self.waiting);
                self.slots
                    .clone()
                    .acquire_owned()
                    .await
                    .map_err(|_| ApiError::Internal("the turn slots were closed".into()))?
            }
        };
        Ok(Ticket { _permit: permit })
    }

    /// Turns waiting for a slot.
    pub fn queue_depth(&self) -> usize {
        self.waiting.load(Ordering::SeqCst)
    }

    /// Turns running.
    pub fn running(&self) -> usize {
        self.concurrency - self.slots.available_permits()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_full_line_is_refused_at_once_and_a_freed_slot_admits_the_next() {
        let admission = Arc::new(Admission::new(1, 1, 3));
        let first = admission.admit().await.unwrap();
        let waiting = {
            let admission = admission.clone();
            tokio::spawn(async move { admission.admit().await.map(|_| ()) })
        };
        while admission.queue_depth() == 0 {
            tokio::task::yield_now().await;
        }
        match admission.admit().await {
            Err(ApiError::Busy { retry_after: 3 }) => {}
            other => panic!("expected busy, got {:?}", other.map(|_| ())),
        }
        assert_eq!(admission.running(), 1);
        drop(first);
        waiting.await.unwrap().unwrap();
        assert_eq!(admission.queue_depth(), 0);
        assert_eq!(admission.running(), 0);
    }
}
