//! The countermeasures by name, and which finding each acts on: below the plans that name
//! them (`Playbook::Countermeasure`) and the planner that makes their steps.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::model::finding::{Finding, FindingKind, ResourceType};

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
            FindingKind::LoggingStopped | FindingKind::LogDeliveryBroken => {
                Countermeasure::RestoreLogging
            }
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
