//! Game days: rehearse the night of a breach. A scenario (`scenario`) is made concrete by a seed
//! (`blueprint`), detonated into a sandbox, responded to in the cockpit or with `act`, scored
//! and cleaned up.

pub mod blueprint;
pub mod detonate;
pub mod gate;
pub mod indicator;
pub mod record;
pub mod scenario;
pub mod score;
