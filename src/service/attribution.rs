//! Who made the change behind a finding: the latest change CloudTrail's event history holds
//! about its resource. Shared by `scan --attribution` and the cockpit's details.

use futures::StreamExt;

use crate::aws::{AwsContext, cloudtrail};
use crate::model::GLOBAL;
use crate::model::finding::{Attribution, Finding, FindingKind, ResourceType};
use crate::playbook::engine::is_unsupported;

/// The region whose event history records IAM's (global) changes.
const IAM_EVENTS_REGION: &str = "us-east-1";

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
fn lookup(finding: &Finding) -> (&str, &str) {
    let region = if finding.region == GLOBAL {
        IAM_EVENTS_REGION
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
    let (region, name) = lookup(finding);
    match cloudtrail::latest_change(ctx, region, name).await {
        Ok(Some(event)) => Attribution::Found(event),
        Ok(None) => Attribution::NoEvent,
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
