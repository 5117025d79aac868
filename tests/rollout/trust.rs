//! "Trustworthy on a production network": secrets never reach a rollout's files or stdout,
//! one journal is worked on by one process at a time, and a rollout that changed fewer
//! devices than planned says so in its exit status.

use std::path::Path;
use std::process::Stdio;

use fleetdash::rollout::event::{Control, Outcome};
use fleetdash::rollout::journal::{plan_hash, replay};

use super::harness::{LAB, SLOW_LAB, setup, setup_with_password, start};
use super::kill::{Files, configure_by_hand, output};

const NTP: &str = "ntp server 127.0.0.123";

/// One device, its running-config read before and after (check and snapshot).
fn show_config_plan(target: &str, max_fail: &str) -> String {
    format!(
        r#"
name: ntp
target: "{target}"
strategy:
  serial: 4
pre_checks:
  - name: config readable
    command: show running-config
    contains: hostname
snapshot: show running-config
steps:
  - config: ["{NTP}"]
post_checks:
  - name: ntp configured
    command: show running-config
    contains: "{NTP}"
  - name: interfaces readable
    command: show ip interface brief
    not_contains: "% Error"
{max_fail}
"#
    )
}

/// `text` with every non-alphanumeric character percent-encoded.
fn url_encoded(text: &str) -> String {
    text.bytes()
        .map(|b| match b.is_ascii_alphanumeric() {
            true => (b as char).to_string(),
            false => format!("%{b:02X}"),
        })
        .collect()
}

/// `text` with a backslash before every non-alphanumeric character.
fn backslashed(text: &str) -> String {
    text.chars()
        .flat_map(|c| match c.is_ascii_alphanumeric() {
            true => vec![c],
            false => vec!['\\', c],
        })
        .collect()
}

/// The forms of `password` found in `text`: as is, URL-encoded, backslash-escaped, and each
/// of those as a JSON string would hold it.
fn leaks(text: &str, password: &str) -> Vec<String> {
    let forms = [
        password.to_string(),
        url_encoded(password),
        backslashed(password),
    ];
    let json = |s: &str| {
        serde_json::to_string(s)
            .unwrap()
            .trim_matches('"')
            .to_string()
    };
    forms
        .iter()
        .flat_map(|f| [f.clone(), json(f)])
        .filter(|f| text.contains(f.as_str()))
        .collect()
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[tokio::test]
async fn the_password_never_reaches_the_journal_the_reports_or_stdout() {
    let password = r#"Rk"9/x\y&z%w"#;
    let s = setup_with_password(LAB, password).await;
    // The device's own config holds it three ways (as IOS, a URL and a quoted string would).
    let lines = [
        format!("username admin secret {password}"),
        format!(
            "snmp-server host http://admin:{}@127.0.0.9/",
            url_encoded(password)
        ),
        format!("banner motd \"{}\"", backslashed(password)),
    ];
    for line in &lines {
        configure_by_hand(&s, "r-ok1", line).await;
    }
    let config = s.lab.config_text("r-ok1").unwrap();
    assert!(
        lines.iter().all(|l| config.contains(l.as_str())),
        "{config}"
    );

    let k = Files::new(&s, &show_config_plan("r-ok1", "max_fail: 0"));
    let journal = k.journal.to_str().unwrap().to_string();
    let out = output(k.command(&["--headless", "--yes", "--json", "--journal", &journal])).await;
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    let report_md = k.report.join("report.md");
    let report_json = k.report.join("report.json");
    for (what, text) in [
        ("stdout", stdout.to_string()),
        ("stderr", stderr.to_string()),
        ("journal", std::fs::read_to_string(&k.journal).unwrap()),
        ("report.md", std::fs::read_to_string(&report_md).unwrap()),
        (
            "report.json",
            std::fs::read_to_string(&report_json).unwrap(),
        ),
    ] {
        assert_eq!(
            leaks(&text, password),
            Vec::<String>::new(),
            "{what}:\n{text}"
        );
        // Masked, not dropped: the line is still there with stars in place of the secret.
        assert!(
            what == "stderr" || text.contains("username admin secret ***"),
            "{what}:\n{text}"
        );
    }
    #[cfg(unix)]
    for file in [&k.journal, &report_md, &report_json] {
        assert_eq!(mode(file), 0o600, "{}", file.display());
    }
}

#[tokio::test]
async fn a_password_that_masks_ordinary_words_is_warned_about_at_the_start() {
    // The lab's user name is `admin`: a password equal to it turns it into stars.
    for (password, why) in [
        ("admin", "same as the user name"),
        ("Sh0rt!x", "shorter than 8 characters"),
    ] {
        let s = setup_with_password(LAB, password).await;
        let k = Files::new(&s, &show_config_plan("r-ok1", "max_fail: 0"));
        let journal = k.journal.to_str().unwrap().to_string();
        let out = output(k.command(&["--headless", "--yes", "--journal", &journal])).await;
        let (stdout, stderr) = (
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
        );
        assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
        let warning = stdout
            .lines()
            .chain(stderr.lines())
            .find(|l| l.contains("FLEETDASH_PASSWORD"))
            .unwrap_or_else(|| panic!("no warning for {password:?}:\n{stdout}{stderr}"));
        assert!(warning.contains(why), "{warning}");
        assert!(warning.contains("***"), "{warning}");
        assert!(!warning.contains(password), "{warning}");
        let report = std::fs::read_to_string(k.report.join("report.json")).unwrap();
        assert_eq!(leaks(&report, password), Vec::<String>::new(), "{report}");
    }
}

#[tokio::test]
async fn masking_goes_on_when_the_password_is_the_user_name() {
    // The issue's own example: `username admin privilege 15` shows with stars.
    let s = setup_with_password(LAB, "admin").await;
    let run = super::harness::start_with_secrets(
        &s,
        &show_config_plan("r-ok1", "max_fail: 0"),
        fleetdash::base::secrets::Secrets::new(["admin".to_string()]),
    );
    let (f, _) = run.finish().await;
    let pre = &f.devices[0].pre_checks[0].output;
    assert!(pre.contains("username *** privilege 15"), "{pre}");
}

#[tokio::test]
async fn a_second_run_of_a_journal_in_use_is_refused_and_names_the_holder() {
    let s = setup(SLOW_LAB).await;
    let yaml = show_config_plan("s-sw[1-4]", "max_fail: 0")
        .replace("show ip interface brief", "show version")
        .replace("serial: 4", "serial: 1");
    // A first run aborted before anything changed leaves a journal to resume.
    let run = start(&s, &yaml, 1, None);
    run.control.send(Control::Abort).await.unwrap();
    let (first, _) = run.finish().await;
    assert_eq!(first.outcome, Outcome::Aborted);
    let k = Files::new(&s, &yaml);
    let journal = s.dir.path().join("rollout.jsonl");
    let resume = [
        "--headless",
        "--yes",
        "--concurrency",
        "1",
        "--resume",
        journal.to_str().unwrap(),
    ];
    let headers = |p: &Path| {
        std::fs::read_to_string(p)
            .unwrap_or_default()
            .lines()
            .filter(|l| l.contains("\"kind\":\"header\""))
            .count()
    };
    let mut holder = k
        .command(&resume)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Once its header is written it is working on the journal.
    crate::common::eventually("the first resume started", || headers(&journal) >= 2).await;
    let second = output(k.command(&resume)).await;
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert_eq!(second.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains(&format!("pid {}", holder.id())), "{stderr}");
    assert!(stderr.contains("in use"), "{stderr}");
    let status = tokio::task::spawn_blocking(move || holder.wait().unwrap())
        .await
        .unwrap();
    assert_eq!(status.code(), Some(0));
    // One header per run: nothing of the second one reached the journal.
    assert_eq!(headers(&journal), 2);
    for i in 1..=4 {
        assert_eq!(s.lab.command_count(&format!("s-sw{i}"), NTP), 1, "s-sw{i}");
    }
}

#[tokio::test]
async fn a_rollout_told_to_continue_that_changed_fewer_devices_exits_1_with_the_counts() {
    let s = setup(LAB).await;
    // r-bad1 and r-bad2 fail their post-check; the threshold says carry on.
    let plan = show_config_plan("all", "max_fail:\n  overall: 0\n  action: continue");
    let k = Files::new(&s, &plan);
    let journal = k.journal.to_str().unwrap().to_string();
    let out = output(k.command(&["--headless", "--yes", "--journal", &journal])).await;
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(stdout.contains("rollout: completed"), "{stdout}");
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    assert!(stderr.contains("6 of 8 device(s)"), "{stderr}");
    assert!(stderr.contains("2 failed"), "{stderr}");
}

#[tokio::test]
async fn forged_foreign_and_edited_journal_lines_are_refused_with_their_line_number() {
    let s = setup(LAB).await;
    let yaml = show_config_plan("r-ok[1-2]", "max_fail: 0");
    let run = start(&s, &yaml, 1, None);
    run.control.send(Control::Abort).await.unwrap();
    let (first, _) = run.finish().await;
    assert_eq!(first.outcome, Outcome::Aborted);
    let journal = s.dir.path().join("rollout.jsonl");
    let text = std::fs::read_to_string(&journal).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines.len() >= 4, "{text}");
    let hash = plan_hash(&yaml);
    let forged = "{\"ts\":\"x\",\"kind\":\"device\",\"device\":\"r-ok1\",\"state\":\"done\"}";
    let foreign =
        "{\"ts\":\"x\",\"kind\":\"device\",\"device\":\"elsewhere\",\"state\":\"failed\"}";
    let edited: Vec<String> = lines
        .iter()
        .enumerate()
        .map(|(i, l)| match i {
            2 => l.replacen("\"ts\":\"", "\"ts\":\"1", 1),
            _ => l.to_string(),
        })
        .collect();
    let with = |lines: Vec<String>| lines.join("\n") + "\n";
    let mut appended: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    appended.push(forged.into());
    let mut inserted: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    inserted.insert(1, foreign.into());
    let cases = [
        ("a forged `done` appended", with(appended), lines.len() + 1),
        ("a foreign device's line inserted", with(inserted), 2),
        ("a middle line edited", with(edited), 3),
    ];
    for (what, text, line) in cases {
        std::fs::write(&journal, &text).unwrap();
        match replay(&journal, "ntp", &hash) {
            Ok(r) => panic!("{what}: replayed as {:?}", r.devices),
            Err(e) => {
                let e = e.to_string();
                assert!(e.contains(&format!("line {line}")), "{what}: {e}");
            }
        }
    }
    // A torn last line (a crash mid-write) is no error: everything before it replays.
    std::fs::write(
        &journal,
        format!(
            "{text}{{\"prev\":\"00",
            text = with(lines.iter().map(|l| l.to_string()).collect())
        ),
    )
    .unwrap();
    let r = replay(&journal, "ntp", &hash).unwrap();
    assert_eq!(
        r.resume("r-ok1"),
        fleetdash::rollout::journal::Resume::Fresh
    );
}

#[tokio::test]
async fn lines_appended_to_a_journal_are_dropped_only_with_truncate_journal() {
    let s = setup(LAB).await;
    let yaml = show_config_plan("r-ok[1-2]", "max_fail: 0");
    let run = start(&s, &yaml, 1, None);
    run.control.send(Control::Abort).await.unwrap();
    let (first, _) = run.finish().await;
    assert_eq!(first.outcome, Outcome::Aborted);
    let journal = s.dir.path().join("rollout.jsonl");
    let lines = std::fs::read_to_string(&journal).unwrap().lines().count();
    // Someone "finishes" r-ok1 by hand.
    let forged = "{\"ts\":\"x\",\"kind\":\"device\",\"device\":\"r-ok1\",\"state\":\"done\"}\n";
    let mut text = std::fs::read_to_string(&journal).unwrap();
    text.push_str(forged);
    std::fs::write(&journal, &text).unwrap();
    let k = Files::new(&s, &yaml);
    let resume = ["--headless", "--yes", "--resume", journal.to_str().unwrap()];
    // Nobody at a terminal: refused, with what to do.
    let out = output(k.command(&resume)).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains(&format!("line {}", lines + 1)), "{stderr}");
    assert!(stderr.contains("--truncate-journal"), "{stderr}");
    assert!(s.lab.commands("r-ok1").is_empty());
    assert_eq!(std::fs::read_to_string(&journal).unwrap(), text);
    // Agreed: resumed up to the last valid line, the forged `done` set aside, not believed.
    let out = output(k.command(&[&resume[..], &["--truncate-journal"]].concat())).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert_eq!(s.lab.command_count("r-ok1", NTP), 1);
    let dropped = fleetdash::rollout::journal::dropped_path(&journal);
    assert_eq!(std::fs::read_to_string(dropped).unwrap(), forged);
    let r = replay(&journal, "ntp", &plan_hash(&yaml)).unwrap();
    assert_eq!(
        r.resume("r-ok1"),
        fleetdash::rollout::journal::Resume::Final(
            fleetdash::rollout::report::DeviceState::Done,
            None
        )
    );
}
