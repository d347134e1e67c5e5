//! freeze: the emergency stop for a Code Spaces-style takeover. An inline deny-all policy on
//! every IAM user and role that is not exempt, block public sharing in every region, and
//! logging and threat detection turned back on where they were turned off.
//! Confirmation needs the account id (or alias) typed. unfreeze (undo of the newest freeze)
//! removes exactly what freeze added, from the journal.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::countermeasure::Observation;
use super::disable_user::{deny_all_document, deny_steps, partition};
use super::guard::Guard;
use super::plan::{Exempt, Plan, Playbook};
use super::protect_data::{PROTECT_SID, deny_step};
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

/// The AWS services that carry logs and findings to where they are kept, by the first labels
/// of their service principal (`cloudtrail.amazonaws.com`, `logs.eu-west-1.amazonaws.com`):
/// CloudTrail to CloudWatch Logs, VPC Flow Logs, vended log delivery, CloudWatch Logs
/// subscriptions, AWS Config, GuardDuty, Security Hub, EventBridge targets (findings forwarded
/// to a security account) and Firehose streams.
const DELIVERY_SERVICES: &[&str] = &[
    "cloudtrail",
    "vpc-flow-logs",
    "delivery.logs",
    "logs",
    "config",
    "guardduty",
    "securityhub",
    "events",
    "firehose",
];

/// Whether `principal` is the service principal of a log or detection delivery service, in
/// any partition (`….amazonaws.com`, `….amazonaws.com.cn`) and in its regional form.
pub fn is_delivery_service(principal: &str) -> bool {
    let principal = principal.to_ascii_lowercase();
    let Some(name) = principal
        .strip_suffix(".amazonaws.com")
        .or_else(|| principal.strip_suffix(".amazonaws.com.cn"))
    else {
        return false;
    };
    DELIVERY_SERVICES.iter().any(|service| {
        name == *service
            || name
                .strip_prefix(service)
                .and_then(|rest| rest.strip_prefix('.'))
                .is_some_and(|region| !region.is_empty() && !region.contains('.'))
    })
}

/// Why freeze keeps `principal` out of its deny, when it carries logs or findings: a role that
/// `named` lists (a trail's CloudWatch Logs role, a flow log's delivery role, one the config
/// names) or that only delivery services may assume. Denying it would silence the logging and
/// detection freeze promises to keep on.
fn delivery_reason(principal: &PrincipalRef, named: &BTreeMap<String, String>) -> Option<String> {
    if principal.kind != PrincipalKind::Role {
        return None;
    }
    if let Some(why) = named
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(&principal.name))
        .map(|(_, why)| why)
    {
        return Some(format!("delivers logs or findings: {why}"));
    }
    let services = principal.trusted_services.as_ref()?;
    services.iter().all(|s| is_delivery_service(s)).then(|| {
        format!(
            "delivers logs or findings: only {} may assume it",
            services.iter().cloned().collect::<Vec<_>>().join(", ")
        )
    })
}

/// Plans a freeze of `principals` and of public sharing in `regions`, with `observation`
/// (the steps that turn logging and detection back on, see
/// [`super::countermeasure::observation_steps`]). The roles `delivery_roles` names (role name
/// → why) and those only delivery services may assume are exempt, with the reason.
#[allow(clippy::too_many_arguments)]
pub fn plan(
    action_id: String,
    account: Identity,
    now: DateTime<Utc>,
    principals: &[PrincipalRef],
    guard: &Guard,
    delivery_roles: &BTreeMap<String, String>,
    regions: &BTreeMap<String, BlockPublicAccess>,
    observation: Observation,
    backups: &[(String, String)],
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
        if let Some(reason) = guard
            .exemption(principal.kind, &principal.name, Some(&principal.path))
            .or_else(|| delivery_reason(principal, delivery_roles))
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
    for (region, bucket) in backups {
        steps.push(deny_step(
            region,
            bucket,
            partition(&account),
            &account.id,
            guard,
            0,
        ));
    }
    if !backups.is_empty() {
        notes.push(format!(
            "buckets the baseline marks as holding backups get the {PROTECT_SID} deny: no one but you, break-glass and AWS services can delete from them or change their settings"
        ));
    }
    let observed = !observation.steps.is_empty();
    steps.extend(observation.steps);
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
    notes.extend(observation.notes);
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
    use crate::playbook::plan::Step;

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
            trusted_services: None,
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
            &BTreeMap::new(),
            &regions,
            Observation {
                steps: vec![Step::irreversible(
                    "eu-west-1",
                    0,
                    crate::model::operation::Operation::StartLogging {
                        trail: "org-trail".into(),
                    },
                )],
                notes: Vec::new(),
            },
            &[("us-east-1".to_string(), "db-backups".to_string())],
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
                "us-east-1 PutBucketPolicy bucket db-backups policy",
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
        assert!(
            plan.notes
                .iter()
                .any(|n| n.starts_with("buckets the baseline marks as holding backups")),
            "{:?}",
            plan.notes
        );
        assert!(
            guard.denied_in(&plan).is_empty(),
            "the backups deny spares the caller"
        );
    }

    #[test]
    fn roles_that_deliver_logs_or_findings_are_exempt_with_the_reason() {
        let account = Identity {
            id: "123456789012".into(),
            alias: None,
            caller_arn: "arn:aws:iam::123456789012:user/responder".into(),
        };
        let role = |name: &str, services: Option<&[&str]>| PrincipalRef {
            kind: PrincipalKind::Role,
            name: name.into(),
            path: "/".into(),
            inline_chars: 0,
            trusted_services: services.map(|s| s.iter().map(|s| s.to_string()).collect()),
        };
        let principals = [
            role("CloudTrailToLogs", Some(&["cloudtrail.amazonaws.com"])),
            role(
                "FlowLogs",
                Some(&["vpc-flow-logs.amazonaws.com", "delivery.logs.amazonaws.com"]),
            ),
            role("Subscription", Some(&["logs.eu-west-1.amazonaws.com"])),
            role("ConfigRecorder", Some(&["config.amazonaws.com"])),
            // A delivery service beside one that is not: the role can run code.
            role(
                "Mixed",
                Some(&["cloudtrail.amazonaws.com", "lambda.amazonaws.com"]),
            ),
            role("FunctionRole", Some(&["lambda.amazonaws.com"])),
            // Trusted by people (or not read): judged by name only.
            role("trail-writer", None),
            role("app", None),
        ];
        let named = BTreeMap::from([(
            "Trail-Writer".to_string(),
            "the CloudWatch Logs role of trail org-trail (eu-west-1)".to_string(),
        )]);
        let guard = Guard::new(&account.caller_arn, &[]);
        let plan = plan(
            "f".into(),
            account,
            Utc::now(),
            &principals,
            &guard,
            &named,
            &BTreeMap::new(),
            Observation::default(),
            &[],
        );
        // Nothing to turn back on: the plan does not say it turns anything back on.
        assert!(
            plan.notes.iter().all(|n| !n.contains("turned back on")),
            "{:?}",
            plan.notes
        );
        let denied: Vec<&str> = plan.steps.iter().map(|s| s.target.as_str()).collect();
        assert_eq!(
            denied,
            [
                "role/Mixed policy firebreak-freeze",
                "role/FunctionRole policy firebreak-freeze",
                "role/app policy firebreak-freeze",
            ]
        );
        let exempt: Vec<(&str, &str)> = plan
            .exempt
            .iter()
            .map(|e| (e.principal.as_str(), e.reason.as_str()))
            .collect();
        assert_eq!(
            exempt,
            [
                (
                    "role/CloudTrailToLogs",
                    "delivers logs or findings: only cloudtrail.amazonaws.com may assume it"
                ),
                (
                    "role/FlowLogs",
                    "delivers logs or findings: only delivery.logs.amazonaws.com, vpc-flow-logs.amazonaws.com may assume it"
                ),
                (
                    "role/Subscription",
                    "delivers logs or findings: only logs.eu-west-1.amazonaws.com may assume it"
                ),
                (
                    "role/ConfigRecorder",
                    "delivers logs or findings: only config.amazonaws.com may assume it"
                ),
                (
                    "role/trail-writer",
                    "delivers logs or findings: the CloudWatch Logs role of trail org-trail (eu-west-1)"
                ),
            ]
        );
    }

    #[test]
    fn delivery_services_are_known_by_their_principal_in_any_partition_and_region() {
        for yes in [
            "cloudtrail.amazonaws.com",
            "CloudTrail.amazonaws.com",
            "logs.us-gov-west-1.amazonaws.com",
            "delivery.logs.amazonaws.com",
            "config.amazonaws.com.cn",
            "events.amazonaws.com",
        ] {
            assert!(is_delivery_service(yes), "{yes}");
        }
        for no in [
            "lambda.amazonaws.com",
            "ec2.amazonaws.com",
            "logsx.amazonaws.com",
            "logs.a.b.amazonaws.com",
            "logs.amazonaws.com.evil.example",
            "cloudtrail",
            "logs..amazonaws.com",
        ] {
            assert!(!is_delivery_service(no), "{no}");
        }
    }
}
