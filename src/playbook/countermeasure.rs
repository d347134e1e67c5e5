//! The countermeasures: one playbook for each way an intruder hides or comes back.
//! `restore-logging` starts stopped trails, `restore-detection` enables disabled GuardDuty
//! detectors (and creates one where the baseline's was deleted), `close-ingress` revokes exactly
//! the world-open rules the baseline does not list, `disable-rule` disables unknown EventBridge
//! rules, `detach-profile` removes unknown instance-profile associations and `disable-api-key`
//! disables unknown API keys. Each acts on its findings, and each step's inverse undoes exactly
//! it (a created detector is left by undo).

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::plan::{Plan, Playbook, Step};
use crate::model::finding::{Finding, FindingKind, ResourceType};
use crate::model::operation::{IngressRule, Operation};
use crate::model::{Identity, Inventory};

/// A playbook that undoes one way of hiding or coming back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Countermeasure {
    RestoreLogging,
    RestoreDetection,
    CloseIngress,
    DisableRule,
    DetachProfile,
    DisableApiKey,
}

impl Countermeasure {
    pub const ALL: [Countermeasure; 6] = [
        Countermeasure::RestoreLogging,
        Countermeasure::RestoreDetection,
        Countermeasure::CloseIngress,
        Countermeasure::DisableRule,
        Countermeasure::DetachProfile,
        Countermeasure::DisableApiKey,
    ];

    /// The playbook's name, as the command line spells it.
    pub fn name(self) -> &'static str {
        match self {
            Countermeasure::RestoreLogging => "restore-logging",
            Countermeasure::RestoreDetection => "restore-detection",
            Countermeasure::CloseIngress => "close-ingress",
            Countermeasure::DisableRule => "disable-rule",
            Countermeasure::DetachProfile => "detach-profile",
            Countermeasure::DisableApiKey => "disable-api-key",
        }
    }

    /// The countermeasure that acts on `finding`, if one does.
    pub fn of_finding(finding: &Finding) -> Option<Self> {
        Some(match finding.kind {
            FindingKind::LoggingStopped => Countermeasure::RestoreLogging,
            FindingKind::DetectionDisabled => Countermeasure::RestoreDetection,
            FindingKind::DeletedResource if finding.resource_type == ResourceType::Detector => {
                Countermeasure::RestoreDetection
            }
            FindingKind::OpenIngress => Countermeasure::CloseIngress,
            FindingKind::UnknownEventRule => Countermeasure::DisableRule,
            FindingKind::UnknownProfileAssociation => Countermeasure::DetachProfile,
            FindingKind::UnknownApiKey => Countermeasure::DisableApiKey,
            _ => return None,
        })
    }
}

impl fmt::Display for Countermeasure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Plans `measure` on each of `findings` it acts on (the others are left out), from what the
/// scan read in `inventory`.
pub fn plan(
    action_id: String,
    account: Identity,
    now: DateTime<Utc>,
    measure: Countermeasure,
    findings: &[&Finding],
    inventory: &Inventory,
) -> Plan {
    let mut steps = Vec::new();
    let mut notes = Vec::new();
    let mut targets = Vec::new();
    for finding in findings
        .iter()
        .filter(|f| Countermeasure::of_finding(f) == Some(measure))
    {
        targets.push(format!("{}/{}", finding.region, finding.resource_id));
        match step(finding, inventory) {
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
        ..Inventory::default()
    }
}

/// The steps that turn logging and detection back on for those of `findings` that say they are
/// off (freeze's part: a frozen account that cannot be observed is not contained). They are
/// irreversible, so that unfreeze leaves the account observable.
pub fn observation_steps(findings: &[Finding], inventory: &Inventory) -> Vec<Step> {
    findings
        .iter()
        .filter(|f| {
            matches!(
                Countermeasure::of_finding(f),
                Some(Countermeasure::RestoreLogging | Countermeasure::RestoreDetection)
            )
        })
        .filter_map(|f| step(f, inventory).ok())
        .map(|s| Step::irreversible(&s.region, s.phase, s.operation))
        .collect()
}

/// The step that counters `finding`, or why there is none.
fn step(finding: &Finding, inventory: &Inventory) -> Result<Step, String> {
    let region = finding.region.as_str();
    let id = finding.resource_id.as_str();
    let gone = || format!("{region}/{id}: not in the scan any more, nothing to do");
    Ok(match finding.kind {
        FindingKind::LoggingStopped => Step::new(
            region,
            0,
            Operation::StartLogging { trail: id.into() },
            Some(Operation::StopLogging { trail: id.into() }),
        ),
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
        FindingKind::DeletedResource => Step::irreversible(region, 0, Operation::CreateDetector),
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
            let (bus, name) = (rule.bus.clone(), rule.name.clone());
            Step::new(
                region,
                0,
                Operation::DisableEventRule {
                    bus: bus.clone(),
                    name: name.clone(),
                },
                Some(Operation::EnableEventRule { bus, name }),
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
            Step::new(
                region,
                0,
                Operation::DisassociateProfile {
                    instance_id: instance_id.clone(),
                    profile_arn: profile_arn.clone(),
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
