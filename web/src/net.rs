//! Addresses: CIDR ranges (`LIBREKAST_TRUSTED_PROXIES`), and who a request really comes from
//! and how (the peer, or a trusted proxy's `X-Forwarded-For` / `X-Forwarded-Proto`).

use std::net::{IpAddr, SocketAddr};

/// An address range such as `10.0.0.0/8`, `::1/128` or a single address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    addr: IpAddr,
    prefix: u8,
}

impl Cidr {
    pub fn parse(text: &str) -> Option<Cidr> {
        let text = text.trim();
        let (addr, prefix) = match text.split_once('/') {
            Some((a, p)) => (a.parse::<IpAddr>().ok()?, Some(p.parse::<u8>().ok()?)),
            None => (text.parse::<IpAddr>().ok()?, None),
        };
        let addr = canonical(addr);
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = prefix.unwrap_or(max);
        (prefix <= max).then_some(Cidr { addr, prefix })
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, canonical(ip)) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }

    /// The default trusted proxies: this machine only.
    pub fn loopback() -> Vec<Cidr> {
        ["127.0.0.0/8", "::1/128"]
            .iter()
            .filter_map(|c| Cidr::parse(c))
            .collect()
    }
}

/// `::ffff:1.2.3.4` is `1.2.3.4`: one client is one address whichever way the socket saw it.
pub fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// Where a request comes from, as far as this server can trust it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Remote {
    /// The client's address: the peer, or the address a trusted proxy forwarded for.
    pub ip: IpAddr,
    /// Whether the client used HTTPS (only a trusted proxy can say so).
    pub https: bool,
    /// Whether the peer is a trusted proxy (its `X-Forwarded-Host` then counts too).
    pub via_proxy: bool,
}

/// Reads `X-Forwarded-For` and `X-Forwarded-Proto` only when the peer is a trusted proxy;
/// the client is the rightmost address not itself a trusted proxy.
pub fn client_of(peer: SocketAddr, headers: &http::HeaderMap, trusted: &[Cidr]) -> Remote {
    let peer_ip = canonical(peer.ip());
    if !trusted.iter().any(|c| c.contains(peer_ip)) {
        return Remote {
            ip: peer_ip,
            https: false,
            via_proxy: false,
        };
    }
    let mut ip = peer_ip;
    let chain: Vec<IpAddr> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|a| a.trim().parse::<IpAddr>().ok())
        .map(canonical)
        .collect();
    for hop in chain.iter().rev() {
        ip = *hop;
        if !trusted.iter().any(|c| c.contains(*hop)) {
            break;
        }
    }
    let https = headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').next())
        .is_some_and(|p| p.trim().eq_ignore_ascii_case("https"));
    Remote {
        ip,
        https,
        via_proxy: true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidr_ranges() {
        let net = Cidr::parse("10.1.0.0/16").unwrap();
        assert!(net.contains("10.1.200.3".parse().unwrap()));
        assert!(!net.contains("10.2.0.1".parse().unwrap()));
        assert!(net.contains("::ffff:10.1.0.9".parse().unwrap()));
        assert!(Cidr::parse("::1").unwrap().contains("::1".parse().unwrap()));
        assert!(
            Cidr::parse("0.0.0.0/0")
                .unwrap()
                .contains("8.8.8.8".parse().unwrap())
        );
        assert_eq!(Cidr::parse("10.0.0.0/33"), None);
        assert_eq!(Cidr::parse("example.org"), None);
    }

    #[test]
    fn forwarded_headers_count_only_from_trusted_proxies() {
        let mut h = http::HeaderMap::new();
        h.insert("x-forwarded-for", "203.0.113.7, 10.0.0.2".parse().unwrap());
        h.insert("x-forwarded-proto", "https".parse().unwrap());
        let trusted = vec![
            Cidr::parse("127.0.0.1").unwrap(),
            Cidr::parse("10.0.0.0/8").unwrap(),
        ];
        let via = client_of("127.0.0.1:5000".parse().unwrap(), &h, &trusted);
        assert_eq!(via.ip, "203.0.113.7".parse::<IpAddr>().unwrap());
        assert!(via.https && via.via_proxy);
        // A stranger's headers are ignored: it is the client, over plain HTTP.
        let direct = client_of("198.51.100.1:5000".parse().unwrap(), &h, &trusted);
        assert_eq!(direct.ip, "198.51.100.1".parse::<IpAddr>().unwrap());
        assert!(!direct.https && !direct.via_proxy);
    }
}
