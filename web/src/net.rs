//! Addresses: CIDR ranges (`LIBREKAST_TRUSTED_PROXIES`), and who a request really comes from
//! and how (the peer, or a trusted proxy's `X-Forwarded-For` / `X-Forwarded-Proto`).

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};

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

type Counts = Arc<Mutex<HashMap<IpAddr, usize>>>;

/// Open connections per client address (`LIBREKAST_MAX_CONNECTIONS_PER_IP`). The address is
/// the peer's: behind a proxy every client shares the proxy's, so trusted proxies are not
/// counted (limit per address at the proxy).
#[derive(Clone)]
pub struct PerAddress {
    open: Counts,
    cap: usize,
    exempt: Vec<Cidr>,
}

/// One connection's place among its address's; dropping it frees the place.
pub struct AddressSlot {
    open: Counts,
    ip: IpAddr,
}

impl PerAddress {
    pub fn new(cap: usize, exempt: Vec<Cidr>) -> PerAddress {
        PerAddress {
            open: Arc::new(Mutex::new(HashMap::new())),
            cap,
            exempt,
        }
    }

    /// `Err(())` when the address already holds `cap` connections; `Ok(None)` for an exempt
    /// address.
    #[allow(clippy::result_unit_err)]
    pub fn take(&self, ip: IpAddr) -> Result<Option<AddressSlot>, ()> {
        let ip = canonical(ip);
        if self.exempt.iter().any(|c| c.contains(ip)) {
            return Ok(None);
        }
        let Ok(mut open) = self.open.lock() else {
            return Ok(None);
        };
        let n = open.entry(ip).or_insert(0);
        if *n >= self.cap {
            return Err(());
        }
        *n += 1;
        Ok(Some(AddressSlot {
            open: self.open.clone(),
            ip,
        }))
    }
}

impl Drop for AddressSlot {
    fn drop(&mut self) {
        if let Ok(mut open) = self.open.lock()
            && let Some(n) = open.get_mut(&self.ip)
        {
            *n -= 1;
            if *n == 0 {
                open.remove(&self.ip);
            }
        }
    }
}

/// A connection's [`AddressSlot`], handed through request extensions so a WebSocket upgrade
/// can take it over from the HTTP connection it came from.
#[derive(Clone)]
pub struct HeldSlot(Arc<Mutex<Option<AddressSlot>>>);

impl HeldSlot {
    pub fn new(slot: Option<AddressSlot>) -> HeldSlot {
        HeldSlot(Arc::new(Mutex::new(slot)))
    }

    pub fn take(&self) -> Option<AddressSlot> {
        self.0.lock().ok().and_then(|mut s| s.take())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_address_cap() {
        let per = PerAddress::new(2, Cidr::loopback());
        let ip: IpAddr = "203.0.113.1".parse().unwrap();
        let a = per.take(ip).unwrap();
        let b = per.take(ip).unwrap();
        assert!(per.take(ip).is_err());
        assert!(per.take("203.0.113.2".parse().unwrap()).is_ok());
        assert!(
            matches!(per.take("127.0.0.1".parse().unwrap()), Ok(None)),
            "exempt"
        );
        let held = HeldSlot::new(a);
        let moved = held.take();
        drop(held);
        assert!(per.take(ip).is_err(), "the slot moved, it was not freed");
        drop((moved, b));
        assert!(per.take(ip).is_ok());
    }

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
