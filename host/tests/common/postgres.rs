//! A real PostgreSQL for the tests: the server `.ci/run` starts
//! (`DESKHAND_TEST_POSTGRES`, a URL whose user may create databases), or
//! else a throwaway cluster this process starts with `.ci/postgres` the
//! first time one is asked for. Every caller gets a fresh, empty database.

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

/// The variable naming the server the tests may create databases on.
pub const SERVER_VARIABLE: &str = "DESKHAND_TEST_POSTGRES";

/// The URL of the server (without a database), started on first use.
pub fn server() -> &'static str {
    static SERVER: OnceLock<String> = OnceLock::new();
    SERVER.get_or_init(|| {
        if let Ok(url) = std::env::var(SERVER_VARIABLE)
            && !url.is_empty()
        {
            return url;
        }
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
        let dir = std::env::temp_dir().join(format!("deskhand-test-pg-{}", std::process::id()));
        let port = super::free_port();
        let output = Command::new(root.join(".ci/postgres"))
            .args(["start", &dir.display().to_string(), &port.to_string()])
            .output()
            .expect("running .ci/postgres");
        assert!(
            output.status.success(),
            "these tests need PostgreSQL: set {SERVER_VARIABLE}=postgres://USER@HOST:PORT/postgres, \
             or install Debian's postgresql so .ci/postgres can start a throwaway cluster: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap().trim().to_string()
    })
}

/// A new empty database on the server; its URL.
pub fn fresh_database() -> String {
    let server = server();
    let name = format!("deskhand_test_{:016x}", rand::random::<u64>());
    let status = Command::new("psql")
        .args([server, "-qAt", "-v", "ON_ERROR_STOP=1", "-c"])
        .arg(format!("CREATE DATABASE {name}"))
        .status()
        .expect("running psql");
    assert!(status.success(), "creating the database {name} on {server}");
    deskhand::store::with_database(server, &name)
}

/// Runs one SQL statement on the database at `url`; its output, one row a line.
pub fn psql(url: &str, sql: &str) -> String {
    let output = Command::new("psql")
        .args([url, "-qAt", "-v", "ON_ERROR_STOP=1", "-c", sql])
        .output()
        .expect("running psql");
    assert!(
        output.status.success(),
        "psql {sql:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap().trim().to_string()
}
