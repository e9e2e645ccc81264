//! Files only their owner may read. The home holds every message, artifact and brief of
//! every team, so whatever codex-teams creates there is private whatever the umask: its
//! directories 0700, its files 0600 (SQLite gives the `-wal` and `-shm` files the mode of the
//! database file). Existing paths are left as they are here; `check-config` reports looser
//! modes and `check-config --fix` tightens them.

use std::fs::{DirBuilder, File, OpenOptions};
use std::io;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::Path;

/// Mode of the directories codex-teams creates.
pub const DIR_MODE: u32 = 0o700;
/// Mode of the files codex-teams creates.
pub const FILE_MODE: u32 = 0o600;

/// Creates `dir` and any missing parents, each new one 0700.
pub fn create_dir_all(dir: &Path) -> io::Result<()> {
    DirBuilder::new().recursive(true).mode(DIR_MODE).create(dir)
}

/// Open options that create a missing file 0600.
pub fn options() -> OpenOptions {
    let mut options = OpenOptions::new();
    options.mode(FILE_MODE);
    options
}

/// Creates (truncating) a file 0600.
pub fn create(path: &Path) -> io::Result<File> {
    options().write(true).create(true).truncate(true).open(path)
}

/// Creates `path` empty and 0600 when it does not exist; an existing file is untouched.
pub fn touch(path: &Path) -> io::Result<()> {
    options()
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .map(drop)
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path)
            .map(|m| m.permissions().mode() & 0o777)
            .unwrap_or(0)
    }

    #[test]
    fn new_dirs_and_files_are_private_under_a_permissive_umask() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
        // SAFETY: umask only changes this process's file-creation mask.
        let old = unsafe { libc::umask(0o022) };
        let nested = dir.path().join("a/b");
        create_dir_all(&nested).unwrap_or_else(|e| panic!("mkdir: {e}"));
        let file = nested.join("f");
        touch(&file).unwrap_or_else(|e| panic!("touch: {e}"));
        let made = nested.join("g");
        create(&made).unwrap_or_else(|e| panic!("create: {e}"));
        unsafe { libc::umask(old) };
        assert_eq!(mode(&dir.path().join("a")), 0o700);
        assert_eq!(mode(&nested), 0o700);
        assert_eq!(mode(&file), 0o600);
        assert_eq!(mode(&made), 0o600);
    }
}
