//! The countermeasures: one playbook for each way an intruder hides or comes back.
//! `restore-logging` starts stopped trails, `restore-detection` enables disabled GuardDuty
//! detectors (and creates one where the baseline's was deleted), `close-ingress` revokes exactly
//! the world-open rules the baseline does not list, `disable-rule` disables unknown EventBridge
//! rules, `detach-profile` removes unknown instance-profile associations and `disable-api-key`
//! disables unknown API keys. Each acts on its findings, and each step's inverse undoes exactly
//! it (a created detector is left by undo).

use chrono::{DateTime, Utc};

use super::guard::Guard;
use super::plan::{Plan, Playbook, Step};
use crate::model::finding::{Finding, FindingKind};
use crate::model::operation::{IngressRule, Operation, PrincipalKind};
use crate::model::{Detector, Identity, Inventory};

pub use super::measure::Countermeasure;

/// Plans `measure` on each of `findings` it acts on (the others are left out), from what the
/// scan read in `inventory`. An instance profile whose role `guard` keeps (the caller's own,
/// a break-glass role) is never detached.
pub fn plan(
    action_id: String,
    account: Identity,
    now: DateTime<Utc>,
    measure: Countermeasure,
    findings: &[&Finding],
    inventory: &Inventory,
    guard: &Guard,
) -> Plan {
    let mut steps = Vec::new();
    let mut notes = Vec::new();
    let mut targets = Vec::new();
    for finding in findings
        .iter()
        .filter(|f| Countermeasure::of_finding(f) == Some(measure))
    {
        targets.push(format!("{}/{}", finding.region, finding.resource_id));
        match step(finding, inventory, guard) {
            Ok(step) => steps.push(step),
            Err(note) => notes.push(note),
        }
    }
    if steps
        .iter()
        .any(|s| matches!(s.operation, Operation::CreateDetector))
    {
        notes.push(
            "a deleted detector cannot be restored: a new one is created (its findings history starts now), and undo leaves it".to_string(),
        );
    }
    let mut plan = Plan::new(
        action_id,
        Playbook::Countermeasure { measure, targets },
        account,
        now,
        steps,
    );
    plan.notes = notes;
    plan
}

/// The part of `inventory` the countermeasures of `findings` plan from: their security-group
/// rules, EventBridge rules and profile associations (a front end hands over only these).
pub fn inventory_for(findings: &[Finding], inventory: &Inventory) -> Inventory {
    let about = |region: &str, id: &str| {
        findings
            .iter()
            .any(|f| f.region == region && f.resource_id == id)
    };
    Inventory {
        open_ingress: inventory
            .open_ingress
            .iter()
            .filter(|r| about(&r.region, &r.group_id))
            .cloned()
            .collect(),
        event_rules: inventory
            .event_rules
            .iter()
            .filter(|r| about(&r.region, &r.id()))
            .cloned()
            .collect(),
        profile_associations: inventory
            .profile_associations
            .iter()
            .filter(|a| about(&a.region, &a.key()))
            .cloned()
            .collect(),
        // A deleted detector's step looks for one still there in its region.
        detectors: inventory
            .detectors
            .iter()
            .filter(|d| findings.iter().any(|f| f.region == d.region))
            .cloned()
            .collect(),
        roles: inventory.roles.clone(),
        ..Inventory::default()
    }
}

/// Freeze's part in keeping the account observable: the steps that turn logging and detection
/// back on, and what no step can mend (a trail that cannot deliver).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Observation {
    pub steps: Vec<Step>,
    pub notes: Vec<String>,
}

/// The steps that turn logging and detection back on for those of `findings` that say they are
/// off (freeze's part: a frozen account that cannot be observed is not contained), and a note
/// for each that no step mends. The steps are irreversible, so that unfreeze leaves the
/// account observable.
pub fn observation_steps(
    findings: &[Finding],
    inventory: &Inventory,
    guard: &Guard,
) -> Observation {
    let mut observation = Observation::default();
    for finding in findings.iter().filter(|f| {
        matches!(
            Countermeasure::of_finding(f),
            Some(Countermeasure::RestoreLogging | Countermeasure::RestoreDetection)
        )
    }) {
        match step(finding, inventory, guard) {
            Ok(s) => observation
                .steps
                .push(Step::irreversible(&s.region, s.phase, s.operation)),
            Err(note)
                if matches!(
                    finding.kind,
                    FindingKind::LogDeliveryBroken | FindingKind::DetectionDisabled
                ) =>
            {
                observation.notes.push(note)
            }
            Err(_) => {}
        }
    }
    observation
}

/// The step that counters `finding`, or why there is none.
fn step(finding: &Finding, inventory: &Inventory, guard: &Guard) -> Result<Step, String> {
    let region = finding.region.as_str();
    let id = finding.resource_id.as_str();
    let gone = || format!("{region}/{id}: not in the scan any more, nothing to do");
    Ok(match finding.kind {
        FindingKind::LogDeliveryBroken => {
            return Err(format!(
                "{region}/{id}: the trail logs but cannot deliver ({}): starting it changes nothing; {}",
                finding
                    .details
                    .first()
                    .map_or("delivery error", String::as_str),
                crate::model::TRAIL_DELIVERY_FIX
            ));
        }
        FindingKind::LoggingStopped => Step::new(
            region,
            0,
            Operation::StartLogging { trail: id.into() },
            Some(Operation::StopLogging { trail: id.into() }),
        ),
        FindingKind::DetectionDisabled
            if let Some(note) = inventory
                .detectors
                .iter()
                .find(|d| d.region == region && d.id == id)
                .and_then(Detector::administered) =>
        {
            return Err(format!("{region}/{id}: {note}"));
        }
        FindingKind::DetectionDisabled => Step::new(
            region,
            0,
            Operation::EnableDetector {
                detector_id: id.into(),
            },
            Some(Operation::DisableDetector {
                detector_id: id.into(),
            }),
        ),
        FindingKind::DeletedResource => {
            // GuardDuty allows one detector per region: one that is there (disabled, say) is
            // enabled by its own finding's step instead.
            if let Some(there) = inventory.detectors.iter().find(|d| d.region == region) {
                return Err(format!(
                    "{region}: detector {} is there instead of the deleted {id}: restore-detection enables it (its own finding) rather than creating another",
                    there.id
                ));
            }
            Step::irreversible(region, 0, Operation::CreateDetector)
        }
        FindingKind::OpenIngress => {
            let wanted: Vec<&str> = finding.facts.split(',').collect();
            let mut rules: Vec<IngressRule> = inventory
                .open_ingress
                .iter()
                .filter(|r| r.region == region && r.group_id == id)
                .filter(|r| wanted.contains(&r.key().as_str()))
                .map(|r| {
                    let all = r.protocol == "-1";
                    IngressRule {
                        protocol: r.protocol.clone(),
                        from_port: r.from_port.filter(|_| !all),
                        to_port: r.to_port.filter(|_| !all),
                        cidr: r.cidr.clone(),
                        description: r.description.clone(),
                        rule_id: Some(r.rule_id.clone()),
                    }
                })
                .collect();
            rules.sort();
            rules.dedup();
            if rules.is_empty() {
                return Err(gone());
            }
            Step::new(
                region,
                0,
                Operation::RevokeIngress {
                    group_id: id.into(),
                    rules: rules.clone(),
                },
                Some(Operation::AuthorizeIngress {
                    group_id: id.into(),
                    rules,
                }),
            )
        }
        FindingKind::UnknownEventRule => {
            let rule = inventory
                .event_rules
                .iter()
                .find(|r| r.region == region && r.id() == id)
                .ok_or_else(gone)?;
            if let Some(service) = &rule.managed_by {
                return Err(format!(
                    "rule {id} in {region} is managed by {service}: AWS refuses to disable it (ManagedRuleException); turn off what {service} runs instead"
                ));
            }
            let (bus, name) = (rule.bus.clone(), rule.name.clone());
            Step::new(
                region,
                0,
                Operation::DisableEventRule {
                    bus: bus.clone(),
                    name: name.clone(),
                },
                Some(Operation::EnableEventRule {
                    bus,
                    name,
                    all_management_events: rule.all_management_events,
                }),
            )
        }
        FindingKind::UnknownProfileAssociation => {
            let association = inventory
                .profile_associations
                .iter()
                .find(|a| a.region == region && a.key() == id)
                .ok_or_else(gone)?;
            let (instance_id, profile_arn) = (
                association.instance_id.clone(),
                association.profile_arn.clone(),
            );
            if guard.caller_instance() == Some(instance_id.as_str()) {
                return Err(format!(
                    "{region}/{id} is left alone: {instance_id} is the instance firebreak runs on (your session is named after it), and detaching its profile would cut you off"
                ));
            }
            let role = inventory.roles.iter().find(|r| {
                r.instance_profiles
                    .iter()
                    .any(|p| p == association.profile_name())
            });
            // The guard judges roles by name: a role that cannot be named (IAM was not read)
            // cannot be judged, and might be the caller's or break-glass.
            let Some(role) = role else {
                return Err(format!(
                    "{region}/{id} is left alone: the role in profile {} could not be named (IAM's roles were not read), so whether it is yours or break-glass cannot be judged; scan again once IAM can be read",
                    association.profile_name()
                ));
            };
            if let Some(reason) = guard.exemption(PrincipalKind::Role, &role.name, Some(&role.path))
            {
                return Err(format!(
                    "{region}/{id} is left alone: detaching it takes role {} from the instance, and that role is never touched ({reason})",
                    role.name
                ));
            }
            Step::new(
                region,
                0,
                Operation::DisassociateProfile {
                    instance_id: instance_id.clone(),
                    profile_arn: profile_arn.clone(),
                    role: Some(role.name.clone()),
                },
                Some(Operation::AssociateProfile {
                    instance_id,
                    profile_arn,
                }),
            )
        }
        FindingKind::UnknownApiKey => Step::new(
            region,
            0,
            Operation::DisableApiKey { key_id: id.into() },
            Some(Operation::EnableApiKey { key_id: id.into() }),
        ),
        _ => return Err(format!("{}: no countermeasure acts on it", finding.id)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::finding::{ResourceType, Severity, finding_id};
    use crate::model::{
        Detector, EventRule, GLOBAL, OpenIngress, Principals, ProfileAssociation, Role,
    };

    const ACCOUNT: &str = "123456789012";

    fn account(caller: &str) -> Identity {
        Identity {
            id: ACCOUNT.into(),
            alias: None,
            caller_arn: caller.into(),
        }
    }

    fn finding(kind: FindingKind, resource_type: ResourceType, id: &str) -> Finding {
        Finding {
            id: finding_id(kind, "us-east-1", id),
            kind,
            severity: Severity::Critical,
            region: "us-east-1".into(),
            resource_type,
            resource_id: id.into(),
            arn: None,
            summary: String::new(),
            details: Vec::new(),
            related: Vec::new(),
            facts: String::new(),
            attribution: None,
        }
    }

    fn planned(
        measure: Countermeasure,
        findings: &[Finding],
        inventory: &Inventory,
        caller: &str,
    ) -> Plan {
        let refs: Vec<&Finding> = findings.iter().collect();
        plan(
            "a-1".into(),
            account(caller),
            Utc::now(),
            measure,
            &refs,
            inventory,
            &Guard::new(caller, &["role/break-glass".into()]),
        )
    }

    fn estate() -> Inventory {
        let role = |name: &str| Role {
            region: GLOBAL.into(),
            name: name.into(),
            arn: format!("arn:aws:iam::{ACCOUNT}:role/{name}"),
            path: "/".into(),
            created: Utc::now(),
            trust: Principals::default(),
            attached_policies: Vec::new(),
            inline_policies: Vec::new(),
            admin_via: vec!["AdministratorAccess".into()],
            instance_profiles: vec![format!("{name}-profile")],
        };
        let association = |instance: &str, role: &str| ProfileAssociation {
            region: "us-east-1".into(),
            association_id: format!("iip-assoc-{instance}"),
            instance_id: instance.into(),
            profile_arn: format!("arn:aws:iam::{ACCOUNT}:instance-profile/{role}-profile"),
            state: "associated".into(),
        };
        Inventory {
            roles: vec![role("ec2-ops"), role("break-glass")],
            profile_associations: vec![
                association("i-1", "ec2-ops"),
                association("i-2", "break-glass"),
            ],
            event_rules: vec![EventRule {
                region: "us-east-1".into(),
                bus: "default".into(),
                name: "AutoScalingManagedRule".into(),
                arn: String::new(),
                enabled: true,
                all_management_events: false,
                schedule: None,
                targets: Some(Vec::new()),
                managed_by: Some("autoscaling.amazonaws.com".into()),
            }],
            detectors: vec![Detector {
                region: "us-east-1".into(),
                id: "d-new".into(),
                enabled: Some(false),
                administrator: None,
            }],
            ..Inventory::default()
        }
    }

    #[test]
    fn the_inventory_handed_over_is_exactly_what_the_findings_are_about() {
        let mut estate = estate();
        let ingress = |region: &str, group: &str| OpenIngress {
            region: region.into(),
            group_id: group.into(),
            group_name: None,
            rule_id: format!("sgr-{group}"),
            protocol: "tcp".into(),
            from_port: Some(22),
            to_port: Some(22),
            cidr: "0.0.0.0/0".into(),
            reach: None,
            description: None,
            managed_by: None,
        };
        estate.open_ingress = vec![
            ingress("us-east-1", "sg-1"),
            ingress("us-east-1", "sg-2"),
            ingress("eu-west-1", "sg-1"),
        ];
        let mut other_rule = estate.event_rules[0].clone();
        other_rule.name = "unrelated".into();
        estate.event_rules.push(other_rule);
        estate.detectors.push(Detector {
            region: "eu-west-1".into(),
            id: "d-eu".into(),
            enabled: Some(true),
            administrator: None,
        });
        let findings = [
            finding(
                FindingKind::OpenIngress,
                ResourceType::SecurityGroup,
                "sg-1",
            ),
            finding(
                FindingKind::UnknownEventRule,
                ResourceType::EventRule,
                "AutoScalingManagedRule",
            ),
            finding(
                FindingKind::UnknownProfileAssociation,
                ResourceType::Instance,
                &estate.profile_associations[0].key(),
            ),
        ];
        let handed = inventory_for(&findings, &estate);
        let groups: Vec<(&str, &str)> = handed
            .open_ingress
            .iter()
            .map(|r| (r.region.as_str(), r.group_id.as_str()))
            .collect();
        assert_eq!(groups, [("us-east-1", "sg-1")], "its region and group only");
        let rules: Vec<&str> = handed.event_rules.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(rules, ["AutoScalingManagedRule"]);
        let instances: Vec<&str> = handed
            .profile_associations
            .iter()
            .map(|a| a.instance_id.as_str())
            .collect();
        assert_eq!(instances, ["i-1"]);
        let detectors: Vec<&str> = handed.detectors.iter().map(|d| d.id.as_str()).collect();
        assert_eq!(detectors, ["d-new"], "only in the findings' regions");
        assert_eq!(
            handed.roles, estate.roles,
            "roles name what a profile would detach"
        );
        assert!(handed.functions.is_empty() && handed.snapshots.is_empty());
    }

    #[test]
    fn a_profile_whose_role_is_never_touched_is_not_detached_and_the_rest_name_their_role() {
        let findings = [
            finding(
                FindingKind::UnknownProfileAssociation,
                ResourceType::ProfileAssociation,
                "i-1/ec2-ops-profile",
            ),
            finding(
                FindingKind::UnknownProfileAssociation,
                ResourceType::ProfileAssociation,
                "i-2/break-glass-profile",
            ),
        ];
        let responder = format!("arn:aws:iam::{ACCOUNT}:user/responder");
        let plan = planned(
            Countermeasure::DetachProfile,
            &findings,
            &estate(),
            &responder,
        );
        let roles: Vec<Option<&str>> = plan
            .steps
            .iter()
            .map(|s| match &s.operation {
                Operation::DisassociateProfile { role, .. } => role.as_deref(),
                _ => None,
            })
            .collect();
        assert_eq!(roles, [Some("ec2-ops")]);
        assert!(
            plan.notes
                .iter()
                .any(|n| n.contains("break-glass") && n.contains("left alone")),
            "{:?}",
            plan.notes
        );
        // Firebreak running on the instance as that role: its own credentials stay.
        let on_the_instance = format!("arn:aws:sts::{ACCOUNT}:assumed-role/ec2-ops/i-1");
        let plan = planned(
            Countermeasure::DetachProfile,
            &findings[..1],
            &estate(),
            &on_the_instance,
        );
        assert!(plan.steps.is_empty(), "{:?}", plan.steps);
    }

    #[test]
    fn detach_profile_refuses_the_callers_own_instance_and_a_role_it_cannot_name() {
        let on_i1 = finding(
            FindingKind::UnknownProfileAssociation,
            ResourceType::ProfileAssociation,
            "i-1/ec2-ops-profile",
        );
        // IAM could not be read: the profile's role is unknown, so the guard cannot judge it.
        let unread = Inventory {
            roles: Vec::new(),
            ..estate()
        };
        let plan = planned(
            Countermeasure::DetachProfile,
            std::slice::from_ref(&on_i1),
            &unread,
            &format!("arn:aws:iam::{ACCOUNT}:user/responder"),
        );
        assert!(plan.steps.is_empty(), "{:?}", plan.steps);
        assert!(
            plan.notes[0].contains("could not be named")
                && plan.notes[0].contains("ec2-ops-profile"),
            "{:?}",
            plan.notes
        );
        // A forensic instance's responder, whose role's name is not what the profile holds:
        // the instance id in the session name is enough.
        let forensic = format!("arn:aws:sts::{ACCOUNT}:assumed-role/forensics/i-1");
        let plan = planned(
            Countermeasure::DetachProfile,
            std::slice::from_ref(&on_i1),
            &unread,
            &forensic,
        );
        assert!(plan.steps.is_empty(), "{:?}", plan.steps);
        assert!(
            plan.notes[0].contains("i-1 is the instance firebreak runs on"),
            "{:?}",
            plan.notes
        );
        // Another instance's session name is no reason to keep i-1's profile.
        let elsewhere = format!("arn:aws:sts::{ACCOUNT}:assumed-role/forensics/i-2");
        let plan = planned(
            Countermeasure::DetachProfile,
            &[on_i1],
            &estate(),
            &elsewhere,
        );
        assert_eq!(plan.steps.len(), 1, "{:?}", plan.notes);
    }

    #[test]
    fn managed_rules_and_a_second_detector_are_left_out_with_a_note() {
        let rule = finding(
            FindingKind::UnknownEventRule,
            ResourceType::EventRule,
            "AutoScalingManagedRule",
        );
        let plan = planned(
            Countermeasure::DisableRule,
            &[rule],
            &estate(),
            "arn:aws:iam::123456789012:user/responder",
        );
        assert!(plan.steps.is_empty());
        assert!(
            plan.notes[0].contains("ManagedRuleException"),
            "{:?}",
            plan.notes
        );

        // The deleted detector was replaced by a disabled one: enabled, not created beside it.
        let findings = [
            finding(
                FindingKind::DeletedResource,
                ResourceType::Detector,
                "d-old",
            ),
            finding(
                FindingKind::DetectionDisabled,
                ResourceType::Detector,
                "d-new",
            ),
        ];
        let plan = planned(
            Countermeasure::RestoreDetection,
            &findings,
            &estate(),
            "arn:aws:iam::123456789012:user/responder",
        );
        let apis: Vec<&str> = plan.steps.iter().map(|s| s.api.as_str()).collect();
        assert_eq!(apis, ["UpdateDetector"]);
        assert!(
            plan.notes.iter().any(|n| n.contains("d-new")),
            "{:?}",
            plan.notes
        );
    }

    #[test]
    fn a_detector_its_guardduty_administrator_suspended_is_left_to_that_administrator() {
        let mut estate = estate();
        estate.detectors[0].administrator = Some("210987654321".into());
        let disabled = [finding(
            FindingKind::DetectionDisabled,
            ResourceType::Detector,
            "d-new",
        )];
        let plan = planned(
            Countermeasure::RestoreDetection,
            &disabled,
            &estate,
            "arn:aws:iam::123456789012:user/responder",
        );
        assert!(plan.steps.is_empty(), "{:?}", plan.steps);
        assert!(
            plan.notes
                .iter()
                .any(|n| n.contains("210987654321") && n.contains("only that account")),
            "{:?}",
            plan.notes
        );
        // Freeze says so too, rather than leaving the account unwatched without a word.
        let guard = Guard::new("arn:aws:iam::123456789012:user/responder", &[]);
        let observation = observation_steps(&disabled, &estate, &guard);
        assert!(observation.steps.is_empty());
        assert!(
            observation.notes.iter().any(|n| n.contains("210987654321")),
            "{:?}",
            observation.notes
        );
    }

    #[test]
    fn freeze_notes_a_trail_that_cannot_deliver_and_restarts_a_stopped_one() {
        let mut broken = finding(FindingKind::LogDeliveryBroken, ResourceType::Trail, "audit");
        broken.details = vec!["S3 delivery: NoSuchBucket".into()];
        let stopped = finding(FindingKind::LoggingStopped, ResourceType::Trail, "org");
        // A deleted detector where another is there: no step, and nothing to say in freeze.
        let replaced = finding(
            FindingKind::DeletedResource,
            ResourceType::Detector,
            "d-old",
        );
        let guard = Guard::new("arn:aws:iam::123456789012:user/responder", &[]);
        let observation = observation_steps(&[broken, stopped, replaced], &estate(), &guard);
        let apis: Vec<&str> = observation.steps.iter().map(|s| s.api.as_str()).collect();
        assert_eq!(apis, ["StartLogging"]);
        assert_eq!(observation.notes.len(), 1, "{:?}", observation.notes);
        assert!(
            observation.notes[0].contains("NoSuchBucket")
                && observation.notes[0].contains(crate::model::TRAIL_DELIVERY_FIX),
            "{:?}",
            observation.notes
        );
    }

    #[test]
    fn close_ingress_revokes_the_named_rules_by_id_and_a_detector_not_administered_is_enabled() {
        let mut estate = estate();
        estate.open_ingress = vec![OpenIngress {
            region: "us-east-1".into(),
            group_id: "sg-1".into(),
            group_name: None,
            rule_id: "sgr-22".into(),
            protocol: "tcp".into(),
            from_port: Some(22),
            to_port: Some(22),
            cidr: "pl-world".into(),
            reach: Some("prefix list pl-world holds 0.0.0.0/0".into()),
            description: None,
            managed_by: None,
        }];
        let mut open = finding(
            FindingKind::OpenIngress,
            ResourceType::SecurityGroup,
            "sg-1",
        );
        open.facts = estate.open_ingress[0].key();
        let plan = planned(
            Countermeasure::CloseIngress,
            &[open],
            &estate,
            "arn:aws:iam::123456789012:user/responder",
        );
        let Some(Operation::RevokeIngress { group_id, rules }) =
            plan.steps.first().map(|s| &s.operation)
        else {
            panic!("{:?}", plan.steps);
        };
        assert_eq!(group_id, "sg-1");
        assert_eq!(rules.len(), 1);
        assert_eq!(rules[0].cidr, "pl-world");
        assert_eq!(rules[0].rule_id.as_deref(), Some("sgr-22"));

        // The administrator manages d-new; a finding about another detector of the region is
        // that detector's, and is acted on.
        estate.detectors[0].administrator = Some("210987654321".into());
        let other = finding(
            FindingKind::DetectionDisabled,
            ResourceType::Detector,
            "d-other",
        );
        let plan = planned(
            Countermeasure::RestoreDetection,
            &[other],
            &estate,
            "arn:aws:iam::123456789012:user/responder",
        );
        let apis: Vec<&str> = plan.steps.iter().map(|s| s.api.as_str()).collect();
        assert_eq!(apis, ["UpdateDetector"]);
    }
}
