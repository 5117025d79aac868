//! Files only their owner can read (mode 0600): journals, reports, lock files, backups.
//! Outputs can be sensitive even with every secret masked. A file that already exists
//! with a wider mode is tightened when opened.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::Path;

/// Opens `path` for appending, creating it and its directory.
pub fn append(path: &Path) -> io::Result<File> {
    open(path, OpenOptions::new().create(true).append(true))
}

/// Opens `path` for reading and writing without truncating it, creating it and its
/// directory.
pub fn read_write(path: &Path) -> io::Result<File> {
    open(
        path,
        OpenOptions::new()
            .create(true)
            .read(true)
            .write(true)
            .truncate(false),
    )
}

/// Writes `contents` to `path` (replacing what it held), creating it and its directory.
pub fn write(path: &Path, contents: &[u8]) -> io::Result<()> {
    let mut file = open(
        path,
        OpenOptions::new().create(true).write(true).truncate(true),
    )?;
    file.write_all(contents)
}

/// Writes `contents` to a new file at `path`; a file already there is left alone
/// (`AlreadyExists`), so nothing is overwritten without asking.
pub fn create_new(path: &Path, contents: &[u8]) -> io::Result<()> {
    let mut file = open(path, OpenOptions::new().create_new(true).write(true))?;
    file.write_all(contents)
}

fn open(path: &Path, opts: &mut OpenOptions) -> io::Result<File> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(opts, 0o600);
    let file = opts.open(path)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if file.metadata()?.permissions().mode() & 0o077 != 0 {
            file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        }
    }
    Ok(file)
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn new_and_existing_files_end_up_0600() {
        let dir = tempfile::tempdir().unwrap();
        let report = dir.path().join("sub/report.json");
        write(&report, b"{}").unwrap();
        assert_eq!(mode(&report), 0o600);
        // A report written by an older version, readable by everyone.
        std::fs::set_permissions(&report, std::fs::Permissions::from_mode(0o644)).unwrap();
        write(&report, b"{\"a\":1}").unwrap();
        assert_eq!(mode(&report), 0o600);
        assert_eq!(std::fs::read(&report).unwrap(), b"{\"a\":1}");
        let journal = dir.path().join("j.jsonl");
        std::fs::write(&journal, "x\n").unwrap();
        std::fs::set_permissions(&journal, std::fs::Permissions::from_mode(0o664)).unwrap();
        append(&journal).unwrap().write_all(b"y\n").unwrap();
        assert_eq!(mode(&journal), 0o600);
        assert_eq!(std::fs::read(&journal).unwrap(), b"x\ny\n");
    }
}
