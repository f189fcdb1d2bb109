// `order_spend`: how many orders the customer has placed and what they
// spent, cancelled and refunded amounts left out.
//
// An example tool plugin in JavaScript: built into a component with
// componentize-js (the engine of `jco componentize`) by
// `deskhand plugin build plugins/js/order_spend`, loaded from the plugins
// folder like any other, and scoped by the host like any other:
// `records.query` only ever returns the conversation's customer's rows.
// Its grant:
//
//     [plugins.order_spend]
//     records = { orders = "read" }

import { query } from "deskhand:plugin/records@0.2.0";

const PARAMS = {
  type: "object",
  properties: {},
  additionalProperties: false,
};

const RESULT = {
  type: "object",
  properties: {
    orders: { type: "integer", minimum: 0 },
    spent_cents: { type: "integer", minimum: 0 },
    currency: { type: "string" },
    message: { type: "string" },
  },
  required: ["orders", "spent_cents", "currency", "message"],
  additionalProperties: false,
};

function refusal(code, message) {
  const error = new Error(message);
  error.payload = { code, message };
  return error;
}

export function manifest() {
  return {
    name: "order_spend",
    description: "Say how many orders the customer has placed and how much they spent in total.",
    paramsSchema: JSON.stringify(PARAMS),
    resultSchema: JSON.stringify(RESULT),
    factsSchema: "",
    effect: "read-only",
    version: "0.1.0",
    examples: ["how much have I spent with you?", "how many orders have I placed?"],
  };
}

export function invoke(_args) {
  let rows;
  try {
    rows = query("orders", "{}", 500);
  } catch (error) {
    const failure = error.payload ?? { tag: "unavailable", val: String(error) };
    throw refusal(`records-${failure.tag}`, failure.val ?? failure.tag);
  }
  let spent = 0;
  let currency = "EUR";
  for (const row of rows) {
    const order = JSON.parse(row.data);
    if (order.status === "cancelled") continue;
    spent += (order.total_cents ?? 0) - (order.refunded_cents ?? 0);
    currency = order.currency ?? currency;
  }
  const euros = (spent / 100).toFixed(2);
  return JSON.stringify({
    orders: rows.length,
    spent_cents: spent,
    currency,
    message: `You have placed ${rows.length} orders with us, ${euros} ${currency} in all.`,
  });
}

export function facts(_args) {
  return "{}";
}
