//! An evaluation context over the shared shop desk and models.

use deskhand::eval::EvalContext;

use super::agent::shared;

/// A context with the shop desk loaded, on the shared models.
pub fn shop_context() -> EvalContext {
    let shared = shared();
    let mut context = EvalContext::new(
        shared.engine.clone(),
        shared.embedder.clone(),
        shared.sandbox.clone(),
        shared.runtime.handle().clone(),
    );
    context
        .add_desk(
            shared.desk.clone(),
            shared.knowledge.clone(),
            shared.tools.clone(),
        )
        .expect("adding the shop desk");
    context
}
