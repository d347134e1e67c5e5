//! The scan's inventory by the names findings give its items, so that the details pane, the list
//! rows and the time sort find an item in constant time instead of walking an inventory that can
//! hold 100,000 items.

use std::collections::HashMap;

use firebreak_core::model::database::{Database, DbSnapshot};
use firebreak_core::model::storage::Bucket;
use firebreak_core::model::{
    AccessKey, ApiKey, Function, Image, Instance, Inventory, Role, Snapshot, User,
};

/// Positions by region, then id.
type ByRegion = HashMap<String, HashMap<String, usize>>;

/// Where each item of an inventory is: IAM items by name (or key id), the rest by region and id.
/// Where a name repeats, the first item counts, as a walk would find it.
#[derive(Debug, Clone, Default)]
pub struct InventoryIndex {
    users: HashMap<String, usize>,
    access_keys: HashMap<String, usize>,
    /// Each user's keys, in inventory order.
    keys_by_user: HashMap<String, Vec<usize>>,
    roles: HashMap<String, usize>,
    functions: ByRegion,
    snapshots: ByRegion,
    images: ByRegion,
    instances: ByRegion,
    api_keys: ByRegion,
    buckets: ByRegion,
    databases: ByRegion,
    db_snapshots: ByRegion,
}

fn by_name<'a>(names: impl Iterator<Item = &'a str>) -> HashMap<String, usize> {
    let mut index = HashMap::new();
    for (position, name) in names.enumerate() {
        index.entry(name.to_string()).or_insert(position);
    }
    index
}

fn by_region<'a>(items: impl Iterator<Item = (&'a str, &'a str)>) -> ByRegion {
    let mut index = ByRegion::new();
    for (position, (region, id)) in items.enumerate() {
        index
            .entry(region.to_string())
            .or_default()
            .entry(id.to_string())
            .or_insert(position);
    }
    index
}

impl InventoryIndex {
    /// Indexes `inventory` as it is now.
    pub fn of(inventory: &Inventory) -> Self {
        let mut keys_by_user: HashMap<String, Vec<usize>> = HashMap::new();
        for (position, key) in inventory.access_keys.iter().enumerate() {
            keys_by_user
                .entry(key.user.clone())
                .or_default()
                .push(position);
        }
        InventoryIndex {
            users: by_name(inventory.users.iter().map(|u| u.name.as_str())),
            access_keys: by_name(inventory.access_keys.iter().map(|k| k.id.as_str())),
            keys_by_user,
            roles: by_name(inventory.roles.iter().map(|r| r.name.as_str())),
            functions: by_region(
                inventory
                    .functions
                    .iter()
                    .map(|f| (f.region.as_str(), f.name.as_str())),
            ),
            snapshots: by_region(
                inventory
                    .snapshots
                    .iter()
                    .map(|s| (s.region.as_str(), s.id.as_str())),
            ),
            images: by_region(
                inventory
                    .images
                    .iter()
                    .map(|i| (i.region.as_str(), i.id.as_str())),
            ),
            instances: by_region(
                inventory
                    .instances
                    .iter()
                    .map(|i| (i.region.as_str(), i.id.as_str())),
            ),
            api_keys: by_region(
                inventory
                    .api_keys
                    .iter()
                    .map(|k| (k.region.as_str(), k.id.as_str())),
            ),
            buckets: by_region(
                inventory
                    .buckets
                    .iter()
                    .map(|b| (b.region.as_str(), b.name.as_str())),
            ),
            databases: by_region(
                inventory
                    .databases
                    .iter()
                    .map(|d| (d.region.as_str(), d.id.as_str())),
            ),
            db_snapshots: by_region(
                inventory
                    .db_snapshots
                    .iter()
                    .map(|s| (s.region.as_str(), s.id.as_str())),
            ),
        }
    }
}

/// An inventory with its index. Each answer is checked against the item found, so an index
/// older than its inventory answers `None`, never an item with another name.
#[derive(Debug, Clone, Copy)]
pub struct Lookup<'a> {
    inventory: &'a Inventory,
    index: &'a InventoryIndex,
}

/// The item the index places at `region` and `id`, if it is still there.
fn regional<'a, T>(
    items: &'a [T],
    index: &ByRegion,
    region: &str,
    id: &str,
    key: impl Fn(&T) -> (&str, &str),
) -> Option<&'a T> {
    let position = *index.get(region)?.get(id)?;
    items.get(position).filter(|item| key(item) == (region, id))
}

impl<'a> Lookup<'a> {
    pub fn new(inventory: &'a Inventory, index: &'a InventoryIndex) -> Self {
        Lookup { inventory, index }
    }

    pub fn user(self, name: &str) -> Option<&'a User> {
        let position = *self.index.users.get(name)?;
        self.inventory
            .users
            .get(position)
            .filter(|u| u.name == name)
    }

    pub fn access_key(self, id: &str) -> Option<&'a AccessKey> {
        let position = *self.index.access_keys.get(id)?;
        self.inventory
            .access_keys
            .get(position)
            .filter(|k| k.id == id)
    }

    /// The keys of `user`, in inventory order.
    pub fn keys_of(self, user: &str) -> impl Iterator<Item = &'a AccessKey> {
        let keys = &self.inventory.access_keys;
        self.index
            .keys_by_user
            .get(user)
            .into_iter()
            .flatten()
            .filter_map(|&position| keys.get(position))
            .filter(move |k| k.user == user)
    }

    pub fn role(self, name: &str) -> Option<&'a Role> {
        let position = *self.index.roles.get(name)?;
        self.inventory
            .roles
            .get(position)
            .filter(|r| r.name == name)
    }

    pub fn function(self, region: &str, name: &str) -> Option<&'a Function> {
        regional(
            &self.inventory.functions,
            &self.index.functions,
            region,
            name,
            |f| (f.region.as_str(), f.name.as_str()),
        )
    }

    pub fn snapshot(self, region: &str, id: &str) -> Option<&'a Snapshot> {
        regional(
            &self.inventory.snapshots,
            &self.index.snapshots,
            region,
            id,
            |s| (s.region.as_str(), s.id.as_str()),
        )
    }

    pub fn image(self, region: &str, id: &str) -> Option<&'a Image> {
        regional(
            &self.inventory.images,
            &self.index.images,
            region,
            id,
            |i| (i.region.as_str(), i.id.as_str()),
        )
    }

    pub fn instance(self, region: &str, id: &str) -> Option<&'a Instance> {
        regional(
            &self.inventory.instances,
            &self.index.instances,
            region,
            id,
            |i| (i.region.as_str(), i.id.as_str()),
        )
    }

    pub fn api_key(self, region: &str, id: &str) -> Option<&'a ApiKey> {
        regional(
            &self.inventory.api_keys,
            &self.index.api_keys,
            region,
            id,
            |k| (k.region.as_str(), k.id.as_str()),
        )
    }

    pub fn bucket(self, region: &str, name: &str) -> Option<&'a Bucket> {
        regional(
            &self.inventory.buckets,
            &self.index.buckets,
            region,
            name,
            |b| (b.region.as_str(), b.name.as_str()),
        )
    }

    pub fn database(self, region: &str, id: &str) -> Option<&'a Database> {
        regional(
            &self.inventory.databases,
            &self.index.databases,
            region,
            id,
            |d| (d.region.as_str(), d.id.as_str()),
        )
    }

    pub fn db_snapshot(self, region: &str, id: &str) -> Option<&'a DbSnapshot> {
        regional(
            &self.inventory.db_snapshots,
            &self.index.db_snapshots,
            region,
            id,
            |s| (s.region.as_str(), s.id.as_str()),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use firebreak_core::model::{GLOBAL, KeyStatus};

    fn key(id: &str, user: &str) -> AccessKey {
        AccessKey {
            region: GLOBAL.into(),
            id: id.into(),
            user: user.into(),
            status: KeyStatus::Active,
            created: None,
            last_used: None,
        }
    }

    fn snapshot(region: &str, id: &str) -> Snapshot {
        Snapshot {
            region: region.into(),
            id: id.into(),
            volume_id: None,
            size_gib: None,
            encrypted: false,
            started: None,
            sharing: Default::default(),
        }
    }

    #[test]
    fn finds_what_a_walk_finds_and_never_another_item_when_the_inventory_changed() {
        let inventory = Inventory {
            access_keys: vec![
                key("AKIA1", "alice"),
                key("AKIA2", "bob"),
                key("AKIA3", "alice"),
            ],
            snapshots: vec![
                snapshot("us-east-1", "snap-1"),
                snapshot("eu-west-1", "snap-1"),
            ],
            ..Inventory::default()
        };
        let index = InventoryIndex::of(&inventory);
        let lookup = Lookup::new(&inventory, &index);
        assert_eq!(
            lookup.access_key("AKIA2").map(|k| k.user.as_str()),
            Some("bob")
        );
        let alice: Vec<&str> = lookup.keys_of("alice").map(|k| k.id.as_str()).collect();
        assert_eq!(alice, ["AKIA1", "AKIA3"]);
        assert_eq!(
            lookup.snapshot("eu-west-1", "snap-1"),
            inventory.snapshots.get(1)
        );
        assert_eq!(lookup.snapshot("ap-south-1", "snap-1"), None);
        assert_eq!(lookup.user("alice"), None);
        // An index of the inventory before it was sorted answers nothing rather than the wrong
        // item.
        let mut sorted = inventory.clone();
        sorted.sort();
        let stale = Lookup::new(&sorted, &index);
        assert_eq!(stale.access_key("AKIA2"), None);
        assert_eq!(stale.snapshot("eu-west-1", "snap-1"), None);
    }
}
