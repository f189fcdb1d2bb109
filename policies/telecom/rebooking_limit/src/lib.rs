//! `rebooking-limit`: a technician visit can be moved at most `max_per_week`
//! times in 7 days.
//!
//! It only applies when the booking moves a visit the customer already has
//! (`has_appointment`); booking a first visit is always allowed. The
//! refusal says from when the visit can be moved again (from the tool's
//! `recent_rebookings`, when it offers them) and offers a colleague.

use deskhand_policy_sdk::{DAY, Decision, JsonSchema, Policy, Request, export_policy};
use serde::Deserialize;

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct Params {
    /// How often one visit may be moved within 7 days.
    #[schemars(range(min = 0, max = 50))]
    max_per_week: u32,
}

/// What the rule reads about the booking (the tool's facts).
#[derive(Deserialize, JsonSchema)]
struct Facts {
    /// Whether the call moves a visit the customer already has.
    has_appointment: bool,
    /// How often that visit was moved in the last 7 days.
    rebookings_last_7_days: u32,
    /// When it was moved in the last 7 days, unix seconds.
    recent_rebookings: Option<Vec<i64>>,
    /// The visit's reference.
    appointment_id: Option<String>,
}

const WEEKDAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// "Friday 19 June 2026 at 12:00" (UTC, the business clock).
fn moment(unix_seconds: i64) -> String {
    let days = unix_seconds.div_euclid(DAY);
    let seconds = unix_seconds.rem_euclid(DAY);
    // Howard Hinnant's civil-from-days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{} {day} {} {year} at {:02}:{:02}",
        WEEKDAYS[(days + 4).rem_euclid(7) as usize],
        MONTHS[(month - 1) as usize],
        seconds / 3600,
        seconds % 3600 / 60
    )
}

/// "once", "twice", "3 times".
fn times(n: u32) -> String {
    match n {
        1 => "once".into(),
        2 => "twice".into(),
        n => format!("{n} times"),
    }
}

struct RebookingLimit;

impl Policy for RebookingLimit {
    type Params = Params;
    type Facts = Facts;

    const NAME: &'static str = "rebooking-limit";
    const DESCRIPTION: &'static str = "A technician visit the customer already has can be moved \
        at most max_per_week times within 7 days; booking a first visit is always allowed.";

    fn tools() -> Vec<&'static str> {
        vec!["book_technician"]
    }

    fn evaluate(request: &Request<Params, Facts>) -> Decision {
        let facts = &request.facts;
        let max = request.params.max_per_week;
        if !facts.has_appointment || facts.rebookings_last_7_days < max {
            return Decision::Allow;
        }
        let visit = match &facts.appointment_id {
            Some(id) => format!("Your visit {id}"),
            None => "Your visit".to_string(),
        };
        if max == 0 {
            return Decision::deny(
                "rebooking-limit-reached",
                format!(
                    "{visit} can't be moved here at the moment. A colleague can help you find \
                     another time."
                ),
            );
        }
        // The visit can move again once enough of the recent moves are more
        // than 7 days old that fewer than max remain.
        let mut recent = facts.recent_rebookings.clone().unwrap_or_default();
        recent.sort_unstable();
        let count = facts.rebookings_last_7_days.max(recent.len() as u32);
        let again = (recent.len() as u32 >= count)
            .then(|| recent.get((count - max) as usize).copied())
            .flatten()
            .map(|at| at + 7 * DAY)
            .filter(|&at| at > request.now);
        let when = match again {
            Some(at) => format!("You can move it again from {}", moment(at)),
            None => "You can move it again once 7 days have passed since the last change".into(),
        };
        Decision::deny(
            "rebooking-limit-reached",
            format!(
                "{visit} has already been moved {} in the last 7 days, and a visit can be moved \
                 at most {} a week. {when}; if the booked time does not work for you at all, a \
                 colleague can help.",
                times(count),
                times(max)
            ),
        )
    }
}

export_policy!(RebookingLimit);
