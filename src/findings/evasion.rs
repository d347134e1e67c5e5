//! Rules for what an intruder does to stay hidden and to come back: trails stopped or weakened,
//! detectors disabled, security groups opened to the world, EventBridge rules, instance-profile
//! associations and API keys the baseline does not list.

use std::collections::{BTreeMap, BTreeSet};

use super::{Builder, Context};
use crate::baseline::Baseline;
use crate::model::finding::{FindingKind, ResourceType, Severity};
use crate::model::{OpenIngress, TRAIL_DELIVERY_FIX};

/// The baseline, when it records resources of `kind` (one captured before firebreak read them
/// judges that kind as no baseline would).
fn covering<'a>(ctx: &Context<'a>, kind: ResourceType) -> Option<&'a Baseline> {
    ctx.baseline.filter(|b| b.captured(kind))
}

/// Applies every rule of this module.
pub(super) fn evasion_rules(ctx: &Context, out: &mut Builder) {
    trail_rules(ctx, out);
    detector_rules(ctx, out);
    ingress_rules(ctx, out);
    event_rule_rules(ctx, out);
    association_rules(ctx, out);
    api_key_rules(ctx, out);
}

/// A trail not logging: critical where the baseline had it logging, high without a baseline (a
/// trail the baseline knows as stopped, or does not know, is not judged). A trail recording
/// less than at baseline (single-region now, management events cut) is weakened.
///
/// A trail that logs but cannot deliver is critical whatever the baseline says: it records
/// nothing. An organization trail another account owns is judged there, never here.
fn trail_rules(ctx: &Context, out: &mut Builder) {
    let baseline = covering(ctx, ResourceType::Trail);
    for trail in &ctx.inventory.trails {
        if trail.organization_owner.is_some() {
            continue;
        }
        if trail.logging == Some(true)
            && let Some(error) = &trail.delivery_error
        {
            out.add(
                FindingKind::LogDeliveryBroken,
                Severity::Critical,
                &trail.region,
                ResourceType::Trail,
                &trail.name,
                Some(&trail.arn),
                format!(
                    "trail {} says it is logging but cannot deliver: what is done now leaves no record",
                    trail.name
                ),
                vec![error.clone(), TRAIL_DELIVERY_FIX.to_string()],
                String::new(),
            );
        }
        let known = baseline.map(|b| b.trail(&trail.region, &trail.name));
        let stopped = match known {
            None => Some(Severity::High),
            Some(Some(settings)) if settings.logging => Some(Severity::Critical),
            Some(_) => None,
        };
        if trail.logging == Some(false)
            && let Some(severity) = stopped
        {
            out.add(
                FindingKind::LoggingStopped,
                severity,
                &trail.region,
                ResourceType::Trail,
                &trail.name,
                Some(&trail.arn),
                format!(
                    "trail {} is not logging: what is done now leaves no record",
                    trail.name
                ),
                vec![format!(
                    "{} trail · management events {}",
                    if trail.multi_region {
                        "multi-region"
                    } else {
                        "single-region"
                    },
                    trail.management_events.map_or("unknown", |m| m.as_str())
                )],
                String::new(),
            );
        }
        let Some(Some(settings)) = known else {
            continue;
        };
        let mut weakened = Vec::new();
        if settings.multi_region && !trail.multi_region {
            weakened.push("single-region now (was multi-region)".to_string());
        }
        let events = trail.management_events;
        if let Some(events) = events
            && events != settings.management_events
            && events != crate::model::ManagementEvents::All
        {
            weakened.push(format!(
                "management events {} now (were {})",
                events.as_str(),
                settings.management_events.as_str()
            ));
        }
        if weakened.is_empty() {
            continue;
        }
        let blind = events.is_some_and(|e| !e.records_writes());
        out.add(
            FindingKind::TrailWeakened,
            if blind {
                Severity::Critical
            } else {
                Severity::High
            },
            &trail.region,
            ResourceType::Trail,
            &trail.name,
            Some(&trail.arn),
            format!("trail {} records less than at baseline", trail.name),
            weakened.clone(),
            weakened.join(","),
        );
    }
}

/// A disabled detector: critical where the baseline had an enabled detector (whatever its id:
/// a deleted one replaced by a disabled one is no better), high without a baseline.
fn detector_rules(ctx: &Context, out: &mut Builder) {
    let baseline = covering(ctx, ResourceType::Detector);
    for detector in &ctx.inventory.detectors {
        if detector.enabled != Some(false) {
            continue;
        }
        let severity = match baseline {
            None => Severity::High,
            Some(b) if b.knows_any(ResourceType::Detector, &detector.region) => Severity::Critical,
            Some(_) => continue,
        };
        out.add(
            FindingKind::DetectionDisabled,
            severity,
            &detector.region,
            ResourceType::Detector,
            &detector.id,
            None,
            format!(
                "GuardDuty detector {} is disabled: no threat detection in {}",
                detector.id, detector.region
            ),
            detector.administered().into_iter().collect(),
            String::new(),
        );
    }
}

/// One finding per security group with world-open ingress rules the baseline does not list
/// (without a baseline, only rules open on a sensitive port or to all traffic): critical when a
/// rule opens SSH, RDP, a database or all traffic.
fn ingress_rules(ctx: &Context, out: &mut Builder) {
    let baseline = covering(ctx, ResourceType::SecurityGroup);
    let mut groups: BTreeMap<(&str, &str), Vec<&OpenIngress>> = BTreeMap::new();
    for rule in &ctx.inventory.open_ingress {
        let new = match baseline.and_then(|b| b.resources.open_ingress.as_ref()) {
            Some(expected) => !expected
                .get(&rule.region)
                .is_some_and(|keys| keys.contains(&rule.key())),
            None => rule.sensitive().is_some(),
        };
        if new {
            groups
                .entry((rule.region.as_str(), rule.group_id.as_str()))
                .or_default()
                .push(rule);
        }
    }
    for ((region, group), rules) in groups {
        let sensitive: Vec<&str> = rules.iter().filter_map(|r| r.sensitive()).collect();
        // A controller's rules flap back when revoked: shown, low, never an `--all` target.
        let controller = rules
            .iter()
            .map(|r| r.managed_by.as_deref())
            .collect::<Option<BTreeSet<&str>>>()
            .filter(|managers| !managers.is_empty());
        let name = rules
            .iter()
            .find_map(|r| r.group_name.as_deref())
            .map_or_else(|| group.to_string(), |n| format!("{n} ({group})"));
        let ports: Vec<String> = rules.iter().map(|r| r.ports()).collect();
        let mut keys: Vec<String> = rules.iter().map(|r| r.key()).collect();
        keys.sort();
        keys.dedup();
        out.add(
            FindingKind::OpenIngress,
            match (&controller, sensitive.is_empty()) {
                (Some(_), _) => Severity::Low,
                (None, true) => Severity::High,
                (None, false) => Severity::Critical,
            },
            region,
            ResourceType::SecurityGroup,
            group,
            None,
            format!(
                "security group {name} admits the internet on {}{}",
                ports.join(", "),
                if sensitive.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", sensitive.join(", "))
                }
            ),
            rules
                .iter()
                .map(|r| {
                    format!(
                        "{} from {}{} · rule {}",
                        r.ports(),
                        r.cidr,
                        r.reach
                            .as_ref()
                            .map(|how| format!(" ({how})"))
                            .unwrap_or_default(),
                        r.rule_id
                    )
                })
                .chain(controller.map(|managers| {
                    format!(
                        "managed by {}: a revoked rule comes back when the controller reconciles; change the Service or Ingress that asks for it",
                        managers.into_iter().collect::<Vec<_>>().join(", ")
                    )
                }))
                .collect(),
            keys.join(","),
        );
    }
}

/// An EventBridge rule the baseline does not list (judged only against a baseline): critical
/// when enabled and it runs a function or reaches into another account, high when enabled, low
/// once disabled.
fn event_rule_rules(ctx: &Context, out: &mut Builder) {
    let Some(baseline) = covering(ctx, ResourceType::EventRule) else {
        return;
    };
    for rule in &ctx.inventory.event_rules {
        let id = rule.id();
        if baseline.knows_resource(ResourceType::EventRule, &rule.region, &id) {
            continue;
        }
        let targets = rule.targets.clone().unwrap_or_default();
        let foreign: Vec<&String> = targets
            .iter()
            .filter(|arn| account_of(arn).is_some_and(|a| a != ctx.account.id))
            .collect();
        let runs_code = targets.iter().any(|arn| runs_code(arn));
        let severity = match (rule.enabled, runs_code || !foreign.is_empty()) {
            // A rule an AWS service manages came with that service; it cannot be disabled.
            _ if rule.managed_by.is_some() => Severity::Low,
            (false, _) => Severity::Low,
            (true, true) => Severity::Critical,
            (true, false) => Severity::High,
        };
        let mut details = vec![format!(
            "{} · {}{}",
            if rule.enabled { "enabled" } else { "disabled" },
            rule.schedule
                .as_deref()
                .map_or_else(|| "on events".to_string(), |s| format!("runs {s}")),
            rule.managed_by
                .as_deref()
                .map_or_else(String::new, |m| format!(" · managed by {m}"))
        )];
        match &rule.targets {
            Some(targets) if targets.is_empty() => details.push("no targets".to_string()),
            Some(targets) => details.extend(targets.iter().map(|t| {
                if foreign.contains(&t) {
                    format!("target {t} (another account)")
                } else {
                    format!("target {t}")
                }
            })),
            None => details.push("targets could not be read".to_string()),
        }
        out.add(
            FindingKind::UnknownEventRule,
            severity,
            &rule.region,
            ResourceType::EventRule,
            &id,
            Some(&rule.arn),
            format!(
                "EventBridge rule {id} is not in the baseline{}",
                match (rule.enabled, runs_code) {
                    (false, _) => ": disabled",
                    (true, true) => ": it runs a function",
                    (true, false) => "",
                }
            ),
            details,
            targets.join(","),
        );
    }
}

/// Whether a target ARN runs code: a function, a state machine, a task, a build, a command.
fn runs_code(arn: &str) -> bool {
    matches!(
        arn.split(':').nth(2),
        Some("lambda" | "states" | "ecs" | "batch" | "codebuild" | "ssm" | "sagemaker")
    )
}

/// The account id in an ARN (`arn:aws:lambda:REGION:ACCOUNT:…`), when it has one.
fn account_of(arn: &str) -> Option<&str> {
    arn.split(':').nth(4).filter(|a| !a.is_empty())
}

/// An instance running with an instance profile the baseline does not know, or with a known
/// profile that now carries a role the baseline did not record it carrying (judged only
/// against a baseline): critical when the profile's role is an administrator. Associations are
/// judged by (profile, role), not by instance id: Auto Scaling groups, node groups and Spot
/// fleets replace instances all day with their launch template's profile, and each new
/// instance of a known profile is known.
fn association_rules(ctx: &Context, out: &mut Builder) {
    let Some(baseline) = covering(ctx, ResourceType::ProfileAssociation) else {
        return;
    };
    for association in &ctx.inventory.profile_associations {
        let key = association.key();
        if baseline.knows_resource(ResourceType::ProfileAssociation, &association.region, &key) {
            continue;
        }
        let profile = association.profile_name();
        let roles: Vec<_> = ctx
            .inventory
            .roles
            .iter()
            .filter(|r| r.instance_profiles.iter().any(|p| p == profile))
            .collect();
        // The roles it carries that the baseline did not record it carrying.
        let had = baseline.profile_roles(profile);
        let swapped: Vec<&str> = roles
            .iter()
            .map(|r| r.name.as_str())
            .filter(|name| had.is_some_and(|had| !had.contains(*name)))
            .collect();
        if baseline.knows_profile(profile) && swapped.is_empty() {
            continue;
        }
        let admin = roles.iter().any(|r| !r.admin_via.is_empty());
        let mut details: Vec<String> = roles
            .iter()
            .map(|r| {
                if r.admin_via.is_empty() {
                    format!("role {}", r.name)
                } else {
                    format!(
                        "role {} (administrator via {})",
                        r.name,
                        r.admin_via.join(", ")
                    )
                }
            })
            .collect();
        if roles.is_empty() {
            details.push("the profile's role could not be found in IAM".to_string());
        }
        if !swapped.is_empty() {
            details.push(format!(
                "the baseline knows profile {profile} with role {}: it now carries {}",
                had.map(|had| had.iter().cloned().collect::<Vec<_>>().join(", "))
                    .filter(|had| !had.is_empty())
                    .unwrap_or_else(|| "none".to_string()),
                swapped.join(", ")
            ));
        }
        details.push(format!(
            "association {} · {}",
            association.association_id, association.state
        ));
        out.add(
            FindingKind::UnknownProfileAssociation,
            if admin {
                Severity::Critical
            } else {
                Severity::High
            },
            &association.region,
            ResourceType::ProfileAssociation,
            &key,
            Some(&association.profile_arn),
            format!(
                "instance {} runs as instance profile {profile}{}{}",
                association.instance_id,
                if swapped.is_empty() {
                    ""
                } else {
                    " with a role it did not carry"
                },
                if admin { ", an administrator" } else { "" }
            ),
            details,
            roles
                .iter()
                .map(|r| r.name.as_str())
                .collect::<Vec<_>>()
                .join(","),
        );
    }
}

/// An API key the baseline does not list (without a baseline: created within the unknown
/// window): high while enabled, low once disabled.
fn api_key_rules(ctx: &Context, out: &mut Builder) {
    let baseline = covering(ctx, ResourceType::ApiKey);
    for key in &ctx.inventory.api_keys {
        let unknown = match baseline {
            Some(b) => !b.knows_resource(ResourceType::ApiKey, &key.region, &key.id),
            None => ctx.is_recent(key.created, ctx.windows.unknown),
        };
        if !unknown {
            continue;
        }
        out.add(
            FindingKind::UnknownApiKey,
            if key.enabled {
                Severity::High
            } else {
                Severity::Low
            },
            &key.region,
            ResourceType::ApiKey,
            &key.id,
            None,
            format!(
                "API key {}{} is {}",
                key.id,
                key.name
                    .as_deref()
                    .map_or_else(String::new, |n| format!(" ({n})")),
                if baseline.is_some() {
                    "not in the baseline"
                } else {
                    "recent"
                }
            ),
            vec![format!(
                "{} · {}",
                if key.enabled { "enabled" } else { "disabled" },
                ctx.age(key.created)
            )],
            String::new(),
        );
    }
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Duration, Utc};

    use super::super::{Context, Windows, evaluate};
    use crate::baseline::{self, Baseline};
    use crate::model::finding::{Finding, FindingKind, Severity};
    use crate::model::{
        ApiKey, Detector, EventRule, GLOBAL, Identity, Inventory, ManagementEvents, OpenIngress,
        Principals, ProfileAssociation, Role, Trail,
    };

    const ACCOUNT: &str = "123456789012";

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-23T12:00:00Z")
            .map(|t| t.with_timezone(&Utc))
            .expect("valid time")
    }

    fn identity() -> Identity {
        Identity {
            id: ACCOUNT.into(),
            alias: None,
            caller_arn: format!("arn:aws:iam::{ACCOUNT}:user/responder"),
        }
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
        let gone =
            |inventory: &Inventory, listed: &[(&str, ItemKind)]| -> Vec<(String, Severity)> {
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
}
