//! `dispute_bill`: disputes part or all of one of the customer's bills.
//!
//! The tool guards the money's integrity: never more than what is left
//! undisputed on the bill. The 60-day window is a policy
//! (`dispute-window`), which reads the bill's [`DisputeFacts`]. The dispute
//! row and the bill's `disputed_cents` are written in one transaction.

use deskhand_plugin_sdk::{Effect, JsonSchema, Tool, ToolError, cents, export_tool, log_info, now};
use deskhand_telecom::{
    BILLS, Bill, BillStatus, DISPUTES, Dispute, DisputeStatus, amount_text, bill_not_found, day_of,
    next_id, short_date,
};
use serde::{Deserialize, Serialize};
use serde_json::json;

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct Args {
    /// The bill's number, e.g. "B24003".
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
    bill_id: String,
    /// The amount in dispute, in euros.
    #[schemars(
        range(max = 100000),
        extend(
            "exclusiveMinimum" = 0,
            "x-deskhand" = {"kind": "amount", "currency": "EUR"}
        )
    )]
    amount: f64,
    /// What is wrong with the bill.
    #[schemars(length(max = 1000), extend("x-deskhand" = {"kind": "text"}))]
    reason: Option<String>,
}

/// What the policies read about a dispute: the bill and the amount.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct DisputeFacts {
    /// The bill's number.
    bill_id: String,
    /// The bill date, unix seconds.
    issued_at: i64,
    /// The bill's total, in cents.
    amount_cents: i64,
    /// How much of it was under dispute before this call, in cents.
    disputed_cents: i64,
    /// ISO 4217 code of the bill's currency.
    currency: String,
    /// The amount this call disputes, in cents.
    requested_cents: i64,
}

#[derive(Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct Disputed {
    dispute_id: String,
    bill_id: String,
    #[schemars(extend("exclusiveMinimum" = 0))]
    amount: f64,
    currency: String,
    /// How much of the bill is under dispute now.
    #[schemars(range(min = 0))]
    disputed_total: f64,
    message: String,
}

fn bill(bill_id: &str) -> Result<Bill, ToolError> {
    Ok(BILLS
        .get(bill_id)?
        .ok_or_else(|| bill_not_found(bill_id))?
        .data)
}

fn amount_cents(amount: f64) -> Result<i64, ToolError> {
    cents(amount).ok_or_else(|| {
        ToolError::new(
            "invalid-amount",
            format!(
                "{amount} is not a valid amount; use a positive number with at most two decimals."
            ),
        )
    })
}

struct DisputeBill;

impl Tool for DisputeBill {
    type Args = Args;
    type Output = Disputed;
    type Facts = DisputeFacts;

    const NAME: &'static str = "dispute_bill";
    const DESCRIPTION: &'static str = "Dispute an amount on one of the customer's bills that \
        they believe is wrong (an overcharge, a charge they do not recognise). The disputed \
        amount is put on hold while the billing team reviews it.";
    const EFFECT: Effect = Effect::Reversible;
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");

    fn examples() -> Vec<&'static str> {
        vec![
            "I want to dispute my bill",
            "I was overcharged on my last bill",
            "my bill is wrong, I shouldn't pay 45 euros for that visit",
            "dispute 15 euros on bill B24003",
            "I don't agree with the charges on my invoice",
            "I want to contest my last invoice",
            "there's a charge on my bill I don't recognise",
        ]
    }

    fn facts(args: Args) -> Result<Option<DisputeFacts>, ToolError> {
        let found = bill(&args.bill_id)?;
        Ok(Some(DisputeFacts {
            bill_id: args.bill_id,
            issued_at: found.issued_at,
            amount_cents: found.amount_cents,
            disputed_cents: found.disputed_cents,
            currency: found.currency,
            requested_cents: amount_cents(args.amount)?,
        }))
    }

    fn call(args: Args) -> Result<Disputed, ToolError> {
        let id = args.bill_id.as_str();
        let found = bill(id)?;
        let currency = found.currency.clone();
        let amount = amount_cents(args.amount)?;
        let total = found.amount_cents;
        let undisputed = total - found.disputed_cents;
        if undisputed <= 0 {
            return Err(ToolError::new(
                "already-disputed",
                format!(
                    "The whole of bill {id} ({}) is already under dispute; our billing team will \
                     let you know the outcome.",
                    amount_text(total, &currency)
                ),
            ));
        }
        if amount > undisputed {
            let already = if found.disputed_cents > 0 {
                format!(
                    ", of which {} is already under dispute",
                    amount_text(found.disputed_cents, &currency)
                )
            } else {
                String::new()
            };
            return Err(ToolError::new(
                "amount-exceeds-bill",
                format!(
                    "Bill {id} is for {}{already}, so the most that can be disputed on it is {}.",
                    amount_text(total, &currency),
                    amount_text(undisputed, &currency)
                ),
            ));
        }
        let disputed_total = found.disputed_cents + amount;
        BILLS.merge(id, json!({ "disputed_cents": disputed_total }))?;
        let disputes = DISPUTES.all(500)?;
        let dispute_id = next_id(&disputes, "D", 7001);
        let reason = args
            .reason
            .as_deref()
            .map(str::trim)
            .unwrap_or_default()
            .to_string();
        DISPUTES.insert(
            Some(&dispute_id),
            &Dispute {
                bill_id: id.to_string(),
                amount_cents: amount,
                currency: currency.clone(),
                reason,
                status: DisputeStatus::Open,
                opened_at: now(),
            },
        )?;
        log_info(&format!(
            "dispute {dispute_id} of {amount} cents on bill {id}"
        ));
        let disputed = amount_text(amount, &currency);
        let payment = match found.status {
            BillStatus::Open if amount < undisputed => format!(
                "While the dispute is open you don't need to pay the disputed {disputed}, and no \
                 reminders or late fees are charged for it; the rest of the bill, {}, is due as \
                 usual.",
                amount_text(total - amount - found.disputed_cents, &currency)
            ),
            BillStatus::Open => format!(
                "While the dispute is open you don't need to pay the disputed {disputed}, and no \
                 reminders or late fees are charged for it."
            ),
            BillStatus::Paid => "This bill is already paid, so if the dispute is upheld the \
                                 amount is credited on your next bill."
                .to_string(),
        };
        Ok(Disputed {
            dispute_id: dispute_id.clone(),
            bill_id: id.to_string(),
            amount: deskhand_plugin_sdk::money(amount),
            currency,
            disputed_total: deskhand_plugin_sdk::money(disputed_total),
            message: format!(
                "I've opened dispute {dispute_id} for {disputed} on bill {id} of {}. {payment} \
                 Our billing team reviews disputes within 10 business days and will email you \
                 the outcome.",
                short_date(day_of(found.issued_at))
            ),
        })
    }
}

export_tool!(DisputeBill);
