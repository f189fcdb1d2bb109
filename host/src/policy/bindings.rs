//! Rust bindings for the `policy` world in `wit/`. Policies are linked with
//! the plugin sandbox's linker (they import only `log` and WASI, which it
//! already offers), so only the export side of these bindings is used.

wasmtime::component::bindgen!({
    path: "../wit",
    world: "policy",
    imports: { default: trappable },
});

pub use self::deskhand::plugin::policy_types as types;
pub use self::deskhand::plugin::tool_types::Effect as WitEffect;
