//! Rows to import, read from a JSON array, JSON Lines or CSV file.
//!
//! Every row names its owner in a `customer` field (column) and may name its
//! `id`; the other fields are the document. CSV cells become numbers when
//! they are numbers, `true`/`false` when they are booleans, and are left out
//! when empty; everything else is text. A file with any bad row is refused
//! whole, and every bad row is reported with its line number.

use std::fmt;
use std::path::Path;

use serde_json::{Map, Value};

use super::NewRecord;

/// How a data file is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataFormat {
    /// One JSON array of objects.
    JsonArray,
    /// One JSON object per line.
    JsonLines,
    /// Comma-separated values with a header row.
    Csv,
}

impl DataFormat {
    /// The format a file's extension names (`.json`, `.jsonl`/`.ndjson`, `.csv`).
    pub fn of(path: &Path) -> Option<Self> {
        match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
            "json" => Some(DataFormat::JsonArray),
            "jsonl" | "ndjson" => Some(DataFormat::JsonLines),
            "csv" => Some(DataFormat::Csv),
            _ => None,
        }
    }
}

/// One bad row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    /// 1-based line in the file where the row starts.
    pub line: usize,
    pub message: String,
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

/// A parsed row and the line it starts on.
#[derive(Debug, Clone, PartialEq)]
pub struct DataRow {
    pub line: usize,
    pub record: NewRecord,
}

/// Reads every row of `text`, or every problem with it.
pub fn parse(text: &str, format: DataFormat) -> Result<Vec<DataRow>, Vec<RowError>> {
    let (objects, mut errors) = match format {
        DataFormat::JsonArray => json_array(text),
        DataFormat::JsonLines => json_lines(text),
        DataFormat::Csv => csv_rows(text),
    };
    let mut rows = Vec::new();
    for (line, object) in objects {
        match into_record(object) {
            Ok(record) => rows.push(DataRow { line, record }),
            Err(message) => errors.push(RowError { line, message }),
        }
    }
    if errors.is_empty() {
        Ok(rows)
    } else {
        errors.sort_by_key(|e| e.line);
        Err(errors)
    }
}

fn into_record(mut object: Map<String, Value>) -> Result<NewRecord, String> {
    let customer_id = match object.remove("customer") {
        Some(Value::String(id)) if !id.trim().is_empty() => id.trim().to_string(),
        Some(Value::Number(n)) => n.to_string(),
        Some(_) | None => {
            return Err("no \"customer\": every row names the customer who owns it".into());
        }
    };
    let id = match object.remove("id") {
        None | Some(Value::Null) => None,
        Some(Value::String(id)) => Some(id),
        Some(Value::Number(n)) => Some(n.to_string()),
        Some(other) => return Err(format!("\"id\" must be a string or a number, not {other}")),
    };
    if let Some(id) = &id
        && !super::records::is_record_id(id)
    {
        return Err(format!(
            "{id:?} is not a row id (1 to 128 printable characters)"
        ));
    }
    Ok(NewRecord {
        customer_id,
        id,
        data: Value::Object(object),
    })
}

fn object_at(value: Value, line: usize) -> Result<(usize, Map<String, Value>), RowError> {
    match value {
        Value::Object(map) => Ok((line, map)),
        other => Err(RowError {
            line,
            message: format!("expected a JSON object, found {}", kind(&other)),
        }),
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// The objects that parsed, and the rows that did not.
type Objects = (Vec<(usize, Map<String, Value>)>, Vec<RowError>);

fn json_array(text: &str) -> Objects {
    let values: Vec<Value> = match serde_json::from_str::<Value>(text) {
        Ok(Value::Array(values)) => values,
        Ok(other) => {
            return (
                Vec::new(),
                vec![RowError {
                    line: 1,
                    message: format!(
                        "expected a JSON array of objects, found {}; use .jsonl for one object per line",
                        kind(&other)
                    ),
                }],
            );
        }
        Err(e) => {
            return (
                Vec::new(),
                vec![RowError {
                    line: e.line(),
                    message: format!("not valid JSON: {e}"),
                }],
            );
        }
    };
    let lines = element_lines(text);
    let mut objects = Vec::new();
    let mut errors = Vec::new();
    for (index, value) in values.into_iter().enumerate() {
        let line = lines.get(index).copied().unwrap_or(1);
        match object_at(value, line) {
            Ok(object) => objects.push(object),
            Err(error) => errors.push(error),
        }
    }
    (objects, errors)
}

/// The line on which each element of the top-level JSON array starts.
fn element_lines(text: &str) -> Vec<usize> {
    let mut lines = Vec::new();
    let (mut line, mut depth, mut in_string, mut escaped, mut expecting) =
        (1, 0usize, false, false, false);
    for c in text.chars() {
        if c == '\n' {
            line += 1;
        }
        if in_string {
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
            continue;
        }
        if c.is_whitespace() {
            continue;
        }
        if depth == 1 && expecting && c != ']' {
            lines.push(line);
            expecting = false;
        }
        match c {
            '"' => in_string = true,
            '[' | '{' => {
                depth += 1;
                if depth == 1 {
                    expecting = true;
                }
            }
            ']' | '}' => depth = depth.saturating_sub(1),
            ',' if depth == 1 => expecting = true,
            _ => {}
        }
    }
    lines
}

fn json_lines(text: &str) -> Objects {
    let mut objects = Vec::new();
    let mut errors = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        if raw.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<Value>(raw) {
            Ok(value) => match object_at(value, line) {
                Ok(object) => objects.push(object),
                Err(error) => errors.push(error),
            },
            Err(e) => errors.push(RowError {
                line,
                message: format!("not valid JSON: {e}"),
            }),
        }
    }
    (objects, errors)
}

fn csv_rows(text: &str) -> Objects {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(false)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = match reader.headers() {
        Ok(headers) => headers.clone(),
        Err(e) => {
            return (
                Vec::new(),
                vec![RowError {
                    line: 1,
                    message: format!("cannot read the header row: {e}"),
                }],
            );
        }
    };
    let mut objects = Vec::new();
    let mut errors = Vec::new();
    for result in reader.records() {
        match result {
            Ok(row) => {
                let line = row.position().map_or(0, |p| p.line() as usize);
                let mut object = Map::new();
                for (header, cell) in headers.iter().zip(row.iter()) {
                    if let Some(value) = cell_value(cell) {
                        object.insert(header.to_string(), value);
                    }
                }
                objects.push((line, object));
            }
            Err(e) => errors.push(RowError {
                line: e.position().map_or(0, |p| p.line() as usize),
                message: e.to_string(),
            }),
        }
    }
    (objects, errors)
}

/// A CSV cell as JSON: numbers and booleans typed, empty cells left out.
fn cell_value(cell: &str) -> Option<Value> {
    if cell.is_empty() {
        return None;
    }
    if let Ok(n) = cell.parse::<i64>() {
        return Some(Value::from(n));
    }
    if let Ok(x) = cell.parse::<f64>()
        && x.is_finite()
        && cell
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | 'e' | 'E'))
    {
        return Some(Value::from(x));
    }
    match cell {
        "true" => Some(Value::Bool(true)),
        "false" => Some(Value::Bool(false)),
        _ => Some(Value::String(cell.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_array_rows_carry_their_lines() {
        let text = "[\n  {\"customer\": \"C1\", \"id\": \"a\", \"x\": 1},\n  {\"customer\": \"C2\",\n   \"x\": [1, {\"y\": \"]\"}]}\n]\n";
        let rows = parse(text, DataFormat::JsonArray).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!((rows[0].line, rows[1].line), (2, 3));
        assert_eq!(rows[0].record.id.as_deref(), Some("a"));
        assert_eq!(rows[1].record.customer_id, "C2");
        assert_eq!(rows[1].record.data, json!({"x": [1, {"y": "]"}]}));
    }

    #[test]
    fn every_bad_row_is_reported_with_its_line() {
        let text = "{\"customer\": \"C1\", \"x\": 1}\n\n{\"x\": 2}\n{not json}\n[1]\n";
        let errors = parse(text, DataFormat::JsonLines).unwrap_err();
        let lines: Vec<usize> = errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, [3, 4, 5]);
        assert!(errors[0].message.contains("customer"), "{}", errors[0]);
        assert!(errors[2].message.contains("an array"), "{}", errors[2]);
    }

    #[test]
    fn csv_cells_are_typed() {
        let text = "customer,id,total_cents,note,paid,empty\nC1,b7,1290,\"hello, world\",true,\nC2,b8,12.5,x,false,\n";
        let rows = parse(text, DataFormat::Csv).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].line, 2);
        assert_eq!(
            rows[0].record.data,
            json!({"total_cents": 1290, "note": "hello, world", "paid": true})
        );
        assert_eq!(rows[1].record.data["total_cents"], json!(12.5));
        let errors = parse("customer,x\nC1,1,2\n", DataFormat::Csv).unwrap_err();
        assert_eq!(errors[0].line, 2, "{errors:?}");
        let errors = parse("x\n1\n", DataFormat::Csv).unwrap_err();
        assert!(errors[0].message.contains("customer"));
    }
}
