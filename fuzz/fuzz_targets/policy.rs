//! The policy document readers (identity policies, trust policies, Lambda resource policies),
//! plain or URL-encoded JSON: errors are fine, panics are not.
#![no_main]

use firebreak_core::policy;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(document) = std::str::from_utf8(data) else {
        return;
    };
    let _ = policy::grants_admin(document);
    let _ = policy::parse_principals(document);
    let _ = policy::function_statements(document);
    let _ = policy::restrict_trust(document, |account| account == "210987654321");
});
