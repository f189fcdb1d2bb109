//! The MCP server of one session: rmcp's `ServerHandler` over the
//! [`DeskGateway`].

use std::sync::Arc;
use std::time::Duration;

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ElicitRequestParams,
    ElicitationAction, ElicitationSchema, Implementation, InitializeResult, JsonObject,
    ListResourcesResult, ListToolsResult, PaginatedRequestParams, ReadResourceRequestParams,
    ReadResourceResponse, ReadResourceResult, Resource, ResourceContents, ServerCapabilities,
};
use rmcp::service::{NotificationContext, RequestContext, RoleServer};
use rmcp::{ErrorData as McpError, ServerHandler};
use serde_json::{Value, json};

use super::catalog::{self, SEARCH_HELP};
use super::gateway::{Answer, Confirmation, DeskGateway};
use super::resources;
use super::results::{error_text, result_of};
use super::{CONFIRMATION_ARGUMENT, CONFIRMATION_META};

/// How long the server waits for the person to answer an elicitation.
const ELICITATION_TIMEOUT: Duration = Duration::from_secs(300);

/// Who an HTTP request acts for, put into the request by the bearer-key
/// check in front of the MCP endpoint.
#[derive(Debug, Clone)]
pub struct McpCaller {
    /// The key's customer; `None` for a staff key.
    pub customer_id: Option<String>,
}

/// One MCP session's server.
#[derive(Clone)]
pub struct DeskServer {
    gateway: Arc<DeskGateway>,
    /// The customer of every call (stdio, `--customer`); `None` takes it
    /// from each HTTP request's key.
    customer_id: Option<String>,
    /// This session's id, for the audit log and handoffs.
    session: String,
}

impl DeskServer {
    /// A session over `gateway` for `customer_id` (stdio), or for the key
    /// of each request (`None`, over HTTP).
    pub fn new(gateway: Arc<DeskGateway>, customer_id: Option<String>) -> Self {
        DeskServer {
            gateway,
            customer_id,
            session: format!("{:016x}", rand::random::<u64>()),
        }
    }

    /// The customer this request acts for: the session's, or its key's.
    fn customer(&self, context: &RequestContext<RoleServer>) -> Result<String, &'static str> {
        if let Some(customer) = &self.customer_id {
            return Ok(customer.clone());
        }
        let caller = context
            .extensions
            .get::<axum::http::request::Parts>()
            .and_then(|parts| parts.extensions.get::<McpCaller>());
        match caller {
            Some(McpCaller {
                customer_id: Some(customer),
            }) => Ok(customer.clone()),
            Some(McpCaller { customer_id: None }) => Err(
                "this is a staff key, and tools act for one customer: connect with that \
                 customer's key",
            ),
            None => Err(
                "no customer for this session: send `Authorization: Bearer KEY` with a customer key",
            ),
        }
    }

    async fn search(&self, args: &JsonObject) -> CallToolResult {
        let Some(query) = args.get("query").and_then(Value::as_str).map(str::trim) else {
            return error_text("search_help needs a \"query\": the question, in words");
        };
        if query.is_empty() {
            return error_text("search_help needs a non-empty \"query\"");
        }
        let limit = args.get("limit").and_then(Value::as_u64).unwrap_or(3) as usize;
        match self.gateway.search_help(query, limit).await {
            Err(reason) => error_text(&reason),
            Ok(hits) => {
                let passages: Vec<Value> = hits
                    .iter()
                    .map(|hit| {
                        json!({
                            "page": hit.source,
                            "uri": resources::help_uri(&hit.source),
                            "heading": hit.heading,
                            "text": hit.text,
                            "similarity": hit.similarity,
                        })
                    })
                    .collect();
                CallToolResult::structured(json!({ "passages": passages }))
            }
        }
    }

    /// Runs the call on a blocking thread (plugins and policies are
    /// synchronous).
    async fn run(
        &self,
        customer: &str,
        tool: &str,
        args: &Value,
        confirmation: Confirmation,
    ) -> Answer {
        let gateway = self.gateway.clone();
        let (session, customer, tool_name, args) = (
            self.session.clone(),
            customer.to_string(),
            tool.to_string(),
            args.clone(),
        );
        tokio::task::spawn_blocking(move || {
            gateway.call(&session, &customer, &tool_name, &args, confirmation)
        })
        .await
        .unwrap_or_else(|e| {
            Answer::Failed(crate::plugins::ToolError::Host {
                tool: tool.to_string(),
                detail: format!("the call stopped: {e}"),
            })
        })
    }

    /// Asks the person through the client whether to go ahead: `Some(true)`
    /// for yes, `Some(false)` for no, `None` when the client cannot ask.
    async fn elicit(&self, context: &RequestContext<RoleServer>, question: &str) -> Option<bool> {
        if !context
            .peer
            .supported_elicitation_modes()
            .contains(&rmcp::service::ElicitationMode::Form)
        {
            return None;
        }
        let schema = ElicitationSchema::builder()
            .required_bool("confirm")
            .build()
            .ok()?;
        let answer = context
            .peer
            .create_elicitation_with_timeout(
                ElicitRequestParams::FormElicitationParams {
                    meta: None,
                    message: question.to_string(),
                    requested_schema: schema,
                },
                Some(ELICITATION_TIMEOUT),
            )
            .await
            .map_err(|e| tracing::info!("elicitation not available, using a token: {e}"))
            .ok()?;
        Some(
            answer.action == ElicitationAction::Accept
                && answer
                    .content
                    .as_ref()
                    .and_then(|c| c.get("confirm"))
                    .and_then(Value::as_bool)
                    .unwrap_or(false),
        )
    }
}

impl ServerHandler for DeskServer {
    fn get_info(&self) -> InitializeResult {
        let capabilities = ServerCapabilities::builder()
            .enable_tools()
            .enable_tool_list_changed()
            .enable_resources()
            .build();
        InitializeResult::new(capabilities)
            .with_server_info(Implementation::new("deskhand", env!("CARGO_PKG_VERSION")))
            .with_instructions(format!(
                "The support desk of {}. Every tool acts for the customer this session belongs \
                 to, and only on that customer's data. Acting tools are judged by the \
                 business's policies: a denial says why; a call that needs the customer's \
                 confirmation does nothing until it is confirmed. search_help and the help:// \
                 resources hold the help centre.",
                self.gateway.business
            ))
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, McpError> {
        let gate = &self.gateway.gate;
        Ok(ListToolsResult::with_all_items(catalog::tools(
            gate.tools(),
            gate.policies(),
            self.gateway.knowledge.is_some(),
        )))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, McpError> {
        let customer = match self.customer(&context) {
            Ok(customer) => customer,
            Err(refusal) => return Ok(error_text(refusal).into()),
        };
        let mut args = request.arguments.clone().unwrap_or_default();
        if request.name == SEARCH_HELP && self.gateway.knowledge.is_some() {
            return Ok(self.search(&args).await.into());
        }
        // An unknown tool is a protocol error (the request cannot be routed).
        let plugin = self
            .gateway
            .gate
            .tools()
            .require(&request.name)
            .map_err(|e| McpError::invalid_params(e.to_string(), None))?;
        let mut token = request
            .meta
            .as_ref()
            .and_then(|meta| meta.0.0.get(CONFIRMATION_META))
            .and_then(Value::as_str)
            .map(str::to_string);
        if catalog::takes_token_argument(&plugin)
            && let Some(value) = args.remove(CONFIRMATION_ARGUMENT)
        {
            token = value.as_str().map(str::to_string).or(token);
        }
        let args = Value::Object(args);
        let tool = request.name.to_string();
        let confirmation = token.map_or(Confirmation::None, Confirmation::Token);
        let mut answer = self.run(&customer, &tool, &args, confirmation).await;
        if let Answer::NeedsConfirmation { reason, token, .. } = &answer
            && let Some(yes) = self.elicit(&context, &format!("{reason} Go ahead?")).await
        {
            // Either way the token is spent: the person has answered.
            let _ = self
                .gateway
                .confirmations
                .redeem(token, &customer, &tool, &args);
            answer = if yes {
                self.run(&customer, &tool, &args, Confirmation::Elicited)
                    .await
            } else {
                return Ok(CallToolResult::structured(json!({
                    "status": "declined",
                    "reason": "the customer did not confirm; nothing was done",
                }))
                .into());
            };
        }
        Ok(result_of(&tool, answer, catalog::takes_token_argument(&plugin)).into())
    }

    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, McpError> {
        let listed = resources::list(&self.gateway.help_dir, self.gateway.policies_file());
        Ok(ListResourcesResult::with_all_items(
            listed
                .into_iter()
                .map(|r| {
                    let mut raw = Resource::new(r.uri, r.name)
                        .with_mime_type(r.mime_type)
                        .with_size(r.size);
                    if let Some(title) = r.title {
                        raw = raw.with_title(title);
                    }
                    raw
                })
                .collect(),
        ))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, McpError> {
        let Some((resource, text)) = resources::read(
            &self.gateway.help_dir,
            self.gateway.policies_file(),
            &request.uri,
        ) else {
            return Err(McpError::resource_not_found(
                format!("no resource {:?}; resources/list names them", request.uri),
                None,
            ));
        };
        Ok(
            ReadResourceResult::new(vec![ResourceContents::TextResourceContents {
                uri: resource.uri,
                mime_type: Some(resource.mime_type.into()),
                text,
                meta: None,
            }])
            .into(),
        )
    }

    async fn on_initialized(&self, context: NotificationContext<RoleServer>) {
        // Every reload that changes the tools is announced while the
        // session lasts.
        let mut changes = self.gateway.gate.tools().changes();
        changes.mark_unchanged();
        let peer = context.peer.clone();
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    changed = changes.changed() => {
                        if changed.is_err() || peer.notify_tool_list_changed().await.is_err() {
                            break;
                        }
                    }
                    _ = tokio::time::sleep(Duration::from_secs(5)) => {
                        if peer.is_transport_closed() {
                            break;
                        }
                    }
                }
            }
        });
    }
}
