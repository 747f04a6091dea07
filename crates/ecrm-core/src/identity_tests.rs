use proptest::prelude::*;

use super::*;

fn user(value: &str) -> Identifier {
    Identifier {
        kind: IdentifierKind::UserId,
        value: value.to_string(),
    }
}

fn email(value: &str) -> Identifier {
    Identifier {
        kind: IdentifierKind::Email,
        value: value.to_string(),
    }
}

fn anon(value: &str) -> Identifier {
    Identifier {
        kind: IdentifierKind::AnonymousId,
        value: value.to_string(),
    }
}

#[test]
fn co_occurring_identifiers_form_one_customer_named_by_the_user_id() {
    let links = vec![
        Link::new(anon("dev1"), email("ann@x.io")),
        Link::new(email("ann@x.io"), user("u1")),
    ];
    let result = cluster(&[], &links, &[], &IdentityLimits::standard());
    assert_eq!(result.clusters.len(), 1);
    assert_eq!(result.clusters[0].customer_id, "u1");
    assert!(result.refused.is_empty());
}

#[test]
fn two_user_ids_never_merge() {
    let links = vec![
        Link::new(user("u1"), email("shared@x.io")),
        Link::new(user("u2"), email("shared@x.io")),
    ];
    let result = cluster(&[], &links, &[], &IdentityLimits::standard());
    assert_eq!(result.clusters.len(), 2);
    assert_eq!(
        result.refused,
        vec![Link::new(user("u2"), email("shared@x.io"))]
    );
    assert!(
        result.clusters[0]
            .identifiers
            .contains(&email("shared@x.io"))
    );
}

#[test]
fn separations_undo_a_merge() {
    let links = vec![Link::new(user("u1"), anon("d"))];
    let separations = vec![Link::new(user("u1"), anon("d"))];
    let result = cluster(&[], &links, &separations, &IdentityLimits::standard());
    assert_eq!(result.clusters.len(), 2);
}

fn arbitrary_identifier() -> impl Strategy<Value = Identifier> {
    prop_oneof![
        (0u8..4).prop_map(|n| user(&format!("u{n}"))),
        (0u8..6).prop_map(|n| email(&format!("e{n}@x.io"))),
        (0u8..6).prop_map(|n| anon(&format!("a{n}"))),
    ]
}

fn arbitrary_links() -> impl Strategy<Value = Vec<Link>> {
    prop::collection::vec((arbitrary_identifier(), arbitrary_identifier()), 0..24).prop_map(
        |pairs| {
            pairs
                .into_iter()
                .filter(|(a, b)| a != b)
                .map(|(a, b)| Link::new(a, b))
                .collect()
        },
    )
}

fn tight_limits() -> IdentityLimits {
    let mut limits = IdentityLimits::standard();
    limits.max_per_kind.insert("email".to_string(), 2);
    limits
}

proptest! {
    #[test]
    fn clustering_is_order_independent(links in arbitrary_links(), seed in any::<u64>()) {
        let mut shuffled = links.clone();
        let len = shuffled.len();
        let mut state = seed;
        for idx in (1..len).rev() {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            shuffled.swap(idx, (state >> 33) as usize % (idx + 1));
        }
        let limits = tight_limits();
        prop_assert_eq!(cluster(&[], &links, &[], &limits).clusters, cluster(&[], &shuffled, &[], &limits).clusters);
    }

    #[test]
    fn every_cluster_respects_the_limits(links in arbitrary_links()) {
        let limits = tight_limits();
        for customer in cluster(&[], &links, &[], &limits).clusters {
            let members: Vec<&Identifier> = customer.identifiers.iter().collect();
            prop_assert!(limits.allows(&members));
            prop_assert_eq!(&customer.customer_id, &customer.identifiers[0].customer_id());
        }
    }

    #[test]
    fn every_identifier_belongs_to_exactly_one_customer(links in arbitrary_links()) {
        let result = cluster(&[], &links, &[], &tight_limits());
        let mut seen: Vec<&Identifier> = result.clusters.iter().flat_map(|c| &c.identifiers).collect();
        let total = seen.len();
        seen.sort();
        seen.dedup();
        prop_assert_eq!(total, seen.len());
        for link in &links {
            prop_assert!(seen.contains(&&link.a) && seen.contains(&&link.b));
        }
    }

    #[test]
    fn clustering_is_idempotent(links in arbitrary_links()) {
        let limits = tight_limits();
        let first = cluster(&[], &links, &[], &limits);
        let doubled: Vec<Link> = links.iter().chain(&links).cloned().collect();
        prop_assert_eq!(first.clusters, cluster(&[], &doubled, &[], &limits).clusters);
    }
}
