//! The self-lockout guard: the caller's own principal (for an assumed role, that role),
//! break-glass principals from config, and service-linked roles are never disabled or denied.

use super::plan::Plan;
use crate::model::operation::{PrincipalKind, parse_principal};
use crate::policy::Arn;
use crate::policy::statements::deny_spares;

/// Who is running firebreak, from the GetCallerIdentity ARN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    User(String),
    /// An assumed role (`arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION`) or the role itself.
    Role(String),
    Root,
    /// Federated users and anything else IAM cannot deny by name.
    Other(String),
}

impl Caller {
    pub fn from_arn(arn: &str) -> Self {
        let resource = arn.splitn(6, ':').nth(5).unwrap_or_default();
        let mut parts = resource.split('/');
        match parts.next() {
            Some("user") => {
                Caller::User(resource.rsplit('/').next().unwrap_or_default().to_string())
            }
            Some("assumed-role") => Caller::Role(parts.next().unwrap_or_default().to_string()),
            Some("role") => {
                Caller::Role(resource.rsplit('/').next().unwrap_or_default().to_string())
            }
            Some("root") => Caller::Root,
            _ => Caller::Other(arn.to_string()),
        }
    }
}

/// The instance id an assumed-role caller's session is named after (`i-` and hex digits), as
/// EC2 names the sessions of instance profile roles.
fn instance_of_caller(caller_arn: &str) -> Option<String> {
    let resource = caller_arn.splitn(6, ':').nth(5)?;
    let session = resource.strip_prefix("assumed-role/")?.split('/').nth(1)?;
    let digits = session.strip_prefix("i-")?;
    (!digits.is_empty() && digits.chars().all(|c| c.is_ascii_hexdigit()))
        .then(|| session.to_string())
}

/// Decides which principals a playbook must leave alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Guard {
    caller: Caller,
    break_glass: Vec<(PrincipalKind, String)>,
    /// Principals the caller depends on (those its role trusts), with why.
    upstream: Vec<(PrincipalKind, String, String)>,
    /// The EC2 instance firebreak runs on, when the caller is an instance profile's role
    /// (`assumed-role/ROLE/i-…`: EC2 names the session after the instance).
    instance: Option<String>,
    /// The partition the caller is in (`aws`, `aws-cn`, …): ARNs the guard writes are its.
    partition: String,
}

/// `user` or `role`, as ARNs and messages spell it.
fn kind_word(kind: PrincipalKind) -> &'static str {
    match kind {
        PrincipalKind::User => "user",
        PrincipalKind::Role => "role",
    }
}

/// How AWS names every service-linked role.
const SERVICE_LINKED_PREFIX: &str = "AWSServiceRoleFor";

impl Guard {
    /// `break_glass` entries are `user/NAME` or `role/NAME` (checked when the config loads).
    pub fn new(caller_arn: &str, break_glass: &[String]) -> Self {
        Guard {
            caller: Caller::from_arn(caller_arn),
            break_glass: break_glass
                .iter()
                .filter_map(|entry| parse_principal(entry).ok())
                .collect(),
            upstream: Vec::new(),
            instance: instance_of_caller(caller_arn),
            partition: Arn::parse(caller_arn)
                .map_or("aws", |arn| arn.partition)
                .to_string(),
        }
    }

    /// The instance firebreak runs on, when its caller is that instance's profile role: taking
    /// the profile away from it would cut firebreak off mid-response.
    pub fn caller_instance(&self) -> Option<&str> {
        self.instance.as_deref()
    }

    /// Also keeps the principals of this account that the caller's role trusts (`trust_arns`,
    /// from its trust policy): denying them would stop the caller assuming its role again.
    pub fn with_caller_trust(mut self, account: &str, trust_arns: &[String]) -> Self {
        let Caller::Role(role) = &self.caller else {
            return self;
        };
        let role = role.clone();
        for arn in trust_arns {
            let Some((kind, name)) = Arn::parse(arn)
                .filter(|arn| arn.account == account)
                .and_then(|arn| arn.iam_principal())
            else {
                continue;
            };
            self.upstream.push((
                kind,
                name.to_string(),
                format!(
                    "trusted by your role {role}: denying it would stop you assuming {role} again"
                ),
            ));
        }
        self
    }

    /// The steps of `plan` that would deny a principal this guard keeps (`user/NAME: why`), by
    /// name or through a bucket-policy deny that does not leave it out. A plan made under
    /// another caller or config (a resumed one) must not lock anyone out now.
    pub fn denied_in(&self, plan: &Plan) -> Vec<String> {
        let mut denied = Vec::new();
        for step in &plan.steps {
            if let Some((kind, name)) = step.operation.denies_principal() {
                // Who runs the plan may have changed since it was made; what a principal is
                // (service-linked, by the path the planner read) has not.
                if let Some(reason) = self.person_kept(kind, name) {
                    denied.push(format!(
                        "step {}: {}/{name} ({reason})",
                        step.index,
                        kind_word(kind)
                    ));
                }
            }
            for statement in step.operation.adds_statements() {
                for (who, reason, arns) in self.kept_arns(&plan.account.id) {
                    if !arns.iter().all(|arn| deny_spares(statement, arn)) {
                        denied.push(format!(
                            "step {}: {} denies {who} ({reason})",
                            step.index, step.target
                        ));
                    }
                }
            }
        }
        denied
    }

    /// Each principal this guard keeps — the caller, break-glass, those the caller's role
    /// trusts — with why, and ARNs it may have in `account` (a user or role with and without a
    /// path), to check a deny against.
    fn kept_arns(&self, account: &str) -> Vec<(String, String, Vec<String>)> {
        let partition = &self.partition;
        let iam = |kind: PrincipalKind, name: &str| {
            let kind = kind_word(kind);
            vec![
                format!("arn:{partition}:iam::{account}:{kind}/{name}"),
                format!("arn:{partition}:iam::{account}:{kind}/path/{name}"),
            ]
        };
        let mut kept = Vec::new();
        let caller = "the caller's own principal (self-lockout guard)".to_string();
        match &self.caller {
            Caller::User(name) => kept.push((
                format!("user/{name}"),
                caller,
                iam(PrincipalKind::User, name),
            )),
            Caller::Role(name) => kept.push((
                format!("role/{name}"),
                caller,
                iam(PrincipalKind::Role, name),
            )),
            Caller::Root => kept.push((
                "root".to_string(),
                caller,
                vec![format!("arn:{partition}:iam::{account}:root")],
            )),
            Caller::Other(arn) => kept.push((arn.clone(), caller, vec![arn.clone()])),
        }
        for (kind, name) in &self.break_glass {
            kept.push((
                format!("{}/{name}", kind_word(*kind)),
                "break-glass principal (config)".to_string(),
                iam(*kind, name),
            ));
        }
        for (kind, name, why) in &self.upstream {
            kept.push((
                format!("{}/{name}", kind_word(*kind)),
                why.clone(),
                iam(*kind, name),
            ));
        }
        kept
    }

    /// ARN patterns, as a deny's `ArnNotLike` on `aws:PrincipalArn` takes them, that leave out
    /// every principal this guard keeps in `account` (a user or role under any path).
    pub fn spared_patterns(&self, account: &str) -> Vec<String> {
        let partition = &self.partition;
        let iam = |kind: PrincipalKind, name: &str| {
            let kind = kind_word(kind);
            [
                format!("arn:{partition}:iam::{account}:{kind}/{name}"),
                format!("arn:{partition}:iam::{account}:{kind}/*/{name}"),
            ]
        };
        let mut patterns: Vec<String> = match &self.caller {
            Caller::User(name) => iam(PrincipalKind::User, name).into(),
            Caller::Role(name) => iam(PrincipalKind::Role, name).into(),
            Caller::Root => vec![format!("arn:{partition}:iam::{account}:root")],
            Caller::Other(arn) => vec![arn.clone()],
        };
        for (kind, name) in &self.break_glass {
            patterns.extend(iam(*kind, name));
        }
        for (kind, name, _) in &self.upstream {
            patterns.extend(iam(*kind, name));
        }
        patterns.dedup();
        patterns
    }

    /// Whether the guard can name the caller's own principal (a federated user or an unknown
    /// kind of caller cannot be kept out of an account-wide freeze by name).
    pub fn knows_caller(&self) -> bool {
        !matches!(self.caller, Caller::Other(_))
    }

    /// Whether break-glass principals are configured.
    pub fn has_break_glass(&self) -> bool {
        !self.break_glass.is_empty()
    }

    /// Why `name` must not be touched, or `None` if it may be. `path` is the principal's IAM
    /// path when it was read; where it is not known (undo: a plan names principals only), a
    /// role named `AWSServiceRoleFor…` is taken for a service-linked role.
    pub fn exemption(&self, kind: PrincipalKind, name: &str, path: Option<&str>) -> Option<String> {
        if let Some(why) = self.person_kept(kind, name) {
            return Some(why);
        }
        let service_linked = match path {
            Some(path) => path.starts_with("/aws-service-role/"),
            None => name.starts_with(SERVICE_LINKED_PREFIX),
        };
        (kind == PrincipalKind::Role && service_linked).then(|| "service-linked role".to_string())
    }

    /// Why `name` is a way in for the people running firebreak now — the caller, break-glass,
    /// or a principal the caller's role trusts — or `None`. Unlike service-linked roles (which
    /// the planner judged by their path), these depend on who runs a plan and when.
    fn person_kept(&self, kind: PrincipalKind, name: &str) -> Option<String> {
        let is_caller = match (&self.caller, kind) {
            // IAM names are unique regardless of case: compare them that way.
            (Caller::User(user), PrincipalKind::User) => user.eq_ignore_ascii_case(name),
            (Caller::Role(role), PrincipalKind::Role) => role.eq_ignore_ascii_case(name),
            _ => false,
        };
        if is_caller {
            return Some("the caller's own principal (self-lockout guard)".to_string());
        }
        if self
            .break_glass
            .iter()
            .any(|(k, n)| *k == kind && n.eq_ignore_ascii_case(name))
        {
            return Some("break-glass principal (config)".to_string());
        }
        self.upstream
            .iter()
            .find(|(k, n, _)| *k == kind && n.eq_ignore_ascii_case(name))
            .map(|(_, _, why)| why.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_callers_instance_is_its_session_name_when_ec2_named_it() {
        let instance = |arn: &str| Guard::new(arn, &[]).caller_instance().map(str::to_string);
        assert_eq!(
            instance("arn:aws:sts::123456789012:assumed-role/ir/i-0abc123def4567890"),
            Some("i-0abc123def4567890".to_string())
        );
        assert_eq!(
            instance("arn:aws-cn:sts::123456789012:assumed-role/ir/i-1"),
            Some("i-1".to_string())
        );
        for other in [
            "arn:aws:sts::123456789012:assumed-role/ir/jo@example.com",
            "arn:aws:sts::123456789012:assumed-role/ir/i-",
            "arn:aws:sts::123456789012:assumed-role/ir/i-xyz",
            "arn:aws:iam::123456789012:user/i-1",
            "arn:aws:iam::123456789012:role/i-1",
        ] {
            assert_eq!(instance(other), None, "{other}");
        }
    }

    #[test]
    fn callers() {
        let cases = [
            (
                "arn:aws:iam::123456789012:user/responder",
                Caller::User("responder".into()),
            ),
            (
                "arn:aws:iam::123456789012:user/ops/oncall",
                Caller::User("oncall".into()),
            ),
            (
                "arn:aws:sts::123456789012:assumed-role/IncidentResponse/jo@example.com",
                Caller::Role("IncidentResponse".into()),
            ),
            ("arn:aws:iam::123456789012:root", Caller::Root),
            (
                "arn:aws:iam::123456789012:role/ops/Deployer",
                Caller::Role("Deployer".into()),
            ),
        ];
        for (arn, caller) in cases {
            assert_eq!(Caller::from_arn(arn), caller, "{arn}");
        }
        assert!(matches!(
            Caller::from_arn("arn:aws:sts::123456789012:federated-user/bob"),
            Caller::Other(_)
        ));
    }

    #[test]
    fn exemptions() {
        let guard = Guard::new(
            "arn:aws:sts::123456789012:assumed-role/IncidentResponse/jo",
            &["user/break-glass".into(), "role/Emergency".into()],
        );
        let exempt = |kind, name, path| guard.exemption(kind, name, Some(path)).is_some();
        assert!(exempt(PrincipalKind::Role, "IncidentResponse", "/"));
        assert!(
            exempt(PrincipalKind::Role, "incidentresponse", "/"),
            "IAM names ignore case"
        );
        assert!(exempt(PrincipalKind::Role, "EMERGENCY", "/"));
        assert!(!exempt(PrincipalKind::User, "IncidentResponse", "/"));
        assert!(exempt(PrincipalKind::User, "break-glass", "/"));
        assert!(exempt(PrincipalKind::Role, "Emergency", "/"));
        assert!(exempt(
            PrincipalKind::Role,
            "AWSServiceRoleForSupport",
            "/aws-service-role/support.amazonaws.com/"
        ));
        assert!(!exempt(PrincipalKind::User, "mallory", "/"));
        // A read path decides; the name alone decides only where the path is not known.
        assert!(!exempt(
            PrincipalKind::Role,
            "AWSServiceRoleForBackdoor",
            "/"
        ));
        assert!(
            guard
                .exemption(PrincipalKind::Role, "AWSServiceRoleForSupport", None)
                .is_some_and(|why| why.contains("service-linked"))
        );
        assert_eq!(guard.exemption(PrincipalKind::Role, "app", None), None);
        assert_eq!(
            guard.exemption(PrincipalKind::User, "AWSServiceRoleForSupport", None),
            None
        );
    }

    #[test]
    fn a_user_caller_and_user_break_glass_are_kept_in_any_case() {
        let guard = Guard::new(
            "arn:aws:iam::123456789012:user/ops/Responder",
            &["user/Break-Glass".into()],
        );
        for name in ["Responder", "responder", "RESPONDER"] {
            assert!(
                guard
                    .exemption(PrincipalKind::User, name, Some("/"))
                    .is_some_and(|why| why.contains("caller")),
                "{name}"
            );
        }
        assert!(
            guard
                .exemption(PrincipalKind::User, "break-glass", None)
                .is_some_and(|why| why.contains("break-glass"))
        );
        assert_eq!(
            guard.exemption(PrincipalKind::Role, "responder", None),
            None
        );
        assert_eq!(
            guard.exemption(PrincipalKind::User, "responder2", None),
            None
        );
        let upstream = Guard::new("arn:aws:sts::123456789012:assumed-role/oncall/jo", &[])
            .with_caller_trust(
                "123456789012",
                &["arn:aws:iam::123456789012:user/Jo".into()],
            );
        assert!(
            upstream
                .exemption(PrincipalKind::User, "JO", None)
                .is_some()
        );
        // Trust of another kind of caller (a user) adds nothing.
        let user = Guard::new("arn:aws:iam::123456789012:user/alice", &[]).with_caller_trust(
            "123456789012",
            &["arn:aws:iam::123456789012:user/jo".into()],
        );
        assert_eq!(user.exemption(PrincipalKind::User, "jo", None), None);
    }

    #[test]
    fn break_glass_entries() {
        assert_eq!(
            parse_principal("user/a"),
            Ok((PrincipalKind::User, "a".into()))
        );
        for bad in ["a", "group/a", "user/", "role/a/b"] {
            assert!(parse_principal(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn what_the_callers_role_trusts_in_this_account_is_kept() {
        let guard = Guard::new("arn:aws:sts::123456789012:assumed-role/oncall/jo", &[])
            .with_caller_trust(
                "123456789012",
                &[
                    "arn:aws:iam::123456789012:user/jo".into(),
                    "arn:aws:iam::123456789012:role/path/bastion".into(),
                    "arn:aws:iam::999988887777:user/partner".into(),
                ],
            );
        assert!(
            guard
                .exemption(PrincipalKind::User, "jo", Some("/"))
                .is_some_and(|why| why.contains("assuming oncall again"))
        );
        assert!(
            guard
                .exemption(PrincipalKind::Role, "bastion", Some("/path/"))
                .is_some()
        );
        assert_eq!(
            guard.exemption(PrincipalKind::User, "partner", Some("/")),
            None
        );
        assert!(guard.knows_caller());
        let federated = Guard::new("arn:aws:sts::123456789012:federated-user/jo", &[]);
        assert!(!federated.knows_caller() && !federated.has_break_glass());
        assert!(
            Guard::new("arn:aws:iam::123456789012:user/a", &["role/bg".into()]).has_break_glass()
        );
    }

    #[test]
    fn a_plan_that_would_deny_the_caller_now_is_named() {
        use crate::model::Identity;
        use crate::model::operation::Operation;
        use crate::playbook::plan::{Playbook, Step};
        let deny = |user: &str| {
            Step::global(
                0,
                Operation::PutUserPolicy {
                    user: user.into(),
                    policy_name: "firebreak-freeze".into(),
                    document: "{}".into(),
                },
                None,
            )
        };
        // Planned by alice, who exempted herself; bob runs it.
        let plan = Plan::new(
            "s-1".into(),
            Playbook::Freeze,
            Identity {
                id: "123456789012".into(),
                alias: None,
                caller_arn: "arn:aws:iam::123456789012:user/alice".into(),
            },
            chrono::Utc::now(),
            vec![deny("bob"), deny("mallory")],
        );
        let bob = Guard::new("arn:aws:iam::123456789012:user/bob", &[]);
        assert_eq!(
            bob.denied_in(&plan),
            ["step 1: user/bob (the caller's own principal (self-lockout guard))"]
        );
        let alice = Guard::new("arn:aws:iam::123456789012:user/alice", &[]);
        assert!(alice.denied_in(&plan).is_empty());
        // A role at `/` named as AWS names service-linked roles was planned (its path said it
        // is not one): the re-check does not refuse the plan over its name.
        let mut backdoor = plan.clone();
        backdoor.push(Step::global(
            0,
            Operation::PutRolePolicy {
                role: "AWSServiceRoleForBackdoor".into(),
                policy_name: "firebreak-freeze".into(),
                document: "{}".into(),
            },
            None,
        ));
        assert!(alice.denied_in(&backdoor).is_empty());
    }
}
