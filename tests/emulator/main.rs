//! Integration tests: the real firebreak binary and the real AWS SDK against a real moto_server.
//! One test binary, so the AWS crates are linked once.

mod support;

mod cli;
mod scan;

