"""A model server that misbehaves, for the remote backend's failure tests.

    python3 fake_model_server.py MODE PORT

GET /v1/models answers like a real server; POST /v1/chat/completions:
  slow     waits 30 s before answering
  garbage  answers 200 with an HTML page
  error    answers 500 with an error object
Standard library only, so it needs no venv.
"""

import json
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MODE = sys.argv[1]
PORT = int(sys.argv[2])


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def reply(self, status, body, kind="application/json"):
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path.rstrip("/").endswith("/models"):
            self.reply(200, json.dumps({"object": "list", "data": [{"id": "fake-model"}]}))
        else:
            self.reply(404, json.dumps({"error": {"message": "not found"}}))

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        self.rfile.read(length)
        if MODE == "slow":
            time.sleep(30)
            self.reply(200, json.dumps({"choices": [{"message": {"content": "late"}}]}))
        elif MODE == "garbage":
            self.reply(200, "<html><body>Service temporarily overloaded</body></html>", "text/html")
        else:
            self.reply(500, json.dumps({"error": {"message": "CUDA out of memory"}}))


print("ready", flush=True)
ThreadingHTTPServer(("127.0.0.1", PORT), Handler).serve_forever()
