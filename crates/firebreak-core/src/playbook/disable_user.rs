//! disable-user: deactivate every active access key (never delete), delete the console login
//! profile (irreversible), and attach inline deny-all and revoke-older-sessions policies.
//! Undo reactivates exactly the keys that were active and removes the policies firebreak added.

use chrono::{DateTime, SecondsFormat, Utc};

use super::guard::Guard;
use super::plan::{Exempt, Plan, Playbook, Step};
use crate::model::operation::Operation;
use crate::model::operation::{
    DENY_ALL_MANAGED, DENY_ALL_POLICY, KeyState, PrincipalKind, REVOKE_SESSIONS_POLICY,
    ROLE_INLINE_QUOTA, RoleState, USER_INLINE_QUOTA, UserState, policy_chars,
};
use crate::model::{Identity, KeyStatus};
use crate::policy::Arn;

/// Denies every action on every resource.
pub fn deny_all_document() -> String {
    r#"{"Version":"2012-10-17","Statement":[{"Sid":"FirebreakDenyAll","Effect":"Deny","Action":"*","Resource":"*"}]}"#
        .to_string()
}

/// Denies every request made with credentials issued before `now`.
pub fn revoke_sessions_document(now: DateTime<Utc>) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"FirebreakRevokeOlderSessions","Effect":"Deny","Action":"*","Resource":"*","Condition":{{"DateLessThan":{{"aws:TokenIssueTime":"{}"}}}}}}]}}"#,
        now.to_rfc3339_opts(SecondsFormat::Secs, true)
    )
}

/// The partition of the account (`aws`, `aws-us-gov`, `aws-cn`), from the caller's ARN.
pub fn partition(account: &Identity) -> &str {
    Arn::parse(&account.caller_arn).map_or("aws", |arn| arn.partition)
}

/// The steps that deny everything a user or role does, in `policies` (inline policy name and
/// document): inline when they fit IAM's inline quota next to what it holds (`inline_chars`),
/// else the AWS managed `AWSDenyAll` attached instead — it denies every request, those of
/// sessions issued before included.
pub fn deny_steps(
    kind: PrincipalKind,
    name: &str,
    inline_chars: usize,
    policies: &[(&str, String)],
    partition: &str,
    notes: &mut Vec<String>,
) -> Vec<Step> {
    let quota = match kind {
        PrincipalKind::User => USER_INLINE_QUOTA,
        PrincipalKind::Role => ROLE_INLINE_QUOTA,
    };
    let adding: usize = policies.iter().map(|(_, d)| policy_chars(d)).sum();
    let name = name.to_string();
    if inline_chars + adding <= quota {
        return policies
            .iter()
            .map(|(policy_name, document)| {
                let policy_name = policy_name.to_string();
                let document = document.clone();
                match kind {
                    PrincipalKind::User => Step::global(
                        0,
                        Operation::PutUserPolicy {
                            user: name.clone(),
                            policy_name: policy_name.clone(),
                            document,
                        },
                        Some(Operation::DeleteUserPolicy {
                            user: name.clone(),
                            policy_name,
                        }),
                    ),
                    PrincipalKind::Role => Step::global(
                        0,
                        Operation::PutRolePolicy {
                            role: name.clone(),
                            policy_name: policy_name.clone(),
                            document,
                        },
                        Some(Operation::DeleteRolePolicy {
                            role: name.clone(),
                            policy_name,
                        }),
                    ),
                }
            })
            .collect();
    }
    let policy_arn = format!("arn:{partition}:iam::aws:policy/{DENY_ALL_MANAGED}");
    notes.push(format!(
        "the inline policies of {name} already use {inline_chars} of IAM's {quota} characters: {DENY_ALL_MANAGED} is attached instead of an inline deny (it denies every request, older sessions included)"
    ));
    vec![match kind {
        PrincipalKind::User => Step::global(
            0,
            Operation::AttachUserPolicy {
                user: name.clone(),
                policy_arn: policy_arn.clone(),
            },
            Some(Operation::DetachUserPolicy {
                user: name,
                policy_arn,
            }),
        ),
        PrincipalKind::Role => Step::global(
            0,
            Operation::AttachRolePolicy {
                role: name.clone(),
                policy_arn: policy_arn.clone(),
            },
            Some(Operation::DetachRolePolicy {
                role: name,
                policy_arn,
            }),
        ),
    }]
}

/// Role sessions a disabled user may already hold: deactivating its keys does not end them.
/// Roles whose trust names one of `users` get the revoke-older-sessions policy (undo removes
/// it); roles trusting the whole account are named in a note, since revoking theirs cuts off
/// everyone. `roles` are (role state, principal ARNs its trust allows).
pub fn revoke_assumed_sessions(
    plan: &mut Plan,
    users: &[String],
    roles: &[(RoleState, Vec<String>)],
    guard: &Guard,
    now: DateTime<Utc>,
) {
    let account = plan.account.id.clone();
    let root = format!("arn:{}:iam::{account}:root", partition(&plan.account));
    let mut whole_account = Vec::new();
    for (role, trusted) in roles {
        let by_user: Vec<&String> = users
            .iter()
            .filter(|user| {
                trusted.iter().any(|arn| {
                    Arn::parse(arn)
                        .filter(|arn| arn.account == account)
                        .and_then(|arn| arn.iam_principal())
                        .is_some_and(|(kind, name)| {
                            kind == PrincipalKind::User && name.eq_ignore_ascii_case(user)
                        })
                })
            })
            .collect();
        if by_user.is_empty() {
            if trusted.contains(&root) {
                whole_account.push(role.name.clone());
            }
            continue;
        }
        if let Some(reason) = guard.exemption(PrincipalKind::Role, &role.name, Some(&role.path)) {
            plan.notes.push(format!(
                "role {} trusts {} but is left alone ({reason}): sessions assumed there stay valid",
                role.name,
                by_user
                    .iter()
                    .map(|u| u.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
            continue;
        }
        let document = role
            .revoke_sessions_document
            .clone()
            .unwrap_or_else(|| revoke_sessions_document(now));
        plan.push(Step::global(
            0,
            Operation::PutRolePolicy {
                role: role.name.clone(),
                policy_name: REVOKE_SESSIONS_POLICY.to_string(),
                document,
            },
            Some(Operation::DeleteRolePolicy {
                role: role.name.clone(),
                policy_name: REVOKE_SESSIONS_POLICY.to_string(),
            }),
        ));
        plan.notes.push(format!(
            "role {} trusts {}: sessions issued before now are revoked (anyone still entitled assumes it again)",
            role.name,
            by_user.iter().map(|u| u.as_str()).collect::<Vec<_>>().join(", ")
        ));
    }
    if !whole_account.is_empty() {
        plan.notes.push(format!(
            "sessions the user already assumed in roles trusting the whole account ({}) stay valid until they expire: disable those roles (D) to revoke them",
            whole_account.join(", ")
        ));
    }
}

/// Deactivates one key; its inverse puts back the status read before (so undoing a step whose
/// outcome is unknown can never reactivate a key that was inactive).
fn key_step(user: &str, key_id: &str, before: KeyStatus) -> Step {
    let (user, key_id) = (user.to_string(), key_id.to_string());
    let inverse = match before {
        KeyStatus::Active => Operation::ActivateAccessKey {
            user: user.clone(),
            key_id: key_id.clone(),
        },
        KeyStatus::Inactive => Operation::DeactivateAccessKey {
            user: user.clone(),
            key_id: key_id.clone(),
        },
    };
    Step::global(
        0,
        Operation::DeactivateAccessKey { user, key_id },
        Some(inverse),
    )
}

/// Plans the deactivation of single access keys (each key only: its user keeps its other keys,
/// its password and its policies). Undo reactivates exactly the keys that were active.
pub fn plan_keys(
    action_id: String,
    account: Identity,
    now: DateTime<Utc>,
    keys: &[KeyState],
    guard: &Guard,
) -> Plan {
    let mut steps = Vec::new();
    let mut exempt = Vec::new();
    let mut notes = Vec::new();
    for key in keys {
        if let Some(reason) = guard.exemption(PrincipalKind::User, &key.user, Some("/")) {
            exempt.push(Exempt {
                principal: format!("user/{} key {}", key.user, key.key_id),
                reason,
            });
            continue;
        }
        if key.status == KeyStatus::Inactive {
            notes.push(format!(
                "key {} of {} is already inactive: undo will leave it inactive",
                key.key_id, key.user
            ));
        }
        steps.push(key_step(&key.user, &key.key_id, key.status));
    }
    let mut plan = Plan::new(
        action_id,
        Playbook::DisableKey {
            keys: keys.iter().map(|k| k.key_id.clone()).collect(),
        },
        account,
        now,
        steps,
    );
    plan.exempt = exempt;
    plan.notes = notes;
    plan
}

/// Plans the containment of `users` (their state read just before).
pub fn plan(
    action_id: String,
    account: Identity,
    now: DateTime<Utc>,
    users: &[UserState],
    guard: &Guard,
) -> Plan {
    let mut steps = Vec::new();
    let mut exempt = Vec::new();
    let mut notes = Vec::new();
    for user in users {
        if let Some(reason) = guard.exemption(PrincipalKind::User, &user.name, Some("/")) {
            exempt.push(Exempt {
                principal: format!("user/{}", user.name),
                reason,
            });
            continue;
        }
        // Every key gets a step: one already inactive is reported skipped.
        for (key_id, status) in &user.keys {
            steps.push(key_step(&user.name, key_id, *status));
            if *status == KeyStatus::Inactive {
                notes.push(format!(
                    "key {key_id} of {} is already inactive: undo will leave it inactive",
                    user.name
                ));
            }
        }
        if user.login_profile {
            steps.push(Step::irreversible(
                crate::model::GLOBAL,
                0,
                Operation::DeleteLoginProfile {
                    user: user.name.clone(),
                },
            ));
            notes.push(format!(
                "the console password of {} will be deleted: it cannot be restored, only reset",
                user.name
            ));
        }
        // A re-run keeps the first cut-off time, so its step is reported skipped.
        let revoke = user
            .revoke_sessions_document
            .clone()
            .unwrap_or_else(|| revoke_sessions_document(now));
        steps.extend(deny_steps(
            PrincipalKind::User,
            &user.name,
            user.inline_chars,
            &[
                (DENY_ALL_POLICY, deny_all_document()),
                (REVOKE_SESSIONS_POLICY, revoke),
            ],
            partition(&account),
            &mut notes,
        ));
    }
    let mut plan = Plan::new(
        action_id,
        Playbook::DisableUser {
            users: users.iter().map(|u| u.name.clone()).collect(),
        },
        account,
        now,
        steps,
    );
    plan.exempt = exempt;
    plan.notes = notes;
    plan
}

#[cfg(test)]
mod tests {
    use super::*;

    fn identity() -> Identity {
        Identity {
            id: "123456789012".into(),
            alias: None,
            caller_arn: "arn:aws:iam::123456789012:user/responder".into(),
        }
    }

    #[test]
    fn active_keys_login_and_policies_are_planned_with_inverses() {
        let now = Utc::now();
        let users = [
            UserState {
                name: "mallory".into(),
                keys: vec![
                    ("AKIA1".into(), KeyStatus::Active),
                    ("AKIA2".into(), KeyStatus::Inactive),
                ],
                login_profile: true,
                revoke_sessions_document: None,
                inline_chars: 0,
            },
            UserState {
                name: "responder".into(),
                keys: vec![("AKIA3".into(), KeyStatus::Active)],
                login_profile: false,
                revoke_sessions_document: None,
                inline_chars: 0,
            },
        ];
        let guard = Guard::new(&identity().caller_arn, &[]);
        let plan = plan("a1".into(), identity(), now, &users, &guard);
        let apis: Vec<(&str, &str, bool)> = plan
            .steps
            .iter()
            .map(|s| (s.api.as_str(), s.target.as_str(), s.reversible))
            .collect();
        assert_eq!(
            apis,
            [
                ("UpdateAccessKey", "user/mallory key AKIA1", true),
                ("UpdateAccessKey", "user/mallory key AKIA2", true),
                ("DeleteLoginProfile", "user/mallory", false),
                (
                    "PutUserPolicy",
                    "user/mallory policy firebreak-deny-all",
                    true
                ),
                (
                    "PutUserPolicy",
                    "user/mallory policy firebreak-revoke-older-sessions",
                    true
                ),
            ]
        );
        assert_eq!(plan.steps[0].index, 1);
        assert_eq!(
            plan.steps[0].inverse,
            Some(Operation::ActivateAccessKey {
                user: "mallory".into(),
                key_id: "AKIA1".into()
            })
        );
        assert_eq!(plan.exempt.len(), 1, "the caller is exempt");
        assert_eq!(plan.exempt[0].principal, "user/responder");
        assert!(plan.notes.iter().any(|n| n.contains("AKIA2")));
        assert!(plan.notes.iter().any(|n| n.contains("cannot be restored")));
    }

    #[test]
    fn the_session_policy_names_the_cut_off_time() {
        let now = DateTime::parse_from_rfc3339("2026-11-22T03:04:05Z")
            .map(|t| t.with_timezone(&Utc))
            .expect("time");
        let document = revoke_sessions_document(now);
        let value: serde_json::Value = serde_json::from_str(&document).expect("json");
        assert_eq!(
            value["Statement"][0]["Condition"]["DateLessThan"]["aws:TokenIssueTime"],
            "2026-11-22T03:04:05Z"
        );
        assert!(crate::policy::grants_admin(&deny_all_document()) == Ok(false));
    }

    #[test]
    fn a_deny_that_does_not_fit_the_inline_quota_attaches_awsdenyall_instead() {
        let mut notes = Vec::new();
        let policies = [(DENY_ALL_POLICY, deny_all_document())];
        let fits = deny_steps(PrincipalKind::User, "u", 100, &policies, "aws", &mut notes);
        assert_eq!(fits[0].api, "PutUserPolicy");
        assert!(notes.is_empty());
        let padded = deny_steps(
            PrincipalKind::User,
            "u",
            2_000,
            &policies,
            "aws-us-gov",
            &mut notes,
        );
        assert_eq!(
            padded[0].operation,
            Operation::AttachUserPolicy {
                user: "u".into(),
                policy_arn: "arn:aws-us-gov:iam::aws:policy/AWSDenyAll".into(),
            }
        );
        assert_eq!(
            padded[0].inverse,
            Some(Operation::DetachUserPolicy {
                user: "u".into(),
                policy_arn: "arn:aws-us-gov:iam::aws:policy/AWSDenyAll".into(),
            })
        );
        assert!(notes[0].contains("2000 of IAM's 2048"), "{notes:?}");
        let role = deny_steps(
            PrincipalKind::Role,
            "r",
            2_000,
            &policies,
            "aws",
            &mut notes,
        );
        assert_eq!(role[0].api, "PutRolePolicy", "roles have 10,240 characters");
    }

    #[test]
    fn sessions_are_revoked_on_roles_trusting_the_user_and_named_on_roles_trusting_the_account() {
        let gov = Identity {
            id: "123456789012".into(),
            alias: None,
            caller_arn: "arn:aws-us-gov:iam::123456789012:user/responder".into(),
        };
        assert_eq!(partition(&gov), "aws-us-gov");
        assert_eq!(partition(&identity()), "aws");
        let role = |name: &str, document: Option<&str>| RoleState {
            name: name.into(),
            path: "/".into(),
            trust_document: "{}".into(),
            revoke_sessions_document: document.map(str::to_string),
            inline_chars: 0,
        };
        let mallory = "arn:aws-us-gov:iam::123456789012:user/Mallory".to_string();
        let roles = vec![
            (role("deploy", None), vec![mallory.clone()]),
            (
                role("kept-cutoff", Some("{\"earlier\":true}")),
                vec![mallory.clone()],
            ),
            (role("break-glass-role", None), vec![mallory]),
            (
                role("shared", None),
                vec!["arn:aws-us-gov:iam::123456789012:root".into()],
            ),
            (
                role("partner-mallory", None),
                vec!["arn:aws-us-gov:iam::210987654321:user/mallory".into()],
            ),
            (
                role("other-partition-root", None),
                vec!["arn:aws:iam::123456789012:root".into()],
            ),
        ];
        let guard = Guard::new(&gov.caller_arn, &["role/break-glass-role".into()]);
        let now = DateTime::parse_from_rfc3339("2026-11-22T03:04:05Z")
            .map(|t| t.with_timezone(&Utc))
            .expect("time");
        let mut plan = Plan::new(
            "a1".into(),
            Playbook::DisableUser {
                users: vec!["mallory".into()],
            },
            gov,
            now,
            Vec::new(),
        );
        revoke_assumed_sessions(&mut plan, &["mallory".to_string()], &roles, &guard, now);
        let puts: Vec<(&str, &Operation)> = plan
            .steps
            .iter()
            .map(|s| (s.target.as_str(), &s.operation))
            .collect();
        let put = |role: &str, document: String| Operation::PutRolePolicy {
            role: role.into(),
            policy_name: REVOKE_SESSIONS_POLICY.into(),
            document,
        };
        assert_eq!(
            puts,
            [
                (
                    "role/deploy policy firebreak-revoke-older-sessions",
                    &put("deploy", revoke_sessions_document(now))
                ),
                (
                    "role/kept-cutoff policy firebreak-revoke-older-sessions",
                    &put("kept-cutoff", "{\"earlier\":true}".into())
                ),
            ]
        );
        assert_eq!(
            plan.steps.iter().map(|s| s.index).collect::<Vec<_>>(),
            [1, 2],
            "numbered in order"
        );
        assert_eq!(
            plan.steps[0].inverse,
            Some(Operation::DeleteRolePolicy {
                role: "deploy".into(),
                policy_name: REVOKE_SESSIONS_POLICY.into()
            })
        );
        assert_eq!(
            plan.notes,
            [
                "role deploy trusts mallory: sessions issued before now are revoked (anyone still entitled assumes it again)",
                "role kept-cutoff trusts mallory: sessions issued before now are revoked (anyone still entitled assumes it again)",
                "role break-glass-role trusts mallory but is left alone (break-glass principal (config)): sessions assumed there stay valid",
                "sessions the user already assumed in roles trusting the whole account (shared) stay valid until they expire: disable those roles (D) to revoke them",
            ]
        );
        // Nobody trusted: nothing planned, nothing said.
        let mut quiet = plan.clone();
        quiet.steps.clear();
        quiet.notes.clear();
        revoke_assumed_sessions(&mut quiet, &["eve".to_string()], &roles[..2], &guard, now);
        assert!(
            quiet.steps.is_empty() && quiet.notes.is_empty(),
            "{quiet:#?}"
        );
    }

    #[test]
    fn single_keys_are_deactivated_and_an_inactive_one_stays_inactive_after_undo() {
        let keys = [
            KeyState {
                key_id: "AKIA1".into(),
                user: "mallory".into(),
                status: KeyStatus::Active,
            },
            KeyState {
                key_id: "AKIA2".into(),
                user: "mallory".into(),
                status: KeyStatus::Inactive,
            },
            KeyState {
                key_id: "AKIA3".into(),
                user: "responder".into(),
                status: KeyStatus::Active,
            },
        ];
        let guard = Guard::new(&identity().caller_arn, &[]);
        let plan = plan_keys("k1".into(), identity(), Utc::now(), &keys, &guard);
        let inverses: Vec<Option<&Operation>> =
            plan.steps.iter().map(|s| s.inverse.as_ref()).collect();
        assert_eq!(
            inverses,
            [
                Some(&Operation::ActivateAccessKey {
                    user: "mallory".into(),
                    key_id: "AKIA1".into()
                }),
                Some(&Operation::DeactivateAccessKey {
                    user: "mallory".into(),
                    key_id: "AKIA2".into()
                }),
            ]
        );
        assert_eq!(
            plan.notes,
            ["key AKIA2 of mallory is already inactive: undo will leave it inactive"]
        );
        assert_eq!(plan.exempt.len(), 1);
        assert_eq!(plan.exempt[0].principal, "user/responder key AKIA3");
    }
}
