//! The one answer to "where does this request come from": the address every
//! per-source limit (the rate limiter, the credential guard) keys on and the
//! ledger records as an event's `source_addr`.
//!
//! Behind a reverse proxy the TCP peer is the proxy, so per-source limits
//! would become one global limit. `CARELEDGER_TRUSTED_PROXIES` lists the
//! proxies (addresses or CIDRs) whose `X-Forwarded-For` is believed; nothing
//! else is. When the peer is a trusted proxy, the client is the rightmost
//! `X-Forwarded-For` hop that is not itself a trusted proxy: each proxy
//! appends the address it saw, so everything left of the first untrusted
//! hop was written by someone we do not trust and is ignored. A request from
//! an untrusted peer is that peer, whatever headers it sends.
//!
//! Owns: parsing the trusted list and choosing the address. Must never:
//! believe a header from an untrusted peer, or take `Forwarded`/`X-Real-IP`
//! (one header, one rule).

use std::net::{IpAddr, SocketAddr};

use ipnet::IpNet;

/// The proxies whose `X-Forwarded-For` is believed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// `list`: addresses or CIDRs separated by commas, semicolons or spaces.
    pub fn parse(list: &str) -> Result<Self, String> {
        list.split([',', ';', ' ', '\n'])
            .filter(|s| !s.is_empty())
            .map(|entry| {
                entry
                    .parse::<IpNet>()
                    .or_else(|_| entry.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| format!("{entry:?} is not an IP address or CIDR"))
            })
            .collect::<Result<_, _>>()
            .map(Self)
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.0.iter().any(|net| net.contains(&ip))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// IPv4-mapped IPv6 (`::ffff:a.b.c.d`, what a dual-stack socket reports) as IPv4.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// One `X-Forwarded-For` hop: an address, possibly with a port.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim();
    hop.parse::<IpAddr>()
        .or_else(|_| hop.parse::<SocketAddr>().map(|s| s.ip()))
        .ok()
        .map(canonical)
}

/// The client's address: `peer` unless it is a trusted proxy, else the
/// rightmost hop of `forwarded_for` (the header values in order) that is not
/// a trusted proxy. A hop that is not an address stops the walk at the
/// trusted hop to its right (only a trusted proxy's own client could have
/// written it); when every hop is trusted, the leftmost one is the client.
pub fn client_addr<'a>(
    peer: Option<IpAddr>,
    forwarded_for: impl Iterator<Item = &'a str>,
    trusted: &TrustedProxies,
) -> Option<IpAddr> {
    let peer = canonical(peer?);
    if !trusted.contains(peer) {
        return Some(peer);
    }
    let hops: Vec<&str> = forwarded_for.flat_map(|v| v.split(',')).collect();
    let mut client = peer;
    for hop in hops.iter().rev() {
        let Some(ip) = parse_hop(hop) else {
            return Some(client);
        };
        client = ip;
        if !trusted.contains(ip) {
            return Some(ip);
        }
    }
    Some(client)
}

/// The key per-source limits count under: the address, an IPv6 address as
/// its /64 (one subscriber usually holds a whole /64, so counting single
/// IPv6 addresses would hand an attacker 2^64 fresh sources).
pub fn source_key(ip: IpAddr) -> String {
    match canonical(ip) {
        IpAddr::V6(v6) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
        v4 => v4.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap_or(IpAddr::from([0, 0, 0, 0]))
    }

    fn trusted() -> TrustedProxies {
        TrustedProxies::parse("10.0.0.0/8, 192.168.1.5").unwrap_or_default()
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_sends() {
        let got = client_addr(Some(ip("203.0.113.9")), ["1.2.3.4"].into_iter(), &trusted());
        assert_eq!(got, Some(ip("203.0.113.9")));
        let none = TrustedProxies::default();
        assert_eq!(
            client_addr(Some(ip("10.0.0.1")), ["1.2.3.4"].into_iter(), &none),
            Some(ip("10.0.0.1"))
        );
    }

    #[test]
    fn a_trusted_peer_names_the_rightmost_untrusted_hop() {
        let t = trusted();
        let got = client_addr(
            Some(ip("10.0.0.1")),
            ["6.6.6.6, 198.51.100.7", "192.168.1.5"].into_iter(),
            &t,
        );
        assert_eq!(got, Some(ip("198.51.100.7")));
        // No header: the proxy itself.
        assert_eq!(
            client_addr(Some(ip("10.0.0.1")), std::iter::empty(), &t),
            Some(ip("10.0.0.1"))
        );
        // Only trusted hops: the leftmost.
        assert_eq!(
            client_addr(Some(ip("10.0.0.1")), ["10.1.1.1, 10.2.2.2"].into_iter(), &t),
            Some(ip("10.1.1.1"))
        );
        // Garbage stops at the trusted hop to its right; ports are dropped.
        assert_eq!(
            client_addr(Some(ip("10.0.0.1")), ["evil, 10.3.3.3"].into_iter(), &t),
            Some(ip("10.3.3.3"))
        );
        assert_eq!(
            client_addr(Some(ip("10.0.0.1")), ["198.51.100.7:4711"].into_iter(), &t),
            Some(ip("198.51.100.7"))
        );
    }

    #[test]
    fn lists_parse_addresses_and_cidrs_and_refuse_the_rest() {
        let t = TrustedProxies::parse("127.0.0.1;::1 fd00::/8").unwrap_or_default();
        assert!(t.contains(ip("127.0.0.1")));
        assert!(t.contains(ip("::ffff:127.0.0.1")));
        assert!(t.contains(ip("fd12::1")));
        assert!(!t.contains(ip("127.0.0.2")));
        assert!(TrustedProxies::parse("localhost").is_err());
        assert!(TrustedProxies::parse("").is_ok_and(|t| t.is_empty()));
    }

    #[test]
    fn ipv6_sources_count_per_64() {
        assert_eq!(source_key(ip("2001:db8:1:2:aa::1")), "2001:db8:1:2::/64");
        assert_eq!(source_key(ip("::ffff:198.51.100.7")), "198.51.100.7");
    }
}
