//! Finding the daemon: one mDNS PTR query for `_claude-gauge._tcp.local`, answered by the
//! daemon (`crates/claude-gauge/src/mdns.rs`) with its SRV (port) and A (address) records.
//! Message building and parsing are edge-mdns's (over the `domain` crate); this is the socket.

use core::cell::Cell;
use core::net::{Ipv4Addr, SocketAddrV4};

use edge_mdns::domain::base::iana::Class;
use edge_mdns::domain::base::{Question, Rtype};
use edge_mdns::domain::rdata::AllRecordData;
use edge_mdns::{
    HostQuestion, HostQuestions, MdnsError, MdnsHandler, MdnsRequest, NameSlice, PeerAnswer,
    PeerAnswers, PeerAnswersMdnsHandler,
};
use embassy_net::udp::{PacketMetadata, UdpSocket};
use embassy_net::Stack;
use embassy_time::{with_timeout, Duration};

/// The service the daemon advertises (docs/protocol.md).
const SERVICE_LABELS: [&str; 3] = ["_claude-gauge", "_tcp", "local"];
const MDNS_GROUP: Ipv4Addr = Ipv4Addr::new(224, 0, 0, 251);
const MDNS_PORT: u16 = 5353;
/// How long one query waits for answers.
const ANSWER_WAIT: Duration = Duration::from_secs(3);
const PACKET_MAX_LEN: usize = 1_500;

struct ServiceQuery;

impl HostQuestions for ServiceQuery {
    fn visit<F, E>(&self, mut f: F) -> Result<(), E>
    where
        F: FnMut(HostQuestion) -> Result<(), E>,
        E: From<MdnsError>,
    {
        f(Question::new(
            NameSlice::new(&SERVICE_LABELS),
            Rtype::PTR,
            Class::IN,
        ))
    }
}

/// What the answers said so far: the SRV port and the first A address.
#[derive(Default)]
struct Found {
    port: Cell<Option<u16>>,
    addr: Cell<Option<Ipv4Addr>>,
}

impl PeerAnswers for Found {
    fn answers<'a, T, A>(&self, answers: T, additional: A) -> Result<(), MdnsError>
    where
        T: IntoIterator<Item = Result<PeerAnswer<'a>, MdnsError>> + Clone + 'a,
        A: IntoIterator<Item = Result<PeerAnswer<'a>, MdnsError>> + Clone + 'a,
    {
        for record in answers.into_iter().chain(additional).flatten() {
            match record.data() {
                AllRecordData::Srv(srv) => self.port.set(Some(srv.port())),
                AllRecordData::A(a) if self.addr.get().is_none() => self.addr.set(Some(a.addr())),
                _ => {}
            }
        }
        Ok(())
    }
}

/// Asks the LAN for the daemon once; `None` if nobody answered in time.
pub(crate) async fn discover(stack: Stack<'_>) -> Option<SocketAddrV4> {
    let mut rx_meta = [PacketMetadata::EMPTY; 4];
    let mut tx_meta = [PacketMetadata::EMPTY; 2];
    let mut rx_buf = [0u8; PACKET_MAX_LEN];
    let mut tx_buf = [0u8; 512];
    let mut socket = UdpSocket::new(stack, &mut rx_meta, &mut rx_buf, &mut tx_meta, &mut tx_buf);
    if socket.bind(MDNS_PORT).is_err() || stack.join_multicast_group(MDNS_GROUP).is_err() {
        log::warn!("mdns: cannot bind port {MDNS_PORT} or join {MDNS_GROUP}");
        return None;
    }
    let mut query = [0u8; 128];
    let len = ServiceQuery.query(0, &mut query).ok()?;
    socket
        .send_to(&query[..len], (MDNS_GROUP, MDNS_PORT))
        .await
        .ok()?;

    let found = Found::default();
    let mut handler = PeerAnswersMdnsHandler::new(&found);
    let mut packet = [0u8; PACKET_MAX_LEN];
    let _ = with_timeout(ANSWER_WAIT, async {
        while found.port.get().is_none() || found.addr.get().is_none() {
            let Ok((len, _from)) = socket.recv_from(&mut packet).await else {
                continue;
            };
            let request = MdnsRequest::Request {
                legacy: false,
                multicast: true,
                data: &packet[..len],
            };
            // Someone else's malformed packet is not our problem: skip it.
            let _ = handler.handle(request, &mut []);
        }
    })
    .await;
    let _ = stack.leave_multicast_group(MDNS_GROUP);
    Some(SocketAddrV4::new(found.addr.get()?, found.port.get()?))
}
