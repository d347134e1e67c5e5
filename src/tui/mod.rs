//! The terminal cockpit. Elm-style: `keymap` turns keys into `Msg`s, `update` folds actions
//! into `State` and returns `Effect`s, `app` runs effects and the event loop, `view` draws state.

pub mod app;
pub mod inventory_index;
pub mod keymap;
pub mod msg;
pub mod state;
pub mod update;
pub mod view;

pub use app::{run, run_gameday};
