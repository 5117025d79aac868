//! Host pattern grammar and selection semantics.

use super::*;

const INVENTORY: &str = "
groups:
  site-ams: {}
  core: {parents: [site-ams]}
  edge: {parents: [site-ams]}
  lab.x: {}
  fra-core-1: {}   # same name as a device: a plain term selects the device
devices:
  - {name: ams-core-1, host: 127.20.0.1, groups: [core], tags: {role: core, site: ams}}
  - {name: ams-core-2, host: 127.20.0.2, groups: [core], tags: {role: core, site: ams}}
  - {name: ams-edge-1, host: 127.20.0.3, groups: [edge], tags: {role: edge, site: ams}}
  - {name: fra-core-1, host: 127.20.0.4, tags: {role: core, site: fra}}
  - {name: fra-edge-1.lab, host: 127.20.0.5, groups: [lab.x, fra-core-1], tags: {role: edge, site: fra, note: ''}}
";

fn inv() -> Inventory {
    Inventory::from_yaml(INVENTORY, "<test>").unwrap()
}

fn select(pattern: &str) -> Vec<DeviceId> {
    let inv = inv();
    let parsed = HostPattern::parse(pattern).unwrap_or_else(|e| panic!("{pattern:?}: {e}"));
    let selected = inv.select(&parsed);
    // `matches` must agree with `select` on every device.
    for id in 0..inv.devices.len() {
        assert_eq!(
            parsed.matches(&inv, id),
            selected.contains(&id),
            "{pattern:?} #{id}"
        );
    }
    selected
}

fn error(pattern: &str) -> PatternError {
    HostPattern::parse(pattern).expect_err(pattern)
}

#[test]
fn everything() {
    assert_eq!(select("all"), [0, 1, 2, 3, 4]);
    assert_eq!(select("*"), [0, 1, 2, 3, 4]);
    assert_eq!(select("all:!all"), [] as [usize; 0]);
}

#[test]
fn groups_include_members_of_child_groups() {
    assert_eq!(select("core"), [0, 1]);
    assert_eq!(select("site-ams"), [0, 1, 2]);
    assert_eq!(select("lab.x"), [4]);
}

#[test]
fn a_name_that_is_a_device_and_a_group() {
    // As Ansible: a plain term looks at device names first…
    assert_eq!(select("fra-core-1"), [3]);
    // …while `&`/`!` terms and globs match the group (and globs the device too).
    assert_eq!(select("all:&fra-core-1"), [4]);
    assert_eq!(select("all:!fra-core-1"), [0, 1, 2, 3]);
    assert_eq!(select("fra-core-?"), [3, 4]);
}

#[test]
fn globs_that_match_groups_select_their_members() {
    // `site-*` matches the group `site-ams`; `a*` matches `all`, as in Ansible.
    assert_eq!(select("site-*"), [0, 1, 2]);
    assert_eq!(select("a*"), [0, 1, 2, 3, 4]);
    assert_eq!(select("e*"), [2]);
}

#[test]
fn regex_terms_match_at_the_start_of_names() {
    assert_eq!(select("~ams-(core|edge)-1"), [0, 2]);
    assert_eq!(select("~fra"), [3, 4]);
    assert_eq!(select("~.*-2$"), [1]);
    assert_eq!(select("all:!~ams"), [3, 4]);
    assert!(matches!(error("~(unclosed"), PatternError::Regex(..)));
    assert!(matches!(
        error(&format!("~{}", "a".repeat(2000))),
        PatternError::Regex(..)
    ));
    // A long non-ASCII regex is cut on a character boundary, and the term shown is the
    // pattern's own text.
    let long = format!("~{}", "é".repeat(2000));
    match error(&long) {
        PatternError::Regex(shown, _) => assert!(long.starts_with(&shown)),
        other => panic!("{other:?}"),
    }
}

#[test]
fn subscripts_pick_from_the_matches_in_inventory_order() {
    assert_eq!(select("site-ams[0]"), [0]);
    assert_eq!(select("site-ams[-1]"), [2]);
    assert_eq!(select("site-ams[1:2]"), [1, 2]);
    assert_eq!(select("site-ams[1:]"), [1, 2]);
    assert_eq!(select("site-ams[5]"), [] as [usize; 0]);
    // Members of matching groups come first, then matching devices (as in Ansible).
    assert_eq!(select("ams-*[0]:fra-*[1]"), [0, 3]);
    // `[2-9]` is a character class, not Ansible's removed `[x-y]` subscript.
    assert_eq!(select("ams-core-[2-9]"), [1]);
}

#[test]
fn device_name_globs() {
    assert_eq!(select("ams-*"), [0, 1, 2]);
    assert_eq!(select("ams-core-?"), [0, 1]);
    assert_eq!(select("ams-core-[2-9]"), [1]);
    assert_eq!(select("???-[!c]*"), [2, 4]);
    assert_eq!(select("fra-edge-1.lab"), [4]);
    assert_eq!(select("ams-core-1"), [0]);
    assert_eq!(select("nope"), [] as [usize; 0]);
}

#[test]
fn union_intersection_exclusion_independent_of_order() {
    assert_eq!(select("core:edge"), [0, 1, 2]);
    assert_eq!(select("core,edge"), [0, 1, 2]);
    assert_eq!(select("site-ams:!edge"), [0, 1]);
    assert_eq!(select("!edge:site-ams"), [0, 1]);
    assert_eq!(select("site-ams:&tag:role=core"), [0, 1]);
    assert_eq!(select("&tag:role=core:site-ams"), [0, 1]);
    assert_eq!(select("core:edge:&ams-*-1:!ams-edge-1"), [0]);
    // No plain term: start from every device.
    assert_eq!(select("!core"), [2, 3, 4]);
    assert_eq!(select("&core"), [0, 1]);
    assert_eq!(select("&core:&tag:site=fra"), [] as [usize; 0]);
}

#[test]
fn tag_terms_contain_a_colon_and_take_globs() {
    assert_eq!(select("tag:site=fra"), [3, 4]);
    assert_eq!(select("tag:role=c*"), [0, 1, 3]);
    assert_eq!(select("tag:site=ams,fra-core-1"), [0, 1, 2, 3]);
    assert_eq!(select("tag:site=fra:!fra-core-1"), [3]);
    assert_eq!(select("!tag:site=ams"), [3, 4]);
    assert_eq!(select("tag:site=*"), [0, 1, 2, 3, 4]);
    assert_eq!(select("tag:note="), [4]);
    assert_eq!(select("tag:missing=*"), [] as [usize; 0]);
    assert_eq!(select("core:tag:site=fra:edge"), [0, 1, 2, 3, 4]);
}

#[test]
fn separators_and_spaces_are_forgiving() {
    assert_eq!(select("core:"), [0, 1]);
    assert_eq!(select("core,,edge,"), [0, 1, 2]);
    assert_eq!(select(" core , ! ams-core-2 "), [0]);
    assert_eq!(select(":core"), [0, 1]);
}

#[test]
fn malformed_patterns_are_refused() {
    assert_eq!(error(""), PatternError::Empty);
    assert_eq!(error("   "), PatternError::Empty);
    assert_eq!(error(":"), PatternError::Empty);
    assert_eq!(error(",,"), PatternError::Empty);
    assert_eq!(error("!"), PatternError::DanglingOperator('!'));
    assert_eq!(error("&"), PatternError::DanglingOperator('&'));
    assert_eq!(error("core:!"), PatternError::DanglingOperator('!'));
    assert_eq!(error("core,& "), PatternError::DanglingOperator('&'));
    assert_eq!(
        error("!!core"),
        PatternError::DoubleOperator("!!core".into())
    );
    assert_eq!(
        error("&!core"),
        PatternError::DoubleOperator("&!core".into())
    );
    assert_eq!(
        error("tag:site"),
        PatternError::TagWithoutValue("tag:site".into())
    );
    assert_eq!(error("tag:"), PatternError::TagWithoutValue("tag:".into()));
    assert_eq!(
        error("!tag:site"),
        PatternError::TagWithoutValue("tag:site".into())
    );
    assert_eq!(
        error("tag:=ams"),
        PatternError::EmptyTagKey("tag:=ams".into())
    );
    assert!(matches!(error("core-[1"), PatternError::BadGlob(_)));
    assert!(matches!(error("tag:site=[a"), PatternError::BadGlob(_)));
}

#[test]
fn errors_explain_the_fix() {
    assert_eq!(
        error("tag:site").to_string(),
        "`tag:site` needs a value: write `tag:KEY=VALUE` (the value may be a glob)"
    );
    assert_eq!(
        error("!").to_string(),
        "`!` must be followed by a group, device or tag term, e.g. `!core`"
    );
}

#[test]
fn unmatched_terms_flag_likely_typos() {
    let inv = inv();
    let pattern = HostPattern::parse("core:cor:!tag:site=xx:&all").unwrap();
    assert_eq!(pattern.unmatched_terms(&inv), ["cor", "tag:site=xx"]);
}

#[test]
fn display_from_str_and_out_of_range_ids() {
    let inv = inv();
    let pattern: HostPattern = " core:!ams-core-2 ".parse().unwrap();
    assert_eq!(pattern.to_string(), "core:!ams-core-2");
    assert!(!pattern.matches(&inv, 99));
}
