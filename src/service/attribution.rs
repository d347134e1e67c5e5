//! Who made the change behind a finding: the latest change CloudTrail's event history holds
//! about its resource. Shared by `scan --attribution` and the cockpit's details.

use futures::StreamExt;

use crate::aws::AwsContext;
use crate::aws::cloudtrail::{self, Lookup};
use crate::service::engine::is_unsupported;
use firebreak_core::model::GLOBAL;
use firebreak_core::model::finding::{Attribution, Finding, FindingKind, ResourceType};

/// The region whose event history records IAM's (global) changes in `partition`.
fn iam_events_region(partition: &str) -> &'static str {
    match partition {
        "aws-cn" => "cn-north-1",
        "aws-us-gov" => "us-gov-west-1",
        _ => "us-east-1",
    }
}

/// Lookups in flight at once (each region's history answers 2 a second; the pacer keeps to it).
const CONCURRENCY: usize = 8;

/// Whether a finding is about one resource whose changes CloudTrail records.
pub fn attributable(finding: &Finding) -> bool {
    !matches!(
        finding.kind,
        FindingKind::NoBaseline | FindingKind::NotJudged
    ) && finding.resource_type != ResourceType::Account
}

/// The region whose history to ask, and the resource name CloudTrail records for `finding`'s
/// resource: a trail by its ARN, an instance-profile association by its instance, a rule by
/// its name.
fn lookup<'a>(finding: &'a Finding, partition: &str) -> (&'a str, &'a str) {
    let region = if finding.region == GLOBAL {
        iam_events_region(partition)
    } else {
        finding.region.as_str()
    };
    let name = match finding.resource_type {
        ResourceType::Trail => finding.arn.as_deref().unwrap_or(&finding.resource_id),
        ResourceType::ProfileAssociation => finding
            .resource_id
            .split('/')
            .next()
            .unwrap_or(&finding.resource_id),
        // `bus/name` off the default bus: CloudTrail records the rule's name.
        ResourceType::EventRule => finding
            .resource_id
            .rsplit('/')
            .next()
            .unwrap_or(&finding.resource_id),
        _ => finding.resource_id.as_str(),
    };
    (region, name)
}

/// Who made the change behind `finding`.
pub async fn attribute(ctx: &AwsContext, finding: &Finding) -> Attribution {
    let (region, name) = lookup(finding, ctx.partition());
    match cloudtrail::latest_change(ctx, region, name).await {
        Ok(Lookup::Found(event)) => Attribution::Found(event),
        Ok(Lookup::NoChange) => Attribution::NoEvent,
        Ok(Lookup::NotInNewest { events }) => Attribution::NotInNewest { events },
        // Only an emulator is given that benefit: against AWS these codes are failures.
        Err(error) if ctx.emulated() && is_unsupported(&error) => Attribution::NotAvailable {
            reason: format!(
                "the endpoint does not implement cloudtrail LookupEvents ({})",
                error.code
            ),
            unsupported: true,
        },
        Err(error) => Attribution::NotAvailable {
            reason: error.to_string(),
            unsupported: false,
        },
    }
}

/// Attributes every attributable finding. Once the endpoint turns out not to implement the
/// lookup, the rest say so without asking again.
pub async fn attribute_all(ctx: &AwsContext, findings: &mut [Finding]) {
    let mut wanted = findings.iter_mut().filter(|f| attributable(f));
    let Some(first) = wanted.next() else {
        return;
    };
    let answer = attribute(ctx, first).await;
    let unsupported = matches!(
        answer,
        Attribution::NotAvailable {
            unsupported: true,
            ..
        }
    );
    first.attribution = Some(answer.clone());
    if unsupported {
        for finding in wanted {
            finding.attribution = Some(answer.clone());
        }
        return;
    }
    let rest: Vec<&mut Finding> = wanted.collect();
    let answers: Vec<Attribution> = futures::stream::iter(rest.iter().map(|f| attribute(ctx, f)))
        .buffered(CONCURRENCY)
        .collect()
        .await;
    for (finding, answer) in rest.into_iter().zip(answers) {
        finding.attribution = Some(answer);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iam_changes_are_looked_up_in_the_partitions_iam_region() {
        let finding = Finding {
            id: String::new(),
            kind: FindingKind::UnknownUser,
            severity: firebreak_core::model::finding::Severity::High,
            region: GLOBAL.into(),
            resource_type: ResourceType::User,
            resource_id: "mallory".into(),
            arn: None,
            summary: String::new(),
            details: Vec::new(),
            related: Vec::new(),
            facts: String::new(),
            attribution: None,
        };
        for (partition, region) in [
            ("aws", "us-east-1"),
            ("aws-cn", "cn-north-1"),
            ("aws-us-gov", "us-gov-west-1"),
        ] {
            assert_eq!(lookup(&finding, partition), (region, "mallory"));
        }
        let regional = Finding {
            region: "cn-northwest-1".into(),
            resource_type: ResourceType::Function,
            resource_id: "miner".into(),
            ..finding
        };
        assert_eq!(lookup(&regional, "aws-cn"), ("cn-northwest-1", "miner"));
    }
}
