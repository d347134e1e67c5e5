//! Render tests: the whole screen drawn from fixed states into a `TestBackend`, compared with
//! insta snapshots at the design size (120×40) and the smallest usable one (80×24), plus the
//! danger styling of the confirmation asserted on the cells (snapshots carry no colour).

use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::style::Color;

use crate::aws::AwsError;
use crate::tui::msg::Msg;
use crate::tui::state::State;
use crate::tui::update::tests::feed;
use crate::tui::update::update;
use firebreak_core::baseline;
use firebreak_core::bindings::{Bindings, Command};
use firebreak_core::findings::{self, Windows};
use firebreak_core::model::operation::{FunctionGrant, Operation};
use firebreak_core::model::{
    AccessKey, Function, GLOBAL, Identity, KeyStatus, Principals, Role, Sharing, Snapshot, User,
};
use firebreak_core::playbook::plan::{Exempt, Outcome, Plan, Playbook, Step};
use firebreak_core::scan::RegionInfo;
use firebreak_core::scan::{Part, ScanEvent};

const REGIONS: [(&str, bool); 38] = [
    ("af-south-1", true),
    ("ap-east-1", false),
    ("ap-east-2", false),
    ("ap-northeast-1", true),
    ("ap-northeast-2", true),
    ("ap-northeast-3", true),
    ("ap-south-1", true),
    ("ap-south-2", false),
    ("ap-southeast-1", true),
    ("ap-southeast-2", true),
    ("ap-southeast-3", true),
    ("ap-southeast-4", false),
    ("ap-southeast-5", false),
    ("ap-southeast-6", false),
    ("ap-southeast-7", false),
    ("ca-central-1", true),
    ("ca-west-1", false),
    ("cn-north-1", true),
    ("cn-northwest-1", true),
    ("eu-central-1", true),
    ("eu-central-2", false),
    ("eu-north-1", true),
    ("eu-south-1", true),
    ("eu-south-2", false),
    ("eu-west-1", true),
    ("eu-west-2", true),
    ("eu-west-3", true),
    ("il-central-1", false),
    ("me-central-1", false),
    ("me-south-1", false),
    ("mx-central-1", false),
    ("sa-east-1", true),
    ("us-east-1", true),
    ("us-east-2", true),
    ("us-gov-east-1", true),
    ("us-gov-west-1", true),
    ("us-west-1", true),
    ("us-west-2", true),
];

const ACCOUNT: &str = "123456789012";
const PARTNER: &str = "210987654321";
const STRANGER: &str = "666655554444";

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 3, 14, 0)
        .single()
        .expect("a valid time")
}

fn at(hours_ago: i64) -> DateTime<Utc> {
    now() - chrono::Duration::hours(hours_ago)
}

fn identity() -> Identity {
    Identity {
        id: ACCOUNT.into(),
        alias: Some("acme-prod".into()),
        caller_arn: format!("arn:aws:sts::{ACCOUNT}:assumed-role/oncall/jo"),
    }
}

fn user(name: &str, created: DateTime<Utc>, admin: bool, console: bool) -> User {
    User {
        region: GLOBAL.into(),
        name: name.into(),
        arn: format!("arn:aws:iam::{ACCOUNT}:user/{name}"),
        user_id: format!("AIDA{}", name.to_uppercase()),
        created,
        console_access: console,
        mfa_devices: Vec::new(),
        attached_policies: if admin {
            vec!["AdministratorAccess".into()]
        } else {
            Vec::new()
        },
        inline_policies: Vec::new(),
        groups: Vec::new(),
        admin_via: if admin {
            vec!["AdministratorAccess".into()]
        } else {
            Vec::new()
        },
    }
}

fn key(id: &str, user: &str, created: DateTime<Utc>) -> AccessKey {
    AccessKey {
        region: GLOBAL.into(),
        id: id.into(),
        user: user.into(),
        status: KeyStatus::Active,
        created: Some(created),
        last_used: None,
    }
}

fn function(region: &str, name: &str, modified: DateTime<Utc>, public: bool) -> Function {
    Function {
        region: region.into(),
        name: name.into(),
        arn: format!("arn:aws:lambda:{region}:{ACCOUNT}:function:{name}"),
        runtime: Some("python3.12".into()),
        last_modified: Some(modified),
        role: Some(format!("arn:aws:iam::{ACCOUNT}:role/lambda-exec")),
        reserved_concurrency: None,
        policy_principals: public.then(|| Principals {
            public: true,
            ..Principals::default()
        }),
        url_auth: None,
        aliases: Vec::new(),
    }
}

fn snapshot(region: &str, id: &str, public: bool, accounts: &[&str]) -> Snapshot {
    Snapshot {
        region: region.into(),
        id: id.into(),
        volume_id: Some("vol-0a1b2c3d4e5f60718".into()),
        size_gib: Some(100),
        encrypted: false,
        started: Some(at(400)),
        sharing: Sharing {
            public,
            accounts: accounts.iter().map(|a| a.to_string()).collect(),
            organizations: Default::default(),
        },
    }
}

const BASELINE: &str = r#"
version = 1
account_id = "123456789012"
captured_at = "2026-11-01T09:00:00Z"
captured_by = "arn:aws:sts::123456789012:assumed-role/oncall/jo"
trusted_accounts = ["210987654321"]
regions_in_use = ["eu-west-1", "us-east-1", "us-west-2"]

[principals]
users = ["alice", "ci-deploy"]
roles = ["lambda-exec", "partner-readonly"]
access_keys = ["AKIAEXAMPLEALICE0001", "AKIAEXAMPLECIDEPLOY1"]

[resources.functions]
eu-west-1 = ["orders-api"]

[resources.snapshots]
us-east-1 = ["snap-0bb9e98fb6518aae5"]
"#;

/// A judged scan of a planted breach: a backdoor admin with a key, an extra key on a known user,
/// a role trusting a stranger, miners in three unused regions, a known function made public, a
/// snapshot made public (still shared with the partner), and Lambda denied in one region.
fn breach(read_only: bool) -> State {
    let mut state = State::new(Bindings::default(), read_only, now());
    state.endpoint = Some("http://127.0.0.1:5000".into());
    update(&mut state, Msg::Command(Command::Rescan));
    let mut events = vec![
        ScanEvent::Identity(identity()),
        ScanEvent::Planned(
            REGIONS
                .iter()
                .map(|(name, enabled)| RegionInfo {
                    name: name.to_string(),
                    enabled: *enabled,
                })
                .collect(),
        ),
        ScanEvent::Part {
            region: GLOBAL.into(),
            part: Part::Iam {
                users: vec![
                    user("alice", at(2000), false, true),
                    user("ci-deploy", at(3000), false, false),
                    user("svc-metrics-exporter", at(1), true, true),
                ],
                access_keys: vec![
                    key("AKIAEXAMPLEALICE0001", "alice", at(2000)),
                    key("AKIAROGUEALICEKEY777", "alice", at(1)),
                    key("AKIAEXAMPLECIDEPLOY1", "ci-deploy", at(3000)),
                    key("AKIABACKDOORKEY00001", "svc-metrics-exporter", at(1)),
                ],
                roles: vec![Role {
                    region: GLOBAL.into(),
                    name: "support-audit".into(),
                    arn: format!("arn:aws:iam::{ACCOUNT}:role/support-audit"),
                    path: "/".into(),
                    created: at(1),
                    trust: Principals {
                        accounts: [STRANGER.to_string()].into(),
                        ..Principals::default()
                    },
                    attached_policies: Vec::new(),
                    inline_policies: Vec::new(),
                    instance_profiles: Vec::new(),
                    admin_via: Vec::new(),
                }],
            },
        },
        ScanEvent::Finished {
            region: GLOBAL.into(),
            duration: Duration::from_millis(420),
        },
    ];
    for (name, enabled) in REGIONS {
        if !enabled {
            continue;
        }
        let mut functions = Vec::new();
        if ["ap-south-1", "eu-north-1", "sa-east-1"].contains(&name) {
            functions.push(function(name, "image-resizer", at(1), false));
        }
        if name == "eu-west-1" {
            functions.push(function(name, "orders-api", at(900), true));
        }
        let mut parts = vec![
            Part::Snapshots(if name == "us-east-1" {
                vec![
                    snapshot(name, "snap-3c410e4542bbcfbcf", true, &[PARTNER]),
                    snapshot(name, "snap-0bb9e98fb6518aae5", false, &[]),
                ]
            } else {
                Vec::new()
            }),
            Part::Images(Vec::new()),
            Part::Instances(Vec::new()),
        ];
        if name == "ca-central-1" {
            parts.push(Part::Failed {
                kind: firebreak_core::scan::ItemKind::Functions,
                error: AwsError {
                    service: "lambda".into(),
                    operation: "ListFunctions".into(),
                    region: name.into(),
                    code: "AccessDeniedException".into(),
                    message: "User is not authorized to perform: lambda:ListFunctions".into(),
                    request_id: Some("7c1e2f3a-0b4d-4e5f-8a9b-0c1d2e3f4a5b".into()),
                    http_status: Some(403),
                    subject: None,
                },
            });
        } else {
            parts.push(Part::Functions(functions));
        }
        events.push(ScanEvent::Started {
            region: name.into(),
        });
        events.extend(parts.into_iter().map(|part| ScanEvent::Part {
            region: name.into(),
            part,
        }));
        events.push(ScanEvent::Finished {
            region: name.into(),
            duration: Duration::from_millis(800),
        });
    }
    events.push(ScanEvent::Done);
    feed(&mut state, 1, events);
    let baseline = baseline::parse(BASELINE, Path::new("baseline.toml")).expect("valid baseline");
    let judged = findings::evaluate(&findings::Context {
        listed: &Default::default(),
        inventory: &state.scan.inventory,
        baseline: Some(&baseline),
        account: &identity(),
        now: now(),
        windows: Windows::default(),
    });
    update(
        &mut state,
        Msg::Judged {
            generation: 1,
            findings: Ok(judged),
            baseline: Some(Box::new(baseline)),
            complete: true,
        },
    );
    state
}

fn draw(state: &State, width: u16, height: u16) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("test terminal");
    terminal
        .draw(|frame| super::render(frame, state))
        .expect("draw");
    terminal
}

fn screen(state: &State, width: u16, height: u16) -> String {
    draw(state, width, height).backend().to_string()
}

/// Opens the confirmation of `plan` as if a key had asked for it.
fn confirm(state: &mut State, key: Command, plan: Plan) {
    let effects = update(state, Msg::Command(key));
    let ticket = match effects.as_slice() {
        [crate::tui::msg::Effect::Prepare { ticket, .. }] => *ticket,
        other => panic!("{key:?} asked for no plan: {other:?} ({:?})", state.modal),
    };
    update(
        state,
        Msg::Planned {
            ticket,
            plan: Ok(Box::new(plan)),
        },
    );
}

fn disable_plan() -> Plan {
    let user = "svc-metrics-exporter".to_string();
    let mut plan = Plan::new(
        "20261123T031400Z-4242-1".into(),
        Playbook::DisableUser {
            users: vec![user.clone()],
        },
        identity(),
        now(),
        vec![
            Step::global(
                0,
                Operation::DeactivateAccessKey {
                    user: user.clone(),
                    key_id: "AKIABACKDOORKEY00001".into(),
                },
                Some(Operation::ActivateAccessKey {
                    user: user.clone(),
                    key_id: "AKIABACKDOORKEY00001".into(),
                }),
            ),
            Step::irreversible(
                GLOBAL,
                0,
                Operation::DeleteLoginProfile { user: user.clone() },
            ),
            Step::global(
                0,
                Operation::PutUserPolicy {
                    user: user.clone(),
                    policy_name: "firebreak-deny-all".into(),
                    document: "{}".into(),
                },
                Some(Operation::DeleteUserPolicy {
                    user: user.clone(),
                    policy_name: "firebreak-deny-all".into(),
                }),
            ),
        ],
    );
    plan.exempt = vec![Exempt {
        principal: "role/oncall".into(),
        reason: "the caller's own principal (self-lockout guard)".into(),
    }];
    plan.notes = vec![format!(
        "the console password of {user} will be deleted: it cannot be restored, only reset"
    )];
    plan
}

fn freeze_plan() -> Plan {
    let mut plan = Plan::new(
        "20261123T031400Z-4242-2".into(),
        Playbook::Freeze,
        identity(),
        now(),
        ["alice", "ci-deploy", "svc-metrics-exporter"]
            .iter()
            .map(|user| {
                Step::global(
                    0,
                    Operation::PutUserPolicy {
                        user: user.to_string(),
                        policy_name: "firebreak-freeze".into(),
                        document: "{}".into(),
                    },
                    Some(Operation::DeleteUserPolicy {
                        user: user.to_string(),
                        policy_name: "firebreak-freeze".into(),
                    }),
                )
            })
            .collect(),
    );
    plan.confirm_with = Some(vec![ACCOUNT.into(), "acme-prod".into()]);
    plan
}

fn unshare_plan() -> Plan {
    Plan::new(
        "20261123T031400Z-4242-3".into(),
        Playbook::RevertSharing,
        identity(),
        now(),
        vec![Step::new(
            "eu-west-1",
            0,
            Operation::RemoveFunctionPermission {
                function: "orders-api".into(),
                statement_id: "open-to-all".into(),
                qualifier: None,
            },
            Some(Operation::AddFunctionPermission {
                function: "orders-api".into(),
                grant: FunctionGrant {
                    statement_id: "open-to-all".into(),
                    action: "lambda:InvokeFunction".into(),
                    principal: "*".into(),
                    source_arn: None,
                    source_account: None,
                    principal_org_id: None,
                    function_url_auth_type: None,
                },
                qualifier: None,
            }),
        )],
    )
}

fn contain_plan(delete: bool) -> Plan {
    let mut steps = Vec::new();
    for region in ["ap-south-1", "eu-north-1", "sa-east-1"] {
        steps.push(Step::new(
            region,
            0,
            Operation::CaptureFunctionEvidence {
                function: "image-resizer".into(),
                directory: format!("/data/evidence/s/{region}/image-resizer").into(),
            },
            None,
        ));
        steps.push(Step::new(
            region,
            0,
            Operation::PutFunctionConcurrency {
                function: "image-resizer".into(),
                reserved: 0,
            },
            Some(Operation::DeleteFunctionConcurrency {
                function: "image-resizer".into(),
            }),
        ));
        if delete {
            steps.push(Step::irreversible(
                region,
                1,
                Operation::DeleteFunction {
                    function: "image-resizer".into(),
                    evidence: Some(format!("/data/evidence/s/{region}/image-resizer").into()),
                },
            ));
        }
    }
    let mut plan = Plan::new(
        "20261123T031400Z-4242-4".into(),
        Playbook::ContainFunctions {
            functions: Vec::new(),
            delete,
        },
        identity(),
        now(),
        steps,
    );
    if delete {
        plan.confirm_with = Some(vec!["delete".into()]);
    }
    plan
}

/// Focus on the Recent resources list with every rogue function marked.
fn rogue_functions_marked(state: &mut State) {
    while state.focus != crate::tui::state::Focus::List(crate::tui::state::ListId::Recent) {
        update(state, Msg::FocusNext);
    }
    update(state, Msg::Command(Command::MarkAll));
}

#[test]
fn loading() {
    let mut state = State::new(Bindings::default(), false, now());
    update(&mut state, Msg::Command(Command::Rescan));
    feed(&mut state, 1, vec![ScanEvent::Identity(identity())]);
    insta::assert_snapshot!(screen(&state, 120, 40));
}

#[test]
fn findings_in_three_lists_with_details() {
    let state = breach(false);
    insta::assert_snapshot!("breach_120x40", screen(&state, 120, 40));
    insta::assert_snapshot!("breach_80x24", screen(&state, 80, 24));
}

#[test]
fn too_small() {
    insta::assert_snapshot!(screen(&breach(false), 79, 24));
}

#[test]
fn region_error_in_the_details_when_the_grid_is_focused() {
    let mut state = breach(false);
    while state.focus != crate::tui::state::Focus::Regions {
        update(&mut state, Msg::FocusNext);
    }
    // Cell 16 (global is cell 0): third row, fifth column.
    update(&mut state, Msg::Down);
    update(&mut state, Msg::Down);
    for _ in 0..4 {
        update(&mut state, Msg::Right);
    }
    assert_eq!(state.region_filter.as_deref(), Some("ca-central-1"));
    let text = screen(&state, 120, 40);
    assert!(text.contains("AccessDeniedException"), "{text}");
    assert!(text.contains("7c1e2f3a"), "{text}");
    insta::assert_snapshot!(text);
}

#[test]
fn disable_confirmation_with_danger_styling() {
    let mut state = breach(false);
    confirm(&mut state, Command::Disable, disable_plan());
    let terminal = draw(&state, 120, 40);
    insta::assert_snapshot!(terminal.backend().to_string());
    let buffer = terminal.backend().buffer();
    let find = |needle: &str| {
        let area = buffer.area;
        for y in 0..area.height {
            let row: String = (0..area.width)
                .map(|x| buffer[(x, y)].symbol().to_string())
                .collect();
            if let Some(byte) = row.find(needle) {
                let x = row[..byte].chars().count() as u16;
                return (x, y);
            }
        }
        panic!("{needle} is not on screen");
    };
    let (x, y) = find("IRREVERSIBLE");
    assert_eq!(buffer[(x, y)].fg, Color::Red, "irreversible steps are red");
    let (x, y) = find("DeleteLoginProfile");
    assert_eq!(
        buffer[(x, y)].fg,
        Color::Red,
        "the irreversible step's line is red"
    );
    let (x, y) = find("Execute 3 steps");
    assert_eq!(
        buffer[(x, y)].fg,
        Color::Red,
        "Execute is in the danger style"
    );
    let (x, y) = find("Cancel ]");
    assert!(
        buffer[(x, y)]
            .modifier
            .contains(ratatui::style::Modifier::REVERSED),
        "Cancel has the focus"
    );
    // The step's row (the summary above it names every API).
    let (x, y) = find("  1  UpdateAccessKey");
    assert_ne!(buffer[(x, y)].fg, Color::Red, "reversible steps are not");
    let (x, y) = find("1 × DeleteLoginProfile IRREVERSIBLE");
    assert_eq!(
        buffer[(x, y)].fg,
        Color::Red,
        "a summary with something irreversible leads in red"
    );
}

#[test]
fn contain_and_delete_confirmations() {
    let mut state = breach(false);
    rogue_functions_marked(&mut state);
    confirm(&mut state, Command::Contain, contain_plan(false));
    insta::assert_snapshot!("contain", screen(&state, 120, 40));
    let mut state = breach(false);
    rogue_functions_marked(&mut state);
    confirm(&mut state, Command::Contain, contain_plan(true));
    for c in "dele".chars() {
        update(&mut state, Msg::Type(c));
    }
    insta::assert_snapshot!("delete_typing", screen(&state, 120, 40));
}

#[test]
fn unshare_confirmation_at_80_by_24() {
    let mut state = breach(false);
    while state.focus != crate::tui::state::Focus::List(crate::tui::state::ListId::Shared) {
        update(&mut state, Msg::FocusNext);
    }
    while state.selection().map(|f| f.resource_id.as_str()) != Some("orders-api") {
        update(&mut state, Msg::Down);
    }
    confirm(&mut state, Command::Unshare, unshare_plan());
    insta::assert_snapshot!(screen(&state, 80, 24));
}

#[test]
fn freeze_typing_and_countdown() {
    let mut state = breach(false);
    confirm(&mut state, Command::Freeze, freeze_plan());
    for c in "acme-pr".chars() {
        update(&mut state, Msg::Type(c));
    }
    insta::assert_snapshot!("freeze_typing", screen(&state, 120, 40));
    update(&mut state, Msg::Type('o'));
    update(&mut state, Msg::Type('d'));
    update(&mut state, Msg::Right);
    update(&mut state, Msg::Submit);
    update(&mut state, Msg::Tick(now() + chrono::Duration::seconds(2)));
    insta::assert_snapshot!("freeze_countdown", screen(&state, 120, 40));
}

#[test]
fn read_only_confirmation() {
    let mut state = breach(true);
    confirm(&mut state, Command::Disable, disable_plan());
    let text = screen(&state, 120, 40);
    assert!(text.contains("read-only: cannot execute"), "{text}");
    assert!(!text.contains("Execute 3 steps"), "{text}");
    insta::assert_snapshot!(text);
}

#[test]
fn help() {
    let mut state = breach(false);
    update(&mut state, Msg::Command(Command::Help));
    insta::assert_snapshot!(screen(&state, 120, 40));
}

#[test]
fn log_pane_mid_action() {
    let mut state = breach(false);
    confirm(&mut state, Command::Disable, disable_plan());
    update(&mut state, Msg::Execute);
    update(
        &mut state,
        Msg::StepDone {
            action_id: "20261123T031400Z-4242-1".into(),
            index: 1,
            outcome: Outcome::Ok,
        },
    );
    update(
        &mut state,
        Msg::StepDone {
            action_id: "20261123T031400Z-4242-1".into(),
            index: 3,
            outcome: Outcome::Failed {
                maybe_applied: false,
                error: AwsError {
                    service: "iam".into(),
                    operation: "PutUserPolicy".into(),
                    region: GLOBAL.into(),
                    code: "AccessDenied".into(),
                    message: "not authorized".into(),
                    request_id: Some("9f8e7d6c".into()),
                    http_status: Some(403),
                    subject: None,
                },
            },
        },
    );
    let text = screen(&state, 120, 40);
    assert!(text.contains("1 action(s) running"), "{text}");
    insta::assert_snapshot!("log_mid_action_120x40", text);
    update(&mut state, Msg::Command(Command::Log));
    insta::assert_snapshot!("log_mid_action_80x24", screen(&state, 80, 24));
}

#[test]
fn a_long_freeze_keeps_its_field_and_countdown_in_view_at_80_by_24() {
    let mut state = breach(false);
    state.break_glass = vec!["user/break-glass".into(), "role/IncidentResponse".into()];
    let mut plan = freeze_plan();
    let steps: Vec<Step> = (0..43)
        .map(|n| {
            Step::global(
                0,
                Operation::PutRolePolicy {
                    role: format!("workload-{n:02}"),
                    policy_name: "firebreak-freeze".into(),
                    document: "{}".into(),
                },
                None,
            )
        })
        .collect();
    let mut big = Plan::new(
        plan.action_id.clone(),
        Playbook::Freeze,
        identity(),
        now(),
        steps,
    );
    big.confirm_with = plan.confirm_with.take();
    big.exempt = (0..14)
        .map(|n| Exempt {
            principal: format!("role/AWSServiceRoleFor{n:02}"),
            reason: "service-linked role".into(),
        })
        .collect();
    confirm(&mut state, Command::Freeze, big);
    for c in "acme-pro".chars() {
        update(&mut state, Msg::Type(c));
    }
    let text = screen(&state, 80, 24);
    assert!(
        text.contains("type 123456789012 or acme-prod to confirm: acme-pro"),
        "{text}"
    );
    assert!(text.contains("more steps"), "{text}");
    assert!(
        text.contains("never touched: role/oncall (you), user/break-glass"),
        "{text}"
    );
    assert!(text.contains("[ Execute 43 steps ]"), "{text}");
    update(&mut state, Msg::Type('d'));
    update(&mut state, Msg::Submit);
    let text = screen(&state, 80, 24);
    assert!(text.contains("executing in 5 s"), "{text}");
    insta::assert_snapshot!(text);
}

#[test]
fn refused_credentials_show_a_banner_over_the_last_results() {
    let mut state = breach(false);
    state.profile = Some("prod".into());
    update(&mut state, Msg::Command(Command::Rescan));
    let generation = state.generation;
    feed(
        &mut state,
        generation,
        vec![ScanEvent::Fatal(crate::aws::AwsError {
            service: "sts".into(),
            operation: "GetCallerIdentity".into(),
            region: "us-east-1".into(),
            code: "ExpiredToken".into(),
            message: "The security token included in the request is expired".into(),
            request_id: None,
            http_status: Some(400),
            subject: None,
        })],
    );
    let text = screen(&state, 120, 40);
    assert!(
        text.contains("credentials refused (ExpiredToken): `aws sso login --profile prod`, then r"),
        "{text}"
    );
    assert!(text.contains("last results kept"), "{text}");
    // The breach is still on screen.
    assert!(text.contains("svc-metrics-exporter"), "{text}");
}

#[test]
fn a_first_scan_without_credentials_keeps_nothing_and_says_none_were_found() {
    let fatal = |code: &str| crate::aws::AwsError {
        service: "sts".into(),
        operation: "GetCallerIdentity".into(),
        region: "us-east-1".into(),
        code: code.into(),
        message: "no".into(),
        request_id: None,
        http_status: None,
        subject: None,
    };
    for (code, expected) in [
        (
            "ExpiredToken",
            "credentials refused (ExpiredToken): refresh them, then r ",
        ),
        (
            "NoCredentials",
            "no AWS credentials found: set them (or start with --profile), then r",
        ),
    ] {
        let mut state = State::new(Bindings::default(), false, now());
        update(&mut state, Msg::Command(Command::Rescan));
        let generation = state.generation;
        feed(&mut state, generation, vec![ScanEvent::Fatal(fatal(code))]);
        let text = screen(&state, 120, 40);
        assert!(text.contains(expected), "{code}: {text}");
        assert!(!text.contains("kept"), "nothing was read to keep: {text}");
    }
}

#[test]
fn contained_findings_leave_the_counts_and_the_grid_and_an_empty_trust_says_so() {
    let mut state = breach(false);
    // Every recent resource contained (the new functions, in four regions).
    let recent: Vec<String> = state
        .list(crate::tui::state::ListId::Recent)
        .iter()
        .map(|f| f.id.clone())
        .collect();
    assert!(!recent.is_empty());
    for id in &recent {
        state
            .contained
            .insert(id.clone(), "20261123T031400Z-4242-4".into());
    }
    // And the stranger taken out of the role's trust: no one is left in it.
    for role in &mut std::sync::Arc::make_mut(&mut state.scan).inventory.roles {
        role.trust = Principals::default();
    }
    state.index_inventory();
    state.reindex_findings();
    state.selected.insert(
        crate::tui::state::ListId::Principals,
        "unknown_role:global:support-audit".into(),
    );
    let wide = screen(&state, 120, 40);
    assert!(
        wide.contains(&format!("Recent resources {} · 0 open", recent.len())),
        "{wide}"
    );
    // A region whose every finding is contained shows ✓, not its count.
    assert!(wide.contains("ap-south-1      ✓"), "{wide}");
    assert!(
        wide.contains("trusted by no one outside the account"),
        "{wide}"
    );
    insta::assert_snapshot!("contained_120x40", wide);
    let narrow = screen(&state, 80, 24);
    assert!(
        narrow.contains(&format!("Recent resources {} · 0 open", recent.len())),
        "{narrow}"
    );
    // The one-line grid lists only regions with open findings.
    assert!(!narrow.contains("ap-south-1"), "{narrow}");
    insta::assert_snapshot!("contained_80x24", narrow);
}
