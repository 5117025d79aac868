//! `fleetdash cabling INVENTORY --expect FILE [--limit P]`: read every selected device's
//! LLDP/CDP neighbours with its platform's commands (on the exec engine), compare them with
//! the planned links, and print each link that is not right, then a summary.
//!
//! Exit status: 0 when the cabling matches the plan, 1 when it does not, 2 on usage errors.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;

use crate::base::exit::USAGE;
use crate::base::stdout;
use crate::base::text::{escape_json, escape_line};
use crate::exec::{ExecConfig, Secrets, SshConnector, journal};
use crate::inventory::Link;
use crate::jobs::cabling::{
    LinkState, Verdict, add_answer, compare, describe, load_plan, neighbor_runs,
};
use crate::ssh::SshOptions;

#[derive(Debug, Clone, PartialEq)]
pub struct CablingJob {
    pub inventory: PathBuf,
    pub expect: PathBuf,
    pub limit: Option<String>,
    pub json: bool,
    pub journal: Option<PathBuf>,
    pub login: super::Login,
}

pub async fn run(job: CablingJob) -> color_eyre::Result<ExitCode> {
    let usage = |why: &dyn std::fmt::Display| {
        eprintln!("error: {why}");
        Ok(ExitCode::from(USAGE))
    };
    let plan = match load_plan(&job.expect) {
        Ok(plan) => plan,
        Err(why) => return usage(&why),
    };
    let (inventory, bastions) = match super::select(&job.inventory, job.limit.as_deref()) {
        Ok((inventory, bastions)) => (Arc::new(inventory), bastions),
        Err(err) => return usage(&err),
    };
    let opts = match job.login.ssh_options() {
        Ok(opts) => SshOptions { bastions, ..opts },
        Err(why) => return usage(&why),
    };
    let journal =
        match journal::open_audit(job.journal.as_deref(), Secrets::from_inventory(&inventory)) {
            Ok(journal) => journal,
            Err(why) => return usage(&why),
        };
    let cfg = ExecConfig {
        concurrency: job.login.concurrency.max(1),
        connect_timeout: job.login.timeout * 4 + Duration::from_secs(1),
        command_timeout: job.login.timeout + Duration::from_secs(1),
        journal: Some(Arc::new(journal)),
        ..ExecConfig::default()
    };
    let ids: Vec<usize> = (0..inventory.devices.len()).collect();
    let (runs, mut tables) = neighbor_runs(&inventory, &ids);
    let mut results = Vec::new();
    // One command at a time, so each answer is known to be that command's (a device
    // answers one command at a time anyway).
    for (command, ids) in runs {
        let r = super::exec::execute_runs(
            inventory.clone(),
            cfg.clone(),
            SshConnector::new(opts.clone()),
            vec![(ids, command.clone())],
            |_| {},
        )
        .await;
        results.push((command, r));
    }
    for (command, answers) in results {
        for r in answers {
            if let Some(d) = inventory.devices.iter().find(|d| d.name == r.name) {
                add_answer(&mut tables, d, &command, &r.result);
            }
        }
    }
    let verdict = compare(&plan, &tables);
    stdout::print(&match job.json {
        true => json_lines(&verdict),
        false => text(&verdict),
    });
    eprintln!("{}", verdict.summary());
    Ok(match verdict.all_match() {
        true => ExitCode::SUCCESS,
        false => ExitCode::FAILURE,
    })
}

fn end(link: &Link) -> (String, String) {
    (
        format!(
            "{}:{}",
            escape_line(&link.a.device),
            escape_line(&link.a.interface)
        ),
        format!(
            "{}:{}",
            escape_line(&link.b.device),
            escape_line(&link.b.interface)
        ),
    )
}

/// Every link that is not ok, one line each, then the unexpected neighbours.
pub fn text(v: &Verdict) -> String {
    let mut out = String::new();
    for l in &v.links {
        if l.state == LinkState::Ok {
            continue;
        }
        let (a, b) = end(&l.link);
        let (kind, why) = describe(&l.state);
        out.push_str(&format!("{kind:<12} {a} -- {b}  {why}\n"));
    }
    for u in &v.unexpected {
        out.push_str(&format!(
            "{:<12} {}:{} -- {}:{}  not in the plan\n",
            "unexpected",
            escape_line(&u.device),
            escape_line(&u.neighbor.local_port),
            escape_line(&u.neighbor.device),
            escape_line(&u.neighbor.port)
        ));
    }
    out
}

#[derive(Serialize)]
struct Row {
    result: &'static str,
    a: String,
    b: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    detail: String,
}

pub fn json_lines(v: &Verdict) -> String {
    let mut out = String::new();
    let mut push = |row: Row| {
        out.push_str(&escape_json(
            &serde_json::to_string(&row).expect("rows serialize"),
        ));
        out.push('\n');
    };
    for l in &v.links {
        let (kind, detail) = describe(&l.state);
        let (a, b) = (
            format!("{}:{}", l.link.a.device, l.link.a.interface),
            format!("{}:{}", l.link.b.device, l.link.b.interface),
        );
        push(Row {
            result: kind,
            a,
            b,
            detail,
        });
    }
    for u in &v.unexpected {
        push(Row {
            result: "unexpected",
            a: format!("{}:{}", u.device, u.neighbor.local_port),
            b: format!("{}:{}", u.neighbor.device, u.neighbor.port),
            detail: String::new(),
        });
    }
    out
}
