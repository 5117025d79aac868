//! Configuration backups into a git repository, as Oxidized keeps them: one file per device
//! (the path from a layout such as `{site}/{name}`), volatile lines dropped and secrets
//! masked per platform, and one commit per run holding only what changed. A device that
//! fails keeps its last good file. git is the real `git` command: what a user inspects the
//! repository with is what writes it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::base::lock::StateLock;
use crate::base::private_file;
use crate::base::text::escape_line;
use crate::inventory::{Device, DeviceId, Inventory};
use crate::platforms::{Profile, profile};
use crate::ssh::{ExecError, Output, Stage};

/// Where a device's file goes: `/`-separated parts with `{name}`, `{platform}`, `{group}`
/// (its first group) and `{tag:KEY}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout(String);

impl Layout {
    pub fn parse(text: &str) -> Result<Layout, String> {
        let mut rest = text;
        while let Some(open) = rest.find('{') {
            let close = rest[open..]
                .find('}')
                .ok_or_else(|| format!("layout `{}`: `{{` without `}}`", escape_line(text)))?;
            let token = &rest[open + 1..open + close];
            let known = matches!(token, "name" | "platform" | "group")
                || token.strip_prefix("tag:").is_some_and(|k| !k.is_empty());
            if !known {
                return Err(format!(
                    "layout `{}`: unknown `{{{}}}`; use {{name}}, {{platform}}, {{group}} or {{tag:KEY}}",
                    escape_line(text),
                    escape_line(token)
                ));
            }
            rest = &rest[open + close + 1..];
        }
        if !text.contains("{name}") {
            return Err(format!(
                "layout `{}` has no {{name}}: two devices would share one file",
                escape_line(text)
            ));
        }
        Ok(Layout(text.to_string()))
    }

    /// The repository-relative path of `device`'s file. Each part is made safe: no `..`, no
    /// absolute path, only letters, digits, `.`, `-` and `_` (others become `_`).
    pub fn path(&self, device: &Device) -> PathBuf {
        let tag = |k: &str| {
            device
                .tags
                .get(k)
                .map_or("none", String::as_str)
                .to_string()
        };
        let mut text = self.0.replace("{name}", &device.name);
        text = text.replace("{platform}", &device.platform);
        text = text.replace(
            "{group}",
            device.groups.first().map_or("ungrouped", String::as_str),
        );
        while let Some(open) = text.find("{tag:") {
            let Some(close) = text[open..].find('}') else {
                break;
            };
            let value = tag(&text[open + 5..open + close]);
            text.replace_range(open..open + close + 1, &value);
        }
        text.split('/')
            .filter(|p| !p.is_empty())
            .map(safe_part)
            .collect()
    }
}

impl Default for Layout {
    fn default() -> Self {
        Layout("{name}".into())
    }
}

fn safe_part(part: &str) -> String {
    let cleaned: String = part
        .chars()
        .map(
            |c| match c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                true => c,
                false => '_',
            },
        )
        .collect();
    match cleaned.trim_matches('.') {
        "" => "_".into(),
        // `.git` or a dot file would hide or break the repository.
        _ if cleaned.starts_with('.') => format!("_{cleaned}"),
        _ => cleaned,
    }
}

/// What happened to one device's file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    New,
    Changed,
    Unchanged,
    /// Nothing written: the last good file (if any) stays.
    Failed {
        stage: String,
        reason: String,
    },
    /// Nothing to back up: the platform has no configuration command (a Linux server).
    Skipped {
        reason: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceBackup {
    pub name: String,
    /// Relative to the repository.
    pub file: PathBuf,
    pub outcome: Outcome,
    /// Bytes stored (after cleaning).
    pub bytes: usize,
}

/// The commit a run made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Commit {
    pub id: String,
    /// `git show --stat` of it.
    pub stat: String,
}

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("{0}")]
    Lock(#[from] crate::base::lock::LockError),
    #[error("{what}: {source}")]
    Io {
        what: String,
        #[source]
        source: std::io::Error,
    },
    #[error("git {args}: {why}")]
    Git { args: String, why: String },
}

/// A backup repository, locked while it is open.
#[derive(Debug)]
pub struct Repo {
    dir: PathBuf,
    _lock: StateLock,
}

impl Repo {
    /// Opens the repository at `dir`, creating it (0700) and running `git init` if needed.
    pub fn open(dir: &Path) -> Result<Repo, BackupError> {
        let io = |what: &str| {
            let what = format!("{what} {}", dir.display());
            move |source| BackupError::Io { what, source }
        };
        if !dir.exists() {
            std::fs::create_dir_all(dir).map_err(io("cannot create"))?;
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
                    .map_err(io("cannot protect"))?;
            }
        }
        let lock = StateLock::at(&dir.join(".fleetdash.lock"), dir)?;
        let repo = Repo {
            dir: dir.to_path_buf(),
            _lock: lock,
        };
        if !dir.join(".git").exists() {
            repo.git(&["init", "--quiet"])?;
            std::fs::write(dir.join(".gitignore"), ".fleetdash.lock\n")
                .map_err(io("cannot write .gitignore in"))?;
        }
        Ok(repo)
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Writes `text` as `rel` when it differs from what is there.
    fn store(&self, rel: &Path, text: &str) -> std::io::Result<Outcome> {
        let path = self.dir.join(rel);
        match std::fs::read(&path) {
            Ok(old) if old == text.as_bytes() => Ok(Outcome::Unchanged),
            Ok(_) => {
                private_file::write(&path, text.as_bytes())?;
                Ok(Outcome::Changed)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                private_file::write(&path, text.as_bytes())?;
                Ok(Outcome::New)
            }
            Err(e) => Err(e),
        }
    }

    /// Commits `files` (and `.gitignore` on the first run) with `message`; `None` when
    /// nothing changed.
    pub fn commit(&self, files: &[PathBuf], message: &str) -> Result<Option<Commit>, BackupError> {
        let mut add = vec!["add", "--", ".gitignore"];
        let names: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
        add.extend(names.iter().map(String::as_str));
        self.git(&add)?;
        if self.git_status(&["diff", "--cached", "--quiet"])? {
            return Ok(None);
        }
        self.git(&["commit", "--quiet", "--no-verify", "-m", message])?;
        let id = self.git(&["rev-parse", "HEAD"])?.trim().to_string();
        let stat = self.git(&["show", "--stat", "--format=", "HEAD"])?;
        Ok(Some(Commit { id, stat }))
    }

    /// The text of `rel` as of `back` commits ago (`0`: the last commit).
    pub fn version(&self, rel: &Path, back: usize) -> Result<String, BackupError> {
        self.git(&["show", &format!("HEAD~{back}:{}", rel.display())])
    }

    fn git(&self, args: &[&str]) -> Result<String, BackupError> {
        git(&self.dir, args, true)
    }

    /// Whether git exits 0 (for `diff --quiet`-style questions).
    fn git_status(&self, args: &[&str]) -> Result<bool, BackupError> {
        git_status(&self.dir, args)
    }
}

/// git in the repository at `dir`, with settings that keep a user's global configuration
/// (signing, hooks, pagers, an editor, colours, external diff tools) from hanging or
/// changing a run. `commits`: give git an identity when the user has none.
fn git_command(dir: &Path, args: &[&str], commits: bool) -> Command {
    let mut cmd = Command::new("git");
    cmd.arg("-C").arg(dir);
    cmd.args([
        "-c",
        "commit.gpgsign=false",
        "-c",
        "core.hooksPath=/dev/null",
    ]);
    cmd.args(["-c", "core.pager=cat", "-c", "core.quotePath=false"]);
    cmd.args(["-c", "color.ui=false"]);
    if commits && !has_identity(dir) {
        cmd.args([
            "-c",
            "user.name=fleetdash",
            "-c",
            "user.email=fleetdash@localhost",
        ]);
    }
    cmd.args(args);
    cmd.env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_EDITOR", "true");
    cmd
}

fn has_identity(dir: &Path) -> bool {
    Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["config", "user.email"])
        .output()
        .is_ok_and(|o| o.status.success() && !o.stdout.trim_ascii().is_empty())
}

fn git(dir: &Path, args: &[&str], commits: bool) -> Result<String, BackupError> {
    let out = git_command(dir, args, commits)
        .output()
        .map_err(|e| BackupError::Git {
            args: args.join(" "),
            why: format!("cannot run git: {e} (is git installed?)"),
        })?;
    if !out.status.success() {
        return Err(BackupError::Git {
            args: args.join(" "),
            why: escape_line(String::from_utf8_lossy(&out.stderr).trim()),
        });
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn git_status(dir: &Path, args: &[&str]) -> Result<bool, BackupError> {
    let status = git_command(dir, args, false)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .map_err(|e| BackupError::Git {
            args: args.join(" "),
            why: format!("cannot run git: {e}"),
        })?;
    Ok(status.success())
}

/// One stored version of a device's file: the commit that wrote it, and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    pub commit: String,
    pub at: std::time::SystemTime,
}

/// The last two versions of `rel` in the repository at `dir`, newest first (empty when
/// there is no repository, no commit or no such file). Read-only: needs no lock, so it
/// reads while a backup runs.
pub fn history(dir: &Path, rel: &Path) -> Result<Vec<Version>, BackupError> {
    if !dir.join(".git").exists()
        || !git_status(dir, &["rev-parse", "--verify", "--quiet", "HEAD"])?
    {
        return Ok(Vec::new());
    }
    let rel = rel.display().to_string();
    let log = git(
        dir,
        &["log", "-n", "2", "--format=%H %ct", "--", &rel],
        false,
    )?;
    Ok(log
        .lines()
        .filter_map(|line| {
            let (commit, secs) = line.split_once(' ')?;
            let at = std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs.parse().ok()?);
            Some(Version {
                commit: commit.to_string(),
                at,
            })
        })
        .collect())
}

/// Largest diff read for the dashboard: the rest is cut (a whole new config is a few MB).
pub const DIFF_CAP: usize = 4 << 20;

/// What changed in `rel` between its last two versions: `git diff` text, sanitised (device
/// text is hostile) and cut at [`DIFF_CAP`]; `None` while there are fewer than two.
pub fn diff(dir: &Path, rel: &Path) -> Result<Option<String>, BackupError> {
    let [new, old] = match history(dir, rel)?.as_slice() {
        [new, old] => [new.commit.clone(), old.commit.clone()],
        _ => return Ok(None),
    };
    let rel = rel.display().to_string();
    let out = git_command(
        dir,
        &[
            "diff",
            "--no-ext-diff",
            "--no-color",
            &old,
            &new,
            "--",
            &rel,
        ],
        false,
    )
    .output()
    .map_err(|e| BackupError::Git {
        args: "diff".into(),
        why: format!("cannot run git: {e}"),
    })?;
    if !out.status.success() {
        return Err(BackupError::Git {
            args: "diff".into(),
            why: escape_line(String::from_utf8_lossy(&out.stderr).trim()),
        });
    }
    let bytes = &out.stdout[..out.stdout.len().min(DIFF_CAP)];
    Ok(Some(crate::base::sanitize::sanitize(bytes)))
}

/// Devices grouped by the command that prints their configuration (platforms differ), and
/// the devices that cannot be fetched, with why. `platform_of` resolves `autodetect`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FetchPlan {
    pub runs: Vec<(String, Vec<DeviceId>)>,
    pub unfetchable: Vec<(DeviceId, ExecError)>,
    /// Devices whose platform prints no configuration: not an error, nothing to store.
    pub skipped: Vec<(DeviceId, String)>,
}

/// A device's platform: its own, or for `autodetect` what `fleetdash detect` recorded.
pub fn resolve_platform(detected: &crate::ssh::detect::Cache, d: &Device) -> Option<String> {
    match d.platform.as_str() {
        crate::platforms::AUTODETECT => detected.platform(d).map(str::to_string),
        p => Some(p.to_string()),
    }
}

pub fn plan_fetch(
    inventory: &Inventory,
    ids: &[DeviceId],
    platform_of: &dyn Fn(&Device) -> Option<String>,
) -> FetchPlan {
    let mut runs: BTreeMap<String, Vec<DeviceId>> = BTreeMap::new();
    let mut unfetchable = Vec::new();
    let mut skipped = Vec::new();
    for &id in ids {
        let Some(d) = inventory.devices.get(id) else {
            continue;
        };
        let why = match platform_of(d) {
            None => "its platform is not known yet: run `fleetdash detect` first".to_string(),
            Some(p) => match &profile(&p).running_config {
                Some(cmd) => {
                    runs.entry(cmd.clone()).or_default().push(id);
                    continue;
                }
                None => {
                    let why = format!("platform {p} has no `running_config:` in its platform file");
                    skipped.push((id, why));
                    continue;
                }
            },
        };
        unfetchable.push((
            id,
            ExecError {
                stage: Stage::Command,
                maybe_ran: false,
                reason: why,
            },
        ));
    }
    FetchPlan {
        runs: runs.into_iter().collect(),
        unfetchable,
        skipped,
    }
}

/// Every device's file from its answer, and one commit of what changed: the one pipeline
/// after the fetch, for `fleetdash backup` and the dashboard's `:backup`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// In inventory order.
    pub backups: Vec<DeviceBackup>,
    /// Parallel to `backups`.
    pub devices: Vec<DeviceId>,
    pub commit: Option<Commit>,
}

pub fn store_all(
    repo: &Repo,
    layout: &Layout,
    inventory: &Inventory,
    results: Vec<(DeviceId, Result<Output, ExecError>)>,
    skipped: &[(DeviceId, String)],
    platform_of: &dyn Fn(&Device) -> Option<String>,
    keep_secrets: bool,
) -> Result<Report, BackupError> {
    let mut all: Vec<(DeviceId, DeviceBackup)> = results
        .iter()
        .filter(|(id, _)| *id < inventory.devices.len())
        .map(|(id, result)| {
            let d = &inventory.devices[*id];
            let p = profile(&platform_of(d).unwrap_or_default());
            (*id, store(repo, layout, d, p, result, keep_secrets))
        })
        .collect();
    for (id, reason) in skipped {
        let Some(d) = inventory.devices.get(*id) else {
            continue;
        };
        let backup = DeviceBackup {
            name: d.name.clone(),
            file: layout.path(d),
            outcome: Outcome::Skipped {
                reason: reason.clone(),
            },
            bytes: 0,
        };
        all.push((*id, backup));
    }
    all.sort_by_key(|(id, _)| *id);
    let devices = all.iter().map(|(id, _)| *id).collect();
    let backups: Vec<DeviceBackup> = all.into_iter().map(|(_, b)| b).collect();
    let changed: Vec<PathBuf> = backups
        .iter()
        .filter(|b| matches!(b.outcome, Outcome::New | Outcome::Changed))
        .map(|b| b.file.clone())
        .collect();
    let commit = repo.commit(&changed, &message(&backups))?;
    Ok(Report {
        backups,
        devices,
        commit,
    })
}

/// Turns one device's answer into its file: errors, error markers, cut or empty output and
/// non-zero exits fail the device (its last good file stays); the rest is cleaned with the
/// platform's rules and stored.
pub fn store(
    repo: &Repo,
    layout: &Layout,
    device: &Device,
    profile: &Profile,
    result: &Result<Output, ExecError>,
    keep_secrets: bool,
) -> DeviceBackup {
    let file = layout.path(device);
    let failed = |stage: &str, reason: String| DeviceBackup {
        name: device.name.clone(),
        file: file.clone(),
        outcome: Outcome::Failed {
            stage: stage.into(),
            reason,
        },
        bytes: 0,
    };
    let out = match result {
        Err(e) => return failed(e.stage.as_str(), e.reason.clone()),
        Ok(out) => out,
    };
    if let Some(marker) = &out.error_marker {
        return failed(
            "command",
            format!("the device answered: {}", escape_line(marker)),
        );
    }
    if out.truncated {
        return failed(
            "command",
            "the configuration is larger than the output cap".into(),
        );
    }
    if out.exit_status.is_some_and(|s| s != 0) {
        return failed(
            "command",
            format!("exit status {}", out.exit_status.unwrap_or(0)),
        );
    }
    let text = profile.backup.clean(&out.text, keep_secrets);
    if text.trim().is_empty() {
        return failed(
            "command",
            "the device printed an empty configuration".into(),
        );
    }
    match repo.store(&file, &text) {
        Ok(outcome) => DeviceBackup {
            name: device.name.clone(),
            file,
            outcome,
            bytes: text.len(),
        },
        Err(e) => failed("write", format!("{}: {e}", file.display())),
    }
}

/// The commit message: counts, then who changed and who failed (names escaped, the list
/// cut at 200 names).
pub fn message(backups: &[DeviceBackup]) -> String {
    let mut by: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for b in backups {
        let key = match b.outcome {
            Outcome::New => "new",
            Outcome::Changed => "changed",
            Outcome::Unchanged => "unchanged",
            Outcome::Failed { .. } => "failed",
            Outcome::Skipped { .. } => "skipped",
        };
        by.entry(key).or_default().push(&b.name);
    }
    let n = |k: &str| by.get(k).map_or(0, Vec::len);
    let mut msg = format!(
        "fleetdash backup: {} changed, {} new, {} unchanged, {} failed",
        n("changed"),
        n("new"),
        n("unchanged"),
        n("failed")
    );
    if n("skipped") > 0 {
        msg.push_str(&format!(", {} skipped", n("skipped")));
    }
    msg.push('\n');
    for key in ["changed", "new", "failed"] {
        if let Some(names) = by.get(key) {
            let shown: Vec<String> = names.iter().take(200).map(|n| escape_line(n)).collect();
            let more = names.len().saturating_sub(200);
            msg.push_str(&format!("\n{key}: {}", shown.join(", ")));
            if more > 0 {
                msg.push_str(&format!(" and {more} more"));
            }
        }
    }
    msg.push('\n');
    msg
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::device;

    #[test]
    fn layouts_place_files_safely() {
        let mut d = device("ams-r1", "127.0.0.1", &["site-ams", "core"]);
        std::sync::Arc::make_mut(&mut d.tags).insert("role".into(), "../../etc".into());
        assert_eq!(Layout::default().path(&d), PathBuf::from("ams-r1"));
        let l = Layout::parse("{tag:site}/{group}/{platform}/{name}.cfg").unwrap();
        assert_eq!(
            l.path(&d),
            PathBuf::from("ams/site-ams/cisco_ios/ams-r1.cfg")
        );
        let l = Layout::parse("{tag:role}/{name}").unwrap();
        assert_eq!(l.path(&d), PathBuf::from("_/_/etc/ams-r1"));
        assert!(
            !l.path(&d)
                .components()
                .any(|c| matches!(c, std::path::Component::ParentDir))
        );
        d.name = ".git".into();
        assert_eq!(Layout::default().path(&d), PathBuf::from("_.git"));
        assert!(
            Layout::parse("{site}/{name}")
                .unwrap_err()
                .contains("unknown `{site}`")
        );
        assert!(Layout::parse("{group}").unwrap_err().contains("no {name}"));
        assert!(Layout::parse("{name").is_err());
    }

    /// What git reads back for the dashboard: no repository, one version, two; and the diff
    /// of device text carrying every kind of terminal escape comes back inert.
    #[test]
    fn history_and_diff_read_git_and_come_back_inert() {
        use crate::base::text::hostile::{SAMPLES, assert_inert};
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("repo");
        let rel = Path::new("r1");
        assert_eq!(history(&root, rel).unwrap(), []);
        let repo = Repo::open(&root).unwrap();
        assert_eq!(history(&root, rel).unwrap(), [], "no commit yet");
        assert_eq!(diff(&root, rel).unwrap(), None);
        repo.store(rel, "hostname r1\n").unwrap();
        let first = repo.commit(&[rel.into()], "one").unwrap().unwrap();
        let h = history(&root, rel).unwrap();
        assert_eq!(h.len(), 1);
        assert_eq!(h[0].commit, first.id);
        assert_eq!(
            diff(&root, rel).unwrap(),
            None,
            "one version: nothing to compare"
        );
        for (i, sample) in SAMPLES.iter().enumerate() {
            let text = format!("hostname r1\ndescription {sample}\n");
            repo.store(rel, &text).unwrap();
            let c = repo.commit(&[rel.into()], "next").unwrap().unwrap();
            let h = history(&root, rel).unwrap();
            assert_eq!(h.len(), 2, "the last two, newest first");
            assert_eq!(h[0].commit, c.id);
            let d = diff(&root, rel).unwrap().expect("two versions");
            // (A backspace erases, as on a terminal: `rt` is what is left of sample 2.)
            assert!(d.contains("+description rt"), "sample {i}: {d}");
            assert_inert(&format!("sample {i}"), &d);
        }
    }

    #[test]
    fn messages_list_what_changed_and_what_failed() {
        let b = |name: &str, outcome| DeviceBackup {
            name: name.into(),
            file: name.into(),
            outcome,
            bytes: 1,
        };
        let m = message(&[
            b("r1", Outcome::Changed),
            b("r2", Outcome::Unchanged),
            b(
                "r3",
                Outcome::Failed {
                    stage: "auth".into(),
                    reason: "x".into(),
                },
            ),
        ]);
        assert!(
            m.starts_with("fleetdash backup: 1 changed, 0 new, 1 unchanged, 1 failed\n"),
            "{m}"
        );
        assert!(
            m.contains("\nchanged: r1") && m.contains("\nfailed: r3"),
            "{m}"
        );
    }
}
