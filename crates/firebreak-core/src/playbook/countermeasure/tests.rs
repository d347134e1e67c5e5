use super::*;
use crate::model::finding::{ResourceType, Severity};
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
    let mut finding = crate::model::finding::sample(kind, resource_type, "us-east-1", id);
    finding.severity = Severity::Critical;
    finding
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
        plan.notes[0].contains("could not be named") && plan.notes[0].contains("ec2-ops-profile"),
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

fn ingress(
    region: &str,
    group: &str,
    rule: &str,
    protocol: &str,
    ports: Option<i32>,
) -> OpenIngress {
    OpenIngress {
        region: region.into(),
        group_id: group.into(),
        group_name: None,
        rule_id: rule.into(),
        protocol: protocol.into(),
        from_port: ports,
        to_port: ports,
        cidr: "0.0.0.0/0".into(),
        reach: None,
        description: Some(format!("{rule} rule")),
        managed_by: None,
    }
}

#[test]
fn close_ingress_takes_only_the_named_groups_rules_in_its_region_as_aws_writes_them() {
    let mut estate = estate();
    estate.open_ingress = vec![
        ingress("us-east-1", "sg-1", "sgr-ssh", "tcp", Some(22)),
        // AWS writes an all-traffic rule's ports as -1; the revoke names none.
        ingress("us-east-1", "sg-1", "sgr-all", "-1", Some(-1)),
        ingress("us-east-1", "sg-2", "sgr-other-group", "tcp", Some(22)),
        ingress("eu-west-1", "sg-1", "sgr-other-region", "tcp", Some(22)),
    ];
    let mut open = finding(
        FindingKind::OpenIngress,
        ResourceType::SecurityGroup,
        "sg-1",
    );
    open.facts = estate
        .open_ingress
        .iter()
        .map(|r| r.key())
        .collect::<Vec<_>>()
        .join(",");
    let plan = planned(
        Countermeasure::CloseIngress,
        &[open],
        &estate,
        "arn:aws:iam::123456789012:user/responder",
    );
    let Some(Operation::RevokeIngress { rules, .. }) = plan.steps.first().map(|s| &s.operation)
    else {
        panic!("{:?}", plan.steps);
    };
    let taken: Vec<(&str, Option<i32>, Option<i32>)> = rules
        .iter()
        .map(|r| {
            (
                r.rule_id.as_deref().unwrap_or_default(),
                r.from_port,
                r.to_port,
            )
        })
        .collect();
    assert_eq!(
        taken,
        [("sgr-all", None, None), ("sgr-ssh", Some(22), Some(22))]
    );
}

#[test]
fn an_unknown_api_key_is_disabled_and_undo_enables_it_and_a_rule_is_found_in_its_own_region() {
    let key = finding(FindingKind::UnknownApiKey, ResourceType::ApiKey, "k-1");
    let plan = planned(
        Countermeasure::DisableApiKey,
        &[key],
        &estate(),
        "arn:aws:iam::123456789012:user/responder",
    );
    let step = plan.steps.first().expect("a step");
    assert_eq!(
        step.operation,
        Operation::DisableApiKey {
            key_id: "k-1".into()
        }
    );
    assert_eq!(
        step.inverse,
        Some(Operation::EnableApiKey {
            key_id: "k-1".into()
        })
    );
    // A rule of the same name in another region is not the one the finding is about.
    let mut estate = estate();
    let mut here = estate.event_rules[0].clone();
    here.name = "nightly".into();
    here.managed_by = None;
    let mut elsewhere = here.clone();
    elsewhere.region = "eu-west-1".into();
    elsewhere.name = "exfil".into();
    estate.event_rules = vec![here, elsewhere];
    let rule = finding(
        FindingKind::UnknownEventRule,
        ResourceType::EventRule,
        "exfil",
    );
    let plan = planned(
        Countermeasure::DisableRule,
        &[rule],
        &estate,
        "arn:aws:iam::123456789012:user/responder",
    );
    assert!(plan.steps.is_empty(), "{:?}", plan.steps);
}
