//! `deskhand data …`: bring a business's own records in, take them out, and
//! see what the store holds.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;
use deskhand::store::data_file::{self, DataFormat};
use deskhand::store::{NewRecord, StoreError};

use super::GlobalArgs;

#[derive(Subcommand)]
pub enum DataCommand {
    /// Import rows into a collection from a JSON array, JSONL or CSV file.
    /// Every row names its owner in a `customer` field; `id` is optional.
    /// A file with any bad row imports nothing.
    Import {
        /// The file (.json, .jsonl or .csv).
        file: PathBuf,
        /// The collection the rows go into, e.g. orders.
        #[arg(long)]
        collection: String,
        /// The file's format when its extension does not say.
        #[arg(long, value_parser = ["json", "jsonl", "csv"])]
        format: Option<String>,
    },
    /// Write rows as JSON Lines (`customer`, `id`, then the document's fields).
    Export {
        /// Only this collection (default: every collection, with a `collection` field).
        #[arg(long)]
        collection: Option<String>,
        /// Write to this file instead of standard output.
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
    /// The customers and collections in the store, with their sizes.
    List,
}

pub fn run(global: &GlobalArgs, command: DataCommand) -> anyhow::Result<ExitCode> {
    let clock = global.clock()?;
    let store = global.open_store(&clock)?;
    match command {
        DataCommand::Import {
            file,
            collection,
            format,
        } => {
            let format = match format.as_deref() {
                Some("json") => DataFormat::JsonArray,
                Some("jsonl") => DataFormat::JsonLines,
                Some("csv") => DataFormat::Csv,
                _ => DataFormat::of(&file).with_context(|| {
                    format!(
                        "{} has no .json, .jsonl or .csv extension; say which with --format",
                        file.display()
                    )
                })?,
            };
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("reading {}", file.display()))?;
            let rows = match data_file::parse(&text, format) {
                Ok(rows) => rows,
                Err(errors) => {
                    for error in &errors {
                        eprintln!("{}:{error}", file.display());
                    }
                    eprintln!(
                        "{} bad row(s); nothing was imported. Fix them and import the file again.",
                        errors.len()
                    );
                    return Ok(ExitCode::from(2));
                }
            };
            let lines: Vec<usize> = rows.iter().map(|r| r.line).collect();
            let records: Vec<NewRecord> = rows.into_iter().map(|r| r.record).collect();
            match store.import(&collection, &records, clock.now()) {
                Ok(count) => {
                    println!("imported {count} row(s) into {collection}");
                    Ok(ExitCode::SUCCESS)
                }
                Err(StoreError::BadRow { row, reason }) => {
                    // The store numbers the rows it was given; say the file's line.
                    let line = lines.get(row - 1).copied().unwrap_or(row);
                    eprintln!("{}:line {line}: {reason}", file.display());
                    eprintln!("nothing was imported.");
                    Ok(ExitCode::from(2))
                }
                Err(error) => {
                    let message = error.to_string();
                    eprintln!("{message}");
                    eprintln!("nothing was imported.");
                    Ok(ExitCode::from(2))
                }
            }
        }
        DataCommand::Export { collection, output } => {
            let records = store.all_records(collection.as_deref())?;
            let mut out: Box<dyn Write> = match &output {
                Some(path) => Box::new(std::io::BufWriter::new(
                    std::fs::File::create(path)
                        .with_context(|| format!("creating {}", path.display()))?,
                )),
                None => Box::new(std::io::stdout().lock()),
            };
            for record in &records {
                let mut row = serde_json::Map::new();
                if collection.is_none() {
                    row.insert("collection".into(), record.collection.clone().into());
                }
                row.insert("customer".into(), record.customer_id.clone().into());
                row.insert("id".into(), record.id.clone().into());
                if let Some(fields) = record.data.as_object() {
                    row.extend(fields.clone());
                }
                writeln!(out, "{}", serde_json::Value::Object(row))?;
            }
            out.flush()?;
            if let Some(path) = output {
                eprintln!("wrote {} row(s) to {}", records.len(), path.display());
            }
            Ok(ExitCode::SUCCESS)
        }
        DataCommand::List => {
            let customers = store.customers()?;
            println!("{} customer(s)", customers.len());
            for customer in customers {
                println!("  {}  {} <{}>", customer.id, customer.name, customer.email);
            }
            let collections = store.collections()?;
            if collections.is_empty() {
                println!("no records");
            }
            for c in collections {
                println!(
                    "{}: {} row(s) of {} customer(s)",
                    c.name, c.rows, c.customers
                );
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
