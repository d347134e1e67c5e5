use super::*;
use crate::model::Sharing;
use crate::model::finding::ResourceType;

fn rule(protocol: &str, from: Option<i32>, to: Option<i32>, cidr: &str) -> IngressRule {
    IngressRule {
        protocol: protocol.into(),
        from_port: from,
        to_port: to,
        cidr: cidr.into(),
        description: None,
        rule_id: None,
    }
}

#[test]
fn an_ingress_rule_is_the_same_by_protocol_ports_and_source_and_says_so() {
    let ssh = rule("tcp", Some(22), Some(22), "0.0.0.0/0");
    let mut described = ssh.clone();
    described.description = Some("office".into());
    described.rule_id = Some("sgr-1".into());
    assert!(ssh.same_as(&described), "description and id do not count");
    for other in [
        rule("udp", Some(22), Some(22), "0.0.0.0/0"),
        rule("tcp", Some(21), Some(22), "0.0.0.0/0"),
        rule("tcp", Some(22), Some(23), "0.0.0.0/0"),
        rule("tcp", Some(22), Some(22), "::/0"),
    ] {
        assert!(!ssh.same_as(&other), "{other:?}");
    }
    for (rule, text) in [
        (ssh, "tcp/22 from 0.0.0.0/0"),
        (rule("-1", None, None, "::/0"), "all traffic from ::/0"),
        (
            rule("tcp", Some(8000), Some(8080), "pl-1"),
            "tcp/8000-8080 from pl-1",
        ),
        (
            rule("icmp", Some(-1), Some(8), "0.0.0.0/0"),
            "icmp from 0.0.0.0/0",
        ),
        (rule("icmp", None, None, "0.0.0.0/0"), "icmp from 0.0.0.0/0"),
    ] {
        assert_eq!(rule.describe(), text);
    }
}

/// One operation of every kind that names a resource, with the resource it names.
fn operations() -> Vec<(Operation, ResourceType, &'static str)> {
    let sharing = SharingChange {
        remove_public: true,
        ..SharingChange::default()
    };
    vec![
        (
            Operation::DeactivateAccessKey {
                user: "alice".into(),
                key_id: "AKIA1".into(),
            },
            ResourceType::AccessKey,
            "AKIA1",
        ),
        (
            Operation::ActivateAccessKey {
                user: "alice".into(),
                key_id: "AKIA2".into(),
            },
            ResourceType::AccessKey,
            "AKIA2",
        ),
        (
            Operation::DeleteLoginProfile { user: "bob".into() },
            ResourceType::User,
            "bob",
        ),
        (
            Operation::DetachRolePolicy {
                role: "ops".into(),
                policy_arn: "arn:aws:iam::aws:policy/AdministratorAccess".into(),
            },
            ResourceType::Role,
            "ops",
        ),
        (
            Operation::PutFunctionConcurrency {
                function: "miner".into(),
                reserved: 0,
            },
            ResourceType::Function,
            "miner",
        ),
        (
            Operation::ModifySnapshotSharing {
                snapshot_id: "snap-1".into(),
                change: sharing.clone(),
            },
            ResourceType::Snapshot,
            "snap-1",
        ),
        (
            Operation::ModifyImageSharing {
                image_id: "ami-1".into(),
                change: sharing,
            },
            ResourceType::Image,
            "ami-1",
        ),
        (
            Operation::StartLogging {
                trail: "org-trail".into(),
            },
            ResourceType::Trail,
            "org-trail",
        ),
        (
            Operation::DisableDetector {
                detector_id: "d-1".into(),
            },
            ResourceType::Detector,
            "d-1",
        ),
        (
            Operation::RevokeIngress {
                group_id: "sg-1".into(),
                rules: Vec::new(),
            },
            ResourceType::SecurityGroup,
            "sg-1",
        ),
        (
            Operation::DisableEventRule {
                bus: "audit".into(),
                name: "exfil".into(),
            },
            ResourceType::EventRule,
            "audit/exfil",
        ),
        (
            Operation::DisassociateProfile {
                instance_id: "i-1".into(),
                profile_arn: "arn:aws:iam::123456789012:instance-profile/admin".into(),
                role: None,
            },
            ResourceType::ProfileAssociation,
            "i-1/admin",
        ),
        (
            Operation::DisableApiKey {
                key_id: "k-1".into(),
            },
            ResourceType::ApiKey,
            "k-1",
        ),
    ]
}

#[test]
fn an_operation_touches_its_own_resource_and_nothing_else() {
    let all = operations();
    for (operation, kind, id) in &all {
        assert!(
            operation.touches(*kind, id),
            "{operation:?} touches {kind:?} {id}"
        );
        assert!(
            !operation.touches(*kind, "other"),
            "{operation:?} on another id"
        );
        for (_, other_kind, other_id) in &all {
            if other_kind != kind {
                assert!(
                    !operation.touches(*other_kind, other_id),
                    "{operation:?} touches {other_kind:?} {other_id}"
                );
            }
        }
    }
    // A user is touched by the operations on its keys, a role by those on its policies.
    let (key, _, _) = &all[0];
    assert!(key.touches(ResourceType::User, "alice"));
    assert!(!key.touches(ResourceType::User, "bob"));
    assert!(!key.touches(ResourceType::Role, "alice"));
}

#[test]
fn the_principal_an_operation_writes_to_and_the_one_it_cuts_off() {
    let both = |op: Operation| {
        (
            op.principal().map(|(k, n)| (k, n.to_string())),
            op.denies_principal().map(|(k, n)| (k, n.to_string())),
        )
    };
    let alice = Some((PrincipalKind::User, "alice".to_string()));
    let ops = Some((PrincipalKind::Role, "ops".to_string()));
    assert_eq!(
        both(Operation::DeactivateAccessKey {
            user: "alice".into(),
            key_id: "AKIA1".into()
        }),
        (alice.clone(), alice.clone())
    );
    assert_eq!(
        both(Operation::ActivateAccessKey {
            user: "alice".into(),
            key_id: "AKIA1".into()
        }),
        (alice.clone(), None),
        "reactivating cuts no one off"
    );
    assert_eq!(
        both(Operation::DetachUserPolicy {
            user: "alice".into(),
            policy_arn: "p".into()
        }),
        (alice, None)
    );
    assert_eq!(
        both(Operation::PutRolePolicy {
            role: "ops".into(),
            policy_name: "deny".into(),
            document: "{}".into()
        }),
        (ops.clone(), ops.clone())
    );
    assert_eq!(
        both(Operation::UpdateAssumeRolePolicy {
            role: "ops".into(),
            document: "{}".into()
        }),
        (ops.clone(), None)
    );
    // Taking an instance's profile away cuts off the role it ran as, though IAM is not written.
    assert_eq!(
        both(Operation::DisassociateProfile {
            instance_id: "i-1".into(),
            profile_arn: "arn:aws:iam::1:instance-profile/admin".into(),
            role: Some("ops".into()),
        }),
        (None, ops)
    );
    assert_eq!(
        both(Operation::DisassociateProfile {
            instance_id: "i-1".into(),
            profile_arn: "arn:aws:iam::1:instance-profile/admin".into(),
            role: None,
        }),
        (None, None)
    );
}

#[test]
fn a_sharing_change_keeps_only_what_is_still_to_do_and_says_what_it_does() {
    let accounts = |ids: &[&str]| ids.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let now = Sharing {
        public: true,
        accounts: ["111111111111".to_string()].into(),
        organizations: Default::default(),
    };
    let revert = SharingChange::remove(true, accounts(&["111111111111", "222222222222"]));
    assert_eq!(
        revert.still_needed(&now),
        SharingChange::remove(true, accounts(&["111111111111"]))
    );
    assert!(revert.still_needed(&Sharing::default()).is_empty());
    let undo = revert.inverse();
    assert_eq!(
        undo.add_accounts,
        accounts(&["111111111111", "222222222222"])
    );
    assert!(undo.add_public && !undo.remove_public);
    // Put back: only what is not there now.
    let left = undo.still_needed(&now);
    assert!(!left.add_public, "already public");
    assert_eq!(left.add_accounts, accounts(&["222222222222"]));
    let left = undo.still_needed(&Sharing::default());
    assert!(left.add_public);
    assert!(!left.is_empty());
    assert!(SharingChange::default().is_empty());
    assert!(!SharingChange::remove(true, Vec::new()).is_empty());

    let operation = |change: SharingChange| Operation::ModifySnapshotSharing {
        snapshot_id: "snap-1".into(),
        change,
    };
    assert_eq!(
        operation(revert.clone()).describe(),
        "remove all, 111111111111, 222222222222"
    );
    assert_eq!(
        operation(SharingChange {
            remove_accounts: accounts(&["111111111111"]),
            add_accounts: accounts(&["333333333333"]),
            ..SharingChange::default()
        })
        .describe(),
        "remove 111111111111; add 333333333333"
    );
    assert_eq!(
        operation(SharingChange::default()).describe(),
        "nothing to change"
    );
}

#[test]
fn an_operation_describes_its_change_in_words() {
    assert_eq!(
        Operation::DeactivateAccessKey {
            user: "alice".into(),
            key_id: "AKIA1".into()
        }
        .describe(),
        "set Inactive"
    );
    assert_eq!(
        Operation::PutFunctionConcurrency {
            function: "miner".into(),
            reserved: 0
        }
        .describe(),
        "reserve concurrency 0: every invocation is throttled"
    );
    assert_eq!(
        Operation::BlockNewSnapshotSharing.describe(),
        "block new public sharing only"
    );
}

#[test]
fn data_operations_are_flat_in_the_journal_and_read_back_beside_the_others() {
    use crate::model::database::DatabaseKind;
    use crate::model::storage::{AclGrant, Grantee, PublicAccessBlock};
    let open = serde_json::json!({"Sid": "open", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject"});
    let operations = [
        Operation::Data(DataOperation::EditBucketPolicy {
            bucket: "ledger".into(),
            remove: vec![open.clone()],
            add: vec![],
        }),
        Operation::Data(DataOperation::EditBucketAcl {
            bucket: "ledger".into(),
            remove: vec![AclGrant {
                grantee: Grantee::Group {
                    uri: crate::model::storage::ALL_USERS.into(),
                },
                permission: "READ".into(),
            }],
            add: vec![],
        }),
        Operation::Data(DataOperation::SetBucketBlock {
            bucket: "ledger".into(),
            block: None,
        }),
        Operation::Data(DataOperation::SetAccountBlock {
            account: "123456789012".into(),
            block: Some(PublicAccessBlock::ALL_ON),
        }),
        Operation::Data(DataOperation::ModifyDbSnapshotSharing {
            snapshot: "orders-final".into(),
            kind: DatabaseKind::Cluster,
            change: SharingChange::remove(true, vec!["666655554444".into()]),
        }),
        Operation::Data(DataOperation::SetDatabasePublic {
            database: "orders".into(),
            public: false,
        }),
        Operation::CreateDetector,
    ];
    for operation in operations {
        let line = serde_json::to_string(&operation).expect("serialised");
        assert!(!line.contains("\"Data\""), "flat: {line}");
        let back: Operation = serde_json::from_str(&line).expect(&line);
        assert_eq!(back, operation);
    }
    let edit: serde_json::Value =
        serde_json::to_value(Operation::Data(DataOperation::EditBucketPolicy {
            bucket: "ledger".into(),
            remove: vec![open],
            add: vec![],
        }))
        .expect("value");
    assert_eq!(edit["op"], "edit_bucket_policy");
    assert_eq!(edit["remove"][0]["Sid"], "open");
    assert!(serde_json::from_str::<Operation>(r#"{"op":"no_such_thing"}"#).is_err());
}

#[test]
fn data_operations_name_their_service_call_target_and_change() {
    use crate::model::storage::PublicAccessBlock;
    let public = Operation::Data(DataOperation::SetDatabasePublic {
        database: "orders".into(),
        public: false,
    });
    assert_eq!(
        (public.service(), public.api(), public.target().as_str()),
        ("rds", "ModifyDBInstance", "DB instance orders")
    );
    assert!(public.touches(ResourceType::Database, "orders"));
    assert!(!public.touches(ResourceType::DbSnapshot, "orders"));
    assert!(public.describe().contains("PubliclyAccessible off"));
    let account = Operation::Data(DataOperation::SetAccountBlock {
        account: "123456789012".into(),
        block: None,
    });
    assert_eq!(
        (account.service(), account.api()),
        ("s3control", "DeletePublicAccessBlock")
    );
    assert!(account.touches(ResourceType::Account, "123456789012"));
    let partial = DataOperation::SetBucketBlock {
        bucket: "ledger".into(),
        block: Some(PublicAccessBlock {
            block_public_acls: true,
            ..PublicAccessBlock::ALL_ON
        }),
    };
    assert_eq!(partial.describe(), "block all public access");
    let off = DataOperation::SetBucketBlock {
        bucket: "ledger".into(),
        block: Some(PublicAccessBlock {
            restrict_public_buckets: false,
            ..PublicAccessBlock::ALL_ON
        }),
    };
    assert_eq!(
        off.describe(),
        "block public access with RestrictPublicBuckets off"
    );
    assert!(Operation::Data(off).touches(ResourceType::Bucket, "ledger"));
    let edit = DataOperation::EditBucketPolicy {
        bucket: "ledger".into(),
        remove: vec![serde_json::json!({"Sid": "open"}), serde_json::json!({})],
        add: vec![serde_json::json!({"Sid": "firebreak-protect-data"})],
    };
    assert_eq!(
        edit.describe(),
        "remove statement open, an unnamed statement; add statement firebreak-protect-data"
    );
    assert_eq!(edit.api(), "PutBucketPolicy");
}

#[test]
fn data_operations_say_each_half_of_an_edit_and_touch_only_their_own_resource() {
    use crate::model::database::DatabaseKind;
    use crate::model::storage::{ALL_USERS, AclGrant, Grantee};
    let everyone = AclGrant {
        grantee: Grantee::Group {
            uri: ALL_USERS.into(),
        },
        permission: "READ".into(),
    };
    let acl = |remove: Vec<AclGrant>, add: Vec<AclGrant>| DataOperation::EditBucketAcl {
        bucket: "ledger".into(),
        remove,
        add,
    };
    assert_eq!(
        acl(vec![everyone.clone()], vec![]).describe(),
        "remove grants AllUsers:READ"
    );
    assert_eq!(
        acl(vec![], vec![everyone.clone()]).describe(),
        "add grants AllUsers:READ"
    );
    assert_eq!(acl(vec![], vec![]).describe(), "nothing to change");
    let policy = DataOperation::EditBucketPolicy {
        bucket: "ledger".into(),
        remove: vec![],
        add: vec![serde_json::json!({"Sid": ""})],
    };
    assert_eq!(policy.describe(), "add an unnamed statement");
    let empty = DataOperation::EditBucketPolicy {
        bucket: "ledger".into(),
        remove: vec![],
        add: vec![],
    };
    assert_eq!(empty.describe(), "nothing to change");
    let shared = Operation::Data(DataOperation::ModifyDbSnapshotSharing {
        snapshot: "orders-final".into(),
        kind: DatabaseKind::Instance,
        change: SharingChange::remove(true, vec![]),
    });
    assert!(shared.touches(ResourceType::DbSnapshot, "orders-final"));
    assert!(!shared.touches(ResourceType::DbSnapshot, "orders-weekly"));
    assert!(!shared.touches(ResourceType::Snapshot, "orders-final"));
    assert_eq!(shared.api(), "ModifyDBSnapshotAttribute");
    assert_eq!(shared.describe(), "remove all");
}
