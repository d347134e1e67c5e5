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
mod tests;
