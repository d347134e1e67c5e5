use chrono::{DateTime, Duration, Utc};

use super::super::fixtures::{ACCOUNT, at, identity};
use super::super::{Context, Windows, evaluate};
use crate::baseline::{self, Baseline};
use crate::model::finding::{Finding, FindingKind, Severity};
use crate::model::{
    ApiKey, Detector, EventRule, GLOBAL, Inventory, ManagementEvents, OpenIngress, Principals,
    ProfileAssociation, Role, Trail,
};

fn now() -> DateTime<Utc> {
    at("2026-11-23T12:00:00Z")
}

fn trail(name: &str, logging: bool, multi_region: bool, events: ManagementEvents) -> Trail {
    Trail {
        region: "us-east-1".into(),
        name: name.into(),
        arn: format!("arn:aws:cloudtrail:us-east-1:{ACCOUNT}:trail/{name}"),
        logging: Some(logging),
        multi_region,
        management_events: Some(events),
        log_role: None,
        delivery_error: None,
        organization_owner: None,
        bucket: None,
    }
}

fn ingress(group: &str, protocol: &str, ports: Option<(i32, i32)>, cidr: &str) -> OpenIngress {
    OpenIngress {
        region: "us-east-1".into(),
        group_id: group.into(),
        group_name: Some("web".into()),
        rule_id: format!("sgr-{group}-{}", ports.map_or(0, |p| p.0)),
        protocol: protocol.into(),
        from_port: ports.map(|p| p.0),
        to_port: ports.map(|p| p.1),
        cidr: cidr.into(),
        reach: None,
        description: None,
        managed_by: None,
    }
}

fn rule(name: &str, enabled: bool, target: &str) -> EventRule {
    EventRule {
        region: "us-east-1".into(),
        bus: "default".into(),
        name: name.into(),
        arn: format!("arn:aws:events:us-east-1:{ACCOUNT}:rule/{name}"),
        enabled,
        all_management_events: false,
        schedule: Some("rate(5 minutes)".into()),
        targets: Some(vec![target.into()]),
        managed_by: None,
    }
}

fn role(name: &str, admin: bool, profile: &str) -> Role {
    Role {
        region: GLOBAL.into(),
        name: name.into(),
        arn: format!("arn:aws:iam::{ACCOUNT}:role/{name}"),
        path: "/".into(),
        created: now() - Duration::days(300),
        trust: Principals::default(),
        attached_policies: Vec::new(),
        inline_policies: Vec::new(),
        admin_via: if admin {
            vec!["AdministratorAccess".into()]
        } else {
            Vec::new()
        },
        instance_profiles: vec![profile.into()],
    }
}

fn association(instance: &str, profile: &str) -> ProfileAssociation {
    ProfileAssociation {
        region: "us-east-1".into(),
        association_id: format!("iip-assoc-{instance}"),
        instance_id: instance.into(),
        profile_arn: format!("arn:aws:iam::{ACCOUNT}:instance-profile/{profile}"),
        state: "associated".into(),
    }
}

/// Peacetime: a logging multi-region trail, an enabled detector, 443 open to the world, a
/// backup rule, an instance with its web profile, a partner's API key.
fn peacetime() -> Inventory {
    Inventory {
        roles: vec![role("web", false, "web"), role("ops", true, "ops")],
        trails: vec![trail("org-trail", true, true, ManagementEvents::All)],
        detectors: vec![Detector {
            region: "us-east-1".into(),
            id: "d-1".into(),
            enabled: Some(true),
            administrator: None,
        }],
        open_ingress: vec![ingress("sg-web", "tcp", Some((443, 443)), "0.0.0.0/0")],
        event_rules: vec![rule(
            "nightly",
            true,
            &format!("arn:aws:sns:us-east-1:{ACCOUNT}:backups"),
        )],
        profile_associations: vec![association("i-1", "web")],
        api_keys: vec![ApiKey {
            region: "us-east-1".into(),
            id: "k-partner".into(),
            name: Some("partner".into()),
            enabled: true,
            created: Some(now() - Duration::days(100)),
        }],
        ..Inventory::default()
    }
}

fn judged(inventory: &Inventory, baseline: Option<&Baseline>) -> Vec<(String, Severity)> {
    let findings: Vec<Finding> = evaluate(&Context {
        inventory,
        baseline,
        account: &identity(),
        now: now(),
        windows: Windows::default(),
        listed: &Default::default(),
    });
    let mut out: Vec<(String, Severity)> = findings
        .into_iter()
        .filter(|f| f.kind != FindingKind::NoBaseline)
        .map(|f| (f.id, f.severity))
        .collect();
    out.sort();
    out
}

#[test]
fn each_way_to_hide_or_come_back_has_its_kind_and_severity_against_a_baseline() {
    let estate = peacetime();
    let captured = baseline::capture(&estate, &identity(), now());
    assert!(judged(&estate, Some(&captured)).is_empty());

    let mut breached = estate.clone();
    breached.trails = vec![trail("org-trail", false, false, ManagementEvents::ReadOnly)];
    breached.detectors[0].enabled = Some(false);
    breached.open_ingress.extend([
        ingress("sg-web", "tcp", Some((8080, 8080)), "0.0.0.0/0"),
        ingress("sg-db", "-1", None, "::/0"),
    ]);
    breached.event_rules.extend([
        rule(
            "every-5",
            true,
            &format!("arn:aws:lambda:us-east-1:{ACCOUNT}:function:miner"),
        ),
        rule(
            "exfil",
            true,
            "arn:aws:events:us-east-1:666655554444:event-bus/x",
        ),
        rule("quiet", true, &format!("arn:aws:sns:us-east-1:{ACCOUNT}:t")),
        rule(
            "stopped",
            false,
            &format!("arn:aws:lambda:us-east-1:{ACCOUNT}:function:miner"),
        ),
    ]);
    breached.profile_associations = vec![association("i-1", "ops"), association("i-2", "web")];
    breached.api_keys.push(ApiKey {
        region: "us-east-1".into(),
        id: "k-new".into(),
        name: None,
        enabled: false,
        created: Some(now()),
    });
    let found = judged(&breached, Some(&captured));
    let expect = |id: &str, severity| (id.to_string(), severity);
    assert_eq!(
        found,
        vec![
            expect("detection_disabled:us-east-1:d-1", Severity::Critical),
            expect("logging_stopped:us-east-1:org-trail", Severity::Critical),
            expect("open_ingress:us-east-1:sg-db", Severity::Critical),
            expect("open_ingress:us-east-1:sg-web", Severity::High),
            // Read-only management events: writes no longer recorded.
            expect("trail_weakened:us-east-1:org-trail", Severity::Critical),
            expect("unknown_api_key:us-east-1:k-new", Severity::Low),
            expect("unknown_event_rule:us-east-1:every-5", Severity::Critical),
            expect("unknown_event_rule:us-east-1:exfil", Severity::Critical),
            expect("unknown_event_rule:us-east-1:quiet", Severity::High),
            expect("unknown_event_rule:us-east-1:stopped", Severity::Low),
            expect(
                "unknown_profile_association:us-east-1:i-1/ops",
                Severity::Critical
            ),
            // i-2 runs the web profile the baseline has on i-1, with its role: a scaling
            // group's new instance, known.
        ]
    );

    // Accepting takes each away, the open rules by their facts.
    let findings = evaluate(&Context {
        inventory: &breached,
        baseline: Some(&captured),
        account: &identity(),
        now: now(),
        windows: Windows::default(),
        listed: &Default::default(),
    });
    let mut accepted = captured.clone();
    for finding in &findings {
        baseline::accept(&mut accepted, finding, "jo", now()).expect("acceptable");
    }
    assert!(judged(&breached, Some(&accepted)).is_empty());
    assert!(
        accepted.resources.open_ingress.as_ref().expect("captured")["us-east-1"]
            .contains("sg-db all-traffic ::/0"),
        "{:?}",
        accepted.resources.open_ingress
    );
}

#[test]
fn a_trail_or_detector_the_baseline_lists_is_gone_only_where_it_was_listed_and_is_not() {
    use crate::scan::ItemKind;
    let estate = peacetime();
    let captured = baseline::capture(&estate, &identity(), now());
    let gone = |inventory: &Inventory, listed: &[(&str, ItemKind)]| -> Vec<(String, Severity)> {
        let listed = listed
            .iter()
            .map(|(region, kind)| (region.to_string(), *kind))
            .collect();
        let mut out: Vec<(String, Severity)> = evaluate(&Context {
            inventory,
            baseline: Some(&captured),
            account: &identity(),
            now: now(),
            windows: Windows::default(),
            listed: &listed,
        })
        .into_iter()
        .filter(|f| f.kind == FindingKind::DeletedResource)
        .map(|f| (f.id, f.severity))
        .collect();
        out.sort();
        out
    };
    let listed = [
        ("us-east-1", ItemKind::Trails),
        ("us-east-1", ItemKind::Detectors),
    ];
    assert!(gone(&estate, &listed).is_empty(), "all there");
    // Both deleted; a trail of the same name in another region is not the one listed.
    let mut cleared = estate.clone();
    cleared.trails[0].region = "eu-west-1".into();
    cleared.detectors[0].region = "eu-west-1".into();
    assert_eq!(
        gone(&cleared, &listed),
        [
            (
                "deleted_resource:us-east-1:d-1".to_string(),
                Severity::Critical
            ),
            (
                "deleted_resource:us-east-1:org-trail".to_string(),
                Severity::Critical
            ),
        ]
    );
    // Where the listing did not finish, absence proves nothing.
    assert!(gone(&cleared, &[]).is_empty());
    assert_eq!(
        gone(&cleared, &listed[..1]),
        [(
            "deleted_resource:us-east-1:org-trail".to_string(),
            Severity::Critical
        )]
    );
}

#[test]
fn a_baseline_captured_before_these_kinds_judges_them_as_no_baseline_would() {
    let estate = peacetime();
    let mut old = baseline::capture(&estate, &identity(), now());
    let r = &mut old.resources;
    (r.trails, r.detectors, r.open_ingress) = (None, None, None);
    (r.event_rules, r.profile_associations, r.api_keys) = (None, None, None);
    // Nothing in peacetime is "new": the rules, associations and the old key are not judged.
    assert!(judged(&estate, Some(&old)).is_empty());
    let mut breached = estate.clone();
    breached.trails[0].logging = Some(false);
    breached.detectors[0].enabled = Some(false);
    breached
        .open_ingress
        .push(ingress("sg-web", "tcp", Some((22, 22)), "0.0.0.0/0"));
    assert_eq!(
        judged(&breached, Some(&old)),
        vec![
            (
                "detection_disabled:us-east-1:d-1".to_string(),
                Severity::High
            ),
            (
                "logging_stopped:us-east-1:org-trail".to_string(),
                Severity::High
            ),
            (
                "open_ingress:us-east-1:sg-web".to_string(),
                Severity::Critical
            ),
        ]
    );
    // Accepting there records the acceptance only: no section appears to make all else new.
    let findings = evaluate(&Context {
        inventory: &breached,
        baseline: Some(&old),
        account: &identity(),
        now: now(),
        windows: Windows::default(),
        listed: &Default::default(),
    });
    let ingress = findings
        .iter()
        .find(|f| f.kind == FindingKind::OpenIngress)
        .expect("open ingress");
    baseline::accept(&mut old, ingress, "jo", now()).expect("acceptable");
    assert!(old.resources.open_ingress.is_none());
    assert_eq!(judged(&breached, Some(&old)).len(), 2);
    // And its diff says nothing about kinds it never recorded.
    assert!(baseline::diff(&old, &breached).is_empty());
}

#[test]
fn without_a_baseline_only_what_is_bad_in_itself_is_reported() {
    let mut estate = peacetime();
    estate
        .trails
        .push(trail("stopped", false, true, ManagementEvents::All));
    estate.detectors[0].enabled = Some(false);
    estate
        .open_ingress
        .push(ingress("sg-admin", "tcp", Some((3380, 3390)), "0.0.0.0/0"));
    estate.api_keys.push(ApiKey {
        region: "us-east-1".into(),
        id: "k-new".into(),
        name: None,
        enabled: true,
        created: Some(now() - Duration::hours(2)),
    });
    assert_eq!(
        judged(&estate, None),
        vec![
            (
                "detection_disabled:us-east-1:d-1".to_string(),
                Severity::High
            ),
            (
                "logging_stopped:us-east-1:stopped".to_string(),
                Severity::High
            ),
            // RDP in the range; 443 on its own is not judged without a baseline.
            (
                "open_ingress:us-east-1:sg-admin".to_string(),
                Severity::Critical
            ),
            (
                "unknown_api_key:us-east-1:k-new".to_string(),
                Severity::High
            ),
        ]
    );
}

#[test]
fn a_trail_the_baseline_knew_as_stopped_or_single_region_is_not_reported() {
    let estate = Inventory {
        trails: vec![trail("audit", false, false, ManagementEvents::WriteOnly)],
        ..Inventory::default()
    };
    let captured = baseline::capture(&estate, &identity(), now());
    assert!(judged(&estate, Some(&captured)).is_empty());
    // Writes only, now excluded: weakened, and blind.
    let mut cut = estate.clone();
    cut.trails[0].management_events = Some(ManagementEvents::Excluded);
    assert_eq!(
        judged(&cut, Some(&captured)),
        vec![(
            "trail_weakened:us-east-1:audit".to_string(),
            Severity::Critical
        )]
    );
}

#[test]
fn a_trail_that_logs_but_cannot_deliver_is_critical_and_an_org_trail_is_judged_by_its_owner() {
    let mut broken = trail("audit", true, true, ManagementEvents::All);
    broken.delivery_error = Some("S3 delivery: NoSuchBucket".into());
    // The organization's trail, owned by the management account: its status is not read
    // here (AWS refuses a member), so nothing is judged of it here.
    let mut org = trail("org-audit", false, true, ManagementEvents::All);
    org.logging = None;
    org.organization_owner = Some("999988887777".into());
    let estate = Inventory {
        trails: vec![
            trail("audit", true, true, ManagementEvents::All),
            org.clone(),
        ],
        ..Inventory::default()
    };
    let captured = baseline::capture(&estate, &identity(), now());
    let now_broken = Inventory {
        trails: vec![broken, org],
        ..Inventory::default()
    };
    let delivery = vec![(
        "log_delivery_broken:us-east-1:audit".to_string(),
        Severity::Critical,
    )];
    assert_eq!(judged(&now_broken, Some(&captured)), delivery);
    assert_eq!(
        judged(&now_broken, None),
        delivery,
        "whatever the baseline says"
    );
}

#[test]
fn associations_are_judged_by_profile_and_role_so_fleet_churn_is_known() {
    let estate = Inventory {
        roles: vec![role("web", false, "web"), role("ops", true, "ops")],
        profile_associations: vec![association("i-1", "web")],
        ..Inventory::default()
    };
    let captured = baseline::capture(&estate, &identity(), now());
    // Auto Scaling replaced i-1 with i-2 and i-3, the launch template's profile on each.
    let churned = Inventory {
        profile_associations: vec![association("i-2", "web"), association("i-3", "web")],
        ..estate.clone()
    };
    assert!(judged(&churned, Some(&captured)).is_empty());
    // The intruder put the administrator role into the known profile: every instance of
    // the fleet is now an administrator.
    let mut swapped = churned.clone();
    swapped.roles = vec![role("web", false, "other"), role("ops", true, "web")];
    assert_eq!(
        judged(&swapped, Some(&captured)),
        vec![
            (
                "unknown_profile_association:us-east-1:i-2/web".to_string(),
                Severity::Critical
            ),
            (
                "unknown_profile_association:us-east-1:i-3/web".to_string(),
                Severity::Critical
            ),
        ]
    );
    let said: Vec<String> = evaluate(&Context {
        inventory: &swapped,
        baseline: Some(&captured),
        account: &identity(),
        now: now(),
        windows: Windows::default(),
        listed: &Default::default(),
    })
    .into_iter()
    .flat_map(|f| f.details)
    .collect();
    assert!(
        said.iter()
            .any(|d| d == "the baseline knows profile web with role web: it now carries ops"),
        "{said:?}"
    );
    // A profile the baseline never had is unknown on any instance.
    let mut foreign = churned;
    foreign.profile_associations.push(association("i-4", "ops"));
    assert_eq!(
        judged(&foreign, Some(&captured)),
        vec![(
            "unknown_profile_association:us-east-1:i-4/ops".to_string(),
            Severity::Critical
        )]
    );
}

#[test]
fn a_rule_a_controller_manages_is_low_and_says_why() {
    let mut managed = ingress("sg-k8s", "tcp", Some((22, 22)), "0.0.0.0/0");
    managed.managed_by = crate::model::group_controller([("elbv2.k8s.aws/cluster", "prod")]);
    let mut legacy = ingress("sg-elb", "tcp", Some((443, 443)), "0.0.0.0/0");
    legacy.description = Some("kubernetes.io/rule/nlb/client=a1b2".into());
    legacy.managed_by = crate::model::rule_controller(legacy.description.as_deref());
    let plain = ingress("sg-web", "tcp", Some((22, 22)), "0.0.0.0/0");
    let estate = Inventory {
        open_ingress: vec![managed, legacy, plain],
        ..Inventory::default()
    };
    let captured = baseline::capture(&Inventory::default(), &identity(), now());
    assert_eq!(
        judged(&estate, Some(&captured)),
        vec![
            ("open_ingress:us-east-1:sg-elb".to_string(), Severity::Low),
            ("open_ingress:us-east-1:sg-k8s".to_string(), Severity::Low),
            (
                "open_ingress:us-east-1:sg-web".to_string(),
                Severity::Critical
            ),
        ]
    );
    assert_eq!(crate::model::group_controller([("Name", "web")]), None);
}

#[test]
fn a_disabled_detector_where_the_baseline_had_none_is_not_a_finding() {
    let captured = baseline::capture(&peacetime(), &identity(), now());
    let mut now_seen = peacetime();
    now_seen.detectors.push(Detector {
        region: "eu-west-1".into(),
        id: "d-eu".into(),
        enabled: Some(false),
        administrator: None,
    });
    let found = judged(&now_seen, Some(&captured));
    assert!(
        !found.iter().any(|(id, _)| id.contains("d-eu")),
        "no detector there at peacetime: {found:?}"
    );
    // Where the baseline had one, the same is critical.
    now_seen.detectors[0].enabled = Some(false);
    let found = judged(&now_seen, Some(&captured));
    assert!(
        found.contains(&(
            "detection_disabled:us-east-1:d-1".to_string(),
            Severity::Critical
        )),
        "{found:?}"
    );
}

#[test]
fn an_event_rule_a_service_manages_is_low_even_when_it_runs_code() {
    let captured = baseline::capture(&peacetime(), &identity(), now());
    let mut now_seen = peacetime();
    let code = format!("arn:aws:lambda:us-east-1:{ACCOUNT}:function:miner");
    let mut managed = rule("aws-managed", true, &code);
    managed.managed_by = Some("AWS Backup".into());
    now_seen.event_rules.push(managed);
    now_seen.event_rules.push(rule("rogue", true, &code));
    let found = judged(&now_seen, Some(&captured));
    assert!(
        found.contains(&(
            "unknown_event_rule:us-east-1:aws-managed".to_string(),
            Severity::Low
        )),
        "{found:?}"
    );
    assert!(
        found.contains(&(
            "unknown_event_rule:us-east-1:rogue".to_string(),
            Severity::Critical
        )),
        "{found:?}"
    );
}

#[test]
fn an_unknown_rules_details_name_its_targets_and_whose_they_are() {
    let captured = baseline::capture(&peacetime(), &identity(), now());
    let mut now_seen = peacetime();
    let mut empty = rule("empty", true, "unused");
    empty.targets = Some(Vec::new());
    let mut unread = rule("unread", true, "unused");
    unread.targets = None;
    now_seen.event_rules.extend([
        empty,
        unread,
        rule("exfil", true, "arn:aws:sns:us-east-1:999999999999:drop"),
        rule("own", true, &format!("arn:aws:sns:us-east-1:{ACCOUNT}:ops")),
    ]);
    let findings = evaluate(&Context {
        inventory: &now_seen,
        baseline: Some(&captured),
        account: &identity(),
        now: now(),
        windows: Windows::default(),
        listed: &Default::default(),
    });
    let details = |name: &str| -> Vec<String> {
        findings
            .iter()
            .find(|f| f.id == format!("unknown_event_rule:us-east-1:{name}"))
            .unwrap_or_else(|| panic!("no finding for {name}"))
            .details[1..]
            .to_vec()
    };
    assert_eq!(details("empty"), ["no targets"]);
    assert_eq!(details("unread"), ["targets could not be read"]);
    assert_eq!(
        details("exfil"),
        ["target arn:aws:sns:us-east-1:999999999999:drop (another account)"]
    );
    assert_eq!(
        details("own"),
        [format!("target arn:aws:sns:us-east-1:{ACCOUNT}:ops")]
    );
}
