//! One device's TCP side: its own listener on its own loopback address, the accept loop,
//! and the connection-level faults (tarpit, max sessions, flapping, host key rotation).

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use russh::server::{Config, run_stream};
use tokio::io::AsyncReadExt;
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::watch;
use tokio::time::{Instant, sleep, sleep_until};

use super::device::{DeviceShared, Killer};
use super::runtime::LabShared;
use super::session::Conn;

/// Binds a listener with SO_REUSEADDR so a flapping device can rebind its address at once.
pub fn bind(addr: SocketAddr) -> io::Result<TcpListener> {
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(1024)
}

/// Host keys a device serves: `normal`, and `rotated` after the host-key-change fault fires.
pub struct Configs {
    pub normal: Arc<Config>,
    pub rotated: Arc<Config>,
}

/// Runs the device until `stop` turns true: accepts, and for a flapping device closes the
/// listener (and its sessions) for the down period, then binds again.
pub async fn serve(
    dev: Arc<DeviceShared>,
    lab: Arc<LabShared>,
    configs: Configs,
    first: TcpListener,
    mut stop: watch::Receiver<bool>,
) {
    let mut listener = Some(first);
    let flap = dev.faults.flap;
    let mut phase_end = flap.map(|f| Instant::now() + f.up);
    loop {
        if *stop.borrow() {
            break;
        }
        match &listener {
            Some(l) => {
                tokio::select! {
                    _ = stop.changed() => break,
                    accepted = l.accept() => match accepted {
                        Ok((stream, _)) => accept(&dev, &lab, &configs, stream),
                        // Out of file descriptors or similar: back off instead of spinning.
                        Err(_) => sleep(Duration::from_millis(20)).await,
                    },
                    _ = sleep_until(phase_end.unwrap_or_else(Instant::now)), if phase_end.is_some() => {
                        listener = None;
                        dev.set_up(false);
                        dev.kill_all_sessions();
                        phase_end = flap.map(|f| Instant::now() + f.down);
                    }
                }
            }
            None => {
                tokio::select! {
                    _ = stop.changed() => break,
                    _ = sleep_until(phase_end.unwrap_or_else(Instant::now)) => {
                        match bind(dev.addr) {
                            Ok(l) => {
                                listener = Some(l);
                                dev.set_up(true);
                                phase_end = flap.map(|f| Instant::now() + f.up);
                            }
                            // The address is briefly busy: try again shortly.
                            Err(_) => phase_end = Some(Instant::now() + Duration::from_millis(100)),
                        }
                    }
                }
            }
        }
    }
    drop(listener);
    dev.kill_all_sessions();
}

/// Handles one accepted connection according to the device's faults.
fn accept(dev: &Arc<DeviceShared>, lab: &Arc<LabShared>, configs: &Configs, stream: TcpStream) {
    lab.counters.connections.fetch_add(1, Ordering::Relaxed);
    let id = lab.next_conn.fetch_add(1, Ordering::Relaxed);
    let _ = stream.set_nodelay(true);
    let Ok((stream, killer)) = with_killer(stream) else {
        return;
    };
    if !dev.open_session(id, killer, dev.faults.max_sessions) {
        // Like a device with every vty line busy: accept, then close without a word.
        lab.counters.refused.fetch_add(1, Ordering::Relaxed);
        return;
    }
    lab.counters.active.fetch_add(1, Ordering::Relaxed);
    let dev = dev.clone();
    let lab = lab.clone();
    if dev.faults.tarpit {
        tokio::spawn(async move {
            tarpit(stream).await;
            finish(&dev, &lab, id);
        });
        return;
    }
    let rotate = dev
        .faults
        .host_key_change_after
        .is_some_and(|n| dev.logins() >= n);
    let config = if rotate {
        configs.rotated.clone()
    } else {
        configs.normal.clone()
    };
    tokio::spawn(async move {
        let handler = Conn {
            dev: dev.clone(),
            lab: lab.clone(),
            id,
            user: String::new(),
            flagged: false,
        };
        if let Ok(session) = run_stream(config, stream, handler).await {
            let _ = session.await;
        }
        finish(&dev, &lab, id);
    });
}

fn finish(dev: &DeviceShared, lab: &LabShared, id: u64) {
    dev.close_session(id);
    lab.counters.active.fetch_sub(1, Ordering::Relaxed);
}

/// Keeps a duplicate of the socket so the connection can be cut from outside.
fn with_killer(stream: TcpStream) -> io::Result<(TcpStream, Arc<Killer>)> {
    let std = stream.into_std()?;
    let dup = std.try_clone()?;
    Ok((TcpStream::from_std(std)?, Arc::new(Killer::new(dup))))
}

/// Reads and discards whatever the client sends, never answering, until it gives up.
async fn tarpit(mut stream: TcpStream) {
    let mut buf = [0u8; 512];
    while let Ok(n) = stream.read(&mut buf).await {
        if n == 0 {
            break;
        }
    }
}
