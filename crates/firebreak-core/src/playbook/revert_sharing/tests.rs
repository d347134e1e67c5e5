use super::*;

const PARTNER: &str = "210987654321";
const STRANGER: &str = "666655554444";

fn identity() -> Identity {
    Identity {
        id: "123456789012".into(),
        alias: None,
        caller_arn: "arn:aws:iam::123456789012:user/responder".into(),
    }
}

#[test]
fn notes_say_what_is_kept_left_for_review_or_already_private() {
    let shared = |id: &str, public: bool, accounts: &[&str], orgs: &[&str]| SharedResource {
        kind: SharedKind::Snapshot,
        region: "us-east-1".into(),
        id: id.into(),
        sharing: Sharing {
            public,
            accounts: accounts.iter().map(|a| a.to_string()).collect(),
            organizations: orgs.iter().map(|o| o.to_string()).collect(),
        },
    };
    let resources = [
        shared(
            "snap-org",
            false,
            &[],
            &["arn:aws:organizations::1:organization/o-abc"],
        ),
        shared("snap-private", false, &[PARTNER], &[]),
        shared("snap-public", true, &[], &[]),
        shared("snap-stranger", false, &[STRANGER], &[]),
    ];
    let trusted: BTreeSet<String> = [PARTNER.to_string()].into();
    let plan = plan(
        "a".into(),
        identity(),
        Utc::now(),
        &Exposure {
            resources: resources.to_vec(),
            ..Exposure::default()
        },
        &trusted,
        &BTreeMap::new(),
    );
    assert_eq!(
        plan.notes,
        [
            "snap-org is also shared with arn:aws:organizations::1:organization/o-abc: organization shares are left for review",
            "snap-org is not shared outside trusted accounts: nothing to remove",
            "snap-private keeps trusted 210987654321",
            "snap-private is not shared outside trusted accounts: nothing to remove",
        ]
    );
}

#[test]
fn a_function_loses_only_statements_naming_strangers_or_anyone() {
    let statement = |sid: &str, public: bool, accounts: &[&str]| FunctionStatement {
        sid: sid.into(),
        principals: crate::model::Principals {
            public,
            accounts: accounts.iter().map(|a| a.to_string()).collect(),
            ..Default::default()
        },
        grant: None,
    };
    let function = |qualifier: Option<&str>, statements: Vec<FunctionStatement>| ExposedFunction {
        region: "eu-west-1".into(),
        name: "orders".into(),
        qualifier: qualifier.map(str::to_string),
        statements,
        url_auth: None,
    };
    let functions = [
        function(
            None,
            vec![
                statement("own", false, &["123456789012"]),
                statement("partner", false, &[PARTNER]),
                statement("stranger", false, &[STRANGER]),
                statement("anyone", true, &[]),
            ],
        ),
        // An alias with nothing to remove says nothing; the function itself would.
        function(
            Some("live"),
            vec![statement("own", false, &["123456789012"])],
        ),
    ];
    let trusted: BTreeSet<String> = [PARTNER.to_string()].into();
    let plan = plan(
        "a".into(),
        identity(),
        Utc::now(),
        &Exposure {
            functions: functions.to_vec(),
            ..Exposure::default()
        },
        &trusted,
        &BTreeMap::new(),
    );
    let removed: Vec<&str> = plan
        .steps
        .iter()
        .filter_map(|s| match &s.operation {
            Operation::RemoveFunctionPermission { statement_id, .. } => Some(statement_id.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(removed, ["stranger", "anyone"]);
    assert!(
        plan.notes.iter().all(|n| !n.contains("nothing to remove")),
        "{:?}",
        plan.notes
    );
    let quiet = super::plan(
        "b".into(),
        identity(),
        Utc::now(),
        &Exposure {
            functions: vec![function(
                None,
                vec![statement("own", false, &["123456789012"])],
            )],
            ..Exposure::default()
        },
        &trusted,
        &BTreeMap::new(),
    );
    assert_eq!(
        quiet.notes,
        ["function orders in eu-west-1 lets in no one outside trusted accounts: nothing to remove"]
    );
}

#[test]
fn public_and_untrusted_are_removed_trusted_kept_and_inverse_restores() {
    let resources = [
        SharedResource {
            kind: SharedKind::Snapshot,
            region: "us-east-1".into(),
            id: "snap-1".into(),
            sharing: Sharing {
                public: true,
                accounts: [PARTNER.to_string(), STRANGER.to_string()].into(),
                organizations: BTreeSet::new(),
            },
        },
        SharedResource {
            kind: SharedKind::Image,
            region: "us-west-2".into(),
            id: "ami-1".into(),
            sharing: Sharing {
                public: false,
                accounts: [PARTNER.to_string()].into(),
                organizations: BTreeSet::new(),
            },
        },
    ];
    let trusted: BTreeSet<String> = [PARTNER.to_string()].into();
    let block = BTreeMap::from([(
        "us-east-1".to_string(),
        BlockPublicAccess {
            snapshots: Some(SnapshotBlock::Unblocked),
            images: Some(true),
        },
    )]);
    let plan = plan(
        "a".into(),
        identity(),
        Utc::now(),
        &Exposure {
            resources: resources.to_vec(),
            ..Exposure::default()
        },
        &trusted,
        &block,
    );
    assert_eq!(plan.steps.len(), 3, "{:#?}", plan.steps);
    assert_eq!(
        plan.steps[0].operation,
        Operation::ModifySnapshotSharing {
            snapshot_id: "snap-1".into(),
            change: SharingChange::remove(true, vec![STRANGER.into()]),
        }
    );
    assert_eq!(
        plan.steps[0].inverse,
        Some(Operation::ModifySnapshotSharing {
            snapshot_id: "snap-1".into(),
            change: SharingChange {
                add_public: true,
                add_accounts: vec![STRANGER.into()],
                ..SharingChange::default()
            },
        })
    );
    assert_eq!(plan.steps[1].target, "ami-1");
    assert_eq!(plan.steps[2].api, "EnableSnapshotBlockPublicAccess");
    assert_eq!(plan.steps[2].phase, 1);
    assert!(plan.notes.iter().any(|n| n.contains("ami-1 is not shared")));
    assert!(
        plan.notes
            .iter()
            .any(|n| n.contains("snap-1 keeps trusted 210987654321"))
    );
}

#[test]
fn a_public_alias_is_closed_on_the_alias_and_undo_reopens_it_there() {
    let statements = crate::policy::function_statements(
        r#"{"Statement":[{"Sid":"open","Effect":"Allow","Principal":"*","Action":"lambda:InvokeFunction"}]}"#,
    )
    .expect("policy");
    let alias = ExposedFunction {
        region: "eu-west-1".into(),
        name: "orders".into(),
        qualifier: Some("live".into()),
        statements,
        url_auth: Some(UrlAuth::None),
    };
    let plan = plan(
        "a".into(),
        identity(),
        Utc::now(),
        &Exposure {
            functions: vec![alias],
            ..Exposure::default()
        },
        &BTreeSet::new(),
        &BTreeMap::new(),
    );
    let targets: Vec<&str> = plan.steps.iter().map(|s| s.target.as_str()).collect();
    assert_eq!(targets, ["function orders:live", "function orders:live"]);
    assert!(matches!(
        &plan.steps[0].inverse,
        Some(Operation::AddFunctionPermission { qualifier: Some(q), .. }) if q == "live"
    ));
    assert!(matches!(
        &plan.steps[1].operation,
        Operation::SetFunctionUrlAuth { qualifier: Some(q), auth: UrlAuth::AwsIam, .. } if q == "live"
    ));
}

mod data_stores {
    use super::*;
    use crate::model::storage::{ALL_USERS, AclGrant, Grantee, PublicAccessBlock};
    use serde_json::json;

    const OWNER: &str = "owner-canonical";
    const PARTNER_CANONICAL: &str = "partner-canonical";
    const STRANGER_CANONICAL: &str = "stranger-canonical";

    fn grant(grantee: Grantee, permission: &str) -> AclGrant {
        AclGrant {
            grantee,
            permission: permission.into(),
        }
    }

    fn user(id: &str) -> Grantee {
        Grantee::CanonicalUser { id: id.into() }
    }

    fn bucket(policy: Option<String>, acl: Vec<AclGrant>) -> ExposedBucket {
        ExposedBucket {
            region: "eu-west-1".into(),
            name: "ledger".into(),
            policy,
            acl,
            owner: Some(OWNER.into()),
            block: None,
            known_grantees: [PARTNER_CANONICAL.to_string()].into(),
            block_on: true,
        }
    }

    fn planned(exposure: &Exposure) -> Plan {
        plan(
            "a".into(),
            identity(),
            Utc::now(),
            exposure,
            &[PARTNER.to_string()].into(),
            &BTreeMap::new(),
        )
    }

    fn data_ops(plan: &Plan) -> Vec<(&DataOperation, Option<&DataOperation>)> {
        plan.steps
            .iter()
            .map(|s| match (&s.operation, &s.inverse) {
                (Operation::Data(op), Some(Operation::Data(inverse))) => (op, Some(inverse)),
                (Operation::Data(op), None) => (op, None),
                other => panic!("not a data step: {other:?}"),
            })
            .collect()
    }

    #[test]
    fn a_bucket_loses_public_and_stranger_statements_keeps_the_partner_and_undo_swaps() {
        let open = json!({"Sid": "open", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::ledger/*"});
        let mixed = json!({"Sid": "mixed", "Effect": "Allow", "Principal": {"AWS": [PARTNER, STRANGER]}, "Action": "s3:GetObject"});
        let partner = json!({"Sid": "partner", "Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{PARTNER}:root")}, "Action": "s3:ListBucket"});
        let own = json!({"Sid": "own", "Effect": "Allow", "Principal": {"AWS": "123456789012"}, "Action": "s3:*"});
        let deny = json!({"Sid": "tls", "Effect": "Deny", "Principal": "*", "Action": "s3:*"});
        let document =
            json!({"Version": "2012-10-17", "Statement": [open, mixed, partner, own, deny]});
        let acl = vec![
            grant(user(OWNER), "FULL_CONTROL"),
            grant(
                Grantee::Group {
                    uri: ALL_USERS.into(),
                },
                "READ",
            ),
            grant(
                Grantee::Group {
                    uri: "http://acs.amazonaws.com/groups/s3/LogDelivery".into(),
                },
                "WRITE",
            ),
            grant(user(PARTNER_CANONICAL), "READ"),
            grant(user(STRANGER_CANONICAL), "WRITE"),
        ];
        let plan = planned(&Exposure {
            buckets: vec![bucket(Some(document.to_string()), acl.clone())],
            ..Exposure::default()
        });
        let ops = data_ops(&plan);
        assert_eq!(ops.len(), 3, "{ops:#?}");
        let narrowed = json!({"Sid": "mixed", "Effect": "Allow", "Principal": {"AWS": PARTNER}, "Action": "s3:GetObject"});
        assert_eq!(
            ops[0],
            (
                &DataOperation::EditBucketPolicy {
                    bucket: "ledger".into(),
                    remove: vec![open.clone(), mixed.clone()],
                    add: vec![narrowed.clone()],
                },
                Some(&DataOperation::EditBucketPolicy {
                    bucket: "ledger".into(),
                    remove: vec![narrowed],
                    add: vec![open, mixed],
                })
            )
        );
        let removed = vec![acl[1].clone(), acl[4].clone()];
        assert_eq!(
            ops[1],
            (
                &DataOperation::EditBucketAcl {
                    bucket: "ledger".into(),
                    remove: removed.clone(),
                    add: vec![],
                },
                Some(&DataOperation::EditBucketAcl {
                    bucket: "ledger".into(),
                    remove: vec![],
                    add: removed,
                })
            )
        );
        assert_eq!(
            ops[2],
            (
                &DataOperation::SetBucketBlock {
                    bucket: "ledger".into(),
                    block: Some(PublicAccessBlock::ALL_ON),
                },
                Some(&DataOperation::SetBucketBlock {
                    bucket: "ledger".into(),
                    block: None,
                })
            )
        );
        assert!(plan.steps.iter().all(|s| s.region == "eu-west-1"));
        // The block after the edits: undo, last phase first, lifts it before it puts the
        // public statement and grant back (AWS refuses them while the block is on).
        let phases: Vec<u8> = plan.steps.iter().map(|s| s.phase).collect();
        assert_eq!(phases, [0, 0, 1]);
        assert_eq!(
            plan.notes,
            ["bucket ledger: 1 statement narrowed to trusted accounts, not removed"]
        );
    }

    #[test]
    fn a_bucket_meant_public_keeps_its_block_off_and_an_unreadable_policy_is_left_for_review() {
        let mut public_site = bucket(Some("{not json".into()), Vec::new());
        public_site.block_on = false;
        public_site.block = Some(PublicAccessBlock::default());
        let plan = planned(&Exposure {
            buckets: vec![public_site],
            ..Exposure::default()
        });
        assert!(plan.steps.is_empty(), "{:#?}", plan.steps);
        assert_eq!(plan.notes.len(), 3, "{:?}", plan.notes);
        assert!(plan.notes[0].starts_with("bucket ledger: its policy cannot be read"));
        assert_eq!(
            plan.notes[1],
            "bucket ledger: the baseline knows it with Block Public Access off: left off"
        );
        assert_eq!(
            plan.notes[2],
            "bucket ledger lets in no one outside trusted accounts: nothing to remove"
        );
        // A partly blocked bucket goes fully on, and undo puts back exactly what it had.
        let mut partial = bucket(None, vec![grant(user(PARTNER_CANONICAL), "READ")]);
        let before = PublicAccessBlock {
            block_public_policy: false,
            ..PublicAccessBlock::ALL_ON
        };
        partial.block = Some(before);
        let plan = planned(&Exposure {
            buckets: vec![partial],
            ..Exposure::default()
        });
        assert_eq!(
            data_ops(&plan),
            [(
                &DataOperation::SetBucketBlock {
                    bucket: "ledger".into(),
                    block: Some(PublicAccessBlock::ALL_ON),
                },
                Some(&DataOperation::SetBucketBlock {
                    bucket: "ledger".into(),
                    block: Some(before),
                })
            )]
        );
        assert!(plan.notes.is_empty(), "{:?}", plan.notes);
    }

    #[test]
    fn databases_db_snapshots_and_the_accounts_block_each_get_their_step_and_inverse() {
        let plan = planned(&Exposure {
            resources: vec![SharedResource {
                kind: SharedKind::DbSnapshot(DatabaseKind::Cluster),
                region: "us-east-1".into(),
                id: "orders-final".into(),
                sharing: Sharing {
                    public: true,
                    accounts: [PARTNER.to_string(), STRANGER.to_string()].into(),
                    organizations: BTreeSet::new(),
                },
            }],
            databases: vec![PublicDatabase {
                region: "us-east-1".into(),
                id: "orders".into(),
            }],
            account_block: Some(AccountBlock::Unset),
            ..Exposure::default()
        });
        let ops = data_ops(&plan);
        assert_eq!(
            ops[0],
            (
                &DataOperation::ModifyDbSnapshotSharing {
                    snapshot: "orders-final".into(),
                    kind: DatabaseKind::Cluster,
                    change: SharingChange::remove(true, vec![STRANGER.into()]),
                },
                Some(&DataOperation::ModifyDbSnapshotSharing {
                    snapshot: "orders-final".into(),
                    kind: DatabaseKind::Cluster,
                    change: SharingChange::remove(true, vec![STRANGER.into()]).inverse(),
                })
            )
        );
        assert_eq!(
            ops[1],
            (
                &DataOperation::SetDatabasePublic {
                    database: "orders".into(),
                    public: false,
                },
                Some(&DataOperation::SetDatabasePublic {
                    database: "orders".into(),
                    public: true,
                })
            )
        );
        assert_eq!(
            ops[2],
            (
                &DataOperation::SetAccountBlock {
                    account: "123456789012".into(),
                    block: Some(PublicAccessBlock::ALL_ON),
                },
                Some(&DataOperation::SetAccountBlock {
                    account: "123456789012".into(),
                    block: None,
                })
            )
        );
        assert_eq!(plan.steps[2].phase, 1);
        assert_eq!(plan.steps[2].region, crate::model::GLOBAL);
        assert!(
            plan.notes
                .iter()
                .any(|n| n.contains("a bucket meant to be public"))
        );
        let set = PublicAccessBlock {
            ignore_public_acls: false,
            ..PublicAccessBlock::ALL_ON
        };
        let plan = planned(&Exposure {
            account_block: Some(AccountBlock::Set(set)),
            ..Exposure::default()
        });
        assert_eq!(
            plan.steps[0].inverse,
            Some(Operation::Data(DataOperation::SetAccountBlock {
                account: "123456789012".into(),
                block: Some(set),
            }))
        );
    }

    #[test]
    fn a_policy_that_lets_in_only_trusted_accounts_gets_no_edit() {
        let partner = json!({"Sid": "partner", "Effect": "Allow", "Principal": {"AWS": PARTNER}, "Action": "s3:GetObject"});
        let document = json!({"Statement": [partner]}).to_string();
        let plan = planned(&Exposure {
            buckets: vec![bucket(Some(document), Vec::new())],
            ..Exposure::default()
        });
        let apis: Vec<&str> = plan.steps.iter().map(|s| s.api.as_str()).collect();
        assert_eq!(apis, ["PutPublicAccessBlock"]);
    }
}
