//! `list_appointments`: the customer's technician visits, newest first (the
//! visit furthest ahead first).

use deskhand_plugin_sdk::{Effect, JsonSchema, NoFacts, Tool, ToolError, export_tool};
use deskhand_telecom::{APPOINTMENTS, AppointmentView, long_date};
use serde::{Deserialize, Serialize};

const DEFAULT_LIMIT: u32 = 10;

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct Args {
    /// How many visits to return, newest first (default 10).
    #[schemars(range(min = 1, max = 20))]
    limit: Option<u32>,
}

#[derive(Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct Listing {
    count: usize,
    appointments: Vec<AppointmentView>,
    message: String,
}

struct ListAppointments;

impl Tool for ListAppointments {
    type Args = Args;
    type Output = Listing;
    type Facts = NoFacts;

    const NAME: &'static str = "list_appointments";
    const DESCRIPTION: &'static str = "List the customer's technician visits (installations and \
        repairs), newest first, with reference, day, time window and status. Use it for \"when is \
        the technician coming\" or to find \"my appointment\".";
    const EFFECT: Effect = Effect::ReadOnly;
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");

    fn examples() -> Vec<&'static str> {
        vec![
            "when is my technician coming?",
            "show my appointments",
            "do I have a visit booked?",
            "what time is my installation?",
            "list my technician visits",
            "when is the repair appointment",
        ]
    }

    fn call(args: Args) -> Result<Listing, ToolError> {
        let mut visits = APPOINTMENTS.all(500)?;
        visits.sort_by(|a, b| (b.data.starts_at, &b.id).cmp(&(a.data.starts_at, &a.id)));
        visits.truncate(args.limit.unwrap_or(DEFAULT_LIMIT) as usize);
        let sentences: Vec<String> = visits
            .iter()
            .map(|visit| {
                format!(
                    "{} ({}) on {}, {}: {}",
                    visit.id,
                    visit.data.kind.as_str(),
                    long_date(visit.data.day()),
                    visit.data.window.phrase(),
                    visit.data.status.as_str()
                )
            })
            .collect();
        let message = match sentences.as_slice() {
            [] => "You have no technician visits booked.".to_string(),
            [only] => format!("Your technician visit: {only}."),
            many => format!("Your technician visits: {}.", many.join("; ")),
        };
        let appointments: Vec<AppointmentView> = visits.iter().map(AppointmentView::from).collect();
        Ok(Listing {
            count: appointments.len(),
            appointments,
            message,
        })
    }
}

export_tool!(ListAppointments);
