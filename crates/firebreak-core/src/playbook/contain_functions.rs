//! contain-functions: evidence (configuration, resource policy, tags, code package with a
//! sha256 manifest) and throttle (reserved concurrency 0; undo restores the previous value) side
//! by side — throttling destroys nothing, and a slow download must not hold containment back;
//! with --delete, deletion as a last, irreversible phase, each function only once its evidence
//! is saved — the evidence is kept.

use std::path::Path;

use chrono::{DateTime, Utc};

use super::plan::{Plan, Playbook, Step};
use crate::model::Identity;
use crate::model::operation::Operation;

/// A function to contain, with its reserved concurrency read just before.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionTarget {
    pub region: String,
    pub name: String,
    pub reserved_concurrency: Option<i32>,
}

/// Whether a contain plan deletes the functions at the end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deletion {
    Keep,
    /// Delete each function whose evidence keeps its code (package or image).
    IfCodeSaved,
    /// Delete even a function whose code could not be saved (typed `delete-without-code`).
    EvenWithoutCode,
}

/// Plans containment of `targets`; evidence goes under `evidence_dir/REGION/NAME`.
pub fn plan(
    action_id: String,
    account: Identity,
    now: DateTime<Utc>,
    targets: &[FunctionTarget],
    evidence_dir: &Path,
    deletion: Deletion,
) -> Plan {
    let delete = deletion != Deletion::Keep;
    let mut steps = Vec::new();
    let mut notes = Vec::new();
    for target in targets {
        steps.push(Step::new(
            &target.region,
            0,
            Operation::CaptureFunctionEvidence {
                function: target.name.clone(),
                directory: evidence_dir.join(&target.region).join(&target.name),
            },
            None,
        ));
        let inverse = match target.reserved_concurrency {
            Some(previous) => {
                if previous == 0 {
                    notes.push(format!(
                        "{} in {} is already throttled",
                        target.name, target.region
                    ));
                }
                Operation::PutFunctionConcurrency {
                    function: target.name.clone(),
                    reserved: previous,
                }
            }
            None => Operation::DeleteFunctionConcurrency {
                function: target.name.clone(),
            },
        };
        steps.push(Step::new(
            &target.region,
            0,
            Operation::PutFunctionConcurrency {
                function: target.name.clone(),
                reserved: 0,
            },
            Some(inverse),
        ));
        if delete {
            let directory = evidence_dir.join(&target.region).join(&target.name);
            steps.push(Step::irreversible(
                &target.region,
                1,
                Operation::DeleteFunction {
                    function: target.name.clone(),
                    evidence: (deletion == Deletion::IfCodeSaved).then_some(directory),
                },
            ));
        }
    }
    match deletion {
        Deletion::Keep => {}
        Deletion::IfCodeSaved => notes.push(format!(
            "{} function(s) will be deleted after their evidence is saved, each only if its code package (or container image) was kept: deletion cannot be undone",
            targets.len()
        )),
        Deletion::EvenWithoutCode => notes.push(format!(
            "{} function(s) will be deleted after their evidence is saved, EVEN IF THEIR CODE COULD NOT BE SAVED: the code is then lost for good",
            targets.len()
        )),
    }
    let mut plan = Plan::new(
        action_id,
        Playbook::ContainFunctions {
            functions: targets
                .iter()
                .map(|t| format!("{}/{}", t.region, t.name))
                .collect(),
            delete,
        },
        account,
        now,
        steps,
    );
    plan.notes = notes;
    if delete {
        let word = match deletion {
            Deletion::EvenWithoutCode => "delete-without-code",
            _ => "delete",
        };
        plan.confirm_with = Some(vec![word.to_string()]);
        // A function is deleted only once its evidence is safe.
        let evidence: Vec<(String, String, usize)> = plan
            .steps
            .iter()
            .filter_map(|s| match &s.operation {
                Operation::CaptureFunctionEvidence { function, .. } => {
                    Some((s.region.clone(), function.clone(), s.index))
                }
                _ => None,
            })
            .collect();
        for step in &mut plan.steps {
            if let Operation::DeleteFunction { function, .. } = &step.operation {
                step.requires = evidence
                    .iter()
                    .filter(|(region, name, _)| *region == step.region && name == function)
                    .map(|(_, _, index)| *index)
                    .collect();
            }
        }
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evidence_then_throttle_then_delete_with_prior_concurrency_as_inverse() {
        let account = Identity {
            id: "123456789012".into(),
            alias: None,
            caller_arn: "arn:aws:iam::123456789012:user/responder".into(),
        };
        let targets = [
            FunctionTarget {
                region: "ap-south-1".into(),
                name: "miner".into(),
                reserved_concurrency: None,
            },
            FunctionTarget {
                region: "us-east-1".into(),
                name: "billing".into(),
                reserved_concurrency: Some(5),
            },
        ];
        let plan = plan(
            "a".into(),
            account,
            Utc::now(),
            &targets,
            Path::new("/ev"),
            Deletion::IfCodeSaved,
        );
        let order: Vec<(u8, &str, &str)> = plan
            .steps
            .iter()
            .map(|s| (s.phase, s.api.as_str(), s.region.as_str()))
            .collect();
        assert_eq!(
            order,
            [
                (0, "GetFunction", "ap-south-1"),
                (0, "PutFunctionConcurrency", "ap-south-1"),
                (0, "GetFunction", "us-east-1"),
                (0, "PutFunctionConcurrency", "us-east-1"),
                (1, "DeleteFunction", "ap-south-1"),
                (1, "DeleteFunction", "us-east-1"),
            ],
            "evidence and throttle run side by side; delete comes last"
        );
        assert_eq!(
            plan.steps[1].inverse,
            Some(Operation::DeleteFunctionConcurrency {
                function: "miner".into()
            })
        );
        assert_eq!(
            plan.steps[3].inverse,
            Some(Operation::PutFunctionConcurrency {
                function: "billing".into(),
                reserved: 5
            })
        );
        assert!(!plan.steps[4].reversible);
        assert_eq!(
            plan.steps[4].requires,
            vec![1],
            "delete waits for its evidence"
        );
        assert_eq!(plan.steps[5].requires, vec![3]);
        assert_eq!(plan.confirm_with, Some(vec!["delete".to_string()]));
        assert_eq!(
            plan.steps[0].operation,
            Operation::CaptureFunctionEvidence {
                function: "miner".into(),
                directory: "/ev/ap-south-1/miner".into()
            }
        );
        assert_eq!(
            plan.steps[4].operation,
            Operation::DeleteFunction {
                function: "miner".into(),
                evidence: Some("/ev/ap-south-1/miner".into())
            },
            "deleted only if the evidence there kept the code"
        );
        assert!(plan.notes.iter().all(|n| !n.contains("already throttled")));
    }

    #[test]
    fn deleting_without_code_needs_its_own_word_and_each_delete_waits_for_its_own_evidence() {
        let account = Identity {
            id: "123456789012".into(),
            alias: None,
            caller_arn: "arn:aws:iam::123456789012:user/responder".into(),
        };
        // The same name in two regions: each delete waits for its own region's evidence only.
        let targets = [
            FunctionTarget {
                region: "us-east-1".into(),
                name: "worker".into(),
                reserved_concurrency: Some(0),
            },
            FunctionTarget {
                region: "eu-west-1".into(),
                name: "worker".into(),
                reserved_concurrency: None,
            },
        ];
        let plan = plan(
            "a".into(),
            account,
            Utc::now(),
            &targets,
            Path::new("/ev"),
            Deletion::EvenWithoutCode,
        );
        assert_eq!(
            plan.confirm_with,
            Some(vec!["delete-without-code".to_string()])
        );
        let deletes: Vec<(&str, &Operation, &[usize])> = plan
            .steps
            .iter()
            .filter(|s| s.api == "DeleteFunction")
            .map(|s| (s.region.as_str(), &s.operation, s.requires.as_slice()))
            .collect();
        let unconditional = Operation::DeleteFunction {
            function: "worker".into(),
            evidence: None,
        };
        assert_eq!(
            deletes,
            [
                ("us-east-1", &unconditional, &[1][..]),
                ("eu-west-1", &unconditional, &[3][..])
            ]
        );
        assert_eq!(
            plan.notes,
            [
                "worker in us-east-1 is already throttled".to_string(),
                "2 function(s) will be deleted after their evidence is saved, EVEN IF THEIR CODE COULD NOT BE SAVED: the code is then lost for good".to_string()
            ]
        );
    }
}
