//! A stream that the app loop polls only once the stream itself asked to be woken.
//!
//! The loop's `select!` polls every source on every wake-up (a batch of probe results, a
//! frame). crossterm's `EventStream` answers each poll by trying the lock
//! that its own reader thread holds while it waits for a key: a spin of `sched_yield`s and
//! a futex, hundreds of system calls a second on a dashboard at rest. Wrapped in
//! [`Woken`], a source is polled again only after its waker fired (or after it yielded an
//! item, as more may be waiting), so a wake-up for probe results costs it nothing.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll, Wake, Waker};

use futures::task::AtomicWaker;
use futures::{Stream, StreamExt};

pub struct Woken<S> {
    inner: S,
    flag: Arc<Flag>,
    /// Handed to `inner`: it sets the flag, then wakes whoever polled us last.
    waker: Waker,
}

struct Flag {
    woken: AtomicBool,
    task: AtomicWaker,
}

impl Wake for Flag {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, Ordering::Release);
        self.task.wake();
    }
}

impl<S> Woken<S> {
    /// The first poll reaches `inner`: nothing is known about it yet.
    pub fn new(inner: S) -> Woken<S> {
        let flag = Arc::new(Flag {
            woken: AtomicBool::new(true),
            task: AtomicWaker::new(),
        });
        let waker = Waker::from(flag.clone());
        Woken { inner, flag, waker }
    }
}

impl<S: Stream + Unpin> Stream for Woken<S> {
    type Item = S::Item;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<S::Item>> {
        // Registered before the flag is read, so a wake in between is not lost.
        self.flag.task.register(cx.waker());
        if !self.flag.woken.swap(false, Ordering::AcqRel) {
            return Poll::Pending;
        }
        let this = &mut *self;
        let polled = this
            .inner
            .poll_next_unpin(&mut Context::from_waker(&this.waker));
        if polled.is_ready() {
            this.flag.woken.store(true, Ordering::Release);
        }
        polled
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicUsize;

    use super::*;

    /// Counts its polls; yields what its channel holds.
    struct Counted {
        rx: tokio::sync::mpsc::UnboundedReceiver<u32>,
        polls: Arc<AtomicUsize>,
    }

    impl Stream for Counted {
        type Item = u32;
        fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<u32>> {
            self.polls.fetch_add(1, Ordering::Relaxed);
            self.rx.poll_recv(cx)
        }
    }

    #[tokio::test]
    async fn polls_the_inner_stream_only_after_it_woke_and_loses_nothing() {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        let polls = Arc::new(AtomicUsize::new(0));
        let mut stream = Woken::new(Counted {
            rx,
            polls: polls.clone(),
        });
        let noop = Waker::noop();
        let mut cx = Context::from_waker(noop);
        assert!(stream.poll_next_unpin(&mut cx).is_pending());
        // Nobody woke it: 100 more polls (as a busy loop makes) never reach the inner stream.
        for _ in 0..100 {
            assert!(stream.poll_next_unpin(&mut cx).is_pending());
        }
        assert_eq!(polls.load(Ordering::Relaxed), 1);
        // Two items arrive; both come out, in order, then it waits again.
        tx.send(1).unwrap();
        tx.send(2).unwrap();
        assert_eq!(stream.next().await, Some(1));
        assert_eq!(stream.next().await, Some(2));
        assert!(stream.poll_next_unpin(&mut cx).is_pending());
        let settled = polls.load(Ordering::Relaxed);
        assert!(stream.poll_next_unpin(&mut cx).is_pending());
        assert_eq!(polls.load(Ordering::Relaxed), settled);
        // The end of the stream gets through too.
        drop(tx);
        assert_eq!(stream.next().await, None);
    }
}
