//! Running commands from the dashboard: marks, the `:` prompt, the dangerous-command
//! question, read-only mode, and the run view (progress, folded answers, diff, cancel).

use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::Rect;

use super::{draw, fleet, key, press};
use crate::base::sanitize::Removed;
use crate::fleet::{Command, Event, ExecError, ExecEvent, Output, Stage, State};
use crate::ui::{Action, App};

fn submit(app: &mut App, fleet: &State, command: &str) -> Action {
    press(app, fleet, ":");
    press(app, fleet, command);
    app.handle(&key(KeyCode::Enter), fleet)
}

fn name(fleet: &State, id: usize) -> &str {
    &fleet.inventory.devices[id].name
}

#[test]
fn marks_toggle_range_all_and_none() {
    let (fleet, now) = fleet();
    let mut app = App::new("lab.yaml", Rect::new(0, 0, 110, 28));
    app.refresh(&fleet);
    press(&mut app, &fleet, " ");
    assert_eq!(app.targets(&fleet), [0], "space marks the focus (ams-sw00)");
    press(&mut app, &fleet, "lll");
    press(&mut app, &fleet, "v");
    // Visible order is by name: ams-sw00, ams-sw02, ams-sw04, ams-sw06 …
    let marked: Vec<&str> = app.marks.iter().map(|&d| name(&fleet, d)).collect();
    assert_eq!(marked.len(), 4);
    assert!(marked.contains(&"ams-sw06"));
    press(&mut app, &fleet, " ");
    assert_eq!(app.marks.len(), 3, "space unmarks");

    let terminal = draw(&fleet, &mut app, now);
    let screen = format!("{}", terminal.backend());
    assert!(screen.contains("● 3 marked"), "{screen}");
    assert!(
        screen.contains("●ams-sw00"),
        "a marked tile shows the mark: {screen}"
    );

    press(&mut app, &fleet, "/fra");
    app.handle(&key(KeyCode::Enter), &fleet);
    press(&mut app, &fleet, "a");
    assert_eq!(app.marks.len(), 3 + 6, "a marks every device shown");
    press(&mut app, &fleet, "A");
    assert!(app.marks.is_empty());
    assert_eq!(
        app.targets(&fleet).len(),
        1,
        "without marks, the focused device"
    );
}

#[test]
fn a_command_runs_on_the_marked_devices_and_opens_the_run_view() {
    let (fleet, _) = fleet();
    let mut app = App::new("t", Rect::new(0, 0, 110, 28));
    app.refresh(&fleet);
    press(&mut app, &fleet, " l ");
    let action = submit(&mut app, &fleet, "show version");
    let Action::Send(Command::Run {
        run,
        devices,
        command,
    }) = action
    else {
        panic!("expected a run, got {action:?}");
    };
    assert_eq!(command, "show version");
    assert_eq!(devices.len(), 2);
    assert_eq!(app.run_view.as_ref().map(|v| v.run), Some(run));
    assert_eq!(app.last_run, Some(run));

    // History: the next prompt recalls it.
    app.run_view = None;
    press(&mut app, &fleet, ":");
    app.handle(&key(KeyCode::Up), &fleet);
    assert_eq!(app.command_line.input.as_deref(), Some("show version"));
}

#[test]
fn dangerous_commands_ask_first_and_read_only_refuses_them() {
    let (fleet, now) = fleet();
    let mut app = App::new("t", Rect::new(0, 0, 110, 28));
    app.refresh(&fleet);
    assert_eq!(submit(&mut app, &fleet, "reload"), Action::Redraw);
    let terminal = draw(&fleet, &mut app, now);
    let screen = format!("{}", terminal.backend());
    assert!(
        screen.contains("`reload` reboots the device. Run it on 1 device? y/N"),
        "{screen}"
    );
    assert_eq!(app.handle(&key(KeyCode::Char('n')), &fleet), Action::Redraw);
    assert!(
        app.confirm.is_none() && app.run_view.is_none(),
        "anything but y declines"
    );
    assert_eq!(app.status.as_deref(), Some("not run: reload"));

    submit(&mut app, &fleet, "conf t");
    let action = app.handle(&key(KeyCode::Char('y')), &fleet);
    assert!(
        matches!(action, Action::Send(Command::Run { .. })),
        "{action:?}"
    );

    let mut app = App::new("t", Rect::new(0, 0, 110, 28));
    app.read_only = true;
    app.refresh(&fleet);
    assert_eq!(submit(&mut app, &fleet, "write erase"), Action::Redraw);
    assert!(app.confirm.is_none() && app.run_view.is_none());
    let status = app.status.clone().unwrap();
    assert!(
        status.starts_with("`write erase` refused — read-only: `write` is not a read-only command"),
        "{status}"
    );
    assert!(
        matches!(submit(&mut app, &fleet, "show clock"), Action::Send(_)),
        "reads still run"
    );
    app.run_view = None;
    // Read-only is an allow-list: what is not a known read is refused, not asked.
    for command in [
        "show run | redirect flash:x",
        "copy run start",
        "tclsh",
        "sh run > x",
    ] {
        assert_eq!(
            submit(&mut app, &fleet, command),
            Action::Redraw,
            "{command}"
        );
        assert!(app.confirm.is_none() && app.run_view.is_none(), "{command}");
        assert!(
            app.status.as_deref().unwrap().contains("read-only"),
            "{command}"
        );
    }
}

#[test]
fn read_only_follows_the_platform_of_the_targets() {
    let (mut fleet, _) = fleet();
    let mut inventory = (*fleet.inventory).clone();
    inventory.devices[0].platform = "linux".into();
    fleet.inventory = std::sync::Arc::new(inventory);
    let mut app = App::new("t", Rect::new(0, 0, 110, 28));
    app.read_only = true;
    app.refresh(&fleet);
    app.focused = Some(0);
    for command in [
        "uptime && reboot",
        "echo $(reboot)",
        "/sbin/reboot",
        "env reboot",
    ] {
        assert_eq!(
            submit(&mut app, &fleet, command),
            Action::Redraw,
            "{command}"
        );
        assert!(app.run_view.is_none(), "{command} must not run");
    }
    assert!(matches!(
        submit(&mut app, &fleet, "uptime"),
        Action::Send(_)
    ));
    app.run_view = None;
    // A router and a Linux host marked together: a command must be read-only on both.
    app.marks.extend([0, 1]);
    assert_eq!(submit(&mut app, &fleet, "show version"), Action::Redraw);
    assert!(app.status.as_deref().unwrap().contains("shell"));
}

#[test]
fn a_command_with_a_line_break_is_never_sent() {
    let (fleet, _) = fleet();
    let mut app = App::new("t", Rect::new(0, 0, 110, 28));
    app.refresh(&fleet);
    // What a paste without bracketed paste mode, or a stray control key, would type.
    for command in [
        "show clock\nconfigure terminal",
        "show clock\rreload",
        "show clock\u{1b}[2K",
        "show \u{202e}kcolc",
    ] {
        assert_eq!(submit(&mut app, &fleet, command), Action::Redraw);
        assert!(app.confirm.is_none() && app.run_view.is_none());
        let status = app.status.clone().unwrap();
        assert!(status.contains("a command is one line"), "{status}");
        assert!(!status.chars().any(char::is_control), "{status:?}");
    }
}

#[test]
fn colon_q_quits_and_colon_bang_sends_literally() {
    let (fleet, _) = fleet();
    let mut app = App::new("t", Rect::new(0, 0, 110, 28));
    app.refresh(&fleet);
    for quit in ["q", "quit", "q!", "qa"] {
        assert_eq!(submit(&mut app, &fleet, quit), Action::Quit, ":{quit}");
    }
    let Action::Send(Command::Run { command, .. }) = submit(&mut app, &fleet, "!q") else {
        panic!(":!q sends a command");
    };
    assert_eq!(command, "q");
    app.run_view = None;
    let Action::Send(Command::Run { command, .. }) = submit(&mut app, &fleet, "!quit") else {
        panic!(":!quit sends a command");
    };
    assert_eq!(command, "quit");
}

/// A run of `show version` on 5 devices: 3 agree, 1 differs, 1 failed auth, 1 still running.
fn run_with_answers(fleet: &mut State, app: &mut App) -> (u64, Instant) {
    app.refresh(fleet);
    app.marks.extend([0, 1, 2, 3, 4, 6]);
    let Action::Send(command) = submit(app, fleet, "show version") else {
        panic!("not sent");
    };
    let Command::Run { run, .. } = command else {
        unreachable!()
    };
    let t0 = fleet.origin.0 + Duration::from_secs(70);
    fleet.record(&command, t0);
    let same = "Cisco IOS Software, Version 15.2(4)M7\nuptime is 3 weeks\n";
    let other = "Cisco IOS Software, Version 15.1(2)T\nuptime is 3 weeks\n";
    let finished = |device, result| {
        Event::Exec(ExecEvent::Finished {
            run,
            device,
            at: t0 + Duration::from_millis(300),
            duration: Duration::from_millis(250),
            result,
        })
    };
    let ok = |text: &str| {
        Ok(Output {
            text: text.into(),
            exit_status: None,
            truncated: false,
            error_marker: None,
            removed: Removed::default(),
        })
    };
    for d in [0, 1, 2] {
        fleet.apply(finished(d, ok(same)));
    }
    fleet.apply(finished(3, ok(other)));
    fleet.apply(finished(
        4,
        Err(ExecError {
            stage: Stage::Auth,
            maybe_ran: false,
            reason: "password rejected for admin".into(),
        }),
    ));
    fleet.apply(Event::Exec(ExecEvent::Started {
        run,
        device: 6,
        at: t0,
    }));
    (run, t0 + Duration::from_secs(1))
}

#[test]
fn the_run_view_shows_progress_answers_folds_and_diffs() {
    let (mut fleet, _) = fleet();
    let mut app = App::new("t", Rect::new(0, 0, 110, 24));
    let (_, now) = run_with_answers(&mut fleet, &mut app);
    let terminal = draw(&fleet, &mut app, now);
    insta::assert_snapshot!("run_view_devices", terminal.backend());

    press(&mut app, &fleet, "f");
    let terminal = draw(&fleet, &mut app, now);
    let screen = format!("{}", terminal.backend());
    insta::assert_snapshot!("run_view_folded", terminal.backend());
    assert!(
        screen.contains("(3)"),
        "the three identical answers fold into one row: {screen}"
    );

    // The outlier (second row when folded), diffed against the majority.
    press(&mut app, &fleet, "jd");
    let terminal = draw(&fleet, &mut app, now);
    let screen = format!("{}", terminal.backend());
    assert!(screen.contains("diff against the majority"), "{screen}");
    assert!(
        screen.contains("- Cisco IOS Software, Version 15.2(4)M7"),
        "{screen}"
    );
    assert!(
        screen.contains("+ Cisco IOS Software, Version 15.1(2)T"),
        "{screen}"
    );
    assert!(screen.contains("  uptime is 3 weeks"), "{screen}");
}

/// Folding and diffing happen once per change of the runs, not once per frame: redraws, key
/// presses that only move within the view and probe results reuse what was computed.
#[test]
fn the_run_view_folds_and_diffs_once_per_change() {
    let (mut fleet, _) = fleet();
    let mut app = App::new("t", Rect::new(0, 0, 110, 24));
    let (run, now) = run_with_answers(&mut fleet, &mut app);
    press(&mut app, &fleet, "fjd");
    let computed = |app: &App| app.run_view.as_ref().unwrap().computed();
    for i in 0..5u64 {
        let screen = format!("{}", draw(&fleet, &mut app, now).backend());
        assert!(screen.contains("diff against the majority"), "{screen}");
        // Probes change the fleet, not the run.
        fleet.apply(crate::testkit::probe(
            0,
            now + Duration::from_secs(i),
            Some(200),
        ));
    }
    assert_eq!(
        computed(&app),
        (1, 1),
        "one fold and one diff for five frames"
    );

    fleet.apply(Event::Exec(ExecEvent::Finished {
        run,
        device: 6,
        at: now,
        duration: Duration::from_millis(250),
        result: Err(ExecError {
            stage: Stage::Command,
            maybe_ran: true,
            reason: "timed out".into(),
        }),
    }));
    draw(&fleet, &mut app, now);
    draw(&fleet, &mut app, now);
    assert_eq!(
        computed(&app),
        (2, 2),
        "the run changed: folded and diffed again, once"
    );
}

/// What the sanitizer took out of an answer is said in the answer's title, like truncation.
#[test]
fn the_run_view_says_when_control_sequences_were_removed() {
    let (mut fleet, _) = fleet();
    let mut app = App::new("t", Rect::new(0, 0, 110, 24));
    app.refresh(&fleet);
    app.marks.insert(0);
    let Action::Send(command) = submit(&mut app, &fleet, "show status") else {
        panic!("not sent");
    };
    let Command::Run { run, .. } = command else {
        unreachable!()
    };
    let t0 = fleet.origin.0 + Duration::from_secs(70);
    fleet.record(&command, t0);
    fleet.apply(Event::Exec(ExecEvent::Finished {
        run,
        device: 0,
        at: t0,
        duration: Duration::from_millis(250),
        result: Ok(Output {
            text: "status: all good\n\n% Error: something is badly broken\n".into(),
            removed: Removed {
                controls: 1,
                unterminated: 1,
                overwritten: 0,
            },
            ..Output::default()
        }),
    }));
    let terminal = draw(&fleet, &mut app, t0 + Duration::from_secs(1));
    let screen = format!("{}", terminal.backend());
    assert!(
        screen.contains("1 control sequence removed (1 unterminated)"),
        "{screen}"
    );
    assert!(
        screen.contains("% Error: something is badly broken"),
        "{screen}"
    );
}

#[test]
fn esc_cancels_what_has_not_started_then_goes_back() {
    let (mut fleet, _) = fleet();
    let mut app = App::new("t", Rect::new(0, 0, 110, 24));
    let (run, t) = run_with_answers(&mut fleet, &mut app);
    assert_eq!(
        app.handle(&key(KeyCode::Esc), &fleet),
        Action::Send(Command::Cancel { run })
    );
    let ctrl_c =
        crossterm::event::Event::Key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL));
    assert_eq!(
        app.handle(&ctrl_c, &fleet),
        Action::Send(Command::Cancel { run }),
        "Ctrl-C in a run cancels, never quits"
    );
    assert!(app.run_view.is_some());
    // Once the cancel is sent, the view says so until the run settles, and a second
    // Ctrl-C quits.
    fleet.record(&Command::Cancel { run }, t);
    let screen = format!("{}", draw(&fleet, &mut app, t).backend());
    assert!(screen.contains("cancelling…"), "{screen}");
    assert_eq!(app.handle(&ctrl_c, &fleet), Action::Quit);

    fleet.apply(Event::Exec(ExecEvent::Finished {
        run,
        device: 6,
        at: t,
        duration: Duration::from_millis(900),
        result: Err(ExecError {
            stage: Stage::Cancelled,
            maybe_ran: false,
            reason: "cancelled".into(),
        }),
    }));
    assert!(fleet.exec.get(run).unwrap().progress().finished());
    let screen = format!("{}", draw(&fleet, &mut app, t).backend());
    assert!(
        screen.contains("1 cancelled") && !screen.contains("cancelling…"),
        "settled: {screen}"
    );
    assert_eq!(app.handle(&key(KeyCode::Esc), &fleet), Action::Redraw);
    assert!(
        app.run_view.is_none(),
        "a finished run: Esc goes back to the tiles"
    );
    press(&mut app, &fleet, "r");
    assert_eq!(
        app.run_view.as_ref().map(|v| v.run),
        Some(run),
        "r reopens the last run"
    );
}

#[test]
fn ssh_trouble_shows_on_the_tile_and_in_the_detail_pane() {
    let (mut fleet, now) = fleet();
    fleet.apply(Event::Exec(ExecEvent::Link {
        device: 0,
        link: crate::fleet::Link::Failed {
            reason: "auth: password rejected for netops".into(),
        },
    }));
    fleet.apply(Event::Exec(ExecEvent::Link {
        device: 2,
        link: crate::fleet::Link::CircuitOpen {
            until: now + Duration::from_secs(20),
        },
    }));
    let mut app = App::new("t", Rect::new(0, 0, 110, 28));
    let terminal = draw(&fleet, &mut app, now);
    let screen = format!("{}", terminal.backend());
    assert!(screen.contains("▲ ssh: auth"), "{screen}");
    assert!(screen.contains("▲ circuit open"), "{screen}");
    assert!(
        screen.contains("ssh      failed: auth: password rejected"),
        "detail pane: {screen}"
    );
}

#[test]
fn a_queued_device_that_is_connecting_says_so() {
    let (mut fleet, now) = fleet();
    let mut app = App::new("t", Rect::new(0, 0, 110, 24));
    app.refresh(&fleet);
    press(&mut app, &fleet, " ");
    let Action::Send(command) = submit(&mut app, &fleet, "show clock") else {
        panic!("not sent");
    };
    fleet.record(&command, now);
    let terminal = draw(&fleet, &mut app, now);
    assert!(format!("{}", terminal.backend()).contains("ams-sw00: queued"));
    // Another run's (or a poll's) connect does not make this run's device connecting.
    fleet.apply(Event::Exec(ExecEvent::Link {
        device: 0,
        link: crate::fleet::Link::Connecting,
    }));
    let screen = format!("{}", draw(&fleet, &mut app, now).backend());
    assert!(screen.contains("ams-sw00: queued"), "{screen}");
    assert!(screen.contains("· 1 queued"), "{screen}");
    let Command::Run { run, .. } = command else {
        unreachable!()
    };
    fleet.apply(Event::Exec(ExecEvent::Connecting { run, device: 0 }));
    let terminal = draw(&fleet, &mut app, now);
    let screen = format!("{}", terminal.backend());
    assert!(screen.contains("⟳ ams-sw00 connecting"), "{screen}");
    assert!(screen.contains("ams-sw00: connecting"), "{screen}");
    assert!(
        screen.contains("⟳ 1 connecting") && !screen.contains("queued"),
        "connecting is not counted as queued: {screen}"
    );
}
