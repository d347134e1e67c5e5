//! Files firebreak writes: private to the user (files 0600, folders 0700) and flushed to disk.

use std::fs::{DirBuilder, File, OpenOptions};
use std::io::Write;
use std::path::Path;

fn private_options() -> OpenOptions {
    let mut options = OpenOptions::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options
}

/// Creates or replaces `path` with `contents`, mode 0600, synced to disk.
pub fn write_private(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let mut file = private_options()
        .write(true)
        .create(true)
        .truncate(true)
        .open(path)?;
    // The mode above applies only to a file the open creates: one already there (a stale
    // temporary, a file made by someone else's umask) is made private before anything is
    // written to it. A file another user owns cannot be: that is an error, not a public write.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    file.write_all(contents)?;
    file.sync_all()
}

/// Opens `path` for appending, creating it with mode 0600 if needed.
pub fn append_private(path: &Path) -> std::io::Result<File> {
    private_options().append(true).create(true).open(path)
}

/// Creates `path` and its missing parents, each new folder private to the user (mode 0700).
pub fn create_private_dir(path: &Path) -> std::io::Result<()> {
    let mut builder = DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(path)
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    #[test]
    fn folders_are_0700_and_files_0600() {
        let dir = tempfile::tempdir().expect("temp dir");
        let nested = dir.path().join("data/journal");
        create_private_dir(&nested).expect("create");
        for folder in [dir.path().join("data"), nested.clone()] {
            let mode = std::fs::metadata(&folder)
                .expect("meta")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o700, "{}", folder.display());
        }
        let file = nested.join("s.jsonl");
        write_private(&file, b"{}").expect("write");
        let mode = std::fs::metadata(&file).expect("meta").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[test]
    fn a_file_replaced_is_0600_whatever_its_mode_was() {
        let dir = tempfile::tempdir().expect("temp dir");
        let file = dir.path().join("baseline.toml.tmp");
        std::fs::write(&file, b"stale").expect("write");
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        write_private(&file, b"fresh").expect("write");
        let mode = std::fs::metadata(&file).expect("meta").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        assert_eq!(std::fs::read(&file).expect("read"), b"fresh");
    }
}
