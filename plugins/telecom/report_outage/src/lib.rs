//! `report_outage`: opens a fault ticket for one of the customer's lines.
//!
//! The line is the one named, or the customer's only line; with several
//! lines and none named the answer lists them and asks which. A line in an
//! area with a known outage gets its ticket attached to that outage. A line
//! that already has an open ticket gets no second one: the answer names the
//! ticket that is open.

use deskhand_plugin_sdk::{
    Effect, JsonSchema, NoFacts, Tool, ToolError, export_tool, log_info, now,
};
use deskhand_telecom::{TICKETS, Ticket, TicketStatus, line_label, moment, next_id, resolve_line};
use serde::{Deserialize, Serialize};
use serde_json::json;

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct Args {
    /// The affected line, e.g. "L1001" (not needed with only one line).
    #[schemars(
        regex(pattern = r"^L[0-9]{4}$"),
        extend("x-deskhand" = {
            "kind": "identifier",
            "noun": "line",
            "nouns": ["line", "connection"],
            "collection": "lines"
        })
    )]
    line_id: Option<String>,
    /// What is wrong with the line.
    #[schemars(length(min = 1, max = 1000), extend("x-deskhand" = {"kind": "text"}))]
    description: String,
}

#[derive(Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct Reported {
    ticket_id: String,
    line_id: String,
    /// The known outage the ticket is attached to.
    #[serde(skip_serializing_if = "Option::is_none")]
    outage_reference: Option<String>,
    /// Whether the fault had been reported before (nothing new was opened).
    already_reported: bool,
    message: String,
}

struct ReportOutage;

impl Tool for ReportOutage {
    type Args = Args;
    type Output = Reported;
    type Facts = NoFacts;

    const NAME: &'static str = "report_outage";
    const DESCRIPTION: &'static str = "Report a fault or outage on one of the customer's lines \
        (no internet, no dial tone, a connection that keeps dropping) and open a fault ticket, \
        attached to the known outage of the area when there is one.";
    const EFFECT: Effect = Effect::Reversible;
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");

    fn examples() -> Vec<&'static str> {
        vec![
            "please report a fault on my line",
            "report that my internet is down",
            "my connection keeps dropping, can you open a ticket",
            "log a fault for line L2001",
            "the phone line is dead, please report it",
            "I want to report an outage",
            "open a repair ticket, my fibre has no signal",
        ]
    }

    fn call(args: Args) -> Result<Reported, ToolError> {
        let now = now();
        let line = resolve_line(args.line_id.as_deref())?;
        let label = line_label(&line.id, &line.data);
        let outage = line.data.known_outage.clone();
        let outage_sentence = outage.as_ref().map(|o| {
            if o.expected_fix > now {
                format!(
                    "It is attached to the known outage in your area (reference {}); the expected \
                     fix is {}. We will send you a text message as soon as the service is back.",
                    o.reference,
                    moment(o.expected_fix)
                )
            } else {
                format!(
                    "It is attached to the known outage in your area (reference {}); the repair \
                     is taking longer than expected, and we will send you a text message as soon \
                     as the service is back.",
                    o.reference
                )
            }
        });
        let follow_up = outage_sentence.unwrap_or_else(|| {
            "Our technical team checks new fault tickets within 4 hours (every day, 8:00-22:00) \
             and will contact you if a technician needs to visit."
                .to_string()
        });

        let open = TICKETS.query(json!({ "line_id": line.id, "status": "open" }), 50)?;
        if let Some(ticket) = open.first() {
            return Ok(Reported {
                ticket_id: ticket.id.clone(),
                line_id: line.id.clone(),
                outage_reference: ticket
                    .data
                    .outage_reference
                    .clone()
                    .or_else(|| outage.as_ref().map(|o| o.reference.clone())),
                already_reported: true,
                message: format!(
                    "The fault on your {label} is already reported as ticket {} (opened {}), so \
                     I have not opened a second one. {follow_up}",
                    ticket.id,
                    moment(ticket.data.opened_at)
                ),
            });
        }

        let tickets = TICKETS.all(500)?;
        let ticket_id = next_id(&tickets, "TK", 2001);
        let description = match args.description.trim() {
            "" => "No description given.".to_string(),
            text => text.to_string(),
        };
        TICKETS.insert(
            Some(&ticket_id),
            &Ticket {
                line_id: line.id.clone(),
                description,
                status: TicketStatus::Open,
                opened_at: now,
                outage_reference: outage.as_ref().map(|o| o.reference.clone()),
            },
        )?;
        log_info(&format!("ticket {ticket_id} opened for line {}", line.id));
        Ok(Reported {
            ticket_id: ticket_id.clone(),
            line_id: line.id.clone(),
            outage_reference: outage.map(|o| o.reference),
            already_reported: false,
            message: format!(
                "I've reported the problem with your {label} as ticket {ticket_id}. {follow_up}"
            ),
        })
    }
}

export_tool!(ReportOutage);
