//! `list_bills`: the customer's most recent bills, newest first, or one bill
//! with its charges.
//!
//! This is how the agent resolves "my last bill" without guessing: the
//! newest bill is `/bills/0/bill_id` of `list_bills` with `limit` 1.

use deskhand_plugin_sdk::{Effect, JsonSchema, NoFacts, Tool, ToolError, export_tool};
use deskhand_telecom::{BILLS, BillView, amount_text, bill_not_found};
use serde::{Deserialize, Serialize};

const DEFAULT_LIMIT: u32 = 6;

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct Args {
    /// How many bills to return, newest first (default 6).
    #[schemars(range(min = 1, max = 24))]
    limit: Option<u32>,
    /// One bill to show with its charges, e.g. "B24003".
    #[schemars(
        regex(pattern = r"^B[0-9]{5}$"),
        extend("x-deskhand" = {
            "kind": "identifier",
            "noun": "bill",
            "nouns": ["bill", "invoice"],
            "collection": "bills",
            "latest": {
                "tool": "list_bills",
                "args": {"limit": 1},
                "pointer": "/bills/0/bill_id"
            }
        })
    )]
    bill_id: Option<String>,
}

#[derive(Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct Listing {
    count: usize,
    bills: Vec<BillView>,
    message: String,
}

struct ListBills;

impl Tool for ListBills {
    type Args = Args;
    type Output = Listing;
    type Facts = NoFacts;

    const NAME: &'static str = "list_bills";
    const DESCRIPTION: &'static str = "List the customer's most recent bills, newest first, \
        with bill number, date, period, amount and whether each is paid, or show one bill with \
        its charges. Use it to find \"my last bill\" or when the customer does not give a bill \
        number.";
    const EFFECT: Effect = Effect::ReadOnly;
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");

    fn examples() -> Vec<&'static str> {
        vec![
            "show me my bills",
            "how much was my last bill?",
            "list my invoices",
            "what did I pay last month",
            "when was my last bill issued",
            "are any of my bills unpaid?",
            "what is on bill B24003?",
            "what are the charges on my last bill",
        ]
    }

    fn call(args: Args) -> Result<Listing, ToolError> {
        if let Some(id) = args.bill_id.as_deref() {
            let bill = BILLS.get(id)?.ok_or_else(|| bill_not_found(id))?;
            let view = BillView::from(&bill);
            let mut message = format!("Bill {}.", view.sentence(bill.data.issued_at));
            if !bill.data.items.is_empty() {
                let charges: Vec<String> = bill
                    .data
                    .items
                    .iter()
                    .map(|item| {
                        format!(
                            "{}: {}",
                            item.description,
                            amount_text(item.amount_cents, &bill.data.currency)
                        )
                    })
                    .collect();
                message.push_str(&format!(" Charges: {}.", charges.join("; ")));
            }
            return Ok(Listing {
                count: 1,
                bills: vec![view],
                message,
            });
        }
        let mut bills = BILLS.all(500)?;
        // Newest bill first, whenever its row was written.
        bills.sort_by(|a, b| (b.data.issued_at, &b.id).cmp(&(a.data.issued_at, &a.id)));
        bills.truncate(args.limit.unwrap_or(DEFAULT_LIMIT) as usize);
        let sentences: Vec<String> = bills
            .iter()
            .map(|bill| BillView::from(bill).sentence(bill.data.issued_at))
            .collect();
        let message = match sentences.as_slice() {
            [] => "There are no bills on your account yet.".to_string(),
            [only] => format!("Your latest bill is {only}."),
            many => format!("Here are your latest bills: {}.", many.join("; ")),
        };
        let bills: Vec<BillView> = bills.iter().map(BillView::from).collect();
        Ok(Listing {
            count: bills.len(),
            bills,
            message,
        })
    }
}

export_tool!(ListBills);
