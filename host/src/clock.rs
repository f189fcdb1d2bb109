//! The business clock that tools and policies see.
//!
//! In production it is the system time. Tests and scenarios fix it, and may
//! move it, so that "9 days old" means the same thing on every run.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, SecondsFormat, Utc};

/// A shared clock: the system time, or a fixed instant that can be moved.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    fixed: Option<Arc<AtomicI64>>,
}

impl Clock {
    /// The system time.
    pub fn system() -> Self {
        Clock { fixed: None }
    }

    /// A clock that always says `unix_seconds` until it is [`set`](Clock::set).
    pub fn fixed(unix_seconds: i64) -> Self {
        Clock {
            fixed: Some(Arc::new(AtomicI64::new(unix_seconds))),
        }
    }

    /// Moves a fixed clock (every clone sees the change). Has no effect on the
    /// system clock.
    pub fn set(&self, unix_seconds: i64) {
        if let Some(fixed) = &self.fixed {
            fixed.store(unix_seconds, Ordering::SeqCst);
        }
    }

    /// Whether this clock is fixed rather than the system time.
    pub fn is_fixed(&self) -> bool {
        self.fixed.is_some()
    }

    /// Now, in unix seconds.
    pub fn now(&self) -> i64 {
        match &self.fixed {
            Some(fixed) => fixed.load(Ordering::SeqCst),
            None => Utc::now().timestamp(),
        }
    }

    /// Today's date (UTC), for dates in the customer's words.
    pub fn today(&self) -> chrono::NaiveDate {
        DateTime::<Utc>::from_timestamp(self.now(), 0)
            .unwrap_or_default()
            .date_naive()
    }
}

/// Formats unix seconds as RFC 3339 in UTC.
///
/// ```
/// assert_eq!(deskhand::clock::rfc3339(1_781_524_800), "2026-06-15T12:00:00Z");
/// ```
pub fn rfc3339(unix_seconds: i64) -> String {
    DateTime::<Utc>::from_timestamp(unix_seconds, 0)
        .unwrap_or_default()
        .to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Parses an RFC 3339 timestamp into unix seconds.
pub fn parse_rfc3339(text: &str) -> Result<i64, chrono::ParseError> {
    DateTime::parse_from_rfc3339(text).map(|t| t.timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fixed_clock_moves_for_every_clone() {
        let clock = Clock::fixed(1_781_524_800);
        let seen_by_plugin = clock.clone();
        assert_eq!(rfc3339(seen_by_plugin.now()), "2026-06-15T12:00:00Z");
        clock.set(1_781_524_800 + 86_400);
        assert_eq!(rfc3339(seen_by_plugin.now()), "2026-06-16T12:00:00Z");
    }

    #[test]
    fn rfc3339_round_trips() {
        assert_eq!(
            parse_rfc3339("2026-06-15T12:00:00Z").unwrap(),
            1_781_524_800
        );
        assert_eq!(
            parse_rfc3339(&rfc3339(1_700_000_000)).unwrap(),
            1_700_000_000
        );
    }
}
