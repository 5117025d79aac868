//! Rollout plans: the example plans load and make the expected waves, every validation
//! fixture fails with its problem at its position, and the dry run reads well.

use std::path::{Path, PathBuf};
use std::time::Duration;

use fleetdash::headless::dry_run::dry_run;
use fleetdash::inventory::Inventory;
use fleetdash::rollout::plan::{
    Batch, Expect, GroupBy, OnFail, Pause, Plan, PlanError, PlanProblemKind, Step, Threshold,
};
use fleetdash::rollout::waves::{WaveKind, waves};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn demo_inventory() -> Inventory {
    let path = root().join("tests/fixtures/rollout/demo-inventory.yaml");
    let mut inv = Inventory::load(&path).expect("fixture inventory");
    inv.source = "demo-inventory.yaml".into();
    inv
}

fn load(rel: &str) -> Plan {
    let mut plan = Plan::load(&root().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"));
    plan.source.origin = rel.to_owned();
    plan
}

fn names(inv: &Inventory, ids: &[usize]) -> Vec<String> {
    ids.iter().map(|&id| inv.devices[id].name.clone()).collect()
}

#[test]
fn ntp_example_reads_as_written() {
    let plan = load("assets/rollout/ntp.yaml");
    assert_eq!(plan.name, "ntp servers (fra)");
    assert_eq!(plan.target, "role-core:role-dist:role-access:&site-fra");
    assert_eq!(plan.strategy.canary, 1);
    assert_eq!(
        plan.strategy.batches,
        [Batch::Count(3), Batch::Percent(25.0), Batch::Percent(50.0)]
    );
    assert_eq!(plan.strategy.group_by, Some(GroupBy::Tag("role".into())));
    assert_eq!(plan.strategy.never_together.len(), 2);
    assert_eq!(plan.pre_checks.len(), 2);
    assert_eq!(plan.post_checks[2].expect, Expect::SameAsPre);
    assert!(matches!(&plan.post_checks[0].expect, Expect::Regex(p) if p.as_str().contains("123")));
    assert_eq!(plan.snapshot.as_deref(), Some("show running-config"));
    assert_eq!(
        plan.steps,
        [Step::Config {
            lines: vec![
                "ntp server 127.0.0.123".into(),
                "ntp server 127.0.0.124".into()
            ],
            save: true
        }]
    );
    assert_eq!(plan.rollback.len(), 1);
    assert_eq!(plan.max_fail.per_wave, Some(Threshold::Count(1)));
    assert_eq!(plan.max_fail.overall, Some(Threshold::Percent(10.0)));
    assert_eq!(plan.max_fail.action, OnFail::Rollback);
    assert_eq!(plan.pause, Pause::Duration(Duration::from_secs(10)));
    assert!(plan.unreachable_is_failure);
    // Positions kept for errors found against an inventory.
    assert_eq!(plan.source.target.map(|p| p.0), Some(6));
}

#[test]
fn ntp_example_waves() {
    let inv = demo_inventory();
    let plan = load("assets/rollout/ntp.yaml");
    let waves = waves(&plan, &inv).unwrap();
    let sizes: Vec<usize> = waves.iter().map(|w| w.devices.len()).collect();
    // 18 devices: canary 1, then 3, then 25% → 5, then 50% → 9 (what is left).
    assert_eq!(sizes, [1, 3, 5, 9]);
    assert_eq!(waves[0].kind, WaveKind::Canary);
    assert!(waves[1..].iter().all(|w| w.kind == WaveKind::Batch));
    // Spread by role: the round-robin order starts access, core, dist.
    assert_eq!(names(&inv, &waves[0].devices), ["fra-access1"]);
    assert_eq!(
        names(&inv, &waves[1].devices),
        ["fra-core1", "fra-dist1", "fra-access2"]
    );
    // The redundant pairs are never in one wave.
    for w in &waves {
        let n = names(&inv, &w.devices);
        for pair in [["fra-core1", "fra-core2"], ["fra-dist1", "fra-dist2"]] {
            assert!(
                !(n.contains(&pair[0].into()) && n.contains(&pair[1].into())),
                "{n:?}"
            );
        }
    }
}

#[test]
fn canary_halt_example_starts_with_the_faulty_device() {
    let inv = demo_inventory();
    let plan = load("assets/rollout/canary-halt.yaml");
    assert_eq!(plan.max_fail.per_wave, Some(Threshold::Count(0)));
    assert_eq!(plan.max_fail.overall, Some(Threshold::Count(0)));
    assert_eq!(plan.pause, Pause::Manual);
    let waves = waves(&plan, &inv).unwrap();
    let all: Vec<Vec<String>> = waves.iter().map(|w| names(&inv, &w.devices)).collect();
    assert_eq!(
        all,
        [
            vec!["ams-access9"],
            vec!["fra-access9", "nyc-access9"],
            vec!["ams-access10", "fra-access10"],
            vec!["nyc-access10"],
        ]
    );
}

#[test]
fn dry_run_of_the_ntp_example() {
    let inv = demo_inventory();
    let plan = load("assets/rollout/ntp.yaml");
    insta::assert_snapshot!(dry_run(&plan, &inv).unwrap());
}

/// `# expect: KIND LINE:COL TEXT` (plan validation) or `# expect-waves: …` (against the demo
/// inventory) on the first line of each fixture.
#[test]
fn every_fixture_fails_where_and_how_it_says() {
    let inv = demo_inventory();
    let dir = root().join("tests/fixtures/rollout");
    let mut seen = 0;
    let mut failures = Vec::new();
    let mut entries: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        let text = std::fs::read_to_string(&path).unwrap();
        let first = text.lines().next().unwrap_or_default();
        let Some((stage, spec)) = first
            .strip_prefix("# expect: ")
            .map(|s| ("plan", s))
            .or_else(|| first.strip_prefix("# expect-waves: ").map(|s| ("waves", s)))
        else {
            continue;
        };
        seen += 1;
        let err = failure(&path, &text, stage, &inv);
        if let Err(why) = check_problem(&path, &err, spec) {
            failures.push(why);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    assert!(seen >= 20, "only {seen} fixtures");
}

fn failure(path: &Path, text: &str, stage: &str, inv: &Inventory) -> PlanError {
    let origin = path.file_name().unwrap().to_string_lossy();
    let plan = Plan::from_yaml(text, &origin);
    match stage {
        "plan" => plan.expect_err(&format!("{origin} should not load")),
        _ => {
            let plan = plan.unwrap_or_else(|e| panic!("{origin} should load: {e}"));
            waves(&plan, inv).expect_err(&format!("{origin}: waves should fail"))
        }
    }
}

fn check_problem(path: &Path, err: &PlanError, spec: &str) -> Result<(), String> {
    let name = path.file_name().unwrap().to_string_lossy();
    let mut parts = spec.splitn(3, ' ');
    let (kind, pos, words) = (
        parts.next().unwrap(),
        parts.next().unwrap(),
        parts.next().unwrap_or(""),
    );
    let (line, column) = pos.split_once(':').unwrap();
    let (line, column): (usize, usize) = (line.parse().unwrap(), column.parse().unwrap());
    let rendered = err.to_string();
    let found = err
        .problems()
        .iter()
        .find(|p| format!("{:?}", p.kind) == kind);
    let Some(p) = found else {
        return Err(format!("{name}: no {kind} problem in:\n{rendered}"));
    };
    if (p.line, p.column) != (line, column) {
        return Err(format!(
            "{name}: at {}:{}, expected {pos}:\n{rendered}",
            p.line, p.column
        ));
    }
    if !rendered.contains(words) {
        return Err(format!("{name}: {words:?} not in:\n{rendered}"));
    }
    if !rendered.starts_with(&format!("{name}:")) {
        return Err(format!("{name}: errors start with the origin:\n{rendered}"));
    }
    if p.help.is_none() {
        return Err(format!("{name}: every problem says how to fix it"));
    }
    Ok(())
}

#[test]
fn all_problems_are_reported_at_once_in_file_order() {
    let text = "name: x\ntarget: all\nstratgy: {}\npause: soon\nsteps: []\n";
    let err = Plan::from_yaml(text, "p.yaml").unwrap_err();
    let kinds: Vec<PlanProblemKind> = err.problems().iter().map(|p| p.kind).collect();
    assert_eq!(
        kinds,
        [
            PlanProblemKind::UnknownField,
            PlanProblemKind::BadDuration,
            PlanProblemKind::NoSteps
        ]
    );
    assert_eq!(
        err.to_string().lines().next(),
        Some("p.yaml:3:1: unknown field `stratgy` in the plan")
    );
}

#[test]
fn max_fail_scalar_applies_per_wave_and_overall() {
    let text = "name: x\ntarget: all\nmax_fail: \"20%\"\nsteps: [{command: write memory}]\n";
    let plan = Plan::from_yaml(text, "p.yaml").unwrap();
    assert_eq!(plan.max_fail.per_wave, Some(Threshold::Percent(20.0)));
    assert_eq!(plan.max_fail.overall, Some(Threshold::Percent(20.0)));
    // Absent: any failure halts.
    let text = "name: x\ntarget: all\nsteps: [write memory]\n";
    let plan = Plan::from_yaml(text, "p.yaml").unwrap();
    assert_eq!(plan.max_fail.overall, Some(Threshold::Count(0)));
    assert_eq!(plan.steps, [Step::Command("write memory".into())]);
}

#[test]
fn a_missing_file_is_a_read_error() {
    let err = Plan::load(Path::new("/nonexistent/plan.yaml")).unwrap_err();
    assert!(matches!(err, PlanError::Read { .. }));
    assert!(err.to_string().contains("cannot read the plan"));
}

mod report {
    use std::time::{Duration, UNIX_EPOCH};

    use fleetdash::rollout::report::{
        CheckOutcome, DeviceOutcome, DeviceState, Durations, Report, RunState, StepOutcome,
        WaveOutcome,
    };
    use fleetdash::rollout::waves::WaveKind;

    use super::load;

    fn check(name: &str, output: &str, passed: bool) -> CheckOutcome {
        CheckOutcome {
            name: name.into(),
            command: "show running-config".into(),
            output: output.into(),
            passed,
            detail: (!passed).then(|| "output does not contain \"ntp server\"".into()),
        }
    }

    /// A halted rollout: the canary done, one device of wave 2 failed, the rest skipped.
    fn halted() -> Report {
        let plan = load("assets/rollout/ntp.yaml");
        let at = |s: u64| UNIX_EPOCH + Duration::from_secs(1_790_000_000 + s);
        let mut canary = DeviceOutcome::pending(4, "fra-access1", 0);
        canary.state = DeviceState::Done;
        canary.durations = Durations {
            pre_check: Duration::from_millis(420),
            apply: Duration::from_millis(1_250),
            verify: Duration::from_millis(380),
            rollback: Duration::ZERO,
        };
        canary.pre_checks = vec![check("no ntp server yet", "hostname fra-access1\n", true)];
        canary.steps = vec![StepOutcome {
            step: "ntp server 127.0.0.123; ntp server 127.0.0.124".into(),
            output: String::new(),
            ok: true,
            detail: None,
        }];
        canary.post_checks = vec![check(
            "ntp servers configured",
            "hostname fra-access1\nntp server 127.0.0.123\n",
            true,
        )];
        canary.snapshot_pre = Some("hostname fra-access1\n!\nend\n".into());
        canary.snapshot_post = Some(
            "hostname fra-access1\n!\nntp server 127.0.0.123\nntp server 127.0.0.124\nend\n".into(),
        );
        let mut failed = DeviceOutcome::pending(0, "fra-core1", 1);
        failed.state = DeviceState::Failed;
        failed.reason = Some("post-check `ntp servers configured` failed".into());
        failed.post_checks = vec![check("ntp servers configured", "hostname | x\n", false)];
        failed.snapshot_pre = Some("same\n".into());
        failed.snapshot_post = Some("same\n".into());
        let mut skipped = DeviceOutcome::pending(2, "fra-dist1", 1);
        skipped.state = DeviceState::Skipped;
        skipped.reason = Some("halted: more than 0 failed in a wave".into());
        let waves = vec![
            WaveOutcome {
                index: 0,
                kind: WaveKind::Canary,
                state: RunState::Completed,
                devices: vec![4],
                duration: Duration::from_millis(2_050),
            },
            WaveOutcome {
                index: 1,
                kind: WaveKind::Batch,
                state: RunState::Halted,
                devices: vec![0, 2],
                duration: Duration::from_secs(75),
            },
        ];
        Report::new(
            &plan,
            RunState::Halted,
            Some("wave 2: 1 of 2 devices failed (more than 0 tolerated)".into()),
            at(0),
            at(90),
            waves,
            vec![skipped, failed, canary],
        )
    }

    #[test]
    fn markdown_report() {
        insta::assert_snapshot!(halted().to_markdown());
    }

    #[test]
    fn summary_and_snapshot_diffs() {
        let r = halted();
        assert_eq!((r.summary.total, r.summary.done), (3, 1));
        assert_eq!((r.summary.failed, r.summary.skipped), (1, 1));
        assert_eq!(r.duration, Duration::from_secs(90));
        // Sorted by wave; the wave keeps the executor's order.
        let names: Vec<&str> = r.devices.iter().map(|d| d.outcome.name.as_str()).collect();
        assert_eq!(names, ["fra-access1", "fra-core1", "fra-dist1"]);
        let diff = r.devices[0].snapshot_diff.as_deref().unwrap();
        assert!(diff.contains("+ ntp server 127.0.0.123\n"), "{diff}");
        assert!(!diff.contains("- "), "{diff}");
        assert_eq!(r.devices[1].snapshot_diff.as_deref(), Some(""));
        assert_eq!(r.devices[2].snapshot_diff, None);
    }

    #[test]
    fn json_round_trips_with_flat_device_entries() {
        let r = halted();
        let json = r.to_json();
        let value: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(value["state"], "halted");
        assert_eq!(value["started_at"], "2026-09-21T14:13:20.000Z");
        assert_eq!(value["duration"], 90_000);
        assert_eq!(value["devices"][0]["name"], "fra-access1");
        assert_eq!(value["devices"][0]["durations"]["apply"], 1_250);
        assert_eq!(value["devices"][1]["state"], "failed");
        assert_eq!(value["waves"][1]["kind"], "batch");
        let back: Report = serde_json::from_str(&json).unwrap();
        assert_eq!(back, r);
    }

    #[test]
    fn write_puts_both_files_in_the_directory() {
        let dir = tempfile::tempdir().unwrap();
        let (md, json) = halted()
            .write(&dir.path().join("new"), "rollout-1", &Default::default())
            .unwrap();
        assert!(
            std::fs::read_to_string(md)
                .unwrap()
                .starts_with("# Rollout report: ntp servers (fra)")
        );
        assert!(
            std::fs::read_to_string(json)
                .unwrap()
                .contains("\"plan\": \"ntp servers (fra)\"")
        );
    }
}
