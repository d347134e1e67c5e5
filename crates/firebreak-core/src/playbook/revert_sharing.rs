//! revert-sharing: remove `all` and untrusted accounts from snapshot and AMI permissions, and
//! the Lambda resource-policy statements that let in anyone or an untrusted account (a function
//! URL without auth goes back to `AWS_IAM`), keeping the accounts the baseline trusts;
//! optionally turn on block public access in those regions. Undo restores the exact prior
//! permission list, statement by statement.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};

use super::plan::{Plan, Playbook, Step};
use crate::model::operation::SnapshotBlock;
use crate::model::operation::{Operation, SharingChange};
use crate::model::{Identity, Sharing, UrlAuth};
use crate::policy::FunctionStatement;

/// A snapshot or an AMI.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SharedKind {
    Snapshot,
    Image,
}

/// A resource to make private again, with who it is shared with now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharedResource {
    pub kind: SharedKind,
    pub region: String,
    pub id: String,
    pub sharing: Sharing,
}

/// A function (or one of its aliases) to close, with its resource-policy statements and URL
/// auth read now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExposedFunction {
    pub region: String,
    pub name: String,
    /// The alias whose own policy and URL these are (`None`: the function's).
    pub qualifier: Option<String>,
    pub statements: Vec<FunctionStatement>,
    pub url_auth: Option<UrlAuth>,
}

/// Block public access in a region, per resource type (`None`: could not tell).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BlockPublicAccess {
    pub snapshots: Option<SnapshotBlock>,
    pub images: Option<bool>,
}

/// Plans the revert. `trusted` accounts stay; `block` lists the regions to guard, with their
/// current state.
pub fn plan(
    action_id: String,
    account: Identity,
    now: DateTime<Utc>,
    resources: &[SharedResource],
    functions: &[ExposedFunction],
    trusted: &BTreeSet<String>,
    block: &BTreeMap<String, BlockPublicAccess>,
) -> Plan {
    let mut steps = Vec::new();
    let mut notes = Vec::new();
    for resource in resources {
        let untrusted: Vec<String> = resource
            .sharing
            .accounts
            .iter()
            .filter(|a| !trusted.contains(*a) && **a != account.id)
            .cloned()
            .collect();
        let kept: Vec<&String> = resource
            .sharing
            .accounts
            .iter()
            .filter(|a| trusted.contains(*a))
            .collect();
        if !kept.is_empty() {
            notes.push(format!(
                "{} keeps trusted {}",
                resource.id,
                kept.iter()
                    .map(|a| a.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        if !resource.sharing.organizations.is_empty() {
            notes.push(format!(
                "{} is also shared with {}: organization shares are left for review",
                resource.id,
                resource
                    .sharing
                    .organizations
                    .iter()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        // A resource already private still gets its step (reported skipped): re-running a
        // half-done plan only does the rest.
        if !resource.sharing.public && untrusted.is_empty() {
            notes.push(format!(
                "{} is not shared outside trusted accounts: nothing to remove",
                resource.id
            ));
        }
        let change = SharingChange::remove(resource.sharing.public, untrusted);
        let id = resource.id.clone();
        let (operation, inverse) = match resource.kind {
            SharedKind::Snapshot => (
                Operation::ModifySnapshotSharing {
                    snapshot_id: id.clone(),
                    change: change.clone(),
                },
                Operation::ModifySnapshotSharing {
                    snapshot_id: id,
                    change: change.inverse(),
                },
            ),
            SharedKind::Image => (
                Operation::ModifyImageSharing {
                    image_id: id.clone(),
                    change: change.clone(),
                },
                Operation::ModifyImageSharing {
                    image_id: id,
                    change: change.inverse(),
                },
            ),
        };
        steps.push(Step::new(&resource.region, 0, operation, Some(inverse)));
    }
    for function in functions {
        steps.extend(function_steps(function, trusted, &account.id, &mut notes));
    }
    for (region, state) in block {
        steps.extend(block_steps(region, *state));
    }
    let mut plan = Plan::new(action_id, Playbook::RevertSharing, account, now, steps);
    plan.notes = notes;
    plan
}

/// Steps that close one function: remove each statement letting in `*` or an untrusted account
/// (the statement is kept in the plan so that undo adds it back), and set a URL without auth
/// back to `AWS_IAM`. Reserved concurrency is never touched.
fn function_steps(
    function: &ExposedFunction,
    trusted: &BTreeSet<String>,
    own_account: &str,
    notes: &mut Vec<String>,
) -> Vec<Step> {
    let mut steps = Vec::new();
    let name = &function.name;
    let qualifier = &function.qualifier;
    let shown = match qualifier {
        Some(alias) => format!("{name}:{alias}"),
        None => name.clone(),
    };
    for statement in &function.statements {
        let untrusted: Vec<&String> = statement
            .principals
            .accounts
            .iter()
            .filter(|a| !trusted.contains(*a) && *a != own_account)
            .collect();
        if !statement.principals.public && untrusted.is_empty() {
            continue;
        }
        let remove = Operation::RemoveFunctionPermission {
            function: name.clone(),
            statement_id: statement.sid.clone(),
            qualifier: qualifier.clone(),
        };
        match &statement.grant {
            Some(grant) => steps.push(Step::new(
                &function.region,
                0,
                remove,
                Some(Operation::AddFunctionPermission {
                    function: name.clone(),
                    grant: grant.clone(),
                    qualifier: qualifier.clone(),
                }),
            )),
            None => {
                notes.push(format!(
                    "statement {} of {shown} has conditions AddPermission cannot recreate: removing it cannot be undone (the full policy is in the journal's plan)",
                    statement.sid
                ));
                steps.push(Step::irreversible(&function.region, 0, remove));
            }
        }
    }
    if function.url_auth == Some(UrlAuth::None) {
        steps.push(Step::new(
            &function.region,
            0,
            Operation::SetFunctionUrlAuth {
                function: name.clone(),
                auth: UrlAuth::AwsIam,
                qualifier: qualifier.clone(),
            },
            Some(Operation::SetFunctionUrlAuth {
                function: name.clone(),
                auth: UrlAuth::None,
                qualifier: qualifier.clone(),
            }),
        ));
    }
    if steps.is_empty() && qualifier.is_none() {
        notes.push(format!(
            "function {shown} in {} lets in no one outside trusted accounts: nothing to remove",
            function.region
        ));
    }
    steps
}

/// Steps that turn on snapshot and image block public access in `region`, unless already on.
pub fn block_steps(region: &str, state: BlockPublicAccess) -> Vec<Step> {
    let mut steps = Vec::new();
    // Only block-all-sharing stops snapshots that are public already; undo returns to the
    // state read before.
    match state.snapshots {
        Some(SnapshotBlock::BlockAllSharing) => {}
        Some(SnapshotBlock::BlockNewSharing) => steps.push(Step::new(
            region,
            1,
            Operation::EnableSnapshotBlockPublicAccess,
            Some(Operation::BlockNewSnapshotSharing),
        )),
        Some(SnapshotBlock::Unblocked) | None => steps.push(Step::new(
            region,
            1,
            Operation::EnableSnapshotBlockPublicAccess,
            Some(Operation::DisableSnapshotBlockPublicAccess),
        )),
    }
    if state.images != Some(true) {
        steps.push(Step::new(
            region,
            1,
            Operation::EnableImageBlockPublicAccess,
            Some(Operation::DisableImageBlockPublicAccess),
        ));
    }
    steps
}

#[cfg(test)]
mod tests {
    use super::*;

    const PARTNER: &str = "210987654321";
    const STRANGER: &str = "666655554444";

    fn identity() -> Identity {
        Identity {
            id: "123456789012".into(),
            alias: None,
            caller_arn: "arn:aws:iam::123456789012:user/responder".into(),
        }
    }

    #[test]
    fn notes_say_what_is_kept_left_for_review_or_already_private() {
        let shared = |id: &str, public: bool, accounts: &[&str], orgs: &[&str]| SharedResource {
            kind: SharedKind::Snapshot,
            region: "us-east-1".into(),
            id: id.into(),
            sharing: Sharing {
                public,
                accounts: accounts.iter().map(|a| a.to_string()).collect(),
                organizations: orgs.iter().map(|o| o.to_string()).collect(),
            },
        };
        let resources = [
            shared(
                "snap-org",
                false,
                &[],
                &["arn:aws:organizations::1:organization/o-abc"],
            ),
            shared("snap-private", false, &[PARTNER], &[]),
            shared("snap-public", true, &[], &[]),
            shared("snap-stranger", false, &[STRANGER], &[]),
        ];
        let trusted: BTreeSet<String> = [PARTNER.to_string()].into();
        let plan = plan(
            "a".into(),
            identity(),
            Utc::now(),
            &resources,
            &[],
            &trusted,
            &BTreeMap::new(),
        );
        assert_eq!(
            plan.notes,
            [
                "snap-org is also shared with arn:aws:organizations::1:organization/o-abc: organization shares are left for review",
                "snap-org is not shared outside trusted accounts: nothing to remove",
                "snap-private keeps trusted 210987654321",
                "snap-private is not shared outside trusted accounts: nothing to remove",
            ]
        );
    }

    #[test]
    fn a_function_loses_only_statements_naming_strangers_or_anyone() {
        let statement = |sid: &str, public: bool, accounts: &[&str]| FunctionStatement {
            sid: sid.into(),
            principals: crate::model::Principals {
                public,
                accounts: accounts.iter().map(|a| a.to_string()).collect(),
                ..Default::default()
            },
            grant: None,
        };
        let function =
            |qualifier: Option<&str>, statements: Vec<FunctionStatement>| ExposedFunction {
                region: "eu-west-1".into(),
                name: "orders".into(),
                qualifier: qualifier.map(str::to_string),
                statements,
                url_auth: None,
            };
        let functions = [
            function(
                None,
                vec![
                    statement("own", false, &["123456789012"]),
                    statement("partner", false, &[PARTNER]),
                    statement("stranger", false, &[STRANGER]),
                    statement("anyone", true, &[]),
                ],
            ),
            // An alias with nothing to remove says nothing; the function itself would.
            function(
                Some("live"),
                vec![statement("own", false, &["123456789012"])],
            ),
        ];
        let trusted: BTreeSet<String> = [PARTNER.to_string()].into();
        let plan = plan(
            "a".into(),
            identity(),
            Utc::now(),
            &[],
            &functions,
            &trusted,
            &BTreeMap::new(),
        );
        let removed: Vec<&str> = plan
            .steps
            .iter()
            .filter_map(|s| match &s.operation {
                Operation::RemoveFunctionPermission { statement_id, .. } => {
                    Some(statement_id.as_str())
                }
                _ => None,
            })
            .collect();
        assert_eq!(removed, ["stranger", "anyone"]);
        assert!(
            plan.notes.iter().all(|n| !n.contains("nothing to remove")),
            "{:?}",
            plan.notes
        );
        let quiet = super::plan(
            "b".into(),
            identity(),
            Utc::now(),
            &[],
            &[function(
                None,
                vec![statement("own", false, &["123456789012"])],
            )],
            &trusted,
            &BTreeMap::new(),
        );
        assert_eq!(
            quiet.notes,
            [
                "function orders in eu-west-1 lets in no one outside trusted accounts: nothing to remove"
            ]
        );
    }

    #[test]
    fn public_and_untrusted_are_removed_trusted_kept_and_inverse_restores() {
        let resources = [
            SharedResource {
                kind: SharedKind::Snapshot,
                region: "us-east-1".into(),
                id: "snap-1".into(),
                sharing: Sharing {
                    public: true,
                    accounts: [PARTNER.to_string(), STRANGER.to_string()].into(),
                    organizations: BTreeSet::new(),
                },
            },
            SharedResource {
                kind: SharedKind::Image,
                region: "us-west-2".into(),
                id: "ami-1".into(),
                sharing: Sharing {
                    public: false,
                    accounts: [PARTNER.to_string()].into(),
                    organizations: BTreeSet::new(),
                },
            },
        ];
        let trusted: BTreeSet<String> = [PARTNER.to_string()].into();
        let block = BTreeMap::from([(
            "us-east-1".to_string(),
            BlockPublicAccess {
                snapshots: Some(SnapshotBlock::Unblocked),
                images: Some(true),
            },
        )]);
        let plan = plan(
            "a".into(),
            identity(),
            Utc::now(),
            &resources,
            &[],
            &trusted,
            &block,
        );
        assert_eq!(plan.steps.len(), 3, "{:#?}", plan.steps);
        assert_eq!(
            plan.steps[0].operation,
            Operation::ModifySnapshotSharing {
                snapshot_id: "snap-1".into(),
                change: SharingChange::remove(true, vec![STRANGER.into()]),
            }
        );
        assert_eq!(
            plan.steps[0].inverse,
            Some(Operation::ModifySnapshotSharing {
                snapshot_id: "snap-1".into(),
                change: SharingChange {
                    add_public: true,
                    add_accounts: vec![STRANGER.into()],
                    ..SharingChange::default()
                },
            })
        );
        assert_eq!(plan.steps[1].target, "ami-1");
        assert_eq!(plan.steps[2].api, "EnableSnapshotBlockPublicAccess");
        assert_eq!(plan.steps[2].phase, 1);
        assert!(plan.notes.iter().any(|n| n.contains("ami-1 is not shared")));
        assert!(
            plan.notes
                .iter()
                .any(|n| n.contains("snap-1 keeps trusted 210987654321"))
        );
    }

    #[test]
    fn a_public_alias_is_closed_on_the_alias_and_undo_reopens_it_there() {
        let statements = crate::policy::function_statements(
            r#"{"Statement":[{"Sid":"open","Effect":"Allow","Principal":"*","Action":"lambda:InvokeFunction"}]}"#,
        )
        .expect("policy");
        let alias = ExposedFunction {
            region: "eu-west-1".into(),
            name: "orders".into(),
            qualifier: Some("live".into()),
            statements,
            url_auth: Some(UrlAuth::None),
        };
        let plan = plan(
            "a".into(),
            identity(),
            Utc::now(),
            &[],
            &[alias],
            &BTreeSet::new(),
            &BTreeMap::new(),
        );
        let targets: Vec<&str> = plan.steps.iter().map(|s| s.target.as_str()).collect();
        assert_eq!(targets, ["function orders:live", "function orders:live"]);
        assert!(matches!(
            &plan.steps[0].inverse,
            Some(Operation::AddFunctionPermission { qualifier: Some(q), .. }) if q == "live"
        ));
        assert!(matches!(
            &plan.steps[1].operation,
            Operation::SetFunctionUrlAuth { qualifier: Some(q), auth: UrlAuth::AwsIam, .. } if q == "live"
        ));
    }
}
