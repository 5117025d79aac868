//! The run view's tools: `/` search with n/N, `w` write to a file (format, path, never
//! overwriting without a yes), `y` copy, folded groups whose names wrap, and a diff that
//! says what it is against.

use std::time::{Duration, Instant};

use crossterm::event::KeyCode;
use ratatui::layout::Rect;

use super::{draw, fleet, key, press};
use crate::exec::Secrets;
use crate::fleet::{Command, Event, ExecEvent, Output, State};
use crate::ui::export::{self, Format, WriteRequest, Written};
use crate::ui::run_view::Writing;
use crate::ui::{Action, App};

/// Run #1 of `show version` with these answers (device, text), all finished.
fn run(fleet: &mut State, app: &mut App, answers: &[(usize, &str)]) -> Instant {
    let t0 = fleet.origin.0 + Duration::from_secs(70);
    let command = Command::Run {
        run: 1,
        devices: answers.iter().map(|(d, _)| *d).collect(),
        command: "show version".into(),
    };
    fleet.record(&command, t0);
    for &(device, text) in answers {
        fleet.apply(Event::Exec(ExecEvent::Finished {
            run: 1,
            device,
            at: t0,
            duration: Duration::from_millis(200),
            result: Ok(Output {
                text: text.into(),
                ..Output::default()
            }),
        }));
    }
    app.refresh(fleet);
    app.last_run = Some(1);
    press(app, fleet, "r");
    t0 + Duration::from_secs(1)
}

fn screen(fleet: &State, app: &mut App, now: Instant) -> String {
    format!("{}", draw(fleet, app, now).backend())
}

#[test]
fn the_diff_says_what_it_is_against_majority_tie_or_none() {
    let cases: &[(&[(usize, &str)], &str)] = &[
        (
            &[(0, "a\n"), (1, "a\n"), (2, "b\n")],
            "diff against the majority (2 of 3)",
        ),
        (
            &[(0, "a\n"), (1, "a\n"), (2, "b\n"), (3, "b\n")],
            "diff against ams-sw00,fra-sw01's answer (no majority: a tie of 2 and 2)",
        ),
        (
            &[(0, "a\n"), (1, "b\n"), (2, "c\n")],
            "diff against ams-sw00's answer (no majority: every answer differs, 3 answers)",
        ),
    ];
    for (answers, title) in cases {
        let (mut fleet, _) = fleet();
        let mut app = App::new("t", Rect::new(0, 0, 160, 24));
        let now = run(&mut fleet, &mut app, answers);
        // Folded, the second group, diffed.
        press(&mut app, &fleet, "fjd");
        let screen = screen(&fleet, &mut app, now);
        assert!(screen.contains(title), "{title:?} in {screen}");
        assert!(
            !screen.contains("the majority") || title.contains("the majority"),
            "{screen}"
        );
    }
}

#[test]
fn search_walks_the_matching_lines_of_every_answer_both_ways() {
    let (mut fleet, _) = fleet();
    let mut app = App::new("t", Rect::new(0, 0, 110, 24));
    let now = run(
        &mut fleet,
        &mut app,
        &[
            (0, "uptime 3 weeks\nntp synced\n"),
            (1, "uptime 1 day\nntp unsynced\nntp peer none\n"),
            (2, "no match here\n"),
        ],
    );
    let view = |app: &App| app.run_view.clone().unwrap();
    press(&mut app, &fleet, "/NTP");
    assert!(screen(&fleet, &mut app, now).contains("/NTP  Enter search"));
    app.handle(&key(KeyCode::Enter), &fleet);
    assert_eq!(view(&app).selected, 0, "the first match: sw00's line 2");
    press(&mut app, &fleet, "n");
    assert_eq!(view(&app).selected, 1);
    press(&mut app, &fleet, "n");
    assert_eq!(
        (view(&app).selected, view(&app).scroll),
        (1, 0),
        "line 3 of sw01"
    );
    press(&mut app, &fleet, "n");
    assert_eq!(view(&app).selected, 0, "wraps to the first");
    press(&mut app, &fleet, "N");
    assert_eq!(view(&app).selected, 1, "and back");
    let screen = screen(&fleet, &mut app, now);
    assert!(screen.contains("/ntp  n next · N previous"), "{screen}");
    press(&mut app, &fleet, "/nothing-like-it");
    app.handle(&key(KeyCode::Enter), &fleet);
    assert_eq!(
        view(&app).note.as_deref(),
        Some("not found: nothing-like-it")
    );
    // Ctrl-C is never typed into the prompt: it quits (the run is over).
    press(&mut app, &fleet, "/abc");
    let ctrl_c = crossterm::event::KeyEvent::new(
        KeyCode::Char('c'),
        crossterm::event::KeyModifiers::CONTROL,
    );
    assert_eq!(
        app.handle(&crossterm::event::Event::Key(ctrl_c), &fleet),
        Action::Quit
    );
}

#[test]
fn w_asks_format_and_path_and_never_overwrites_without_a_yes() {
    let dir = tempfile::tempdir().unwrap();
    let (mut fleet, _) = fleet();
    let mut app = App::new("t", Rect::new(0, 0, 110, 24));
    let now = run(
        &mut fleet,
        &mut app,
        &[
            (0, "same\n"),
            (1, "same\n"),
            (2, "pw Hunter2-Secret\x1b[31m red\n"),
        ],
    );
    press(&mut app, &fleet, "w");
    assert!(
        screen(&fleet, &mut app, now).contains("write run #1 as: f folded · d per device · j JSON")
    );
    press(&mut app, &fleet, "x");
    assert_eq!(
        app.run_view.as_ref().unwrap().writing,
        Some(Writing::Format),
        "only f, d, j"
    );
    press(&mut app, &fleet, "f");
    let path = dir.path().join("run.txt");
    // The default path, replaced by ours (Ctrl-U clears the line).
    let ctrl_u = crossterm::event::KeyEvent::new(
        KeyCode::Char('u'),
        crossterm::event::KeyModifiers::CONTROL,
    );
    assert!(screen(&fleet, &mut app, now).contains("write to: fleetdash-run-1.txt"));
    app.handle(&crossterm::event::Event::Key(ctrl_u), &fleet);
    press(&mut app, &fleet, path.to_str().unwrap());
    let Action::Write(request) = app.handle(&key(KeyCode::Enter), &fleet) else {
        panic!("Enter writes");
    };
    assert_eq!(
        request,
        WriteRequest {
            run: 1,
            format: Format::Folded,
            path: path.clone(),
            overwrite: false
        }
    );
    let secrets = Secrets::new(["Hunter2-Secret".to_string()]);
    let written = export::write(&fleet, request.clone(), &secrets);
    assert!(matches!(written, Written::Done { .. }), "{written:?}");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(
        text.contains("== 2 devices — ok: ams-sw00,fra-sw01\nsame\n"),
        "{text}"
    );
    assert!(
        !text.contains("Hunter2-Secret") && !text.contains('\x1b'),
        "{text:?}"
    );

    // Again: the file exists, so the view asks; anything but y keeps it.
    std::fs::write(&path, "keep me").unwrap();
    let again = export::write(&fleet, request.clone(), &secrets);
    assert_eq!(again, Written::Exists(request.clone()));
    app.run_view.as_mut().unwrap().written(again.clone());
    assert!(screen(&fleet, &mut app, now).contains("exists. Replace it? y/N"));
    press(&mut app, &fleet, "n");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "keep me");
    app.run_view.as_mut().unwrap().written(again);
    let Action::Write(yes) = app.handle(&key(KeyCode::Char('y')), &fleet) else {
        panic!("y replaces");
    };
    assert!(yes.overwrite);
    assert!(matches!(
        export::write(&fleet, yes, &secrets),
        Written::Done { .. }
    ));
    assert_ne!(std::fs::read_to_string(&path).unwrap(), "keep me");

    // Per device and JSON carry every device, masked too.
    let run = fleet.exec.get(1).unwrap();
    let per_device = export::contents(&fleet, run, Format::PerDevice, &secrets);
    assert!(
        per_device.contains("== fra-sw01 — ok\nsame\n"),
        "{per_device}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&export::contents(&fleet, run, Format::Json, &secrets)).unwrap();
    assert_eq!(json["devices"].as_array().unwrap().len(), 3);
    assert!(!json.to_string().contains("Hunter2-Secret"));
}

#[test]
fn y_copies_the_selected_answer() {
    let (mut fleet, _) = fleet();
    let mut app = App::new("t", Rect::new(0, 0, 110, 24));
    run(&mut fleet, &mut app, &[(0, "first\n"), (1, "second\n")]);
    press(&mut app, &fleet, "j");
    assert_eq!(
        app.handle(&key(KeyCode::Char('y')), &fleet),
        Action::Copy("second\n".into())
    );
}

/// A folded group of many devices: the count comes first and every name is on screen,
/// wrapped, at 80 columns.
#[test]
fn a_folded_groups_names_wrap_and_are_never_cut() {
    let mut fleet = crate::testkit::state(40, crate::fleet::FleetConfig::default());
    let mut app = App::new("t", Rect::new(0, 0, 80, 24));
    // Every other device: names that do not compact into one range.
    let answers: Vec<(usize, &str)> = (0..40).step_by(2).map(|d| (d, "same\n")).collect();
    let now = run(&mut fleet, &mut app, &answers);
    press(&mut app, &fleet, "f");
    let screen = screen(&fleet, &mut app, now);
    assert!(
        screen.contains(&format!("✓ ({}) ", answers.len())),
        "{screen}"
    );
    let names: Vec<String> = answers
        .iter()
        .map(|&(d, _)| fleet.inventory.devices[d].name.clone())
        .collect();
    let compact = crate::exec::fold::compact_names(&names);
    assert!(
        compact.len() > 60,
        "longer than the list is wide: {compact}"
    );
    for part in compact.split(',') {
        assert!(
            screen.contains(part),
            "{part} of {compact} on screen: {screen}"
        );
    }
}
