use super::*;

fn set(items: &[&str]) -> std::collections::BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

#[test]
fn a_boundary_that_denies_everything_or_grants_no_admin_caps_an_administrator() {
    let customer = "arn:aws:iam::123456789012:policy/boundaries/cap";
    let admin = r#"{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#;
    let deny_all = r#"{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":"*","Resource":"*"}]}"#;
    let deny_with_condition = r#"{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"false"}}}]}"#;
    let read_only =
        r#"{"Statement":{"Effect":"Allow","Action":["s3:Get*","ec2:Describe*"],"Resource":"*"}}"#;
    let deny_one_service = r#"{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":"s3:*","Resource":"*"}]}"#;
    let deny_all_spelled = r#"{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":"*:*","Resource":"*"}]}"#;
    let cases = [
        ("arn:aws:iam::aws:policy/AWSDenyAll", None, false),
        ("arn:aws-us-gov:iam::aws:policy/AWSDenyAll", None, false),
        ("arn:aws:iam::aws:policy/AdministratorAccess", None, true),
        // An AWS managed boundary firebreak cannot read: no administrator is hidden.
        (
            "arn:aws:iam::aws:policy/job-function/ViewOnlyAccess",
            None,
            true,
        ),
        (customer, Some(admin), true),
        (customer, Some(deny_all), false),
        (customer, Some(deny_with_condition), true),
        // Denying one service leaves an administrator; `*:*` is every action too.
        (customer, Some(deny_one_service), true),
        (customer, Some(deny_all_spelled), false),
        (customer, Some(read_only), false),
        (customer, None, true),
        (customer, Some("not json"), true),
        ("not an arn", Some(read_only), true),
    ];
    for (arn, document, allows) in cases {
        assert_eq!(
            boundary_allows_admin(arn, document),
            allows,
            "{arn} {document:?}"
        );
    }
}

#[test]
fn trust_policy_shapes() {
    struct Case {
        name: &'static str,
        document: &'static str,
        public: bool,
        accounts: &'static [&'static str],
        services: &'static [&'static str],
    }
    let cases = [
        Case {
            name: "service principal",
            document: r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#,
            public: false,
            accounts: &[],
            services: &["lambda.amazonaws.com"],
        },
        Case {
            name: "root arn of another account",
            document: r#"{"Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::999988887777:root"},"Action":"sts:AssumeRole"}}"#,
            public: false,
            accounts: &["999988887777"],
            services: &[],
        },
        Case {
            name: "bare account ids in a list, mixed with a role arn",
            document: r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":["111122223333","arn:aws:iam::444455556666:role/ci"]}}]}"#,
            public: false,
            accounts: &["111122223333", "444455556666"],
            services: &[],
        },
        Case {
            name: "wildcard principal",
            document: r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"lambda:InvokeFunction"}]}"#,
            public: true,
            accounts: &[],
            services: &[],
        },
        Case {
            name: "AWS wildcard",
            document: r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":"*"}}]}"#,
            public: true,
            accounts: &[],
            services: &[],
        },
        Case {
            name: "deny statements grant nothing",
            document: r#"{"Statement":[{"Effect":"Deny","Principal":"*"},{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"}}]}"#,
            public: false,
            accounts: &[],
            services: &["ec2.amazonaws.com"],
        },
        Case {
            name: "url-encoded, as IAM returns it",
            document: "%7B%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Principal%22%3A%7B%22AWS%22%3A%22arn%3Aaws%3Aiam%3A%3A999988887777%3Aroot%22%7D%7D%5D%7D",
            public: false,
            accounts: &["999988887777"],
            services: &[],
        },
        Case {
            name: "statement without principal (identity policy)",
            document: r#"{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#,
            public: false,
            accounts: &[],
            services: &[],
        },
    ];
    for case in cases {
        let principals =
            parse_principals(case.document).unwrap_or_else(|e| panic!("{}: {e}", case.name));
        assert_eq!(principals.public, case.public, "{}", case.name);
        assert_eq!(principals.accounts, set(case.accounts), "{}", case.name);
        assert_eq!(principals.services, set(case.services), "{}", case.name);
    }
}

#[test]
fn federated_and_arns_are_kept() {
    let principals = parse_principals(
            r#"{"Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::123456789012:saml-provider/okta","AWS":"arn:aws:iam::123456789012:user/bob"}}]}"#,
        )
        .expect("valid document");
    assert_eq!(
        principals.federated,
        set(&["arn:aws:iam::123456789012:saml-provider/okta"])
    );
    assert_eq!(
        principals.arns,
        set(&["arn:aws:iam::123456789012:user/bob"])
    );
    assert_eq!(principals.accounts, set(&["123456789012"]));
}

#[test]
fn bad_documents_are_errors_not_panics() {
    for document in [
        "",
        "not json",
        "{}",
        r#"{"Statement":[{"Effect":"Allow","Principal":42}]}"#,
        r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":[1,2]}}]}"#,
        r#"{"Statement":"nope"}"#,
        "%ZZ",
    ] {
        assert!(
            parse_principals(document).is_err(),
            "{document:?} should be rejected"
        );
    }
}

#[test]
fn conditions_narrow_a_wildcard_and_an_open_web_identity_trust_is_public() {
    let cases = [
        (
            "anyone",
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"lambda:InvokeFunction"}]}"#,
            true,
            vec![],
        ),
        (
            "an organization",
            r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-abc"}}}]}"#,
            false,
            vec![],
        ),
        (
            "one source account",
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"lambda:InvokeFunction","Condition":{"StringEquals":{"AWS:SourceAccount":"666655554444"}}}]}"#,
            false,
            vec!["666655554444"],
        ),
        (
            "a bucket",
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"lambda:InvokeFunction","Condition":{"ArnLike":{"AWS:SourceArn":"arn:aws:s3:::uploads"}}}]}"#,
            false,
            vec![],
        ),
        (
            "an external id",
            r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"s3cr3t"}}}]}"#,
            false,
            vec![],
        ),
        (
            "every GitHub repository",
            r#"{"Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"token.actions.githubusercontent.com:aud":"sts.amazonaws.com"}}}]}"#,
            true,
            vec![],
        ),
        (
            "one GitHub repository",
            r#"{"Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringLike":{"token.actions.githubusercontent.com:sub":"repo:acme/deploy:*"}}}]}"#,
            false,
            vec![],
        ),
        (
            "every organization but one",
            r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole","Condition":{"StringNotEquals":{"aws:PrincipalOrgID":"o-abc"}}}]}"#,
            true,
            vec![],
        ),
        (
            "an organization if the key exists",
            r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole","Condition":{"StringEqualsIfExists":{"aws:PrincipalOrgID":"o-abc"}}}]}"#,
            true,
            vec![],
        ),
        (
            "any source",
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"lambda:InvokeFunction","Condition":{"ArnLike":{"AWS:SourceArn":"*"}}}]}"#,
            true,
            vec![],
        ),
        (
            "two source accounts, as a list",
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"lambda:InvokeFunction","Condition":{"StringEquals":{"aws:SourceAccount":["666655554444","210987654321"]}}}]}"#,
            false,
            vec!["210987654321", "666655554444"],
        ),
        (
            "a list holding a bare wildcard",
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"lambda:InvokeFunction","Condition":{"StringEquals":{"aws:SourceAccount":["666655554444","*"]}}}]}"#,
            true,
            vec![],
        ),
        (
            "a service, written bare as Lambda keeps it",
            r#"{"Statement":[{"Effect":"Allow","Principal":"s3.amazonaws.com","Action":"lambda:InvokeFunction"}]}"#,
            false,
            vec![],
        ),
        (
            "an account, written bare",
            r#"{"Statement":[{"Effect":"Allow","Principal":"arn:aws:iam::666655554444:root","Action":"lambda:InvokeFunction"}]}"#,
            false,
            vec!["666655554444"],
        ),
        (
            "every subject",
            r#"{"Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringLike":{"token.actions.githubusercontent.com:sub":"*"}}}]}"#,
            true,
            vec![],
        ),
    ];
    for (name, document, public, accounts) in cases {
        let principals = parse_principals(document).expect(name);
        if name.starts_with("a service") {
            assert_eq!(
                principals.services,
                std::collections::BTreeSet::from(["s3.amazonaws.com".to_string()]),
                "{name}"
            );
            assert!(principals.arns.is_empty(), "{name}");
        }
        assert_eq!(principals.public, public, "{name}");
        assert_eq!(
            principals.accounts,
            accounts.iter().map(|a| a.to_string()).collect(),
            "{name}"
        );
    }
}

#[test]
fn restricting_a_trust_keeps_only_kept_accounts_and_never_a_deny() {
    let keep = |account: &str| account == "210987654321";
    let restrict = |document: &str| {
        restrict_trust(document, keep)
            .expect("a trust policy")
            .map(|text| serde_json::from_str::<Value>(&text).expect("json"))
    };
    // Two accounts, one kept: the one left is written as a single value, as IAM writes it.
    let two = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::210987654321:root","arn:aws:iam::666655554444:root"]},"Action":"sts:AssumeRole"}]}"#;
    assert_eq!(
        restrict(two).expect("changed")["Statement"],
        serde_json::json!([{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::210987654321:root"},"Action":"sts:AssumeRole"}])
    );
    // Nothing to remove: no change.
    let partner = r#"{"Statement":{"Effect":"Allow","Principal":{"AWS":"210987654321"},"Action":"sts:AssumeRole"}}"#;
    assert_eq!(restrict(partner), None);
    // A Deny naming a stranger is not a grant: left as it is.
    let deny = r#"{"Statement":[{"Effect":"Deny","Principal":{"AWS":"666655554444"},"Action":"sts:AssumeRole"}]}"#;
    assert_eq!(restrict(deny), None);
    // Anyone, written bare, or only strangers: the statement goes; with none left, a deny.
    for document in [
        r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"}]}"#,
        r#"{"Statement":[{"Effect":"Allow","Principal":"arn:aws:iam::666655554444:root","Action":"sts:AssumeRole"}]}"#,
    ] {
        let restricted = restrict(document).expect("changed");
        assert_eq!(
            restricted["Statement"],
            serde_json::json!([{"Sid":"FirebreakDenyAssume","Effect":"Deny","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}]),
            "{document}"
        );
    }
    // A service principal stays beside a removed stranger.
    let mixed = r#"{"Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com","AWS":"666655554444"},"Action":"sts:AssumeRole"}]}"#;
    assert_eq!(
        restrict(mixed).expect("changed")["Statement"][0]["Principal"],
        serde_json::json!({"Service":"lambda.amazonaws.com"})
    );
}

#[test]
fn a_function_statement_is_recreated_with_every_condition_lambda_writes() {
    let document = r#"{"Statement":[
            {"Sid":"s3","Effect":"Allow","Principal":{"Service":"s3.amazonaws.com"},"Action":"lambda:InvokeFunction","Resource":"f","Condition":{"ArnLike":{"AWS:SourceArn":"arn:aws:s3:::uploads"},"StringEquals":{"AWS:SourceAccount":"123456789012"}}},
            {"Sid":"org","Effect":"Allow","Principal":"*","Action":"lambda:InvokeFunction","Resource":"f","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-abc"}}},
            {"Sid":"url","Effect":"Allow","Principal":"*","Action":"lambda:InvokeFunctionUrl","Resource":"f","Condition":{"StringEquals":{"lambda:FunctionUrlAuthType":"NONE"}}},
            {"Sid":"two-kinds","Effect":"Allow","Principal":{"AWS":"210987654321","Service":"s3.amazonaws.com"},"Action":"lambda:InvokeFunction","Resource":"f"},
            {"Sid":"odd-condition","Effect":"Allow","Principal":"*","Action":"lambda:InvokeFunction","Resource":"f","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}},
            {"Sid":"deny","Effect":"Deny","Principal":"*","Action":"lambda:InvokeFunction","Resource":"f"}
        ]}"#;
    let statements = function_statements(document).expect("a function policy");
    let grant = |sid: &str| {
        statements
            .iter()
            .find(|s| s.sid == sid)
            .unwrap_or_else(|| panic!("{sid}: {statements:#?}"))
            .grant
            .clone()
    };
    let base = |sid: &str, action: &str, principal: &str| FunctionGrant {
        statement_id: sid.into(),
        action: action.into(),
        principal: principal.into(),
        source_arn: None,
        source_account: None,
        principal_org_id: None,
        function_url_auth_type: None,
    };
    assert_eq!(
        grant("s3"),
        Some(FunctionGrant {
            source_arn: Some("arn:aws:s3:::uploads".into()),
            source_account: Some("123456789012".into()),
            ..base("s3", "lambda:InvokeFunction", "s3.amazonaws.com")
        })
    );
    assert_eq!(
        grant("org"),
        Some(FunctionGrant {
            principal_org_id: Some("o-abc".into()),
            ..base("org", "lambda:InvokeFunction", "*")
        })
    );
    assert_eq!(
        grant("url"),
        Some(FunctionGrant {
            function_url_auth_type: Some("NONE".into()),
            ..base("url", "lambda:InvokeFunctionUrl", "*")
        })
    );
    assert_eq!(
        grant("two-kinds"),
        None,
        "AddPermission takes one principal"
    );
    assert_eq!(
        grant("odd-condition"),
        None,
        "AddPermission cannot write it"
    );
    assert!(
        statements.iter().all(|s| s.sid != "deny"),
        "only Allow statements are grants"
    );
    assert_eq!(statements.len(), 5);
}

#[test]
fn admin_documents() {
    let cases = [
        (
            r#"{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#,
            true,
        ),
        (
            r#"{"Statement":{"Effect":"Allow","Action":["s3:Get*","*:*"],"Resource":["*"]}}"#,
            true,
        ),
        (
            r#"{"Statement":[{"Effect":"Allow","Action":"iam:*","Resource":"*"}]}"#,
            true,
        ),
        (
            r#"{"Statement":[{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}]}"#,
            true,
        ),
        (
            r#"{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#,
            false,
        ),
        (
            r#"{"Statement":[{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::b/*"}]}"#,
            false,
        ),
        (
            r#"{"Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}"#,
            false,
        ),
        (
            "%7B%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22*%22%2C%22Resource%22%3A%22*%22%7D%5D%7D",
            true,
        ),
    ];
    for (document, admin) in cases {
        assert_eq!(grants_admin(document), Ok(admin), "{document}");
    }
    assert!(grants_admin("{").is_err());
}

#[test]
fn aws_managed_admin_policies_in_every_partition() {
    for (arn, admin) in [
        ("arn:aws:iam::aws:policy/AdministratorAccess", true),
        ("arn:aws-us-gov:iam::aws:policy/AdministratorAccess", true),
        ("arn:aws-cn:iam::aws:policy/IAMFullAccess", true),
        ("arn:aws:iam::aws:policy/ReadOnlyAccess", false),
        (
            "arn:aws:iam::123456789012:policy/AdministratorAccess",
            false,
        ),
        (
            "arn:aws:iam::aws:policy/job-function/AdministratorAccess",
            true,
        ),
    ] {
        assert_eq!(aws_managed_admin(arn), admin, "{arn}");
    }
}

#[test]
fn arn_accounts() {
    assert_eq!(
        account_of_arn("arn:aws:iam::123456789012:role/x"),
        Some("123456789012")
    );
    assert_eq!(
        account_of_arn("arn:aws:lambda:us-east-1:123456789012:function:f"),
        Some("123456789012")
    );
    assert_eq!(account_of_arn("arn:aws:s3:::bucket"), None);
    assert_eq!(account_of_arn("123456789012"), None);
}
