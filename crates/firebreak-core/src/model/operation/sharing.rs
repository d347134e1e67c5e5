//! Who may use a snapshot or image (and restore an RDS snapshot), changed: accounts and `all`
//! removed, then added.

use serde::{Deserialize, Serialize};

use crate::model::Sharing;

/// A change to who may use a snapshot or image: accounts (and `all`) to remove, then to add.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SharingChange {
    #[serde(default)]
    pub remove_public: bool,
    #[serde(default)]
    pub remove_accounts: Vec<String>,
    #[serde(default)]
    pub add_public: bool,
    #[serde(default)]
    pub add_accounts: Vec<String>,
}

impl SharingChange {
    /// Removing `all` (if `public`) and `accounts`.
    pub fn remove(public: bool, accounts: Vec<String>) -> Self {
        SharingChange {
            remove_public: public,
            remove_accounts: accounts,
            ..SharingChange::default()
        }
    }

    /// The change that puts back what this one removes (and takes away what it adds).
    pub fn inverse(&self) -> Self {
        SharingChange {
            remove_public: self.add_public,
            remove_accounts: self.add_accounts.clone(),
            add_public: self.remove_public,
            add_accounts: self.remove_accounts.clone(),
        }
    }

    /// What is left to do, given who the resource is shared with `now`.
    pub fn still_needed(&self, now: &Sharing) -> Self {
        SharingChange {
            remove_public: self.remove_public && now.public,
            remove_accounts: self
                .remove_accounts
                .iter()
                .filter(|a| now.accounts.contains(*a))
                .cloned()
                .collect(),
            add_public: self.add_public && !now.public,
            add_accounts: self
                .add_accounts
                .iter()
                .filter(|a| !now.accounts.contains(*a))
                .cloned()
                .collect(),
        }
    }

    pub fn is_empty(&self) -> bool {
        *self == SharingChange::default()
    }

    pub(crate) fn describe(&self) -> String {
        let who = |public: bool, accounts: &[String]| {
            let mut who: Vec<String> = Vec::new();
            if public {
                who.push("all".into());
            }
            who.extend(accounts.iter().cloned());
            who.join(", ")
        };
        let mut parts = Vec::new();
        if self.remove_public || !self.remove_accounts.is_empty() {
            parts.push(format!(
                "remove {}",
                who(self.remove_public, &self.remove_accounts)
            ));
        }
        if self.add_public || !self.add_accounts.is_empty() {
            parts.push(format!("add {}", who(self.add_public, &self.add_accounts)));
        }
        if parts.is_empty() {
            "nothing to change".to_string()
        } else {
            parts.join("; ")
        }
    }
}
