//! The lock that serialises the turns of one conversation.
//!
//! A double-submitted "yes" must not run a confirmed call twice, and two
//! messages of one conversation must be answered in the order they were
//! taken. The lock lives with the store, because its reach is the store's:
//! an embedded store is one process's ([`LocalLocks`]), a shared database
//! holds it for every host that uses it (a transaction-scoped advisory lock
//! in PostgreSQL).

use std::collections::HashSet;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use super::StoreError;

/// Held while a turn of one conversation runs; dropping it lets the next
/// turn of that conversation in.
#[must_use = "the lock is released when dropped"]
pub struct ConversationLock {
    _release: Box<dyn Send>,
}

impl ConversationLock {
    /// A lock released by dropping `release`.
    pub fn new(release: impl Send + 'static) -> Self {
        ConversationLock {
            _release: Box::new(release),
        }
    }
}

/// The conversations with a turn running in this process, for stores that
/// only one process uses.
#[derive(Default)]
pub struct LocalLocks {
    held: Arc<(Mutex<HashSet<String>>, Condvar)>,
}

/// Gives the conversation back when dropped.
struct LocalRelease {
    held: Arc<(Mutex<HashSet<String>>, Condvar)>,
    conversation_id: String,
}

impl Drop for LocalRelease {
    fn drop(&mut self) {
        let (set, freed) = &*self.held;
        set.lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .remove(&self.conversation_id);
        freed.notify_all();
    }
}

impl LocalLocks {
    /// Waits (at most `patience`) until no turn of `conversation_id` runs,
    /// then holds it.
    pub fn lock(
        &self,
        conversation_id: &str,
        patience: Duration,
    ) -> Result<ConversationLock, StoreError> {
        let (set, freed) = &*self.held;
        let held = set.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let (mut held, waited) = freed
            .wait_timeout_while(held, patience, |held| held.contains(conversation_id))
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if waited.timed_out() && held.contains(conversation_id) {
            return Err(StoreError::Busy(format!(
                "conversation {conversation_id} has had a turn running for over {} s",
                patience.as_secs()
            )));
        }
        held.insert(conversation_id.to_string());
        Ok(ConversationLock::new(LocalRelease {
            held: self.held.clone(),
            conversation_id: conversation_id.to_string(),
        }))
    }
}

/// How long a turn waits for the one before it in the same conversation.
pub const LOCK_PATIENCE: Duration = Duration::from_secs(120);

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn one_turn_per_conversation_at_a_time_and_others_run_freely() {
        let locks = Arc::new(LocalLocks::default());
        let inside = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let (locks, inside, most) = (locks.clone(), inside.clone(), most.clone());
                std::thread::spawn(move || {
                    let _held = locks.lock("c-1", LOCK_PATIENCE).unwrap();
                    let now = inside.fetch_add(1, Ordering::SeqCst) + 1;
                    most.fetch_max(now, Ordering::SeqCst);
                    std::thread::sleep(Duration::from_millis(10));
                    inside.fetch_sub(1, Ordering::SeqCst);
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
        assert_eq!(most.load(Ordering::SeqCst), 1);
        let _one = locks.lock("c-1", LOCK_PATIENCE).unwrap();
        let _other = locks.lock("c-2", Duration::from_millis(1)).unwrap();
        let busy = locks.lock("c-1", Duration::from_millis(5)).err().unwrap();
        assert!(matches!(busy, StoreError::Busy(_)), "{busy}");
    }
}
