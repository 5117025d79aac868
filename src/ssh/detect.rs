//! Detecting a device's platform over SSH: log in with the generic shell driver (a learned
//! prompt, nothing assumed), run every platform's identification command once, and let
//! [`crate::platforms::detect::choose`] score what came back.

use super::options::SshOptions;
use super::outcome::ExecError;
use super::session::Session;
use crate::inventory::Device;
use crate::platforms::detect::{self, Detection, Evidence};
use crate::platforms::registry;

/// The driver detection logs in with: a shell with a learned prompt.
pub const DETECT_WITH: &str = "generic";

/// What was found on one device, and what it was found from.
#[derive(Debug, Clone)]
pub struct Detected {
    pub detection: Detection,
    pub evidence: Evidence,
}

/// Logs in to `device` as a generic shell and identifies its platform. Only the platforms'
/// identification commands are sent (`show version`, `uname -a`, …): each is read-only on
/// every platform, and one a device does not know is just an error line to it.
pub async fn detect(device: &Device, opts: &SshOptions) -> Result<Detected, ExecError> {
    let mut probe = device.clone();
    probe.platform = DETECT_WITH.to_string();
    let mut session = Session::connect(&probe, opts).await?;
    let r = registry();
    let mut evidence = Evidence {
        banner: session.greeting().unwrap_or_default().to_string(),
        ..Evidence::default()
    };
    for command in detect::commands(r) {
        let output = match session.run(&command).await {
            Ok(out) => Some(out.text),
            Err(e) if session.is_closed() => {
                // Some devices hang up on a command they do not know; what ran so far counts.
                tracing::debug!(device = %device.name, %command, reason = %e.reason, "detect: session ended");
                break;
            }
            Err(_) => None,
        };
        evidence.outputs.push((command, output));
        if let Detection::Found(_) = detect::choose(r, &evidence) {
            // A later command cannot take a match away (only `unless` on its own output
            // can), so stop early and send as little as possible.
            break;
        }
    }
    session.close().await;
    Ok(Detected {
        detection: detect::choose(r, &evidence),
        evidence,
    })
}

/// Platforms found earlier, per device name (valid while the device's address and port are
/// the same), kept in the state directory so a device is detected once, not on every run.
#[derive(Debug, Default, Clone, serde::Serialize, serde::Deserialize)]
pub struct Cache {
    devices: std::collections::BTreeMap<String, Cached>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
struct Cached {
    host: String,
    port: u16,
    platform: String,
    /// RFC 3339, when it was detected.
    at: String,
}

impl Cache {
    /// The cache at `path`; a missing file is an empty cache, an unreadable one is ignored
    /// (and said so in the log): it only saves time.
    pub fn load(path: &std::path::Path) -> Cache {
        match crate::base::files::read_text(path, crate::base::files::FileKind::Cache) {
            Ok(text) => serde_json::from_str(&text).unwrap_or_else(|e| {
                tracing::warn!(path = %path.display(), error = %e, "detect cache unreadable; starting afresh");
                Cache::default()
            }),
            Err(e) if e.is_not_found() => Cache::default(),
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "detect cache unreadable; starting afresh");
                Cache::default()
            }
        }
    }

    /// The platform detected for `device`, if its address has not changed since.
    pub fn platform(&self, device: &Device) -> Option<&str> {
        self.devices
            .get(&device.name)
            .filter(|c| c.host == device.host && c.port == device.port)
            .map(|c| c.platform.as_str())
    }

    pub fn record(&mut self, device: &Device, platform: &str) {
        let entry = Cached {
            host: device.host.clone(),
            port: device.port,
            platform: platform.to_string(),
            at: crate::base::time::rfc3339(std::time::SystemTime::now()),
        };
        self.devices.insert(device.name.clone(), entry);
    }

    /// Writes the cache (0600), merged with what another process wrote meanwhile, under
    /// the state lock beside it.
    pub fn save(&self, path: &std::path::Path) -> std::io::Result<()> {
        let _lock = crate::base::lock::StateLock::beside(path).map_err(std::io::Error::other)?;
        let mut merged = Cache::load(path);
        merged.devices.extend(self.devices.clone());
        let text = serde_json::to_vec_pretty(&merged).map_err(std::io::Error::other)?;
        let tmp = path.with_extension("json.tmp");
        crate::base::private_file::write(&tmp, &text)?;
        std::fs::rename(&tmp, path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_keeps_a_platform_while_the_address_is_the_same() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("detected.json");
        let mut d = crate::testkit::device("r1", "127.0.0.1", &[]);
        let mut cache = Cache::load(&path);
        assert_eq!(cache.platform(&d), None);
        cache.record(&d, "cisco_ios");
        cache.save(&path).unwrap();
        let again = Cache::load(&path);
        assert_eq!(again.platform(&d), Some("cisco_ios"));
        d.port = 2222;
        assert_eq!(again.platform(&d), None, "a moved device is detected again");
        std::fs::write(&path, "{not json").unwrap();
        assert_eq!(Cache::load(&path).platform(&d), None);
    }
}
