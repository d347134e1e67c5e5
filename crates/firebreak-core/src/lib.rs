//! firebreak's core: the vocabulary, the pure rules and the records — no AWS SDK, no async
//! runtime, no terminal.
//!
//! - vocabulary: `model` (inventory, findings, operations), `aws_error` (a failed AWS call as
//!   data), `scan` (the scan's events and their fold), `region`;
//! - rules: `policy`, `findings`, `playbook` (planners, guard, undo planning);
//! - what is kept: `baseline`, `config`, `bindings`, `journal`, `files`.
//!
//! The `firebreak` crate reads AWS into these types, runs plans through its engine and shows the
//! result; nothing here can reach up into it.

pub mod aws_error;
pub mod baseline;
pub mod bindings;
pub mod config;
pub mod files;
pub mod findings;
pub mod journal;
pub mod model;
pub mod playbook;
pub mod policy;
pub mod region;
pub mod scan;
