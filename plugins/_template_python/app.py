"""`my_tool`: keeps one piece of text per customer, and gives it back.

A tool plugin in Python, built into a WebAssembly component with
componentize-py against deskhand's WIT contract (`wit/`, world `tool`):

    deskhand plugin build plugins/my_tool

The host validates the arguments against PARAMS before `invoke` runs and the
result against RESULT after. Raise `Err(ToolError(code, message))` for a
business failure (the message is shown to the customer); any other exception
is a trap, reported as a plugin bug.

Data lives in records, here the collection `my_tool`, one row per customer.
The host only ever shows this plugin the rows of the customer in the
conversation, and only the collections granted to it in the desk's
`plugins.toml`:

    [plugins.my_tool]
    records = { my_tool = "read-write" }
"""

import json

import wit_world
from componentize_py_types import Err
from wit_world.imports import records
from wit_world.imports.records import Change_Replace
from wit_world.imports.tool_types import Effect, ToolError, ToolManifest

COLLECTION = "my_tool"
ROW = "current"

PARAMS = {
    "type": "object",
    "properties": {
        "value": {
            "type": "string",
            "minLength": 1,
            "maxLength": 500,
            "description": "The text to keep, in the customer's words; leave it out to read back what was kept.",
        }
    },
    "additionalProperties": False,
}

RESULT = {
    "type": "object",
    "properties": {
        "value": {"type": ["string", "null"], "description": "What is kept now, if anything."},
        "saved": {"type": "boolean", "description": "Whether this call changed it."},
        "message": {"type": "string", "description": "A sentence for the customer."},
    },
    "required": ["value", "saved", "message"],
    "additionalProperties": False,
}


def refuse(error):
    """A records error as the customer may see it."""
    kind = type(error).__name__.split("_")[-1].lower()
    raise Err(ToolError(code=f"records-{kind}", message=str(getattr(error, "value", kind))))


class WitWorld(wit_world.WitWorld):
    def manifest(self) -> ToolManifest:
        return ToolManifest(
            name="my_tool",
            description="Keep a piece of text for the customer, or read back the text kept before.",
            params_schema=json.dumps(PARAMS),
            result_schema=json.dumps(RESULT),
            facts_schema="",
            effect=Effect.REVERSIBLE,
            version="0.1.0",
            examples=["please remember this for me", "what did I ask you to keep?"],
        )

    def invoke(self, args: str) -> str:
        value = json.loads(args).get("value")
        try:
            row = records.get(COLLECTION, ROW)
            if value is None:
                kept = json.loads(row.data)["value"] if row else None
                message = f"You asked me to keep: {kept}" if kept else "Nothing is kept for you yet."
                return json.dumps({"value": kept, "saved": False, "message": message})
            value = value.strip()
            data = json.dumps({"value": value})
            if row:
                records.update(COLLECTION, ROW, Change_Replace(data))
            else:
                records.insert(COLLECTION, ROW, data)
        except Err as error:
            refuse(error.value)
        return json.dumps({"value": value, "saved": True, "message": f"Saved: {value}"})

    def facts(self, args: str) -> str:
        return "{}"
