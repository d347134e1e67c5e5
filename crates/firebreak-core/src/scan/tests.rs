use super::*;
use crate::model::{Principals, Sharing, UrlAuth};

#[test]
fn a_failed_listing_leaves_only_its_own_kind_unjudged() {
    let mut state = ScanState::default();
    state.apply(ScanEvent::Planned(vec![RegionInfo {
        name: "eu-west-1".into(),
        enabled: true,
    }]));
    for part in [
        Part::Snapshots(Vec::new()),
        Part::Images(Vec::new()),
        Part::Failed {
            kind: ItemKind::OpenIngress,
            error: AwsError {
                service: "ec2".into(),
                operation: "DescribeSecurityGroupRules".into(),
                code: "UnauthorizedOperation".into(),
                ..error("eu-west-1")
            },
        },
    ] {
        state.apply(ScanEvent::Part {
            region: "eu-west-1".into(),
            part,
        });
    }
    let listed = state.listed();
    assert!(listed.contains(&("eu-west-1".to_string(), ItemKind::Snapshots)));
    assert!(listed.contains(&("eu-west-1".to_string(), ItemKind::Images)));
    assert!(!listed.contains(&("eu-west-1".to_string(), ItemKind::OpenIngress)));
    assert_eq!(
        state.regions[0].failed_listings,
        ["ec2 security group rules"]
    );
}

#[test]
fn a_rescan_of_some_regions_replaces_only_them() {
    use crate::model::Snapshot;
    let snapshot = |region: &str, id: &str| Snapshot {
        region: region.into(),
        id: id.into(),
        volume_id: None,
        size_gib: None,
        encrypted: true,
        started: None,
        sharing: Sharing::default(),
    };
    let mut full = ScanState::default();
    full.apply(planned(&["eu-west-1", "us-east-1"]));
    for (region, id) in [("eu-west-1", "snap-eu"), ("us-east-1", "snap-us")] {
        full.apply(ScanEvent::Part {
            region: region.into(),
            part: Part::Snapshots(vec![snapshot(region, id)]),
        });
    }
    full.apply(ScanEvent::Done);
    let mut partial = ScanState::default();
    partial.apply(planned(&["us-east-1"]));
    partial.apply(ScanEvent::Part {
        region: "us-east-1".into(),
        part: Part::Snapshots(vec![snapshot("us-east-1", "snap-new")]),
    });
    partial.apply(ScanEvent::Done);
    full.merge(partial);
    let ids: Vec<&str> = full
        .inventory
        .snapshots
        .iter()
        .map(|s| s.id.as_str())
        .collect();
    assert_eq!(ids, ["snap-eu", "snap-new"]);
    assert_eq!(full.regions.len(), 2, "the region list is kept whole");

    // A full rescan whose EC2 listing failed in eu-west-1 keeps that region's snapshots,
    // marked stale; one whose credentials were refused changes nothing but the error.
    let mut throttled = ScanState::default();
    throttled.apply(planned(&["eu-west-1", "us-east-1"]));
    throttled.apply(ScanEvent::Part {
        region: "eu-west-1".into(),
        part: Part::Failed {
            kind: ItemKind::Snapshots,
            error: AwsError {
                service: "ec2".into(),
                operation: "DescribeSnapshots".into(),
                code: "RequestLimitExceeded".into(),
                ..error("eu-west-1")
            },
        },
    });
    throttled.apply(ScanEvent::Part {
        region: "us-east-1".into(),
        part: Part::Snapshots(vec![snapshot("us-east-1", "snap-new")]),
    });
    throttled.apply(ScanEvent::Done);
    full.merge(throttled);
    let ids: Vec<&str> = full
        .inventory
        .snapshots
        .iter()
        .map(|s| s.id.as_str())
        .collect();
    assert_eq!(ids, ["snap-eu", "snap-new"]);
    assert_eq!(full.regions[0].stale, ["ec2 snapshots"]);
    assert!(full.regions[1].stale.is_empty());
    // One snapshot's unreadable sharing is a problem, not a failed listing: the rescan's
    // list stands and nothing is stale.
    let mut one_unreadable = ScanState::default();
    one_unreadable.apply(planned(&["eu-west-1"]));
    one_unreadable.apply(ScanEvent::Part {
        region: "eu-west-1".into(),
        part: Part::Snapshots(vec![snapshot("eu-west-1", "snap-eu-2")]),
    });
    one_unreadable.apply(ScanEvent::Part {
        region: "eu-west-1".into(),
        part: Part::Problem(AwsError {
            service: "ec2".into(),
            operation: "DescribeSnapshotAttribute".into(),
            code: "RequestLimitExceeded".into(),
            ..error("eu-west-1")
        }),
    });
    one_unreadable.apply(ScanEvent::Done);
    full.merge(one_unreadable);
    let ids: Vec<&str> = full
        .inventory
        .snapshots
        .iter()
        .map(|s| s.id.as_str())
        .collect();
    assert_eq!(ids, ["snap-eu-2", "snap-new"]);
    assert!(full.regions[0].stale.is_empty());
    let before = full.inventory.clone();
    let mut refused = ScanState::default();
    refused.apply(ScanEvent::Fatal(AwsError {
        code: "ExpiredToken".into(),
        ..error("us-east-1")
    }));
    full.merge(refused);
    assert_eq!(full.inventory, before);
    assert!(
        full.fatal
            .as_ref()
            .is_some_and(AwsError::is_credentials_problem)
    );
}

fn region(name: &str, enabled: bool) -> RegionInfo {
    RegionInfo {
        name: name.to_string(),
        enabled,
    }
}

fn snapshot(region: &str, id: &str, public: bool) -> Snapshot {
    Snapshot {
        region: region.to_string(),
        id: id.to_string(),
        volume_id: None,
        size_gib: Some(8),
        encrypted: false,
        started: None,
        sharing: Sharing {
            public,
            ..Sharing::default()
        },
    }
}

fn error(region: &str) -> AwsError {
    AwsError {
        service: "lambda".to_string(),
        operation: "ListFunctions".to_string(),
        region: region.to_string(),
        code: "AccessDeniedException".to_string(),
        message: "denied".to_string(),
        request_id: Some("req-1".to_string()),
        http_status: Some(403),
        subject: None,
    }
}

#[test]
fn events_fold_into_region_status_counts_and_inventory() {
    let mut state = ScanState::default();
    state.apply(ScanEvent::Planned(vec![
        region("us-west-2", true),
        region("eu-west-1", true),
        region("ap-east-1", false),
    ]));
    assert_eq!(
        state
            .regions
            .iter()
            .map(|r| r.name.as_str())
            .collect::<Vec<_>>(),
        ["ap-east-1", "eu-west-1", "us-west-2"]
    );
    assert_eq!(state.regions[0].status, RegionStatus::NotEnabled);
    assert_eq!(state.progress(), (0, 2));

    state.apply(ScanEvent::Started {
        region: "eu-west-1".to_string(),
    });
    assert_eq!(state.regions[1].status, RegionStatus::Scanning);
    state.apply(ScanEvent::Part {
        region: "eu-west-1".to_string(),
        part: Part::Snapshots(vec![
            snapshot("eu-west-1", "snap-1", true),
            snapshot("eu-west-1", "snap-2", false),
        ]),
    });
    state.apply(ScanEvent::Part {
        region: "eu-west-1".to_string(),
        part: Part::Failed {
            kind: ItemKind::Functions,
            error: error("eu-west-1"),
        },
    });
    state.apply(ScanEvent::Finished {
        region: "eu-west-1".to_string(),
        duration: Duration::from_millis(120),
    });
    let eu = &state.regions[1];
    assert_eq!(eu.status, RegionStatus::Error);
    assert_eq!(eu.count(ItemKind::Snapshots), Some(2));
    assert_eq!(eu.count(ItemKind::Shared), Some(1));
    assert_eq!(eu.count(ItemKind::Functions), None);
    assert_eq!(eu.errors, vec![error("eu-west-1")]);

    state.apply(ScanEvent::Started {
        region: "us-west-2".to_string(),
    });
    state.apply(ScanEvent::Finished {
        region: "us-west-2".to_string(),
        duration: Duration::from_millis(80),
    });
    assert_eq!(state.regions[2].status, RegionStatus::Done);
    assert_eq!(state.progress(), (2, 2));
    assert!(state.is_partial());
    assert_eq!(state.inventory.snapshots.len(), 2);
    state.apply(ScanEvent::Done);
    assert!(state.done);
}

#[test]
fn events_for_unplanned_regions_are_ignored() {
    let mut state = ScanState::default();
    state.apply(ScanEvent::Part {
        region: "xx-nowhere-1".to_string(),
        part: Part::Snapshots(vec![snapshot("xx-nowhere-1", "snap-1", true)]),
    });
    assert!(state.inventory.snapshots.is_empty());
}

#[test]
fn public_functions() {
    let mut function = Function {
        region: "us-east-1".to_string(),
        name: "f".to_string(),
        arn: "arn".to_string(),
        runtime: None,
        last_modified: None,
        role: None,
        reserved_concurrency: None,
        policy_principals: None,
        url_auth: Some(UrlAuth::AwsIam),
        aliases: Vec::new(),
    };
    assert!(!is_public_function(&function));
    function.url_auth = Some(UrlAuth::None);
    assert!(is_public_function(&function));
    function.url_auth = None;
    function.policy_principals = Some(Principals {
        public: true,
        ..Principals::default()
    });
    assert!(is_public_function(&function));
    function.policy_principals = None;
    function.aliases = vec![crate::model::AliasExposure {
        name: "live".into(),
        policy_principals: None,
        url_auth: Some(UrlAuth::None),
    }];
    assert!(
        is_public_function(&function),
        "a public alias makes the function public"
    );
}

#[test]
fn a_region_status_is_written_as_its_json_name() {
    for status in [
        RegionStatus::Pending,
        RegionStatus::Scanning,
        RegionStatus::Done,
        RegionStatus::Error,
        RegionStatus::NotEnabled,
    ] {
        let json = serde_json::to_string(&status).expect("status as JSON");
        assert_eq!(json, format!("\"{}\"", status.word()));
    }
    assert_eq!(RegionStatus::NotEnabled.word(), "not_enabled");
}

fn planned(names: &[&str]) -> ScanEvent {
    ScanEvent::Planned(
        names
            .iter()
            .map(|n| RegionInfo {
                name: n.to_string(),
                enabled: true,
            })
            .collect(),
    )
}

/// A detail read of `id` in `region` that failed.
fn problem(region: &str, id: &str) -> ScanEvent {
    ScanEvent::Part {
        region: region.into(),
        part: Part::Problem(error(region).about(crate::model::finding::ResourceType::Function, id)),
    }
}

#[test]
fn a_rescan_says_what_could_not_be_read_where_it_read_again_and_nowhere_else() {
    let mut full = ScanState::default();
    full.apply(planned(&["eu-west-1", "us-east-1"]));
    full.apply(problem(GLOBAL, "old-global"));
    full.apply(problem("eu-west-1", "old-eu"));
    full.apply(problem("us-east-1", "old-us"));
    full.apply(ScanEvent::Done);
    let mut rescan = ScanState::default();
    rescan.apply(planned(&["us-east-1"]));
    rescan.apply(problem("us-east-1", "new-us"));
    rescan.apply(ScanEvent::Done);
    full.merge(rescan);
    let unread: Vec<(&str, &str)> = full
        .inventory
        .unread
        .iter()
        .map(|u| (u.region.as_str(), u.resource_id.as_str()))
        .collect();
    // IAM is part of every rescan: its old problem is gone with the rest of us-east-1's.
    assert_eq!(unread, [("eu-west-1", "old-eu"), ("us-east-1", "new-us")]);
}

#[test]
fn only_a_listing_that_answered_and_did_not_fail_is_listed() {
    let mut state = ScanState::default();
    state.apply(planned(&["eu-west-1", "us-east-1"]));
    state.apply(ScanEvent::Part {
        region: "eu-west-1".into(),
        part: Part::Functions(Vec::new()),
    });
    let listed = state.listed();
    assert_eq!(
        listed.into_iter().collect::<Vec<_>>(),
        [("eu-west-1".to_string(), ItemKind::Functions)],
        "us-east-1 has not answered: nothing there is listed"
    );
}

#[test]
fn a_scan_is_partial_when_anything_global_or_regional_could_not_be_read() {
    let mut state = ScanState::default();
    state.apply(planned(&["eu-west-1", "us-east-1"]));
    assert!(!state.is_partial());
    let mut global = state.clone();
    global.apply(problem(GLOBAL, "alice"));
    assert!(global.is_partial());
    let mut regional = state.clone();
    regional.apply(problem("us-east-1", "miner"));
    assert!(regional.is_partial());
}
