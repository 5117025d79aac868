//! A lab device as a bastion: `direct-tcpip` channels to loopback addresses, piped to a TCP
//! connection there. Anything else is refused, so a lab never forwards off the machine.

use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use russh::server::{ChannelOpenHandle, Msg};
use russh::{Channel, ChannelOpenFailure};
use tokio::net::TcpStream;

use super::runtime::LabShared;

/// Connects to `host:port` (loopback literals only), then accepts the channel and copies
/// both ways until either side closes; a refused connect is reported as `ConnectFailed`.
pub async fn forward(
    channel: Channel<Msg>,
    host: String,
    port: u32,
    reply: ChannelOpenHandle,
    lab: Arc<LabShared>,
) {
    let ip = host.trim_matches(['[', ']']).parse::<IpAddr>();
    let (Ok(ip), Ok(port)) = (ip, u16::try_from(port)) else {
        return reply.reject(ChannelOpenFailure::ConnectFailed).await;
    };
    if !ip.is_loopback() {
        return reply
            .reject(ChannelOpenFailure::AdministrativelyProhibited)
            .await;
    }
    let mut tcp = match TcpStream::connect((ip, port)).await {
        Ok(tcp) => tcp,
        Err(_) => return reply.reject(ChannelOpenFailure::ConnectFailed).await,
    };
    let _ = tcp.set_nodelay(true);
    reply.accept().await;
    lab.counters.forwards.fetch_add(1, Ordering::Relaxed);
    let mut stream = channel.into_stream();
    let _ = tokio::io::copy_bidirectional(&mut stream, &mut tcp).await;
}
