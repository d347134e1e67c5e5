//! Attribution from CloudTrail's event history: the latest change, no event, not available, a history read short of its end.

use super::*;

/// A finding about `resource_id` in `region`, for the attribution lookups.
fn attributed_finding(
    kind: firebreak_core::model::finding::FindingKind,
    resource_type: firebreak_core::model::finding::ResourceType,
    region: &str,
    resource_id: &str,
    arn: Option<&str>,
) -> firebreak_core::model::finding::Finding {
    firebreak_core::model::finding::Finding {
        id: firebreak_core::model::finding::finding_id(kind, region, resource_id),
        kind,
        severity: firebreak_core::model::finding::Severity::Critical,
        region: region.into(),
        resource_type,
        resource_id: resource_id.into(),
        arn: arn.map(str::to_string),
        summary: String::new(),
        details: Vec::new(),
        related: Vec::new(),
        facts: String::new(),
        attribution: None,
    }
}

#[tokio::test]
async fn attribution_names_the_latest_change_its_caller_key_address_and_agent() {
    use aws_sdk_cloudtrail::operation::lookup_events::LookupEventsOutput;
    use aws_sdk_cloudtrail::types::{Event, LookupAttributeKey};
    use firebreak_core::model::finding::{Attribution, FindingKind, ResourceType};
    let record = r#"{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::123456789012:user/mallory","accessKeyId":"AKIAMALLORY0000001"},"eventName":"StopLogging","sourceIPAddress":"203.0.113.9","userAgent":"aws-cli/2.15.0 Python/3.11"}"#;
    let trail_arn = "arn:aws:cloudtrail:us-east-1:123456789012:trail/org-trail";
    let lookups = mock!(aws_sdk_cloudtrail::Client::lookup_events)
        .match_requests(move |input| {
            input.lookup_attributes().iter().any(|a| {
                a.attribute_key() == &LookupAttributeKey::ResourceName
                    && a.attribute_value() == trail_arn
            })
        })
        .then_output(move || {
            LookupEventsOutput::builder()
                // Newest first: a read after the change is passed over.
                .events(
                    Event::builder()
                        .event_name("GetTrailStatus")
                        .read_only("true")
                        .build(),
                )
                .events(
                    Event::builder()
                        .event_name("StopLogging")
                        .read_only("false")
                        .username("mallory")
                        .event_time(aws_sdk_cloudtrail::primitives::DateTime::from_secs(
                            1_795_400_000,
                        ))
                        .cloud_trail_event(record)
                        .build(),
                )
                .build()
        });
    let ctx = context(&[&lookups]);
    let finding = attributed_finding(
        FindingKind::LoggingStopped,
        ResourceType::Trail,
        "us-east-1",
        "org-trail",
        Some(trail_arn),
    );
    let Attribution::Found(event) = crate::service::attribution::attribute(&ctx, &finding).await
    else {
        panic!("the change is found");
    };
    assert_eq!(event.event_name, "StopLogging");
    assert_eq!(
        event.principal.as_deref(),
        Some("arn:aws:iam::123456789012:user/mallory")
    );
    assert_eq!(event.access_key_id.as_deref(), Some("AKIAMALLORY0000001"));
    assert_eq!(event.source_ip.as_deref(), Some("203.0.113.9"));
    assert_eq!(
        event.user_agent.as_deref(),
        Some("aws-cli/2.15.0 Python/3.11")
    );
    assert_eq!(
        event.time.map(|t| t.timestamp()),
        Some(1_795_400_000),
        "the event's time"
    );
    let shown = Attribution::Found(event).to_string();
    assert!(
        shown.starts_with("StopLogging by arn:aws:iam::123456789012:user/mallory (key AKIAMALLORY0000001) from 203.0.113.9"),
        "{shown}"
    );
}

#[tokio::test]
async fn attribution_says_no_event_or_not_available_and_asks_once_where_the_call_is_unsupported() {
    use aws_sdk_cloudtrail::operation::lookup_events::{LookupEventsError, LookupEventsOutput};
    use firebreak_core::model::finding::{Attribution, FindingKind, ResourceType};
    let quiet = mock!(aws_sdk_cloudtrail::Client::lookup_events)
        .then_output(|| LookupEventsOutput::builder().build());
    let ctx = context(&[&quiet]);
    let user = attributed_finding(
        FindingKind::UnknownUser,
        ResourceType::User,
        "global",
        "mallory",
        None,
    );
    assert_eq!(
        crate::service::attribution::attribute(&ctx, &user).await,
        Attribution::NoEvent
    );

    let denied = mock!(aws_sdk_cloudtrail::Client::lookup_events).then_error(|| {
        LookupEventsError::generic(
            ErrorMetadata::builder()
                .code("AccessDeniedException")
                .message("not allowed")
                .build(),
        )
    });
    let ctx = context(&[&denied]);
    let answer = crate::service::attribution::attribute(&ctx, &user).await;
    assert!(
        matches!(&answer, Attribution::NotAvailable { unsupported: false, reason } if reason.contains("AccessDeniedException")),
        "{answer:?}"
    );

    // An endpoint without the call (moto): the first finding asks, the others are told the same.
    let unsupported = mock!(aws_sdk_cloudtrail::Client::lookup_events).then_error(|| {
        LookupEventsError::generic(
            ErrorMetadata::builder()
                .code("UnknownOperationException")
                .message("not implemented")
                .build(),
        )
    });
    let ctx = context_at(&[&unsupported], Some("http://127.0.0.1:5000"));
    let mut findings = vec![
        user.clone(),
        attributed_finding(
            FindingKind::OpenIngress,
            ResourceType::SecurityGroup,
            "eu-west-1",
            "sg-0abc",
            None,
        ),
        attributed_finding(
            FindingKind::NoBaseline,
            ResourceType::Account,
            "global",
            "123456789012",
            None,
        ),
    ];
    crate::service::attribution::attribute_all(&ctx, &mut findings).await;
    assert_eq!(unsupported.num_calls(), 1, "asked once");
    for finding in &findings[..2] {
        let shown = finding
            .attribution
            .as_ref()
            .expect("attributed")
            .to_string();
        assert!(
            shown.starts_with(
                "not available (the endpoint does not implement cloudtrail LookupEvents"
            ),
            "{shown}"
        );
    }
    assert_eq!(
        findings[2].attribution, None,
        "an account-wide finding has no resource"
    );
}

#[tokio::test]
async fn attribution_read_short_of_the_end_of_the_history_says_how_far_it_read() {
    use aws_sdk_cloudtrail::operation::lookup_events::LookupEventsOutput;
    use aws_sdk_cloudtrail::types::Event;
    use firebreak_core::model::finding::{Attribution, FindingKind, ResourceType};
    // Fifty reads a page, and always more: the writes are older than what is read.
    let page = |token: &'static str| {
        move || {
            let mut page = LookupEventsOutput::builder().next_token(token);
            for _ in 0..50 {
                page = page.events(
                    Event::builder()
                        .event_name("GetRolePolicy")
                        .read_only("true")
                        .build(),
                );
            }
            page.build()
        }
    };
    let reads = mock!(aws_sdk_cloudtrail::Client::lookup_events)
        .sequence()
        .output(page("p2"))
        .output(page("p3"))
        .output(page("p4"))
        .build();
    let ctx = context(&[&reads]);
    let role = attributed_finding(
        FindingKind::UnknownRole,
        ResourceType::Role,
        "global",
        "backdoor",
        None,
    );
    let answer = crate::service::attribution::attribute(&ctx, &role).await;
    assert_eq!(answer, Attribution::NotInNewest { events: 150 });
    assert_eq!(
        answer.to_string(),
        "no change in the 150 newest events about it (older ones were not read)"
    );
    assert_eq!(reads.num_calls(), 3);
}
