//! The baseline parser, and what a parsed baseline's patterns are used for: never a panic.
#![no_main]

use std::path::Path;

use firebreak_core::model::Inventory;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // `baseline::load` turns bytes that are not UTF-8 into an error before parsing.
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match firebreak_core::baseline::parse(text, Path::new("fuzz.toml")) {
        Ok(baseline) => {
            let _ = baseline.knows_user("ci-deploy");
            let _ = baseline.knows_access_key("AKIAEXAMPLE");
            let _ = firebreak_core::baseline::diff(&baseline, &Inventory::default());
        }
        Err(error) => {
            let _ = error.to_string();
        }
    }
});
