//! CloudTrail for one region: the trails whose home is this region (a multi-region trail is
//! read once, where it lives), whether each is logging and which management events it records;
//! and the event history, for who changed a resource.

use futures::{StreamExt, stream};

use aws_sdk_cloudtrail::operation::get_event_selectors::GetEventSelectorsOutput;
use aws_sdk_cloudtrail::operation::get_trail_status::GetTrailStatusOutput;
use aws_sdk_cloudtrail::types::{LookupAttribute, LookupAttributeKey, ReadWriteType};

use super::context::AwsContext;
use super::error::{AwsError, CallSite, keep};
use super::pace::Api;
use super::to_utc;
use firebreak_core::model::finding::{ChangeEvent, ResourceType};
use firebreak_core::model::{ManagementEvents, Trail};

/// The trails homed in `region`, each with its status and selectors read (a failed read keeps
/// the trail with that detail unknown, reported as a problem; a trail deleted since the listing
/// is left out).
pub async fn trails(
    ctx: &AwsContext,
    region: &str,
    account: &str,
    concurrency: usize,
) -> Result<(Vec<Trail>, Vec<AwsError>), AwsError> {
    let client = ctx.cloudtrail(region);
    let site = |operation| CallSite {
        service: "cloudtrail",
        operation,
        region,
    };
    // Shadow trails (multi-region trails homed elsewhere) are asked for so that the answer is the
    // region's whole coverage; each is kept only in its home region.
    let listed = client
        .describe_trails()
        .include_shadow_trails(true)
        .send()
        .await
        .map_err(|e| site("DescribeTrails").error(e))?;
    let own: Vec<_> = listed
        .trail_list()
        .iter()
        .filter(|t| t.home_region() == Some(region))
        .cloned()
        .collect();
    let read: Vec<Option<(Trail, Vec<AwsError>)>> = stream::iter(own)
        .map(|trail| {
            let client = &client;
            async move {
                let name = trail.name().unwrap_or_default().to_string();
                let arn = trail.trail_arn().unwrap_or_default().to_string();
                let mut listed = Trail {
                    region: region.to_string(),
                    multi_region: trail.is_multi_region_trail().unwrap_or(false),
                    logging: None,
                    management_events: None,
                    log_role: trail.cloud_watch_logs_role_arn().map(str::to_string),
                    delivery_error: None,
                    organization_owner: organization_owner(&trail, account),
                    bucket: trail.s3_bucket_name().map(str::to_string),
                    name: name.clone(),
                    arn: arn.clone(),
                };
                // A member account may not read the organization's trail (AWS answers
                // CloudTrailARNInvalidException): it is judged in the account that owns it.
                if listed.organization_owner.is_some() {
                    return Some((listed, Vec::new()));
                }
                let mut problems = Vec::new();
                let gone = |e: &AwsError| e.code == "TrailNotFoundException";
                let logging = match client.get_trail_status().name(&arn).send().await {
                    Ok(status) => {
                        listed.delivery_error = delivery_error(&status);
                        status.is_logging()
                    }
                    Err(e) => {
                        let error = site("GetTrailStatus").error(e);
                        if gone(&error) {
                            return None;
                        }
                        problems.push(error.about(ResourceType::Trail, &name));
                        None
                    }
                };
                let management_events =
                    match client.get_event_selectors().trail_name(&arn).send().await {
                        Ok(selectors) => Some(management_events(&selectors)),
                        Err(e) => {
                            let error = site("GetEventSelectors").error(e);
                            if gone(&error) {
                                return None;
                            }
                            problems.push(error.about(ResourceType::Trail, &name));
                            None
                        }
                    };
                Some((
                    Trail {
                        logging,
                        management_events,
                        ..listed
                    },
                    problems,
                ))
            }
        })
        .buffer_unordered(concurrency.max(1))
        .collect()
        .await;
    Ok(read
        .into_iter()
        .flatten()
        .fold((Vec::new(), Vec::new()), keep))
}

/// The account that owns `trail` when it is an organization trail of another account (its
/// ARN names the owner).
fn organization_owner(trail: &aws_sdk_cloudtrail::types::Trail, account: &str) -> Option<String> {
    let owner = firebreak_core::policy::Arn::parse(trail.trail_arn()?)?.account;
    (trail.is_organization_trail() == Some(true) && owner != account).then(|| owner.to_string())
}

/// What the trail last failed to deliver with (S3, then CloudWatch Logs), if anything.
fn delivery_error(status: &GetTrailStatusOutput) -> Option<String> {
    let s3 = status
        .latest_delivery_error()
        .filter(|e| !e.trim().is_empty())
        .map(|e| format!("S3 delivery: {e}"));
    let logs = status
        .latest_cloud_watch_logs_delivery_error()
        .filter(|e| !e.trim().is_empty())
        .map(|e| format!("CloudWatch Logs delivery: {e}"));
    match (s3, logs) {
        (Some(s3), Some(logs)) => Some(format!("{s3}; {logs}")),
        (one, other) => one.or(other),
    }
}

/// Which management events the selectors record. A trail without selectors records all of
/// them (AWS's default; emulators answer no selectors for it).
fn management_events(selectors: &GetEventSelectorsOutput) -> ManagementEvents {
    let basic = selectors.event_selectors();
    let advanced = selectors.advanced_event_selectors();
    if basic.is_empty() && advanced.is_empty() {
        return ManagementEvents::All;
    }
    let (mut reads, mut writes) = (false, false);
    let mut record = |read_only: Option<bool>| match read_only {
        Some(true) => reads = true,
        Some(false) => writes = true,
        None => (reads, writes) = (true, true),
    };
    for selector in basic {
        if selector.include_management_events().unwrap_or(true) {
            record(match selector.read_write_type() {
                Some(ReadWriteType::ReadOnly) => Some(true),
                Some(ReadWriteType::WriteOnly) => Some(false),
                _ => None,
            });
        }
    }
    for selector in advanced {
        let fields = selector.field_selectors();
        let management = fields
            .iter()
            .any(|f| f.field() == "eventCategory" && f.equals().iter().any(|v| v == "Management"));
        if management {
            record(
                fields
                    .iter()
                    .find(|f| f.field() == "readOnly")
                    .and_then(|f| f.equals().first())
                    .map(|v| v == "true"),
            );
        }
    }
    match (reads, writes) {
        (true, true) => ManagementEvents::All,
        (true, false) => ManagementEvents::ReadOnly,
        (false, true) => ManagementEvents::WriteOnly,
        (false, false) => ManagementEvents::Excluded,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_cloudtrail::types::{AdvancedEventSelector, AdvancedFieldSelector, EventSelector};

    fn basic(include: bool, kind: ReadWriteType) -> EventSelector {
        EventSelector::builder()
            .include_management_events(include)
            .read_write_type(kind)
            .build()
    }

    fn advanced(fields: &[(&str, &str)]) -> AdvancedEventSelector {
        let mut selector = AdvancedEventSelector::builder();
        for (field, value) in fields {
            selector = selector.field_selectors(
                AdvancedFieldSelector::builder()
                    .field(*field)
                    .equals(*value)
                    .build()
                    .expect("field is set"),
            );
        }
        selector.build().expect("field selectors are set")
    }

    #[test]
    fn selectors_say_which_management_events_are_recorded() {
        let of = |builder: aws_sdk_cloudtrail::operation::get_event_selectors::builders::GetEventSelectorsOutputBuilder| {
            management_events(&builder.build())
        };
        assert_eq!(
            of(GetEventSelectorsOutput::builder()),
            ManagementEvents::All
        );
        assert_eq!(
            of(GetEventSelectorsOutput::builder()
                .event_selectors(basic(false, ReadWriteType::All))),
            ManagementEvents::Excluded
        );
        assert_eq!(
            of(GetEventSelectorsOutput::builder()
                .event_selectors(basic(true, ReadWriteType::ReadOnly))),
            ManagementEvents::ReadOnly
        );
        assert_eq!(
            of(GetEventSelectorsOutput::builder()
                .event_selectors(basic(true, ReadWriteType::ReadOnly))
                .event_selectors(basic(true, ReadWriteType::WriteOnly))),
            ManagementEvents::All
        );
        assert_eq!(
            of(
                GetEventSelectorsOutput::builder().advanced_event_selectors(advanced(&[
                    ("eventCategory", "Management"),
                    ("readOnly", "false")
                ]))
            ),
            ManagementEvents::WriteOnly
        );
        assert_eq!(
            of(GetEventSelectorsOutput::builder()
                .advanced_event_selectors(advanced(&[("eventCategory", "Data")]))),
            ManagementEvents::Excluded
        );
    }
}

/// Pages of the event history read at most, newest first: reads about a resource (firebreak's
/// own among them) can fill a page, but a change older than this many is not worth the wait.
const LOOKUP_PAGES: usize = 3;

/// What a look through the event history about one resource found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    /// The latest change.
    Found(ChangeEvent),
    /// No change in the whole history (every page read).
    NoChange,
    /// No change in the `events` newest events, and the history holds more: LookupEvents
    /// takes one attribute, so reads (firebreak's own among them) crowd out the writes.
    NotInNewest { events: usize },
}

/// The latest change to the resource `name` that `region`'s CloudTrail event history holds
/// (management events of the last 90 days; IAM's are in the partition's IAM region): reads
/// are passed over. At most [`LOOKUP_PAGES`] pages are read, and the answer says when the
/// history went on past them. Asked with the short retry budget of changes: an answer for the
/// screen that gives up soon beats one that blocks it.
pub async fn latest_change(ctx: &AwsContext, region: &str, name: &str) -> Result<Lookup, AwsError> {
    let site = CallSite {
        service: "cloudtrail",
        operation: "LookupEvents",
        region,
    };
    let attribute = LookupAttribute::builder()
        .attribute_key(LookupAttributeKey::ResourceName)
        .attribute_value(name)
        .build()
        .map_err(|e| AwsError {
            code: "InvalidLookup".into(),
            message: e.to_string(),
            ..site.local_error()
        })?;
    let mut pages = ctx
        .for_changes()
        .cloudtrail(region)
        .lookup_events()
        .lookup_attributes(attribute)
        .max_results(50)
        .into_paginator()
        .send();
    let mut read = 0;
    for _ in 0..LOOKUP_PAGES {
        ctx.pace(Api::CloudTrailLookup, region).await;
        let Some(page) = pages.next().await else {
            return Ok(Lookup::NoChange);
        };
        let page = page.map_err(|e| site.error(e))?;
        read += page.events().len();
        let last = page.next_token().is_none();
        // Newest first: the first event that is not a read is the latest change.
        let change = page.events().iter().find(|event| {
            event.read_only() != Some("true")
                && !event.event_name().is_some_and(|n| {
                    ["Get", "Describe", "List", "Lookup"]
                        .iter()
                        .any(|read| n.starts_with(read))
                })
        });
        if let Some(event) = change {
            return Ok(Lookup::Found(change_event(event)));
        }
        if last {
            return Ok(Lookup::NoChange);
        }
    }
    Ok(Lookup::NotInNewest { events: read })
}

/// The parts of a CloudTrail record (`CloudTrailEvent`, JSON) that say who and from where.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Record {
    #[serde(rename = "sourceIPAddress")]
    source_ip_address: Option<String>,
    user_agent: Option<String>,
    user_identity: Option<RecordIdentity>,
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct RecordIdentity {
    arn: Option<String>,
    access_key_id: Option<String>,
}

fn change_event(event: &aws_sdk_cloudtrail::types::Event) -> ChangeEvent {
    // A record that does not parse still gives what the event itself carries.
    let record: Record = event
        .cloud_trail_event()
        .and_then(|json| serde_json::from_str(json).ok())
        .unwrap_or_default();
    let identity = record.user_identity.unwrap_or_default();
    ChangeEvent {
        event_name: event.event_name().unwrap_or_default().to_string(),
        time: event.event_time().map(to_utc),
        principal: identity
            .arn
            .or_else(|| event.username().map(str::to_string)),
        access_key_id: identity
            .access_key_id
            .or_else(|| event.access_key_id().map(str::to_string)),
        source_ip: record.source_ip_address,
        user_agent: record.user_agent,
    }
}
