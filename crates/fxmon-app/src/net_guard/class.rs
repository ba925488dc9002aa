//! Which kind of address an IP is: public, or one of the special-purpose ranges a webhook
//! must not reach (IANA's IPv4 and IPv6 special-purpose registries, plus cloud metadata).

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The kind of an IP address, as far as reaching it from fxmon is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddressClass {
    /// Globally routable: a webhook may go there.
    Public,
    /// `127.0.0.0/8`, `::1`.
    Loopback,
    /// `10/8`, `172.16/12`, `192.168/16`, `fc00::/7`, and the deprecated `fec0::/10`.
    Private,
    /// `169.254/16`, `fe80::/10`.
    LinkLocal,
    /// A cloud provider's instance metadata or platform endpoint.
    Metadata,
    /// `0.0.0.0/8` ("this network"; Linux connects `0.0.0.0` to the local host), `::`.
    Unspecified,
    /// `100.64/10`, carrier-grade NAT (RFC 6598).
    Shared,
    /// `224/4`, `ff00::/8`.
    Multicast,
    /// `255.255.255.255`.
    Broadcast,
    /// `192.0.2/24`, `198.51.100/24`, `203.0.113/24`, `2001:db8::/32`, `3fff::/20`.
    Documentation,
    /// `198.18/15`, `2001:2::/48`.
    Benchmarking,
    /// Any other special-purpose or unallocated range (`240/4`, `2001::/23`, outside
    /// `2000::/3`, ...).
    Reserved,
}

impl AddressClass {
    /// Whether a webhook may reach it without `--webhook-allow-private`.
    pub fn is_public(self) -> bool {
        self == Self::Public
    }
}

impl fmt::Display for AddressClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Public => "a public address",
            Self::Loopback => "a loopback address",
            Self::Private => "a private address",
            Self::LinkLocal => "a link-local address",
            Self::Metadata => "a cloud metadata address",
            Self::Unspecified => "an unspecified address",
            Self::Shared => "a shared (carrier-grade NAT) address",
            Self::Multicast => "a multicast address",
            Self::Broadcast => "the broadcast address",
            Self::Documentation => "a documentation address",
            Self::Benchmarking => "a benchmarking address",
            Self::Reserved => "a reserved address",
        })
    }
}

/// The class of `ip`. An IPv6 address that embeds an IPv4 one (IPv4-mapped, -compatible,
/// -translated, NAT64 `64:ff9b::/96`, 6to4) is the class of the IPv4 address it reaches.
pub fn classify(ip: IpAddr) -> AddressClass {
    match ip {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => classify_v6(v6),
    }
}

use AddressClass::*;

/// First match wins: the single metadata addresses sit inside wider ranges.
const V4_RANGES: [(Ipv4Addr, u8, AddressClass); 20] = [
    // AWS, GCP, Azure, OpenStack, DigitalOcean...
    (Ipv4Addr::new(169, 254, 169, 254), 32, Metadata),
    // Alibaba Cloud.
    (Ipv4Addr::new(100, 100, 100, 200), 32, Metadata),
    // Oracle Cloud.
    (Ipv4Addr::new(192, 0, 0, 192), 32, Metadata),
    // Azure's platform endpoint (WireServer): a public address reachable only from Azure.
    (Ipv4Addr::new(168, 63, 129, 16), 32, Metadata),
    (Ipv4Addr::BROADCAST, 32, Broadcast),
    (Ipv4Addr::new(0, 0, 0, 0), 8, Unspecified),
    (Ipv4Addr::new(10, 0, 0, 0), 8, Private),
    (Ipv4Addr::new(100, 64, 0, 0), 10, Shared),
    (Ipv4Addr::new(127, 0, 0, 0), 8, Loopback),
    (Ipv4Addr::new(169, 254, 0, 0), 16, LinkLocal),
    (Ipv4Addr::new(172, 16, 0, 0), 12, Private),
    (Ipv4Addr::new(192, 0, 0, 0), 24, Reserved),
    (Ipv4Addr::new(192, 0, 2, 0), 24, Documentation),
    (Ipv4Addr::new(192, 88, 99, 0), 24, Reserved),
    (Ipv4Addr::new(192, 168, 0, 0), 16, Private),
    (Ipv4Addr::new(198, 18, 0, 0), 15, Benchmarking),
    (Ipv4Addr::new(198, 51, 100, 0), 24, Documentation),
    (Ipv4Addr::new(203, 0, 113, 0), 24, Documentation),
    (Ipv4Addr::new(224, 0, 0, 0), 4, Multicast),
    (Ipv4Addr::new(240, 0, 0, 0), 4, Reserved),
];

const V6_RANGES: [(Ipv6Addr, u8, AddressClass); 14] = [
    (Ipv6Addr::UNSPECIFIED, 128, Unspecified),
    (Ipv6Addr::LOCALHOST, 128, Loopback),
    // AWS's IPv6 instance metadata.
    (
        Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254),
        128,
        Metadata,
    ),
    // Local-use NAT64 (RFC 8215): translates to whatever the operator chose.
    (Ipv6Addr::new(0x64, 0xff9b, 1, 0, 0, 0, 0, 0), 48, Reserved),
    // Discard-only (RFC 6666).
    (Ipv6Addr::new(0x100, 0, 0, 0, 0, 0, 0, 0), 64, Reserved),
    (Ipv6Addr::new(0x2001, 2, 0, 0, 0, 0, 0, 0), 48, Benchmarking),
    // IETF protocol assignments, Teredo included (its IPv4 address is obfuscated).
    (Ipv6Addr::new(0x2001, 0, 0, 0, 0, 0, 0, 0), 23, Reserved),
    (
        Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0),
        32,
        Documentation,
    ),
    (
        Ipv6Addr::new(0x3fff, 0, 0, 0, 0, 0, 0, 0),
        20,
        Documentation,
    ),
    // Segment-routing SIDs (RFC 9602).
    (Ipv6Addr::new(0x5f00, 0, 0, 0, 0, 0, 0, 0), 16, Reserved),
    (Ipv6Addr::new(0xfc00, 0, 0, 0, 0, 0, 0, 0), 7, Private),
    (Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 0), 10, LinkLocal),
    (Ipv6Addr::new(0xfec0, 0, 0, 0, 0, 0, 0, 0), 10, Private),
    (Ipv6Addr::new(0xff00, 0, 0, 0, 0, 0, 0, 0), 8, Multicast),
];

fn classify_v4(ip: Ipv4Addr) -> AddressClass {
    let bits = u32::from(ip);
    V4_RANGES
        .iter()
        .find(|(net, len, _)| prefix_v4(bits, *len) == prefix_v4(u32::from(*net), *len))
        .map_or(Public, |(_, _, class)| *class)
}

fn classify_v6(ip: Ipv6Addr) -> AddressClass {
    if let Some(v4) = embedded_v4(ip) {
        return classify_v4(v4);
    }
    let bits = u128::from(ip);
    let special = V6_RANGES
        .iter()
        .find(|(net, len, _)| prefix_v6(bits, *len) == prefix_v6(u128::from(*net), *len));
    match special {
        Some((_, _, class)) => *class,
        // Only 2000::/3 is allocated for global unicast.
        None if ip.segments()[0] & 0xe000 != 0x2000 => Reserved,
        None => Public,
    }
}

/// The IPv4 address an IPv6 one stands for, when it embeds one that a connection to it
/// would reach (or that a check on it must see through).
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = ip.segments();
    let low = Ipv4Addr::from((u32::from(s[6]) << 16) | u32::from(s[7]));
    match s {
        // IPv4-mapped ::ffff:a.b.c.d, and IPv4-translated ::ffff:0:a.b.c.d (RFC 2765).
        [0, 0, 0, 0, 0, 0xffff, _, _] | [0, 0, 0, 0, 0xffff, 0, _, _] => Some(low),
        // IPv4-compatible ::a.b.c.d (deprecated); `::` and `::1` are IPv6's own.
        [0, 0, 0, 0, 0, 0, _, _] if u128::from(ip) > 1 => Some(low),
        // NAT64's well-known prefix (RFC 6052).
        [0x64, 0xff9b, 0, 0, 0, 0, _, _] => Some(low),
        // 6to4 (RFC 3056): 2002:AABB:CCDD::/48 tunnels to AA.BB.CC.DD.
        [0x2002, high, low16, ..] => {
            Some(Ipv4Addr::from((u32::from(high) << 16) | u32::from(low16)))
        }
        _ => None,
    }
}

fn prefix_v4(bits: u32, len: u8) -> u32 {
    bits.checked_shr(32 - u32::from(len)).unwrap_or(0)
}

fn prefix_v6(bits: u128, len: u8) -> u128 {
    bits.checked_shr(128 - u32::from(len)).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn class(ip: &str) -> AddressClass {
        classify(ip.parse().unwrap())
    }

    fn assert_table(table: &[(&str, AddressClass)]) {
        for (ip, expected) in table {
            assert_eq!(class(ip), *expected, "{ip}");
        }
    }

    #[test]
    fn ipv4_special_ranges_are_classified_at_their_edges() {
        assert_table(&[
            ("127.0.0.1", Loopback),
            ("127.255.255.254", Loopback),
            ("10.0.0.0", Private),
            ("10.255.255.255", Private),
            ("172.16.0.1", Private),
            ("172.31.255.255", Private),
            ("192.168.0.1", Private),
            ("192.168.255.255", Private),
            ("169.254.0.1", LinkLocal),
            ("169.254.255.255", LinkLocal),
            ("0.0.0.0", Unspecified),
            ("0.1.2.3", Unspecified),
            ("100.64.0.0", Shared),
            ("100.127.255.255", Shared),
            ("224.0.0.1", Multicast),
            ("239.255.255.255", Multicast),
            ("255.255.255.255", Broadcast),
            ("240.0.0.1", Reserved),
            ("192.0.0.8", Reserved),
            ("192.88.99.1", Reserved),
            ("192.0.2.1", Documentation),
            ("198.51.100.7", Documentation),
            ("203.0.113.255", Documentation),
            ("198.18.0.1", Benchmarking),
            ("198.19.255.255", Benchmarking),
        ]);
    }

    #[test]
    fn cloud_metadata_addresses_are_named_as_such() {
        assert_table(&[
            ("169.254.169.254", Metadata),
            ("100.100.100.200", Metadata),
            ("192.0.0.192", Metadata),
            ("168.63.129.16", Metadata),
            ("fd00:ec2::254", Metadata),
            ("::ffff:169.254.169.254", Metadata),
        ]);
    }

    #[test]
    fn addresses_just_outside_the_ranges_are_public() {
        assert_table(&[
            ("1.1.1.1", Public),
            ("8.8.8.8", Public),
            ("9.255.255.255", Public),
            ("11.0.0.0", Public),
            ("100.63.255.255", Public),
            ("100.128.0.0", Public),
            ("126.255.255.255", Public),
            ("128.0.0.0", Public),
            ("169.253.255.255", Public),
            ("169.255.0.0", Public),
            ("172.15.255.255", Public),
            ("172.32.0.0", Public),
            ("192.167.255.255", Public),
            ("192.169.0.0", Public),
            ("198.17.255.255", Public),
            ("198.20.0.0", Public),
            ("223.255.255.255", Public),
            ("93.184.216.34", Public),
            ("2606:4700:4700::1111", Public),
            ("2a00:1450:4001:80b::200e", Public),
            ("2001:200::1", Public),
        ]);
    }

    #[test]
    fn ipv6_special_ranges_are_classified() {
        assert_table(&[
            ("::", Unspecified),
            ("::1", Loopback),
            ("fc00::1", Private),
            ("fd12:3456:789a::1", Private),
            ("fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", Private),
            ("fec0::1", Private),
            ("fe80::1", LinkLocal),
            ("febf:ffff::1", LinkLocal),
            ("ff02::1", Multicast),
            ("ff0e::101", Multicast),
            ("2001:db8::1", Documentation),
            ("3fff::1", Documentation),
            ("2001:2::1", Benchmarking),
            ("2001::1", Reserved),
            ("2001:1ff::1", Reserved),
            ("100::1", Reserved),
            ("64:ff9b:1::a00:1", Reserved),
            ("5f00::1", Reserved),
            ("4000::1", Reserved),
            ("e000::1", Reserved),
        ]);
    }

    #[test]
    fn ipv6_addresses_embedding_ipv4_take_the_ipv4_class() {
        assert_table(&[
            ("::ffff:127.0.0.1", Loopback),
            ("::ffff:10.0.0.1", Private),
            ("::ffff:192.168.1.1", Private),
            ("::ffff:0.0.0.0", Unspecified),
            ("::ffff:8.8.8.8", Public),
            ("::127.0.0.1", Loopback),
            ("::10.0.0.1", Private),
            ("::8.8.8.8", Public),
            ("::ffff:0:127.0.0.1", Loopback),
            ("64:ff9b::127.0.0.1", Loopback),
            ("64:ff9b::10.1.2.3", Private),
            ("64:ff9b::169.254.169.254", Metadata),
            ("64:ff9b::8.8.8.8", Public),
            ("2002:7f00:1::1", Loopback),
            ("2002:a9fe:a9fe::", Metadata),
            ("2002:808:808::1", Public),
        ]);
    }

    #[test]
    fn only_public_is_public_and_every_class_reads_as_a_phrase() {
        assert!(Public.is_public());
        for class in [
            Loopback,
            Private,
            LinkLocal,
            Metadata,
            Unspecified,
            Shared,
            Multicast,
            Broadcast,
            Documentation,
            Benchmarking,
            Reserved,
        ] {
            assert!(!class.is_public(), "{class:?}");
            let phrase = class.to_string();
            assert!(
                phrase.starts_with("a ") || phrase.starts_with("an ") || phrase.starts_with("the "),
                "{phrase}"
            );
        }
    }
}
