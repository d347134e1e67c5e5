//! firebreak: a terminal cockpit for the first hour of an AWS breach.
//!
//! The scanner (`scanner`) reads every region concurrently through the AWS SDK (`aws`, the only
//! module that touches SDK types) into the core's domain types (`firebreak_core::model`); the
//! services (`service`) run plans through the engine; front ends (`tui`, the command line in
//! `cli`) show the same state.

pub mod aws;
pub mod cli;
pub mod emulator;
pub mod evidence;
pub mod gameday;
pub mod scanner;
pub mod service;
pub mod tui;
