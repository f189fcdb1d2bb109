//! A plugin author's first hour: `deskhand plugin new`, a build, a call
//! through `tools call`; and a business's own data through `deskhand data`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn deskhand(data_dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_deskhand"))
        .args(args)
        .env("DESKHAND_DATA_DIR", data_dir)
        .env("DESKHAND_NOW", "2026-06-15T12:00:00Z")
        .env_remove("DESKHAND_PLUGINS")
        .env_remove("DESKHAND_PLUGIN_GRANTS")
        .output()
        .expect("running deskhand")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap();
        if name == "target" {
            continue;
        }
        if path.is_dir() {
            copy_tree(&path, &to.join(name));
        } else {
            std::fs::copy(&path, to.join(name)).unwrap();
        }
    }
}

/// The repository's root.
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

#[test]
fn a_new_plugin_keeps_and_returns_a_customers_delivery_address() {
    // A private copy of the plugins workspace and the WIT it builds against.
    let work = tempfile::tempdir().unwrap();
    copy_tree(&root().join("wit"), &work.path().join("wit"));
    copy_tree(&root().join("plugins"), &work.path().join("plugins"));
    let plugins = work.path().join("plugins");
    let data = work.path().join("data");

    let created = deskhand(
        &data,
        &[
            "plugin",
            "new",
            "delivery_address",
            "--dir",
            plugins.to_str().unwrap(),
        ],
    );
    assert!(created.status.success(), "{}", text(&created.stderr));
    let source = std::fs::read_to_string(plugins.join("delivery_address/src/lib.rs")).unwrap();
    assert!(source.contains("\"delivery_address\"") && source.contains("DeliveryAddress"));
    let members = std::fs::read_to_string(plugins.join("Cargo.toml")).unwrap();
    assert!(members.contains("\"delivery_address\","), "{members}");
    let grants = std::fs::read_to_string(plugins.join("plugins.toml")).unwrap();
    assert!(grants.contains("[plugins.delivery_address]"), "{grants}");
    // A second time is refused: nothing is overwritten.
    let again = deskhand(
        &data,
        &[
            "plugin",
            "new",
            "delivery_address",
            "--dir",
            plugins.to_str().unwrap(),
        ],
    );
    assert!(!again.status.success());
    assert!(text(&again.stderr).contains("already exists"));

    // Build it for wasm32-wasip2, sharing the compiled dependencies of the
    // host's own guest build.
    let guests = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .unwrap()
        .join("guests");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let build = Command::new(cargo)
        .args([
            "build",
            "--release",
            "--quiet",
            "--target",
            "wasm32-wasip2",
            "-p",
            "delivery_address",
            "--manifest-path",
        ])
        .arg(plugins.join("Cargo.toml"))
        .env("CARGO_TARGET_DIR", &guests)
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .output()
        .expect("running cargo");
    assert!(build.status.success(), "{}", text(&build.stderr));
    let modules = work.path().join("modules");
    std::fs::create_dir_all(&modules).unwrap();
    std::fs::copy(
        guests.join("wasm32-wasip2/release/delivery_address.wasm"),
        modules.join("delivery_address.wasm"),
    )
    .unwrap();

    let call = |customer: &str, args: &str| {
        deskhand(
            &data,
            &[
                "tools",
                "call",
                "delivery_address",
                "--customer",
                customer,
                "--args",
                args,
                "--confirmed",
                "--plugins",
                modules.to_str().unwrap(),
                "--plugin-grants",
                plugins.join("plugins.toml").to_str().unwrap(),
            ],
        )
    };
    let saved = call("C001", r#"{"value": "12 Rue de la Paix, 75002 Paris"}"#);
    assert!(saved.status.success(), "{}", text(&saved.stderr));
    let saved: serde_json::Value = serde_json::from_slice(&saved.stdout).unwrap();
    assert_eq!(saved["saved"], true);
    let read = call("C001", "{}");
    assert!(read.status.success(), "{}", text(&read.stderr));
    let read: serde_json::Value = serde_json::from_slice(&read.stdout).unwrap();
    assert_eq!(read["value"], "12 Rue de la Paix, 75002 Paris");
    // Another customer has no address kept.
    let other: serde_json::Value = serde_json::from_slice(&call("C002", "{}").stdout).unwrap();
    assert!(other["value"].is_null(), "{other}");
    // `tools list` shows the grant.
    let list = deskhand(
        &data,
        &[
            "tools",
            "list",
            "--plugins",
            modules.to_str().unwrap(),
            "--plugin-grants",
            plugins.join("plugins.toml").to_str().unwrap(),
        ],
    );
    let list = text(&list.stdout);
    assert!(
        list.contains("records delivery_address:read-write"),
        "{list}"
    );
}

#[test]
fn a_new_policy_is_scaffolded_disabled_into_its_workspace() {
    let work = tempfile::tempdir().unwrap();
    let policies = work.path().join("policies");
    copy_tree(&root().join("policies"), &policies);
    let out = deskhand(
        &work.path().join("data"),
        &[
            "policy",
            "new",
            "max-order-value",
            "--dir",
            policies.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let source = std::fs::read_to_string(policies.join("max_order_value/src/lib.rs")).unwrap();
    assert!(
        source.contains("\"max-order-value\"") && source.contains("MaxOrderValue"),
        "{source}"
    );
    let config = std::fs::read_to_string(policies.join("policies.toml")).unwrap();
    assert!(
        config.contains("[max-order-value]\nenabled = false"),
        "{config}"
    );
    let bad = deskhand(
        &work.path().join("data"),
        &[
            "policy",
            "new",
            "Max_Value",
            "--dir",
            policies.to_str().unwrap(),
        ],
    );
    assert!(!bad.status.success());
    assert!(text(&bad.stderr).contains("kebab-case"));
}

#[test]
fn data_import_refuses_a_file_with_a_bad_row_and_names_its_line() {
    let work = tempfile::tempdir().unwrap();
    let data = work.path().join("data");
    let csv = work.path().join("lines.csv");
    std::fs::write(
        &csv,
        "customer,id,plan,speed_mbps\nC001,L-1,Fibre 500,500\nC002,L-2,DSL 100,100\n,L-3,Fibre 1000,1000\n",
    )
    .unwrap();
    let out = deskhand(
        &data,
        &[
            "data",
            "import",
            csv.to_str().unwrap(),
            "--collection",
            "lines",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("line 4") && stderr.contains("customer"),
        "{stderr}"
    );
    assert!(stderr.contains("nothing was imported"), "{stderr}");

    // An unknown customer is refused with the file's line too.
    std::fs::write(&csv, "customer,id,plan\nC001,L-1,Fibre 500\nC404,L-9,DSL\n").unwrap();
    let out = deskhand(
        &data,
        &[
            "data",
            "import",
            csv.to_str().unwrap(),
            "--collection",
            "lines",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("line 3") && stderr.contains("C404"),
        "{stderr}"
    );

    std::fs::write(
        &csv,
        "customer,id,plan,speed_mbps\nC001,L-1,Fibre 500,500\nC002,L-2,DSL 100,100\n",
    )
    .unwrap();
    let out = deskhand(
        &data,
        &[
            "data",
            "import",
            csv.to_str().unwrap(),
            "--collection",
            "lines",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("imported 2 row(s) into lines"));

    let list = text(&deskhand(&data, &["data", "list"]).stdout);
    assert!(list.contains("lines: 2 row(s) of 2 customer(s)"), "{list}");
    assert!(
        list.contains("orders: 28 row(s) of 3 customer(s)"),
        "{list}"
    );
    let export = text(&deskhand(&data, &["data", "export", "--collection", "lines"]).stdout);
    let rows: Vec<serde_json::Value> = export
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 2);
    assert_eq!(
        rows[0],
        serde_json::json!({"customer": "C001", "id": "L-1", "plan": "Fibre 500", "speed_mbps": 500})
    );
}
