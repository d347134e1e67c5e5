use std::path::Path;

use chrono::Utc;

use super::*;
use crate::aws_error::AwsError;
use crate::model::Identity;
use crate::model::finding::{FindingKind, ResourceType};
use crate::playbook::contain_functions::{self, Deletion, FunctionTarget};

fn account() -> Identity {
    Identity {
        id: "123456789012".into(),
        alias: None,
        caller_arn: "arn:aws:iam::123456789012:user/responder".into(),
    }
}

/// A real contain plan for `miner` in ap-south-1 and `billing` in us-east-1: per function an
/// evidence read (1, 3), a throttle (2, 4), then the deletes (5, 6).
fn contain() -> Plan {
    let targets =
        [("ap-south-1", "miner"), ("us-east-1", "billing")].map(|(region, name)| FunctionTarget {
            region: region.into(),
            name: name.into(),
            reserved_concurrency: None,
        });
    contain_functions::plan(
        "a1".into(),
        account(),
        Utc::now(),
        &targets,
        Path::new("/ev"),
        Deletion::IfCodeSaved,
    )
}

fn function_finding(region: &str, name: &str) -> Finding {
    crate::model::finding::sample(
        FindingKind::RecentResource,
        ResourceType::Function,
        region,
        name,
    )
}

fn failed() -> Outcome {
    Outcome::Failed {
        error: AwsError {
            service: "lambda".into(),
            operation: "PutFunctionConcurrency".into(),
            region: "ap-south-1".into(),
            code: "Timeout".into(),
            message: String::new(),
            request_id: None,
            http_status: None,
            subject: None,
        },
        maybe_applied: false,
    }
}

fn unsupported() -> Outcome {
    let Outcome::Failed { error, .. } = failed() else {
        unreachable!()
    };
    Outcome::Unsupported { error }
}

fn ended(outcomes: &[(usize, Outcome)]) -> BTreeMap<usize, Outcome> {
    outcomes.iter().cloned().collect()
}

/// Step indexes of `plan` by API and function, so the tests do not depend on the order.
fn step(plan: &Plan, api: &str, function: &str) -> usize {
    plan.steps
        .iter()
        .find(|s| s.api == api && s.target.contains(function))
        .map(|s| s.index)
        .unwrap_or_else(|| panic!("no {api} of {function} in {:?}", plan.steps))
}

#[test]
fn a_finding_is_contained_only_when_every_step_changing_its_resource_ended_ok_or_skipped() {
    let plan = contain();
    let miner = function_finding("ap-south-1", "miner");
    let throttle = step(&plan, "PutFunctionConcurrency", "miner");
    let delete = step(&plan, "DeleteFunction", "miner");
    let evidence = step(&plan, "GetFunction", "miner");
    let cases = [
        (vec![(throttle, Outcome::Ok), (delete, Outcome::Ok)], true),
        (
            vec![(throttle, Outcome::Skipped), (delete, Outcome::Ok)],
            true,
        ),
        // The evidence read changes nothing: it does not decide.
        (
            vec![
                (evidence, failed()),
                (throttle, Outcome::Ok),
                (delete, Outcome::Skipped),
            ],
            true,
        ),
        (vec![(throttle, Outcome::Ok)], false),
        (vec![(throttle, Outcome::Ok), (delete, failed())], false),
        (
            vec![(throttle, unsupported()), (delete, Outcome::Ok)],
            false,
        ),
        (Vec::new(), false),
    ];
    for (outcomes, contained) in cases {
        let outcomes = ended(&outcomes);
        let executed = Executed {
            plan: &plan,
            outcomes: &outcomes,
        };
        assert_eq!(executed.contains(&miner), contained, "{outcomes:?}");
    }
}

#[test]
fn a_finding_the_plan_has_no_step_for_is_not_contained() {
    let plan = contain();
    let all_ok: BTreeMap<usize, Outcome> =
        plan.steps.iter().map(|s| (s.index, Outcome::Ok)).collect();
    let executed = Executed {
        plan: &plan,
        outcomes: &all_ok,
    };
    assert!(executed.contains(&function_finding("us-east-1", "billing")));
    // Same name, another region; another function; an exempt principal has no step.
    assert!(!executed.contains(&function_finding("eu-west-1", "billing")));
    assert!(!executed.contains(&function_finding("us-east-1", "payroll")));
}

#[test]
fn only_an_undo_whose_every_step_ended_without_failing_undid_its_action() {
    let mut plan = contain();
    let all = |outcome: fn() -> Outcome| -> BTreeMap<usize, Outcome> {
        plan.steps.iter().map(|s| (s.index, outcome())).collect()
    };
    let (ok, skipped, not_there, with_failure) = (
        all(|| Outcome::Ok),
        all(|| Outcome::Skipped),
        all(unsupported),
        {
            let mut outcomes = all(|| Outcome::Ok);
            outcomes.insert(1, failed());
            outcomes
        },
    );
    let mut some = ok.clone();
    some.remove(&2);
    let undid = |plan: &Plan, outcomes: &BTreeMap<usize, Outcome>| {
        Executed { plan, outcomes }.undid().map(str::to_string)
    };
    // Not an undo at all.
    assert_eq!(undid(&plan, &ok), None);
    plan.playbook = Playbook::Undo { of: "a0".into() };
    assert_eq!(undid(&plan, &ok).as_deref(), Some("a0"));
    assert_eq!(undid(&plan, &skipped).as_deref(), Some("a0"));
    assert_eq!(undid(&plan, &not_there).as_deref(), Some("a0"));
    assert_eq!(undid(&plan, &with_failure), None);
    // A step that has not ended yet.
    assert_eq!(undid(&plan, &some), None);
}

#[test]
fn evidence_is_saved_for_functions_whose_evidence_step_ended_ok_or_skipped() {
    let plan = contain();
    let outcomes = ended(&[
        (step(&plan, "GetFunction", "miner"), Outcome::Skipped),
        (step(&plan, "GetFunction", "billing"), failed()),
        // A throttle that ended ok is not evidence.
        (
            step(&plan, "PutFunctionConcurrency", "billing"),
            Outcome::Ok,
        ),
    ]);
    let executed = Executed {
        plan: &plan,
        outcomes: &outcomes,
    };
    assert_eq!(
        executed.evidence_saved(),
        vec![("ap-south-1".to_string(), "miner".to_string())]
    );
    let outcomes = ended(&[
        (step(&plan, "GetFunction", "miner"), Outcome::Ok),
        (step(&plan, "GetFunction", "billing"), Outcome::Ok),
    ]);
    assert_eq!(
        Executed {
            plan: &plan,
            outcomes: &outcomes
        }
        .evidence_saved()
        .len(),
        2
    );
}

#[test]
fn the_changed_regions_are_those_of_steps_that_change_the_account_sorted_and_without_global() {
    let mut plan = contain();
    // An evidence read alone in a region does not change it; IAM's global is not a region.
    plan.push(crate::playbook::plan::Step::new(
        "eu-north-1",
        0,
        Operation::CaptureFunctionEvidence {
            function: "read-only".into(),
            directory: "/ev".into(),
        },
        None,
    ));
    plan.push(crate::playbook::plan::Step::new(
        GLOBAL,
        0,
        Operation::DeleteFunctionConcurrency {
            function: "iam-ish".into(),
        },
        None,
    ));
    let outcomes = BTreeMap::new();
    let executed = Executed {
        plan: &plan,
        outcomes: &outcomes,
    };
    assert_eq!(executed.changed_regions(), vec!["ap-south-1", "us-east-1"]);
}

#[test]
fn counts_and_whether_anything_may_have_changed() {
    let plan = contain();
    let outcomes = ended(&[
        (1, Outcome::Ok),
        (2, Outcome::Skipped),
        (3, Outcome::Skipped),
        (4, unsupported()),
    ]);
    let executed = Executed {
        plan: &plan,
        outcomes: &outcomes,
    };
    assert_eq!(
        ["ok", "skipped", "unsupported", "failed"].map(|w| executed.count(w)),
        [1, 2, 1, 0]
    );
    assert!(executed.may_have_changed());
    for (outcomes, changed) in [
        (ended(&[(1, Outcome::Skipped), (2, unsupported())]), false),
        (ended(&[(1, Outcome::Skipped), (2, failed())]), true),
        (BTreeMap::new(), false),
    ] {
        let executed = Executed {
            plan: &plan,
            outcomes: &outcomes,
        };
        assert_eq!(executed.may_have_changed(), changed, "{outcomes:?}");
    }
}
