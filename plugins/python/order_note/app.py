"""`order_note`: leaves a note for the shop's team on one of the customer's
orders (a delivery instruction, a gift message), and says how many notes
the order has.

An example tool plugin in Python: built into a component with
componentize-py by `deskhand plugin build plugins/python/order_note`,
loaded from the plugins folder like any other, and scoped by the host like
any other: `records.get` only ever finds the conversation's customer's
orders, and a note it inserts belongs to that customer. Its grant:

    [plugins.order_note]
    records = { orders = "read", order_notes = "read-write" }
"""

import json

import wit_world
from componentize_py_types import Err
from wit_world.imports import records
from wit_world.imports.tool_types import Effect, ToolError, ToolManifest

PARAMS = {
    "type": "object",
    "properties": {
        "order_id": {
            "type": "string",
            "pattern": "^[0-9]{3,10}$",
            "description": "The order the note is about, e.g. 1002.",
            "x-deskhand": {"kind": "identifier", "noun": "order", "collection": "orders"},
        },
        "note": {
            "type": "string",
            "minLength": 1,
            "maxLength": 300,
            "description": "The note, in the customer's words.",
        },
    },
    "required": ["order_id", "note"],
    "additionalProperties": False,
}

RESULT = {
    "type": "object",
    "properties": {
        "order_id": {"type": "string"},
        "note_id": {"type": "string"},
        "notes_on_order": {"type": "integer", "minimum": 1},
        "message": {"type": "string"},
    },
    "required": ["order_id", "note_id", "notes_on_order", "message"],
    "additionalProperties": False,
}


def refusal(code, message):
    return Err(ToolError(code=code, message=message))


def records_call(call):
    """A records call; a records error becomes the tool's refusal."""
    try:
        return call()
    except Err as error:
        failure = error.value
        kind = type(failure).__name__.split("_")[-1].lower()
        raise refusal(f"records-{kind}", str(getattr(failure, "value", kind)))


class WitWorld(wit_world.WitWorld):
    def manifest(self) -> ToolManifest:
        return ToolManifest(
            name="order_note",
            description="Leave a note for the shop's team on one of the customer's orders, "
            "such as a delivery instruction or a gift message.",
            params_schema=json.dumps(PARAMS),
            result_schema=json.dumps(RESULT),
            facts_schema="",
            effect=Effect.REVERSIBLE,
            version="0.1.0",
            examples=[
                "please add a note to order 1002: leave it with the neighbour",
                "can you tell the team it's a gift, order 1003",
            ],
        )

    def invoke(self, args: str) -> str:
        args = json.loads(args)
        order_id, note = args["order_id"], args["note"].strip()
        order = records_call(lambda: records.get("orders", order_id))
        if order is None:
            raise refusal("not-found", f"I can't find order {order_id} on your account.")
        row = records_call(
            lambda: records.insert("order_notes", None, json.dumps({"order_id": order_id, "note": note}))
        )
        notes = records_call(
            lambda: records.query("order_notes", json.dumps({"order_id": order_id}), 500)
        )
        count = max(len(notes), 1)
        return json.dumps(
            {
                "order_id": order_id,
                "note_id": row.id,
                "notes_on_order": count,
                "message": f"I've added your note to order {order_id}; the team will see it.",
            }
        )

    def facts(self, args: str) -> str:
        return "{}"
