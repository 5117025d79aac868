//! Reading the files a user names (inventory, plan, private key, known_hosts): the one
//! bounded read every loader uses. Only regular files are read, never more than a limit per
//! kind, and text is checked to be UTF-8 (a UTF-8 byte-order mark is dropped), so a FIFO, a
//! device such as `/dev/zero`, a huge file or a binary one gives one clear error instead of
//! a hang, a machine out of memory, or "check the path".

use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::{self, Read};
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::Path;

/// What a file is for: names it in messages and sets how large it may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Inventory,
    Plan,
    PrivateKey,
    KnownHosts,
    /// A rollout journal read to resume (streamed, not held whole).
    Journal,
    /// An OpenSSH client configuration file (or one it includes).
    SshConfig,
    /// A platform driver file.
    Platform,
    /// A cache fleetdash keeps in its state directory (detected platforms).
    Cache,
}

const MIB: u64 = 1 << 20;

impl FileKind {
    /// The largest file of this kind that is read. Far above any real one: 10,000 devices
    /// are about 1 MiB of inventory; a private key is a few KiB.
    pub fn limit(self) -> u64 {
        match self {
            FileKind::Inventory => 64 * MIB,
            FileKind::Plan => 16 * MIB,
            FileKind::PrivateKey => MIB,
            FileKind::KnownHosts => 8 * MIB,
            FileKind::Journal => 4096 * MIB,
            FileKind::SshConfig => 16 * MIB,
            FileKind::Platform => MIB,
            FileKind::Cache => 64 * MIB,
        }
    }

    /// How messages name it: "cannot read the {noun}".
    pub fn noun(self) -> &'static str {
        match self {
            FileKind::Inventory => "inventory",
            FileKind::Plan => "plan",
            FileKind::PrivateKey => "private key",
            FileKind::KnownHosts => "known_hosts file",
            FileKind::Journal => "rollout journal",
            FileKind::SshConfig => "ssh_config file",
            FileKind::Platform => "platform file",
            FileKind::Cache => "cache file",
        }
    }
}

/// Why a file was not read. `Display` says what is wrong; [`ReadError::help`] how to fix it.
#[derive(Debug)]
pub enum ReadError {
    /// Opening or reading failed (missing, no permission, …).
    Io(io::Error),
    /// Not a regular file: what it is instead ("a FIFO (named pipe)", "a directory", …).
    NotRegular(&'static str),
    /// Larger than the limit of its kind (bytes).
    TooLarge { limit: u64 },
    /// Not UTF-8: the offset of the first bad byte, and its 1-based line and column.
    NotUtf8 {
        offset: usize,
        line: usize,
        column: usize,
    },
    /// UTF-16 text, recognised by its byte-order mark.
    Utf16 { big_endian: bool },
}

impl ReadError {
    /// A hint for the fix.
    pub fn help(&self) -> &'static str {
        match self {
            ReadError::Io(e) if e.kind() == io::ErrorKind::NotFound => {
                "check the path (it is relative to the current directory)"
            }
            ReadError::Io(_) => "check the path and its permissions",
            ReadError::NotRegular(_) => {
                "give the path of a regular file; pipes, devices and directories are not read"
            }
            ReadError::TooLarge { .. } => "is this the right file? split it or trim it",
            ReadError::NotUtf8 { .. } => {
                "save the file as UTF-8 text (is it a binary file, or in another encoding?)"
            }
            ReadError::Utf16 { .. } => {
                "convert it to UTF-8, e.g. `iconv -f UTF-16 -t UTF-8 FILE > FILE.utf8`"
            }
        }
    }

    /// Whether the file does not exist (known_hosts files may be absent).
    pub fn is_not_found(&self) -> bool {
        matches!(self, ReadError::Io(e) if e.kind() == io::ErrorKind::NotFound)
    }
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReadError::Io(e) => write!(f, "{e}"),
            ReadError::NotRegular(what) => write!(f, "it is {what}, not a regular file"),
            ReadError::TooLarge { limit } => {
                write!(f, "it is larger than {} MiB, the limit", limit / MIB)
            }
            ReadError::NotUtf8 {
                offset,
                line,
                column,
            } => write!(
                f,
                "it is not UTF-8 text: invalid byte at offset {offset} (line {line}, column {column})"
            ),
            ReadError::Utf16 { big_endian } => write!(
                f,
                "it is UTF-16 text ({} byte-order mark), not UTF-8",
                if *big_endian {
                    "big-endian"
                } else {
                    "little-endian"
                }
            ),
        }
    }
}

impl std::error::Error for ReadError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ReadError::Io(e) => Some(e),
            _ => None,
        }
    }
}

/// The bytes of the regular file at `path`, at most `kind.limit()` of them.
pub fn read_bytes(path: &Path, kind: FileKind) -> Result<Vec<u8>, ReadError> {
    let (file, len) = open_regular(path, kind)?;
    let limit = kind.limit();
    // The size may change while we read (a growing file): never read past the limit.
    let mut bytes = Vec::with_capacity(len as usize);
    read_at_most(file, limit + 1, &mut bytes).map_err(ReadError::Io)?;
    if bytes.len() as u64 > limit {
        return Err(ReadError::TooLarge { limit });
    }
    Ok(bytes)
}

/// The regular file at `path` opened for reading, with its length, for readers that stream
/// it: they must still read at most `kind.limit()` bytes (`Read::take`).
pub fn open_regular(path: &Path, kind: FileKind) -> Result<(File, u64), ReadError> {
    // O_NONBLOCK: opening a FIFO with no writer would block forever; it is refused below.
    // O_NOCTTY: a terminal device must never become our controlling terminal.
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)
        .map_err(ReadError::Io)?;
    let meta = file.metadata().map_err(ReadError::Io)?;
    let kind_of = meta.file_type();
    if !kind_of.is_file() {
        return Err(ReadError::NotRegular(match () {
            _ if kind_of.is_dir() => "a directory",
            _ if kind_of.is_fifo() => "a FIFO (named pipe)",
            _ if kind_of.is_char_device() => "a character device",
            _ if kind_of.is_block_device() => "a block device",
            _ if kind_of.is_socket() => "a socket",
            _ => "not a regular file",
        }));
    }
    let limit = kind.limit();
    if meta.len() > limit {
        return Err(ReadError::TooLarge { limit });
    }
    Ok((file, meta.len()))
}

fn read_at_most(file: File, limit: u64, into: &mut Vec<u8>) -> io::Result<()> {
    file.take(limit).read_to_end(into).map(|_| ())
}

/// The UTF-8 text of the regular file at `path` (see [`read_bytes`]), without a leading
/// byte-order mark.
pub fn read_text(path: &Path, kind: FileKind) -> Result<String, ReadError> {
    text(read_bytes(path, kind)?)
}

/// `bytes` as UTF-8 text without a leading byte-order mark; UTF-16 and invalid bytes are
/// refused with where they are.
pub fn text(mut bytes: Vec<u8>) -> Result<String, ReadError> {
    match bytes.as_slice() {
        [0xef, 0xbb, 0xbf, ..] => {
            bytes.drain(..3);
        }
        [0xff, 0xfe, ..] => return Err(ReadError::Utf16 { big_endian: false }),
        [0xfe, 0xff, ..] => return Err(ReadError::Utf16 { big_endian: true }),
        _ => {}
    }
    String::from_utf8(bytes).map_err(|e| {
        let offset = e.utf8_error().valid_up_to();
        let before = &e.as_bytes()[..offset];
        let line = 1 + before.iter().filter(|&&b| b == b'\n').count();
        let start = before
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |i| i + 1);
        // Characters, not bytes: the prefix is valid UTF-8.
        let column = 1 + String::from_utf8_lossy(&before[start..]).chars().count();
        ReadError::NotUtf8 {
            offset,
            line,
            column,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, bytes: &[u8]) -> std::path::PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }

    #[test]
    fn refuses_everything_but_regular_files_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        assert!(
            std::process::Command::new("mkfifo")
                .arg(&fifo)
                .status()
                .unwrap()
                .success()
        );
        let cases: [(&Path, &str); 4] = [
            (&fifo, "it is a FIFO (named pipe), not a regular file"),
            (
                Path::new("/dev/zero"),
                "it is a character device, not a regular file",
            ),
            (
                Path::new("/dev/urandom"),
                "it is a character device, not a regular file",
            ),
            (dir.path(), "it is a directory, not a regular file"),
        ];
        for kind in [
            FileKind::Inventory,
            FileKind::Plan,
            FileKind::PrivateKey,
            FileKind::KnownHosts,
        ] {
            for (path, why) in cases {
                let err = read_text(path, kind).unwrap_err();
                assert_eq!(err.to_string(), why, "{}", path.display());
                assert!(err.help().contains("regular file"));
            }
        }
        let missing = read_text(&dir.path().join("nope"), FileKind::Plan).unwrap_err();
        assert!(missing.is_not_found(), "{missing}");
    }

    #[test]
    fn stops_at_the_limit_of_each_kind() {
        let dir = tempfile::tempdir().unwrap();
        for kind in [FileKind::PrivateKey, FileKind::KnownHosts] {
            let limit = kind.limit() as usize;
            let at_limit = write(dir.path(), "ok", &vec![b'a'; limit]);
            assert_eq!(read_bytes(&at_limit, kind).unwrap().len(), limit);
            let over = write(dir.path(), "big", &vec![b'a'; limit + 1]);
            let err = read_bytes(&over, kind).unwrap_err();
            assert!(matches!(err, ReadError::TooLarge { .. }), "{err}");
            assert!(err.to_string().contains("MiB"), "{err}");
        }
        // Sparse: a 10 GiB file costs nothing to make and must not be read.
        let huge = dir.path().join("huge");
        File::create(&huge).unwrap().set_len(10 << 30).unwrap();
        for kind in [FileKind::Inventory, FileKind::Plan] {
            let err = read_bytes(&huge, kind).unwrap_err();
            assert!(matches!(err, ReadError::TooLarge { .. }), "{err}");
        }
    }

    #[test]
    fn text_drops_a_bom_and_says_what_is_wrong_with_other_bytes() {
        assert_eq!(text(b"\xef\xbb\xbfa: 1\n".to_vec()).unwrap(), "a: 1\n");
        assert_eq!(text(b"plain".to_vec()).unwrap(), "plain");
        let cases: [(&[u8], &str); 4] = [
            (
                b"\xff\xfea\x00",
                "it is UTF-16 text (little-endian byte-order mark), not UTF-8",
            ),
            (
                b"\xfe\xff\x00a",
                "it is UTF-16 text (big-endian byte-order mark), not UTF-8",
            ),
            (
                b"a: 1\nb: \xc3\xa9\xff\n",
                "it is not UTF-8 text: invalid byte at offset 10 (line 2, column 5)",
            ),
            (
                b"\x7fELF\x02\x01\x01\x00\x00\x00\xb0",
                "it is not UTF-8 text: invalid byte at offset 10 (line 1, column 11)",
            ),
        ];
        for (bytes, why) in cases {
            assert_eq!(text(bytes.to_vec()).unwrap_err().to_string(), why);
        }
    }
}
