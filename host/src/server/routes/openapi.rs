//! `GET /openapi.json` and `GET /docs`: the API described for people and
//! for tools.

use axum::Json;
use axum::response::Html;
use serde_json::{Value, json};

/// `GET /openapi.json`.
pub async fn document() -> Json<Value> {
    Json(openapi())
}

/// `GET /docs`: a page that renders the OpenAPI document (no external assets).
pub async fn docs() -> Html<&'static str> {
    Html(DOCS_HTML)
}

fn error_response(description: &str) -> Value {
    json!({"description": description, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}})
}

fn ok(description: &str, schema: Value) -> Value {
    json!({"description": description, "content": {"application/json": {"schema": schema}}})
}

/// The OpenAPI 3.1 document of the API.
pub fn openapi() -> Value {
    let auth = json!([{"bearer": []}]);
    let common = |extra: Value| {
        let mut responses = json!({
            "401": error_response("Missing or unknown API key."),
        });
        if let Value::Object(map) = extra {
            for (k, v) in map {
                responses[k] = v;
            }
        }
        responses
    };
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "deskhand",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "A local customer-support agent. Every /v1 route needs `Authorization: Bearer KEY`; a customer key only ever sees that customer's conversations and records."
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Error": {"type": "object", "required": ["error"], "properties": {"error": {"type": "object", "required": ["status", "code", "message"], "properties": {
                    "status": {"type": "integer"}, "code": {"type": "string", "enum": ["bad_request", "unauthorized", "forbidden", "not_found", "too_large", "busy", "tool_failed", "internal"]},
                    "message": {"type": "string"}, "field": {"type": "string", "description": "The request field that is wrong."}}}}},
                "ChatRequest": {"type": "object", "required": ["message"], "additionalProperties": false, "properties": {
                    "conversation_id": {"type": "string", "description": "Continue this conversation; omit to start one."},
                    "message": {"type": "string", "minLength": 1, "maxLength": 4000}}},
                "Step": {"type": "object", "properties": {"kind": {"type": "string", "enum": ["input", "route", "args", "policy", "tool", "retrieval", "generation", "handoff"]}, "summary": {"type": "string"}, "detail": {}, "ms": {"type": "number"}}},
                "Turn": {"type": "object", "description": "The whole turn: route, tool calls with policy decisions, handoff, retrieved passages, steps, tokens and timings.", "properties": {
                    "conversation_id": {"type": "string"}, "message_id": {"type": "integer"}, "reply": {"type": "string"}, "reply_id": {"type": "integer"},
                    "route": {}, "tools": {"type": "array"}, "handoff_id": {"type": ["integer", "null"]}, "retrieved": {"type": "array", "items": {"type": "string"}},
                    "waiting_for": {"type": ["string", "null"]}, "steps": {"type": "array", "items": {"$ref": "#/components/schemas/Step"}},
                    "prompt_tokens": {"type": "integer"}, "generated_tokens": {"type": "integer"}, "first_token_ms": {"type": "number"}, "total_ms": {"type": "number"}}},
                "ChatResponse": {"type": "object", "properties": {"conversation_id": {"type": "string"}, "message_id": {"type": "integer"}, "reply_id": {"type": "integer"}, "reply": {"type": "string"}, "trace": {"$ref": "#/components/schemas/Turn"}}},
                "Message": {"type": "object", "properties": {"id": {"type": "integer"}, "role": {"type": "string", "enum": ["user", "assistant"]}, "content": {"type": "string"}, "at": {"type": "integer", "description": "Unix seconds."}}},
                "FeedbackRequest": {"type": "object", "required": ["message_id", "score"], "additionalProperties": false, "properties": {"message_id": {"type": "integer", "description": "A reply_id."}, "score": {"type": "integer", "enum": [1, -1]}, "comment": {"type": "string", "maxLength": 2000}}},
                "InvokeRequest": {"type": "object", "required": ["args"], "additionalProperties": false, "properties": {"args": {"type": "object", "description": "The tool's arguments, checked against its params_schema."}, "confirmed": {"type": "boolean", "default": false}}},
                "ToolOutcome": {"type": "object", "properties": {"tool": {"type": "string"}, "args": {"type": "object"}, "decision": {}, "executed": {"type": "boolean"}, "result": {}, "error": {"type": ["object", "null"], "properties": {"code": {"type": "string"}, "message": {"type": "string"}}}}}
            }
        },
        "paths": {
            "/v1/chat": {"post": {
                "summary": "Send a message; get the reply, ids and trace.",
                "description": "With `Accept: text/event-stream` the turn streams as server-sent events: `start` {conversation_id}, `step` (Step), `token` {text}, and finally `done` (ChatResponse) or `error` (Error). The customer's message is stored before any work starts.",
                "security": auth,
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ChatRequest"}}}},
                "responses": common(json!({
                    "200": {"description": "The reply.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ChatResponse"}}, "text/event-stream": {"schema": {"type": "string"}}}},
                    "400": error_response("Malformed JSON, a wrong type, an empty or missing message; `field` names it."),
                    "403": error_response("A staff key cannot chat."),
                    "404": error_response("No such conversation on your account."),
                    "413": error_response("The message is over 4,000 characters."),
                    "503": error_response("The queue is full; see Retry-After.")
                }))
            }},
            "/v1/conversations": {"get": {"summary": "Your conversations, newest first.", "security": auth,
                "responses": common(json!({"200": ok("The conversations.", json!({"type": "object", "properties": {"conversations": {"type": "array"}}}))}))}},
            "/v1/conversations/{id}": {"get": {"summary": "One of your conversations: messages and turn traces.", "security": auth,
                "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}],
                "responses": common(json!({"200": ok("The conversation.", json!({"type": "object", "properties": {"id": {"type": "string"}, "messages": {"type": "array", "items": {"$ref": "#/components/schemas/Message"}}, "turns": {"type": "array", "items": {"$ref": "#/components/schemas/Turn"}}}})),
                    "404": error_response("No such conversation on your account.")}))}},
            "/v1/history": {"get": {"summary": "Your latest question-and-answer pairs, filtered by text.", "security": auth,
                "parameters": [{"name": "n", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 200, "default": 20}}, {"name": "search", "in": "query", "schema": {"type": "string"}}],
                "responses": common(json!({"200": ok("The pairs, newest first.", json!({"type": "object", "properties": {"history": {"type": "array"}}})), "400": error_response("A bad n.")}))}},
            "/v1/feedback": {"post": {"summary": "Thumbs up or down on a reply.", "security": auth,
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/FeedbackRequest"}}}},
                "responses": common(json!({"200": ok("Recorded.", json!({"type": "object", "properties": {"recorded": {"type": "boolean"}}})), "400": error_response("A bad field."), "404": error_response("No such reply in your conversations.")}))}},
            "/v1/tools": {"get": {"summary": "The tools' manifests.", "security": auth,
                "responses": common(json!({"200": ok("The tools.", json!({"type": "object", "properties": {"tools": {"type": "array"}}}))}))}},
            "/v1/tools/{name}/invoke": {"post": {"summary": "Call a tool directly, through schema validation and the policies.", "security": auth,
                "parameters": [{"name": "name", "in": "path", "required": true, "schema": {"type": "string"}}],
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/InvokeRequest"}}}},
                "responses": common(json!({"200": ok("What happened: ran, refused by the tool, or stopped by a policy (executed: false).", json!({"$ref": "#/components/schemas/ToolOutcome"})),
                    "400": error_response("The arguments break the tool's schema."), "404": error_response("No such tool."), "502": error_response("The tool crashed or ran out of time.")}))}},
            "/v1/policies": {"get": {"summary": "Active policy revision, parameters, and the last rejected change.", "security": auth,
                "responses": common(json!({"200": ok("The policies.", json!({"type": "object"}))}))}},
            "/v1/handoffs": {"get": {"summary": "Escalations to a person (staff keys only).", "security": auth,
                "responses": common(json!({"200": ok("The handoffs.", json!({"type": "object", "properties": {"handoffs": {"type": "array"}}})), "403": error_response("Not a staff key.")}))}},
            "/v1/me": {"get": {"summary": "Who this key logs in as.", "security": auth,
                "responses": common(json!({"200": ok("The caller.", json!({"type": "object"}))}))}},
            "/healthz": {"get": {"summary": "Liveness.", "responses": {"200": ok("Healthy.", json!({"type": "object"}))}}},
            "/readyz": {"get": {"summary": "Readiness: the store answers and the policies are loaded (503 otherwise).", "responses": {"200": ok("Ready to serve turns.", json!({"type": "object"})), "503": ok("Not ready: the checks say which part failed.", json!({"type": "object"}))}}},
            "/metrics": {"get": {"summary": "Prometheus metrics.", "responses": {"200": {"description": "Text exposition format.", "content": {"text/plain": {}}}}}},
            "/demo-keys": {"get": {"summary": "The public demo keys in force (empty in a real deployment).", "responses": {"200": ok("The keys.", json!({"type": "object"}))}}}
        }
    })
}

const DOCS_HTML: &str = r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>deskhand API</title>
<style>
body{font:15px/1.5 system-ui,sans-serif;max-width:960px;margin:2rem auto;padding:0 1rem;color:#1d2330}
h1{margin-bottom:.2rem} code,pre{font:13px ui-monospace,monospace;background:#f3f5f8;border-radius:4px}
pre{padding:.6rem;overflow:auto} .route{border:1px solid #dde2ea;border-radius:8px;margin:1rem 0;padding:.6rem 1rem}
.method{font-weight:700;text-transform:uppercase;margin-right:.5rem;color:#2456c7} details summary{cursor:pointer}
</style></head><body>
<h1>deskhand API</h1>
<p>Every <code>/v1</code> route needs <code>Authorization: Bearer KEY</code>. The machine-readable document is at <a href="/openapi.json">/openapi.json</a>; the chat page is at <a href="/">/</a>.</p>
<pre>curl -s localhost:8080/v1/chat -H 'Authorization: Bearer YOUR_KEY' \
  -H 'Content-Type: application/json' -d '{"message":"hello"}'</pre>
<div id="routes">Loading…</div>
<script>
fetch('/openapi.json').then(r => r.json()).then(doc => {
  const root = document.getElementById('routes'); root.textContent = '';
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const div = document.createElement('section'); div.className = 'route';
      const h = document.createElement('h2'); h.style.fontSize = '1.05rem';
      const m = document.createElement('span'); m.className = 'method'; m.textContent = method;
      const p = document.createElement('code'); p.textContent = path;
      h.append(m, p); div.append(h);
      const s = document.createElement('p'); s.textContent = op.summary + (op.description ? ' ' + op.description : ''); div.append(s);
      const d = document.createElement('details'); const sum = document.createElement('summary'); sum.textContent = 'Request and responses';
      const pre = document.createElement('pre'); pre.textContent = JSON.stringify({parameters: op.parameters, requestBody: op.requestBody, responses: op.responses}, null, 2);
      d.append(sum, pre); div.append(d); root.append(div);
    }
  }
});
</script></body></html>"#;
