//! The help centre's pages and the desk's policies as MCP resources.
//!
//! A resource is read only by a URI that the listing offers: the URI is
//! matched against the pages found, never turned into a path, so no URI
//! reaches a file outside the help centre.

use std::path::{Path, PathBuf};

/// The URI of the desk's policy configuration.
pub const POLICIES_URI: &str = "deskhand://policies/policies.toml";

/// The URI prefix of help-centre pages.
pub const HELP_PREFIX: &str = "deskhand://help/";

/// One resource the server offers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeskResource {
    pub uri: String,
    /// A short name: the page's file name.
    pub name: String,
    /// The page's first heading, if it has one.
    pub title: Option<String>,
    pub mime_type: &'static str,
    pub file: PathBuf,
    pub size: u64,
}

/// Every help page in `help_dir` (Markdown, sorted) and the policies.
pub fn list(help_dir: &Path, policies_file: &Path) -> Vec<DeskResource> {
    let mut pages = Vec::new();
    collect_pages(help_dir, help_dir, &mut pages);
    pages.sort_by(|a, b| a.uri.cmp(&b.uri));
    if policies_file.is_file() {
        pages.push(DeskResource {
            uri: POLICIES_URI.into(),
            name: "policies.toml".into(),
            title: Some("The desk's policies: which rules judge which tools".into()),
            mime_type: "application/toml",
            file: policies_file.to_path_buf(),
            size: size_of(policies_file),
        });
    }
    pages
}

/// The text of the resource `uri`, if the server offers it.
pub fn read(help_dir: &Path, policies_file: &Path, uri: &str) -> Option<(DeskResource, String)> {
    let resource = list(help_dir, policies_file)
        .into_iter()
        .find(|r| r.uri == uri)?;
    let text = std::fs::read_to_string(&resource.file).ok()?;
    Some((resource, text))
}

/// The URI of the help page at `source` (a path relative to the help centre).
pub fn help_uri(source: &str) -> String {
    format!("{HELP_PREFIX}{}", source.trim_start_matches("./"))
}

fn collect_pages(root: &Path, dir: &Path, pages: &mut Vec<DeskResource>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_pages(root, &path, pages);
        } else if path.extension().is_some_and(|e| e == "md") {
            let Ok(relative) = path.strip_prefix(root) else {
                continue;
            };
            let relative = relative.to_string_lossy().replace('\\', "/");
            pages.push(DeskResource {
                uri: help_uri(&relative),
                name: relative,
                title: first_heading(&path),
                mime_type: "text/markdown",
                size: size_of(&path),
                file: path,
            });
        }
    }
}

fn first_heading(path: &Path) -> Option<String> {
    let text = std::fs::read_to_string(path).ok()?;
    text.lines()
        .find_map(|line| line.strip_prefix("# "))
        .map(|heading| heading.trim().to_string())
}

fn size_of(path: &Path) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_are_offered_by_uri_and_nothing_else_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let help = dir.path().join("kb");
        std::fs::create_dir_all(help.join("billing")).unwrap();
        std::fs::write(help.join("returns.md"), "# Returns\nThirty days.").unwrap();
        std::fs::write(help.join("billing/invoices.md"), "# Invoices\nMonthly.").unwrap();
        std::fs::write(dir.path().join("secret.md"), "# Secret").unwrap();
        let policies = dir.path().join("policies.toml");
        std::fs::write(&policies, "[[policy]]").unwrap();

        let listed = list(&help, &policies);
        let uris: Vec<&str> = listed.iter().map(|r| r.uri.as_str()).collect();
        assert_eq!(
            uris,
            [
                "deskhand://help/billing/invoices.md",
                "deskhand://help/returns.md",
                POLICIES_URI
            ]
        );
        assert_eq!(listed[1].title.as_deref(), Some("Returns"));
        let (_, text) = read(&help, &policies, "deskhand://help/returns.md").unwrap();
        assert!(text.contains("Thirty days"));
        assert!(read(&help, &policies, "deskhand://help/../secret.md").is_none());
        assert!(read(&help, &policies, "file:///etc/passwd").is_none());
    }
}
