//! The flight recorder as a follower of the reducer ([`fleet::Tap`]): it turns what the
//! reducer did into record lines and hands them to the writer thread without waiting.
//!
//! Transitions are read from the state the reducer left, not worked out a second time: a
//! probe's transition shows in the state the next event (or the end of the batch) sees,
//! as one more change in the device's count (`flaps`, plus one once it left `unknown`).

use std::time::{Instant, SystemTime};

use super::format::{
    self, DeviceRec, Line, ModeRec, OutcomeRec, Record, RolloutRec, RunRec, SCHEMA, Start,
    TransitionRec, WaveRec,
};
use super::writer::{Message, RecordConfig, Writer};

/// A batch is handed to the writer at the end of the reducer's batch, or once this big.
const BATCH_BYTES: usize = 64 << 10;
use crate::base::secrets::Secrets;
use crate::base::text::escape_json;
use crate::exec::{Command, ExecEvent};
use crate::fleet::{self, Event, JobEvent, ProbeMode, Reach, State};
use crate::inventory::DeviceId;
use crate::rollout::event::{DeviceState, RolloutEvent};

/// Records the reducer's work into a recording (see the module comment of [`super`]).
pub struct RecordTap {
    writer: Writer,
    secrets: Secrets,
    max_bytes: u64,
    front_end: &'static str,
    started: bool,
    rotate_due: bool,
    /// Bytes handed to the writer for the current file.
    bytes: u64,
    /// Per device: changes recorded so far.
    seen: Vec<u64>,
    /// The device of the last probe, whose change (if any) the next look finds.
    probed: Option<DeviceId>,
    /// A job just ended: the reducer's line for it is the log's newest at the next look.
    job_ended: bool,
    dropped: u64,
    /// Dropped and not yet said in a `dropped` record.
    unreported: u64,
    /// Lines of this batch of events, handed over at its end.
    batch: String,
    batch_records: u64,
}

/// A device's changes so far: every up↔down flap, and the first change out of `unknown`.
fn changes(device: &fleet::DeviceState) -> u64 {
    u64::from(device.flaps) + u64::from(device.reach != Reach::Unknown)
}

impl RecordTap {
    /// Opens (locks, rotates) the recording. `front_end` names who records.
    pub fn open(
        config: &RecordConfig,
        front_end: &'static str,
        secrets: Secrets,
    ) -> Result<RecordTap, String> {
        Ok(RecordTap::with_writer(
            Writer::open(config)?,
            config,
            front_end,
            secrets,
        ))
    }

    pub(super) fn with_writer(
        writer: Writer,
        config: &RecordConfig,
        front_end: &'static str,
        secrets: Secrets,
    ) -> RecordTap {
        RecordTap {
            writer,
            secrets,
            max_bytes: config.max_bytes.max(1),
            front_end,
            started: false,
            rotate_due: false,
            bytes: 0,
            seen: Vec::new(),
            probed: None,
            job_ended: false,
            dropped: 0,
            unreported: 0,
            batch: String::new(),
            batch_records: 0,
        }
    }

    fn line(&self, at: SystemTime, mut record: Record) -> String {
        for text in record.texts_mut() {
            if !self.secrets.is_empty() {
                *text = self.secrets.mask(text);
            }
        }
        let line = Line {
            v: SCHEMA,
            at: format::time(at),
            record,
        };
        let Ok(json) = serde_json::to_string(&line) else {
            // Records are plain data; this does not happen.
            return String::new();
        };
        // Nothing that could drive a terminal, for whoever `cat`s the file.
        let mut text = escape_json(&json);
        text.push('\n');
        text
    }

    fn push(&mut self, at: SystemTime, record: Record) {
        let line = self.line(at, record);
        self.bytes += line.len() as u64;
        self.batch.push_str(&line);
        self.batch_records += 1;
        // The next look rotates: `state` may not hold this record's event yet.
        self.rotate_due = self.bytes >= self.max_bytes;
        if self.batch.len() >= BATCH_BYTES {
            self.hand_over();
        }
    }

    /// Hands the batch to the writer (one wake-up per batch, not per record); a full
    /// queue drops it, and the next batch begins with a `dropped` record.
    fn hand_over(&mut self) {
        if self.batch.is_empty() {
            return;
        }
        let mut text = String::new();
        if self.unreported > 0 {
            let count = self.unreported;
            text = self.line(SystemTime::now(), Record::Dropped { count });
        }
        let batch = std::mem::take(&mut self.batch);
        let len = batch.len() as u64;
        text.push_str(&batch);
        let records = std::mem::take(&mut self.batch_records);
        if self.writer.try_send(Message::Lines(text)) {
            self.unreported = 0;
        } else {
            self.bytes = self.bytes.saturating_sub(len);
            self.dropped += records;
            self.unreported += records;
        }
    }

    /// The start record before anything else is recorded, and a new file once this one
    /// is full (`state`: everything recorded so far is folded into it).
    fn begin(&mut self, state: &State) {
        if self.rotate_due {
            self.rotate_due = false;
            self.hand_over();
            let head = self.head(state, true);
            self.bytes = head.len() as u64;
            if !self.writer.try_send(Message::Rotate(head)) {
                self.dropped += 1;
                self.unreported += 1;
            }
        }
        if self.started {
            return;
        }
        self.started = true;
        self.seen = vec![0; state.devices.len()];
        let head = self.head(state, false);
        self.bytes = head.len() as u64;
        self.batch.push_str(&head);
        self.batch_records += 1;
    }

    /// The first lines of a file: the start record, and when this file continues a
    /// recording, the devices' states and the rollout so far.
    fn head(&mut self, state: &State, continues: bool) -> String {
        let now = SystemTime::now();
        let cfg = &state.config;
        let devices = state
            .inventory
            .devices
            .iter()
            .map(|d| DeviceRec {
                name: d.name.clone(),
                host: d.host.clone(),
                platform: d.platform.clone(),
                groups: d.groups.to_vec(),
                tags: (*d.tags).clone(),
            })
            .collect();
        let start = Start {
            front_end: self.front_end.to_string(),
            source: state.inventory.source.clone(),
            down_after: cfg.down_after,
            up_after: cfg.up_after,
            flap_window_ms: cfg.flap_window.as_millis() as u64,
            flap_count: cfg.flap_count,
            continues,
            devices,
        };
        let mut text = self.line(now, Record::Start(start));
        if !continues {
            return text;
        }
        for (id, device) in state.devices.iter().enumerate() {
            let Some(since) = device.since.filter(|_| device.reach != Reach::Unknown) else {
                continue;
            };
            let record = Record::Transition(TransitionRec {
                device: state.inventory.devices[id].name.clone(),
                from: format::ReachRec::Unknown,
                to: device.reach.into(),
                why: "state when this file began".into(),
                rtt_us: None,
                reason: device.last_error.clone(),
                flaps: device.flaps,
                flapping: false,
                carried: true,
            });
            text.push_str(&self.line(wall(state, since), record));
        }
        if let Some(rollout) = &state.rollout {
            let name = |id: DeviceId| name(state, id);
            let mut records = vec![RolloutRec::Started {
                plan: rollout.plan.clone(),
                resumed: rollout.resumed,
                waves: rollout
                    .waves
                    .iter()
                    .map(|w| WaveRec {
                        index: w.info.index,
                        kind: w.info.kind.clone(),
                        devices: w.info.devices.iter().map(|&d| name(d)).collect(),
                    })
                    .collect(),
            }];
            for (id, view) in rollout.devices.iter().enumerate() {
                if let Some(view) = view.as_ref().filter(|v| v.state != DeviceState::Pending) {
                    records.push(RolloutRec::Device {
                        device: name(id),
                        state: view.state,
                        reason: view.reason.clone(),
                    });
                }
            }
            for (index, wave) in rollout.waves.iter().enumerate() {
                records.push(RolloutRec::Wave {
                    wave: index,
                    state: wave.state,
                    reason: wave.reason.clone(),
                });
            }
            records.push(RolloutRec::Overall {
                state: rollout.overall,
                reason: rollout.overall_reason.clone(),
            });
            if let Some(outcome) = rollout.outcome {
                records.push(RolloutRec::Finished {
                    outcome,
                    report: rollout.report.as_ref().map(|p| p.display().to_string()),
                });
            }
            for r in records {
                text.push_str(&self.line(now, Record::Rollout(r)));
            }
        }
        text
    }

    /// Records what the last event did that only the state shows: the change the last
    /// probe made, if it made one, or the line of a job that ended (`state` has it folded).
    fn look(&mut self, state: &State) {
        if std::mem::take(&mut self.job_ended)
            && let Some(entry) = state.log.back()
        {
            let record = Record::Notice {
                text: entry.text.clone(),
            };
            self.push(wall(state, entry.at), record);
        }
        let Some(id) = self.probed.take() else { return };
        let (Some(device), Some(seen)) = (state.devices.get(id), self.seen.get(id).copied()) else {
            return;
        };
        let now = changes(device);
        if now == seen {
            return;
        }
        self.seen[id] = now;
        let Some(t) = device.transitions.back() else {
            return;
        };
        let cfg = &state.config;
        let record = Record::Transition(TransitionRec {
            device: name(state, id),
            from: t.from.into(),
            to: t.to.into(),
            why: t.why.clone(),
            rtt_us: (t.to == Reach::Up)
                .then(|| device.last_rtt().map(|r| r.as_micros() as u64))
                .flatten(),
            reason: (t.to == Reach::Down)
                .then(|| device.last_error.clone())
                .flatten(),
            flaps: device.flaps,
            flapping: device.is_flapping(t.at, cfg.flap_window, cfg.flap_count),
            carried: false,
        });
        let at = wall(state, t.at);
        self.push(at, record);
    }

    fn rollout(&mut self, state: &State, event: &RolloutEvent) {
        let name = |id: DeviceId| name(state, id);
        let record = match event {
            RolloutEvent::Started {
                plan,
                waves,
                resumed,
            } => RolloutRec::Started {
                plan: plan.clone(),
                resumed: *resumed,
                waves: waves
                    .iter()
                    .map(|w| WaveRec {
                        index: w.index,
                        kind: w.kind.clone(),
                        devices: w.devices.iter().map(|&d| name(d)).collect(),
                    })
                    .collect(),
            },
            RolloutEvent::Device {
                device,
                state,
                reason,
            } => RolloutRec::Device {
                device: name(*device),
                state: *state,
                reason: reason.clone(),
            },
            RolloutEvent::Step { device, step } => RolloutRec::Step {
                device: name(*device),
                step: step.clone(),
            },
            // The check's output is device output: not recorded.
            RolloutEvent::Check {
                device,
                phase,
                name: check,
                passed,
                ..
            } => RolloutRec::Check {
                device: name(*device),
                phase: *phase,
                name: check.clone(),
                passed: *passed,
            },
            RolloutEvent::Wave {
                wave,
                state,
                reason,
            } => RolloutRec::Wave {
                wave: *wave,
                state: *state,
                reason: reason.clone(),
            },
            RolloutEvent::Overall { state, reason } => RolloutRec::Overall {
                state: *state,
                reason: reason.clone(),
            },
            RolloutEvent::Log { device, text, .. } => RolloutRec::Log {
                device: device.map(name),
                text: text.clone(),
            },
            RolloutEvent::Finished { outcome, report } => RolloutRec::Finished {
                outcome: *outcome,
                report: report.as_ref().map(|p| p.display().to_string()),
            },
        };
        // The executor's log lines carry their time; its other events happen now.
        let at = match event {
            RolloutEvent::Log { at, .. } => wall(state, *at),
            _ => SystemTime::now(),
        };
        self.push(at, Record::Rollout(record));
    }
}

fn name(state: &State, id: DeviceId) -> String {
    state
        .inventory
        .devices
        .get(id)
        .map_or_else(|| format!("#{id}"), |d| d.name.clone())
}

/// The wall-clock time of an `Instant`, by the state's pair of clocks.
fn wall(state: &State, at: Instant) -> SystemTime {
    let (instant, system) = state.origin;
    if at >= instant {
        system + (at - instant)
    } else {
        system - (instant - at)
    }
}

impl fleet::Tap for RecordTap {
    fn event(&mut self, event: &Event, before: &State) {
        self.begin(before);
        self.look(before);
        match event {
            Event::Probe(result) => self.probed = Some(result.device),
            Event::Mode(mode) => {
                let record = match mode {
                    ProbeMode::Icmp(kind) => ModeRec {
                        icmp: Some(kind.as_str().into()),
                        tcp_fallback: None,
                        enable: None,
                    },
                    ProbeMode::TcpFallback { reason, enable } => ModeRec {
                        icmp: None,
                        tcp_fallback: Some(reason.clone()),
                        enable: Some(enable.clone()),
                    },
                };
                self.push(SystemTime::now(), Record::Mode(record));
            }
            Event::Notice { at, text } => {
                let record = Record::Notice { text: text.clone() };
                self.push(wall(before, *at), record);
            }
            Event::Exec(ExecEvent::Finished {
                run,
                device,
                at,
                duration,
                result,
            }) if before.exec.get(*run).is_some() => {
                let (ok, stage, reason, exit_status, error_marker) = match result {
                    Ok(out) => {
                        let stage = (!out.ok()).then(|| "command".to_string());
                        (
                            out.ok(),
                            stage,
                            None,
                            out.exit_status,
                            out.error_marker.is_some(),
                        )
                    }
                    Err(e) => (
                        false,
                        Some(e.stage.as_str().to_string()),
                        Some(e.reason.clone()),
                        None,
                        false,
                    ),
                };
                let record = Record::Outcome(OutcomeRec {
                    run: *run,
                    device: name(before, *device),
                    ok,
                    stage,
                    reason,
                    exit_status,
                    error_marker,
                    duration_ms: (duration.as_secs_f64() * 1e6).round() / 1e3,
                });
                self.push(wall(before, *at), record);
            }
            Event::Rollout(event) => self.rollout(before, event),
            Event::Job(JobEvent::BackupDone { .. } | JobEvent::CablingDone { .. }) => {
                self.job_ended = true;
            }
            _ => {}
        }
    }

    fn command(&mut self, command: &Command, at: Instant, state: &State) {
        self.begin(state);
        self.look(state);
        if let Command::Run {
            run,
            devices,
            command,
        } = command
        {
            let record = Record::Run(RunRec {
                run: *run,
                command: command.clone(),
                devices: devices.iter().map(|&d| name(state, d)).collect(),
            });
            self.push(wall(state, at), record);
        }
        self.hand_over();
    }

    fn folded(&mut self, state: &State) {
        self.begin(state);
        self.look(state);
        self.hand_over();
    }
}

impl Drop for RecordTap {
    /// The last batch, the end record and a flush, waiting for room in the queue (only
    /// now); a word on stderr when anything was lost (the dashboard has given the terminal
    /// back by the time the engine is dropped).
    fn drop(&mut self) {
        let mut last = String::new();
        // Nothing was seen: nothing to say (an empty file).
        if self.started {
            if self.unreported > 0 {
                let count = self.unreported;
                last = self.line(SystemTime::now(), Record::Dropped { count });
            }
            last.push_str(&std::mem::take(&mut self.batch));
            let end = Record::End {
                dropped: self.dropped,
            };
            last.push_str(&self.line(SystemTime::now(), end));
        }
        self.writer.finish(Message::Lines(last));
        let trouble = self.writer.trouble.lock().map(|t| t.error.clone());
        if let Ok(Some(error)) = trouble {
            eprintln!("warning: {error}");
        }
        if self.dropped > 0 {
            eprintln!(
                "warning: {} lost {} records (the disk was too slow); the gaps are marked \
                 in it",
                self.writer.path.display(),
                self.dropped
            );
        }
    }
}
