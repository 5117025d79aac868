//! Reads the plan document: the top level, `strategy`, `max_fail` and `pause`. Checks and
//! steps are read in `items`; scalar forms are parsed in `values`.

use serde_yaml::{Mapping, Value};

use super::error::PlanProblemKind as K;
use super::items::{self, Phase};
use super::load::Problems;
use super::shape::{boolean, command_line, list, mapping, string};
use super::values::{self, show};
use super::{GroupBy, MaxFail, OnFail, Pause, Plan, PlanSource, Strategy};
use crate::inventory::HostPattern;
use crate::inventory::locate::YamlPath;
use crate::inventory::suggest::closest;

const TOP_FIELDS: &[&str] = &[
    "name",
    "target",
    "strategy",
    "pre_checks",
    "post_checks",
    "snapshot",
    "steps",
    "rollback",
    "max_fail",
    "pause",
    "unreachable_is_failure",
];
const STRATEGY_FIELDS: &[&str] = &["canary", "batches", "serial", "group_by", "never_together"];
const MAX_FAIL_FIELDS: &[&str] = &["per_wave", "overall", "action"];
const ACTIONS: &[&str] = &["halt", "rollback", "continue"];

/// Reads the whole document. Problems go to `p`; the plan returned is only meaningful when
/// there are none.
pub(super) fn plan(doc: &Value, origin: &str, p: &mut Problems<'_>) -> Plan {
    let root = YamlPath::root();
    let mut plan = Plan {
        name: String::new(),
        target: String::new(),
        strategy: Strategy::default(),
        pre_checks: Vec::new(),
        post_checks: Vec::new(),
        snapshot: None,
        steps: Vec::new(),
        rollback: Vec::new(),
        max_fail: MaxFail::default(),
        pause: Pause::None,
        unreachable_is_failure: false,
        source: PlanSource {
            origin: origin.to_owned(),
            ..PlanSource::default()
        },
    };
    if doc.is_null() {
        p.add(
            K::MissingField,
            root,
            "the plan is empty",
            "a plan needs at least `name:`, `target:` and `steps:` (see the Rollouts section of the README)",
        );
        return plan;
    }
    let Some(map) = mapping(doc, &root, "the plan", TOP_FIELDS, p) else {
        return plan;
    };
    let required = |key: &str, p: &mut Problems<'_>, help: &str| {
        let found = map.get(key);
        if found.is_none() {
            let kind = if key == "steps" {
                K::NoSteps
            } else {
                K::MissingField
            };
            p.add(kind, root.clone(), format!("the plan has no `{key}`"), help);
        }
        found
    };
    if let Some(v) = required(
        "name",
        p,
        "add `name: …`, shown in the UI, journal and report",
    ) {
        plan.name = string(v, &root.key("name"), "`name`", p).unwrap_or_default();
    }
    if let Some(v) = required("target", p, "add `target: PATTERN` (e.g. `target: core`)") {
        plan.target = target(v, &root.key("target"), p).unwrap_or_default();
        plan.source.target = Some(p.position(&root.key("target")));
    }
    if let Some(v) = map.get("strategy") {
        plan.strategy = strategy(v, &root.key("strategy"), &mut plan.source, p);
    }
    if let Some(v) = map.get("pre_checks") {
        plan.pre_checks = items::checks(v, &root.key("pre_checks"), Phase::Pre, &[], p);
    }
    if let Some(v) = map.get("post_checks") {
        let pre: Vec<String> = plan.pre_checks.iter().map(|c| c.command.clone()).collect();
        plan.post_checks = items::checks(v, &root.key("post_checks"), Phase::Post, &pre, p);
    }
    if let Some(v) = map.get("snapshot") {
        plan.snapshot = command_line(v, &root.key("snapshot"), "`snapshot`", p);
    }
    let steps_help = "list what to change: `- config: [lines]` or `- command: …`";
    if let Some(v) = required("steps", p, steps_help) {
        let at = root.key("steps");
        let before = p.len();
        plan.steps = items::steps(v, &at, "steps", p);
        if plan.steps.is_empty() && p.len() == before {
            p.add(
                K::NoSteps,
                root.key_node("steps"),
                "`steps` is empty",
                steps_help,
            );
        }
    }
    if let Some(v) = map.get("rollback") {
        plan.rollback = items::steps(v, &root.key("rollback"), "rollback", p);
    }
    if let Some(v) = map.get("max_fail") {
        let at = root.key("max_fail");
        plan.max_fail = max_fail(v, &at, p);
        if plan.max_fail.action == OnFail::Rollback && plan.rollback.is_empty() {
            p.add(
                K::InvalidValue,
                at,
                "`max_fail` says `action: rollback`, but the plan has no `rollback` steps",
                "add `rollback:` steps that undo `steps`, or use `action: halt`",
            );
        }
    }
    if let Some(v) = map.get("pause") {
        plan.pause = pause(v, &root.key("pause"), p);
    }
    if let Some(v) = map.get("unreachable_is_failure") {
        let at = root.key("unreachable_is_failure");
        plan.unreachable_is_failure = boolean(v, &at, "`unreachable_is_failure`", p);
    }
    plan
}

fn target(value: &Value, at: &YamlPath, p: &mut Problems<'_>) -> Option<String> {
    let text = string(value, at, "`target`", p)?;
    match HostPattern::parse(&text) {
        Ok(_) => Some(text),
        Err(e) => {
            p.add(
                K::BadTarget,
                at.clone(),
                format!("bad target `{text}`: {e}"),
                "a host pattern: groups, device globs, `tag:KEY=VALUE`, with `&` and `!`",
            );
            None
        }
    }
}

fn strategy(
    value: &Value,
    at: &YamlPath,
    source: &mut PlanSource,
    p: &mut Problems<'_>,
) -> Strategy {
    let mut strategy = Strategy::default();
    let Some(map) = mapping(value, at, "`strategy`", STRATEGY_FIELDS, p) else {
        return strategy;
    };
    if let Some(v) = map.get("canary") {
        let at = at.key("canary");
        match v.as_u64() {
            Some(n) => strategy.canary = usize::try_from(n).unwrap_or(usize::MAX),
            None => p.add(
                K::InvalidValue,
                at.clone(),
                format!("`canary` must be a number of devices, not {}", show(v)),
                "write e.g. `canary: 1` (0 for no canary wave)",
            ),
        }
        source.canary = Some(p.position(&at));
    }
    strategy.batches = batches(map, at, p);
    if let Some(v) = map.get("group_by") {
        let at = at.key("group_by");
        strategy.group_by = group_by(v, &at, p);
        source.group_by = Some(p.position(&at));
    }
    if let Some(v) = map.get("never_together") {
        let at = at.key("never_together");
        for (i, item) in list(v, &at, "`never_together`", p)
            .unwrap_or_default()
            .iter()
            .enumerate()
        {
            if let Some(set) = never_together(item, &at.index(i), i + 1, p) {
                strategy.never_together.push(set);
                source.never_together.push(p.position(&at.index(i)));
            }
        }
    }
    strategy
}

/// `batches: [1, 5, "20%"]`, or Ansible's `serial:` (a size or a list of sizes).
fn batches(map: &Mapping, at: &YamlPath, p: &mut Problems<'_>) -> Vec<super::Batch> {
    let (key, value) = match (map.get("batches"), map.get("serial")) {
        (Some(_), Some(_)) => {
            p.add(
                K::InvalidValue,
                at.key_node("serial"),
                "`strategy` has both `batches` and `serial`",
                "they mean the same: keep one",
            );
            return Vec::new();
        }
        (Some(v), None) => ("batches", v),
        (None, Some(v)) => ("serial", v),
        (None, None) => return Vec::new(),
    };
    let at = at.key(key);
    let items: Vec<(YamlPath, &Value)> = match value {
        Value::Sequence(items) => items
            .iter()
            .enumerate()
            .map(|(i, v)| (at.index(i), v))
            .collect(),
        one => vec![(at.clone(), one)],
    };
    items
        .into_iter()
        .filter_map(|(at, v)| match values::batch(v) {
            Ok(b) => Some(b),
            Err(bad) => {
                let kind = match v.as_str().is_some_and(|s| s.trim().ends_with('%')) {
                    true => K::BadPercent,
                    false => K::InvalidValue,
                };
                p.add(kind, at, format!("`{key}`: {}", bad.message), bad.help);
                None
            }
        })
        .collect()
}

/// `tag:KEY`, `group`, or `group:PREFIX`.
fn group_by(value: &Value, at: &YamlPath, p: &mut Problems<'_>) -> Option<GroupBy> {
    let text = string(value, at, "`group_by`", p)?;
    let (kind, arg) = match text.split_once(':') {
        Some((kind, arg)) => (kind.trim(), Some(arg.trim())),
        None => (text.as_str(), None),
    };
    match (kind, arg) {
        ("tag", Some(key)) if !key.is_empty() => Some(GroupBy::Tag(key.to_owned())),
        ("group", None) => Some(GroupBy::Group(None)),
        ("group", Some(prefix)) if !prefix.is_empty() => {
            Some(GroupBy::Group(Some(prefix.to_owned())))
        }
        _ => {
            let help = match (closest(kind, ["tag", "group"]), arg) {
                (Some(near), Some(arg)) => format!("did you mean `{near}:{arg}`?"),
                (None, None) if !kind.is_empty() => {
                    format!("to spread by a tag, write `tag:{kind}`; by group, `group:{kind}`")
                }
                _ => "write `tag:KEY` (e.g. `tag:site`), `group`, or `group:PREFIX` \
                      (e.g. `group:site-`)"
                    .to_owned(),
            };
            p.add(
                K::UnknownGroupBy,
                at.clone(),
                format!("unknown group_by `{text}`"),
                help,
            );
            None
        }
    }
}

/// One `never_together` entry: a list of at least two distinct device names.
fn never_together(
    value: &Value,
    at: &YamlPath,
    number: usize,
    p: &mut Problems<'_>,
) -> Option<Vec<String>> {
    let what = format!("never_together #{number}");
    let help = "write each entry as a list of device names, e.g. `- [ams-core-1, ams-core-2]`";
    let Value::Sequence(items) = value else {
        p.add(
            K::InvalidValue,
            at.clone(),
            format!("{what} must be a list of device names"),
            help,
        );
        return None;
    };
    let mut names: Vec<String> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let name = string(item, &at.index(i), &format!("{what}: device name"), p)?;
        if names.contains(&name) {
            p.add(
                K::InvalidValue,
                at.index(i),
                format!("{what} names `{name}` twice"),
                "list each device once",
            );
            return None;
        }
        names.push(name);
    }
    if names.len() < 2 {
        p.add(
            K::InvalidValue,
            at.clone(),
            format!("{what} needs at least two devices"),
            help,
        );
        return None;
    }
    Some(names)
}

/// A threshold (applies per wave and overall), or `{per_wave, overall, action}`.
fn max_fail(value: &Value, at: &YamlPath, p: &mut Problems<'_>) -> MaxFail {
    let mut out = MaxFail::default();
    let threshold = |v: &Value, at: YamlPath, p: &mut Problems<'_>| match values::threshold(v) {
        Ok(t) => Some(t),
        Err(bad) => {
            p.add(
                K::BadThreshold,
                at,
                format!("`max_fail`: {}", bad.message),
                bad.help,
            );
            None
        }
    };
    let Value::Mapping(_) = value else {
        let t = threshold(value, at.clone(), p);
        out.per_wave = t;
        out.overall = t;
        return out;
    };
    let Some(map) = mapping(value, at, "`max_fail`", MAX_FAIL_FIELDS, p) else {
        return out;
    };
    // In this form an unnamed limit is unlimited, unless neither is named (then any failure
    // counts, as when `max_fail` is absent).
    if map.contains_key("per_wave") || map.contains_key("overall") {
        out.per_wave = map
            .get("per_wave")
            .and_then(|v| threshold(v, at.key("per_wave"), p));
        out.overall = map
            .get("overall")
            .and_then(|v| threshold(v, at.key("overall"), p));
    }
    if let Some(v) = map.get("action") {
        let at = at.key("action");
        match v.as_str().map(str::trim) {
            Some("halt") => out.action = OnFail::Halt,
            Some("rollback") => out.action = OnFail::Rollback,
            Some("continue") => out.action = OnFail::Continue,
            other => {
                let help = match other.and_then(|o| closest(o, ACTIONS.iter().copied())) {
                    Some(near) => format!("did you mean `{near}`?"),
                    None => "use `halt` (stop), `rollback` (stop and undo the failed devices) \
                             or `continue`"
                        .to_owned(),
                };
                p.add(
                    K::InvalidValue,
                    at,
                    format!("unknown `max_fail` action {}", show(v)),
                    help,
                );
            }
        }
    }
    out
}

/// `none`, `manual`, a duration, or a number of seconds.
fn pause(value: &Value, at: &YamlPath, p: &mut Problems<'_>) -> Pause {
    let text = match value {
        Value::Null => return Pause::None,
        Value::Number(n) if n.as_u64().is_some() => n.to_string(),
        Value::String(s) => s.trim().to_owned(),
        _ => {
            p.add(
                K::BadDuration,
                at.clone(),
                format!("bad `pause` {}", show(value)),
                "write `none`, `manual` (approve each wave) or a duration such as `5m`",
            );
            return Pause::None;
        }
    };
    match text.as_str() {
        "none" => Pause::None,
        "manual" => Pause::Manual,
        _ => match values::duration(&text) {
            Ok(d) => Pause::Duration(d),
            Err(bad) => {
                p.add(
                    K::BadDuration,
                    at.clone(),
                    format!("`pause`: {}", bad.message),
                    bad.help,
                );
                Pause::None
            }
        },
    }
}
