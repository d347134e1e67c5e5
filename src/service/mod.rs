//! Services: what every front end (the `act` CLI, the cockpit, game days) calls to turn a request
//! into a plan, execute a confirmed plan through the one engine, undo, and accept a finding.
//! Beneath the front ends, above the domain rules (scan, findings, baseline, planners, journal).

pub mod accept;
pub mod attribution;
pub mod request;
pub mod run;
pub mod session;
