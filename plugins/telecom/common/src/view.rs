//! One JSON shape per kind of record, shared by every tool that shows it,
//! and the sentences the customer reads about a line.

use deskhand_plugin_sdk::{JsonSchema, Record, money, rfc3339};
use serde::Serialize;

use crate::model::{
    Appointment, AppointmentKind, AppointmentStatus, Bill, BillStatus, Line, LineKind, LineStatus,
    Window,
};
use crate::time::{day_of, iso_date, moment, short_date};

/// A known outage as tools return it.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OutageView {
    /// The outage's reference, e.g. "OUT-4471".
    pub reference: String,
    #[schemars(extend("format" = "date-time"))]
    pub started_at: String,
    #[schemars(extend("format" = "date-time"))]
    pub expected_fix: String,
}

/// A line as tools return it, with a sentence for the customer.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LineView {
    pub line_id: String,
    pub kind: LineKind,
    pub plan: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub speed_mbps: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub number: Option<String>,
    pub status: LineStatus,
    /// Since when the line has had this status.
    #[schemars(extend("format" = "date-time"))]
    pub since: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub known_outage: Option<OutageView>,
    /// The line's state in one or two sentences.
    pub message: String,
}

impl LineView {
    /// The view of `record` at `now` (unix seconds).
    pub fn of(record: &Record<Line>, now: i64) -> Self {
        let line = &record.data;
        LineView {
            line_id: record.id.clone(),
            kind: line.kind,
            plan: line.plan.clone(),
            speed_mbps: line.speed_mbps,
            address: line.address.clone(),
            number: line.number.clone(),
            status: line.status,
            since: rfc3339(line.since),
            known_outage: line.known_outage.as_ref().map(|o| OutageView {
                reference: o.reference.clone(),
                started_at: rfc3339(o.started_at),
                expected_fix: rfc3339(o.expected_fix),
            }),
            message: line_message(&record.id, line, now),
        }
    }
}

/// "fibre line L1001 at 12 Harbour Street, Eastfield", "mobile line L2002
/// (0170 555 0142)", "landline L4001 at ...".
pub fn line_label(line_id: &str, line: &Line) -> String {
    let mut label = match line.kind {
        LineKind::Landline => format!("landline {line_id}"),
        kind => format!("{} line {line_id}", kind.label()),
    };
    if let Some(address) = &line.address {
        label.push_str(&format!(" at {address}"));
    } else if let Some(number) = &line.number {
        label.push_str(&format!(" ({number})"));
    }
    label
}

/// "DSL, 7 Mill Lane, Westbrook": enough to tell the customer's lines apart.
pub(crate) fn short_label(line: &Line) -> String {
    match (&line.address, &line.number) {
        (Some(address), _) => format!("{}, {address}", line.kind.label()),
        (None, Some(number)) => format!("{}, {number}", line.kind.label()),
        (None, None) => format!("{}, {}", line.kind.label(), line.plan),
    }
}

/// What the customer can try first: restart the router, or the phone.
fn restart(line: &Line) -> &'static str {
    match line.kind {
        LineKind::Mobile => "restart your phone",
        _ => "restart your router (unplug it for 30 seconds, then wait 5 minutes)",
    }
}

/// The state of a line in words the customer can act on.
pub fn line_message(line_id: &str, line: &Line, now: i64) -> String {
    let label = line_label(line_id, line);
    let restart = restart(line);
    let since = moment(line.since);
    let outage = line.known_outage.as_ref().map(|o| {
        let fix = if o.expected_fix > now {
            format!("expected fix {}", moment(o.expected_fix))
        } else {
            "the repair is taking longer than expected".to_string()
        };
        format!(
            "there is a known outage in your area (reference {}, {fix})",
            o.reference
        )
    });
    match (line.status, outage) {
        (LineStatus::Down, Some(outage)) => format!(
            "Your {label} has been down since {since}; {outage}. Our technicians are working \
             on it, and we will send you a text message as soon as it is fixed, so there is no \
             need to report it again."
        ),
        (LineStatus::Down, None) => format!(
            "Your {label} has been down since {since}; there is no known outage in your area. \
             Please {restart}; if that does not help, I can report a fault for you."
        ),
        (LineStatus::Degraded, Some(outage)) => format!(
            "Your {label} has been slower than normal since {since}; {outage}. The speed \
             should be back to normal once it is fixed."
        ),
        (LineStatus::Degraded, None) => format!(
            "Your {label} has been slower than normal since {since}; there is no known outage \
             in your area. Please {restart}, which often helps; if it does not, I can report a \
             fault for you."
        ),
        (LineStatus::Up, Some(outage)) => {
            format!("Your {label} is working, but {outage}, so you may notice short interruptions.")
        }
        (LineStatus::Up, None) => {
            let plan = match line.speed_mbps {
                Some(speed) => format!("{}, {speed} Mbit/s", line.plan),
                None => line.plan.clone(),
            };
            let advice = match line.kind {
                LineKind::Mobile => "If you still have no signal, restart your phone.",
                _ => {
                    "If your devices still cannot connect, restart your router (unplug it for 30 \
                     seconds) and check your Wi-Fi."
                }
            };
            format!("Your {label} is working normally ({plan}). {advice}")
        }
    }
}

/// A bill as tools return it: amounts as decimals, the bill date as a date.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BillView {
    pub bill_id: String,
    /// The bill date.
    #[schemars(extend("format" = "date"))]
    pub date: String,
    /// What the bill covers, e.g. "May 2026".
    pub period: String,
    #[schemars(range(min = 0))]
    pub amount: f64,
    #[schemars(regex(pattern = r"^[A-Z]{3}$"))]
    pub currency: String,
    pub status: BillStatus,
    /// How much of it is under dispute.
    #[schemars(range(min = 0))]
    pub disputed: f64,
}

impl From<&Record<Bill>> for BillView {
    fn from(record: &Record<Bill>) -> Self {
        let bill = &record.data;
        BillView {
            bill_id: record.id.clone(),
            date: iso_date(day_of(bill.issued_at)),
            period: bill.period.clone(),
            amount: money(bill.amount_cents),
            currency: bill.currency.clone(),
            status: bill.status,
            disputed: money(bill.disputed_cents),
        }
    }
}

impl BillView {
    /// "B24003 of 5 June 2026 (May 2026): 89.90 EUR, open".
    pub fn sentence(&self, issued_at: i64) -> String {
        let mut text = format!(
            "{} of {} ({}): {:.2} {}, {}",
            self.bill_id,
            short_date(day_of(issued_at)),
            self.period,
            self.amount,
            self.currency,
            self.status.as_str()
        );
        if self.disputed > 0.0 {
            text.push_str(&format!(
                ", {:.2} {} under dispute",
                self.disputed, self.currency
            ));
        }
        text
    }
}

/// A technician visit as tools return it.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AppointmentView {
    pub appointment_id: String,
    pub kind: AppointmentKind,
    /// The day of the visit.
    #[schemars(extend("format" = "date"))]
    pub date: String,
    pub window: Window,
    /// The window's hours, e.g. "8:00-12:00".
    pub hours: String,
    pub status: AppointmentStatus,
    /// How often it was moved.
    pub rebookings: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line_id: Option<String>,
}

impl From<&Record<Appointment>> for AppointmentView {
    fn from(record: &Record<Appointment>) -> Self {
        let visit = &record.data;
        AppointmentView {
            appointment_id: record.id.clone(),
            kind: visit.kind,
            date: iso_date(visit.day()),
            window: visit.window,
            hours: visit.window.hours(),
            status: visit.status,
            rebookings: visit.rebooked_at.len() as u32,
            line_id: visit.line_id.clone(),
        }
    }
}
