//! `book_home_visit`: a clinic books a nurse's home visit for a day, a time
//! of day and an address, with an optional note: the test of a desk whose
//! tool takes a date, a choice, an address and free text from the
//! customer's words.

use deskhand_plugin_sdk::{Collection, Effect, JsonSchema, NoFacts, Tool, ToolError, export_tool};
use serde::{Deserialize, Serialize};

/// The part of the day a nurse comes.
#[derive(Clone, Copy, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
enum Slot {
    Morning,
    Afternoon,
}

/// A booked visit.
#[derive(Serialize, Deserialize)]
struct Visit {
    date: String,
    slot: Slot,
    address: String,
    note: Option<String>,
}

const VISITS: Collection<Visit> = Collection::new("visits");

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct Args {
    /// The day of the visit.
    #[schemars(extend("format" = "date"))]
    date: String,
    /// The time of day.
    #[schemars(extend("x-deskhand" = {"synonyms": {"morning": ["before noon", "first thing"], "afternoon": ["after lunch"]}}))]
    slot: Slot,
    /// The address the nurse should come to.
    #[schemars(length(min = 5, max = 200))]
    address: String,
    /// What the nurse should know, in the patient's words.
    #[schemars(length(max = 500))]
    #[schemars(extend("x-deskhand" = {"kind": "text"}))]
    note: Option<String>,
}

#[derive(Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct Booked {
    visit_id: String,
    date: String,
    slot: Slot,
    address: String,
    message: String,
}

struct HomeVisit;

impl Tool for HomeVisit {
    type Args = Args;
    type Output = Booked;
    type Facts = NoFacts;

    const NAME: &'static str = "book_home_visit";
    const DESCRIPTION: &'static str =
        "Book a nurse's home visit for a day, in the morning or the afternoon, at an address.";
    const EFFECT: Effect = Effect::Reversible;
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");

    fn examples() -> Vec<&'static str> {
        vec![
            "I need a nurse to come to my home",
            "book a home visit for tomorrow morning",
            "can a nurse visit me at home on Friday afternoon",
            "I can't come to the clinic, please send someone to my house",
        ]
    }

    fn call(args: Args) -> Result<Booked, ToolError> {
        let address = args.address.trim().to_string();
        if address.len() < 5 {
            return Err(ToolError::new(
                "invalid-address",
                "That address looks incomplete; please give the street, number and town.",
            ));
        }
        let visit = Visit {
            date: args.date.clone(),
            slot: args.slot,
            address: address.clone(),
            note: args.note.filter(|n| !n.trim().is_empty()),
        };
        let visit_id = VISITS.insert(None, &visit)?.id;
        let slot = match args.slot {
            Slot::Morning => "morning",
            Slot::Afternoon => "afternoon",
        };
        Ok(Booked {
            message: format!(
                "A nurse will visit you at {address} on {} in the {slot}. Reference {visit_id}.",
                args.date
            ),
            visit_id,
            date: args.date,
            slot: args.slot,
            address,
        })
    }
}

export_tool!(HomeVisit);
