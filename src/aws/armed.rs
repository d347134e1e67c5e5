//! The token every mutating call needs: below the calls that take it (`apply`,
//! `countermeasures`) and made only by the playbook engine.

/// Permission to send mutating calls. The playbook engine is its only maker, through
/// `unless_read_only`, so read-only mode cannot reach a mutating call.
#[derive(Debug)]
pub struct Armed {
    _private: (),
}

impl Armed {
    /// A token, unless `read_only`.
    pub(crate) fn unless_read_only(read_only: bool) -> Option<Armed> {
        (!read_only).then_some(Armed { _private: () })
    }
}
