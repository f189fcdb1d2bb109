// `my_tool`: keeps one piece of text per customer, and gives it back.
//
// A tool plugin in JavaScript, built into a WebAssembly component with jco
// (componentize-js) against deskhand's WIT contract (`wit/`, world `tool`):
//
//     deskhand plugin build plugins/my_tool
//
// The host validates the arguments against PARAMS before `invoke` runs and
// the result against RESULT after. Throw `refusal(code, message)` for a
// business failure (the message is shown to the customer); any other
// exception is a trap, reported as a plugin bug.
//
// Data lives in records, here the collection `my_tool`, one row per
// customer. The host only ever shows this plugin the rows of the customer in
// the conversation, and only the collections granted to it in the desk's
// `plugins.toml`:
//
//     [plugins.my_tool]
//     records = { my_tool = "read-write" }

import { get, insert, update } from "deskhand:plugin/records@0.2.0";

const COLLECTION = "my_tool";
const ROW = "current";

const PARAMS = {
  type: "object",
  properties: {
    value: {
      type: "string",
      minLength: 1,
      maxLength: 500,
      description: "The text to keep, in the customer's words; leave it out to read back what was kept.",
    },
  },
  additionalProperties: false,
};

const RESULT = {
  type: "object",
  properties: {
    value: { type: ["string", "null"], description: "What is kept now, if anything." },
    saved: { type: "boolean", description: "Whether this call changed it." },
    message: { type: "string", description: "A sentence for the customer." },
  },
  required: ["value", "saved", "message"],
  additionalProperties: false,
};

/** A business failure: becomes the WIT `tool-error` the host shows the customer. */
function refusal(code, message) {
  const error = new Error(message);
  error.payload = { code, message };
  return error;
}

/** A records call; a records error becomes a refusal naming what went wrong. */
function records(call) {
  try {
    return call();
  } catch (error) {
    const failure = error.payload ?? { tag: "unavailable", val: String(error) };
    throw refusal(`records-${failure.tag}`, failure.val ?? failure.tag);
  }
}

export function manifest() {
  return {
    name: "my_tool",
    description: "Keep a piece of text for the customer, or read back the text kept before.",
    paramsSchema: JSON.stringify(PARAMS),
    resultSchema: JSON.stringify(RESULT),
    factsSchema: "",
    effect: "reversible",
    version: "0.1.0",
    examples: ["please remember this for me", "what did I ask you to keep?"],
  };
}

export function invoke(args) {
  const { value } = JSON.parse(args);
  const row = records(() => get(COLLECTION, ROW));
  if (value === undefined) {
    const kept = row ? JSON.parse(row.data).value : null;
    const message = kept ? `You asked me to keep: ${kept}` : "Nothing is kept for you yet.";
    return JSON.stringify({ value: kept, saved: false, message });
  }
  const text = value.trim();
  const data = JSON.stringify({ value: text });
  if (row) {
    records(() => update(COLLECTION, ROW, { tag: "replace", val: data }));
  } else {
    records(() => insert(COLLECTION, ROW, data));
  }
  return JSON.stringify({ value: text, saved: true, message: `Saved: ${text}` });
}

export function facts(_args) {
  return "{}";
}
