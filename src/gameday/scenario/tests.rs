use super::*;

#[test]
fn every_built_in_scenario_loads_and_full_breach_is_all_of_them_and_the_code_spaces_ending() {
    let mut parts = 0;
    for name in built_in_names() {
        let scenario = load(name).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(scenario.name, name);
        assert!(!scenario.estate.is_empty() && !scenario.attack.is_empty());
        assert!(
            scenario.attack.iter().any(|s| s.step.contain.is_some()),
            "{name} has no indicator"
        );
        if name != "full-breach" {
            parts += scenario.attack.len();
        }
    }
    let full = load("full-breach").expect("full-breach");
    assert_eq!(full.attack.len(), parts + 1);
    let ending = &full.attack.last().expect("a last step").step;
    assert_eq!(
        (ending.act, ending.bucket.as_deref()),
        (Do::DeleteBuckets, Some("backup-buckets"))
    );
}

#[test]
fn bucket_steps_are_checked_like_the_others() {
    let dir = tempfile::tempdir().expect("dir");
    let head = "name = \"x\"\nsummary = \"y\"\n";
    let cases = [
        (
            "[[step]]\nid = \"a\"\ndo = \"share-bucket\"\nbucket = \"functions\"\nwith = \"public\"\ncontain = \"revert-sharing\"\n",
            "`bucket` names step 'functions', a create-functions, not a create-buckets",
        ),
        (
            "[[step]]\nid = \"a\"\ndo = \"share-bucket\"\nbucket = \"data-buckets\"\nwith = \"partner\"\n",
            "`with` cannot be that here",
        ),
        (
            "[[step]]\nid = \"a\"\ndo = \"wipe-bucket\"\nbucket = \"data-buckets\"\ncontain = \"revert-sharing\"\n",
            "a wipe-bucket step cannot be contained by revert-sharing",
        ),
        (
            "[[step]]\nid = \"a\"\ndo = \"delete-buckets\"\nbucket = \"data-buckets\"\nobjects = 3\n",
            "a delete-buckets takes no `objects`",
        ),
        (
            "[[step]]\nid = \"a\"\ndo = \"create-buckets\"\nnames = [\"Bad_Name\"]\nregions = \"home\"\n",
            "`names` must be non-empty, each 3 to 30 lowercase letters, digits or -",
        ),
        (
            "[[step]]\nid = \"a\"\ndo = \"create-buckets\"\nnames = [\"ok-name\"]\nregions = \"home\"\nobjects = 101\n",
            "`objects` is at most 100",
        ),
        (
            "[[step]]\nid = \"a\"\ndo = \"share-db-snapshot\"\ndatabase = \"data-buckets\"\nwith = \"public\"\n",
            "`database` names step 'data-buckets', a create-buckets, not a create-database",
        ),
        (
            "[[step]]\nid = \"a\"\ndo = \"make-database-public\"\n",
            "make-database-public needs `database`",
        ),
        (
            "[[step]]\nid = \"a\"\ndo = \"create-database\"\nnames = [\"9lives\"]\nregions = \"home\"\n",
            "each a lowercase letter then up to 39",
        ),
        (
            "[[step]]\nid = \"a\"\ndo = \"wipe-bucket\"\nbucket = \"data-buckets\"\ndatabase = \"orders-db\"\n",
            "a wipe-bucket takes no `database`",
        ),
    ];
    for (steps, needle) in cases {
        let path = write(dir.path(), "bad", &format!("{head}{steps}"));
        let shown = load(&path).expect_err(needle).to_string();
        assert!(shown.contains(needle), "{needle}: {shown}");
    }
}

#[test]
fn an_unknown_name_lists_the_built_in_ones() {
    let shown = load("no-such-scenario").expect_err("unknown").to_string();
    assert!(
        shown.contains("full-breach") && shown.contains("no-such-scenario"),
        "{shown}"
    );
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(format!("{name}.toml"));
    std::fs::write(&path, text).expect("write");
    path.to_string_lossy().into_owned()
}

#[test]
fn bad_scenario_files_are_errors_at_their_line() {
    let dir = tempfile::tempdir().expect("dir");
    let head = "name = \"x\"\nsummary = \"y\"\n";
    let bad_name = write(
        dir.path(),
        "y",
        "name = \"../evil\"\nsummary = \"s\"\ninclude = [\"snapshot-made-public\"]\n",
    );
    let shown = load(&bad_name).expect_err("bad name").to_string();
    assert!(
        shown.contains("lowercase letters, digits and dashes"),
        "{shown}"
    );
    let cases = [
        (
            "[[step]]\nid = \"a\"\ndo = \"fly\"\n",
            ":5:",
            "unknown variant",
        ),
        (
            "[[step]]\nid = \"a\"\ndo = \"share-snapshot\"\nsnapshot = \"nope\"\nwith = \"public\"\n",
            ":3",
            "no earlier step",
        ),
        (
            "[[step]]\nid = \"a\"\ndo = \"share-snapshot\"\nsnapshot = \"staff\"\nwith = \"public\"\n",
            ":3",
            "a create-users, not a create-snapshots",
        ),
        (
            "[[step]]\nid = \"a\"\ndo = \"create-users\"\nnames = \"x\"\nas = \"exec-role\"\n",
            ":3",
            "`as` must name",
        ),
        (
            "[[step]]\nid = \"a\"\ndo = \"delete-snapshots\"\nsnapshots = \"backups\"\ncontain = \"revert-sharing\"\n",
            ":3",
            "cannot be contained",
        ),
        (
            "[[step]]\nid = \"staff\"\ndo = \"create-users\"\nnames = \"x\"\n",
            ":3",
            "used by an earlier step",
        ),
        (
            "[[step]]\nid = \"a\"\ndo = \"create-functions\"\nnames = \"f\"\nrole = \"exec-role\"\n",
            ":3",
            "needs `regions`",
        ),
        (
            "[[step]]\nid = \"a\"\ndo = \"create-users\"\nnames = \"x\"\ncount = [3, 1]\n",
            ":3",
            "`count`",
        ),
        ("include = [\"nowhere\"]\n", "x.toml", "include 'nowhere'"),
        (
            "[[step]]\nid = \"a\"\ndo = \"create-role\"\nnames = \"r\"\ntrust = \"lambda\"\ncontain = \"disable-role\"\n",
            ":3",
            "cannot be contained",
        ),
        (
            "[[step]]\nid = \"a\"\ndo = \"share-image\"\nimage = \"golden-image\"\nwith = \"partner\"\ncontain = \"revert-sharing\"\n",
            ":3",
            "cannot be contained",
        ),
        (
            "[[step]]\nid = \"a\"\ndo = \"create-users\"\nnames = \"x\"\n",
            ":3",
            "has no indicator",
        ),
        (
            "[[step]]\nid = \"a\"\ndo = \"create-users\"\nnames = \"bad name\"\ncontain = \"disable-user\"\n",
            ":3",
            "`names` must be",
        ),
        (
            "[[step]]\nid = \"a\"\ndo = \"create-users\"\nnames = \"x\"\nflavour = 1\n",
            ":7:",
            "unknown field",
        ),
    ];
    for (body, at, needle) in cases {
        let path = write(dir.path(), "x", &format!("{head}{body}"));
        let shown = load(&path).expect_err(body).to_string();
        assert!(
            shown.starts_with(&path) && shown.contains(at) && shown.contains(needle),
            "{body:?}: {shown}"
        );
    }
}

#[test]
fn a_file_scenario_includes_built_in_ones_and_its_siblings() {
    let dir = tempfile::tempdir().expect("dir");
    write(
        dir.path(),
        "extra",
        "name = \"extra\"\nsummary = \"s\"\n[[step]]\nid = \"x\"\ndo = \"share-image\"\nimage = \"golden-image\"\nwith = \"outsider\"\ncontain = \"revert-sharing\"\n",
    );
    let path = write(
        dir.path(),
        "mine",
        "name = \"mine\"\nsummary = \"s\"\ninclude = [\"snapshot-made-public\", \"extra\", \"extra\"]\n",
    );
    let scenario = load(&path).expect("loads");
    let ids: Vec<_> = scenario.attack.iter().map(|s| s.step.id.as_str()).collect();
    assert_eq!(ids, ["partner-share-public", "exports-to-stranger", "x"]);
}
