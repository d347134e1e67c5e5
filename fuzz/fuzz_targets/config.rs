//! The config file parser: any text is a config or an error naming file, line and column —
//! never a panic.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // `config::load` turns bytes that are not UTF-8 into an error before parsing.
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Err(error) = firebreak_core::config::parse(text, Path::new("fuzz.toml")) {
        let _ = error.to_string();
    }
});
