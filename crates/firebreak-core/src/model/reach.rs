//! Which ingress rules admit the whole internet. Not only a literal `0.0.0.0/0` or `::/0`: a
//! rule through a prefix list that holds it, or rules whose ranges together cover every
//! address (`0.0.0.0/1` + `128.0.0.0/1`), admit it as surely. Judged by the addresses covered.

use std::collections::BTreeMap;

use ipnet::{IpNet, Ipv4Net, Ipv6Net};

/// One ingress rule as read: what it admits (its protocol and ports) and from where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Admission {
    pub group_id: String,
    /// `tcp`, `udp`, `icmp`, or `-1` for all traffic.
    pub protocol: String,
    pub from_port: Option<i32>,
    pub to_port: Option<i32>,
    /// The source as written: a CIDR, or a prefix list id (`pl-…`).
    pub source: String,
    /// The CIDRs the source stands for (itself, or the prefix list's entries); `None` when a
    /// prefix list could not be read.
    pub ranges: Option<Vec<String>>,
}

/// Why a rule admits the internet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Open {
    /// `0.0.0.0/0` or `::/0`: which internet.
    pub internet: &'static str,
    /// How, when it is not the rule's own literal range: the prefix list holds it, or the
    /// rule is one of several that together cover it.
    pub how: Option<String>,
}

const IPV4_ALL: &str = "0.0.0.0/0";
const IPV6_ALL: &str = "::/0";

/// Ranges no one on the internet comes from: a rule that admits only these is no part of
/// what opens a port to the world.
const UNROUTED: [&str; 8] = [
    "10.0.0.0/8",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "100.64.0.0/10",
    "127.0.0.0/8",
    "169.254.0.0/16",
    "fc00::/7",
    "fe80::/10",
];

/// The rules (by index into `rules`) that admit the whole internet, each with why. Rules are
/// judged together per security group, protocol and ports: what they admit between them.
pub fn world_open(rules: &[Admission]) -> BTreeMap<usize, Open> {
    // Rules of one group admitting one protocol and port range: (group, protocol, from, to).
    type Admitted<'a> = (&'a str, &'a str, Option<i32>, Option<i32>);
    let mut together: BTreeMap<Admitted, Vec<usize>> = BTreeMap::new();
    for (index, rule) in rules.iter().enumerate() {
        together
            .entry((
                rule.group_id.as_str(),
                rule.protocol.as_str(),
                rule.from_port,
                rule.to_port,
            ))
            .or_default()
            .push(index);
    }
    let mut open = BTreeMap::new();
    for indices in together.values() {
        let nets = |index: &usize| -> Vec<IpNet> {
            rules[*index]
                .ranges
                .iter()
                .flatten()
                .filter_map(|r| r.parse().ok())
                .collect()
        };
        let v4: Vec<Ipv4Net> = indices
            .iter()
            .flat_map(nets)
            .filter_map(|n| match n {
                IpNet::V4(n) => Some(n),
                IpNet::V6(_) => None,
            })
            .collect();
        let v6: Vec<Ipv6Net> = indices
            .iter()
            .flat_map(nets)
            .filter_map(|n| match n {
                IpNet::V6(n) => Some(n),
                IpNet::V4(_) => None,
            })
            .collect();
        let whole_v4 = Ipv4Net::aggregate(&v4).iter().any(|n| n.prefix_len() == 0);
        let whole_v6 = Ipv6Net::aggregate(&v6).iter().any(|n| n.prefix_len() == 0);
        for (internet, whole) in [(IPV4_ALL, whole_v4), (IPV6_ALL, whole_v6)] {
            if !whole {
                continue;
            }
            // The rules that bring internet addresses of this family into the cover.
            let part: Vec<usize> = indices
                .iter()
                .copied()
                .filter(|index| {
                    nets(index)
                        .iter()
                        .any(|n| same_family(n, internet) && routed(n))
                })
                .collect();
            for &index in &part {
                let rule = &rules[index];
                let how = if rule.source == internet {
                    None
                } else if rule.source.starts_with("pl-") {
                    Some(format!("prefix list {} holds {internet}", rule.source))
                } else if part.len() > 1 {
                    let others: Vec<&str> = part
                        .iter()
                        .filter(|&&other| other != index)
                        .map(|&other| rules[other].source.as_str())
                        .collect();
                    Some(format!("with {} it covers {internet}", others.join(", ")))
                } else {
                    Some(format!("covers {internet}"))
                };
                open.entry(index).or_insert(Open { internet, how });
            }
        }
    }
    open
}

fn same_family(net: &IpNet, internet: &str) -> bool {
    matches!(net, IpNet::V4(_)) == (internet == IPV4_ALL)
}

/// Whether `net` holds any address outside the unrouted ranges.
fn routed(net: &IpNet) -> bool {
    !UNROUTED
        .iter()
        .filter_map(|r| r.parse::<IpNet>().ok())
        .any(|private| private.contains(net))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(group: &str, port: i32, source: &str, ranges: Option<&[&str]>) -> Admission {
        Admission {
            group_id: group.into(),
            protocol: "tcp".into(),
            from_port: Some(port),
            to_port: Some(port),
            source: source.into(),
            ranges: ranges.map(|r| r.iter().map(|s| s.to_string()).collect()),
        }
    }

    fn own(group: &str, port: i32, cidr: &str) -> Admission {
        rule(group, port, cidr, Some(&[cidr]))
    }

    #[test]
    fn split_ranges_and_prefix_lists_admit_the_internet_like_the_literal() {
        let rules = [
            own("sg-a", 22, "0.0.0.0/0"),
            // Two halves of the internet on one port.
            own("sg-b", 22, "0.0.0.0/1"),
            own("sg-b", 22, "128.0.0.0/1"),
            // A private range beside them is no part of it.
            own("sg-b", 22, "10.0.0.0/8"),
            // A prefix list that holds everything, and one that holds an office.
            rule(
                "sg-c",
                443,
                "pl-world",
                Some(&["0.0.0.0/0", "203.0.113.0/24"]),
            ),
            rule("sg-c", 3389, "pl-office", Some(&["203.0.113.0/24"])),
            // Half the internet on one port, the other half on another: neither is whole.
            own("sg-d", 80, "0.0.0.0/1"),
            own("sg-d", 8080, "128.0.0.0/1"),
            own("sg-e", 22, "::/0"),
            // A prefix list that could not be read judges as nothing.
            rule("sg-f", 22, "pl-unread", None),
            // The whole internet written with host bits: it covers it on its own.
            own("sg-g", 22, "1.2.3.4/0"),
            // An IPv6 range beside the IPv4 internet is no part of that.
            own("sg-h", 22, "0.0.0.0/0"),
            own("sg-h", 22, "2001:db8::/32"),
        ];
        let open = world_open(&rules);
        let seen: Vec<(usize, &str, Option<&str>)> = open
            .iter()
            .map(|(i, o)| (*i, o.internet, o.how.as_deref()))
            .collect();
        assert_eq!(
            seen,
            [
                (0, "0.0.0.0/0", None),
                (1, "0.0.0.0/0", Some("with 128.0.0.0/1 it covers 0.0.0.0/0")),
                (2, "0.0.0.0/0", Some("with 0.0.0.0/1 it covers 0.0.0.0/0")),
                (4, "0.0.0.0/0", Some("prefix list pl-world holds 0.0.0.0/0")),
                (8, "::/0", None),
                (10, "0.0.0.0/0", Some("covers 0.0.0.0/0")),
                (11, "0.0.0.0/0", None),
            ]
        );
    }

    #[test]
    fn many_small_ranges_that_cover_everything_are_open_and_one_gap_is_not() {
        // 0.0.0.0/0 as 256 /8s, every one routed or not.
        let all: Vec<Admission> = (0..=255)
            .map(|octet| own("sg-a", 22, &format!("{octet}.0.0.0/8")))
            .collect();
        let open = world_open(&all);
        assert!(open.contains_key(&0) && open.contains_key(&255));
        assert!(
            !open.contains_key(&10),
            "10.0.0.0/8 admits no one from the internet"
        );
        let gap: Vec<Admission> = all[1..].to_vec();
        assert!(world_open(&gap).is_empty());
    }
}
