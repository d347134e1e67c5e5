//! Playbooks: plan → confirm → execute → journal → undo. A playbook turns targets into a `Plan`
//! (pure, from state read just before); the engine (`firebreak::service::engine`) executes it;
//! `undo` plans the inverse of an executed action from the journal. Everything here is pure.

pub mod contain_functions;
pub mod countermeasure;
pub mod disable_role;
pub mod disable_user;
pub mod executed;
pub mod freeze;
pub mod guard;
pub mod measure;
pub mod plan;
pub mod protect_data;
pub mod revert_sharing;
pub mod undo;
