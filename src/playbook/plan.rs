//! Plans: the data a playbook produces and the engine executes. Every step names its service,
//! region, API operation, target and parameters, whether it can be reversed, and its inverse as
//! computed from the state read just before planning.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::aws::actions::PrincipalKind;
use crate::model::{GLOBAL, Identity, Sharing};

/// One change to the account, with everything needed to send it. Steps are idempotent: the
/// engine reads the current state first and reports `skipped` when it is already as wanted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Operation {
    /// iam:UpdateAccessKey Status=Inactive.
    DeactivateAccessKey { user: String, key_id: String },
    /// iam:UpdateAccessKey Status=Active.
    ActivateAccessKey { user: String, key_id: String },
    /// iam:DeleteLoginProfile. A password cannot be restored.
    DeleteLoginProfile { user: String },
    /// iam:PutUserPolicy (inline).
    PutUserPolicy {
        user: String,
        policy_name: String,
        document: String,
    },
    /// iam:DeleteUserPolicy.
    DeleteUserPolicy { user: String, policy_name: String },
    /// iam:PutRolePolicy (inline).
    PutRolePolicy {
        role: String,
        policy_name: String,
        document: String,
    },
    /// iam:DeleteRolePolicy.
    DeleteRolePolicy { role: String, policy_name: String },
    /// ec2:ModifySnapshotAttribute createVolumePermission: remove, then add.
    ModifySnapshotSharing {
        snapshot_id: String,
        #[serde(flatten)]
        change: SharingChange,
    },
    /// ec2:ModifyImageAttribute launchPermission: remove, then add.
    ModifyImageSharing {
        image_id: String,
        #[serde(flatten)]
        change: SharingChange,
    },
    /// lambda:GetFunction, GetPolicy, ListTags and the code package, saved under `directory`
    /// with a sha256 manifest. Reads only.
    CaptureFunctionEvidence {
        function: String,
        directory: std::path::PathBuf,
    },
    /// lambda:PutFunctionConcurrency (0 throttles every invocation).
    PutFunctionConcurrency { function: String, reserved: i32 },
    /// lambda:DeleteFunctionConcurrency (back to unreserved).
    DeleteFunctionConcurrency { function: String },
    /// lambda:DeleteFunction. Irreversible.
    DeleteFunction { function: String },
    /// ec2:EnableSnapshotBlockPublicAccess State=block-all-sharing.
    EnableSnapshotBlockPublicAccess,
    /// ec2:DisableSnapshotBlockPublicAccess.
    DisableSnapshotBlockPublicAccess,
    /// ec2:EnableImageBlockPublicAccess State=block-new-sharing.
    EnableImageBlockPublicAccess,
    /// ec2:DisableImageBlockPublicAccess.
    DisableImageBlockPublicAccess,
}

impl Operation {
    /// The user or role this operation cuts off (deactivates, denies), if any: undo plans pass
    /// it through the self-lockout guard.
    pub fn denies_principal(&self) -> Option<(PrincipalKind, &str)> {
        match self {
            Operation::DeactivateAccessKey { user, .. }
            | Operation::DeleteLoginProfile { user }
            | Operation::PutUserPolicy { user, .. } => Some((PrincipalKind::User, user)),
            Operation::PutRolePolicy { role, .. } => Some((PrincipalKind::Role, role)),
            _ => None,
        }
    }

    /// Whether the operation changes the account (evidence capture only reads).
    pub fn changes_account(&self) -> bool {
        !matches!(self, Operation::CaptureFunctionEvidence { .. })
    }

    /// The AWS service the operation goes to.
    pub fn service(&self) -> &'static str {
        match self {
            Operation::DeactivateAccessKey { .. }
            | Operation::ActivateAccessKey { .. }
            | Operation::DeleteLoginProfile { .. }
            | Operation::PutUserPolicy { .. }
            | Operation::DeleteUserPolicy { .. }
            | Operation::PutRolePolicy { .. }
            | Operation::DeleteRolePolicy { .. } => "iam",
            Operation::CaptureFunctionEvidence { .. }
            | Operation::PutFunctionConcurrency { .. }
            | Operation::DeleteFunctionConcurrency { .. }
            | Operation::DeleteFunction { .. } => "lambda",
            Operation::ModifySnapshotSharing { .. }
            | Operation::ModifyImageSharing { .. }
            | Operation::EnableSnapshotBlockPublicAccess
            | Operation::DisableSnapshotBlockPublicAccess
            | Operation::EnableImageBlockPublicAccess
            | Operation::DisableImageBlockPublicAccess => "ec2",
        }
    }

    /// The AWS API operation that makes the change.
    pub fn api(&self) -> &'static str {
        match self {
            Operation::DeactivateAccessKey { .. } | Operation::ActivateAccessKey { .. } => {
                "UpdateAccessKey"
            }
            Operation::DeleteLoginProfile { .. } => "DeleteLoginProfile",
            Operation::PutUserPolicy { .. } => "PutUserPolicy",
            Operation::DeleteUserPolicy { .. } => "DeleteUserPolicy",
            Operation::PutRolePolicy { .. } => "PutRolePolicy",
            Operation::DeleteRolePolicy { .. } => "DeleteRolePolicy",
            Operation::CaptureFunctionEvidence { .. } => "GetFunction",
            Operation::PutFunctionConcurrency { .. } => "PutFunctionConcurrency",
            Operation::DeleteFunctionConcurrency { .. } => "DeleteFunctionConcurrency",
            Operation::DeleteFunction { .. } => "DeleteFunction",
            Operation::ModifySnapshotSharing { .. } => "ModifySnapshotAttribute",
            Operation::ModifyImageSharing { .. } => "ModifyImageAttribute",
            Operation::EnableSnapshotBlockPublicAccess => "EnableSnapshotBlockPublicAccess",
            Operation::DisableSnapshotBlockPublicAccess => "DisableSnapshotBlockPublicAccess",
            Operation::EnableImageBlockPublicAccess => "EnableImageBlockPublicAccess",
            Operation::DisableImageBlockPublicAccess => "DisableImageBlockPublicAccess",
        }
    }

    /// What the operation acts on, for people.
    pub fn target(&self) -> String {
        match self {
            Operation::DeactivateAccessKey { user, key_id }
            | Operation::ActivateAccessKey { user, key_id } => format!("user/{user} key {key_id}"),
            Operation::DeleteLoginProfile { user } => format!("user/{user}"),
            Operation::PutUserPolicy {
                user, policy_name, ..
            }
            | Operation::DeleteUserPolicy { user, policy_name } => {
                format!("user/{user} policy {policy_name}")
            }
            Operation::PutRolePolicy {
                role, policy_name, ..
            }
            | Operation::DeleteRolePolicy { role, policy_name } => {
                format!("role/{role} policy {policy_name}")
            }
            Operation::CaptureFunctionEvidence { function, .. }
            | Operation::PutFunctionConcurrency { function, .. }
            | Operation::DeleteFunctionConcurrency { function }
            | Operation::DeleteFunction { function } => format!("function {function}"),
            Operation::ModifySnapshotSharing { snapshot_id, .. } => snapshot_id.clone(),
            Operation::ModifyImageSharing { image_id, .. } => image_id.clone(),
            Operation::EnableSnapshotBlockPublicAccess
            | Operation::DisableSnapshotBlockPublicAccess => "snapshot block public access".into(),
            Operation::EnableImageBlockPublicAccess | Operation::DisableImageBlockPublicAccess => {
                "image block public access".into()
            }
        }
    }

    /// A one-line description of the change.
    pub fn describe(&self) -> String {
        match self {
            Operation::DeactivateAccessKey { .. } => "set Inactive".into(),
            Operation::ActivateAccessKey { .. } => "set Active".into(),
            Operation::DeleteLoginProfile { .. } => "delete console password".into(),
            Operation::CaptureFunctionEvidence { directory, .. } => format!(
                "save configuration, policy, tags and code to {} (reads only)",
                directory.display()
            ),
            Operation::PutFunctionConcurrency { reserved: 0, .. } => {
                "reserve concurrency 0: every invocation is throttled".into()
            }
            Operation::PutFunctionConcurrency { reserved, .. } => {
                format!("reserve concurrency {reserved}")
            }
            Operation::DeleteFunctionConcurrency { .. } => "remove reserved concurrency".into(),
            Operation::DeleteFunction { .. } => "delete the function".into(),
            Operation::PutUserPolicy { .. } | Operation::PutRolePolicy { .. } => {
                "attach inline policy".into()
            }
            Operation::DeleteUserPolicy { .. } | Operation::DeleteRolePolicy { .. } => {
                "remove inline policy".into()
            }
            Operation::ModifySnapshotSharing { change, .. }
            | Operation::ModifyImageSharing { change, .. } => change.describe(),
            Operation::EnableSnapshotBlockPublicAccess => "block all public sharing".into(),
            Operation::EnableImageBlockPublicAccess => "block new public sharing".into(),
            Operation::DisableSnapshotBlockPublicAccess
            | Operation::DisableImageBlockPublicAccess => "unblock".into(),
        }
    }
}

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

    fn describe(&self) -> String {
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

/// One step of a plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    pub index: usize,
    pub service: String,
    pub region: String,
    pub api: String,
    pub target: String,
    pub operation: Operation,
    /// Steps run phase by phase; steps of one phase run concurrently.
    pub phase: u8,
    pub reversible: bool,
    /// What undoes this step, from the state read before planning; `None` when irreversible
    /// or when there is nothing to undo.
    pub inverse: Option<Operation>,
    /// Steps (by index) that must end `ok` or `skipped` before this one is sent.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub requires: Vec<usize>,
}

impl Step {
    /// A step for `operation` in `region` (`global` for IAM).
    pub fn new(region: &str, phase: u8, operation: Operation, inverse: Option<Operation>) -> Self {
        Step {
            index: 0,
            service: operation.service().to_string(),
            region: region.to_string(),
            api: operation.api().to_string(),
            target: operation.target(),
            reversible: inverse.is_some(),
            inverse,
            phase,
            operation,
            requires: Vec::new(),
        }
    }

    /// A step that cannot be undone.
    pub fn irreversible(region: &str, phase: u8, operation: Operation) -> Self {
        Step::new(region, phase, operation, None)
    }

    pub fn global(phase: u8, operation: Operation, inverse: Option<Operation>) -> Self {
        Step::new(GLOBAL, phase, operation, inverse)
    }
}

/// Which playbook made a plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "name", rename_all = "snake_case")]
pub enum Playbook {
    DisableUser {
        users: Vec<String>,
    },
    ContainFunctions {
        functions: Vec<String>,
        delete: bool,
    },
    RevertSharing,
    Freeze,
    /// The inverse of an executed action.
    Undo {
        of: String,
    },
    /// The inverse of the executed freezes no unfreeze has covered yet.
    Unfreeze {
        of: Vec<String>,
    },
}

impl fmt::Display for Playbook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Playbook::DisableUser { users } => write!(f, "disable-user {}", users.join(" ")),
            Playbook::ContainFunctions { functions, delete } => write!(
                f,
                "contain-functions {}{}",
                functions.join(" "),
                if *delete { " --delete" } else { "" }
            ),
            Playbook::RevertSharing => f.write_str("revert-sharing"),
            Playbook::Freeze => f.write_str("freeze"),
            Playbook::Undo { of } => write!(f, "undo {of}"),
            Playbook::Unfreeze { of } => write!(f, "unfreeze {}", of.join(" ")),
        }
    }
}

/// A principal the plan leaves alone, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exempt {
    pub principal: String,
    pub reason: String,
}

/// What a playbook would do, before anything is done.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    /// Unique id; `firebreak undo ACTION_ID` finds the action by it.
    pub action_id: String,
    pub playbook: Playbook,
    pub account: Identity,
    pub created: DateTime<Utc>,
    pub steps: Vec<Step>,
    pub exempt: Vec<Exempt>,
    /// Things the operator should know: irreversible steps, targets already contained.
    pub notes: Vec<String>,
    /// What must be typed to confirm, beyond `--execute` (freeze: the account id or alias).
    pub confirm_with: Option<Vec<String>>,
}

impl Plan {
    /// Numbers the steps in order.
    pub fn new(
        action_id: String,
        playbook: Playbook,
        account: Identity,
        created: DateTime<Utc>,
        mut steps: Vec<Step>,
    ) -> Self {
        steps.sort_by_key(|s| s.phase);
        for (index, step) in steps.iter_mut().enumerate() {
            step.index = index + 1;
        }
        Plan {
            action_id,
            playbook,
            account,
            created,
            steps,
            exempt: Vec::new(),
            notes: Vec::new(),
            confirm_with: None,
        }
    }
}
