//! `track_order`: where an order is, with carrier, tracking number and dates.

use deskhand_plugin_sdk::{
    Effect, Guest, ORDER_ID_SCHEMA, ORDER_VIEW_SCHEMA, OrderView, ToolError, ToolManifest,
    export_tool, orders, parse_args, to_json,
};
use serde::Deserialize;

#[derive(Deserialize)]
struct Args {
    order_id: String,
}

struct TrackOrder;

impl Guest for TrackOrder {
    fn manifest() -> ToolManifest {
        ToolManifest {
            name: "track_order".into(),
            description: "Look up one of the customer's orders: its status, carrier, tracking \
                          number, shipping and delivery dates and estimated delivery."
                .into(),
            params_schema: format!(
                r#"{{"type": "object", "required": ["order_id"], "additionalProperties": false,
                    "properties": {{"order_id": {ORDER_ID_SCHEMA}}}}}"#
            ),
            result_schema: ORDER_VIEW_SCHEMA.into(),
            effect: Effect::ReadOnly,
            version: env!("CARGO_PKG_VERSION").into(),
            examples: vec!["where is my order 1001?".into(), "track order 1006".into(), "has my package shipped yet?".into(), "when will order 1012 arrive?".into(), "what's the status of my order".into(), "tracking number for my last order please".into(), "is my parcel on its way".into(), "where's my stuff, it still hasn't come".into()],
        }
    }

    fn invoke(args: String) -> Result<String, ToolError> {
        let args: Args = parse_args(&args)?;
        let order = orders::get_order(&args.order_id)
            .ok_or_else(|| ToolError::order_not_found(&args.order_id))?;
        to_json(&OrderView::from(&order))
    }
}

export_tool!(TrackOrder);
