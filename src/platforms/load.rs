//! Reading one platform file: YAML with the inventory's limits, every key checked (with a
//! did-you-mean), every pattern compiled, every problem located at its file:line:col.

use regex::Regex;
use serde_yaml::Value;

use super::error::{PlatformError, PlatformProblem, PlatformProblemKind as K};
use super::poll::{self, PollSpec};
use super::spec::{self, Spec};
use super::{Answer, Detect, Modes, NeighborSpec, Privilege, Profile, Save, Scrub, neighbors};
use crate::base::text::Untrusted;
use crate::inventory::InventoryError;
use crate::inventory::locate::YamlPath;
use crate::inventory::report::Report;
use crate::inventory::suggest::closest;
use crate::inventory::yaml;

const TOP: &[&str] = &[
    "name",
    "description",
    "transport",
    "prompt",
    "privilege",
    "setup",
    "pagers",
    "login_prompts",
    "username_suffix",
    "config",
    "save",
    "errors",
    "strip",
    "running_config",
    "backup",
    "logout",
    "detect",
    "polls",
    "neighbors",
];
const PROMPT: &[&str] = &["pattern", "user", "privileged", "config", "above"];
const PRIVILEGE: &[&str] = &["command", "username_prompt", "password_prompt"];
const ANSWER: &[&str] = &["pattern", "answer"];
const CONFIG: &[&str] = &["enter", "exit", "commit", "commit_exits", "discard"];
const SAVE: &[&str] = &["command", "confirm", "in_config"];
const DETECT: &[&str] = &["banner", "command", "output", "unless"];
const POLL: &[&str] = &["command", "parser"];
const BACKUP: &[&str] = &["volatile", "secrets"];
const REQUIRED: &[&str] = &["name", "description", "transport", "prompt"];

/// Reads platform YAML. `stem` is the file name without `.yaml` (the platform's name);
/// `origin` names the text in messages and becomes `Profile::source`.
pub(super) fn profile(text: &str, stem: &str, origin: &str) -> Result<Profile, PlatformError> {
    let doc = yaml::parse(text, origin).map_err(|e| syntax(origin, &e))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut report = Report::new(text);
    let root = YamlPath::root();
    check_keys(&doc, &root, TOP, "the platform file", &mut report);
    if let Value::Mapping(map) = &doc {
        for key in REQUIRED {
            if !map.contains_key(*key) {
                report.add(
                    K::MissingField,
                    root.clone(),
                    format!("the platform file has no `{key}`"),
                    Some(format!(
                        "add `{key}:` (see assets/platforms/cisco_ios.yaml)"
                    )),
                );
            }
        }
    }
    nested(&doc, "prompt", PROMPT, &mut report);
    nested(&doc, "privilege", PRIVILEGE, &mut report);
    nested(&doc, "config", CONFIG, &mut report);
    nested(&doc, "save", SAVE, &mut report);
    nested(&doc, "detect", DETECT, &mut report);
    nested(&doc, "backup", BACKUP, &mut report);
    if let Some(save) = doc.get("save") {
        let at = root.key("save").key("confirm");
        if let Some(c) = save.get("confirm") {
            check_keys(c, &at, ANSWER, "`save.confirm`", &mut report);
        }
    }
    for (list, keys) in [
        ("pagers", ANSWER),
        ("login_prompts", ANSWER),
        ("polls", POLL),
        ("neighbors", POLL),
    ] {
        if let Some(Value::Sequence(items)) = doc.get(list) {
            for (i, item) in items.iter().enumerate() {
                let what = format!("entry #{} of `{list}`", i + 1);
                check_keys(item, &root.key(list).index(i), keys, &what, &mut report);
            }
        }
    }
    if !report.is_empty() {
        return Err(into_error(report, origin));
    }
    let spec: Spec = match serde_yaml::from_value(doc) {
        Ok(spec) => spec,
        Err(e) => {
            report.add(
                K::InvalidValue,
                root,
                format!("{}", Untrusted(&e.to_string())),
                Some("see assets/platforms/cisco_ios.yaml for the shape of each key".into()),
            );
            return Err(into_error(report, origin));
        }
    };
    let profile = compile(spec, stem, origin, &mut report);
    match report.is_empty() {
        true => Ok(profile),
        false => Err(into_error(report, origin)),
    }
}

/// Turns the file's values into the driver, reporting every pattern that does not compile.
fn compile(spec: Spec, stem: &str, origin: &str, report: &mut Report<'_, K>) -> Profile {
    let root = YamlPath::root();
    if spec.name != stem {
        report.add(
            K::NameMismatch,
            root.key("name"),
            format!(
                "`name: {}` differs from the file name `{stem}.yaml`",
                Untrusted(&spec.name)
            ),
            Some(format!(
                "name the file `{}.yaml`, or write `name: {stem}`",
                Untrusted(&spec.name)
            )),
        );
    }
    let mut c = Compiler { report };
    let at = |key: &str| root.key(key);
    let prompt = c.re(&spec.prompt.pattern, at("prompt").key("pattern"));
    let modes = Modes {
        user: c.maybe(&spec.prompt.user, at("prompt").key("user")),
        privileged: c.maybe(&spec.prompt.privileged, at("prompt").key("privileged")),
        config: c.maybe(&spec.prompt.config, at("prompt").key("config")),
        above: c.maybe(&spec.prompt.above, at("prompt").key("above")),
    };
    let privilege = spec.privilege.as_ref().map(|p| Privilege {
        command: p.command.clone(),
        username_prompt: c.maybe(&p.username_prompt, at("privilege").key("username_prompt")),
        password_prompt: c.maybe(&p.password_prompt, at("privilege").key("password_prompt")),
    });
    let pagers = c.answers(&spec.pagers, at("pagers"));
    let login_prompts = c.answers(&spec.login_prompts, at("login_prompts"));
    let save = spec.save.as_ref().map(|s| Save {
        command: s.command.clone(),
        confirm: s
            .confirm
            .as_ref()
            .map(|a| c.answer(a, at("save").key("confirm"))),
        in_config: s.in_config,
    });
    if let Some(suffix) = &spec.username_suffix
        && !suffix_ok(suffix)
    {
        c.report.add(
            K::InvalidValue,
            at("username_suffix"),
            format!(
                "`username_suffix: {}` is not a login suffix",
                Untrusted(suffix)
            ),
            Some("up to 32 letters, digits and `+` (MikroTik: `+ct511w4098h`)".into()),
        );
    }
    let errors = c.all(&spec.errors, at("errors"));
    let strip = c.all(&spec.strip, at("strip"));
    let detect = spec.detect.as_ref().map(|d| Detect {
        banner: c.all(&d.banner, at("detect").key("banner")),
        command: d.command.clone(),
        output: c.all(&d.output, at("detect").key("output")),
        unless: c.all(&d.unless, at("detect").key("unless")),
    });
    let backup = spec.backup.as_ref().map(|b| Scrub {
        volatile: c.all(&b.volatile, at("backup").key("volatile")),
        secrets: c.all(&b.secrets, at("backup").key("secrets")),
    });
    let polls = c.parsers(&spec.polls, "polls", poll::PARSERS, |command, parse| {
        PollSpec { command, parse }
    });
    let neighbors = c.parsers(
        &spec.neighbors,
        "neighbors",
        neighbors::NEIGHBOR_PARSERS,
        |command, parse| NeighborSpec { command, parse },
    );
    Profile {
        name: spec.name,
        description: spec.description,
        source: origin.to_string(),
        transport: spec.transport,
        prompt,
        modes,
        privilege,
        setup: spec.setup,
        pagers,
        login_prompts,
        username_suffix: spec.username_suffix,
        config: spec.config,
        save,
        errors,
        strip,
        running_config: spec.running_config,
        backup: backup.unwrap_or_default(),
        logout: spec.logout,
        detect,
        polls,
        neighbors,
    }
}

/// A suffix goes into the SSH user name: no spaces, control characters or `@`.
fn suffix_ok(suffix: &str) -> bool {
    !suffix.is_empty()
        && suffix.len() <= 32
        && suffix
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'+')
}

/// Compiles patterns, reporting each one that does not compile where it is.
struct Compiler<'r, 't> {
    report: &'r mut Report<'t, K>,
}

impl Compiler<'_, '_> {
    fn re(&mut self, pattern: &str, at: YamlPath) -> Regex {
        match Regex::new(pattern) {
            Ok(re) => re,
            Err(e) => {
                let why = e.to_string();
                let last = why.lines().last().unwrap_or("invalid").trim().to_string();
                self.report.add(
                    K::BadRegex,
                    at,
                    format!(
                        "`{}` is not a valid regular expression: {}",
                        Untrusted(pattern),
                        Untrusted(&last)
                    ),
                    Some("patterns use Rust regex syntax; escape `(`, `[`, `.` with `\\`".into()),
                );
                Regex::new("$^").expect("valid regex")
            }
        }
    }

    /// Each `{command, parser}` of `key` with its parser from `known`, reporting unknown
    /// parser names with a did-you-mean.
    fn parsers<P: Copy, T>(
        &mut self,
        items: &[spec::Poll],
        key: &str,
        known: &[(&str, P)],
        make: impl Fn(String, P) -> T,
    ) -> Vec<T> {
        let mut out = Vec::new();
        for (i, p) in items.iter().enumerate() {
            match known.iter().find(|(n, _)| *n == p.parser) {
                Some((_, parse)) => out.push(make(p.command.clone(), *parse)),
                None => {
                    let names: Vec<&str> = known.iter().map(|(n, _)| *n).collect();
                    let hint = closest(&p.parser, names.iter().copied())
                        .map(|n| format!("did you mean `{n}`? "))
                        .unwrap_or_default();
                    self.report.add(
                        K::UnknownParser,
                        YamlPath::root().key(key).index(i).key("parser"),
                        format!("unknown parser `{}`", Untrusted(&p.parser)),
                        Some(format!("{hint}parsers: {}", names.join(", "))),
                    );
                }
            }
        }
        out
    }

    fn maybe(&mut self, pattern: &Option<String>, at: YamlPath) -> Option<Regex> {
        pattern.as_ref().map(|p| self.re(p, at))
    }

    fn all(&mut self, patterns: &[String], at: YamlPath) -> Vec<Regex> {
        patterns
            .iter()
            .enumerate()
            .map(|(i, p)| self.re(p, at.index(i)))
            .collect()
    }

    fn answer(&mut self, a: &spec::Answer, at: YamlPath) -> Answer {
        Answer {
            pattern: self.re(&a.pattern, at.key("pattern")),
            answer: a.answer.clone(),
        }
    }

    fn answers(&mut self, items: &[spec::Answer], at: YamlPath) -> Vec<Answer> {
        items
            .iter()
            .enumerate()
            .map(|(i, a)| self.answer(a, at.index(i)))
            .collect()
    }
}

fn nested(doc: &Value, key: &str, keys: &[&str], report: &mut Report<'_, K>) {
    if let Some(v) = doc.get(key) {
        check_keys(
            v,
            &YamlPath::root().key(key),
            keys,
            &format!("`{key}`"),
            report,
        );
    }
}

/// Reports keys of the mapping at `at` that are not in `keys`, with the closest known one.
fn check_keys(value: &Value, at: &YamlPath, keys: &[&str], what: &str, report: &mut Report<'_, K>) {
    let Value::Mapping(map) = value else {
        report.add(
            K::InvalidValue,
            at.clone(),
            format!("{what} must be a mapping of `key: value` lines"),
            Some(format!("keys: {}", keys.join(", "))),
        );
        return;
    };
    for key in map.keys() {
        let Some(key) = key.as_str() else {
            report.add(
                K::InvalidValue,
                at.clone(),
                format!("a key in {what} is not text"),
                None,
            );
            continue;
        };
        if keys.contains(&key) {
            continue;
        }
        let help = match closest(key, keys.iter().copied()) {
            Some(k) => format!("did you mean `{k}`?"),
            None => format!("{what} takes: {}", keys.join(", ")),
        };
        report.add(
            K::UnknownField,
            at.key_node(key),
            format!("unknown field `{}` in {what}", Untrusted(key)),
            Some(help),
        );
    }
}

fn into_error(report: Report<'_, K>, origin: &str) -> PlatformError {
    let (problems, _) = report.into_problems(20);
    PlatformError::Invalid {
        origin: origin.to_owned(),
        problems,
    }
}

/// A YAML syntax problem, as the shared reader positioned it.
fn syntax(origin: &str, inv: &InventoryError) -> PlatformError {
    let problems = inv
        .problems()
        .iter()
        .map(|p| PlatformProblem {
            kind: K::Syntax,
            line: p.line,
            column: p.column,
            message: p.message.clone(),
            help: p
                .help
                .as_ref()
                .map(|h| h.replace("an inventory", "a platform file")),
        })
        .collect();
    PlatformError::Invalid {
        origin: origin.to_owned(),
        problems,
    }
}
