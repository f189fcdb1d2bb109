//! Lumen Telecom's data as its plugins keep it in records.
//!
//! Six collections, every row owned by one customer:
//!
//! * `lines`: one [`Line`] per connection (fibre, DSL, mobile, landline),
//!   with the known outage of its area, if any;
//! * `bills`: one [`Bill`] per monthly bill;
//! * `appointments`: one [`Appointment`] per technician visit;
//! * `tickets`: one [`Ticket`] per reported fault;
//! * `disputes`: one [`Dispute`] per disputed amount;
//! * `credits`: one [`Credit`] per amount credited to the account.
//!
//! Money is in minor units (cents) and time in unix seconds (UTC). The
//! integrity rules (never dispute more than the bill, no visits on Sundays
//! or in the past) live in the tools; business limits (the 60-day dispute
//! window, credits above 20 EUR, one rebooking a week) are policies.

mod model;
mod time;
mod view;

pub use model::{
    APPOINTMENTS, Appointment, AppointmentKind, AppointmentStatus, BILLS, Bill, BillItem,
    BillStatus, CREDITS, Credit, DISPUTES, Dispute, DisputeStatus, KnownOutage, LINES, Line,
    LineKind, LineStatus, TICKETS, Ticket, TicketStatus, Window,
};
pub use time::{
    DAY, HOUR, MAX_DAYS_AHEAD, clock_time, day_of, is_sunday, iso_date, long_date, moment,
    parse_date, short_date, weekday,
};
pub use view::{AppointmentView, BillView, LineView, OutageView, line_label, line_message};

use deskhand_plugin_sdk::{Record, ToolError, money};

/// The pattern of a line id, e.g. "L1001".
pub const LINE_ID_PATTERN: &str = "^L[0-9]{4}$";
/// The pattern of a bill number, e.g. "B24003".
pub const BILL_ID_PATTERN: &str = "^B[0-9]{5}$";
/// The pattern of an appointment reference, e.g. "A5001".
pub const APPOINTMENT_ID_PATTERN: &str = "^A[0-9]{4}$";

/// The one answer for a line the customer cannot see, whether it does not
/// exist or belongs to someone else: the two must be indistinguishable.
pub fn line_not_found(line_id: &str) -> ToolError {
    ToolError::new(
        "line-not-found",
        format!("I can't find line {line_id} on your account."),
    )
}

/// The one answer for a bill the customer cannot see.
pub fn bill_not_found(bill_id: &str) -> ToolError {
    ToolError::new(
        "bill-not-found",
        format!("I can't find bill {bill_id} on your account."),
    )
}

/// The one answer for an appointment the customer cannot see.
pub fn appointment_not_found(appointment_id: &str) -> ToolError {
    ToolError::new(
        "appointment-not-found",
        format!("I can't find appointment {appointment_id} on your account."),
    )
}

/// Minor units as "89.90 EUR".
pub fn amount_text(cents: i64, currency: &str) -> String {
    format!("{:.2} {currency}", money(cents))
}

/// The next free id of the form `prefix` + number among `rows` (the
/// customer's rows of one collection): one more than the highest, or
/// `prefix` + `first` when there is none ("TK2001", "TK2002", ...). Ids are
/// unique per customer, which is all the store asks.
pub fn next_id<T>(rows: &[Record<T>], prefix: &str, first: u32) -> String {
    let highest = rows
        .iter()
        .filter_map(|row| row.id.strip_prefix(prefix)?.parse::<u32>().ok())
        .max();
    let number = match highest {
        Some(n) => n.saturating_add(1),
        None => first,
    };
    format!("{prefix}{number}")
}

/// The line a call is about: the one named, or the customer's only line.
/// With several lines and none named, the answer lists them and asks.
pub fn resolve_line(line_id: Option<&str>) -> Result<Record<Line>, ToolError> {
    if let Some(id) = line_id {
        return LINES.get(id)?.ok_or_else(|| line_not_found(id));
    }
    let mut lines = LINES.all(100)?;
    lines.sort_by(|a, b| a.id.cmp(&b.id));
    match lines.len() {
        0 => Err(ToolError::new(
            "no-lines",
            "There is no line on your account yet.",
        )),
        1 => Ok(lines.remove(0)),
        _ => {
            let listed: Vec<String> = lines
                .iter()
                .map(|line| format!("{} ({})", line.id, view::short_label(&line.data)))
                .collect();
            Err(ToolError::new(
                "which-line",
                format!(
                    "You have several lines: {}. Which one do you mean?",
                    listed.join(", ")
                ),
            ))
        }
    }
}

/// The line named (which must be on the account), or the customer's only
/// line, or none when they have several and named none.
pub fn optional_line(line_id: Option<&str>) -> Result<Option<String>, ToolError> {
    if let Some(id) = line_id {
        return LINES
            .get(id)?
            .map(|line| Some(line.id))
            .ok_or_else(|| line_not_found(id));
    }
    let lines = LINES.all(100)?;
    Ok(match lines.as_slice() {
        [only] => Some(only.id.clone()),
        _ => None,
    })
}
