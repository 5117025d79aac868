use super::*;

fn items(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(d, o)| (d.to_string(), o.to_string()))
        .collect()
}

#[test]
fn folds_identical_outputs_biggest_first() {
    let groups = fold(items(&[
        ("r1", "A"),
        ("r2", "B"),
        ("r3", "B"),
        ("r4", "C"),
        ("r5", "B"),
        ("r6", "A"),
    ]));
    let got: Vec<(&str, Vec<&str>)> = groups
        .iter()
        .map(|g| {
            (
                g.key.as_str(),
                g.devices.iter().map(String::as_str).collect(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("B", vec!["r2", "r3", "r5"]),
            ("A", vec!["r1", "r6"]),
            ("C", vec!["r4"]),
        ]
    );
}

#[test]
fn empty_input_folds_to_nothing() {
    assert!(fold(Vec::<(String, String)>::new()).is_empty());
}

#[test]
fn diff_marks_changes_against_the_majority() {
    let majority = "version 15.2\nuptime 3 days\nserial X1\nmodel A\n";
    let outlier = "version 15.1\nuptime 3 days\nmodel A\nextra\n";
    let d = diff_lines(majority, outlier);
    assert_eq!(
        d,
        vec![
            DiffLine::Removed("version 15.2".into()),
            DiffLine::Added("version 15.1".into()),
            DiffLine::Same("uptime 3 days".into()),
            DiffLine::Removed("serial X1".into()),
            DiffLine::Same("model A".into()),
            DiffLine::Added("extra".into()),
        ]
    );
    assert_eq!(
        render_diff(&d, 3),
        "- version 15.2\n+ version 15.1\n  uptime 3 days\n- serial X1\n  model A\n+ extra\n"
    );
}

#[test]
fn identical_outputs_have_no_changes() {
    let d = diff_lines("a\nb\n", "a\nb\n");
    assert!(d.iter().all(|l| matches!(l, DiffLine::Same(_))));
    assert_eq!(render_diff(&d, 0), "@@ 2 unchanged lines @@\n");
}

#[test]
fn long_unchanged_runs_are_shortened() {
    let majority: String = (0..20).map(|i| format!("l{i}\n")).collect();
    let outlier = majority.replace("l10\n", "X\n");
    let text = render_diff(&diff_lines(&majority, &outlier), 1);
    assert_eq!(
        text,
        "@@ 9 unchanged lines @@\n  l9\n- l10\n+ X\n  l11\n@@ 8 unchanged lines @@\n"
    );
}

/// A large running-config with two changes far apart: the old LCS gave up above 4M cells
/// and showed the whole middle as removed and added again.
#[test]
fn large_configs_diff_line_by_line() {
    let majority: String = (0..5000).map(|i| format!("interface Gi0/{i}\n")).collect();
    let outlier = majority
        .replace("interface Gi0/10\n", "interface Gi9/10\n")
        .replace("interface Gi0/4990\n", "")
        + "end\n";
    let d = diff_lines(&majority, &outlier);
    let changed: Vec<&DiffLine> = d
        .iter()
        .filter(|l| !matches!(l, DiffLine::Same(_)))
        .collect();
    assert_eq!(
        changed,
        [
            &DiffLine::Removed("interface Gi0/10".into()),
            &DiffLine::Added("interface Gi9/10".into()),
            &DiffLine::Removed("interface Gi0/4990".into()),
            &DiffLine::Added("end".into()),
        ]
    );
    assert_eq!(d.len(), 5002);
}

#[test]
fn outputs_that_share_nothing_are_all_removed_then_added() {
    let a: String = (0..3000).map(|i| format!("a{i}\n")).collect();
    let b: String = (0..3000).map(|i| format!("b{i}\n")).collect();
    let d = diff_lines(&a, &b);
    assert_eq!(d.len(), 6000);
    assert_eq!(d[0], DiffLine::Removed("a0".into()));
    assert_eq!(d[3000], DiffLine::Added("b0".into()));
}

#[test]
fn compact_names_like_clustershell() {
    assert_eq!(
        compact_names(&["rtr1", "rtr2", "rtr3", "rtr7"]),
        "rtr[1-3,7]"
    );
    assert_eq!(compact_names(&["rtr7"]), "rtr7");
    assert_eq!(
        compact_names(&["ams-core-2", "fw", "ams-core-1", "ams-edge-1"]),
        "ams-core-[1-2],ams-edge-1,fw"
    );
    assert_eq!(
        compact_names(&["sw01", "sw02", "sw03", "sw09", "sw10"]),
        "sw[01-03,09-10]"
    );
    assert_eq!(compact_names(&["r1a", "r2a", "r1b"]), "r[1-2]a,r1b");
    assert_eq!(compact_names(&["x9", "x10", "x11"]), "x[9-11]");
    assert_eq!(compact_names(&["a1", "a1"]), "a1");
    assert_eq!(compact_names::<&str>(&[]), "");
    // A wide character right before the number (the split once cut it in half).
    assert_eq!(compact_names(&["zürich-é1", "zürich-é2"]), "zürich-é[1-2]");
    assert_eq!(
        compact_names(&["r\u{202e}2", "r\u{202e}3"]),
        "r\u{202e}[2-3]"
    );
}
