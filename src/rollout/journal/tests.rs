//! Replay cases: what `--resume` does with each device given the journal's last words.

use super::*;
use crate::base::secrets::Secrets;

fn header() -> Record {
    Record::Header {
        plan: "ntp".into(),
        plan_hash: plan_hash(NTP),
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
        removed: None,
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

fn write_all(path: &Path, records: &[Record]) -> RolloutJournal {
    let j = RolloutJournal::create(path, Secrets::default()).unwrap();
    for r in records {
        j.write(r).unwrap();
    }
    j
}

fn append(path: &Path, bytes: &[u8]) {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new().append(true).open(path).unwrap();
    f.write_all(bytes).unwrap();
}

const NTP: &str = "name: ntp";

#[test]
fn written_journal_replays_and_refuses_another_plan() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.jsonl");
    let records = [
        header(),
        state("a", "applying"),
        stage("a", Stage::Apply, Edge::Begin, None),
    ];
    drop(write_all(&path, &records));
    // A torn last line (crash mid-write) is ignored.
    append(&path, b"{\"ts\":\"2026");
    let r = replay(&path, "ntp", &plan_hash(NTP)).unwrap();
    assert_eq!(r.resume("a"), Resume::Unknown);
    assert_eq!(r.tail, Tail::Torn { line: 4 });
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.lines().next().unwrap().contains("\"kind\":\"header\""));
    let err = replay(&path, "ntp", &plan_hash("name: other")).unwrap_err();
    assert!(matches!(err, ReplayError::OtherPlan { .. }), "{err}");
    assert!(err.to_string().contains("resume with the plan"));
}

#[test]
fn lines_are_masked_but_their_hashes_are_not() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.jsonl");
    let j = RolloutJournal::create(&path, Secrets::new(["Pw-9999x".to_string()])).unwrap();
    j.write(&header()).unwrap();
    j.write(&step(
        "a",
        Stage::Pre,
        0,
        Edge::End,
        Some("secret Pw-9999x"),
    ))
    .unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(
        !text.contains("Pw-9999x") && text.contains("secret ***"),
        "{text}"
    );
    let r = replay(&path, "ntp", &plan_hash(NTP)).unwrap();
    assert_eq!(r.pre_outputs[&("a".to_string(), 0)], "secret ***");
}

#[test]
fn an_open_journal_is_locked_and_names_its_holder() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.jsonl");
    let j = write_all(&path, &[header()]);
    let pid = format!("pid {}", std::process::id());
    let err = RolloutJournal::resume(&path, Secrets::default(), "ntp", &plan_hash(NTP), |_| true)
        .unwrap_err();
    assert!(matches!(err, OpenError::Locked(_)), "{err}");
    assert!(err.to_string().contains(&pid), "{err}");
    let other = dir.path().join("other.jsonl");
    let _k = RolloutJournal::create(&other, Secrets::default()).unwrap();
    assert!(matches!(
        RolloutJournal::create(&other, Secrets::default()),
        Err(OpenError::Locked(_))
    ));
    drop(j);
    let (j, r) =
        RolloutJournal::resume(&path, Secrets::default(), "ntp", &plan_hash(NTP), |_| false)
            .unwrap();
    assert_eq!(r.waves.len(), 2);
    drop(j);
    // A new rollout never writes into a journal that holds one.
    let err = RolloutJournal::create(&path, Secrets::default()).unwrap_err();
    assert!(matches!(err, OpenError::Exists { .. }), "{err}");
}

#[test]
fn a_resume_cuts_a_torn_line_and_chains_on_after_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.jsonl");
    drop(write_all(&path, &[header(), state("a", "applying")]));
    append(&path, b"{\"prev\":\"12");
    let (j, r) =
        RolloutJournal::resume(&path, Secrets::default(), "ntp", &plan_hash(NTP), |_| false)
            .unwrap();
    assert_eq!(r.tail, Tail::Torn { line: 3 });
    j.write(&header()).unwrap();
    j.write(&state("a", "done")).unwrap();
    drop(j);
    let r = replay(&path, "ntp", &plan_hash(NTP)).unwrap();
    assert_eq!(r.tail, Tail::Clean);
    assert_eq!(r.resume("a"), Resume::Final(DeviceState::Done, None));
    assert_eq!(
        std::fs::read_to_string(dropped_path(&path)).unwrap(),
        "{\"prev\":\"12\n"
    );
}

#[test]
fn foreign_lines_at_the_end_are_dropped_only_when_the_user_agrees() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.jsonl");
    drop(write_all(&path, &[header(), state("a", "failed")]));
    let forged = "{\"ts\":\"x\",\"kind\":\"device\",\"device\":\"a\",\"state\":\"done\"}\n";
    append(&path, forged.as_bytes());
    let before = std::fs::read(&path).unwrap();
    let hash = plan_hash(NTP);
    let err = replay(&path, "ntp", &hash).unwrap_err();
    assert!(
        matches!(
            err,
            ReplayError::Garbage {
                line: 3,
                lines: 1,
                ..
            }
        ),
        "{err}"
    );
    let mut asked = None;
    let err = RolloutJournal::resume(&path, Secrets::default(), "ntp", &hash, |e| {
        asked = Some(e.to_string());
        false
    })
    .unwrap_err();
    assert!(asked.unwrap().contains("line 3"));
    assert!(matches!(
        err,
        OpenError::Replay(ReplayError::Garbage { .. })
    ));
    assert_eq!(
        std::fs::read(&path).unwrap(),
        before,
        "refused: left as it was"
    );
    let (j, r) = RolloutJournal::resume(&path, Secrets::default(), "ntp", &hash, |_| true).unwrap();
    // The forged `done` is not believed.
    assert_eq!(r.resume("a"), Resume::Final(DeviceState::Failed, None));
    drop(j);
    assert_eq!(
        std::fs::read_to_string(dropped_path(&path)).unwrap(),
        forged
    );
    assert_eq!(replay(&path, "ntp", &hash).unwrap().tail, Tail::Clean);
}

#[test]
fn a_journal_edited_in_the_middle_is_refused_with_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.jsonl");
    drop(write_all(
        &path,
        &[header(), state("a", "failed"), state("b", "applying")],
    ));
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, text.replacen("failed", "done", 1)).unwrap();
    let err = RolloutJournal::resume(&path, Secrets::default(), "ntp", &plan_hash(NTP), |_| true)
        .unwrap_err();
    assert!(
        matches!(err, OpenError::Replay(ReplayError::Broken { line: 2, .. })),
        "{err}"
    );
    assert!(err.to_string().contains("line 2"), "{err}");
}
