//! Rust bindings for the WIT package in `wit/`: the one place the host runs
//! `bindgen!`. The `tool` world is generated in full; the `policy` world
//! reuses its shared interfaces (`tool-types`, `log`), so an `Effect` or a
//! log level is one Rust type wherever it appears.

/// The `tool` world: what a plugin imports (records, http, config, clock,
/// log) and exports (manifest, invoke, facts).
pub mod tool {
    wasmtime::component::bindgen!({
        path: "../wit",
        world: "tool",
        // Every import may fail on the host side (the store can be
        // unavailable); such a failure traps the guest and is reported as a
        // host error, while business refusals travel back as WIT `result`
        // errors. `tracing` gives every import call a span.
        imports: { default: trappable | tracing },
    });
}

/// The `policy` world: manifest and evaluate, importing only `log`.
pub mod policy {
    wasmtime::component::bindgen!({
        path: "../wit",
        world: "policy",
        imports: { default: trappable },
        with: {
            "deskhand:plugin/tool-types": super::tool::deskhand::plugin::tool_types,
            "deskhand:plugin/log": super::tool::deskhand::plugin::log,
        },
    });
}

pub use policy::deskhand::plugin::policy_types;
pub use tool::deskhand::plugin::tool_types::{
    Effect as WitEffect, ToolManifest as WitToolManifest,
};
pub use tool::deskhand::plugin::{clock, config, http, log, records, tool_types};
