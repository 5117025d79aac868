//! Fleet jobs from the dashboard: `B` and `:backup` ask the job workers for the targets, the
//! result lands in the run view, the log and the detail pane (with what git holds), `d`
//! opens the focused device's diff, scrollable, without hostile text reaching the screen, and
//! `:cabling FILE` marks the tiles whose links are wrong.

use crossterm::event::KeyCode;
use ratatui::layout::Rect;

use super::{draw, fleet, key, press};
use crate::fleet::{
    BackupOutcome, BackupResult, CablingResult, Event, JobEvent, JobRequest, State, Version,
};
use crate::ui::{Action, App};

fn screen(fleet: &State, app: &mut App, now: std::time::Instant) -> String {
    format!("{}", draw(fleet, app, now).backend())
}

#[test]
fn b_and_colon_backup_ask_for_the_targets() {
    let (fleet, _) = fleet();
    let mut app = App::new("lab.yaml", Rect::new(0, 0, 110, 28));
    app.refresh(&fleet);
    let focused = app.focused.unwrap();
    assert_eq!(
        app.handle(&key(KeyCode::Char('B')), &fleet),
        Action::Job(JobRequest::Backup {
            devices: vec![focused]
        }),
        "without marks, the focused device"
    );
    press(&mut app, &fleet, " l ");
    press(&mut app, &fleet, ":backup");
    let action = app.handle(&key(KeyCode::Enter), &fleet);
    let Action::Job(JobRequest::Backup { devices }) = action else {
        panic!("{action:?}")
    };
    assert_eq!(devices, app.targets(&fleet));
    assert_eq!(devices.len(), 2, "the marked devices");
    // Read-only mode fetches configs too: a backup changes nothing on the devices.
    app.read_only = true;
    assert!(matches!(
        app.handle(&key(KeyCode::Char('B')), &fleet),
        Action::Job(JobRequest::Backup { .. })
    ));
}

#[test]
fn a_finished_backup_shows_in_the_log_the_run_view_and_the_detail_pane() {
    let (mut fleet, now) = fleet();
    let mut app = App::new("lab.yaml", Rect::new(0, 0, 140, 34));
    app.refresh(&fleet);
    let focused = app.focused.unwrap();
    app.job_started(&[7]);
    fleet.record(
        &crate::fleet::Command::Run {
            run: 7,
            devices: vec![focused, 1],
            command: "show running-config".into(),
        },
        now,
    );
    fleet.apply(Event::Job(JobEvent::BackupDone {
        at: now,
        runs: vec![7],
        result: Ok(BackupResult {
            devices: vec![
                (focused, BackupOutcome::Changed),
                (
                    1,
                    BackupOutcome::Failed {
                        stage: "auth".into(),
                        reason: "denied\u{1b}[2J".into(),
                    },
                ),
            ],
            commit: Some("0123456789abcdef0123".into()),
        }),
    }));
    let run_view = screen(&fleet, &mut app, now);
    assert!(
        run_view.contains(
            "backup of 2 devices: 1 changed, 0 new, 0 unchanged, 1 failed · commit 0123456789ab"
        ),
        "{run_view}"
    );
    press(&mut app, &fleet, "q");
    assert!(app.run_view.is_none());
    // The fleet's clock is 65 s past its origin.
    let at = fleet.origin.1;
    fleet.apply(Event::Job(JobEvent::History {
        device: focused,
        versions: Ok(vec![
            Version {
                commit: "0123456789abcdef0123".into(),
                at,
            },
            Version {
                commit: "fedcba".into(),
                at,
            },
        ]),
    }));
    let tiles = screen(&fleet, &mut app, now);
    assert!(
        tiles.contains("1 failed · commit 0123456789ab"),
        "the log: {tiles}"
    );
    assert!(tiles.contains("commit 0123456789ab"), "{tiles}");
    assert!(
        tiles.contains("saved ") && tiles.contains(" (1m05s ago)"),
        "{tiles}"
    );
    assert!(
        tiles.contains("changed since the previous (d: diff)"),
        "{tiles}"
    );
    assert!(tiles.contains("changed, committed"), "{tiles}");
    // Another device's failure shows on its own detail pane, escaped.
    app.focused = Some(1);
    let other = screen(&fleet, &mut app, now);
    assert!(other.contains("failed (auth): denied\\e[2J"), "{other}");
    assert!(
        !other.contains("changed since the previous"),
        "versions are per device: {other}"
    );
    fleet.apply(Event::Job(JobEvent::History {
        device: app.focused.unwrap(),
        versions: Ok(vec![]),
    }));
    let other = screen(&fleet, &mut app, now);
    assert!(
        other.contains("config   none yet (B backs it up)"),
        "{other}"
    );
}

#[test]
fn d_opens_the_diff_which_scrolls_and_closes() {
    let (mut fleet, now) = fleet();
    let mut app = App::new("lab.yaml", Rect::new(0, 0, 100, 20));
    app.refresh(&fleet);
    let device = app.focused.unwrap();
    assert_eq!(
        app.handle(&key(KeyCode::Char('d')), &fleet),
        Action::Job(JobRequest::Diff { device })
    );
    let waiting = screen(&fleet, &mut app, now);
    assert!(waiting.contains("reading the diff…"), "{waiting}");
    let mut diff = String::from("diff --git a/r b/r\n@@ -1,3 +1,60 @@\n");
    for i in 0..60 {
        diff.push_str(&format!("+line {i}\n"));
    }
    fleet.apply(Event::Job(JobEvent::Diff {
        device,
        diff: Ok(Some(diff)),
    }));
    let top = screen(&fleet, &mut app, now);
    assert!(top.contains("diff against its previous backup"), "{top}");
    assert!(
        top.contains("+line 0") && !top.contains("+line 40"),
        "{top}"
    );
    press(&mut app, &fleet, "G");
    let end = screen(&fleet, &mut app, now);
    assert!(
        end.contains("+line 59") && !end.contains("+line 0\n"),
        "{end}"
    );
    assert!(end.contains("of 62"), "{end}");
    press(&mut app, &fleet, "g");
    press(&mut app, &fleet, "j");
    let one = screen(&fleet, &mut app, now);
    assert!(!one.contains("diff --git") && one.contains("@@"), "{one}");
    press(&mut app, &fleet, "k");
    press(&mut app, &fleet, "k");
    assert!(
        screen(&fleet, &mut app, now).contains("diff --git"),
        "k stops at the top"
    );
    fleet.apply(Event::Job(JobEvent::Diff {
        device,
        diff: Ok(None),
    }));
    assert!(screen(&fleet, &mut app, now).contains("fewer than two backups"));
    assert_eq!(app.handle(&key(KeyCode::Esc), &fleet), Action::Redraw);
    assert!(app.diff_view.is_none());
    let tiles = screen(&fleet, &mut app, now);
    assert!(!tiles.contains("diff against"), "{tiles}");
}

#[test]
fn colon_cabling_asks_for_the_check_and_wrong_tiles_are_marked() {
    let (mut fleet, now) = fleet();
    let mut app = App::new("lab.yaml", Rect::new(0, 0, 140, 34));
    app.refresh(&fleet);
    press(&mut app, &fleet, ":cabling");
    app.handle(&key(KeyCode::Enter), &fleet);
    assert!(app.status.as_deref().unwrap().contains("which plan?"));
    press(&mut app, &fleet, ":cabling plans/dc1.csv");
    let focused = app.focused.unwrap();
    assert_eq!(
        app.handle(&key(KeyCode::Enter), &fleet),
        Action::Job(JobRequest::Cabling {
            devices: vec![focused],
            plan: "plans/dc1.csv".into()
        })
    );
    press(&mut app, &fleet, ":cablingx");
    assert!(
        matches!(app.handle(&key(KeyCode::Enter), &fleet), Action::Send(_)),
        "only the word `cabling` is the check"
    );
    app.run_view = None;
    fleet.apply(Event::Job(JobEvent::CablingDone {
        at: now,
        runs: vec![],
        result: Ok(CablingResult {
            summary: "cabling does not match the plan: 1/3 links ok, 2 wrong".into(),
            devices: vec![
                (
                    focused,
                    2,
                    vec![
                        "Gi0/1 -- sw9:Et1  wrong-port: far end is on Et4".into(),
                        "Gi0/2 -- sw8:Et1  missing: neither end sees the other".into(),
                    ],
                ),
                (1, 1, vec![]),
            ],
        }),
    }));
    let frame = draw(&fleet, &mut app, now);
    let text = format!("{}", frame.backend());
    assert_eq!(text.matches("✗2 cabling").count(), 1, "{text}");
    assert!(text.contains("cabling  ✗ 2 wrong of 2 links:"), "{text}");
    assert!(text.contains("  Gi0/2 -- sw8:Et1  missing"), "{text}");
    assert!(text.contains("1/3 links ok, 2 wrong"), "the log: {text}");
    app.focused = Some(1);
    let text = format!("{}", draw(&fleet, &mut app, now).backend());
    assert!(text.contains("cabling  1 link as planned"), "{text}");
}
