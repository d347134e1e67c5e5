//! Game-day scenarios as data: the TOML files under `assets/scenarios/` (built into the binary),
//! or a file given by path. Each lists steps — the peacetime estate's, then the attacker's — and
//! marks with `contain` the steps that leave an indicator a responder must contain. A file that
//! cannot be used is an error naming the file, line and column.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use firebreak_core::config::line_and_column;

/// The scenarios shipped with firebreak, by name: `(name, TOML text)`.
pub const BUILT_IN: &[(&str, &str)] = &[
    (
        "snapshot-made-public",
        include_str!("../../assets/scenarios/snapshot-made-public.toml"),
    ),
    (
        "leaked-keys-lambdas",
        include_str!("../../assets/scenarios/leaked-keys-lambdas.toml"),
    ),
    (
        "console-takeover",
        include_str!("../../assets/scenarios/console-takeover.toml"),
    ),
    (
        "bucket-ransom",
        include_str!("../../assets/scenarios/bucket-ransom.toml"),
    ),
    (
        "database-exposed",
        include_str!("../../assets/scenarios/database-exposed.toml"),
    ),
    (
        "full-breach",
        include_str!("../../assets/scenarios/full-breach.toml"),
    ),
];

/// The peacetime estate every scenario starts from.
pub const ESTATE: (&str, &str) = ("estate", include_str!("../../assets/scenarios/estate.toml"));

/// What a step does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Do {
    /// IAM users; `admin` attaches AdministratorAccess, `keys` access keys, `console` a password.
    CreateUsers,
    /// One IAM role trusting `trust`; `admin` attaches AdministratorAccess.
    CreateRole,
    /// Lambda functions running as `role`: `count` of them over `regions`, or without `count`
    /// one in every region of `regions`, all with one name.
    CreateFunctions,
    /// EBS snapshots (each of its own volume), optionally shared with `share`.
    CreateSnapshots,
    /// An AMI with one instance running from it.
    CreateImage,
    /// Adds `with` to the create-volume permissions of the snapshots of step `snapshot`.
    ShareSnapshot,
    /// Adds `with` to the launch permissions of the AMI of step `image`.
    ShareImage,
    /// Adds `to` to the trust policy of the role of step `role`.
    WidenTrust,
    /// Deletes the snapshots of step `snapshots`.
    DeleteSnapshots,
    /// S3 buckets in `regions`, each holding `objects` small objects; a name with `backups` in
    /// it is captured as holding backups.
    CreateBuckets,
    /// Opens the buckets of step `bucket` to `with` with a policy statement.
    ShareBucket,
    /// Deletes every object of the buckets of step `bucket` and leaves a ransom note.
    WipeBucket,
    /// Deletes the buckets of step `bucket`, objects and all (the Code Spaces ending).
    DeleteBuckets,
    /// A DB instance in `regions` (the first), private and protected, with a manual snapshot.
    CreateDatabase,
    /// Shares the manual snapshot of the database of step `database` with `with`.
    ShareDbSnapshot,
    /// Makes the database of step `database` reachable from the internet.
    MakeDatabasePublic,
}

impl Do {
    pub fn as_str(self) -> &'static str {
        match self {
            Do::CreateUsers => "create-users",
            Do::CreateRole => "create-role",
            Do::CreateFunctions => "create-functions",
            Do::CreateSnapshots => "create-snapshots",
            Do::CreateImage => "create-image",
            Do::ShareSnapshot => "share-snapshot",
            Do::ShareImage => "share-image",
            Do::WidenTrust => "widen-trust",
            Do::DeleteSnapshots => "delete-snapshots",
            Do::CreateBuckets => "create-buckets",
            Do::ShareBucket => "share-bucket",
            Do::WipeBucket => "wipe-bucket",
            Do::DeleteBuckets => "delete-buckets",
            Do::CreateDatabase => "create-database",
            Do::ShareDbSnapshot => "share-db-snapshot",
            Do::MakeDatabasePublic => "make-database-public",
        }
    }

    /// The playbook that contains what this step leaves, if anything can.
    fn containment(self) -> Option<Containment> {
        match self {
            Do::CreateUsers => Some(Containment::DisableUser),
            Do::CreateRole | Do::WidenTrust => Some(Containment::DisableRole),
            Do::CreateFunctions => Some(Containment::ContainFunctions),
            Do::CreateSnapshots
            | Do::ShareSnapshot
            | Do::ShareImage
            | Do::ShareBucket
            | Do::ShareDbSnapshot
            | Do::MakeDatabasePublic => Some(Containment::RevertSharing),
            Do::CreateImage
            | Do::DeleteSnapshots
            | Do::CreateBuckets
            | Do::WipeBucket
            | Do::DeleteBuckets
            | Do::CreateDatabase => None,
        }
    }
}

/// Who a trust or a share is with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Party {
    /// The Lambda service (trust only).
    Lambda,
    /// The partner account the estate trusts (in the baseline).
    Partner,
    /// An account nobody knows.
    Outsider,
    /// Everyone (shares only).
    Public,
}

/// The playbook a responder is expected to contain an indicator with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Containment {
    DisableUser,
    DisableRole,
    ContainFunctions,
    RevertSharing,
}

impl Containment {
    pub fn as_str(self) -> &'static str {
        match self {
            Containment::DisableUser => "disable-user",
            Containment::DisableRole => "disable-role",
            Containment::ContainFunctions => "contain-functions",
            Containment::RevertSharing => "revert-sharing",
        }
    }
}

/// One name, or a list the seed picks from.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum Names {
    One(String),
    Pick(Vec<String>),
}

impl Names {
    pub fn choices(&self) -> &[String] {
        match self {
            Names::One(name) => std::slice::from_ref(name),
            Names::Pick(names) => names,
        }
    }
}

/// A number, or an inclusive range `[low, high]` the seed picks from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum Count {
    Exactly(u32),
    Between([u32; 2]),
}

impl Count {
    pub fn bounds(self) -> (u32, u32) {
        match self {
            Count::Exactly(n) => (n, n),
            Count::Between([low, high]) => (low, high),
        }
    }
}

/// Where a step's resources go.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum Regions {
    /// `home` (the estate's first region), `estate` (its regions), `unused` (every enabled
    /// region the estate does not use).
    Named(RegionSet),
    /// These regions.
    List(Vec<String>),
}

/// The region sets a scenario can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RegionSet {
    Home,
    Estate,
    Unused,
}

/// `estate_regions = { pick = [2, 3], from = [...] }`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegionPick {
    pub pick: Count,
    pub from: Vec<String>,
}

/// One step as written.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// Unique across the estate and the scenario; later steps refer to it.
    pub id: String,
    #[serde(rename = "do")]
    pub act: Do,
    /// The step (a `create-users` with keys) whose first access key makes this call: the
    /// attacker's own credentials. Without it, the responder's credentials are used.
    #[serde(rename = "as")]
    pub actor: Option<String>,
    /// Marks what the step leaves as an indicator, contained by this playbook.
    pub contain: Option<Containment>,
    pub names: Option<Names>,
    pub count: Option<Count>,
    pub regions: Option<Regions>,
    #[serde(default)]
    pub admin: bool,
    #[serde(default)]
    pub keys: u32,
    #[serde(default)]
    pub console: bool,
    pub trust: Option<Party>,
    pub share: Option<Party>,
    pub with: Option<Party>,
    pub to: Option<Party>,
    pub role: Option<String>,
    pub snapshot: Option<String>,
    pub snapshots: Option<String>,
    pub image: Option<String>,
    /// The create-buckets step whose buckets a share, wipe or delete acts on.
    pub bucket: Option<String>,
    /// Objects each bucket of a create-buckets step holds.
    pub objects: Option<u32>,
    /// The create-database step whose database a share or exposure acts on.
    pub database: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    name: String,
    summary: String,
    #[serde(default)]
    include: Vec<String>,
    estate_regions: Option<RegionPick>,
    #[serde(default, rename = "step")]
    steps: Vec<toml::Spanned<Step>>,
}

/// A step and where it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located {
    pub step: Step,
    /// `file:line`, for errors.
    pub at: String,
}

/// A scenario with its includes resolved, after the estate it starts from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scenario {
    pub name: String,
    pub summary: String,
    pub estate_regions: RegionPick,
    /// The estate's steps.
    pub estate: Vec<Located>,
    /// The attacker's steps.
    pub attack: Vec<Located>,
}

/// Why a scenario cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    #[error(
        "no scenario named '{name}': the built-in ones are {known}; or give a path to a .toml file"
    )]
    Unknown { name: String, known: String },
    #[error("cannot read scenario {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{at}: {message}")]
    Invalid { at: String, message: String },
}

/// Where scenario text came from: built in, or a file (whose includes are looked up beside it).
#[derive(Debug, Clone)]
enum Source {
    BuiltIn(&'static str),
    File(PathBuf),
}

impl Source {
    fn label(&self) -> String {
        match self {
            Source::BuiltIn(name) => format!("assets/scenarios/{name}.toml"),
            Source::File(path) => path.display().to_string(),
        }
    }

    fn text(&self) -> Result<String, ScenarioError> {
        match self {
            Source::BuiltIn(name) => Ok(built_in(name).unwrap_or_default().to_string()),
            Source::File(path) => {
                std::fs::read_to_string(path).map_err(|source| ScenarioError::Read {
                    path: path.clone(),
                    source,
                })
            }
        }
    }
}

fn built_in(name: &str) -> Option<&'static str> {
    BUILT_IN
        .iter()
        .find(|(known, _)| *known == name)
        .map(|(_, text)| *text)
}

/// The built-in scenario `name`, if there is one.
fn built_in_source(name: &str) -> Option<Source> {
    BUILT_IN
        .iter()
        .find(|(known, _)| *known == name)
        .map(|(known, _)| Source::BuiltIn(known))
}

/// The names of the built-in scenarios.
pub fn built_in_names() -> Vec<&'static str> {
    BUILT_IN.iter().map(|(name, _)| *name).collect()
}

/// Loads the scenario `name_or_path` (a built-in name, or a path to a `.toml` file) after the
/// built-in estate, and checks it.
pub fn load(name_or_path: &str) -> Result<Scenario, ScenarioError> {
    let source = if let Some(source) = built_in_source(name_or_path) {
        source
    } else if name_or_path.ends_with(".toml") || Path::new(name_or_path).exists() {
        Source::File(PathBuf::from(name_or_path))
    } else {
        return Err(ScenarioError::Unknown {
            name: name_or_path.to_string(),
            known: built_in_names().join(", "),
        });
    };
    let estate_file = parse(ESTATE.1, &Source::BuiltIn(ESTATE.0))?;
    let estate_regions =
        estate_file
            .estate_regions
            .clone()
            .ok_or_else(|| ScenarioError::Invalid {
                at: Source::BuiltIn(ESTATE.0).label(),
                message: "the estate must say its estate_regions".to_string(),
            })?;
    let estate = located(
        estate_file.steps,
        &Source::BuiltIn(ESTATE.0).label(),
        ESTATE.1,
    );
    let mut attack = Vec::new();
    let mut seen = BTreeSet::new();
    let (name, summary) = collect(&source, &mut attack, &mut seen, 0)?;
    let scenario = Scenario {
        name,
        summary,
        estate_regions,
        estate,
        attack,
    };
    check(&scenario)?;
    Ok(scenario)
}

fn parse(text: &str, source: &Source) -> Result<File, ScenarioError> {
    toml::from_str(text).map_err(|e| {
        let (line, column) = e
            .span()
            .map_or((1, 1), |span| line_and_column(text, span.start));
        ScenarioError::Invalid {
            at: format!("{}:{line}:{column}", source.label()),
            message: e.message().to_string(),
        }
    })
}

fn located(steps: Vec<toml::Spanned<Step>>, label: &str, text: &str) -> Vec<Located> {
    steps
        .into_iter()
        .map(|spanned| {
            let (line, _) = line_and_column(text, spanned.span().start);
            Located {
                at: format!("{label}:{line}"),
                step: spanned.into_inner(),
            }
        })
        .collect()
}

/// Appends the steps of `source` (its includes first, each once) to `steps`.
fn collect(
    source: &Source,
    steps: &mut Vec<Located>,
    seen: &mut BTreeSet<String>,
    depth: usize,
) -> Result<(String, String), ScenarioError> {
    let label = source.label();
    if depth > 8 {
        return Err(ScenarioError::Invalid {
            at: label,
            message: "includes nest deeper than 8: is there a cycle?".to_string(),
        });
    }
    let text = source.text()?;
    let file = parse(&text, source)?;
    if file.estate_regions.is_some() {
        return Err(ScenarioError::Invalid {
            at: label,
            message: "estate_regions belongs to the estate, not to a scenario".to_string(),
        });
    }
    for include in &file.include {
        if !seen.insert(include.clone()) {
            continue;
        }
        let included = if let Some(source) = built_in_source(include) {
            source
        } else if let Source::File(path) = source {
            let sibling = path
                .parent()
                .unwrap_or(Path::new("."))
                .join(format!("{include}.toml"));
            if !sibling.exists() {
                return Err(ScenarioError::Invalid {
                    at: label,
                    message: format!(
                        "include '{include}' is neither built in ({}) nor a file {}",
                        built_in_names().join(", "),
                        sibling.display()
                    ),
                });
            }
            Source::File(sibling)
        } else {
            return Err(ScenarioError::Invalid {
                at: label,
                message: format!("include '{include}' is not a built-in scenario"),
            });
        };
        collect(&included, steps, seen, depth + 1)?;
    }
    steps.extend(located(file.steps, &label, &text));
    Ok((file.name, file.summary))
}

fn invalid(step: &Located, message: impl Into<String>) -> ScenarioError {
    ScenarioError::Invalid {
        at: step.at.clone(),
        message: format!("step '{}': {}", step.step.id, message.into()),
    }
}

/// Checks what serde cannot: ids unique, references to earlier steps of the right kind, the
/// fields each kind of step needs (and no others), counts and regions sane.
fn check(scenario: &Scenario) -> Result<(), ScenarioError> {
    if !valid_scenario_name(&scenario.name) {
        return Err(ScenarioError::Invalid {
            at: scenario
                .attack
                .first()
                .map_or_else(|| scenario.name.clone(), |s| s.at.clone()),
            message: format!(
                "the name '{}' must be 1 to 40 lowercase letters, digits and dashes (it starts every run id)",
                scenario.name
            ),
        });
    }
    check_pick(&scenario.estate_regions).map_err(|message| ScenarioError::Invalid {
        at: Source::BuiltIn(ESTATE.0).label(),
        message,
    })?;
    let mut earlier: Vec<&Step> = Vec::new();
    let estate = scenario.estate.iter().map(|s| (s, true));
    let attack = scenario.attack.iter().map(|s| (s, false));
    for (located, in_estate) in estate.chain(attack) {
        let step = &located.step;
        if step.id.is_empty() || earlier.iter().any(|e| e.id == step.id) {
            return Err(invalid(
                located,
                "the id is empty or used by an earlier step",
            ));
        }
        if in_estate && (step.actor.is_some() || step.contain.is_some()) {
            return Err(invalid(
                located,
                "estate steps are the responder's own: no `as`, no `contain`",
            ));
        }
        let find = |id: &Option<String>, field: &str, kind: Do| -> Result<(), ScenarioError> {
            let Some(id) = id else {
                return Err(invalid(
                    located,
                    format!("{} needs `{field}`", step.act.as_str()),
                ));
            };
            match earlier.iter().find(|e| e.id == *id) {
                Some(target) if target.act == kind => Ok(()),
                Some(target) => Err(invalid(
                    located,
                    format!(
                        "`{field}` names step '{id}', a {}, not a {}",
                        target.act.as_str(),
                        kind.as_str()
                    ),
                )),
                None => Err(invalid(
                    located,
                    format!("`{field}` names '{id}', which no earlier step has as its id"),
                )),
            }
        };
        if let Some(actor) = &step.actor {
            match earlier.iter().find(|e| e.id == *actor) {
                Some(user) if user.act == Do::CreateUsers && user.keys > 0 => {}
                _ => {
                    return Err(invalid(
                        located,
                        format!(
                            "`as` must name an earlier create-users step with keys; '{actor}' is not one"
                        ),
                    ));
                }
            }
        }
        if let Some(contain) = step.contain {
            // Only what a scan reports can be an indicator: the Lambda service and the
            // partner are trusted by the baseline, so a trust or a share to them is not.
            let exposed =
                |party: Option<Party>| matches!(party, Some(Party::Public | Party::Outsider));
            let fits = step.act.containment() == Some(contain)
                && match step.act {
                    Do::CreateSnapshots => exposed(step.share),
                    Do::CreateRole => exposed(step.trust),
                    Do::ShareSnapshot | Do::ShareImage | Do::ShareBucket | Do::ShareDbSnapshot => {
                        exposed(step.with)
                    }
                    _ => true,
                };
            if !fits {
                return Err(invalid(
                    located,
                    format!(
                        "a {} step cannot be contained by {} (what it leaves is not what that playbook contains, or nothing a scan reports: trusts and shares must go to the outsider or the public)",
                        step.act.as_str(),
                        contain.as_str()
                    ),
                ));
            }
        }
        let needs_names = matches!(
            step.act,
            Do::CreateUsers
                | Do::CreateRole
                | Do::CreateFunctions
                | Do::CreateSnapshots
                | Do::CreateImage
                | Do::CreateBuckets
                | Do::CreateDatabase
        );
        match (&step.names, needs_names) {
            (None, true) => return Err(invalid(located, "needs `names`")),
            (Some(_), false) => {
                return Err(invalid(
                    located,
                    format!("a {} takes no `names`", step.act.as_str()),
                ));
            }
            (Some(names), true)
                if names.choices().is_empty()
                    || names.choices().iter().any(|n| !valid_name(step.act, n)) =>
            {
                return Err(invalid(
                    located,
                    match step.act {
                        Do::CreateSnapshots => {
                            "`names` (descriptions) must be non-empty, each 1 to 48 printable characters"
                        }
                        Do::CreateImage => {
                            "`names` must be non-empty, each 3 to 48 letters, digits, spaces or ()[]./'@_-"
                        }
                        Do::CreateBuckets => {
                            "`names` must be non-empty, each 3 to 30 lowercase letters, digits or -"
                        }
                        Do::CreateDatabase => {
                            "`names` must be non-empty, each a lowercase letter then up to 39 lowercase letters, digits or -"
                        }
                        _ => "`names` must be non-empty, each 1 to 48 letters, digits, - or _",
                    },
                ));
            }
            _ => {}
        }
        if let Some(count) = step.count {
            let (low, high) = count.bounds();
            if low == 0 || low > high || high > 50 {
                return Err(invalid(
                    located,
                    "`count` must be 1 to 50, or [low, high] within that",
                ));
            }
            if !matches!(
                step.act,
                Do::CreateUsers | Do::CreateFunctions | Do::CreateSnapshots | Do::CreateBuckets
            ) {
                return Err(invalid(
                    located,
                    format!("a {} takes no `count`", step.act.as_str()),
                ));
            }
        }
        if let Some(Regions::List(list)) = &step.regions
            && (list.is_empty()
                || list
                    .iter()
                    .any(|r| firebreak_core::region::parse_region(r).is_err()))
        {
            return Err(invalid(
                located,
                "`regions` must list region names like eu-west-1",
            ));
        }
        let placed = matches!(
            step.act,
            Do::CreateFunctions
                | Do::CreateSnapshots
                | Do::CreateImage
                | Do::CreateBuckets
                | Do::CreateDatabase
        );
        if placed != step.regions.is_some() {
            return Err(invalid(
                located,
                if placed {
                    "needs `regions` (home, estate, unused, or a list)"
                } else {
                    "takes no `regions`"
                },
            ));
        }
        if step.keys > 5 {
            return Err(invalid(
                located,
                "`keys` is at most 5 (IAM allows 2 per user; firebreak checks)",
            ));
        }
        let user_fields = step.admin || step.keys > 0 || step.console;
        if user_fields && !matches!(step.act, Do::CreateUsers | Do::CreateRole) {
            return Err(invalid(
                located,
                "`admin`, `keys` and `console` are for create-users (`admin` also create-role)",
            ));
        }
        if step.act == Do::CreateRole && (step.keys > 0 || step.console) {
            return Err(invalid(
                located,
                "a role has no keys and no console password",
            ));
        }
        if step.act == Do::CreateUsers && step.keys > 2 {
            return Err(invalid(
                located,
                "IAM allows at most 2 access keys per user",
            ));
        }
        let party = |value: Option<Party>, field: &str, allowed: &[Party]| match value {
            Some(p) if allowed.contains(&p) => Ok(()),
            Some(_) => Err(invalid(located, format!("`{field}` cannot be that here"))),
            None => Err(invalid(
                located,
                format!("{} needs `{field}`", step.act.as_str()),
            )),
        };
        let unused = |present: bool, field: &str| {
            if present {
                Err(invalid(
                    located,
                    format!("a {} takes no `{field}`", step.act.as_str()),
                ))
            } else {
                Ok(())
            }
        };
        let sharing = [Party::Partner, Party::Outsider, Party::Public];
        match step.act {
            Do::CreateRole => party(
                step.trust,
                "trust",
                &[Party::Lambda, Party::Partner, Party::Outsider],
            )?,
            _ => unused(step.trust.is_some(), "trust")?,
        }
        match step.act {
            Do::CreateSnapshots if step.share.is_some() => party(step.share, "share", &sharing)?,
            _ => unused(step.share.is_some(), "share")?,
        }
        match step.act {
            Do::ShareSnapshot | Do::ShareImage => party(step.with, "with", &sharing)?,
            Do::ShareBucket | Do::ShareDbSnapshot => {
                party(step.with, "with", &[Party::Outsider, Party::Public])?
            }
            _ => unused(step.with.is_some(), "with")?,
        }
        match step.act {
            Do::WidenTrust => party(step.to, "to", &[Party::Outsider, Party::Public])?,
            _ => unused(step.to.is_some(), "to")?,
        }
        match step.act {
            Do::CreateFunctions => find(&step.role, "role", Do::CreateRole)?,
            Do::WidenTrust => find(&step.role, "role", Do::CreateRole)?,
            _ => unused(step.role.is_some(), "role")?,
        }
        match step.act {
            Do::ShareSnapshot => find(&step.snapshot, "snapshot", Do::CreateSnapshots)?,
            _ => unused(step.snapshot.is_some(), "snapshot")?,
        }
        match step.act {
            Do::DeleteSnapshots => find(&step.snapshots, "snapshots", Do::CreateSnapshots)?,
            _ => unused(step.snapshots.is_some(), "snapshots")?,
        }
        match step.act {
            Do::ShareImage => find(&step.image, "image", Do::CreateImage)?,
            _ => unused(step.image.is_some(), "image")?,
        }
        match step.act {
            Do::ShareBucket | Do::WipeBucket | Do::DeleteBuckets => {
                find(&step.bucket, "bucket", Do::CreateBuckets)?
            }
            _ => unused(step.bucket.is_some(), "bucket")?,
        }
        match step.act {
            Do::ShareDbSnapshot | Do::MakeDatabasePublic => {
                find(&step.database, "database", Do::CreateDatabase)?
            }
            _ => unused(step.database.is_some(), "database")?,
        }
        match (step.act, step.objects) {
            (Do::CreateBuckets, Some(n)) if n > 100 => {
                return Err(invalid(located, "`objects` is at most 100"));
            }
            (Do::CreateBuckets, _) => {}
            (_, objects) => unused(objects.is_some(), "objects")?,
        }
        earlier.push(step);
    }
    if !scenario.attack.iter().any(|s| s.step.contain.is_some()) {
        return Err(ScenarioError::Invalid {
            at: scenario
                .attack
                .first()
                .map_or_else(|| scenario.name.clone(), |s| s.at.clone()),
            message: format!(
                "scenario '{}' has no indicator: mark at least one step with `contain`",
                scenario.name
            ),
        });
    }
    Ok(())
}

fn check_pick(pick: &RegionPick) -> Result<(), String> {
    let (low, high) = pick.pick.bounds();
    if low == 0 || low > high || high as usize > pick.from.len() {
        return Err(format!(
            "estate_regions: pick must be 1 to {} (the regions listed)",
            pick.from.len()
        ));
    }
    if pick
        .from
        .iter()
        .any(|r| firebreak_core::region::parse_region(r).is_err())
    {
        return Err("estate_regions: `from` must list region names like eu-west-1".to_string());
    }
    Ok(())
}

/// A name AWS accepts for what `act` makes (numbered `-2`, `-3` when a list runs out): IAM
/// and Lambda names, snapshot descriptions, AMI names.
fn valid_name(act: Do, name: &str) -> bool {
    match act {
        Do::CreateSnapshots => {
            (1..=48).contains(&name.len()) && name.chars().all(|c| c.is_ascii_graphic() || c == ' ')
        }
        Do::CreateDatabase => {
            (1..=40).contains(&name.len())
                && name.starts_with(|c: char| c.is_ascii_lowercase())
                && name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        }
        Do::CreateBuckets => {
            (3..=30).contains(&name.len())
                && name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        }
        Do::CreateImage => {
            (3..=48).contains(&name.len())
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || " ()[]./'@_-".contains(c))
        }
        _ => {
            (1..=48).contains(&name.len())
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
        }
    }
}

/// A scenario's name starts every run id (a folder, a tag value, a filter value).
fn valid_scenario_name(name: &str) -> bool {
    (1..=40).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

#[cfg(test)]
mod tests;
