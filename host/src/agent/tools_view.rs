//! What the agent reads from the loaded tools, worked out once per catalog
//! rather than on every message: each tool's argument properties (their
//! patterns compiled), its action words, and the checks on model sentences.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::arguments::{self, Kind, Property};
use super::sentences::{self, SentenceCheck};
use crate::desk::Claims;
use crate::plugins::Catalog;

/// One tool, as routing and argument filling see it.
pub(super) struct ToolView {
    pub(super) properties: Vec<Property>,
    /// Stems of its name's and description's first words ("report").
    pub(super) stems: Vec<String>,
    /// The stems that are its action: words the name and the description
    /// share ("report" for report_outage, none for line_status).
    pub(super) verbs: Vec<String>,
    /// Whether it requires a value as specific as a date, an amount or a choice.
    pub(super) specific: bool,
}

/// The view of one catalog.
pub(super) struct ToolsView {
    catalog: Arc<Catalog>,
    tools: BTreeMap<String, ToolView>,
    pub(super) sentences: SentenceCheck,
}

impl ToolsView {
    /// The view of `catalog` for a desk with these `claims`.
    pub(super) fn new(catalog: Arc<Catalog>, claims: &Claims) -> Self {
        let tools = catalog
            .plugins()
            .map(|plugin| {
                let manifest = plugin.manifest();
                let stems = sentences::action_stems(&manifest.name, &manifest.description);
                let name_words: Vec<&str> = manifest.name.split('_').collect();
                let description = manifest.description.to_lowercase();
                let verbs = stems
                    .iter()
                    .filter(|s| name_words.iter().any(|w| w.starts_with(s.as_str())))
                    .filter(|s| description.starts_with(s.as_str()))
                    .cloned()
                    .collect();
                let properties = arguments::properties(manifest.params.source());
                let specific = properties.iter().any(|p| {
                    p.required
                        && matches!(
                            p.kind,
                            Kind::Amount { .. } | Kind::Date | Kind::Choice { .. }
                        )
                });
                let view = ToolView {
                    properties,
                    stems,
                    verbs,
                    specific,
                };
                (manifest.name.clone(), view)
            })
            .collect();
        ToolsView {
            sentences: SentenceCheck::new(&catalog, claims),
            catalog,
            tools,
        }
    }

    /// Whether this view was made for `catalog`.
    pub(super) fn is_for(&self, catalog: &Arc<Catalog>) -> bool {
        Arc::ptr_eq(&self.catalog, catalog)
    }

    /// Every tool, by name.
    pub(super) fn tools(&self) -> impl Iterator<Item = (&String, &ToolView)> {
        self.tools.iter()
    }

    /// The argument properties of `tool` (none for an unknown tool).
    pub(super) fn properties(&self, tool: &str) -> &[Property] {
        self.tools
            .get(tool)
            .map(|t| t.properties.as_slice())
            .unwrap_or_default()
    }
}
