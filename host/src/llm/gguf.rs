//! Reading a GGUF file: its metadata, and which architecture it holds.

use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use candle_core::quantized::gguf_file::{Content, Value};

use super::error::LlmError;

/// The model families deskhand can run, detected from `general.architecture`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Architecture {
    /// Llama 2/3, SmolLM2, TinyLlama, Mistral-style models.
    Llama,
    /// Qwen 2 and 2.5.
    Qwen2,
    /// Qwen 3.
    Qwen3,
    /// Gemma 3.
    Gemma3,
}

impl Architecture {
    /// The name GGUF uses, e.g. "llama".
    pub fn as_str(self) -> &'static str {
        match self {
            Architecture::Llama => "llama",
            Architecture::Qwen2 => "qwen2",
            Architecture::Qwen3 => "qwen3",
            Architecture::Gemma3 => "gemma3",
        }
    }

    fn from_gguf(name: &str) -> Option<Self> {
        match name {
            "llama" | "mistral" => Some(Architecture::Llama),
            "qwen2" => Some(Architecture::Qwen2),
            "qwen3" => Some(Architecture::Qwen3),
            "gemma3" => Some(Architecture::Gemma3),
            _ => None,
        }
    }
}

/// An opened GGUF file: its parsed header and a reader positioned anywhere.
pub struct GgufFile {
    pub path: PathBuf,
    pub content: Content,
    pub reader: BufReader<File>,
    pub architecture: Architecture,
}

impl GgufFile {
    /// Opens `path` and reads its header (metadata and tensor index).
    pub fn open(path: &Path) -> Result<Self, LlmError> {
        let load_error = |reason: String| LlmError::Load {
            path: path.to_path_buf(),
            reason,
        };
        let file = File::open(path).map_err(|e| load_error(e.to_string()))?;
        let mut reader = BufReader::new(file);
        let content =
            Content::read(&mut reader).map_err(|e| load_error(format!("not a GGUF file ({e})")))?;
        let arch_name = metadata_str(&content, "general.architecture")
            .ok_or_else(|| load_error("no general.architecture in the metadata".into()))?
            .to_string();
        let architecture = Architecture::from_gguf(&arch_name).ok_or_else(|| {
            LlmError::UnsupportedArchitecture {
                path: path.to_path_buf(),
                arch: arch_name,
            }
        })?;
        Ok(GgufFile {
            path: path.to_path_buf(),
            content,
            reader,
            architecture,
        })
    }

    /// A string value of the metadata.
    pub fn str(&self, key: &str) -> Option<&str> {
        metadata_str(&self.content, key)
    }

    /// An integer value of the metadata, whatever its integer type.
    pub fn int(&self, key: &str) -> Option<i64> {
        self.content.metadata.get(key).and_then(value_int)
    }

    /// The model's context length, from `<arch>.context_length`.
    pub fn context_length(&self) -> Option<usize> {
        let arch = self.str("general.architecture")?;
        self.int(&format!("{arch}.context_length"))
            .and_then(|n| usize::try_from(n).ok())
    }
}

/// A string value of GGUF metadata.
pub fn metadata_str<'a>(content: &'a Content, key: &str) -> Option<&'a str> {
    content
        .metadata
        .get(key)?
        .to_string()
        .ok()
        .map(String::as_str)
}

/// An integer GGUF value of any width.
pub fn value_int(value: &Value) -> Option<i64> {
    match value {
        Value::U8(v) => Some(i64::from(*v)),
        Value::I8(v) => Some(i64::from(*v)),
        Value::U16(v) => Some(i64::from(*v)),
        Value::I16(v) => Some(i64::from(*v)),
        Value::U32(v) => Some(i64::from(*v)),
        Value::I32(v) => Some(i64::from(*v)),
        Value::U64(v) => i64::try_from(*v).ok(),
        Value::I64(v) => Some(*v),
        Value::Bool(v) => Some(i64::from(*v)),
        _ => None,
    }
}
