//! Integration tests: the real firebreak binary and the real AWS SDK against a real moto_server.
//! One test binary, so the AWS crates are linked once.

// Test code: a failed expectation should panic with its message.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

mod bad_input;
mod cli;
mod cockpit;
mod countermeasures;
mod crash;
mod data_playbooks;
mod databases;
mod evasion;
mod faults;
mod findings;
mod gameday;
mod playbooks;
mod playbooks_more;
mod promises;
mod real_aws;
mod scan;
mod security;
mod storage;
mod tui;
