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

#[cfg(test)]
mod tests {
    use super::*;

    fn about(kind: FindingKind, resource_type: ResourceType) -> Finding {
        crate::model::finding::sample(kind, resource_type, "eu-west-1", "x")
    }

    #[test]
    fn each_countermeasure_has_its_command_line_name_and_its_findings() {
        let names: Vec<String> = Countermeasure::ALL.iter().map(|m| m.to_string()).collect();
        assert_eq!(
            names,
            [
                "restore-logging",
                "restore-detection",
                "close-ingress",
                "disable-rule",
                "detach-profile",
                "disable-api-key"
            ]
        );
        let cases = [
            (
                FindingKind::LoggingStopped,
                ResourceType::Trail,
                Some(Countermeasure::RestoreLogging),
            ),
            (
                FindingKind::LogDeliveryBroken,
                ResourceType::Trail,
                Some(Countermeasure::RestoreLogging),
            ),
            (
                FindingKind::DetectionDisabled,
                ResourceType::Detector,
                Some(Countermeasure::RestoreDetection),
            ),
            (
                FindingKind::DeletedResource,
                ResourceType::Detector,
                Some(Countermeasure::RestoreDetection),
            ),
            // A deleted function is not brought back by a countermeasure.
            (FindingKind::DeletedResource, ResourceType::Function, None),
            (
                FindingKind::OpenIngress,
                ResourceType::SecurityGroup,
                Some(Countermeasure::CloseIngress),
            ),
            (
                FindingKind::UnknownEventRule,
                ResourceType::EventRule,
                Some(Countermeasure::DisableRule),
            ),
            (
                FindingKind::UnknownProfileAssociation,
                ResourceType::ProfileAssociation,
                Some(Countermeasure::DetachProfile),
            ),
            (
                FindingKind::UnknownApiKey,
                ResourceType::ApiKey,
                Some(Countermeasure::DisableApiKey),
            ),
            (FindingKind::UnknownUser, ResourceType::User, None),
        ];
        for (kind, resource_type, measure) in cases {
            assert_eq!(
                Countermeasure::of_finding(&about(kind, resource_type)),
                measure,
                "{kind:?} {resource_type:?}"
            );
        }
    }
}
