//! disable-role: inline deny-all and revoke-older-sessions policies on the role, and its trust
//! policy reverted to the principals the baseline trusts (the exact prior document is kept as
//! the inverse, so undo puts it back). Without a baseline the trust policy is left as it is.
//!
//! A role the baseline knows whose trust an intruder widened (a partner's role, say) gets its
//! trust reverted and its older sessions revoked, and no deny-all: once the trust is back the
//! intruder cannot assume it, and a deny-all would only cut the partner off. Denying it too is
//! the operator's explicit choice.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};

use super::disable_user::{deny_all_document, deny_steps, partition, revoke_sessions_document};
use super::freeze::{IDENTITY_CENTER_ADVICE, is_identity_center_role};
use super::guard::Guard;
use super::plan::{Exempt, Plan, Playbook, Step};
use crate::model::Identity;
use crate::model::operation::{
    DENY_ALL_POLICY, Operation, PrincipalKind, REVOKE_SESSIONS_POLICY, ROLE_INLINE_QUOTA,
    RoleState, policy_chars,
};
use crate::policy::restrict_trust;

/// What the baseline says of the roles to contain.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Known {
    /// The accounts the baseline trusts.
    pub trusted: BTreeSet<String>,
    /// Those of the roles the baseline knows.
    pub roles: BTreeSet<String>,
    /// Deny the known roles too: the operator's explicit choice.
    pub deny_known: bool,
}

/// Plans the containment of `roles` (their state read just before). `known` is what the
/// baseline says of them, `None` without a baseline.
pub fn plan(
    action_id: String,
    account: Identity,
    now: DateTime<Utc>,
    roles: &[RoleState],
    known: Option<&Known>,
    guard: &Guard,
) -> Plan {
    let mut steps = Vec::new();
    let mut exempt = Vec::new();
    let mut notes = Vec::new();
    for role in roles {
        if let Some(reason) = guard.exemption(PrincipalKind::Role, &role.name, Some(&role.path)) {
            exempt.push(Exempt {
                principal: format!("role/{}", role.name),
                reason,
            });
            continue;
        }
        if is_identity_center_role(&role.path) {
            notes.push(format!(
                "{} is an IAM Identity Center role: IAM cannot change it (UnmodifiableEntity), so nothing is planned for it; {IDENTITY_CENTER_ADVICE}",
                role.name
            ));
            continue;
        }
        let revoke = role
            .revoke_sessions_document
            .clone()
            .unwrap_or_else(|| revoke_sessions_document(now));
        let reverted = known.map(|known| {
            let keep = |other: &str| other == account.id || known.trusted.contains(other);
            restrict_trust(&role.trust_document, keep)
        });
        // A known role whose trust goes back: the intruder's way in closes with it. One that
        // carries firebreak's revoke policy already was put back so before (a re-run): it stays
        // without the deny.
        let trust_only = known.is_some_and(|k| k.roles.contains(&role.name) && !k.deny_known)
            && (matches!(reverted, Some(Ok(Some(_)))) || role.revoke_sessions_document.is_some());
        let revoke_chars = policy_chars(&revoke);
        let policies = if trust_only {
            notes.push(format!(
                "{} is a role the baseline knows: its trust is put back to what the baseline trusts and its older sessions are revoked, which shuts out whoever came in through its trust; no deny-all (that would cut off those it trusts); to deny it too: firebreak act disable-role {} --deny-known",
                role.name, role.name
            ));
            if role.inline_chars + revoke_chars > ROLE_INLINE_QUOTA {
                // The managed fallback would deny everything: not what was chosen.
                notes.push(format!(
                    "the inline policies of {} leave no room for the revoke-older-sessions policy: sessions issued before now last until they expire (an hour by default, 12 at most) — --deny-known cuts them",
                    role.name
                ));
                Vec::new()
            } else {
                vec![(REVOKE_SESSIONS_POLICY, revoke)]
            }
        } else {
            vec![
                (DENY_ALL_POLICY, deny_all_document()),
                (REVOKE_SESSIONS_POLICY, revoke),
            ]
        };
        if !policies.is_empty() {
            steps.extend(deny_steps(
                PrincipalKind::Role,
                &role.name,
                role.inline_chars,
                &policies,
                partition(&account),
                &mut notes,
            ));
        }
        let Some(reverted) = reverted else {
            notes.push(format!(
                "no baseline: the trust policy of {} is left as it is (the deny-all policy still stops what the role does)",
                role.name
            ));
            continue;
        };
        match reverted {
            Ok(Some(document)) => steps.push(Step::global(
                0,
                Operation::UpdateAssumeRolePolicy {
                    role: role.name.clone(),
                    document,
                },
                Some(Operation::UpdateAssumeRolePolicy {
                    role: role.name.clone(),
                    document: role.trust_document.clone(),
                }),
            )),
            Ok(None) => notes.push(format!(
                "the trust policy of {} names only trusted principals: left as it is",
                role.name
            )),
            Err(error) => notes.push(format!(
                "the trust policy of {} cannot be read ({error}): left as it is",
                role.name
            )),
        }
    }
    let mut plan = Plan::new(
        action_id,
        Playbook::DisableRole {
            roles: roles.iter().map(|r| r.name.clone()).collect(),
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

    const PARTNER: &str = "210987654321";
    const STRANGER: &str = "666655554444";

    fn identity() -> Identity {
        Identity {
            id: "123456789012".into(),
            alias: None,
            caller_arn: "arn:aws:sts::123456789012:assumed-role/oncall/jo".into(),
        }
    }

    fn role(name: &str, trust: &str) -> RoleState {
        RoleState {
            name: name.into(),
            path: "/".into(),
            trust_document: trust.into(),
            revoke_sessions_document: None,
            inline_chars: 0,
        }
    }

    #[test]
    fn widened_trust_goes_back_to_trusted_accounts_and_undo_keeps_the_exact_document() {
        let widened = format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":["arn:aws:iam::{PARTNER}:root","arn:aws:iam::{STRANGER}:root"]}},"Action":"sts:AssumeRole"}}]}}"#
        );
        let trusted: BTreeSet<String> = [PARTNER.to_string()].into();
        let guard = Guard::new(&identity().caller_arn, &[]);
        let plan = plan(
            "a-1".into(),
            identity(),
            Utc::now(),
            &[role("partner-readonly", &widened)],
            Some(&Known {
                trusted: trusted.clone(),
                ..Known::default()
            }),
            &guard,
        );
        let apis: Vec<&str> = plan.steps.iter().map(|s| s.api.as_str()).collect();
        assert_eq!(
            apis,
            ["PutRolePolicy", "PutRolePolicy", "UpdateAssumeRolePolicy"]
        );
        let Operation::UpdateAssumeRolePolicy { document, .. } = &plan.steps[2].operation else {
            panic!("{:?}", plan.steps[2]);
        };
        assert!(
            document.contains(PARTNER) && !document.contains(STRANGER),
            "{document}"
        );
        assert_eq!(
            plan.steps[2].inverse,
            Some(Operation::UpdateAssumeRolePolicy {
                role: "partner-readonly".into(),
                document: widened.clone(),
            })
        );
    }

    #[test]
    fn the_callers_role_is_exempt_and_no_baseline_leaves_trust_alone() {
        let trust = r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}]}"#;
        let guard = Guard::new(&identity().caller_arn, &[]);
        let plan = plan(
            "a-2".into(),
            identity(),
            Utc::now(),
            &[role("oncall", trust), role("rogue", trust)],
            None,
            &guard,
        );
        assert_eq!(plan.exempt.len(), 1);
        assert_eq!(plan.exempt[0].principal, "role/oncall");
        assert!(
            plan.steps
                .iter()
                .all(|s| s.target.starts_with("role/rogue"))
        );
        assert_eq!(plan.steps.len(), 2);
        assert!(plan.notes.iter().any(|n| n.contains("no baseline")));
    }

    #[test]
    fn a_trust_with_nothing_trusted_left_denies_everyone() {
        let trust = format!(
            r#"{{"Statement":[{{"Effect":"Allow","Principal":{{"AWS":"{STRANGER}"}},"Action":"sts:AssumeRole"}}]}}"#
        );
        let guard = Guard::new(&identity().caller_arn, &[]);
        let plan = plan(
            "a-3".into(),
            identity(),
            Utc::now(),
            &[role("backdoor", &trust)],
            Some(&Known::default()),
            &guard,
        );
        let Operation::UpdateAssumeRolePolicy { document, .. } = &plan.steps[2].operation else {
            panic!("{:?}", plan.steps);
        };
        assert!(document.contains(r#""Effect":"Deny""#), "{document}");
        assert!(!document.contains(STRANGER), "{document}");
    }

    #[test]
    fn an_identity_center_role_gets_no_step_iam_would_refuse() {
        let mut sso = role(
            "AWSReservedSSO_AdministratorAccess_0123456789abcdef",
            r#"{"Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::123456789012:saml-provider/AWSSSO"},"Action":"sts:AssumeRoleWithSAML"}]}"#,
        );
        sso.path = "/aws-reserved/sso.amazonaws.com/".into();
        let guard = Guard::new(&identity().caller_arn, &[]);
        let plan = plan(
            "a-4".into(),
            identity(),
            Utc::now(),
            &[sso],
            Some(&Known::default()),
            &guard,
        );
        assert!(plan.steps.is_empty(), "{:?}", plan.steps);
        assert!(
            plan.notes[0].contains("IAM Identity Center")
                && plan.notes[0].contains("permission-set assignments"),
            "{:?}",
            plan.notes
        );
    }

    #[test]
    fn a_known_role_whose_trust_was_widened_gets_its_trust_back_and_no_deny_unless_chosen() {
        let widened = format!(
            r#"{{"Statement":[{{"Effect":"Allow","Principal":{{"AWS":["arn:aws:iam::{PARTNER}:root","arn:aws:iam::{STRANGER}:root"]}},"Action":"sts:AssumeRole"}}]}}"#
        );
        let clean = format!(
            r#"{{"Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{PARTNER}:root"}},"Action":"sts:AssumeRole"}}]}}"#
        );
        let guard = Guard::new(&identity().caller_arn, &[]);
        let known = Known {
            trusted: [PARTNER.to_string()].into(),
            roles: ["partner-readonly".to_string(), "partner-admin".to_string()].into(),
            deny_known: false,
        };
        let planned = |known: &Known| {
            plan(
                "a-5".into(),
                identity(),
                Utc::now(),
                &[
                    role("partner-readonly", &widened),
                    // Known, its trust clean: what brought it here is not its trust.
                    role("partner-admin", &clean),
                ],
                Some(known),
                &guard,
            )
        };
        let steps = |plan: &Plan| -> Vec<(String, String)> {
            plan.steps
                .iter()
                .map(|s| (s.api.clone(), s.target.clone()))
                .collect()
        };
        let kept = planned(&known);
        let readonly: Vec<(String, String)> = steps(&kept)
            .into_iter()
            .filter(|(_, target)| target.contains("partner-readonly"))
            .collect();
        assert_eq!(
            readonly
                .iter()
                .map(|(api, _)| api.as_str())
                .collect::<Vec<_>>(),
            ["PutRolePolicy", "UpdateAssumeRolePolicy"],
            "{readonly:?}"
        );
        assert!(
            kept.steps.iter().all(|s| !matches!(&s.operation,
                Operation::PutRolePolicy { role, policy_name, .. }
                    if role == "partner-readonly" && policy_name == DENY_ALL_POLICY)),
            "{:?}",
            kept.steps
        );
        assert!(
            kept.steps.iter().any(|s| matches!(&s.operation,
                Operation::PutRolePolicy { role, policy_name, .. }
                    if role == "partner-admin" && policy_name == DENY_ALL_POLICY)),
            "{:?}",
            kept.steps
        );
        assert!(
            kept.notes.iter().any(|n| n.contains("--deny-known")),
            "{:?}",
            kept.notes
        );
        let denied = planned(&Known {
            deny_known: true,
            ..known
        });
        assert!(
            denied.steps.iter().any(|s| matches!(&s.operation,
                Operation::PutRolePolicy { role, policy_name, .. }
                    if role == "partner-readonly" && policy_name == DENY_ALL_POLICY)),
            "{:?}",
            denied.steps
        );
    }

    #[test]
    fn a_known_role_without_room_for_the_revoke_policy_is_not_denied_in_its_place() {
        let widened = format!(
            r#"{{"Statement":[{{"Effect":"Allow","Principal":{{"AWS":["arn:aws:iam::{PARTNER}:root","arn:aws:iam::{STRANGER}:root"]}},"Action":"sts:AssumeRole"}}]}}"#
        );
        let revoke = "{ \"Statement\": [] }".to_string();
        let chars = revoke.chars().filter(|c| !c.is_whitespace()).count();
        let guard = Guard::new(&identity().caller_arn, &[]);
        let known = Known {
            trusted: [PARTNER.to_string()].into(),
            roles: ["partner-readonly".to_string()].into(),
            deny_known: false,
        };
        let planned = |inline_chars: usize| {
            let mut state = role("partner-readonly", &widened);
            state.revoke_sessions_document = Some(revoke.clone());
            state.inline_chars = inline_chars;
            plan(
                "a-6".into(),
                identity(),
                Utc::now(),
                &[state],
                Some(&known),
                &guard,
            )
        };
        let apis =
            |plan: &Plan| -> Vec<String> { plan.steps.iter().map(|s| s.api.clone()).collect() };
        // Exactly full: it fits.
        let fits = planned(ROLE_INLINE_QUOTA - chars);
        assert_eq!(apis(&fits), ["PutRolePolicy", "UpdateAssumeRolePolicy"]);
        // One character more: no revoke policy, and never AWSDenyAll in its place.
        let full = planned(ROLE_INLINE_QUOTA - chars + 1);
        assert_eq!(apis(&full), ["UpdateAssumeRolePolicy"]);
        assert!(
            full.notes.iter().any(|n| n.contains("no room")),
            "{:?}",
            full.notes
        );
    }
}
