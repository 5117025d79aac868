//! The bastion pool: one SSH connection per bastion (per chain of hops) carries every device
//! session and probe behind it, as OpenSSH's ControlMaster would.
//!
//! * A connection is opened on first use (TCP, or a `direct-tcpip` channel through the hop
//!   before it; then handshake, host key check with the run's policy, and auth with the
//!   hop's own credentials), each stage under the run's timeouts. One connect at a time per
//!   bastion: the devices waiting for it share its outcome.
//! * A failed connect is remembered for [`BastionLimits::retry_after`]: devices asking
//!   meanwhile get that failure at once (one cause, not N attempts). A connection that
//!   dropped is opened again by the next session; sessions that were riding it fail and say
//!   the bastion dropped.
//! * At most [`BastionLimits::channels`] channels are open through one bastion. A session
//!   that needs one when all are taken takes it from the longest idle device session
//!   (which closes, and reconnects when it next has work), else waits for one, up to the
//!   connect timeout.

use std::collections::HashMap;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::task::{Context, Poll};
use std::time::Duration;

use futures::task::AtomicWaker;
use russh::client::{Handle, Msg};
use russh::{ChannelOpenFailure, ChannelStream};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::{Instant, timeout};

use super::handler::Client;
use super::jump::{JumpBook, bastion_failed};
use super::options::SshOptions;
use super::outcome::{ExecError, Stage};
use super::session::login;
use super::stage::{err, timed_out};
use super::target::Target;
use super::transport::{resolve, tcp_connect};
use crate::base::text::{Untrusted, escape_line};
use crate::inventory::Inventory;

/// A byte stream an SSH connection can run over (TCP, a tunnel, a proxy command's pipes).
pub(super) trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// How much one bastion carries, and how often a failing one is tried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BastionLimits {
    /// Channels open through one bastion at once (device sessions and probes).
    /// OpenSSH's `MaxSessions` does not count these `direct-tcpip` channels.
    pub channels: usize,
    /// After a failed connect, devices behind the bastion get that failure at once for
    /// this long instead of each trying again.
    pub retry_after: Duration,
}

impl Default for BastionLimits {
    fn default() -> BastionLimits {
        BastionLimits {
            channels: 64,
            retry_after: Duration::from_secs(3),
        }
    }
}

/// The pool, shared by every session of a run (cloning shares it).
#[derive(Clone, Default)]
pub struct Bastions {
    pool: Arc<Pool>,
}

#[derive(Default)]
struct Pool {
    book: JumpBook,
    limits: BastionLimits,
    slots: Mutex<HashMap<String, Arc<Slot>>>,
    connects: AtomicU64,
}

impl std::fmt::Debug for Bastions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bastions")
            .field("limits", &self.pool.limits)
            .field("connects", &self.connections())
            .finish_non_exhaustive()
    }
}

/// One bastion: its connection (or why there is none) and its channel budget.
struct Slot {
    state: tokio::sync::Mutex<State>,
    channels: Arc<Semaphore>,
    /// Every lease handed out, oldest first (dead ones are pruned when looking).
    leases: Mutex<Vec<Weak<Lease>>>,
    limit: usize,
}

enum State {
    Idle,
    Up(Arc<Link>),
    Failed { at: Instant, error: ExecError },
}

/// A logged-in connection to a bastion.
pub(super) struct Link {
    handle: Handle<Client>,
    name: String,
    /// The hop before this one, kept alive while this connection rides it.
    _parent: Option<Arc<Link>>,
}

impl Link {
    pub(super) fn name(&self) -> &str {
        &self.name
    }

    pub(super) fn is_closed(&self) -> bool {
        self.handle.is_closed()
    }
}

const IDLE: u8 = 0;
const BUSY: u8 = 1;
/// Never taken back (a tunnel to the next bastion, a probe).
const PINNED: u8 = 2;
const RECLAIMED: u8 = 3;

/// One channel of a bastion's budget, held by a device session (or a tunnel, or a probe).
pub(super) struct Lease {
    state: AtomicU8,
    permit: Mutex<Option<OwnedSemaphorePermit>>,
    /// Wakes the tunnel's reader when the channel is taken back.
    waker: AtomicWaker,
}

impl Lease {
    /// Marks the session busy for one command (it may be busy already: a fresh session is
    /// until its first command ends); false once the channel was taken back.
    pub(super) fn begin(&self) -> bool {
        match self
            .state
            .compare_exchange(IDLE, BUSY, Ordering::AcqRel, Ordering::Acquire)
        {
            Ok(_) => true,
            Err(s) => s != RECLAIMED,
        }
    }

    pub(super) fn end(&self) {
        let _ = self
            .state
            .compare_exchange(BUSY, IDLE, Ordering::AcqRel, Ordering::Acquire);
    }

    pub(super) fn reclaimed(&self) -> bool {
        self.state.load(Ordering::Acquire) == RECLAIMED
    }

    /// Takes an idle session's channel back: its tunnel reads end-of-file from now on.
    fn reclaim(&self) -> bool {
        if self
            .state
            .compare_exchange(IDLE, RECLAIMED, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            return false;
        }
        drop(lock(&self.permit).take());
        self.waker.wake();
        true
    }
}

/// A `direct-tcpip` channel as a byte stream, ended early if its lease is taken back.
pub(super) struct Tunnel {
    inner: Pin<Box<ChannelStream<Msg>>>,
    lease: Arc<Lease>,
}

impl AsyncRead for Tunnel {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        self.lease.waker.register(cx.waker());
        if self.lease.reclaimed() {
            return Poll::Ready(Ok(()));
        }
        self.inner.as_mut().poll_read(cx, buf)
    }
}

impl AsyncWrite for Tunnel {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if self.lease.reclaimed() {
            return Poll::Ready(Err(io::ErrorKind::BrokenPipe.into()));
        }
        self.inner.as_mut().poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.inner.as_mut().poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.inner.as_mut().poll_shutdown(cx)
    }
}

/// What a device session keeps of its way through a bastion.
pub(super) struct Hops {
    pub link: Arc<Link>,
    pub lease: Arc<Lease>,
}

impl Bastions {
    /// A pool whose named hops are `inventory`'s devices.
    pub fn new(inventory: &Inventory, limits: BastionLimits) -> Bastions {
        Bastions {
            pool: Arc::new(Pool {
                book: JumpBook::from_inventory(inventory),
                limits,
                slots: Mutex::new(HashMap::new()),
                connects: AtomicU64::new(0),
            }),
        }
    }

    /// SSH connections opened to bastions so far (every hop of every chain).
    pub fn connections(&self) -> u64 {
        self.pool.connects.load(Ordering::Relaxed)
    }

    /// The hops to `t`, first to last (empty: direct).
    pub fn chain(&self, t: &Target) -> Result<Vec<Target>, ExecError> {
        self.pool.book.chain(t)
    }

    /// A byte stream to `host:port` through `chain`, for a device session.
    pub(super) async fn connect(
        &self,
        chain: &[Target],
        host: &str,
        port: u16,
        opts: &SshOptions,
    ) -> Result<(Tunnel, Hops), ExecError> {
        // Busy until the end of the session's first command (then idle between commands):
        // a channel is never taken back between the login and the work it was opened for.
        let (tunnel, link) = self.open(chain, host, port, BUSY, opts).await?;
        let lease = tunnel.lease.clone();
        Ok((tunnel, Hops { link, lease }))
    }

    /// Whether `host:port` accepts a TCP connection from the last hop of `chain`: the
    /// round trip of the channel open, `Ok(None)` when no answer came within `limit`.
    pub async fn reach(
        &self,
        chain: &[Target],
        host: &str,
        port: u16,
        opts: &SshOptions,
        limit: Duration,
    ) -> Result<Option<Duration>, ExecError> {
        // Logging in to the bastion is under the run's timeouts; only the open is the probe.
        let link = self.link(chain, opts).await?;
        let slot = self.slot(chain);
        let _lease = self.lease(&slot, &link, PINNED, limit).await?;
        let sent = Instant::now();
        let open = link
            .handle
            .channel_open_direct_tcpip(host, u32::from(port), "127.0.0.1", 0);
        match timeout(limit, open).await {
            Err(_) => Ok(None),
            Ok(Ok(channel)) => {
                let rtt = sent.elapsed();
                let _ = channel.close().await;
                Ok(Some(rtt))
            }
            Ok(Err(e)) => Err(open_error(&link, host, port, e)),
        }
    }

    fn slot(&self, chain: &[Target]) -> Arc<Slot> {
        let key = chain_key(chain);
        let limit = self.pool.limits.channels.max(1);
        lock(&self.pool.slots)
            .entry(key)
            .or_insert_with(|| {
                Arc::new(Slot {
                    state: tokio::sync::Mutex::new(State::Idle),
                    channels: Arc::new(Semaphore::new(limit)),
                    leases: Mutex::new(Vec::new()),
                    limit,
                })
            })
            .clone()
    }

    /// The logged-in connection to the last hop of `chain`, opened if needed.
    fn link<'a>(
        &'a self,
        chain: &'a [Target],
        opts: &'a SshOptions,
    ) -> Pin<Box<dyn Future<Output = Result<Arc<Link>, ExecError>> + Send + 'a>> {
        Box::pin(async move {
            let slot = self.slot(chain);
            let mut state = slot.state.lock().await;
            match &*state {
                State::Up(link) if !link.is_closed() => return Ok(link.clone()),
                State::Failed { at, error } if at.elapsed() < self.pool.limits.retry_after => {
                    return Err(error.clone());
                }
                State::Up(link) => {
                    tracing::info!(bastion = %escape_line(&link.name), "bastion connection dropped; reconnecting");
                }
                _ => {}
            }
            let result = self.login_to(chain, opts).await;
            *state = match &result {
                Ok(link) => State::Up(link.clone()),
                Err(error) => State::Failed {
                    at: Instant::now(),
                    error: error.clone(),
                },
            };
            if let Err(e) = &result {
                tracing::warn!(reason = %escape_line(&e.reason), "bastion connect failed");
            }
            result
        })
    }

    async fn login_to(&self, chain: &[Target], opts: &SshOptions) -> Result<Arc<Link>, ExecError> {
        let (hop, before) = chain.split_last().expect("a chain has a hop");
        let to = opts.timeouts;
        let failed = |e| bastion_failed(&hop.name, e);
        let (stream, parent): (Box<dyn Io>, Option<Arc<Link>>) = if before.is_empty() {
            let addrs = resolve(&hop.host, hop.port, to.connect)
                .await
                .map_err(failed)?;
            let tcp = tcp_connect(&addrs, to.connect).await.map_err(failed)?;
            (Box::new(tcp), None)
        } else {
            let (tunnel, parent) = self
                .open(before, &hop.host, hop.port, PINNED, opts)
                .await
                .map_err(failed)?;
            (Box::new(tunnel), Some(parent))
        };
        self.pool.connects.fetch_add(1, Ordering::Relaxed);
        let mut noted = None;
        let logged_in = login(stream, hop, opts, &mut noted).await;
        // A bastion's learned key is logged even when its login then fails.
        if let Some(text) = &noted {
            tracing::info!(bastion = %escape_line(&hop.name), "{}", escape_line(text));
        }
        let (handle, _) = logged_in.map_err(failed)?;
        tracing::debug!(bastion = %escape_line(&hop.name), "bastion connected");
        Ok(Arc::new(Link {
            handle,
            name: hop.name.clone(),
            _parent: parent,
        }))
    }

    /// A `direct-tcpip` channel from the last hop of `chain` to `host:port`.
    async fn open(
        &self,
        chain: &[Target],
        host: &str,
        port: u16,
        mode: u8,
        opts: &SshOptions,
    ) -> Result<(Tunnel, Arc<Link>), ExecError> {
        let link = self.link(chain, opts).await?;
        let slot = self.slot(chain);
        let lease = self
            .lease(&slot, &link, mode, opts.timeouts.connect)
            .await?;
        let limit = opts.timeouts.connect;
        let open = link
            .handle
            .channel_open_direct_tcpip(host, u32::from(port), "127.0.0.1", 0);
        match timeout(limit, open).await {
            Err(_) => Err(err(
                Stage::Connect,
                format!(
                    "{} cannot reach {}: {}",
                    Untrusted(&link.name),
                    Untrusted(&super::hostkeys::host_port(host, port)),
                    timed_out("opening the connection", limit)
                ),
            )),
            Ok(Err(e)) => Err(open_error(&link, host, port, e)),
            Ok(Ok(channel)) => Ok((
                Tunnel {
                    inner: Box::pin(channel.into_stream()),
                    lease,
                },
                link,
            )),
        }
    }

    /// A channel of `slot`'s budget: a free one, else one taken from the longest idle
    /// session, else the first one freed within `limit`.
    async fn lease(
        &self,
        slot: &Slot,
        link: &Link,
        mode: u8,
        limit: Duration,
    ) -> Result<Arc<Lease>, ExecError> {
        let deadline = Instant::now() + limit;
        loop {
            let permit = match slot.channels.clone().try_acquire_owned() {
                Ok(p) => Some(p),
                Err(_) if slot.reclaim_idle() => continue,
                Err(_) => {
                    let wait = deadline.min(Instant::now() + Duration::from_millis(50));
                    tokio::time::timeout_at(wait, slot.channels.clone().acquire_owned())
                        .await
                        .ok()
                        .and_then(Result::ok)
                }
            };
            if let Some(permit) = permit {
                let lease = Arc::new(Lease {
                    state: AtomicU8::new(mode),
                    permit: Mutex::new(Some(permit)),
                    waker: AtomicWaker::new(),
                });
                let mut leases = lock(&slot.leases);
                leases.retain(|l| l.strong_count() > 0);
                leases.push(Arc::downgrade(&lease));
                return Ok(lease);
            }
            if Instant::now() >= deadline {
                return Err(err(
                    Stage::Channel,
                    format!(
                        "all {} channels through bastion {} stayed busy for {}; \
                         run fewer devices at once (--concurrency)",
                        slot.limit,
                        Untrusted(&link.name),
                        crate::base::duration::format(limit)
                    ),
                ));
            }
        }
    }
}

impl Slot {
    /// Takes the channel of the longest idle session; false when every one is busy.
    fn reclaim_idle(&self) -> bool {
        let leases = lock(&self.leases);
        leases
            .iter()
            .filter_map(Weak::upgrade)
            .any(|lease| lease.reclaim())
    }
}

/// Why the bastion did not open the channel, in words.
fn open_error(link: &Link, host: &str, port: u16, e: russh::Error) -> ExecError {
    if link.is_closed() {
        return bastion_failed(
            &link.name,
            err(Stage::Channel, "the bastion connection dropped"),
        );
    }
    let why = match e {
        russh::Error::ChannelOpenFailure(ChannelOpenFailure::ConnectFailed) => {
            "connect failed (refused, unreachable or timed out there)".to_string()
        }
        russh::Error::ChannelOpenFailure(ChannelOpenFailure::AdministrativelyProhibited) => {
            "forwarding refused by the bastion (is AllowTcpForwarding on, and PermitOpen \
             allowing it?)"
                .to_string()
        }
        russh::Error::ChannelOpenFailure(f) => format!("channel refused: {f:?}"),
        other => format!("channel open failed: {other}"),
    };
    err(
        Stage::Connect,
        format!(
            "{} cannot reach {}: {why}",
            Untrusted(&link.name),
            Untrusted(&super::hostkeys::host_port(host, port))
        ),
    )
}

fn chain_key(chain: &[Target]) -> String {
    chain
        .iter()
        .map(|t| {
            format!(
                "{}@{}",
                t.credentials.user,
                super::hostkeys::host_port(&t.host, t.port)
            )
        })
        .collect::<Vec<_>>()
        .join(",")
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
