//! Replay cases: what `--resume` does with each device given the journal's last words.

use super::*;

fn header() -> Record {
    Record::Header {
        plan: "ntp".into(),
        plan_hash: plan_hash("name: ntp"),
        waves: vec![vec!["a".into()], vec!["b".into(), "c".into()]],
        resumed: false,
    }
}

fn state(device: &str, state: &str) -> Record {
    let state = serde_json::from_value(serde_json::Value::String(state.into())).unwrap();
    Record::Device {
        device: device.into(),
        state,
        reason: None,
    }
}

fn stage(device: &str, stage: Stage, edge: Edge, ok: Option<bool>) -> Record {
    Record::Stage {
        device: device.into(),
        stage,
        edge,
        ok,
    }
}

fn step(device: &str, stage: Stage, index: usize, edge: Edge, output: Option<&str>) -> Record {
    Record::Step {
        device: device.into(),
        stage,
        index,
        label: format!("cmd {index}"),
        edge,
        ok: output.map(|_| true),
        output: output.map(str::to_string),
    }
}

#[test]
fn no_header_is_none() {
    assert!(fold(&[state("a", "done")]).is_none());
}

#[test]
fn done_is_final_and_unseen_is_fresh() {
    let r = fold(&[header(), state("a", "done")]).unwrap();
    assert_eq!(r.resume("a"), Resume::Final(DeviceState::Done, None));
    assert_eq!(r.resume("b"), Resume::Fresh);
    assert_eq!(r.waves.len(), 2);
}

#[test]
fn caught_mid_apply_is_unknown_never_fresh() {
    let r = fold(&[
        header(),
        state("a", "applying"),
        stage("a", Stage::Apply, Edge::Begin, None),
        step("a", Stage::Apply, 0, Edge::Begin, None),
        step("a", Stage::Apply, 0, Edge::End, Some("")),
        step("a", Stage::Apply, 1, Edge::Begin, None),
    ])
    .unwrap();
    assert_eq!(r.resume("a"), Resume::Unknown);
}

#[test]
fn applied_but_not_verified_is_only_verified() {
    let r = fold(&[
        header(),
        state("a", "applying"),
        stage("a", Stage::Apply, Edge::Begin, None),
        stage("a", Stage::Apply, Edge::End, Some(true)),
        state("a", "verifying"),
    ])
    .unwrap();
    assert_eq!(r.resume("a"), Resume::Applied);
}

#[test]
fn entered_applying_without_sending_is_fresh() {
    let r = fold(&[header(), state("a", "pre_checking"), state("b", "applying")]).unwrap();
    assert_eq!(r.resume("a"), Resume::Fresh);
    assert_eq!(r.resume("b"), Resume::Fresh);
}

#[test]
fn unknown_device_resumed_again_stays_unknown() {
    // Crashed twice: the first resume marked it unknown and was killed while verifying.
    let r = fold(&[
        header(),
        stage("a", Stage::Apply, Edge::Begin, None),
        header(),
        state("a", "unknown"),
        state("a", "verifying"),
    ])
    .unwrap();
    assert_eq!(r.resume("a"), Resume::Unknown);
}

#[test]
fn unknown_device_verified_by_a_resume_is_final() {
    let r = fold(&[
        header(),
        stage("a", Stage::Apply, Edge::Begin, None),
        header(),
        state("a", "unknown"),
        state("a", "verifying"),
        state("a", "done"),
    ])
    .unwrap();
    assert_eq!(r.resume("a"), Resume::Final(DeviceState::Done, None));
}

#[test]
fn failed_and_rolled_back_are_final_skipped_runs_again() {
    let r = fold(&[
        header(),
        Record::Device {
            device: "a".into(),
            state: DeviceState::Failed,
            reason: Some("post-check ntp".into()),
        },
        state("b", "rolled_back"),
        state("c", "skipped"),
    ])
    .unwrap();
    assert_eq!(
        r.resume("a"),
        Resume::Final(DeviceState::Failed, Some("post-check ntp".into()))
    );
    assert_eq!(r.resume("b"), Resume::Final(DeviceState::RolledBack, None));
    assert_eq!(r.resume("c"), Resume::Fresh);
}

#[test]
fn interrupted_rollback_is_failed_not_repeated() {
    let r = fold(&[
        header(),
        state("a", "failed"),
        stage("a", Stage::Rollback, Edge::Begin, None),
    ])
    .unwrap();
    assert!(matches!(
        r.resume("a"),
        Resume::Final(DeviceState::Failed, _)
    ));
}

#[test]
fn pre_outputs_are_kept_for_same_as_pre() {
    let r = fold(&[
        header(),
        step("a", Stage::Pre, 0, Edge::Begin, None),
        step("a", Stage::Pre, 0, Edge::End, Some("ntp server 1\n")),
    ])
    .unwrap();
    assert_eq!(
        r.pre_outputs.get(&("a".to_string(), 0)).map(String::as_str),
        Some("ntp server 1\n")
    );
}

#[test]
fn written_journal_replays_and_refuses_another_plan() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.jsonl");
    let j = RolloutJournal::open(&path, Secrets::default()).unwrap();
    for r in [
        header(),
        state("a", "applying"),
        stage("a", Stage::Apply, Edge::Begin, None),
    ] {
        j.write(&r).unwrap();
    }
    // A torn last line (crash mid-write) is ignored.
    std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap()
        .write_all(b"{\"ts\":\"2026")
        .unwrap();
    let hash = plan_hash("name: ntp");
    let r = replay(&path, "ntp", &hash).unwrap();
    assert_eq!(r.resume("a"), Resume::Unknown);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.lines().next().unwrap().contains("\"kind\":\"header\""));
    let err = replay(&path, "ntp", &plan_hash("name: other")).unwrap_err();
    assert!(matches!(err, ReplayError::OtherPlan { .. }), "{err}");
    assert!(err.to_string().contains("resume with the plan"));
}

#[test]
fn corruption_before_the_last_line_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.jsonl");
    let h = serde_json::to_string(&header()).unwrap();
    std::fs::write(&path, format!("{h}\nnot json\n{h}\n")).unwrap();
    let err = replay(&path, "ntp", &plan_hash("name: ntp")).unwrap_err();
    assert!(matches!(err, ReplayError::Bad { line: 2, .. }), "{err}");
}
