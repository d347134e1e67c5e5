//! freeze: the emergency stop for a Code Spaces-style takeover. An inline deny-all policy on
//! every IAM user and role that is not exempt, block public sharing in every region, and
//! logging and threat detection turned back on where they were turned off.
//! Confirmation needs the account id (or alias) typed. unfreeze (undo of the newest freeze)
//! removes exactly what freeze added, from the journal.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::disable_user::{deny_all_document, deny_steps, partition};
use super::guard::Guard;
use super::plan::{Exempt, Plan, Playbook, Step};
use super::revert_sharing::{BlockPublicAccess, block_steps};
use crate::model::Identity;
use crate::model::operation::{PrincipalKind, PrincipalRef};

/// Name of the inline policy freeze puts on every principal.
pub const FREEZE_POLICY: &str = "firebreak-freeze";

/// What stops an IAM Identity Center (SSO) role, which IAM itself refuses to change.
pub const IDENTITY_CENTER_ADVICE: &str = "to stop them, remove their permission-set assignments in IAM Identity Center, or deny them with an SCP from the organization's management account";

/// Roles IAM Identity Center manages (`AWSReservedSSO_*`): IAM answers `UnmodifiableEntity` to
/// any change.
pub fn is_identity_center_role(path: &str) -> bool {
    path.starts_with("/aws-reserved/sso.amazonaws.com/")
}

/// Plans a freeze of `principals` and of public sharing in `regions`, with `observation`
/// (the steps that turn logging and detection back on, see
/// [`super::countermeasure::observation_steps`]).
pub fn plan(
    action_id: String,
    account: Identity,
    now: DateTime<Utc>,
    principals: &[PrincipalRef],
    guard: &Guard,
    regions: &BTreeMap<String, BlockPublicAccess>,
    observation: Vec<Step>,
) -> Plan {
    let mut steps = Vec::new();
    let mut exempt = Vec::new();
    let mut unfreezable = Vec::new();
    let mut notes = Vec::new();
    for principal in principals {
        let label = match principal.kind {
            PrincipalKind::User => format!("user/{}", principal.name),
            PrincipalKind::Role => format!("role/{}", principal.name),
        };
        if let Some(reason) =
            guard.exemption(principal.kind, &principal.name, Some(&principal.path))
        {
            exempt.push(Exempt {
                principal: label,
                reason,
            });
            continue;
        }
        if principal.kind == PrincipalKind::Role && is_identity_center_role(&principal.path) {
            unfreezable.push(label);
            continue;
        }
        steps.extend(deny_steps(
            principal.kind,
            &principal.name,
            principal.inline_chars,
            &[(FREEZE_POLICY, deny_all_document())],
            partition(&account),
            &mut notes,
        ));
    }
    for (region, state) in regions {
        steps.extend(block_steps(region, *state));
    }
    let observed = !observation.is_empty();
    steps.extend(observation);
    let mut confirm_with = vec![account.id.clone()];
    confirm_with.extend(account.alias.clone());
    let mut plan = Plan::new(action_id, Playbook::Freeze, account, now, steps);
    plan.exempt = exempt;
    notes.insert(
        0,
        "every principal with a step loses all access until unfreeze; running sessions of roles are denied too"
            .to_string(),
    );
    if observed {
        notes.push(
            "logging and threat detection are turned back on where they were turned off; unfreeze leaves them on".to_string(),
        );
    }
    plan.notes = notes;
    if !unfreezable.is_empty() {
        plan.notes.push(format!(
            "NOT frozen: {} IAM Identity Center role(s) ({}) cannot be changed in IAM (UnmodifiableEntity); {}",
            unfreezable.len(),
            unfreezable.join(", "),
            IDENTITY_CENTER_ADVICE
        ));
    }
    plan.confirm_with = Some(confirm_with);
    plan
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::operation::SnapshotBlock;

    #[test]
    fn everyone_but_the_exempt_is_denied_and_sharing_blocked() {
        let account = Identity {
            id: "123456789012".into(),
            alias: Some("acme-prod".into()),
            caller_arn: "arn:aws:iam::123456789012:user/responder".into(),
        };
        let principal = |kind, name: &str, path: &str| PrincipalRef {
            kind,
            name: name.into(),
            path: path.into(),
            inline_chars: 0,
        };
        let principals = [
            principal(PrincipalKind::User, "responder", "/"),
            principal(PrincipalKind::User, "mallory", "/"),
            principal(PrincipalKind::User, "break-glass", "/"),
            principal(PrincipalKind::Role, "app", "/"),
            principal(
                PrincipalKind::Role,
                "AWSServiceRoleForSupport",
                "/aws-service-role/support.amazonaws.com/",
            ),
            principal(
                PrincipalKind::Role,
                "AWSReservedSSO_AdministratorAccess_0123456789abcdef",
                "/aws-reserved/sso.amazonaws.com/eu-west-1/",
            ),
        ];
        let guard = Guard::new(&account.caller_arn, &["user/break-glass".into()]);
        let regions = BTreeMap::from([
            ("eu-west-1".to_string(), BlockPublicAccess::default()),
            (
                "us-east-1".to_string(),
                BlockPublicAccess {
                    snapshots: Some(SnapshotBlock::BlockAllSharing),
                    images: Some(false),
                },
            ),
        ]);
        let plan = plan(
            "f".into(),
            account,
            Utc::now(),
            &principals,
            &guard,
            &regions,
            vec![Step::irreversible(
                "eu-west-1",
                0,
                crate::model::operation::Operation::StartLogging {
                    trail: "org-trail".into(),
                },
            )],
        );
        let targets: Vec<String> = plan
            .steps
            .iter()
            .map(|s| format!("{} {} {}", s.region, s.api, s.target))
            .collect();
        assert_eq!(
            targets,
            [
                "global PutUserPolicy user/mallory policy firebreak-freeze",
                "global PutRolePolicy role/app policy firebreak-freeze",
                // Logging first: what the rest of the freeze does is recorded.
                "eu-west-1 StartLogging trail org-trail",
                "eu-west-1 EnableSnapshotBlockPublicAccess snapshot block public access",
                "eu-west-1 EnableImageBlockPublicAccess image block public access",
                "us-east-1 EnableImageBlockPublicAccess image block public access",
            ]
        );
        let exempt: Vec<&str> = plan.exempt.iter().map(|e| e.principal.as_str()).collect();
        assert_eq!(
            exempt,
            [
                "user/responder",
                "user/break-glass",
                "role/AWSServiceRoleForSupport"
            ]
        );
        assert!(
            plan.notes
                .iter()
                .any(|n| n.starts_with("NOT frozen: 1 IAM Identity Center role")
                    && n.contains("AWSReservedSSO_AdministratorAccess_0123456789abcdef")
                    && n.contains("permission-set assignments")),
            "an SSO role gets no step IAM would refuse, and the plan says what to do: {:?}",
            plan.notes
        );
        assert_eq!(
            plan.confirm_with,
            Some(vec!["123456789012".to_string(), "acme-prod".to_string()])
        );
    }
}
