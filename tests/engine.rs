//! The engine wires the fleet reducer to the rollout: a device the reducer declares down
//! (its damping: two losses in a row) after its change fails the rollout's
//! `unreachable_is_failure` check. The plan goes through `rollout::prepare` as the front
//! ends' does.

use std::sync::Arc;
use std::time::{Duration, Instant};

use fleetdash::engine::{Engine, EngineConfig};
use fleetdash::exec::SshConnector;
use fleetdash::fleet::{Event, ProbeOutcome, ProbeResult};
use fleetdash::rollout::event::{Outcome, RolloutEvent, RunState};
use fleetdash::rollout::executor::RolloutSetup;
use fleetdash::rollout::prepare::{self, RolloutConfig};
use fleetdash::rollout::report::DeviceState;
use fleetdash::ssh::{HostKeyPolicy, SshOptions};

mod common;

const PASSWORD: &str = "engine-Pw-4417";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rollout_watches_the_reducers_reachability() {
    let common::Setup {
        lab,
        opts,
        dir,
        known_hosts,
        ..
    } = common::lab(
        "name: eng\ndevices: 2\nsites: [e]\nroles:\n  - {role: sw, platform: cisco_ios, count: 2}\n",
    )
    .password(PASSWORD)
    .setup()
    .await;
    let path = |name: &str| dir.path().join(name);
    std::fs::write(path("inv.yaml"), lab.inventory_yaml()).unwrap();
    std::fs::write(
        path("plan.yaml"),
        "name: eng\ntarget: all\nstrategy: {canary: 1}\nsteps:\n  - show clock\n\
         max_fail: 0\npause: manual\nunreachable_is_failure: true\n",
    )
    .unwrap();
    let config = RolloutConfig {
        plan: path("plan.yaml"),
        inventory: path("inv.yaml"),
        resume: None,
        report: Some(path("report")),
        journal: Some(path("rollout.jsonl")),
        truncate_journal: false,
        concurrency: 1,
        timeout: Duration::from_secs(5),
        host_keys: HostKeyPolicy::Strict,
        known_hosts: Some(known_hosts),
    };
    let loaded = prepare::load(&config).unwrap();
    let mut notes = Vec::new();
    let prepared = prepare::prepare(&config, loaded, |_| false, &mut notes).unwrap();
    assert!(notes.is_empty(), "{notes:?}");
    // The password is handed over, not read from the environment.
    let ssh = SshOptions {
        password: opts.password,
        ..prepared.setup.connector.opts.clone()
    };
    let setup = RolloutSetup {
        connector: Arc::new(SshConnector::new(ssh)),
        ..prepared.setup
    };
    let canary = setup.waves[0].devices[0];
    let inventory = setup.inventory.clone();
    // No sweeper: the probe results below are the only ones.
    let starting = Engine::builder(inventory, EngineConfig::default()).rollout(setup);
    let probes = starting.sender();
    let mut engine = starting.start();
    let mut task = engine.workers.rollout.take().unwrap();

    let waiting = |e: &Event| {
        matches!(
            e,
            Event::Rollout(RolloutEvent::Overall {
                state: RunState::WaitingApproval,
                ..
            })
        )
    };
    let mut lost_sent = false;
    let run = async {
        loop {
            let mut asked = false;
            tokio::select! {
                folded = engine.next_batch(|e| asked |= waiting(e)) => assert!(folded.is_some()),
                finished = &mut task => break finished.unwrap(),
            }
            if !asked || lost_sent {
                continue;
            }
            lost_sent = true;
            // The canary is done and the next wave waits: the canary stops answering. One
            // loss is not enough for the reducer; the second makes it down.
            for _ in 0..2 {
                let lost = ProbeResult {
                    device: canary,
                    at: Instant::now(),
                    outcome: ProbeOutcome::Lost,
                };
                probes.send(Event::Probe(lost)).await.unwrap();
            }
        }
    };
    let finished = tokio::time::timeout(Duration::from_secs(30), run)
        .await
        .expect("the canary's loss of reachability ends the rollout");
    assert_eq!(finished.outcome, Outcome::Halted, "{finished:?}");
    let device = finished
        .devices
        .iter()
        .find(|d| d.device == canary)
        .unwrap();
    assert_eq!(device.state, DeviceState::Failed);
    assert_eq!(
        device.reason.as_deref(),
        Some("stopped answering probes after its change")
    );
    assert_eq!(engine.state.reachability()[canary], Some(false));
    lab.stop().await;
}
