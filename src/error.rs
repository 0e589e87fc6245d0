//! One error type for the whole crate: every message names what went wrong and where, so the
//! CLI and the page can show it to a person as is.

use std::path::PathBuf;

/// Everything that can go wrong in webgan, with a message meant for a person.
#[derive(Debug, thiserror::Error)]
pub enum WebganError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A data file exists but its contents are not what they should be.
    #[error("{file}: {problem}")]
    BadData { file: String, problem: String },
    /// A weights or checkpoint file that cannot be used.
    #[error("weights {what}: {problem}")]
    BadWeights { what: String, problem: String },
    /// A file made for another architecture than the one asked for.
    #[error("architecture mismatch: {0}")]
    ArchitectureMismatch(String),
    /// A configuration value outside what makes sense.
    #[error("invalid setting {name} = {value}: {why}")]
    InvalidConfig {
        name: &'static str,
        value: String,
        why: String,
    },
    /// Training produced a non-finite value.
    #[error("training diverged at step {step}: {what} is {value}; the last good weights were kept")]
    Diverged {
        step: u64,
        what: &'static str,
        value: f32,
    },
    /// A backend (device) could not be used.
    #[error("backend {backend}: {problem}")]
    Backend { backend: String, problem: String },
    /// Reading a tensor back from the device failed.
    #[error("reading results from the device failed: {0}")]
    Readback(String),
}

pub type Result<T, E = WebganError> = std::result::Result<T, E>;

impl WebganError {
    /// What kind of failure this is, as one stable word: the page's worker branches on it
    /// (e.g. "diverged" stops training and keeps the rolled-back weights; "bad_weights" refuses
    /// a file and keeps the current model) without reading the message.
    pub fn kind(&self) -> &'static str {
        match self {
            WebganError::Io { .. } => "io",
            WebganError::BadData { .. } | WebganError::InvalidConfig { .. } => "bad_input",
            WebganError::BadWeights { .. } | WebganError::ArchitectureMismatch(_) => "bad_weights",
            WebganError::Diverged { .. } => "diverged",
            WebganError::Backend { .. } => "backend",
            WebganError::Readback(_) => "readback",
        }
    }

    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        WebganError::Io {
            path: path.into(),
            source,
        }
    }

    pub fn bad_data(file: impl Into<String>, problem: impl Into<String>) -> Self {
        WebganError::BadData {
            file: file.into(),
            problem: problem.into(),
        }
    }

    pub fn bad_weights(what: impl Into<String>, problem: impl Into<String>) -> Self {
        WebganError::BadWeights {
            what: what.into(),
            problem: problem.into(),
        }
    }

    pub fn invalid(name: &'static str, value: impl ToString, why: impl Into<String>) -> Self {
        WebganError::InvalidConfig {
            name,
            value: value.to_string(),
            why: why.into(),
        }
    }
}
