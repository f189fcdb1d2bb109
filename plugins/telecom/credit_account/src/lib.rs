//! `credit_account`: credits an amount to the customer's account, taken off
//! their next bill (a goodwill credit for a missed visit, compensation for an
//! outage).
//!
//! Money that is credited cannot be taken back, so the effect is
//! irreversible and the customer confirms first (`confirm-irreversible`).
//! How much may be credited without a colleague is a policy
//! (`credit-limit`), which reads the [`CreditFacts`].

use deskhand_plugin_sdk::{Effect, JsonSchema, Tool, ToolError, cents, export_tool, log_info, now};
use deskhand_telecom::{CREDITS, Credit, DAY, amount_text, next_id};
use serde::{Deserialize, Serialize};

/// Credits are in the business's currency.
const CURRENCY: &str = "EUR";

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct Args {
    /// The amount to credit, in euros.
    #[schemars(
        range(max = 10000),
        extend(
            "exclusiveMinimum" = 0,
            "x-deskhand" = {"kind": "amount", "currency": "EUR"}
        )
    )]
    amount: f64,
    /// Why the account is credited (e.g. a missed technician visit).
    #[schemars(length(min = 1, max = 500), extend("x-deskhand" = {"kind": "text"}))]
    reason: String,
}

/// What the policies read about a credit.
#[derive(Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct CreditFacts {
    /// The amount this call credits, in cents.
    amount_cents: i64,
    /// ISO 4217 code, "EUR".
    currency: String,
    /// What was credited to the customer in the last 30 days, in cents.
    credits_last_30_days_cents: i64,
}

#[derive(Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct Credited {
    credit_id: String,
    #[schemars(extend("exclusiveMinimum" = 0))]
    amount: f64,
    currency: String,
    message: String,
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

struct CreditAccount;

impl Tool for CreditAccount {
    type Args = Args;
    type Output = Credited;
    type Facts = CreditFacts;

    const NAME: &'static str = "credit_account";
    const DESCRIPTION: &'static str = "Credit an amount in euros to the customer's account, \
        taken off their next bill: a goodwill credit for a missed technician visit or \
        compensation for an outage.";
    const EFFECT: Effect = Effect::Irreversible;
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");

    fn examples() -> Vec<&'static str> {
        vec![
            "please credit 10 euros to my account",
            "I'd like the 10 EUR goodwill credit for the missed visit",
            "can you add a credit to my account",
            "compensate me for the outage with a credit",
            "put 5 euros on my account for the trouble",
            "I want a goodwill credit because the technician never came",
        ]
    }

    fn facts(args: Args) -> Result<Option<CreditFacts>, ToolError> {
        let month_ago = now() - 30 * DAY;
        let credits_last_30_days_cents: i64 = CREDITS
            .all(500)?
            .iter()
            .filter(|credit| credit.data.credited_at >= month_ago)
            .map(|credit| credit.data.amount_cents)
            .sum();
        Ok(Some(CreditFacts {
            amount_cents: amount_cents(args.amount)?,
            currency: CURRENCY.to_string(),
            credits_last_30_days_cents,
        }))
    }

    fn call(args: Args) -> Result<Credited, ToolError> {
        let amount = amount_cents(args.amount)?;
        let reason = match args.reason.trim() {
            "" => "goodwill".to_string(),
            text => text.to_string(),
        };
        let credits = CREDITS.all(500)?;
        let credit_id = next_id(&credits, "CR", 9001);
        CREDITS.insert(
            Some(&credit_id),
            &Credit {
                amount_cents: amount,
                currency: CURRENCY.to_string(),
                reason,
                credited_at: now(),
            },
        )?;
        log_info(&format!("credit {credit_id} of {amount} cents"));
        let text = amount_text(amount, CURRENCY);
        Ok(Credited {
            credit_id: credit_id.clone(),
            amount: deskhand_plugin_sdk::money(amount),
            currency: CURRENCY.to_string(),
            message: format!(
                "A credit of {text} has been added to your account (reference {credit_id}); it \
                 is taken off your next bill."
            ),
        })
    }
}

export_tool!(CreditAccount);
