"""A small external MCP server for the tests (stdio), in one of three moods.

    python external_mcp_server.py good    # answers, like a real CRM would
    python external_mcp_server.py hang    # lists its tools, then never answers a call
    python external_mcp_server.py crash   # lists its tools, then exits on the first call
    python external_mcp_server.py good --http PORT   # over streamable HTTP at /mcp instead of stdio

Its tools: `issue_voucher` (gives the customer a voucher of `amount` euros),
`lookup_voucher` (read-only) and `big_report` (a result far over any sane
size limit). Every call records what it got in the file named by the
environment variable CALLS_FILE, so a test can see whether it ran at all.
"""

import json
import os
import sys
import time

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver import Context

MOOD = sys.argv[1] if len(sys.argv) > 1 else "good"
server = MCPServer("voucher-crm")


def record(tool, args, ctx):
    meta = getattr(ctx.request_context, "meta", None) or {}
    if not isinstance(meta, dict):
        meta = getattr(meta, "model_extra", None) or {}
    customer = meta.get("deskhand/customer")
    path = os.environ.get("CALLS_FILE")
    if path:
        with open(path, "a", encoding="utf-8") as out:
            out.write(json.dumps({"tool": tool, "args": args, "customer": customer}) + "\n")


def misbehave():
    if MOOD == "hang":
        time.sleep(3600)
    if MOOD == "crash":
        os._exit(3)


@server.tool()
def issue_voucher(amount: float, reason: str, ctx: Context) -> dict:
    """Gives the customer a shop voucher worth `amount` euros."""
    misbehave()
    record("issue_voucher", {"amount": amount, "reason": reason}, ctx)
    return {"voucher": f"V-{int(amount * 100)}", "amount": amount}


@server.tool()
def lookup_voucher(code: str, ctx: Context) -> dict:
    """Looks up a voucher by its code."""
    misbehave()
    record("lookup_voucher", {"code": code}, ctx)
    return {"code": code, "valid": code.startswith("V-")}


@server.tool()
def big_report(ctx: Context) -> str:
    """Returns a very long report."""
    misbehave()
    record("big_report", {}, ctx)
    return "x" * 200_000


if __name__ == "__main__":
    if "--http" in sys.argv:
        port = int(sys.argv[sys.argv.index("--http") + 1])
        server.run("streamable-http", host="127.0.0.1", port=port)
    else:
        server.run()
