//! Rust bindings for the `tool` world in `wit/`. This is the one place the
//! host runs `bindgen!` over the tool contract.

wasmtime::component::bindgen!({
    path: "../wit",
    world: "tool",
    // Every import may fail on the host side (the store can be unavailable);
    // such a failure traps the guest and is reported as a host error, while
    // business refusals travel back as WIT `result` errors.
    imports: { default: trappable | tracing },
});

pub use self::deskhand::plugin::tool_types::{
    Effect as WitEffect, ToolManifest as WitToolManifest,
};
pub use self::deskhand::plugin::{clock, log, orders};
