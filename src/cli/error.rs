//! `CliError`: why a command stopped. A service's error, kept typed, or what only the command
//! line meets: output, the terminal, game-day files and the private emulator.

use crate::service::error::ServiceError;

/// Why a command stopped before doing its job.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Service(#[from] ServiceError),
    #[error("cannot write the output: {0}")]
    Output(std::io::Error),
    #[error("terminal error: {0}")]
    Terminal(std::io::Error),
    #[error("cannot encode the report: {0}")]
    Encode(#[from] serde_json::Error),
    #[error(transparent)]
    Scenario(#[from] crate::gameday::scenario::ScenarioError),
    #[error(transparent)]
    Gate(#[from] crate::gameday::gate::GateError),
    #[error("the game day stopped: {0}")]
    Detonate(#[from] crate::gameday::detonate::DetonateError),
    #[error(transparent)]
    Record(#[from] crate::gameday::record::RecordError),
    #[error(transparent)]
    Emulator(#[from] crate::emulator::EmulatorError),
    #[error("{0}")]
    Gameday(String),
}

impl CliError {
    /// [`ServiceError::with_credentials_hint`] and [`ServiceError::with_endpoint_hint`] on a
    /// service's error; every other error is left as it is.
    pub fn with_hints(self, profile: Option<&str>, endpoint: Option<&str>) -> CliError {
        match self {
            CliError::Service(error) => CliError::Service(
                error
                    .with_credentials_hint(profile)
                    .with_endpoint_hint(endpoint),
            ),
            other => other,
        }
    }
}

/// What a service fails with converts on `?` in a command, through [`ServiceError`].
macro_rules! through_service {
    ($($error:ty),* $(,)?) => {
        $(impl From<$error> for CliError {
            fn from(error: $error) -> Self {
                CliError::Service(ServiceError::from(error))
            }
        })*
    };
}

through_service!(
    crate::aws::AwsError,
    firebreak_core::config::ConfigError,
    firebreak_core::baseline::BaselineError,
    firebreak_core::journal::JournalError,
    firebreak_core::journal::ReadError,
    crate::service::engine::EngineError,
);
