//! What differs between a baseline and the account as a scan read it.

use super::*;

/// One difference between the baseline and the account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Difference {
    /// `+` in the account, not in the baseline; `-` in the baseline, gone from the account.
    pub change: char,
    pub what: &'static str,
    pub region: String,
    pub id: String,
}

/// What differs between `baseline` and `inventory`, sorted.
pub fn diff(baseline: &Baseline, inventory: &Inventory) -> Vec<Difference> {
    let mut out = Vec::new();
    let mut compare = |what: &'static str,
                       known: &BTreeMap<String, BTreeSet<String>>,
                       now: BTreeMap<String, BTreeSet<String>>| {
        let regions: BTreeSet<&String> = known.keys().chain(now.keys()).collect();
        for region in regions {
            let empty = BTreeSet::new();
            let before = known.get(region).unwrap_or(&empty);
            let after = now.get(region).unwrap_or(&empty);
            for id in after.difference(before) {
                out.push(Difference {
                    change: '+',
                    what,
                    region: region.clone(),
                    id: id.clone(),
                });
            }
            for id in before.difference(after).filter(|id| !has_glob(id)) {
                out.push(Difference {
                    change: '-',
                    what,
                    region: region.clone(),
                    id: id.clone(),
                });
            }
        }
    };
    let global = |ids: BTreeSet<String>| BTreeMap::from([(crate::model::GLOBAL.to_string(), ids)]);
    // Principals match patterns: an account item matched by a pattern is not "+".
    let unmatched = |known: &BTreeSet<String>, names: Vec<String>| -> BTreeSet<String> {
        names
            .into_iter()
            .filter(|n| !matches(known, n) || known.contains(n))
            .collect()
    };
    let p = &baseline.principals;
    compare(
        "user",
        &global(p.users.clone()),
        global(unmatched(
            &p.users,
            inventory.users.iter().map(|u| u.name.clone()).collect(),
        )),
    );
    compare(
        "role",
        &global(p.roles.clone()),
        global(unmatched(
            &p.roles,
            inventory.roles.iter().map(|r| r.name.clone()).collect(),
        )),
    );
    compare(
        "access_key",
        &global(p.access_keys.clone()),
        global(unmatched(
            &p.access_keys,
            inventory.access_keys.iter().map(|k| k.id.clone()).collect(),
        )),
    );
    let now = capture(
        inventory,
        &Identity {
            id: baseline.account_id.clone(),
            alias: None,
            caller_arn: String::new(),
        },
        Utc::now(),
    );
    compare(
        "function",
        &baseline.resources.functions,
        now.resources.functions,
    );
    compare(
        "snapshot",
        &baseline.resources.snapshots,
        now.resources.snapshots,
    );
    compare("image", &baseline.resources.images, now.resources.images);
    compare(
        "instance",
        &baseline.resources.instances,
        now.resources.instances,
    );
    // Sections a baseline captured before they existed are not compared: nothing is known.
    let names = |trails: &BTreeMap<String, BTreeMap<String, TrailSettings>>| {
        trails
            .iter()
            .map(|(region, by_name)| (region.clone(), by_name.keys().cloned().collect()))
            .collect::<ByRegion>()
    };
    let r = &baseline.resources;
    let sections = [
        (
            "trail",
            r.trails.as_ref().map(names),
            now.resources.trails.as_ref().map(names),
        ),
        ("detector", r.detectors.clone(), now.resources.detectors),
        (
            "open_ingress",
            r.open_ingress.clone(),
            now.resources.open_ingress,
        ),
        (
            "event_rule",
            r.event_rules.clone(),
            now.resources.event_rules,
        ),
        (
            "profile_association",
            r.profile_associations.clone(),
            now.resources.profile_associations,
        ),
        ("api_key", r.api_keys.clone(), now.resources.api_keys),
    ];
    for (what, known, found) in sections {
        if let Some(known) = known {
            compare(what, &known, found.unwrap_or_default());
        }
    }
    compare(
        "trusted_account",
        &global(baseline.trusted_accounts.clone()),
        global(now.trusted_accounts),
    );
    compare(
        "admin",
        &global(p.admins.clone()),
        global(unmatched(
            &p.admins,
            now.principals.admins.into_iter().collect(),
        )),
    );
    out
}
