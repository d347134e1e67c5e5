//! Services: what every front end (the `act` CLI, the cockpit, game days) calls. `responder` is
//! the one way to act on the account (plan, execute a confirmed plan through the one `engine`,
//! undo, accept, resume); `request` turns a request into a plan; `session` holds the flags,
//! config and AWS context. Beneath the front ends, above the core's rules and `aws/`.

pub mod accept;
pub mod attribution;
pub mod engine;
pub mod error;
mod gather;
pub mod protect;
pub mod request;
pub mod responder;
pub mod session;
pub mod sharing;
