//! Echo probes in flight, keyed by sequence number, until answered or withdrawn.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::net::IpAddr;
use std::sync::{Mutex, PoisonError};
use std::time::{Instant, SystemTime};

use tokio::sync::mpsc;

use super::report::ProbeOutcome;

/// A settled ICMP probe, sent on the sweep's channel by the receive task.
#[derive(Debug)]
pub struct Answer {
    /// The caller's key (the slot index in the sweep).
    pub key: usize,
    pub at: Instant,
    pub outcome: ProbeOutcome,
}

/// Where the receive task sends a sweep's answers: several per message, one message per read.
pub type Sink = mpsc::UnboundedSender<Vec<Answer>>;

/// Proof of one registration, to withdraw it when it times out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ticket {
    pub v6: bool,
    pub seq: u16,
    pub id: u64,
}

/// Probes waiting for an answer, by sequence number.
#[derive(Default)]
pub struct Table {
    inner: Mutex<TableInner>,
}

#[derive(Default)]
struct TableInner {
    next_seq: u16,
    next_id: u64,
    waiting: HashMap<u16, Waiting>,
}

pub struct Waiting {
    pub ip: IpAddr,
    /// Taken just before the burst is sent, so the RTT includes the send system calls.
    pub sent: Instant,
    /// The same moment on the wall clock, to compare with a kernel arrival stamp.
    pub sent_wall: SystemTime,
    pub key: usize,
    id: u64,
    pub sink: Sink,
}

impl Table {
    fn lock(&self) -> std::sync::MutexGuard<'_, TableInner> {
        // Nothing panics while holding the lock; if it ever did, the table is still valid.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Register a probe sent at `sent` (monotonic and wall clock: one reading per burst);
    /// skips sequence numbers still in use (65,536 in flight at most).
    pub fn register(
        &self,
        ip: IpAddr,
        key: usize,
        sink: &Sink,
        (sent, sent_wall): (Instant, SystemTime),
    ) -> Option<(u16, u64)> {
        let mut t = self.lock();
        let id = t.next_id;
        t.next_id += 1;
        for _ in 0..=u16::MAX {
            let seq = t.next_seq;
            t.next_seq = seq.wrapping_add(1);
            if let Entry::Vacant(v) = t.waiting.entry(seq) {
                let sink = sink.clone();
                v.insert(Waiting {
                    ip,
                    sent,
                    sent_wall,
                    key,
                    id,
                    sink,
                });
                return Some((seq, id));
            }
        }
        None
    }

    /// Take the probe this packet answers, if it is still waiting and came from its target.
    pub fn take(&self, seq: u16, from: IpAddr) -> Option<Waiting> {
        let mut t = self.lock();
        match t.waiting.entry(seq) {
            Entry::Occupied(e) if e.get().ip == from => Some(e.remove()),
            _ => None,
        }
    }

    /// Whether no probe is waiting for an answer.
    pub fn is_empty(&self) -> bool {
        self.lock().waiting.is_empty()
    }

    pub fn withdraw(&self, ticket: Ticket) {
        let mut t = self.lock();
        if let Entry::Occupied(e) = t.waiting.entry(ticket.seq)
            && e.get().id == ticket.id
        {
            e.remove();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_matches_by_sequence_and_address_and_honours_withdrawal() {
        let table = Table::default();
        let (tx, _rx) = mpsc::unbounded_channel();
        let a: IpAddr = [127, 0, 0, 1].into();
        let b: IpAddr = [127, 0, 0, 2].into();
        let now = (Instant::now(), SystemTime::now());
        let (s1, id1) = table.register(a, 10, &tx, now).unwrap();
        let (s2, _) = table.register(a, 11, &tx, now).unwrap();
        assert_ne!(s1, s2);
        // A packet from another address does not settle the probe.
        assert!(table.take(s1, b).is_none());
        assert_eq!(table.take(s1, a).unwrap().key, 10);
        // Settled once only.
        assert!(table.take(s1, a).is_none());
        // Withdrawing with a stale ticket leaves the live entry alone.
        table.withdraw(Ticket {
            v6: false,
            seq: s2,
            id: id1,
        });
        assert_eq!(table.take(s2, a).unwrap().key, 11);
    }
}
