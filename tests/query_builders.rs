//! The typed builders and the query IR, as specifications: what each access
//! pattern asks for, what it selects, and how bad input is rejected.

use blue_schema::limits::LimitError;
use blue_schema::query::{Order, QueryError, SortKeyCondition};
use blue_schema::{Entity, Error, IntoQuery, Query, Table};
use blue_schema_examples::dialogue::*;

const D: &str = "nvidia-dec";

fn sk<E>(key: blue_schema::Key<E>) -> String {
    key.sort_key().to_owned()
}

#[test]
fn a_component_never_matches_a_longer_value() {
    let muf = Expert::query(D).name("muf").into_query();
    assert!(muf.spec().selects(&sk(Expert::key(D, "muf"))));
    assert!(!muf.spec().selects(&sk(Expert::key(D, "muffin"))));

    let round0_muf = Perspective::query(D).round(0).expert("muf").into_query();
    assert_eq!(
        round0_muf.spec().sort_key,
        Some(SortKeyCondition::BeginsWith("PERSP#0000000000#muf#".into()))
    );
    assert!(round0_muf
        .spec()
        .selects(&sk(Perspective::key(D, 0, "muf", 3))));
    assert!(!round0_muf
        .spec()
        .selects(&sk(Perspective::key(D, 0, "muffin", 3))));
}

#[test]
fn starts_with_is_the_explicit_way_to_match_a_partial_string() {
    let q = Perspective::query(D).round(0).expert_starts_with("muf");
    assert!(q.spec().selects(&sk(Perspective::key(D, 0, "muffin", 1))));
    assert!(q.spec().selects(&sk(Perspective::key(D, 0, "muf", 1))));
    assert!(!q.spec().selects(&sk(Perspective::key(D, 0, "mu", 1))));
    assert!(!q.spec().selects(&sk(Perspective::key(D, 1, "muffin", 1))));
}

#[test]
fn a_value_cannot_forge_a_delimiter_or_another_entitys_key() {
    // The value of one component tries to add a component of its own.
    let forged = Expert::key(D, "muffin#0000000001");
    assert_eq!(forged.sort_key(), "EXPERT#muffin%230000000001");
    // A tension id that spells out an event key stays a tension key.
    let tension = Tension::key(D, "T01#00000000001706900000");
    assert_ne!(
        tension.sort_key(),
        TensionEvent::key(D, "T01", 1_706_900_000u64).sort_key()
    );
    assert!(!TensionEvent::query(D)
        .into_query()
        .spec()
        .selects(tension.sort_key()));
    // The fence byte and the escape character are escaped too.
    assert_eq!(Expert::key(D, "a$b%c").sort_key(), "EXPERT#a%24b%25c");
    // Partition keys are escaped the same way.
    assert_eq!(Expert::key("a#b", "x").partition_key(), "a%23b");
}

#[test]
fn awkward_values_round_trip_through_keys() {
    for name in [
        "",
        "#",
        "%",
        "%23",
        "$",
        "\0",
        "tab\there",
        "é",
        "日本語",
        "🦀#🦀",
        "\u{10FFFF}",
    ] {
        let key = Expert::key(D, name);
        let (pk, (decoded,)) = Expert::decode_key(key.partition_key(), key.sort_key()).unwrap();
        assert_eq!((pk.as_str(), decoded.as_str()), (D, name));
    }
}

#[test]
fn decoding_rejects_keys_of_other_shapes() {
    use blue_schema::key::KeyDecodeError;
    assert!(matches!(
        Expert::decode_key(D, "TENSION#T01"),
        Err(KeyDecodeError::WrongPrefix { .. })
    ));
    assert!(matches!(
        Perspective::decode_key(D, "PERSP#0000000000#muffin"),
        Err(KeyDecodeError::WrongComponentCount {
            expected: 3,
            found: 2
        })
    ));
    assert!(matches!(
        Expert::decode_key(D, "EXPERT#a%41"),
        Err(KeyDecodeError::BadEscape { .. })
    ));
    assert!(matches!(
        Perspective::decode_key(D, "PERSP#0#muffin#1"),
        Err(KeyDecodeError::Invalid { .. })
    ));
    assert!(matches!(
        DialogueMeta::decode_key(D, "META#x"),
        Err(KeyDecodeError::WrongPrefix { .. })
    ));
    assert!(DialogueMeta::decode_key(D, "META").is_ok());
}

#[test]
fn a_singleton_query_asks_for_its_one_key() {
    let q = DialogueMeta::query(D).into_query();
    assert_eq!(
        q.spec().sort_key,
        Some(SortKeyCondition::Equals("META".into()))
    );
}

#[test]
fn a_full_key_query_asks_for_equality() {
    let q = Perspective::query(D)
        .round(0)
        .expert("muffin")
        .seq(1)
        .into_query();
    assert_eq!(
        q.spec().sort_key,
        Some(SortKeyCondition::Equals(sk(Perspective::key(
            D, 0, "muffin", 1
        ))))
    );
}

#[test]
fn ranges_are_single_betweens_inside_the_entity() {
    let ge = Perspective::query(D).round_ge(1).into_query();
    assert_eq!(
        ge.spec().sort_key,
        Some(SortKeyCondition::Between(
            "PERSP#0000000001".into(),
            "PERSP$".into()
        ))
    );
    let lt = Perspective::query(D)
        .round(0)
        .expert("m")
        .seq_lt(1)
        .into_query();
    assert_eq!(
        lt.spec().sort_key,
        Some(SortKeyCondition::Between(
            "PERSP#0000000000#m#".into(),
            "PERSP#0000000000#m#0000000000".into()
        ))
    );
    // Nothing is below zero: the query selects nothing, and is still valid.
    let none = Perspective::query(D)
        .round(0)
        .expert("m")
        .seq_lt(0)
        .into_query();
    assert!(!none.spec().selects(&sk(Perspective::key(D, 0, "m", 0))));
    assert!(none.spec().validate().is_ok());
}

#[test]
fn lt_on_a_trailing_string_excludes_exactly_the_value() {
    let q = Expert::query(D).name_lt("mug").into_query();
    assert!(q.spec().selects(&sk(Expert::key(D, "muffin"))));
    assert!(q
        .spec()
        .selects(&sk(Expert::key(D, "mufzzzzzzzzzzzzzzzzzz"))));
    assert!(q
        .spec()
        .selects(&sk(Expert::key(D, "muf\u{10FFFF}\u{10FFFF}"))));
    assert!(q.spec().selects(&sk(Expert::key(D, ""))));
    assert!(!q.spec().selects(&sk(Expert::key(D, "mug"))));
    assert!(!q.spec().selects(&sk(Expert::key(D, "mug\0"))));
    assert!(!q.spec().selects(&sk(DialogueMeta::key(D))));
    // The upper end is as long as a sort key may be, and its display shortens it.
    assert!(q.spec().validate().is_ok());
    assert_eq!(
        q.spec().to_string(),
        "Query blue_dialogue: pk = \"nvidia-dec\" AND sk BETWEEN \"EXPERT#\" AND \"EXPERT#muf\" + \"\\u{10ffff}\" × 253 + \"\u{7ff}\", ascending"
    );
    // The longest storable key below "mug" is still selected.
    // (7 bytes of `EXPERT#`, 3 of `muf`, 253 four-byte characters and one of two bytes.)
    let longest = format!("muf{}\u{7ff}", "\u{10FFFF}".repeat(253));
    assert_eq!(Expert::key(D, longest.as_str()).sort_key().len(), 1024);
    assert!(q.spec().selects(&sk(Expert::key(D, longest))));
    // Nothing is below the empty string.
    assert!(!Expert::query(D)
        .name_lt("")
        .into_query()
        .spec()
        .selects(&sk(Expert::key(D, ""))));
}

#[test]
fn between_with_ends_the_wrong_way_round_selects_nothing() {
    let q = Perspective::query(D).round_between(5, 2).into_query();
    for round in 0..8 {
        assert!(!q.spec().selects(&sk(Perspective::key(D, round, "m", 1))));
    }
    assert!(q.spec().validate().is_ok());
    let q = Perspective::query(D).round_between(2, 5).into_query();
    let selected: Vec<u32> = (0..8)
        .filter(|&r| q.spec().selects(&sk(Perspective::key(D, r, "m", 1))))
        .collect();
    assert_eq!(selected, vec![2, 3, 4, 5]);
}

#[test]
fn page_size_take_reverse_and_consistency_are_options_of_every_query() {
    let q = Perspective::query(D)
        .round(0)
        .page_size(10)
        .reverse()
        .into_query();
    assert_eq!(q.spec().page_size, Some(10));
    assert_eq!(q.spec().order, Order::Descending);
    assert!(
        q.spec().consistent,
        "reads are strongly consistent unless asked"
    );
    let q = Perspective::query(D)
        .page_size(3)
        .take(7)
        .eventually_consistent()
        .round_gt(0)
        .reverse();
    assert_eq!(
        (
            q.spec().page_size,
            q.spec().take,
            q.spec().order,
            q.spec().consistent
        ),
        (Some(3), Some(7), Order::Descending, false)
    );
    let p = Dialogue::partition(D).page_size(2).take(5).reverse();
    assert_eq!(
        (
            p.spec().page_size,
            p.spec().take,
            p.spec().order,
            &p.spec().sort_key
        ),
        (Some(2), Some(5), Order::Descending, &None)
    );
}

#[test]
fn the_whole_partition_query_shares_the_entities_partition_key() {
    let p = Dialogue::partition(D);
    assert_eq!(p.spec().partition_key, Expert::key(D, "x").partition_key());
    assert_eq!(p.spec().table, "blue_dialogue");
    assert_eq!(p.spec().table, Expert::query(D).into_query().spec().table);
}

#[test]
fn queries_that_dynamodb_would_reject_are_rejected_first() {
    let rejects = |q: Query<Expert>| q.spec().validate().unwrap_err();
    assert!(matches!(
        rejects(Expert::query(D).page_size(0).into_query()),
        Error::Query(QueryError::ZeroPageSize)
    ));
    // Key limits are the same errors a write or a get gives.
    assert!(matches!(
        rejects(Expert::query("").into_query()),
        Error::Limit(LimitError::EmptyPartitionKey)
    ));
    let long = "p".repeat(2049);
    assert!(matches!(
        rejects(Expert::query(long.as_str()).into_query()),
        Error::Limit(LimitError::PartitionKeyTooLong { bytes: 2049 })
    ));
    assert!(Expert::query("p".repeat(2048))
        .into_query()
        .spec()
        .validate()
        .is_ok());
    let name = "n".repeat(1100);
    assert!(matches!(
        rejects(Expert::query(D).name(name.as_str()).into_query()),
        Error::Limit(LimitError::SortKeyTooLong { bytes: 1107 })
    ));
}

#[test]
fn a_stored_item_decodes_into_the_variant_its_sort_key_names() {
    let expert = Expert {
        dialogue_id: D.into(),
        name: "muffin".into(),
        role: "skeptic".into(),
        tier: 1,
        score: 3,
    };
    let json = serde_json::to_value(&expert).unwrap();
    let decoded = Dialogue::decode_item(expert.key().sort_key(), &json).unwrap();
    assert_eq!(decoded, Dialogue::Expert(expert));

    let err = Dialogue::decode_item("NOPE#1", &json).unwrap_err();
    assert_eq!(
        err.to_string(),
        "sort key `NOPE#1` belongs to no entity of table `blue_dialogue`"
    );
    // The prefix alone picks the entity (prefixes are distinct and never
    // extend one another past a `#`); the item must then deserialize as it.
    assert_eq!(
        Dialogue::decode_item("EXPERT#a#b", &json).unwrap(),
        Dialogue::decode_item("EXPERT#muffin", &json).unwrap()
    );
    // A singleton's key is its prefix exactly.
    assert!(Dialogue::decode_item("META#x", &json).is_err());
    assert!(Dialogue::decode_item("EXPERTS#x", &json).is_err());
}

#[test]
fn no_range_bound_is_longer_than_a_sort_key() {
    // Before the last component, a bound of 1 023 or 1 024 bytes: no stored
    // key can continue it with `#…`, so the fence is left off.
    for len in [1022, 1023, 1024] {
        let expert = "e".repeat(len - "PERSP#0000000000#".len());
        let ranges = [
            Perspective::query(D).round(0).expert_le(expert.as_str()),
            Perspective::query(D).round(0).expert_gt(expert.as_str()),
            Perspective::query(D)
                .round(0)
                .expert_between("a", expert.as_str()),
            Perspective::query(D).round(0).expert_lt(expert.as_str()),
            Perspective::query(D).round(0).expert_ge(expert.as_str()),
        ];
        for q in ranges {
            assert!(q.spec().validate().is_ok(), "{len}: {}", q.spec());
        }
        let le = Perspective::query(D).round(0).expert_le(expert.as_str());
        let gt = Perspective::query(D).round(0).expert_gt(expert.as_str());
        let shorter = &expert[..expert.len() - 1];
        // (Keys of `expert` itself would pass 1 024 bytes with the seq.)
        assert!(le.spec().selects(&sk(Perspective::key(D, 0, shorter, 1))));
        assert!(!gt.spec().selects(&sk(Perspective::key(D, 0, shorter, 1))));
        assert!(gt.spec().selects(&sk(Perspective::key(D, 0, "f", 1))));
    }
}
