//! firebreak: a terminal cockpit for the first hour of an AWS breach.
//!
//! The scan (`scan`) reads every region concurrently through the AWS SDK (`aws`, the only module
//! that touches SDK types) into domain types (`model`); front ends (`tui`, the `scan` command in
//! `app`, `report`) show the same state.

pub mod act;
pub mod app;
pub mod aws;
pub mod baseline;
pub mod bindings;
pub mod cli;
pub mod config;
pub mod emulator;
pub mod evidence;
pub mod files;
pub mod findings;
pub mod gameday;
pub mod journal;
pub mod model;
pub mod playbook;
pub mod policy;
pub mod report;
pub mod scan;
pub mod service;
pub mod tui;
