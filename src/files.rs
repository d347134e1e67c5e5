//! Files firebreak writes: private to the user (mode 0600) and flushed to disk.

use std::fs::{File, OpenOptions};
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
    file.write_all(contents)?;
    file.sync_all()
}

/// Opens `path` for appending, creating it with mode 0600 if needed.
pub fn append_private(path: &Path) -> std::io::Result<File> {
    private_options().append(true).create(true).open(path)
}
