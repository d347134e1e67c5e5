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
mod tests;
