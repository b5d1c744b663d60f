//! A DHCP server for the one host at the other end of the USB cable.
//!
//! The board is a USB network adapter: the laptop it is plugged into sees a
//! new Ethernet interface and asks it for an address. The board answers from
//! below smoltcp, in the link adapter ([`crate::ncm`]): a frame carrying a
//! DHCP client message (UDP 68 -> 67) never reaches the IP stack, and the
//! answer is built here with smoltcp's wire types and sent straight back.
//! Keeping it beneath the stack keeps it out of the core's socket set
//! (`isere::netstack` has TCP sockets and a DHCP client only).
//!
//! RFC 2131, reduced to a point-to-point link with one lease:
//!
//! * DHCPDISCOVER -> DHCPOFFER of the lease address;
//! * DHCPREQUEST for the lease address (selecting, init-reboot, renewing or
//!   rebinding) -> DHCPACK; for another address -> DHCPNAK; addressed to
//!   another server (its server identifier) -> nothing;
//! * DHCPDECLINE, DHCPRELEASE, DHCPINFORM -> nothing (there is nothing else
//!   to offer; the host keeps its link-local address).
//!
//! No router and no DNS server are offered, so the host keeps its own default
//! route: plugging the board in must not take the laptop off its network.
//! Answers are broadcast (Ethernet and IP), which every client accepts.
//!
//! Nothing here panics on input: every view is checked before use and a
//! malformed frame is simply "not DHCP".

use smoltcp::phy::ChecksumCapabilities;
use smoltcp::wire::{
    DhcpMessageType, DhcpPacket, DhcpRepr, EthernetAddress, EthernetFrame, EthernetProtocol,
    EthernetRepr, IpAddress, IpProtocol, Ipv4Address, Ipv4Packet, Ipv4Repr, UdpPacket, UdpRepr,
};

/// UDP port of DHCP servers.
const SERVER_PORT: u16 = 67;
/// UDP port of DHCP clients.
const CLIENT_PORT: u16 = 68;
/// BOOTP's minimum message: some clients drop shorter answers.
const MIN_DHCP_LEN: usize = 300;
/// Room for the longest answer: Ethernet, IPv4 and UDP headers plus a DHCP
/// message with our few options, padded to [`MIN_DHCP_LEN`].
pub const MAX_ANSWER_LEN: usize = 14 + 20 + 8 + 400;

/// What to do with a received frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Not a DHCP client message: hand it to the IP stack.
    NotDhcp,
    /// A DHCP client message that needs no answer: drop it.
    Ignored,
    /// Send the first `n` bytes of the answer buffer back to the host.
    Answer(usize),
}

/// The server's fixed parameters.
#[derive(Clone, Copy, Debug)]
pub struct DhcpServer {
    /// The board's Ethernet address (source of the answers).
    pub mac: EthernetAddress,
    /// The board's IPv4 address (server identifier).
    pub address: Ipv4Address,
    /// The address leased to the host.
    pub lease: Ipv4Address,
    /// Prefix length of the link's network.
    pub prefix: u8,
    /// Lease time in seconds.
    pub lease_secs: u32,
}

impl DhcpServer {
    /// Looks at one received Ethernet frame; for a DHCP client message that
    /// needs an answer, writes the answer frame into `out`.
    pub fn handle(&self, frame: &[u8], out: &mut [u8; MAX_ANSWER_LEN]) -> Verdict {
        let Some(payload) = dhcp_payload(frame) else {
            return Verdict::NotDhcp;
        };
        let Ok(packet) = DhcpPacket::new_checked(payload) else {
            return Verdict::NotDhcp;
        };
        let Ok(request) = DhcpRepr::parse(&packet) else {
            return Verdict::NotDhcp;
        };
        let reply = match self.decide(&request) {
            Some(t) => t,
            None => return Verdict::Ignored,
        };
        match self.emit(&request, reply, out) {
            Some(n) => Verdict::Answer(n),
            None => Verdict::Ignored,
        }
    }

    /// The answer's message type for a client message, if it gets one.
    fn decide(&self, req: &DhcpRepr<'_>) -> Option<DhcpMessageType> {
        match req.message_type {
            DhcpMessageType::Discover => Some(DhcpMessageType::Offer),
            DhcpMessageType::Request => {
                if req.server_identifier.is_some_and(|s| s != self.address) {
                    // The host chose another server's offer.
                    return None;
                }
                // SELECTING/INIT-REBOOT name the address in option 50;
                // RENEWING/REBINDING put it in ciaddr.
                let wanted = req.requested_ip.unwrap_or(req.client_ip);
                Some(if wanted == self.lease {
                    DhcpMessageType::Ack
                } else {
                    DhcpMessageType::Nak
                })
            }
            _ => None,
        }
    }

    /// Writes the Ethernet frame of an answer of type `kind` to `req`.
    fn emit(
        &self,
        req: &DhcpRepr<'_>,
        kind: DhcpMessageType,
        out: &mut [u8; MAX_ANSWER_LEN],
    ) -> Option<usize> {
        let nak = kind == DhcpMessageType::Nak;
        let answer = DhcpRepr {
            message_type: kind,
            transaction_id: req.transaction_id,
            secs: 0,
            client_hardware_address: req.client_hardware_address,
            client_ip: Ipv4Address::UNSPECIFIED,
            your_ip: if nak {
                Ipv4Address::UNSPECIFIED
            } else {
                self.lease
            },
            server_ip: Ipv4Address::UNSPECIFIED,
            router: None,
            subnet_mask: (!nak).then(|| netmask(self.prefix)),
            relay_agent_ip: Ipv4Address::UNSPECIFIED,
            broadcast: req.broadcast,
            requested_ip: None,
            client_identifier: None,
            server_identifier: Some(self.address),
            parameter_request_list: None,
            dns_servers: None,
            max_size: None,
            lease_duration: (!nak).then_some(self.lease_secs),
            renew_duration: None,
            rebind_duration: None,
            additional_options: &[],
        };
        let dhcp_len = answer.buffer_len().max(MIN_DHCP_LEN);
        let udp_len = 8 + dhcp_len;
        let ip_len = 20 + udp_len;
        let frame_len = 14 + ip_len;
        if frame_len > out.len() {
            return None;
        }
        let out = &mut out[..frame_len];
        out.fill(0);

        let src = IpAddress::Ipv4(self.address);
        let dst = IpAddress::Ipv4(Ipv4Address::BROADCAST);
        let caps = ChecksumCapabilities::default();
        let mut eth = EthernetFrame::new_unchecked(&mut *out);
        EthernetRepr {
            src_addr: self.mac,
            dst_addr: EthernetAddress::BROADCAST,
            ethertype: EthernetProtocol::Ipv4,
        }
        .emit(&mut eth);
        let mut ip = Ipv4Packet::new_unchecked(eth.payload_mut());
        Ipv4Repr {
            src_addr: self.address,
            dst_addr: Ipv4Address::BROADCAST,
            next_header: IpProtocol::Udp,
            payload_len: udp_len,
            hop_limit: 64,
        }
        .emit(&mut ip, &caps);
        let mut ok = false;
        let mut udp = UdpPacket::new_unchecked(ip.payload_mut());
        UdpRepr {
            src_port: SERVER_PORT,
            dst_port: CLIENT_PORT,
        }
        .emit(
            &mut udp,
            &src,
            &dst,
            dhcp_len,
            |payload| {
                let mut packet = DhcpPacket::new_unchecked(payload);
                ok = answer.emit(&mut packet).is_ok();
            },
            &caps,
        );
        ok.then_some(frame_len)
    }
}

/// The UDP payload of `frame` if it is a datagram from a DHCP client to a
/// server (UDP 68 -> 67 over IPv4 over Ethernet, with valid checksums).
fn dhcp_payload(frame: &[u8]) -> Option<&[u8]> {
    let caps = ChecksumCapabilities::default();
    let eth = EthernetFrame::new_checked(frame).ok()?;
    if eth.ethertype() != EthernetProtocol::Ipv4 {
        return None;
    }
    let ip = Ipv4Packet::new_checked(eth.payload()).ok()?;
    let ip_repr = Ipv4Repr::parse(&ip, &caps).ok()?;
    if ip_repr.next_header != IpProtocol::Udp {
        return None;
    }
    let udp = UdpPacket::new_checked(ip.payload()).ok()?;
    let udp_repr = UdpRepr::parse(
        &udp,
        &IpAddress::Ipv4(ip_repr.src_addr),
        &IpAddress::Ipv4(ip_repr.dst_addr),
        &caps,
    )
    .ok()?;
    if udp_repr.src_port != CLIENT_PORT || udp_repr.dst_port != SERVER_PORT {
        return None;
    }
    Some(udp.payload())
}

/// The netmask of a prefix length.
fn netmask(prefix: u8) -> Ipv4Address {
    let bits = match prefix {
        0 => 0,
        p => u32::MAX << (32 - u32::from(p.min(32))),
    };
    Ipv4Address::from_bits(bits)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOST_MAC: EthernetAddress = EthernetAddress([0x02, 0, 0, 0, 0, 0x02]);

    fn server() -> DhcpServer {
        DhcpServer {
            mac: EthernetAddress([0x02, 0, 0, 0, 0, 0x01]),
            address: Ipv4Address::new(192, 168, 7, 1),
            lease: Ipv4Address::new(192, 168, 7, 2),
            prefix: 24,
            lease_secs: 3600,
        }
    }

    /// A client message as a host's DHCP client sends it, in a frame.
    fn client_frame(
        kind: DhcpMessageType,
        requested: Option<Ipv4Address>,
        server_id: Option<Ipv4Address>,
        ciaddr: Ipv4Address,
    ) -> Vec<u8> {
        let repr = DhcpRepr {
            message_type: kind,
            transaction_id: 0x1234_5678,
            secs: 0,
            client_hardware_address: HOST_MAC,
            client_ip: ciaddr,
            your_ip: Ipv4Address::UNSPECIFIED,
            server_ip: Ipv4Address::UNSPECIFIED,
            router: None,
            subnet_mask: None,
            relay_agent_ip: Ipv4Address::UNSPECIFIED,
            broadcast: false,
            requested_ip: requested,
            client_identifier: Some(HOST_MAC),
            server_identifier: server_id,
            parameter_request_list: Some(&[1, 3, 6]),
            dns_servers: None,
            max_size: Some(1500),
            lease_duration: None,
            renew_duration: None,
            rebind_duration: None,
            additional_options: &[],
        };
        let dhcp_len = repr.buffer_len();
        let mut out = vec![0u8; 14 + 20 + 8 + dhcp_len];
        let caps = ChecksumCapabilities::default();
        let src = Ipv4Address::UNSPECIFIED;
        let mut eth = EthernetFrame::new_unchecked(&mut out[..]);
        EthernetRepr {
            src_addr: HOST_MAC,
            dst_addr: EthernetAddress::BROADCAST,
            ethertype: EthernetProtocol::Ipv4,
        }
        .emit(&mut eth);
        let mut ip = Ipv4Packet::new_unchecked(eth.payload_mut());
        Ipv4Repr {
            src_addr: src,
            dst_addr: Ipv4Address::BROADCAST,
            next_header: IpProtocol::Udp,
            payload_len: 8 + dhcp_len,
            hop_limit: 64,
        }
        .emit(&mut ip, &caps);
        let mut udp = UdpPacket::new_unchecked(ip.payload_mut());
        UdpRepr {
            src_port: CLIENT_PORT,
            dst_port: SERVER_PORT,
        }
        .emit(
            &mut udp,
            &IpAddress::Ipv4(src),
            &IpAddress::Ipv4(Ipv4Address::BROADCAST),
            dhcp_len,
            |p| repr.emit(&mut DhcpPacket::new_unchecked(p)).unwrap(),
            &caps,
        );
        out
    }

    /// Parses an answer frame back, checking every layer on the way, and
    /// hands its source MAC, IP destination and DHCP message to `check`.
    fn with_answer(frame: &[u8], check: impl FnOnce(EthernetAddress, Ipv4Address, &DhcpRepr<'_>)) {
        let caps = ChecksumCapabilities::default();
        let eth = EthernetFrame::new_checked(frame).unwrap();
        assert_eq!(eth.dst_addr(), EthernetAddress::BROADCAST);
        let ip = Ipv4Packet::new_checked(eth.payload()).unwrap();
        let ip_repr = Ipv4Repr::parse(&ip, &caps).unwrap();
        let udp = UdpPacket::new_checked(ip.payload()).unwrap();
        let udp_repr = UdpRepr::parse(
            &udp,
            &IpAddress::Ipv4(ip_repr.src_addr),
            &IpAddress::Ipv4(ip_repr.dst_addr),
            &caps,
        )
        .unwrap();
        assert_eq!((udp_repr.src_port, udp_repr.dst_port), (67, 68));
        assert!(udp.payload().len() >= MIN_DHCP_LEN);
        let dhcp = DhcpPacket::new_checked(udp.payload()).unwrap();
        check(
            eth.src_addr(),
            ip_repr.dst_addr,
            &DhcpRepr::parse(&dhcp).unwrap(),
        );
    }

    fn answer(frame: &[u8], out: &mut [u8; MAX_ANSWER_LEN]) -> usize {
        match server().handle(frame, out) {
            Verdict::Answer(n) => n,
            v => panic!("expected an answer, got {v:?}"),
        }
    }

    #[test]
    fn offers_the_lease_to_a_discover() {
        let frame = client_frame(
            DhcpMessageType::Discover,
            None,
            None,
            Ipv4Address::UNSPECIFIED,
        );
        let mut out = [0u8; MAX_ANSWER_LEN];
        let n = answer(&frame, &mut out);
        with_answer(&out[..n], |mac, dst, offer| {
            assert_eq!(mac, server().mac);
            assert_eq!(dst, Ipv4Address::BROADCAST);
            assert_eq!(offer.message_type, DhcpMessageType::Offer);
            assert_eq!(offer.transaction_id, 0x1234_5678);
            assert_eq!(offer.client_hardware_address, HOST_MAC);
            assert_eq!(offer.your_ip, Ipv4Address::new(192, 168, 7, 2));
            assert_eq!(
                offer.server_identifier,
                Some(Ipv4Address::new(192, 168, 7, 1))
            );
            assert_eq!(offer.subnet_mask, Some(Ipv4Address::new(255, 255, 255, 0)));
            assert_eq!(offer.lease_duration, Some(3600));
            assert_eq!(offer.router, None, "the host keeps its own default route");
            assert_eq!(offer.dns_servers, None);
        });
    }

    #[test]
    fn acks_a_request_for_the_lease_and_naks_any_other() {
        let us = Some(Ipv4Address::new(192, 168, 7, 1));
        let mut out = [0u8; MAX_ANSWER_LEN];
        let frame = client_frame(
            DhcpMessageType::Request,
            Some(Ipv4Address::new(192, 168, 7, 2)),
            us,
            Ipv4Address::UNSPECIFIED,
        );
        let n = answer(&frame, &mut out);
        with_answer(&out[..n], |_, _, ack| {
            assert_eq!(ack.message_type, DhcpMessageType::Ack);
            assert_eq!(ack.your_ip, Ipv4Address::new(192, 168, 7, 2));
        });

        // Renewing: no option 50, the address in ciaddr, no server id.
        let frame = client_frame(
            DhcpMessageType::Request,
            None,
            None,
            Ipv4Address::new(192, 168, 7, 2),
        );
        let n = answer(&frame, &mut out);
        with_answer(&out[..n], |_, _, ack| {
            assert_eq!(ack.message_type, DhcpMessageType::Ack)
        });

        // A host coming back with an address from another network.
        let frame = client_frame(
            DhcpMessageType::Request,
            Some(Ipv4Address::new(10, 0, 0, 7)),
            None,
            Ipv4Address::UNSPECIFIED,
        );
        let n = answer(&frame, &mut out);
        with_answer(&out[..n], |_, _, nak| {
            assert_eq!(nak.message_type, DhcpMessageType::Nak);
            assert_eq!(nak.your_ip, Ipv4Address::UNSPECIFIED);
            assert_eq!(nak.lease_duration, None);
        });
    }

    #[test]
    fn stays_silent_when_not_asked() {
        let mut out = [0u8; MAX_ANSWER_LEN];
        let other_server = client_frame(
            DhcpMessageType::Request,
            Some(Ipv4Address::new(192, 168, 7, 2)),
            Some(Ipv4Address::new(192, 168, 7, 9)),
            Ipv4Address::UNSPECIFIED,
        );
        assert_eq!(server().handle(&other_server, &mut out), Verdict::Ignored);
        let release = client_frame(
            DhcpMessageType::Release,
            None,
            None,
            Ipv4Address::new(192, 168, 7, 2),
        );
        assert_eq!(server().handle(&release, &mut out), Verdict::Ignored);
    }

    #[test]
    fn passes_everything_else_to_the_stack() {
        let mut out = [0u8; MAX_ANSWER_LEN];
        let mut frame = client_frame(
            DhcpMessageType::Discover,
            None,
            None,
            Ipv4Address::UNSPECIFIED,
        );
        assert_eq!(server().handle(&frame[..20], &mut out), Verdict::NotDhcp);
        assert_eq!(server().handle(&[], &mut out), Verdict::NotDhcp);
        // A corrupted UDP checksum.
        let last = frame.len() - 1;
        frame[last] ^= 0xff;
        assert_eq!(server().handle(&frame, &mut out), Verdict::NotDhcp);
        // An ARP frame.
        let mut arp = [0u8; 42];
        arp[12..14].copy_from_slice(&[0x08, 0x06]);
        assert_eq!(server().handle(&arp, &mut out), Verdict::NotDhcp);
        // Every truncation of a valid request is refused without a panic.
        let frame = client_frame(
            DhcpMessageType::Discover,
            None,
            None,
            Ipv4Address::UNSPECIFIED,
        );
        for len in 0..frame.len() {
            let _ = server().handle(&frame[..len], &mut out);
        }
    }

    /// A host on the other end of the cable: every frame it sends goes
    /// through the server, and the server's answers come back to it.
    struct Cable {
        to_host: std::collections::VecDeque<Vec<u8>>,
    }

    struct HostRx(Vec<u8>);
    struct HostTx<'a>(&'a mut Cable);

    impl smoltcp::phy::RxToken for HostRx {
        fn consume<R, F: FnOnce(&[u8]) -> R>(self, f: F) -> R {
            f(&self.0)
        }
    }

    impl smoltcp::phy::TxToken for HostTx<'_> {
        fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, len: usize, f: F) -> R {
            let mut frame = vec![0u8; len];
            let r = f(&mut frame);
            let mut out = [0u8; MAX_ANSWER_LEN];
            if let Verdict::Answer(n) = server().handle(&frame, &mut out) {
                self.0.to_host.push_back(out[..n].to_vec());
            }
            r
        }
    }

    impl smoltcp::phy::Device for Cable {
        type RxToken<'a> = HostRx;
        type TxToken<'a> = HostTx<'a>;

        fn receive(&mut self, _: smoltcp::time::Instant) -> Option<(HostRx, HostTx<'_>)> {
            let frame = self.to_host.pop_front()?;
            Some((HostRx(frame), HostTx(self)))
        }

        fn transmit(&mut self, _: smoltcp::time::Instant) -> Option<HostTx<'_>> {
            Some(HostTx(self))
        }

        fn capabilities(&self) -> smoltcp::phy::DeviceCapabilities {
            let mut caps = smoltcp::phy::DeviceCapabilities::default();
            caps.medium = smoltcp::phy::Medium::Ethernet;
            caps.max_transmission_unit = 1514;
            caps
        }
    }

    /// smoltcp's own DHCP client, as an independent implementation, gets
    /// the lease through the whole DISCOVER/OFFER/REQUEST/ACK exchange.
    #[test]
    fn a_dhcp_client_gets_the_lease() {
        use smoltcp::iface::{Config, Interface, SocketSet};
        use smoltcp::socket::dhcpv4;
        use smoltcp::time::Instant;

        let mut cable = Cable {
            to_host: Default::default(),
        };
        let config = Config::new(smoltcp::wire::HardwareAddress::Ethernet(HOST_MAC));
        let mut iface = Interface::new(config, &mut cable, Instant::ZERO);
        let mut sockets = SocketSet::new(Vec::new());
        let client = sockets.add(dhcpv4::Socket::new());
        let mut lease = None;
        for ms in 0..100 {
            iface.poll(Instant::from_millis(ms), &mut cable, &mut sockets);
            if let Some(dhcpv4::Event::Configured(c)) =
                sockets.get_mut::<dhcpv4::Socket>(client).poll()
            {
                lease = Some((c.address, c.router, c.server.address, c.dns_servers.len()));
                break;
            }
        }
        let (address, router, server, dns) = lease.expect("the client was configured");
        assert_eq!(
            address,
            smoltcp::wire::Ipv4Cidr::new(Ipv4Address::new(192, 168, 7, 2), 24)
        );
        assert_eq!(router, None);
        assert_eq!(server, Ipv4Address::new(192, 168, 7, 1));
        assert_eq!(dns, 0);
    }

    #[test]
    fn netmasks() {
        assert_eq!(netmask(24), Ipv4Address::new(255, 255, 255, 0));
        assert_eq!(netmask(0), Ipv4Address::new(0, 0, 0, 0));
        assert_eq!(netmask(32), Ipv4Address::new(255, 255, 255, 255));
        assert_eq!(netmask(33), Ipv4Address::new(255, 255, 255, 255));
    }
}
