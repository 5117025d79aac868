//! The ssh_config keywords: the ones fleetdash acts on, and every other OpenSSH client
//! keyword by name, so that an option fleetdash ignores is named in the log as such and a
//! word OpenSSH does not know either is called unknown (a typo?).

/// Keywords with a meaning here; every other OpenSSH keyword is [`Kw::Other`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kw {
    Host,
    Match,
    Include,
    HostName,
    User,
    Port,
    IdentityFile,
    IdentitiesOnly,
    IdentityAgent,
    ProxyJump,
    ProxyCommand,
    ConnectTimeout,
    StrictHostKeyChecking,
    UserKnownHostsFile,
    GlobalKnownHostsFile,
    HostKeyAlias,
    KexAlgorithms,
    HostKeyAlgorithms,
    Ciphers,
    Macs,
    ServerAliveInterval,
    ServerAliveCountMax,
    IgnoreUnknown,
    /// An OpenSSH keyword fleetdash does not act on (index into [`IGNORED`]).
    Other(u16),
}

const OURS: &[(&str, Kw)] = &[
    ("host", Kw::Host),
    ("match", Kw::Match),
    ("include", Kw::Include),
    ("hostname", Kw::HostName),
    ("user", Kw::User),
    ("port", Kw::Port),
    ("identityfile", Kw::IdentityFile),
    ("identitiesonly", Kw::IdentitiesOnly),
    ("identityagent", Kw::IdentityAgent),
    ("proxyjump", Kw::ProxyJump),
    ("proxycommand", Kw::ProxyCommand),
    ("connecttimeout", Kw::ConnectTimeout),
    ("stricthostkeychecking", Kw::StrictHostKeyChecking),
    ("userknownhostsfile", Kw::UserKnownHostsFile),
    ("globalknownhostsfile", Kw::GlobalKnownHostsFile),
    ("hostkeyalias", Kw::HostKeyAlias),
    ("kexalgorithms", Kw::KexAlgorithms),
    ("hostkeyalgorithms", Kw::HostKeyAlgorithms),
    ("ciphers", Kw::Ciphers),
    ("macs", Kw::Macs),
    ("serveraliveinterval", Kw::ServerAliveInterval),
    ("serveralivecountmax", Kw::ServerAliveCountMax),
    ("ignoreunknown", Kw::IgnoreUnknown),
];

/// OpenSSH client keywords (OpenSSH 10 and the deprecated ones it still accepts) that
/// fleetdash reads but does not act on.
pub const IGNORED: &[&str] = &[
    "addkeystoagent",
    "addressfamily",
    "batchmode",
    "bindaddress",
    "bindinterface",
    "canonicaldomains",
    "canonicalizefallbacklocal",
    "canonicalizehostname",
    "canonicalizemaxdots",
    "canonicalizepermittedcnames",
    "casignaturealgorithms",
    "certificatefile",
    "challengeresponseauthentication",
    "channeltimeout",
    "checkhostip",
    "cipher",
    "clearallforwardings",
    "compression",
    "compressionlevel",
    "connectionattempts",
    "controlmaster",
    "controlpath",
    "controlpersist",
    "dynamicforward",
    "enableescapecommandline",
    "enablesshkeysign",
    "escapechar",
    "exitonforwardfailure",
    "fallbacktorsh",
    "fingerprinthash",
    "forkafterauthentication",
    "forwardagent",
    "forwardx11",
    "forwardx11timeout",
    "forwardx11trusted",
    "gatewayports",
    "gssapiauthentication",
    "gssapiclientidentity",
    "gssapidelegatecredentials",
    "gssapikexalgorithms",
    "gssapikeyexchange",
    "gssapirenewalforcesrekey",
    "gssapiserveridentity",
    "gssapitrustdns",
    "hashknownhosts",
    "hostbasedacceptedalgorithms",
    "hostbasedauthentication",
    "hostbasedkeytypes",
    "ipqos",
    "kbdinteractiveauthentication",
    "kbdinteractivedevices",
    "knownhostscommand",
    "localcommand",
    "localforward",
    "loglevel",
    "logverbose",
    "nohostauthenticationforlocalhost",
    "numberofpasswordprompts",
    "obscurekeystroketiming",
    "passwordauthentication",
    "permitlocalcommand",
    "permitremoteopen",
    "pkcs11provider",
    "preferredauthentications",
    "protocol",
    "proxyusefdpass",
    "pubkeyacceptedalgorithms",
    "pubkeyacceptedkeytypes",
    "pubkeyauthentication",
    "refuseconnection",
    "rekeylimit",
    "remotecommand",
    "remoteforward",
    "requesttty",
    "requiredrsasize",
    "revokedhostkeys",
    "rhostsrsaauthentication",
    "rsaauthentication",
    "securitykeyprovider",
    "sendenv",
    "sessiontype",
    "setenv",
    "skeyauthentication",
    "stdinnull",
    "streamlocalbindmask",
    "streamlocalbindunlink",
    "syslogfacility",
    "tag",
    "tcpkeepalive",
    "tisauthentication",
    "tunnel",
    "tunneldevice",
    "updatehostkeys",
    "usekeychain",
    "useprivilegedport",
    "usersh",
    "verifyhostkeydns",
    "versionaddendum",
    "visualhostkey",
    "warnweakcrypto",
    "xauthlocation",
];

/// The keyword for `word`, whatever its case; `None` if OpenSSH has no such keyword.
pub fn lookup(word: &str) -> Option<Kw> {
    let lower = word.to_ascii_lowercase();
    if let Some((_, kw)) = OURS.iter().find(|(n, _)| *n == lower) {
        return Some(*kw);
    }
    IGNORED
        .iter()
        .position(|n| *n == lower)
        .map(|i| Kw::Other(i as u16))
}

impl Kw {
    /// The keyword as `ssh -G` prints it (lowercase).
    pub fn name(self) -> &'static str {
        match self {
            Kw::Other(i) => IGNORED[usize::from(i)],
            kw => OURS
                .iter()
                .find(|(_, k)| *k == kw)
                .map(|(n, _)| *n)
                .expect("every keyword of ours has a name"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_fold_case_and_round_trip() {
        assert_eq!(lookup("HostName"), Some(Kw::HostName));
        assert_eq!(lookup("HOSTNAME"), Some(Kw::HostName));
        assert_eq!(lookup("sendenv").map(Kw::name), Some("sendenv"));
        assert_eq!(lookup("HostNmae"), None);
        for (name, kw) in OURS {
            assert_eq!(kw.name(), *name);
        }
        let mut sorted = IGNORED.to_vec();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), IGNORED.len(), "sorted, without repeats");
    }
}
