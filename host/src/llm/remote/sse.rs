//! Reading a streamed chat completion: server-sent events, one JSON chunk
//! per `data:` line, ending with `data: [DONE]`.

use serde_json::Value;

/// What one event of the stream says.
#[derive(Debug, Clone, PartialEq)]
pub enum StreamPiece {
    /// More of the reply.
    Text(String),
    /// Why the server stopped (`stop`, `length`), when it says.
    Finish(String),
    /// Token counts, when the server reports them.
    Usage { prompt: usize, completion: usize },
    /// The end of the stream.
    Done,
    /// The server reported an error in the stream.
    Error(String),
}

/// Splits a byte stream into complete lines and reads their events.
#[derive(Default)]
pub struct EventReader {
    pending: Vec<u8>,
    /// How many `data:` lines were read.
    pub data_lines: usize,
    /// The first bytes of the stream, to show when it is not one.
    pub head: String,
}

impl EventReader {
    /// Adds bytes; returns the events of every line now complete.
    pub fn push(&mut self, bytes: &[u8]) -> Result<Vec<StreamPiece>, String> {
        if self.head.len() < 200 {
            self.head.push_str(&String::from_utf8_lossy(
                &bytes[..bytes.len().min(200 - self.head.len())],
            ));
        }
        self.pending.extend_from_slice(bytes);
        let mut pieces = Vec::new();
        while let Some(end) = self.pending.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = self.pending.drain(..=end).collect();
            let line = String::from_utf8_lossy(&line);
            pieces.extend(self.read(line.trim_end_matches(['\r', '\n']))?);
        }
        Ok(pieces)
    }

    /// The events of a last line that had no newline.
    pub fn finish(&mut self) -> Result<Vec<StreamPiece>, String> {
        let rest = std::mem::take(&mut self.pending);
        let pieces = self.read(String::from_utf8_lossy(&rest).trim())?;
        if self.data_lines == 0 {
            return Err(format!(
                "its reply is not an event stream: {:?}",
                excerpt(&self.head)
            ));
        }
        Ok(pieces)
    }

    fn read(&mut self, line: &str) -> Result<Vec<StreamPiece>, String> {
        if line.starts_with("data:") {
            self.data_lines += 1;
        }
        read_line(line)
    }
}

/// The events of one line: nothing for blank lines, comments and other
/// fields; the chunk's content for `data:` lines.
fn read_line(line: &str) -> Result<Vec<StreamPiece>, String> {
    // llama.cpp's server reports a failure mid-stream as an `error:` line.
    if let Some(error) = line.strip_prefix("error:") {
        let error = error.trim();
        let message = serde_json::from_str::<Value>(error)
            .ok()
            .and_then(|v| {
                v.pointer("/message")
                    .or_else(|| v.pointer("/error/message"))
                    .and_then(Value::as_str)
                    .map(str::to_string)
            })
            .unwrap_or_else(|| excerpt(error));
        return Ok(vec![StreamPiece::Error(message)]);
    }
    let Some(data) = line.strip_prefix("data:") else {
        return Ok(Vec::new());
    };
    let data = data.trim();
    if data == "[DONE]" {
        return Ok(vec![StreamPiece::Done]);
    }
    let chunk: Value = serde_json::from_str(data).map_err(|e| {
        format!(
            "the server streamed something that is not JSON ({e}): {}",
            excerpt(data)
        )
    })?;
    chunk_pieces(&chunk)
}

/// The events of one parsed chunk (or of a whole non-streamed reply).
pub fn chunk_pieces(chunk: &Value) -> Result<Vec<StreamPiece>, String> {
    if let Some(error) = chunk.get("error") {
        let message = error
            .get("message")
            .and_then(Value::as_str)
            .map(str::to_string)
            .unwrap_or_else(|| error.to_string());
        return Ok(vec![StreamPiece::Error(message)]);
    }
    let mut pieces = Vec::new();
    let choices = chunk.get("choices").and_then(Value::as_array);
    if let Some(choice) = choices.and_then(|c| c.first()) {
        let content = choice
            .pointer("/delta/content")
            .or_else(|| choice.pointer("/message/content"))
            .and_then(Value::as_str);
        if let Some(text) = content.filter(|t| !t.is_empty()) {
            pieces.push(StreamPiece::Text(text.to_string()));
        }
        if let Some(reason) = choice.get("finish_reason").and_then(Value::as_str) {
            pieces.push(StreamPiece::Finish(reason.to_string()));
        }
    } else if choices.is_none() && chunk.get("usage").is_none() {
        // (An empty `choices` list, as in a content-filter notice, says nothing.)
        return Err(format!(
            "the server's reply has no choices: {}",
            excerpt(&chunk.to_string())
        ));
    }
    if let Some(usage) = chunk.get("usage").filter(|u| u.is_object()) {
        let count = |key: &str| usage.get(key).and_then(Value::as_u64).unwrap_or(0) as usize;
        pieces.push(StreamPiece::Usage {
            prompt: count("prompt_tokens"),
            completion: count("completion_tokens"),
        });
    }
    Ok(pieces)
}

/// At most 200 characters of `text`, for messages.
pub fn excerpt(text: &str) -> String {
    let cut: String = text.chars().take(200).collect();
    if cut.len() < text.len() {
        format!("{cut}…")
    } else {
        cut
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_split_across_chunks_are_read_whole() {
        let mut reader = EventReader::default();
        let first = reader
            .push(b"data: {\"choices\":[{\"delta\":{\"content\":\"Hel")
            .unwrap();
        assert!(first.is_empty());
        let rest = reader
            .push(b"lo\"},\"finish_reason\":null}]}\n\n: keep-alive\ndata: {\"choices\":[{\"delta\":{},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":7,\"completion_tokens\":2}}\r\ndata: [DONE]\n")
            .unwrap();
        assert_eq!(
            rest,
            vec![
                StreamPiece::Text("Hello".into()),
                StreamPiece::Finish("stop".into()),
                StreamPiece::Usage {
                    prompt: 7,
                    completion: 2
                },
                StreamPiece::Done
            ]
        );
    }

    #[test]
    fn garbage_and_errors_are_named() {
        let mut reader = EventReader::default();
        let err = reader.push(b"data: <html>oops</html>\n").unwrap_err();
        assert!(err.contains("not JSON"), "{err}");
        let pieces = reader
            .push(b"data: {\"error\":{\"message\":\"model not loaded\"}}\n")
            .unwrap();
        assert_eq!(pieces, vec![StreamPiece::Error("model not loaded".into())]);
        let err = chunk_pieces(&serde_json::json!({"id": 1})).unwrap_err();
        assert!(err.contains("no choices"), "{err}");
        let mut html = EventReader::default();
        assert!(
            html.push(b"<html>\n<body>busy</body>\n")
                .unwrap()
                .is_empty()
        );
        let err = html.finish().unwrap_err();
        let mut cut = EventReader::default();
        let pieces = cut
            .push(b"data: {\"choices\":[]}\nerror: {\"code\":500,\"message\":\"context full\"}\n")
            .unwrap();
        assert_eq!(pieces, vec![StreamPiece::Error("context full".into())]);
        assert!(
            err.contains("not an event stream") && err.contains("html"),
            "{err}"
        );
    }
}
