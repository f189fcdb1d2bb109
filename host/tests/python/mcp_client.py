"""Drives an MCP server with the official Python SDK, as a real client would.

    python mcp_client.py PLAN.json

The plan names the server and the steps:

    {"server": {"stdio": ["deskhand", "mcp", ...]}            # or {"http": URL, "key": KEY}
     "elicitation": "accept" | "decline" | null,               # how the person answers
     "steps": [{"op": "list_tools"}, {"op": "call", "tool": "t", "args": {}},
               {"op": "list_resources"}, {"op": "read", "uri": "..."},
               {"op": "copy", "from": A, "to": B},              # replace a file meanwhile
               {"op": "wait_list_changed", "seconds": 20}]}

An argument whose value is "$last_token" is replaced by the confirmation
token of the newest answer that gave one.

It prints one JSON line per step: the result as the SDK parsed it, dumped
with the protocol's field names, or {"error": "..."} when the step raised.
"""

import asyncio
import json
import shutil
import sys
from contextlib import AsyncExitStack

import mcp.types as types
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client


def dump(value):
    if hasattr(value, "model_dump"):
        return value.model_dump(by_alias=True, mode="json", exclude_none=True)
    return value


async def main(plan):
    changed = asyncio.Event()
    elicited = []

    async def on_message(message):
        method = getattr(getattr(message, "root", message), "method", None)
        if method is None and isinstance(message, types.ServerNotification):
            method = getattr(message.root, "method", None)
        if method == "notifications/tools/list_changed":
            changed.set()

    elicitation = plan.get("elicitation")

    async def on_elicit(context, params):
        elicited.append(dump(params))
        if elicitation == "accept":
            return types.ElicitResult(action="accept", content={"confirm": True})
        return types.ElicitResult(action="decline")

    async with AsyncExitStack() as stack:
        server = plan["server"]
        if "stdio" in server:
            command = server["stdio"]
            params = StdioServerParameters(command=command[0], args=command[1:], env=server.get("env"))
            read, write = await stack.enter_async_context(stdio_client(params))
        else:
            from mcp.client.streamable_http import streamable_http_client
            import httpx2

            http = await stack.enter_async_context(
                httpx2.AsyncClient(headers={"Authorization": f"Bearer {server['key']}"}, timeout=30)
            )
            streams = await stack.enter_async_context(streamable_http_client(server["http"], http_client=http))
            read, write = streams[0], streams[1]
        session = await stack.enter_async_context(
            ClientSession(
                read,
                write,
                message_handler=on_message,
                elicitation_callback=on_elicit if elicitation else None,
            )
        )
        init = await session.initialize()
        print(json.dumps({"op": "initialize", "result": dump(init)}), flush=True)
        last_token = None
        for step in plan["steps"]:
            op = step["op"]
            args = {k: (last_token if v == "$last_token" else v) for k, v in step.get("args", {}).items()}
            try:
                if op == "list_tools":
                    result = dump(await session.list_tools())
                elif op == "call":
                    result = dump(await session.call_tool(step["tool"], args))
                    token = (result.get("structuredContent") or {}).get("confirmation_token")
                    if token:
                        last_token = token
                elif op == "list_resources":
                    result = dump(await session.list_resources())
                elif op == "read":
                    result = dump(await session.read_resource(step["uri"]))
                elif op == "copy":
                    changed.clear()
                    shutil.copyfile(step["from"], step["to"])
                    result = {"copied": True}
                elif op == "wait_list_changed":
                    await asyncio.wait_for(changed.wait(), step.get("seconds", 20))
                    result = {"list_changed": True}
                else:
                    raise ValueError(f"unknown op {op}")
                line = {"op": op, "result": result}
            except Exception as error:  # noqa: BLE001 - the test reads what failed
                line = {"op": op, "error": f"{type(error).__name__}: {error}"}
            if elicited:
                line["elicited"] = elicited.copy()
                elicited.clear()
            print(json.dumps(line), flush=True)


if __name__ == "__main__":
    with open(sys.argv[1], encoding="utf-8") as f:
        asyncio.run(main(json.load(f)))
