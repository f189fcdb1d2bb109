//! The documents of Lumen Telecom's collections.

use deskhand_plugin_sdk::{Collection, JsonSchema};
use serde::{Deserialize, Serialize};

use crate::time::{DAY, HOUR, day_of};

/// The customer's connections, by line id ("L1001").
pub const LINES: Collection<Line> = Collection::new("lines");
/// Monthly bills, by bill number ("B24003").
pub const BILLS: Collection<Bill> = Collection::new("bills");
/// Technician visits, by reference ("A5001").
pub const APPOINTMENTS: Collection<Appointment> = Collection::new("appointments");
/// Reported faults, by ticket id ("TK2001").
pub const TICKETS: Collection<Ticket> = Collection::new("tickets");
/// Disputed amounts of bills, by dispute id ("D7001").
pub const DISPUTES: Collection<Dispute> = Collection::new("disputes");
/// Amounts credited to the account, by reference ("CR9001").
pub const CREDITS: Collection<Credit> = Collection::new("credits");

/// What kind of connection a line is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum LineKind {
    Fibre,
    Dsl,
    Mobile,
    Landline,
}

impl LineKind {
    /// The lowercase word used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            LineKind::Fibre => "fibre",
            LineKind::Dsl => "dsl",
            LineKind::Mobile => "mobile",
            LineKind::Landline => "landline",
        }
    }

    /// The word used in replies: "fibre", "DSL", "mobile", "landline".
    pub fn label(self) -> &'static str {
        match self {
            LineKind::Dsl => "DSL",
            other => other.as_str(),
        }
    }
}

/// Whether a line works.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum LineStatus {
    Up,
    Down,
    Degraded,
}

impl LineStatus {
    /// The lowercase word used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            LineStatus::Up => "up",
            LineStatus::Down => "down",
            LineStatus::Degraded => "degraded",
        }
    }
}

/// An area-wide outage, as recorded on each line it affects.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KnownOutage {
    /// The outage's reference, e.g. "OUT-4471".
    pub reference: String,
    /// When it began, unix seconds.
    pub started_at: i64,
    /// When the network team expects it fixed, unix seconds.
    pub expected_fix: i64,
}

/// One of the customer's connections (its id is the row id).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Line {
    pub kind: LineKind,
    /// The plan's name, e.g. "Fibre 250".
    pub plan: String,
    /// The plan's download speed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub speed_mbps: Option<u32>,
    /// Where a fixed line is installed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// The phone number of a mobile or landline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number: Option<String>,
    /// The network area, which outages are announced for.
    #[serde(default)]
    pub area: String,
    pub status: LineStatus,
    /// Since when the line has had this status, unix seconds.
    pub since: i64,
    /// The outage in the line's area, if one is known.
    #[serde(default)]
    pub known_outage: Option<KnownOutage>,
}

/// Whether a bill is settled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum BillStatus {
    Paid,
    Open,
}

impl BillStatus {
    /// The lowercase word used in JSON and in replies.
    pub fn as_str(self) -> &'static str {
        match self {
            BillStatus::Paid => "paid",
            BillStatus::Open => "open",
        }
    }
}

/// One charge on a bill.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BillItem {
    pub description: String,
    pub amount_cents: i64,
}

/// A monthly bill (its number is the row id).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bill {
    /// The bill date, unix seconds.
    pub issued_at: i64,
    /// What it covers, e.g. "May 2026".
    pub period: String,
    /// The bill's total in minor units (cents).
    pub amount_cents: i64,
    /// ISO 4217 code, "EUR".
    pub currency: String,
    pub status: BillStatus,
    /// How much of it is under dispute, in cents.
    #[serde(default)]
    pub disputed_cents: i64,
    /// The charges that make up the total.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub items: Vec<BillItem>,
}

/// What a technician visit is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum AppointmentKind {
    Installation,
    Repair,
}

impl AppointmentKind {
    /// The lowercase word used in JSON and in replies.
    pub fn as_str(self) -> &'static str {
        match self {
            AppointmentKind::Installation => "installation",
            AppointmentKind::Repair => "repair",
        }
    }
}

/// Where a technician visit is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum AppointmentStatus {
    Scheduled,
    Missed,
    Done,
    Cancelled,
}

impl AppointmentStatus {
    /// The lowercase word used in JSON and in replies.
    pub fn as_str(self) -> &'static str {
        match self {
            AppointmentStatus::Scheduled => "scheduled",
            AppointmentStatus::Missed => "missed",
            AppointmentStatus::Done => "done",
            AppointmentStatus::Cancelled => "cancelled",
        }
    }
}

/// The time windows a technician can come in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Window {
    Morning,
    Afternoon,
    Evening,
}

impl Window {
    /// The lowercase word used in JSON and in replies.
    pub fn as_str(self) -> &'static str {
        match self {
            Window::Morning => "morning",
            Window::Afternoon => "afternoon",
            Window::Evening => "evening",
        }
    }

    /// The hour the window opens (UTC, the business clock).
    pub fn start_hour(self) -> i64 {
        match self {
            Window::Morning => 8,
            Window::Afternoon => 12,
            Window::Evening => 17,
        }
    }

    /// The hour the window closes.
    pub fn end_hour(self) -> i64 {
        match self {
            Window::Morning => 12,
            Window::Afternoon => 17,
            Window::Evening => 20,
        }
    }

    /// "8:00-12:00".
    pub fn hours(self) -> String {
        format!("{}:00-{}:00", self.start_hour(), self.end_hour())
    }

    /// "in the morning (8:00-12:00)".
    pub fn phrase(self) -> String {
        format!("in the {} ({})", self.as_str(), self.hours())
    }

    /// When the window opens on `day` (days since 1970-01-01), unix seconds.
    pub fn opens_on(self, day: i64) -> i64 {
        day * DAY + self.start_hour() * HOUR
    }
}

/// A technician visit (its reference is the row id).
///
/// The visit's day is that of `starts_at` (the opening of its window);
/// `date` repeats it as "YYYY-MM-DD" for people reading an export, and is
/// never read back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Appointment {
    pub kind: AppointmentKind,
    /// When the window opens, unix seconds.
    pub starts_at: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    pub window: Window,
    pub status: AppointmentStatus,
    /// When it was first booked, unix seconds.
    pub booked_at: i64,
    /// When it was moved, unix seconds, oldest first.
    #[serde(default)]
    pub rebooked_at: Vec<i64>,
    /// The line the visit is for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line_id: Option<String>,
    /// What the customer told the technician.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl Appointment {
    /// Whether it still lies ahead or can be rebooked: scheduled or missed.
    pub fn is_active(&self) -> bool {
        matches!(
            self.status,
            AppointmentStatus::Scheduled | AppointmentStatus::Missed
        )
    }

    /// The visit's day, days since 1970-01-01.
    pub fn day(&self) -> i64 {
        day_of(self.starts_at)
    }

    /// The times it was moved after `since` (exclusive), oldest first.
    pub fn rebookings_after(&self, since: i64) -> Vec<i64> {
        let mut times: Vec<i64> = self
            .rebooked_at
            .iter()
            .copied()
            .filter(|&at| at > since)
            .collect();
        times.sort_unstable();
        times
    }
}

/// Whether a fault ticket is being worked on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum TicketStatus {
    Open,
    Resolved,
}

/// A reported fault (its id is the row id).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ticket {
    pub line_id: String,
    /// What the customer said is wrong.
    pub description: String,
    pub status: TicketStatus,
    /// When it was reported, unix seconds.
    pub opened_at: i64,
    /// The known outage it is attached to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outage_reference: Option<String>,
}

/// Where a dispute is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum DisputeStatus {
    Open,
    Upheld,
    Rejected,
}

/// A disputed amount of a bill (its id is the row id).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dispute {
    pub bill_id: String,
    /// The amount disputed, in cents.
    pub amount_cents: i64,
    pub currency: String,
    /// The customer's words.
    #[serde(default)]
    pub reason: String,
    pub status: DisputeStatus,
    /// When it was opened, unix seconds.
    pub opened_at: i64,
}

/// An amount credited to the account, taken off the next bill (its
/// reference is the row id).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Credit {
    pub amount_cents: i64,
    pub currency: String,
    pub reason: String,
    /// When it was credited, unix seconds.
    pub credited_at: i64,
}
