//! The game-day gate: detonation and cleanup change an account, so they run only where that is
//! safe — a loopback endpoint (an emulator on this machine), or an account listed in the config's
//! `sandbox_accounts` whose id the operator types. Never in read-only mode.

use std::net::IpAddr;

use super::blueprint::Blueprint;
use crate::aws::sandbox::Sandbox;

/// Why the gate stayed shut.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GateError {
    #[error(
        "read-only mode (--read-only or config read_only): a game day changes the account, nothing was sent"
    )]
    ReadOnly,
    #[error(
        "refusing to {what} against {target}: it is not a loopback emulator and the config lists no sandbox_accounts. A game day creates users with administrator rights and makes data public: run it against the emulator (no --endpoint-url), or list a throw-away account in the config file's sandbox_accounts and type its id with --confirm"
    )]
    NoSandboxAccounts { what: &'static str, target: String },
    #[error(
        "refusing to {what} in account {account}: it is not in the config's sandbox_accounts ({listed})"
    )]
    NotASandbox {
        what: &'static str,
        account: String,
        listed: String,
    },
    #[error(
        "refusing to {what} in account {account} without its id typed: pass --confirm {account}"
    )]
    NotConfirmed { what: &'static str, account: String },
    #[error("refusing to {what} in account {account}: --confirm {typed} is not its id")]
    Mistyped {
        what: &'static str,
        account: String,
        typed: String,
    },
    #[error(
        "refusing to {what}: off the emulator a role may trust only the Lambda service and the [gameday] partner and outside accounts, and step(s) {steps} make a role assumable by every AWS account; nothing was sent"
    )]
    PublicTrust { what: &'static str, steps: String },
}

/// Off the emulator (`loopback` as [`precheck`] judged it), refuses a blueprint that would make a role trust the public (anyone with
/// an AWS account could assume it; a game day's roles may be administrators). Checked before
/// anything is sent. Its other trusts go to the Lambda service or to the partner and outside
/// accounts the config names.
pub fn refuse_public_trust(
    what: &'static str,
    loopback: bool,
    blueprint: &Blueprint,
) -> Result<(), GateError> {
    let public = blueprint.public_trusts();
    if loopback || public.is_empty() {
        return Ok(());
    }
    Err(GateError::PublicTrust {
        what,
        steps: public.join(", "),
    })
}

/// Whether `endpoint` (a URL) names this machine: `localhost`, 127.0.0.0/8 or ::1.
pub fn is_loopback(endpoint: &str) -> bool {
    let Ok(uri) = endpoint.parse::<hyper::Uri>() else {
        return false;
    };
    let Some(host) = uri.host() else {
        return false;
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// The checks that need no AWS call: not read-only, and either a loopback endpoint or some
/// sandbox accounts configured. `Ok(true)` when the endpoint is loopback (no more checks).
pub fn precheck(
    what: &'static str,
    read_only: bool,
    endpoint: Option<&str>,
    sandbox_accounts: &[String],
) -> Result<bool, GateError> {
    if read_only {
        return Err(GateError::ReadOnly);
    }
    if endpoint.is_some_and(is_loopback) {
        return Ok(true);
    }
    if sandbox_accounts.is_empty() {
        return Err(GateError::NoSandboxAccounts {
            what,
            target: match endpoint {
                Some(endpoint) => format!("the endpoint {endpoint}"),
                None => "real AWS".to_string(),
            },
        });
    }
    Ok(false)
}

/// The whole gate: [`precheck`], then (off loopback) the caller's `account` must be listed in
/// `sandbox_accounts` and typed in `typed`.
pub fn open(
    what: &'static str,
    read_only: bool,
    endpoint: Option<&str>,
    sandbox_accounts: &[String],
    account: &str,
    typed: Option<&str>,
) -> Result<Sandbox, GateError> {
    if precheck(what, read_only, endpoint, sandbox_accounts)? {
        return Ok(Sandbox::after_checks());
    }
    if !sandbox_accounts.iter().any(|a| a == account) {
        return Err(GateError::NotASandbox {
            what,
            account: account.to_string(),
            listed: sandbox_accounts.join(", "),
        });
    }
    match typed {
        None => Err(GateError::NotConfirmed {
            what,
            account: account.to_string(),
        }),
        Some(typed) if typed.trim() != account => Err(GateError::Mistyped {
            what,
            account: account.to_string(),
            typed: typed.to_string(),
        }),
        Some(_) => Ok(Sandbox::after_checks()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_this_machine_is_loopback() {
        for yes in [
            "http://127.0.0.1:5000",
            "http://localhost:4566",
            "http://LOCALHOST",
            "http://127.8.9.10:1",
            "http://[::1]:5000/",
        ] {
            assert!(is_loopback(yes), "{yes}");
        }
        for no in [
            "http://10.0.0.5:5000",
            "https://ec2.us-east-1.amazonaws.com",
            "http://localhost.evil.example",
            "http://[::2]:5000",
            "not a url",
            "http://0.0.0.0:5000",
        ] {
            assert!(!is_loopback(no), "{no}");
        }
    }

    #[test]
    fn off_loopback_no_role_may_trust_the_public() {
        use super::super::blueprint::{Act, Planned};
        use super::super::scenario::Party;
        let step = |id: &str, act| Planned {
            id: id.into(),
            attack: true,
            actor: None,
            contain: None,
            act,
        };
        let mut blueprint = Blueprint {
            scenario: "s".into(),
            seed: 1,
            partner: "111122223333".into(),
            outsider: "444455556666".into(),
            estate_regions: vec!["us-east-1".into()],
            unused_regions: Vec::new(),
            partition: "aws".into(),
            steps: vec![
                step(
                    "admin-role",
                    Act::CreateRole {
                        name: "ops".into(),
                        trust: Party::Partner,
                        admin: true,
                    },
                ),
                step(
                    "outsider",
                    Act::WidenTrust {
                        role: "admin-role".into(),
                        to: Party::Outsider,
                    },
                ),
            ],
        };
        assert_eq!(refuse_public_trust("detonate", false, &blueprint), Ok(()));
        blueprint.steps.push(step(
            "open-door",
            Act::WidenTrust {
                role: "admin-role".into(),
                to: Party::Public,
            },
        ));
        blueprint.steps.push(step(
            "front-door",
            Act::CreateRole {
                name: "door".into(),
                trust: Party::Public,
                admin: false,
            },
        ));
        let refused = refuse_public_trust("detonate", false, &blueprint).expect_err("public");
        assert_eq!(
            refused,
            GateError::PublicTrust {
                what: "detonate",
                steps: "open-door (the role of step admin-role), front-door (role door)".into()
            }
        );
        assert!(
            refused.to_string().contains("every AWS account"),
            "{refused}"
        );
        // On this machine's emulator it is a drill.
        assert_eq!(refuse_public_trust("detonate", true, &blueprint), Ok(()));
    }

    #[test]
    fn off_loopback_the_account_must_be_listed_and_typed() {
        let sandboxes = vec!["111122223333".to_string()];
        let remote = Some("http://10.0.0.5:5000");
        let open = |endpoint, listed: &[String], account, typed| {
            open("detonate", false, endpoint, listed, account, typed)
        };
        assert!(open(Some("http://127.0.0.1:1"), &[], "123456789012", None).is_ok());
        assert!(matches!(
            open(remote, &[], "111122223333", Some("111122223333")),
            Err(GateError::NoSandboxAccounts { .. })
        ));
        let real = open(None, &[], "111122223333", None).expect_err("real AWS");
        assert!(real.to_string().contains("against real AWS"), "{real}");
        assert!(matches!(
            open(remote, &sandboxes, "444455556666", Some("444455556666")),
            Err(GateError::NotASandbox { .. })
        ));
        assert!(matches!(
            open(remote, &sandboxes, "111122223333", None),
            Err(GateError::NotConfirmed { .. })
        ));
        assert!(matches!(
            open(remote, &sandboxes, "111122223333", Some("111122223334")),
            Err(GateError::Mistyped { .. })
        ));
        assert!(open(remote, &sandboxes, "111122223333", Some("111122223333")).is_ok());
        assert_eq!(
            super::open("detonate", true, Some("http://127.0.0.1:1"), &[], "1", None)
                .expect_err("read-only"),
            GateError::ReadOnly
        );
    }
}
