//! A trial's own copy of its desk's policy configuration, with the
//! scenario's parameter overrides, rewritten on a live change.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use crate::policy::PolicyPaths;

/// A trial's own copy of the policy configuration.
pub(super) struct TrialPolicies {
    pub(super) paths: PolicyPaths,
    base: toml::Table,
}

impl TrialPolicies {
    /// Copies the base configuration into `dir` with `overrides` applied.
    pub(super) fn write(
        base: &PolicyPaths,
        dir: &Path,
        overrides: &BTreeMap<String, BTreeMap<String, Value>>,
    ) -> Result<Self, String> {
        let text = std::fs::read_to_string(&base.config)
            .map_err(|e| format!("reading {}: {e}", base.config.display()))?;
        let table: toml::Table =
            toml::from_str(&text).map_err(|e| format!("{}: {e}", base.config.display()))?;
        let tests = dir.join("tests");
        std::fs::create_dir_all(&tests).map_err(|e| e.to_string())?;
        let file = TrialPolicies {
            paths: PolicyPaths {
                config: dir.join("policies.toml"),
                modules: base.modules.clone(),
                tests,
            },
            base: table,
        };
        file.rewrite(overrides)?;
        Ok(file)
    }

    pub(super) fn rewrite(
        &self,
        overrides: &BTreeMap<String, BTreeMap<String, Value>>,
    ) -> Result<(), String> {
        let mut table = self.base.clone();
        for (policy, params) in overrides {
            let entry = table
                .get_mut(policy)
                .and_then(|e| e.as_table_mut())
                .ok_or_else(|| {
                    format!(
                        "there is no policy [{policy}] to change; the policies are: {}",
                        self.base.keys().cloned().collect::<Vec<_>>().join(", ")
                    )
                })?;
            let current = entry
                .entry("params")
                .or_insert_with(|| toml::Value::Table(toml::Table::new()));
            let current = current
                .as_table_mut()
                .ok_or_else(|| format!("[{policy}] params is not a table"))?;
            for (key, value) in params {
                let value: toml::Value = serde_json::from_value(value.clone())
                    .map_err(|e| format!("[{policy}] {key}: {e}"))?;
                current.insert(key.clone(), value);
            }
        }
        let text = toml::to_string(&table).map_err(|e| e.to_string())?;
        std::fs::write(&self.paths.config, text).map_err(|e| format!("writing the policies: {e}"))
    }
}
