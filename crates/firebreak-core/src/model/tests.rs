use super::*;

fn rule(protocol: &str, from: Option<i32>, to: Option<i32>) -> OpenIngress {
    OpenIngress {
        region: "eu-west-1".into(),
        group_id: "sg-1".into(),
        group_name: None,
        rule_id: "sgr-1".into(),
        protocol: protocol.into(),
        from_port: from,
        to_port: to,
        cidr: "0.0.0.0/0".into(),
        reach: None,
        description: None,
        managed_by: None,
    }
}

#[test]
fn a_region_names_its_partition() {
    for (region, partition) in [
        ("us-east-1", "aws"),
        ("eu-west-1", "aws"),
        ("cn-north-1", "aws-cn"),
        ("us-gov-west-1", "aws-us-gov"),
        ("us-iso-east-1", "aws-iso"),
        ("us-isob-east-1", "aws-iso-b"),
        ("us-isof-south-1", "aws-iso-f"),
        ("eu-isoe-west-1", "aws-iso-e"),
    ] {
        assert_eq!(partition_of_region(region), partition, "{region}");
    }
}

#[test]
fn ingress_says_which_ports_it_opens_and_whether_it_is_everything() {
    let cases = [
        (
            rule("-1", None, None),
            "all traffic",
            true,
            Some("all traffic"),
        ),
        (
            rule("tcp", Some(0), Some(65535)),
            "tcp/0-65535",
            true,
            Some("all traffic"),
        ),
        (rule("6", None, None), "6", true, Some("all traffic")),
        (
            rule("tcp", Some(1), Some(65535)),
            "tcp/1-65535",
            false,
            Some("SSH"),
        ),
        (
            rule("tcp", Some(0), Some(65534)),
            "tcp/0-65534",
            false,
            Some("SSH"),
        ),
        (
            rule("udp", Some(0), Some(65535)),
            "udp/0-65535",
            false,
            Some("SSH"),
        ),
        (
            rule("tcp", Some(22), Some(22)),
            "tcp/22",
            false,
            Some("SSH"),
        ),
        (
            rule("tcp", Some(8000), Some(8080)),
            "tcp/8000-8080",
            false,
            None,
        ),
        (
            rule("tcp", Some(3306), Some(3310)),
            "tcp/3306-3310",
            false,
            Some("MySQL"),
        ),
        (rule("icmp", Some(-1), Some(-1)), "icmp/-1", false, None),
        (rule("icmp", Some(-1), Some(8)), "icmp", false, None),
        (rule("icmp", None, None), "icmp", false, None),
    ];
    for (ingress, ports, all, sensitive) in cases {
        assert_eq!(ingress.ports(), ports, "{ingress:?}");
        assert_eq!(ingress.is_all_traffic(), all, "{ingress:?}");
        assert_eq!(ingress.sensitive(), sensitive, "{ingress:?}");
    }
    assert_eq!(rule("-1", None, None).key(), "sg-1 all-traffic 0.0.0.0/0");
    assert_eq!(
        rule("tcp", Some(22), Some(22)).key(),
        "sg-1 tcp/22 0.0.0.0/0"
    );
}

#[test]
fn controllers_are_named_from_tags_and_rule_descriptions() {
    assert_eq!(
        group_controller([("Name", "web"), ("elbv2.k8s.aws/cluster", "prod")]),
        Some("the AWS Load Balancer Controller of cluster prod".into())
    );
    assert_eq!(
        group_controller([("kubernetes.io/cluster/staging", "owned")]),
        Some("Kubernetes (cluster staging)".into())
    );
    assert_eq!(group_controller([("Name", "web")]), None);
    assert_eq!(
        rule_controller(Some("kubernetes.io/rule/nlb/health=a")),
        Some("Kubernetes (its rule description says so)".into())
    );
    assert_eq!(rule_controller(Some("ssh from the office")), None);
    assert_eq!(rule_controller(None), None);
}

#[test]
fn sharing_exposure_and_service_linked_roles_are_told_apart() {
    let mut sharing = Sharing::default();
    assert!(!sharing.is_shared());
    sharing.accounts.insert("210987654321".into());
    assert!(sharing.is_shared());
    let organizations = Sharing {
        organizations: ["arn:aws:organizations::1:organization/o-1".to_string()].into(),
        ..Sharing::default()
    };
    assert!(organizations.is_shared());
    let public = Sharing {
        public: true,
        ..Sharing::default()
    };
    assert!(public.is_shared());

    let alias = |public: bool, url: Option<UrlAuth>| AliasExposure {
        name: "live".into(),
        policy_principals: Some(Principals {
            public,
            ..Principals::default()
        }),
        url_auth: url,
    };
    assert!(!alias(false, None).is_public());
    assert!(!alias(false, Some(UrlAuth::AwsIam)).is_public());
    assert!(alias(true, None).is_public());
    assert!(alias(false, Some(UrlAuth::None)).is_public());

    let role = |path: &str| Role {
        region: GLOBAL.into(),
        name: "r".into(),
        arn: "arn:aws:iam::123456789012:role/r".into(),
        path: path.into(),
        created: DateTime::default(),
        trust: Principals::default(),
        attached_policies: Vec::new(),
        inline_policies: Vec::new(),
        admin_via: Vec::new(),
        instance_profiles: Vec::new(),
    };
    assert!(role("/aws-service-role/lambda.amazonaws.com/").is_service_linked());
    assert!(!role("/").is_service_linked());
}

#[test]
fn what_a_trail_records_and_who_manages_a_detector() {
    let names: Vec<(&str, bool)> = [
        ManagementEvents::Excluded,
        ManagementEvents::ReadOnly,
        ManagementEvents::WriteOnly,
        ManagementEvents::All,
    ]
    .map(|m| (m.as_str(), m.records_writes()))
    .to_vec();
    assert_eq!(
        names,
        [
            ("excluded", false),
            ("read-only", false),
            ("write-only", true),
            ("all", true)
        ]
    );
    let mut detector = Detector {
        region: "eu-west-1".into(),
        id: "d1".into(),
        enabled: Some(false),
        administrator: None,
    };
    assert_eq!(detector.administered(), None);
    detector.administrator = Some("999999999999".into());
    let says = detector.administered().expect("administered");
    assert!(
        says.contains("GuardDuty administrator account 999999999999"),
        "{says}"
    );
}

#[test]
fn rules_and_associations_are_named_as_the_baseline_keeps_them() {
    assert_eq!(rule_id("default", "exfil"), "exfil");
    assert_eq!(rule_id("audit", "exfil"), "audit/exfil");
    let association = ProfileAssociation {
        region: "eu-west-1".into(),
        association_id: "iip-assoc-1".into(),
        instance_id: "i-0abc".into(),
        profile_arn: "arn:aws:iam::123456789012:instance-profile/ops/admin".into(),
        state: "associated".into(),
    };
    assert_eq!(association.profile_name(), "admin");
    assert_eq!(association.key(), "i-0abc/admin");
    assert_eq!(association_key("i-1", "bare"), "i-1/bare");
}
