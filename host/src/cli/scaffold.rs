//! `deskhand plugin new NAME [--lang rust|python|js]` and `deskhand policy
//! new NAME`: a new plugin or policy from its template, ready to build
//! (`cargo build` for Rust, `deskhand plugin build` for Python and
//! JavaScript).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::Subcommand;

use super::plugin_build::Lang;

#[derive(Subcommand)]
pub enum PluginCommand {
    /// Create plugins/NAME from the template, add it to the workspace, grant
    /// it its own collection NAME in the desk's plugins.toml and load it in
    /// the desk.
    New {
        /// The tool's snake_case name, e.g. delivery_address.
        name: String,
        /// The plugins workspace (default: the repository's plugins/).
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
        /// The language to write it in.
        #[arg(long, value_enum, default_value = "rust")]
        lang: Lang,
    },
    /// Build the plugin in DIR (Rust, Python or JavaScript) into a component
    /// in the plugins folder.
    Build {
        /// The plugin's folder (with Cargo.toml, app.py or app.js).
        dir: PathBuf,
        /// Where the component goes: a .wasm file or a folder (default: the
        /// folder the desk loads plugins from).
        #[arg(long, value_name = "PATH")]
        out: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
pub enum PolicyCommand {
    /// Create policies/NAME from the template, add it to the workspace and
    /// add a disabled section for it to the desk's policies.toml.
    New {
        /// The policy's kebab-case name, e.g. max-order-value.
        name: String,
        /// The policies workspace (default: the repository's policies/).
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
}

fn repository(folder: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(folder)
}

fn is_snake_case(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some('a'..='z'))
        && name.len() <= 64
        && chars.all(|c| matches!(c, 'a'..='z' | '0'..='9' | '_'))
        && !name.ends_with('_')
}

/// `delivery_address` as `DeliveryAddress`.
fn camel_case(snake: &str) -> String {
    snake
        .split('_')
        .filter(|part| !part.is_empty())
        .map(|part| {
            let mut chars = part.chars();
            let first = chars.next().map(|c| c.to_ascii_uppercase());
            first.into_iter().chain(chars).collect::<String>()
        })
        .collect()
}

/// Copies the template folder, replacing each `(from, to)` in every file.
fn copy_template(from: &Path, to: &Path, replace: &[(&str, String)]) -> anyhow::Result<()> {
    for entry in walk(from)? {
        let relative = entry.strip_prefix(from).expect("inside the template");
        let target = to.join(relative);
        if entry.is_dir() {
            std::fs::create_dir_all(&target)?;
            continue;
        }
        let mut text = std::fs::read_to_string(&entry)
            .with_context(|| format!("reading {}", entry.display()))?;
        for (pattern, value) in replace {
            text = text.replace(pattern, value);
        }
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&target, text).with_context(|| format!("writing {}", target.display()))?;
    }
    Ok(())
}

fn walk(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let path = entry?.path();
        // Build output is not part of a template.
        if path
            .file_name()
            .is_some_and(|n| n == "target" || n == "__pycache__" || n == "node_modules")
        {
            continue;
        }
        out.push(path.clone());
        if path.is_dir() {
            out.extend(walk(&path)?);
        }
    }
    Ok(out)
}

/// Creates the crate `member` of `workspace` from its `_template` folder
/// with `replace` applied, and adds it to the workspace; refuses to touch an
/// existing folder.
fn scaffold(workspace: &Path, member: &str, replace: &[(&str, String)]) -> anyhow::Result<PathBuf> {
    scaffold_from(workspace, "_template", member, replace, true)
}

/// Creates `member` of `workspace` from the template folder `template`;
/// a Rust crate (`cargo_member`) is also added to the workspace.
fn scaffold_from(
    workspace: &Path,
    template: &str,
    member: &str,
    replace: &[(&str, String)],
    cargo_member: bool,
) -> anyhow::Result<PathBuf> {
    let target = workspace.join(member);
    if target.exists() {
        bail!("{} already exists; pick another name", target.display());
    }
    // A Rust crate comes from its workspace's template; the Python and
    // JavaScript templates are the repository's.
    let template = if cargo_member {
        workspace.join(template)
    } else {
        repository("plugins").join(template)
    };
    copy_template(&template, &target, replace)
        .with_context(|| format!("copying the template {}", template.display()))?;
    if cargo_member {
        add_member(workspace, member)?;
    }
    Ok(target)
}

/// Adds `member` to the `members` list of the workspace's Cargo.toml, before
/// the template and the test crates.
fn add_member(workspace: &Path, member: &str) -> anyhow::Result<()> {
    let path = workspace.join("Cargo.toml");
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let entry = format!("    \"{member}\",\n");
    let start = text
        .find("members = [")
        .with_context(|| format!("{} has no `members = [` list", path.display()))?;
    let end = start
        + text[start..]
            .find(']')
            .context("an unterminated members list")?;
    let list = &text[start..end];
    if list.contains(&format!("\"{member}\"")) {
        return Ok(());
    }
    let at = ["\"_template\"", "\"testing/"]
        .iter()
        .filter_map(|needle| list.find(needle))
        .min()
        .map(|i| start + list[..i].rfind('\n').map_or(i, |n| n + 1))
        .unwrap_or(end);
    let mut updated = text.clone();
    updated.insert_str(at, &entry);
    std::fs::write(&path, updated).with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

fn append(path: &Path, section: &str) -> anyhow::Result<()> {
    let mut text = std::fs::read_to_string(path).unwrap_or_default();
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    text.push_str(section);
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
}

pub fn run_plugin(global: &super::GlobalArgs, command: PluginCommand) -> anyhow::Result<ExitCode> {
    let (name, dir, lang) = match command {
        PluginCommand::New { name, dir, lang } => (name, dir, lang),
        PluginCommand::Build { dir, out } => {
            let out = match out {
                Some(out) => out,
                None => global.plugin_paths()?.modules,
            };
            return super::plugin_build::build(&dir, &out);
        }
    };
    if !is_snake_case(&name) {
        bail!(
            "{name:?} is not a tool name: use snake_case (a lowercase letter, then lowercase \
             letters, digits or underscores), e.g. delivery_address"
        );
    }
    let desk = global.desk()?;
    let in_repository = dir.is_none();
    // A workspace of one's own keeps its grants beside it; the repository's
    // plugins are granted (and loaded) by the desk.
    let (workspace, grants) = match dir {
        Some(dir) => (dir.clone(), dir.join("plugins.toml")),
        None => (
            repository("plugins"),
            desk.plugins
                .grants
                .clone()
                .unwrap_or_else(|| desk.root.join("plugins.toml")),
        ),
    };
    let replace = [("MyTool", camel_case(&name)), ("my_tool", name.clone())];
    let (target, source, build) = match lang {
        Lang::Rust => (
            scaffold(&workspace, &name, &replace)?,
            "src/lib.rs",
            "cargo build   (the plugin is built to wasm with deskhand)".to_string(),
        ),
        Lang::Python => (
            scaffold_from(&workspace, "_template_python", &name, &replace, false)?,
            "app.py",
            format!("deskhand plugin build {}", workspace.join(&name).display()),
        ),
        Lang::Js => (
            scaffold_from(&workspace, "_template_js", &name, &replace, false)?,
            "app.js",
            format!("deskhand plugin build {}", workspace.join(&name).display()),
        ),
    };
    // A workspace of one's own is loaded with --plugins; the desk is not edited.
    if in_repository && desk.plugins.only.is_some() {
        load_in_desk(&desk.root.join(deskhand::desk::DESK_FILE), &name)?;
        println!("  loaded by the desk {}", desk.root.display());
    }
    append(
        &grants,
        &format!(
            "\n# Added by `deskhand plugin new {name}`: its own collection, nothing else.\n\
             [plugins.{name}]\nrecords = {{ {name} = \"read-write\" }}\n"
        ),
    )?;
    println!("created {}", target.display());
    println!("  edit   {}", target.join(source).display());
    println!(
        "  grant  more in {} (records, http, settings, secrets)",
        grants.display()
    );
    println!("  build  {build}");
    println!(
        "  try    deskhand tools call {name} --customer C001 --args '{{\"value\": \"hello\"}}'"
    );
    Ok(ExitCode::SUCCESS)
}

pub fn run_policy(global: &super::GlobalArgs, command: PolicyCommand) -> anyhow::Result<ExitCode> {
    let PolicyCommand::New { name, dir } = command;
    let crate_name = name.replace('-', "_");
    if !is_snake_case(&crate_name) || name.contains('_') {
        bail!(
            "{name:?} is not a policy name: use kebab-case (lowercase letters, digits and \
             dashes), e.g. max-order-value"
        );
    }
    let (workspace, config) = match dir {
        Some(dir) => (dir.clone(), dir.join("policies.toml")),
        None => (repository("policies"), global.desk()?.policies.config),
    };
    let target = scaffold(
        &workspace,
        &crate_name,
        &[
            ("MyPolicy", camel_case(&crate_name)),
            ("my_policy", crate_name.clone()),
            ("my-policy", name.clone()),
        ],
    )?;
    append(
        &config,
        &format!(
            "\n# Added by `deskhand policy new {name}`; set enabled = true once its test cases pass.\n\
             [{name}]\nenabled = false\nparams = {{ max_amount = 500.0 }}\n"
        ),
    )?;
    println!("created {}", target.display());
    println!("  edit   {}", target.join("src/lib.rs").display());
    println!(
        "  test   add cases to {}",
        config
            .parent()
            .unwrap_or(Path::new("."))
            .join("tests")
            .display()
    );
    println!("  enable [{name}] in {}", config.display());
    println!("  build  cargo build");
    Ok(ExitCode::SUCCESS)
}

/// Adds `name` to the `load = [...]` list of the desk file at `path`.
fn load_in_desk(path: &Path, name: &str) -> anyhow::Result<()> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let quoted = format!("\"{name}\"");
    let Some(start) = text.find("load = [") else {
        bail!(
            "{} has no `load = [...]` list under [plugins] to add {name} to",
            path.display()
        );
    };
    let list_end = text[start..]
        .find(']')
        .map(|e| start + e)
        .unwrap_or(text.len());
    if text[start..list_end].contains(&quoted) {
        return Ok(());
    }
    let at = start + "load = [".len();
    let separator = if text[at..list_end].trim().is_empty() {
        ""
    } else {
        ", "
    };
    let updated = format!("{}{quoted}{separator}{}", &text[..at], &text[at..]);
    std::fs::write(path, updated).with_context(|| format!("writing {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_converted() {
        assert_eq!(camel_case("delivery_address"), "DeliveryAddress");
        assert!(is_snake_case("delivery_address"));
        assert!(!is_snake_case("Delivery") && !is_snake_case("a-b") && !is_snake_case("x_"));
    }

    #[test]
    fn members_are_added_before_the_template() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("Cargo.toml"),
            "[workspace]\nmembers = [\n    \"sdk\",\n    \"refund\",\n    \"_template\",\n    \"testing/hostile\",\n]\n",
        )
        .unwrap();
        add_member(dir.path(), "delivery_address").unwrap();
        add_member(dir.path(), "delivery_address").unwrap();
        let text = std::fs::read_to_string(dir.path().join("Cargo.toml")).unwrap();
        assert_eq!(
            text,
            "[workspace]\nmembers = [\n    \"sdk\",\n    \"refund\",\n    \"delivery_address\",\n    \"_template\",\n    \"testing/hostile\",\n]\n"
        );
    }
}
