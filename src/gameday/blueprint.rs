//! A scenario made concrete by a seed: every name, region and count picked, the partner and the
//! outsider accounts drawn. The same seed gives the same blueprint; another seed, another night.

use serde::{Deserialize, Serialize};

use super::scenario::{Containment, Count, Do, Located, Party, RegionSet, Regions, Scenario, Step};

/// One resource placed in a region.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Placed {
    pub region: String,
    pub name: String,
}

/// What a step does, with everything picked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "do", rename_all = "kebab-case")]
pub enum Act {
    CreateUsers {
        names: Vec<String>,
        admin: bool,
        keys: u32,
        console: bool,
    },
    CreateRole {
        name: String,
        trust: Party,
        admin: bool,
    },
    CreateFunctions {
        functions: Vec<Placed>,
        /// The step whose role they run as.
        role: String,
    },
    CreateSnapshots {
        /// Region and description of each.
        snapshots: Vec<Placed>,
        share: Option<Party>,
    },
    CreateImage {
        image: Placed,
    },
    ShareSnapshot {
        snapshots: String,
        with: Party,
    },
    ShareImage {
        image: String,
        with: Party,
    },
    WidenTrust {
        role: String,
        to: Party,
    },
    DeleteSnapshots {
        snapshots: String,
    },
    CreateBuckets {
        /// Region and name of each (the run's id is added to the name when it is made:
        /// bucket names are global).
        buckets: Vec<Placed>,
        objects: u32,
    },
    ShareBucket {
        bucket: String,
        with: Party,
    },
    WipeBucket {
        bucket: String,
    },
    DeleteBuckets {
        bucket: String,
    },
    CreateDatabase {
        database: Placed,
    },
    ShareDbSnapshot {
        database: String,
        with: Party,
    },
    MakeDatabasePublic {
        database: String,
    },
}

/// One step to detonate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Planned {
    pub id: String,
    /// An attacker's step (after the baseline is captured), not the estate's.
    pub attack: bool,
    /// The create-users step whose first key makes the calls; `None`: the responder's.
    pub actor: Option<String>,
    pub contain: Option<Containment>,
    pub act: Act,
}

/// A scenario with everything picked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Blueprint {
    pub scenario: String,
    pub seed: u64,
    /// The partner account the estate shares with and trusts.
    pub partner: String,
    /// The account nobody knows.
    pub outsider: String,
    /// The regions the estate uses; the first is home.
    pub estate_regions: Vec<String>,
    /// Enabled regions the estate does not use.
    pub unused_regions: Vec<String>,
    pub steps: Vec<Planned>,
    /// The caller's partition (`aws`, `aws-cn`, `aws-us-gov`), for the ARNs a run writes.
    #[serde(default = "commercial")]
    pub partition: String,
}

/// The partition a blueprint recorded before partitions were recorded was in.
fn commercial() -> String {
    "aws".to_string()
}

impl Blueprint {
    /// The caller's partition: the ARNs a run writes are this partition's.
    pub fn partition(&self) -> &str {
        &self.partition
    }

    /// The account a party stands for (`None` for the Lambda service and the public).
    pub fn account(&self, party: Party) -> Option<&str> {
        match party {
            Party::Partner => Some(&self.partner),
            Party::Outsider => Some(&self.outsider),
            Party::Lambda | Party::Public => None,
        }
    }

    /// The steps that make a role assumable by every AWS account (a trust to the public):
    /// `step id (role)`. On the emulator that is a drill; anywhere else, with an administrator
    /// role, it hands the account to anyone.
    pub fn public_trusts(&self) -> Vec<String> {
        self.steps
            .iter()
            .filter_map(|step| match &step.act {
                Act::CreateRole {
                    name,
                    trust: Party::Public,
                    ..
                } => Some(format!("{} (role {name})", step.id)),
                Act::WidenTrust {
                    role,
                    to: Party::Public,
                } => Some(format!("{} (the role of step {role})", step.id)),
                _ => None,
            })
            .collect()
    }

    /// Every region a step places something in.
    pub fn regions(&self) -> std::collections::BTreeSet<String> {
        self.steps
            .iter()
            .flat_map(|step| match &step.act {
                Act::CreateFunctions {
                    functions: placed, ..
                }
                | Act::CreateSnapshots {
                    snapshots: placed, ..
                }
                | Act::CreateBuckets {
                    buckets: placed, ..
                } => placed.iter().map(|p| p.region.clone()).collect(),
                Act::CreateImage { image } | Act::CreateDatabase { database: image } => {
                    vec![image.region.clone()]
                }
                _ => Vec::new(),
            })
            .collect()
    }

    #[cfg(test)]
    pub fn step(&self, id: &str) -> Option<&Planned> {
        self.steps.iter().find(|s| s.id == id)
    }
}

/// The partner and the outsider accounts, when given (accounts the operator owns, for a
/// sandbox away from the emulator); else they are drawn.
#[derive(Debug, Clone, Copy, Default)]
pub struct Parties<'a> {
    pub partner: Option<&'a str>,
    pub outsider: Option<&'a str>,
    /// The caller's partition; `aws` when not named.
    pub partition: Option<&'a str>,
}

/// Picks everything in `scenario` with `seed`. `enabled` are the account's enabled regions;
/// `own_account` is never drawn as the partner or the outsider.
pub fn expand(
    scenario: &Scenario,
    seed: u64,
    enabled: &[String],
    own_account: &str,
    parties: Parties,
) -> Result<Blueprint, String> {
    let mut rng = fastrand::Rng::with_seed(seed);
    let candidates: Vec<&String> = scenario
        .estate_regions
        .from
        .iter()
        .filter(|r| enabled.contains(r))
        .collect();
    let (fewest, _) = scenario.estate_regions.pick.bounds();
    if candidates.len() < fewest as usize {
        return Err(format!(
            "the estate needs {fewest} of the regions {} enabled; this account has {} of them",
            scenario.estate_regions.from.join(", "),
            candidates.len()
        ));
    }
    // As many as picked, or as many as the account has (at least the fewest the estate needs).
    let wanted =
        (pick_count(&mut rng, scenario.estate_regions.pick) as usize).min(candidates.len());
    let estate_regions: Vec<String> = rng
        .choose_multiple(candidates, wanted)
        .into_iter()
        .cloned()
        .collect();
    let unused_regions: Vec<String> = enabled
        .iter()
        .filter(|r| !estate_regions.contains(r))
        .cloned()
        .collect();
    let drawn_partner = account_id(&mut rng, &[own_account]);
    let drawn_outsider = account_id(&mut rng, &[own_account, &drawn_partner]);
    let partner = parties.partner.map_or(drawn_partner, str::to_string);
    let outsider = parties.outsider.map_or(drawn_outsider, str::to_string);
    if partner == outsider || partner == own_account || outsider == own_account {
        return Err(format!(
            "the partner ({partner}), the outsider ({outsider}) and the sandbox ({own_account}) must be three different accounts"
        ));
    }
    let mut blueprint = Blueprint {
        scenario: scenario.name.clone(),
        seed,
        partner,
        outsider,
        estate_regions,
        unused_regions,
        steps: Vec::new(),
        partition: parties.partition.unwrap_or("aws").to_string(),
    };
    let estate = scenario.estate.iter().map(|s| (s, false));
    let attack = scenario.attack.iter().map(|s| (s, true));
    for (located, is_attack) in estate.chain(attack) {
        let act = pick_act(&mut rng, located, &blueprint)?;
        blueprint.steps.push(Planned {
            id: located.step.id.clone(),
            attack: is_attack,
            actor: located.step.actor.clone(),
            contain: located.step.contain,
            act,
        });
    }
    Ok(blueprint)
}

/// A generator for one step alone, from the run's seed and the step's id.
fn step_rng(seed: u64, id: &str) -> fastrand::Rng {
    let mixed = id
        .bytes()
        .fold(seed, |acc, b| acc.rotate_left(5) ^ u64::from(b));
    fastrand::Rng::with_seed(mixed)
}

fn pick_count(rng: &mut fastrand::Rng, count: Count) -> u32 {
    let (low, high) = count.bounds();
    rng.u32(low..=high)
}

/// A 12-digit account id, none of `not`.
fn account_id(rng: &mut fastrand::Rng, not: &[&str]) -> String {
    loop {
        let id = format!("{:012}", rng.u64(100_000_000_000..1_000_000_000_000));
        if !not.contains(&id.as_str()) {
            return id;
        }
    }
}

/// `count` distinct names from the step's list (numbered when the list runs out).
fn pick_names(rng: &mut fastrand::Rng, step: &Step, count: usize) -> Vec<String> {
    let choices = step.names.as_ref().map(|n| n.choices()).unwrap_or_default();
    let mut shuffled: Vec<String> = choices.to_vec();
    rng.shuffle(&mut shuffled);
    (0..count)
        .map(|i| match shuffled.get(i % shuffled.len().max(1)) {
            Some(name) if i < shuffled.len() => name.clone(),
            Some(name) => format!("{name}-{}", i / shuffled.len() + 1),
            None => format!("{}-{i}", step.id),
        })
        .collect()
}

fn regions_of(step: &Step, blueprint: &Blueprint) -> Vec<String> {
    match &step.regions {
        Some(Regions::Named(RegionSet::Home)) => blueprint
            .estate_regions
            .first()
            .cloned()
            .into_iter()
            .collect(),
        Some(Regions::Named(RegionSet::Estate)) => blueprint.estate_regions.clone(),
        Some(Regions::Named(RegionSet::Unused)) => blueprint.unused_regions.clone(),
        Some(Regions::List(list)) => list.clone(),
        None => Vec::new(),
    }
}

/// `names` spread over `regions` round-robin, from a seeded offset.
fn place(rng: &mut fastrand::Rng, regions: &[String], names: Vec<String>) -> Vec<Placed> {
    let offset = rng.usize(..regions.len().max(1));
    names
        .into_iter()
        .enumerate()
        .filter_map(|(i, name)| {
            regions
                .get((offset + i) % regions.len().max(1))
                .map(|region| Placed {
                    region: region.clone(),
                    name,
                })
        })
        .collect()
}

fn pick_act(
    rng: &mut fastrand::Rng,
    located: &Located,
    blueprint: &Blueprint,
) -> Result<Act, String> {
    let step = &located.step;
    let count = step.count.map_or(1, |c| pick_count(rng, c)) as usize;
    // Every field read below was checked by scenario::check for this kind of step.
    let reference = |field: &Option<String>| field.clone().unwrap_or_default();
    let regions = regions_of(step, blueprint);
    let placed_kind = matches!(
        step.act,
        Do::CreateFunctions
            | Do::CreateSnapshots
            | Do::CreateImage
            | Do::CreateBuckets
            | Do::CreateDatabase
    );
    if placed_kind && regions.is_empty() {
        return Err(format!(
            "{}: step '{}' has no region to go to (every enabled region is in use?)",
            located.at, step.id
        ));
    }
    Ok(match step.act {
        Do::CreateUsers => Act::CreateUsers {
            names: pick_names(rng, step, count),
            admin: step.admin,
            keys: step.keys,
            console: step.console,
        },
        Do::CreateRole => Act::CreateRole {
            name: pick_names(rng, step, 1).remove(0),
            trust: step.trust.unwrap_or(Party::Lambda),
            admin: step.admin,
        },
        Do::CreateFunctions => {
            let functions = if step.count.is_some() {
                let names = pick_names(rng, step, count);
                place(rng, &regions, names)
            } else {
                let name = pick_names(rng, step, 1).remove(0);
                regions
                    .iter()
                    .map(|region| Placed {
                        region: region.clone(),
                        name: name.clone(),
                    })
                    .collect()
            };
            Act::CreateFunctions {
                functions,
                role: reference(&step.role),
            }
        }
        Do::CreateSnapshots => {
            let names = pick_names(rng, step, count);
            Act::CreateSnapshots {
                snapshots: place(rng, &regions, names),
                share: step.share,
            }
        }
        Do::CreateImage => {
            let names = pick_names(rng, step, 1);
            Act::CreateImage {
                image: place(rng, &regions, names).remove(0),
            }
        }
        Do::ShareSnapshot => Act::ShareSnapshot {
            snapshots: reference(&step.snapshot),
            with: step.with.unwrap_or(Party::Public),
        },
        Do::ShareImage => Act::ShareImage {
            image: reference(&step.image),
            with: step.with.unwrap_or(Party::Public),
        },
        Do::WidenTrust => Act::WidenTrust {
            role: reference(&step.role),
            to: step.to.unwrap_or(Party::Outsider),
        },
        Do::DeleteSnapshots => Act::DeleteSnapshots {
            snapshots: reference(&step.snapshots),
        },
        // Picked with a generator of the step's own: the steps before it picked the same as
        // before buckets were added, and so do the steps after.
        Do::CreateBuckets => {
            let mut own = step_rng(blueprint.seed, &step.id);
            let count = step.count.map_or(1, |c| pick_count(&mut own, c)) as usize;
            let names = pick_names(&mut own, step, count);
            Act::CreateBuckets {
                buckets: place(&mut own, &regions, names),
                objects: step.objects.unwrap_or(0),
            }
        }
        Do::ShareBucket => Act::ShareBucket {
            bucket: reference(&step.bucket),
            with: step.with.unwrap_or(Party::Public),
        },
        Do::WipeBucket => Act::WipeBucket {
            bucket: reference(&step.bucket),
        },
        Do::DeleteBuckets => Act::DeleteBuckets {
            bucket: reference(&step.bucket),
        },
        // A generator of its own, like buckets: the other steps pick as before.
        Do::CreateDatabase => {
            let mut own = step_rng(blueprint.seed, &step.id);
            let names = pick_names(&mut own, step, 1);
            let mut placed = place(&mut own, &regions, names);
            Act::CreateDatabase {
                database: placed.remove(0),
            }
        }
        Do::ShareDbSnapshot => Act::ShareDbSnapshot {
            database: reference(&step.database),
            with: step.with.unwrap_or(Party::Public),
        },
        Do::MakeDatabasePublic => Act::MakeDatabasePublic {
            database: reference(&step.database),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gameday::scenario;

    fn enabled() -> Vec<String> {
        [
            "us-east-1",
            "us-east-2",
            "us-west-1",
            "us-west-2",
            "eu-west-1",
            "eu-central-1",
            "ap-south-1",
            "ap-southeast-2",
            "sa-east-1",
        ]
        .map(String::from)
        .to_vec()
    }

    #[test]
    fn one_seed_gives_one_blueprint_and_seeds_differ() {
        let full = scenario::load("full-breach").expect("scenario");
        let first =
            expand(&full, 7, &enabled(), "123456789012", Parties::default()).expect("expand");
        assert_eq!(
            first,
            expand(&full, 7, &enabled(), "123456789012", Parties::default()).expect("again")
        );
        let others: Vec<Blueprint> = [1, 2, 3]
            .iter()
            .map(|seed| {
                expand(&full, *seed, &enabled(), "123456789012", Parties::default())
                    .expect("expand")
            })
            .collect();
        assert!(others.iter().all(|o| o.steps != first.steps));
        assert!(
            others
                .iter()
                .any(|o| o.estate_regions != first.estate_regions),
            "regions never vary"
        );
    }

    #[test]
    fn rogue_functions_go_to_every_enabled_region_the_estate_does_not_use() {
        let leaked = scenario::load("leaked-keys-lambdas").expect("scenario");
        for seed in 0..20 {
            let blueprint = expand(
                &leaked,
                seed,
                &enabled(),
                "123456789012",
                Parties::default(),
            )
            .expect("expand");
            assert!((2..=3).contains(&blueprint.estate_regions.len()));
            assert_ne!(blueprint.partner, blueprint.outsider);
            let Some(Act::CreateFunctions { functions, .. }) =
                blueprint.step("rogue-functions").map(|s| &s.act)
            else {
                panic!("no rogue functions");
            };
            let mut regions: Vec<&str> = functions.iter().map(|f| f.region.as_str()).collect();
            regions.sort();
            let all = enabled();
            let mut expected: Vec<&str> = all
                .iter()
                .filter(|r| !blueprint.estate_regions.contains(r))
                .map(String::as_str)
                .collect();
            expected.sort();
            assert_eq!(regions, expected);
            let Some(Act::CreateFunctions { functions, .. }) =
                blueprint.step("functions").map(|s| &s.act)
            else {
                panic!("no estate functions");
            };
            assert!(
                functions
                    .iter()
                    .all(|f| blueprint.estate_regions.contains(&f.region))
            );
        }
    }

    #[test]
    fn named_partner_and_outsider_accounts_are_used_and_must_differ() {
        let scenario = scenario::load("console-takeover").expect("scenario");
        let owned = Parties {
            partner: Some("111111111111"),
            outsider: Some("222222222222"),
            partition: None,
        };
        let blueprint =
            expand(&scenario, 9, &enabled(), "123456789012", owned).expect("named accounts");
        assert_eq!(
            (blueprint.partner.as_str(), blueprint.outsider.as_str()),
            ("111111111111", "222222222222")
        );
        let same = Parties {
            partner: Some("111111111111"),
            outsider: Some("111111111111"),
            partition: None,
        };
        assert!(expand(&scenario, 9, &enabled(), "123456789012", same).is_err());
        let own = Parties {
            partner: Some("123456789012"),
            outsider: None,
            partition: None,
        };
        assert!(expand(&scenario, 9, &enabled(), "123456789012", own).is_err());
    }

    #[test]
    fn an_account_without_the_estate_regions_is_an_error() {
        let scenario = scenario::load("snapshot-made-public").expect("scenario");
        let err = expand(
            &scenario,
            1,
            &["ap-east-1".to_string()],
            "123456789012",
            Parties::default(),
        )
        .expect_err("no estate region enabled");
        assert!(err.contains("needs 2 of the regions us-east-1"), "{err}");
        // Two of them are enough, whatever the seed wants.
        for seed in 0..10 {
            let two = ["eu-west-1".to_string(), "us-west-2".to_string()];
            let blueprint = expand(&scenario, seed, &two, "123456789012", Parties::default())
                .expect("two regions");
            assert_eq!(blueprint.estate_regions.len(), 2);
        }
    }
}
