//! Why a command could not do its job, and the exit code that says so. Shared by the
//! command runners and the renderers (a JSON report is written even for a run that failed).

/// Why a command could not do its job.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    /// The arguments do not make sense together (exit 2).
    #[error("{0}")]
    Usage(String),
    /// An input could not be read, or output could not be written (exit 3).
    #[error("{0}")]
    Input(String),
    /// The input breaks a rule the register enforces, so nothing was produced (exit 1).
    #[error("{0}")]
    Rejected(String),
}

impl CommandError {
    pub fn exit_code(&self) -> u8 {
        match self {
            CommandError::Usage(_) => 2,
            CommandError::Input(_) => 3,
            CommandError::Rejected(_) => 1,
        }
    }
}
