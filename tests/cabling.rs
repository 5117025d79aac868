//! `fleetdash cabling` through the real binary against the lab: the lab's own cabling
//! matches; a plan with a swapped pair of ports, a link to the wrong device and a link that
//! is not there is told apart link by link, with exit 1.

mod common;

use std::path::Path;
use std::process::Output;

const SCENARIO: &str = r#"
name: cabling-test
sites: [s]
roles:
  - {role: core, platform: arista_eos, count: 2}
  - {role: edge, platform: juniper_junos, count: 1}
  - {role: access, platform: cisco_ios, count: 3}
topology:
  mesh: [core]
  uplinks:
    - {from: access, to: core, count: 2}
    - {from: edge, to: core, count: 2}
"#;

const PASSWORD_ENV: &str = "FLEETDASH_PASSWORD";

fn cabling(dir: &Path, inv: &Path, kh: &Path, plan: &Path, json: bool) -> Output {
    let mut cmd = common::fleetdash();
    cmd.arg("cabling")
        .arg(inv)
        .arg("--expect")
        .arg(plan)
        .arg("--known-hosts")
        .arg(kh);
    cmd.args(["--timeout", "5s", "--journal"])
        .arg(dir.join("audit.jsonl"));
    if json {
        cmd.arg("--json");
    }
    cmd.env("XDG_STATE_HOME", dir.join("state"))
        .env(PASSWORD_ENV, "admin");
    cmd.output().unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_lab_cabling_matches_and_each_mistake_is_named() {
    let lab = common::lab(SCENARIO).devices(6).seed(2).start().await;
    let dir = tempfile::tempdir().unwrap();
    let kh = dir.path().join("known_hosts");
    std::fs::write(&kh, lab.known_hosts()).unwrap();
    let inv = dir.path().join("inv.yaml");
    std::fs::write(&inv, lab.inventory_yaml()).unwrap();
    let links = lab.cabling();
    assert!(links.len() >= 7, "{links:?}");

    // The plan as the lab is wired, written with short port names where IOS would.
    let mut yaml = String::from("links:\n");
    for [a, ap, b, bp] in &links {
        let ap = ap.replace("GigabitEthernet", "Gi");
        yaml.push_str(&format!("  - {a}:{ap} -- {b}:{bp}\n"));
    }
    let good = dir.path().join("good.yaml");
    std::fs::write(&good, &yaml).unwrap();
    let out = cabling(dir.path(), &inv, &kh, &good, false);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stderr}\n{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(
        stderr.contains(&format!(
            "cabling matches the plan: {n}/{n} links",
            n = links.len()
        )),
        "{stderr}"
    );

    // Three mistakes: a swapped pair of ports on one device, a link to the wrong device, a
    // link that does not exist. As CSV, to read that format too.
    let mut csv = String::from("a_device,a_port,b_device,b_port\n");
    let mut bad = links.clone();
    let (i, j) = (0..bad.len())
        .flat_map(|i| (i + 1..bad.len()).map(move |j| (i, j)))
        .find(|&(i, j)| bad[i][0] == bad[j][0])
        .expect("a device with two links");
    let (pi, pj) = (bad[i][1].clone(), bad[j][1].clone());
    bad[i][1] = pj;
    bad[j][1] = pi;
    let k = (0..bad.len()).find(|&k| k != i && k != j).unwrap();
    let wrong_far = bad[k][2].clone();
    let other = lab
        .devices()
        .iter()
        .map(|d| d.name.clone())
        .find(|n| *n != bad[k][0] && *n != wrong_far)
        .unwrap();
    bad[k][2] = other.clone();
    for [a, ap, b, bp] in &bad {
        csv.push_str(&format!("{a},{ap},{b},{bp}\n"));
    }
    let first_access = lab
        .devices()
        .iter()
        .find(|d| d.role == "access")
        .unwrap()
        .name
        .clone();
    csv.push_str(&format!(
        "{first_access},GigabitEthernet0/8,{other},Ethernet8\n"
    ));
    let plan = dir.path().join("plan.csv");
    std::fs::write(&plan, &csv).unwrap();
    let out = cabling(dir.path(), &inv, &kh, &plan, true);
    assert_eq!(out.status.code(), Some(1));
    let rows: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let result = |a: &str| {
        rows.iter()
            .find(|r| r["a"] == a)
            .map(|r| r["result"].as_str().unwrap().to_string())
            .unwrap_or_else(|| panic!("{a}: {rows:?}"))
    };
    assert_eq!(
        result(&format!("{}:{}", bad[i][0], bad[i][1])),
        "wrong-device"
    );
    assert_eq!(
        result(&format!("{}:{}", bad[k][0], bad[k][1])),
        "wrong-device"
    );
    assert_eq!(
        result(&format!("{first_access}:GigabitEthernet0/8")),
        "missing"
    );
    let oks = rows.iter().filter(|r| r["result"] == "ok").count();
    assert_eq!(oks, links.len() - 3, "{rows:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("cabling does not match the plan"),
        "{stderr}"
    );
}
