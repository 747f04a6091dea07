//! The identity graph's merge rules.
//!
//! Identifiers that occur together (in one order row, one `identify` call, one `alias`) are *linked*.
//! Customers are the clusters that [`cluster`] builds from the links: links are taken in canonical
//! order and each is applied unless it would break a [`IdentityLimits`] rule or an explicit
//! separation (an undone merge). Because the order is canonical, the same links in any arrival order
//! give the same customers, and a customer's id is its smallest identifier ([`Identifier::customer_id`]).

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use crate::{Identifier, IdentifierKind};

/// Limits that block bad merges.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdentityLimits {
    /// Most identifiers of one kind a customer may have; kinds not listed are unlimited.
    /// `user_id = 1` means two different user ids never merge.
    pub max_per_kind: BTreeMap<String, usize>,
}

impl IdentityLimits {
    /// The documented defaults: 1 user id, 5 emails, 5 phones, 1 id per external source, 100 anonymous ids.
    pub fn standard() -> IdentityLimits {
        let mut max_per_kind = BTreeMap::new();
        max_per_kind.insert("user_id".to_string(), 1);
        max_per_kind.insert("email".to_string(), 5);
        max_per_kind.insert("phone".to_string(), 5);
        max_per_kind.insert("anonymous_id".to_string(), 100);
        max_per_kind.insert("ext.*".to_string(), 1);
        IdentityLimits { max_per_kind }
    }

    /// The limit for a kind (external kinds fall back to `ext.*`).
    pub fn limit_for(&self, kind: &IdentifierKind) -> usize {
        let name = kind.as_str();
        if let Some(limit) = self.max_per_kind.get(name.as_ref()) {
            return *limit;
        }
        if matches!(kind, IdentifierKind::External(_))
            && let Some(limit) = self.max_per_kind.get("ext.*")
        {
            return *limit;
        }
        usize::MAX
    }

    /// Whether one customer may hold all of `identifiers`.
    pub fn allows(&self, identifiers: &[&Identifier]) -> bool {
        let mut counts: HashMap<&IdentifierKind, usize> = HashMap::new();
        for identifier in identifiers {
            *counts.entry(&identifier.kind).or_default() += 1;
        }
        counts
            .iter()
            .all(|(kind, count)| *count <= self.limit_for(kind))
    }
}

/// Two identifiers seen together, or (as a separation) two that must stay apart.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Link {
    pub a: Identifier,
    pub b: Identifier,
}

impl Link {
    /// A link with its ends in canonical order (so `Link::new(x, y) == Link::new(y, x)`).
    pub fn new(x: Identifier, y: Identifier) -> Link {
        if x <= y {
            Link { a: x, b: y }
        } else {
            Link { a: y, b: x }
        }
    }
}

/// One customer: its id and its identifiers in canonical order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cluster {
    pub customer_id: String,
    pub identifiers: Vec<Identifier>,
}

/// The result of clustering: customers and the links that the rules refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clustering {
    pub clusters: Vec<Cluster>,
    pub refused: Vec<Link>,
}

/// Builds customers from identifiers, links and separations. Deterministic: the output depends only
/// on the sets given, not on their order. Clusters come sorted by customer id.
pub fn cluster(
    identifiers: &[Identifier],
    links: &[Link],
    separations: &[Link],
    limits: &IdentityLimits,
) -> Clustering {
    let mut nodes: Vec<Identifier> = identifiers.to_vec();
    for link in links.iter().chain(separations) {
        nodes.push(link.a.clone());
        nodes.push(link.b.clone());
    }
    nodes.sort();
    nodes.dedup();
    let index: HashMap<&Identifier, usize> = nodes
        .iter()
        .enumerate()
        .map(|(idx, id)| (id, idx))
        .collect();

    let mut sorted_links: Vec<&Link> = links.iter().collect();
    sorted_links.sort();
    sorted_links.dedup();
    let separated: Vec<(usize, usize)> = separations
        .iter()
        .map(|s| (index[&s.a], index[&s.b]))
        .collect();

    let mut forest = Forest::new(&nodes);
    let mut refused = Vec::new();
    for link in sorted_links {
        let (root_a, root_b) = (forest.find(index[&link.a]), forest.find(index[&link.b]));
        if root_a == root_b {
            continue;
        }
        let within_limits = forest.union_respects(root_a, root_b, &nodes, limits);
        let keeps_separations = separated.iter().all(|(x, y)| {
            let (rx, ry) = (forest.find(*x), forest.find(*y));
            !((rx == root_a && ry == root_b) || (rx == root_b && ry == root_a))
        });
        if within_limits && keeps_separations {
            forest.union(root_a, root_b);
        } else {
            refused.push(link.clone());
        }
    }

    let mut groups: BTreeMap<usize, Vec<Identifier>> = BTreeMap::new();
    for (idx, node) in nodes.iter().enumerate() {
        groups
            .entry(forest.find(idx))
            .or_default()
            .push(node.clone());
    }
    let mut clusters: Vec<Cluster> = groups
        .into_values()
        .map(|members| Cluster {
            customer_id: members[0].customer_id(),
            identifiers: members,
        })
        .collect();
    clusters.sort_by(|x, y| x.customer_id.as_bytes().cmp(y.customer_id.as_bytes()));
    Clustering { clusters, refused }
}

/// Union-find with per-root member lists (members are kept sorted: nodes are visited in order).
struct Forest {
    parent: Vec<usize>,
    members: Vec<Vec<usize>>,
}

impl Forest {
    fn new(nodes: &[Identifier]) -> Forest {
        Forest {
            parent: (0..nodes.len()).collect(),
            members: (0..nodes.len()).map(|idx| vec![idx]).collect(),
        }
    }

    fn find(&mut self, mut idx: usize) -> usize {
        while self.parent[idx] != idx {
            self.parent[idx] = self.parent[self.parent[idx]];
            idx = self.parent[idx];
        }
        idx
    }

    fn union_respects(
        &self,
        root_a: usize,
        root_b: usize,
        nodes: &[Identifier],
        limits: &IdentityLimits,
    ) -> bool {
        let combined: Vec<&Identifier> = self.members[root_a]
            .iter()
            .chain(&self.members[root_b])
            .map(|idx| &nodes[*idx])
            .collect();
        limits.allows(&combined)
    }

    fn union(&mut self, root_a: usize, root_b: usize) {
        let (keep, gone) = if root_a < root_b {
            (root_a, root_b)
        } else {
            (root_b, root_a)
        };
        self.parent[gone] = keep;
        let moved = std::mem::take(&mut self.members[gone]);
        self.members[keep].extend(moved);
    }
}

#[cfg(test)]
#[path = "identity_tests.rs"]
mod tests;
