//! A desk: one business's support desk, a folder described by `desk.toml`.
//!
//! Everything the agent knows about a business comes from its desk and its
//! tools' manifests, never from the host: the business's name and the
//! assistant's voice, the example messages of the routes that are not tools,
//! the thresholds, the words a model sentence may not use, which plugins
//! load with which grants, the policies, the help centre, the seed data and
//! the scenario suites. Paths in `desk.toml` are relative to its folder.
//!
//! ```toml
//! [business]
//! name = "Lumen Telecom"
//!
//! [voice]
//! capabilities = "I can check your line, report an outage, book a technician …"
//!
//! [routes]
//! small_talk = ["hi", "thanks!"]
//!
//! [plugins]
//! load = ["line_status", "report_outage"]
//!
//! [mcp_servers.crm]
//! command = ["python3", "servers/crm.py"]
//! ```
//!
//! The shipped desks live in the repository's `desks/`; the demo shop is the
//! default. Copying a desk's folder is how a business starts its own.

mod file;
mod mcp_servers;
mod voice;

use std::path::{Path, PathBuf};

pub use file::DeskFile;
pub use mcp_servers::{McpServerSection, McpServerSpec, McpTransport};
pub use voice::{Voice, render};

use crate::plugins::PluginPaths;
use crate::policy::PolicyPaths;

/// The name of a desk's description file.
pub const DESK_FILE: &str = "desk.toml";

/// The desk used when none is chosen.
pub const DEFAULT_DESK: &str = "shop";

/// Why a desk could not be loaded.
#[derive(Debug, Clone, thiserror::Error)]
pub enum DeskError {
    /// The folder has no `desk.toml`.
    #[error("{0} is not a desk: it has no desk.toml (copy desks/shop to start one)")]
    NotADesk(PathBuf),
    /// `desk.toml` cannot be read.
    #[error("reading {path}: {reason}")]
    Read { path: PathBuf, reason: String },
    /// `desk.toml` is not valid.
    #[error("{path}: {reason}")]
    Invalid { path: PathBuf, reason: String },
}

/// The example messages of the routes that are not tools.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RouteExamples {
    /// Questions for the help centre, beyond the headings of its pages.
    pub knowledge: Vec<String>,
    pub small_talk: Vec<String>,
    pub human: Vec<String>,
    pub out_of_scope: Vec<String>,
}

/// The similarities routing and answers depend on.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Thresholds {
    /// Below this similarity to every route a message is out of scope.
    pub out_of_scope: f32,
    /// When the two best routes are this close, the model chooses.
    pub tie_margin: f32,
    /// Below this similarity a help-centre passage is not trusted.
    pub knowledge: f32,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            out_of_scope: 0.30,
            tie_margin: 0.02,
            knowledge: 0.40,
        }
    }
}

/// Words a sentence written by the model may not use.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Claims {
    /// Stems of actions the business takes ("ship", "reset").
    pub actions: Vec<String>,
    /// Whole words of the business's facts ("order", "invoice").
    pub words: Vec<String>,
}

/// A loaded desk.
#[derive(Debug, Clone)]
pub struct Desk {
    /// The desk's folder.
    pub root: PathBuf,
    /// The folder's name ("shop"), as scenarios and reports name the desk.
    pub id: String,
    /// The business's name.
    pub name: String,
    /// The language it speaks.
    pub language: String,
    pub voice: Voice,
    pub routes: RouteExamples,
    pub thresholds: Thresholds,
    pub claims: Claims,
    /// The tool components and their grants.
    pub plugins: PluginPaths,
    /// The policy configuration, components and test cases.
    pub policies: PolicyPaths,
    /// The help centre's Markdown pages.
    pub kb_dir: PathBuf,
    /// The seed data of an empty store.
    pub seed: PathBuf,
    /// Scenario files or folders.
    pub scenarios: Vec<PathBuf>,
    /// Labelled retrieval questions.
    pub retrieval: PathBuf,
    /// Reply templates, `<tool>.j2`, overriding the tools' own.
    pub replies: PathBuf,
    /// A LoRA adapter for the chat model (`[model] adapter`), if set.
    pub adapter: Option<PathBuf>,
    /// External MCP servers whose tools join the desk (`[mcp_servers.NAME]`).
    pub mcp_servers: Vec<McpServerSpec>,
}

impl Desk {
    /// Loads the desk in `dir`.
    pub fn load(dir: &Path) -> Result<Desk, DeskError> {
        let path = dir.join(DESK_FILE);
        if !path.is_file() {
            return Err(DeskError::NotADesk(dir.to_path_buf()));
        }
        // One spelling of the folder ("desks/../desks/shop", ".") so that its
        // name and the paths inside it compare as they should.
        let dir = &std::fs::canonicalize(dir).map_err(|e| DeskError::Read {
            path: dir.to_path_buf(),
            reason: e.to_string(),
        })?;
        let path = dir.join(DESK_FILE);
        let text = std::fs::read_to_string(&path).map_err(|e| DeskError::Read {
            path: path.clone(),
            reason: e.to_string(),
        })?;
        let file: DeskFile = toml::from_str(&text).map_err(|e| DeskError::Invalid {
            path: path.clone(),
            reason: e.to_string(),
        })?;
        Self::from_file(dir, file).map_err(|reason| DeskError::Invalid { path, reason })
    }

    /// The shipped desk `name` (a folder of the repository's `desks/`).
    pub fn shipped(name: &str) -> Result<Desk, DeskError> {
        Self::load(&shipped_desks_dir().join(name))
    }

    /// The default desk, the demo shop.
    pub fn default_desk() -> Result<Desk, DeskError> {
        Self::shipped(DEFAULT_DESK)
    }

    fn from_file(dir: &Path, file: DeskFile) -> Result<Desk, String> {
        let business = file.business.name.trim();
        if business.is_empty() {
            return Err("[business] name must not be empty".into());
        }
        let language = file.business.language.unwrap_or_else(|| "en".into());
        if !language.starts_with("en") {
            return Err(format!(
                "[business] language {language:?} is not supported yet; deskhand speaks English (\"en\")"
            ));
        }
        let at = |relative: Option<&String>, default: &str| -> PathBuf {
            dir.join(relative.map(String::as_str).unwrap_or(default))
        };
        let defaults = Thresholds::default();
        let thresholds = Thresholds {
            out_of_scope: file
                .thresholds
                .out_of_scope
                .unwrap_or(defaults.out_of_scope),
            tie_margin: file.thresholds.tie_margin.unwrap_or(defaults.tie_margin),
            knowledge: file.thresholds.knowledge.unwrap_or(defaults.knowledge),
        };
        for (name, value) in [
            ("out_of_scope", thresholds.out_of_scope),
            ("tie_margin", thresholds.tie_margin),
            ("knowledge", thresholds.knowledge),
        ] {
            if !(0.0..=1.0).contains(&value) {
                return Err(format!(
                    "[thresholds] {name} = {value} must be between 0 and 1"
                ));
            }
        }
        let mut plugins = match &file.plugins.dir {
            Some(modules) => PluginPaths::dir(dir.join(modules)),
            None => PluginPaths::builtin(),
        }
        .with_grants(at(file.plugins.grants.as_ref(), "plugins.toml"));
        if let Some(names) = file.plugins.load.clone() {
            plugins = plugins.only(names);
        }
        let mut policies =
            PolicyPaths::config(at(file.policies.config.as_ref(), "policies/policies.toml"));
        if let Some(modules) = &file.policies.dir {
            policies.modules = dir.join(modules);
        }
        let scenarios = match &file.eval.scenarios {
            Some(list) => list.iter().map(|p| dir.join(p)).collect(),
            None => vec![dir.join("scenarios")],
        };
        let mcp_servers = mcp_servers::validate(dir, &file.mcp_servers)?;
        Ok(Desk {
            root: dir.to_path_buf(),
            id: dir
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| business.to_string()),
            name: business.to_string(),
            language,
            voice: Voice::new(business, &file.voice)?,
            routes: RouteExamples {
                knowledge: file.routes.knowledge,
                small_talk: file.routes.small_talk,
                human: file.routes.human,
                out_of_scope: file.routes.out_of_scope,
            },
            thresholds,
            claims: Claims {
                actions: file.claims.actions,
                words: file.claims.words,
            },
            plugins,
            policies,
            kb_dir: at(file.knowledge.dir.as_ref(), "kb"),
            seed: at(file.data.seed.as_ref(), "seed.json"),
            scenarios,
            retrieval: at(file.eval.retrieval.as_ref(), "retrieval/questions.yaml"),
            replies: dir.join("replies"),
            adapter: file.model.adapter.as_ref().map(|a| dir.join(a)),
            mcp_servers,
        })
    }
}

/// The repository's `desks/` folder.
pub fn shipped_desks_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../desks")
}

/// Every shipped desk, sorted by name.
pub fn shipped_desks() -> Result<Vec<Desk>, DeskError> {
    let dir = shipped_desks_dir();
    let entries = std::fs::read_dir(&dir).map_err(|e| DeskError::Read {
        path: dir.clone(),
        reason: e.to_string(),
    })?;
    let mut folders: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join(DESK_FILE).is_file())
        .collect();
    folders.sort();
    folders.iter().map(|f| Desk::load(f)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, text: &str) {
        std::fs::write(dir.join(DESK_FILE), text).unwrap();
    }

    #[test]
    fn a_minimal_desk_takes_every_default_relative_to_its_folder() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "[business]\nname = \"Clinic\"\n");
        let desk = Desk::load(dir.path()).unwrap();
        let root = std::fs::canonicalize(dir.path()).unwrap();
        assert_eq!(desk.name, "Clinic");
        assert_eq!(desk.kb_dir, root.join("kb"));
        assert_eq!(desk.seed, root.join("seed.json"));
        assert_eq!(desk.policies.config, root.join("policies/policies.toml"));
        assert_eq!(desk.policies.tests, root.join("policies/tests"));
        assert_eq!(desk.thresholds, Thresholds::default());
        assert!(desk.voice.greeting.contains("Clinic"));
    }

    #[test]
    fn mistakes_are_named() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(
            Desk::load(dir.path()),
            Err(DeskError::NotADesk(_))
        ));
        write(
            dir.path(),
            "[business]\nname = \"X\"\n[routes]\nsmalltalk = []\n",
        );
        let error = Desk::load(dir.path()).unwrap_err().to_string();
        assert!(error.contains("smalltalk"), "{error}");
        write(
            dir.path(),
            "[business]\nname = \"X\"\n[thresholds]\nknowledge = 4.0\n",
        );
        let error = Desk::load(dir.path()).unwrap_err().to_string();
        assert!(error.contains("between 0 and 1"), "{error}");
        write(dir.path(), "[business]\nname = \"X\"\nlanguage = \"de\"\n");
        let error = Desk::load(dir.path()).unwrap_err().to_string();
        assert!(error.contains("English"), "{error}");
    }

    #[test]
    fn the_shipped_desks_load() {
        let desks = shipped_desks().unwrap();
        assert!(desks.iter().any(|d| d.id == DEFAULT_DESK));
        for desk in &desks {
            assert!(desk.kb_dir.is_dir(), "{}: no kb", desk.id);
            assert!(desk.seed.is_file(), "{}: no seed", desk.id);
            assert!(desk.policies.config.is_file(), "{}: no policies", desk.id);
        }
    }
}
