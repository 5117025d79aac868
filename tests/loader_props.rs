//! Properties of the loaders over arbitrary input: the inventory loader, the rollout plan
//! loader and the host-pattern parser never panic; their errors say where the problem is
//! (a line and column inside the text, or the offending term of the pattern) and carry no
//! character that could drive a terminal. Valid YAML with hostile strings is never
//! mistaken for a syntax error by the pre-scan.

use fleetdash::base::text::is_unsafe;
use fleetdash::inventory::{HostPattern, Inventory, InventoryError, PatternError, ProblemKind};
use fleetdash::rollout::plan::{Plan, PlanError, PlanProblemKind};
use proptest::prelude::*;
use serde_yaml::{Mapping, Value};

const INVENTORY: &str = "\
defaults: &d {port: 22, platform: cisco_ios}
groups:
  core: {parents: [site-ams]}
  site-ams: {}
devices:
  - {name: ams-core-1, host: 127.20.0.1, groups: [core], tags: {role: core}}
  - name: ams-core-2
    host: 127.20.0.2
    <<: *d
    probe: tcp:22
";

const PLAN: &str = "\
name: ntp
target: core
strategy: {canary: 1, batches: [1, \"50%\"], group_by: tag:site}
pre_checks:
  - {name: ntp, command: show ntp, contains: synced}
steps:
  - config: [ntp server 10.0.0.1]
max_fail: {per_wave: 0, overall: \"10%\", action: halt}
pause: 5m
";

/// Characters that matter to YAML and to terminals, plus anything at all.
fn yamlish() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        4 => prop::sample::select(vec![
            "[", "]", "{", "}", ",", ":", ": ", "- ", "? ", "#", " #", "'", "\"", "\\", "|", ">",
            "&a ", "*a", "<<: ", "!!str ", "---\n", "...", "\n", "\n  ", "  ", "\t", "%YAML 1.1\n",
            "devices:", "name: ", "host: ", "127.0.0.1", "port: ", "99999999999999999999999",
            "groups: ", "tags: ", "\u{0}", "\u{1b}[2J", "\u{202e}", "\u{feff}", "\u{85}", "é",
        ])
        .prop_map(str::to_owned),
        1 => any::<String>(),
    ];
    prop::collection::vec(piece, 0..40).prop_map(|p| p.concat())
}

/// `base` with a few random edits (insert, delete, replace) at random places.
fn mutated(base: &'static str) -> impl Strategy<Value = String> {
    let edit = (any::<prop::sample::Index>(), 0..3u8, yamlish());
    prop::collection::vec(edit, 1..4).prop_map(move |edits| {
        let mut text = base.to_owned();
        for (at, kind, insert) in edits {
            let boundaries: Vec<usize> = (0..=text.len())
                .filter(|&i| text.is_char_boundary(i))
                .collect();
            let i = boundaries[at.index(boundaries.len())];
            let j = boundaries
                .iter()
                .copied()
                .find(|&j| j >= i + 3)
                .unwrap_or(text.len());
            match kind {
                0 => text.insert_str(i, &insert),
                1 => text.replace_range(i..j, ""),
                _ => text.replace_range(i..j, &insert),
            }
        }
        text
    })
}

fn assert_inert(text: &str) {
    assert!(!text.chars().any(|c| c != '\n' && is_unsafe(c)), "{text:?}");
}

/// Every problem is inside the text (a line past the end is where the text ends). Lines
/// are counted as YAML counts them: CR, NEL and the Unicode separators end lines too.
fn assert_located(text: &str, at: impl Iterator<Item = (usize, usize)>, rendered: &str) {
    let breaks = text.replace("\r\n", "\n");
    let lines = 1 + breaks
        .chars()
        .filter(|c| matches!(c, '\n' | '\r' | '\u{85}' | '\u{2028}' | '\u{2029}'))
        .count();
    let mut any = false;
    for (line, column) in at {
        any = true;
        assert!(
            line >= 1 && line <= lines + 1,
            "line {line} of {lines}: {rendered}"
        );
        assert!(column >= 1, "{rendered}");
    }
    assert!(any, "an error without a problem: {rendered}");
    assert_inert(rendered);
}

fn check_inventory(text: &str) {
    match Inventory::from_yaml(text, "inv.yaml") {
        Ok(_) => {}
        Err(e @ InventoryError::Invalid { .. }) => {
            let at = e.problems().iter().map(|p| (p.line, p.column));
            assert_located(text, at, &e.to_string());
        }
        Err(e) => panic!("no file was read: {e}"),
    }
}

fn check_plan(text: &str) {
    match Plan::from_yaml(text, "plan.yaml") {
        Ok(_) => {}
        Err(e @ PlanError::Invalid { .. }) => {
            let at = e.problems().iter().map(|p| (p.line, p.column));
            assert_located(text, at, &e.to_string());
        }
        Err(e) => panic!("no file was read: {e}"),
    }
}

/// Trees of mappings, lists and hostile strings, as the YAML serializer writes them.
fn tree() -> impl Strategy<Value = Value> {
    let text = prop_oneof![
        yamlish(),
        "[\\[\\]{}'\"#:|> -]{0,80}".prop_map(String::from),
    ];
    let leaf = prop_oneof![
        text.prop_map(Value::String),
        any::<i64>().prop_map(Value::from),
        Just(Value::Null),
    ];
    leaf.prop_recursive(5, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Sequence),
            prop::collection::vec(("[a-z\\[{'\"#: ]{1,12}", inner), 0..6).prop_map(|kv| {
                Value::Mapping(
                    kv.into_iter()
                        .map(|(k, v)| (Value::String(k), v))
                        .collect::<Mapping>(),
                )
            }),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1500, ..ProptestConfig::default() })]

    #[test]
    fn inventory_loader_never_panics_and_locates_errors(text in prop_oneof![yamlish(), mutated(INVENTORY)]) {
        check_inventory(&text);
    }

    #[test]
    fn plan_loader_never_panics_and_locates_errors(text in prop_oneof![yamlish(), mutated(PLAN)]) {
        check_plan(&text);
    }

    /// The pre-scan (flow depth, control characters) knows quoting, comments and block
    /// scalars well enough never to refuse what the serializer writes.
    #[test]
    fn valid_yaml_is_never_a_syntax_error(doc in tree()) {
        let text = serde_yaml::to_string(&doc).unwrap();
        if let Err(e) = Inventory::from_yaml(&text, "inv.yaml") {
            let syntax: Vec<_> = e.problems().iter().filter(|p| p.kind == ProblemKind::Syntax).collect();
            prop_assert!(syntax.is_empty(), "{text}\n{e}");
        }
        if let Err(e) = Plan::from_yaml(&text, "plan.yaml") {
            prop_assert!(!e.has(PlanProblemKind::Syntax), "{text}\n{e}");
        }
    }

    #[test]
    fn host_patterns_never_panic_and_name_the_offending_term(pattern in prop_oneof![
        yamlish(),
        "[a-z0-9*?!&:,=\\[\\]~ ^$()|+\\\\.-]{0,40}".prop_map(String::from),
        "(tag:)?[!&]{0,3}[a-z*\\[\\]=]{0,8}([:,][!&]{0,2}(tag:)?[a-z*?\\[\\]=!]{0,8}){0,4}".prop_map(String::from),
    ]) {
        match HostPattern::parse(&pattern) {
            Ok(_) => {}
            Err(e) => {
                let shown = e.to_string();
                assert_inert(&shown);
                prop_assert!(shown.chars().count() < 400, "{shown}");
                let term = match &e {
                    PatternError::DoubleOperator(t)
                    | PatternError::TagWithoutValue(t)
                    | PatternError::EmptyTagKey(t)
                    | PatternError::Regex(t, _) => Some(t.as_str()),
                    _ => None,
                };
                if let Some(term) = term {
                    prop_assert!(pattern.contains(term), "{term:?} not in {pattern:?}");
                }
            }
        }
    }
}
