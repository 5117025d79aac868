//! A deterministic in-process connector for engine tests: per-device scripted failures, a
//! run delay on tokio's (paused) clock, and instruments that record what the engine did.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use fleetdash::exec::{Connector, PollSpec, Session};
use fleetdash::fleet::{ExecError, Output, Stage};
use fleetdash::inventory::Device;

#[derive(Default)]
pub struct Script {
    /// Returned by the next connects, in order; then connects succeed.
    pub connect_errors: VecDeque<ExecError>,
    /// Returned by the next runs, in order; then runs succeed.
    pub run_errors: VecDeque<ExecError>,
    /// Sessions report closed after this many commands.
    pub close_after: Option<usize>,
    /// A notice the next failed connect leaves (a host key learned before it failed).
    pub learned_on_failure: Option<String>,
}

#[derive(Default)]
pub struct Record {
    pub connects: HashMap<String, usize>,
    /// (device, command) in the order sent.
    pub sent: Vec<(String, String)>,
    pub in_flight: HashMap<String, usize>,
    pub max_in_flight_device: usize,
    pub global: usize,
    pub max_global: usize,
    pub open_sessions: HashMap<String, usize>,
    pub max_open_sessions: usize,
    /// Failure notices left by failed connects and not taken yet.
    pub notices: HashMap<String, String>,
}

#[derive(Clone, Default)]
pub struct Fake {
    pub scripts: Arc<Mutex<HashMap<String, Script>>>,
    pub record: Arc<Mutex<Record>>,
    /// How long each command takes (tokio time).
    pub delay: Duration,
    /// Text the devices append to every answer (to test masking).
    pub echo: Option<String>,
    /// Poll commands offered for every platform.
    pub polls: Vec<PollSpec>,
}

pub fn err(stage: Stage, maybe_ran: bool, reason: &str) -> ExecError {
    ExecError {
        stage,
        maybe_ran,
        reason: reason.into(),
    }
}

impl Fake {
    pub fn script(&self, device: &str, f: impl FnOnce(&mut Script)) {
        f(self
            .scripts
            .lock()
            .unwrap()
            .entry(device.into())
            .or_default());
    }

    pub fn connects(&self, device: &str) -> usize {
        *self
            .record
            .lock()
            .unwrap()
            .connects
            .get(device)
            .unwrap_or(&0)
    }

    pub fn sent_to(&self, device: &str) -> usize {
        let r = self.record.lock().unwrap();
        r.sent.iter().filter(|(d, _)| d == device).count()
    }
}

pub struct FakeSession {
    fake: Fake,
    device: String,
    commands: usize,
}

impl Drop for FakeSession {
    fn drop(&mut self) {
        let mut r = self.fake.record.lock().unwrap();
        *r.open_sessions.get_mut(&self.device).unwrap() -= 1;
    }
}

impl Connector for Fake {
    type Session = FakeSession;

    async fn connect(&self, device: &Device) -> Result<FakeSession, ExecError> {
        *self
            .record
            .lock()
            .unwrap()
            .connects
            .entry(device.name.clone())
            .or_default() += 1;
        let (scripted, notice) = {
            let mut scripts = self.scripts.lock().unwrap();
            match scripts.get_mut(&device.name) {
                Some(s) => match s.connect_errors.pop_front() {
                    Some(e) => (Some(e), s.learned_on_failure.take()),
                    None => (None, None),
                },
                None => (None, None),
            }
        };
        // A connect takes a little time too, so concurrency is visible.
        tokio::time::sleep(Duration::from_millis(1)).await;
        if let Some(e) = scripted {
            if let Some(text) = notice {
                self.record
                    .lock()
                    .unwrap()
                    .notices
                    .insert(device.name.clone(), text);
            }
            return Err(e);
        }
        let mut r = self.record.lock().unwrap();
        let open = r.open_sessions.entry(device.name.clone()).or_default();
        *open += 1;
        let open = *open;
        r.max_open_sessions = r.max_open_sessions.max(open);
        Ok(FakeSession {
            fake: self.clone(),
            device: device.name.clone(),
            commands: 0,
        })
    }

    fn take_failure_notice(&self, device: &Device) -> Option<String> {
        self.record.lock().unwrap().notices.remove(&device.name)
    }

    fn poll_specs(&self, _platform: &str) -> Vec<PollSpec> {
        self.polls.clone()
    }
}

impl Session for FakeSession {
    async fn run(&mut self, command: &str) -> Result<Output, ExecError> {
        {
            let mut r = self.fake.record.lock().unwrap();
            r.sent.push((self.device.clone(), command.to_string()));
            let n = r.in_flight.entry(self.device.clone()).or_default();
            *n += 1;
            let n = *n;
            r.max_in_flight_device = r.max_in_flight_device.max(n);
            r.global += 1;
            r.max_global = r.max_global.max(r.global);
        }
        tokio::time::sleep(self.fake.delay).await;
        {
            let mut r = self.fake.record.lock().unwrap();
            *r.in_flight.get_mut(&self.device).unwrap() -= 1;
            r.global -= 1;
        }
        self.commands += 1;
        let scripted = self
            .fake
            .scripts
            .lock()
            .unwrap()
            .get_mut(&self.device)
            .and_then(|s| s.run_errors.pop_front());
        if let Some(e) = scripted {
            return Err(e);
        }
        let mut text = format!("{command} on {}\n", self.device);
        if let Some(echo) = &self.fake.echo {
            text.push_str(echo);
        }
        Ok(Output {
            text,
            exit_status: Some(0),
            ..Output::default()
        })
    }

    fn is_closed(&self) -> bool {
        let scripts = self.fake.scripts.lock().unwrap();
        let limit = scripts.get(&self.device).and_then(|s| s.close_after);
        limit.is_some_and(|n| self.commands >= n)
    }
}
