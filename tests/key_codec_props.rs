//! Property tests of the key codec and of the query conditions the typed
//! builders produce (DESIGN.md §4): round trip, order preservation,
//! injectivity, containment, and exact, prefix-safe queries across every
//! entity of a table. Each property runs 10 000 cases.

use std::fmt::Debug;

use blue_schema::__private::KeyWriter;
use blue_schema::query::QuerySpec;
use blue_schema::KeyPart;
use blue_schema::{Entity, IntoQuery};
use blue_schema_examples::dialogue::{DialogueMeta, Expert, Perspective, Tension, TensionEvent};
use blue_schema_examples::document::DocKind;
use proptest::prelude::*;

const CASES: u32 = 10_000;

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: CASES,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

fn enc<T: KeyPart>(value: &T) -> String {
    let mut out = String::new();
    value.encode_key_part(&mut out);
    out
}

/// Strings that stress the codec: delimiters, escapes, the fence byte, NUL,
/// control characters, multi-byte UTF-8, and shared prefixes.
fn tricky_string() -> BoxedStrategy<String> {
    prop_oneof![
        "[a-c#%$ \\x00\\x01\\x7f]{0,6}",
        "[mufin]{0,6}",
        any::<String>(),
        prop::collection::vec(
            prop::sample::select(vec![
                "muf",
                "muffin",
                "#",
                "%",
                "%23",
                "$",
                "é",
                "\u{10FFFF}",
                "\u{FFFF}",
                "\0",
                ""
            ]),
            0..4
        )
        .prop_map(|parts| parts.concat()),
    ]
    .boxed()
}

/// The properties every key part must have, checked on one pair of values.
fn check_pair<T: KeyPart + Ord + Debug>(a: &T, b: &T) -> Result<(), TestCaseError> {
    let (ea, eb) = (enc(a), enc(b));
    // Round trip.
    prop_assert_eq!(&T::decode_key_part(&ea).unwrap(), a);
    prop_assert_eq!(&T::decode_key_part(&eb).unwrap(), b);
    // Order preservation, byte-wise; equality of encodings is equality of values.
    prop_assert_eq!(
        a.cmp(b),
        ea.as_bytes().cmp(eb.as_bytes()),
        "{:?} {:?}",
        ea,
        eb
    );
    // Containment: no delimiter, no fence, no raw byte <= 0x25 except an escape.
    for enc in [&ea, &eb] {
        let bytes = enc.as_bytes();
        for (i, &byte) in bytes.iter().enumerate() {
            prop_assert!(byte >= b'%', "raw byte {byte:#x} in {enc:?}");
            if byte == b'%' {
                let hex = bytes.get(i + 1..i + 3).unwrap_or_default();
                prop_assert!(
                    hex.len() == 2
                        && hex
                            .iter()
                            .all(|h| h.is_ascii_hexdigit() && !h.is_ascii_lowercase())
                );
            }
        }
        prop_assert!(!enc.contains('#') && !enc.contains('$'));
    }
    Ok(())
}

macro_rules! key_part_property {
    ($name:ident, $strategy:expr) => {
        proptest! {
            #![proptest_config(config())]
            #[test]
            fn $name(a in $strategy, b in $strategy) {
                check_pair(&a, &b)?;
            }
        }
    };
}

key_part_property!(
    strings_round_trip_keep_order_and_stay_contained,
    tricky_string()
);
key_part_property!(
    chars_round_trip_keep_order_and_stay_contained,
    any::<char>()
);
key_part_property!(
    bools_round_trip_keep_order_and_stay_contained,
    any::<bool>()
);
key_part_property!(u8s_round_trip_keep_order_and_stay_contained, any::<u8>());
key_part_property!(u16s_round_trip_keep_order_and_stay_contained, any::<u16>());
key_part_property!(u32s_round_trip_keep_order_and_stay_contained, any::<u32>());
key_part_property!(u64s_round_trip_keep_order_and_stay_contained, any::<u64>());
key_part_property!(
    u128s_round_trip_keep_order_and_stay_contained,
    any::<u128>()
);
key_part_property!(
    usizes_round_trip_keep_order_and_stay_contained,
    any::<usize>()
);
key_part_property!(i8s_round_trip_keep_order_and_stay_contained, any::<i8>());
key_part_property!(i16s_round_trip_keep_order_and_stay_contained, any::<i16>());
key_part_property!(i32s_round_trip_keep_order_and_stay_contained, any::<i32>());
key_part_property!(i64s_round_trip_keep_order_and_stay_contained, any::<i64>());
key_part_property!(
    i128s_round_trip_keep_order_and_stay_contained,
    any::<i128>()
);
key_part_property!(
    isizes_round_trip_keep_order_and_stay_contained,
    any::<isize>()
);
key_part_property!(
    enums_round_trip_keep_name_order_and_stay_contained,
    prop::sample::select(vec![DocKind::Adr, DocKind::Rfc])
);

/// Declared out of alphabetical order, ordered (as `Ord` derives it) by
/// declaration: stored by position.
#[derive(KeyPart, Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[key_part(order = "declaration")]
enum Priority {
    Low,
    Medium,
    High,
}

/// More than ten variants, so that positions take both digits.
#[derive(KeyPart, Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[key_part(order = "declaration")]
enum Month {
    Jan,
    Feb,
    Mar,
    Apr,
    May,
    Jun,
    Jul,
    Aug,
    Sep,
    Oct,
    Nov,
    Dec,
}

key_part_property!(
    enums_by_declaration_round_trip_keep_their_order_and_stay_contained,
    prop::sample::select(vec![Priority::Low, Priority::Medium, Priority::High])
);
key_part_property!(
    enums_of_many_variants_keep_their_order,
    prop::sample::select(vec![
        Month::Jan,
        Month::Feb,
        Month::Mar,
        Month::Apr,
        Month::May,
        Month::Jun,
        Month::Jul,
        Month::Aug,
        Month::Sep,
        Month::Oct,
        Month::Nov,
        Month::Dec,
    ])
);

#[test]
fn enums_by_declaration_decode_only_their_own_spelling() {
    assert_eq!(enc(&Month::Dec), "11-Dec");
    assert_eq!(Month::decode_key_part("11-Dec"), Ok(Month::Dec));
    for wrong in [
        "11-Nov", "Dec", "1-Dec", "011-Dec", "12-Dec", "11-dec", "11Dec",
    ] {
        assert!(Month::decode_key_part(wrong).is_err(), "{wrong}");
    }
}

#[cfg(feature = "uuid")]
key_part_property!(
    uuids_round_trip_keep_order_and_stay_contained,
    any::<u128>().prop_map(uuid::Uuid::from_u128)
);

#[cfg(feature = "chrono")]
key_part_property!(
    timestamps_round_trip_keep_order_and_stay_contained,
    prop_oneof![
        // Ordinary instants, to the nanosecond.
        (0i64..=253_402_300_799, 0u32..1_000_000_000),
        // chrono's whole range, beyond four-digit years both ways.
        (
            -8_334_632_851_200i64..=8_210_298_412_799,
            0u32..1_000_000_000
        ),
        // Leap seconds.
        (0i64..=100_000)
            .prop_map(|d| (d * 86_400 + 86_399, 0))
            .prop_flat_map(|(s, _)| (Just(s), 1_000_000_000u32..2_000_000_000)),
    ]
    .prop_filter_map("representable", |(secs, nanos)| {
        chrono::DateTime::from_timestamp(secs, nanos)
    })
);

/// chrono's whole range of days, and ordinary ones.
#[cfg(feature = "chrono")]
fn chrono_dates() -> BoxedStrategy<chrono::NaiveDate> {
    use chrono::NaiveDate;
    let (min, max) = (
        NaiveDate::MIN.num_days_from_ce(),
        NaiveDate::MAX.num_days_from_ce(),
    );
    prop_oneof![min..=max, 700_000..=740_000]
        .prop_map(|days| NaiveDate::from_num_days_from_ce_opt(days).expect("in range"))
        .boxed()
}

#[cfg(feature = "chrono")]
use chrono::Datelike as _;

#[cfg(feature = "chrono")]
key_part_property!(
    naive_dates_round_trip_keep_order_and_stay_contained,
    chrono_dates()
);

#[cfg(feature = "chrono")]
key_part_property!(
    naive_date_times_round_trip_keep_order_and_stay_contained,
    (
        chrono_dates(),
        0u32..86_400,
        prop_oneof![0u32..1_000_000_000, 1_000_000_000u32..2_000_000_000]
    )
        .prop_filter_map("representable", |(date, secs, nano)| {
            // A leap second only at the end of a minute, as chrono allows.
            let secs = if nano >= 1_000_000_000 {
                secs / 60 * 60 + 59
            } else {
                secs
            };
            chrono::NaiveTime::from_num_seconds_from_midnight_opt(secs, nano)
                .map(|time| date.and_time(time))
        })
);

/// `time`'s whole range of instants, and ordinary ones.
#[cfg(feature = "time")]
fn time_instants() -> BoxedStrategy<time::OffsetDateTime> {
    use time::{Date, OffsetDateTime, Time};
    let min = Date::MIN
        .with_time(Time::MIDNIGHT)
        .assume_utc()
        .unix_timestamp_nanos();
    let max = Date::MAX
        .with_time(Time::MAX)
        .assume_utc()
        .unix_timestamp_nanos();
    prop_oneof![min..=max, 0i128..=4_102_444_800_000_000_000]
        .prop_map(|nanos| OffsetDateTime::from_unix_timestamp_nanos(nanos).expect("in range"))
        .boxed()
}

#[cfg(feature = "time")]
key_part_property!(
    time_dates_round_trip_keep_order_and_stay_contained,
    time_instants().prop_map(|t| t.date())
);

#[cfg(feature = "time")]
key_part_property!(
    time_primitive_date_times_round_trip_keep_order_and_stay_contained,
    time_instants().prop_map(|t| time::PrimitiveDateTime::new(t.date(), t.time()))
);

// Any offset: the key is the instant, written in UTC, so that order and
// equality are `OffsetDateTime`'s (by instant). Years within a day of the
// crate's range are left out: their local time may not exist there.
#[cfg(feature = "time")]
key_part_property!(
    offset_date_times_round_trip_keep_order_and_stay_contained,
    (time_instants(), -93_599i32..=93_599).prop_filter_map("local time in range", |(t, offset)| {
        let offset = time::UtcOffset::from_whole_seconds(offset).ok()?;
        (t.year().abs() < 9999).then(|| t.to_offset(offset))
    })
);

// chrono's and time's values of one day, one wall-clock time or one
// instant are the same key component.
#[cfg(all(feature = "chrono", feature = "time"))]
proptest! {
    #![proptest_config(config())]
    #[test]
    fn chrono_and_time_spell_the_same_values_alike(t in time_instants(), offset in -93_599i32..=93_599) {
        // chrono's range holds time's.
        let chrono_instant = chrono::DateTime::from_timestamp(t.unix_timestamp(), t.nanosecond())
            .expect("in range");
        let naive = chrono_instant.naive_utc();
        let date = time::PrimitiveDateTime::new(t.date(), t.time());
        prop_assert_eq!(enc(&naive.date()), enc(&t.date()));
        prop_assert_eq!(enc(&naive), enc(&date));
        prop_assert_eq!(enc(&chrono_instant), enc(&t));
        if t.year().abs() < 9999 {
            let shifted = t.to_offset(time::UtcOffset::from_whole_seconds(offset).expect("valid"));
            prop_assert_eq!(enc(&chrono_instant), enc(&shifted));
        }
        prop_assert_eq!(naive.date().year(), t.year());
    }
}

#[cfg(feature = "chrono")]
#[test]
fn dates_and_times_are_spelled_as_documented() {
    use chrono::{NaiveDate, NaiveDateTime};
    let date = NaiveDate::from_ymd_opt(2024, 2, 2).unwrap();
    assert_eq!(enc(&date), "2024-02-02");
    let time = date.and_hms_opt(19, 33, 20).unwrap();
    assert_eq!(enc(&time), "2024-02-02T19:33:20.000000000");
    assert_eq!(enc(&time.and_utc()), "2024-02-02T19:33:20.000000000Z");
    assert_eq!(
        enc(&NaiveDate::from_ymd_opt(-1, 12, 31).unwrap()),
        "-999999-12-31"
    );
    assert_eq!(
        enc(&NaiveDate::from_ymd_opt(10_000, 1, 1).unwrap()),
        ":010000-01-01"
    );
    for wrong in [
        "2024-02-30",
        "2024-2-02",
        "02024-02-02",
        ":002024-02-02",
        "2024-02-02T00:00:00.000000000",
        "2024-13-01",
    ] {
        assert!(NaiveDate::decode_key_part(wrong).is_err(), "{wrong}");
    }
    for wrong in [
        "2024-02-02T24:00:00.000000000",
        "2024-02-02T19:33:20.000000000Z",
        "2024-02-02T19:33:20.0000000000",
        "2024-02-02T19:33:20",
        "2024-02-02T19:33:61.000000000",
    ] {
        assert!(NaiveDateTime::decode_key_part(wrong).is_err(), "{wrong}");
    }
}

#[cfg(feature = "time")]
#[test]
fn an_offset_date_time_is_its_instant_in_utc() {
    use time::{Date, Month, OffsetDateTime, Time, UtcOffset};
    let noon_plus_two = Date::from_calendar_date(2024, Month::February, 2)
        .unwrap()
        .with_time(Time::from_hms(12, 0, 0).unwrap())
        .assume_offset(UtcOffset::from_hms(2, 0, 0).unwrap());
    assert_eq!(enc(&noon_plus_two), "2024-02-02T10:00:00.000000000Z");
    let back = OffsetDateTime::decode_key_part("2024-02-02T10:00:00.000000000Z").unwrap();
    assert_eq!(back, noon_plus_two);
    assert_eq!(back.offset(), UtcOffset::UTC);
    // time has no leap seconds, and no 30 February.
    for wrong in [
        "2016-12-31T23:59:60.000000000Z",
        "2024-02-30T00:00:00.000000000Z",
        ":010000-01-01T00:00:00.000000000Z",
    ] {
        assert!(OffsetDateTime::decode_key_part(wrong).is_err(), "{wrong}");
    }
}

/// A newtype key part encodes exactly like the value it wraps.
#[derive(blue_schema::KeyPart, Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Handle(String);

key_part_property!(
    newtypes_round_trip_keep_order_and_stay_contained,
    tricky_string().prop_map(Handle)
);

proptest! {
    #![proptest_config(config())]

    /// Non-canonical text never decodes: decoding accepts exactly the encodings.
    #[test]
    fn only_canonical_strings_decode(text in "[a-c%#$0-9A-Fa-f\\x00]{0,8}") {
        if let Ok(value) = String::decode_key_part(&text) {
            prop_assert_eq!(enc(&value), text);
        }
    }

    #[test]
    fn only_canonical_numbers_decode(text in "[0-9+ -]{0,12}") {
        if let Ok(value) = u32::decode_key_part(&text) {
            prop_assert_eq!(enc(&value), text.clone());
        }
        if let Ok(value) = i32::decode_key_part(&text) {
            prop_assert_eq!(enc(&value), text);
        }
    }

    /// Whole sort keys sort like their component tuples, and decode back.
    #[test]
    fn composite_sort_keys_sort_like_their_tuples(
        a in (any::<u32>(), tricky_string(), any::<u32>()),
        b in (any::<u32>(), tricky_string(), any::<u32>()),
    ) {
        let ka = Perspective::key("d", a.0, &a.1, a.2);
        let kb = Perspective::key("d", b.0, &b.1, b.2);
        prop_assert_eq!(a.cmp(&b), ka.sort_key().as_bytes().cmp(kb.sort_key().as_bytes()));
        let (_, decoded) = Perspective::decode_key(ka.partition_key(), ka.sort_key()).unwrap();
        prop_assert_eq!(decoded, a);
    }

    /// Composite partition keys are injective and decode back too.
    #[test]
    fn composite_partition_keys_round_trip(a in (tricky_string(), any::<i16>()), b in (tricky_string(), any::<i16>())) {
        let pa = pk_of(&a);
        let pb = pk_of(&b);
        prop_assert_eq!(a == b, pa == pb);
        prop_assert_eq!(a.cmp(&b), pa.as_bytes().cmp(pb.as_bytes()));
    }
}

fn pk_of((s, n): &(String, i16)) -> String {
    let mut w = KeyWriter::new(Some("REALM"));
    w.push::<(String, i16)>(&(s, *n));
    w.finish()
}

/// A condition on the next sort-key component after the fixed ones.
#[derive(Debug, Clone)]
enum Range<T> {
    None,
    Lt(T),
    Le(T),
    Gt(T),
    Ge(T),
    Between(T, T),
    StartsWith(String),
}

impl<T: Ord> Range<T> {
    fn holds(&self, value: &T, as_text: Option<&str>) -> bool {
        match self {
            Range::None => true,
            Range::Lt(v) => value < v,
            Range::Le(v) => value <= v,
            Range::Gt(v) => value > v,
            Range::Ge(v) => value >= v,
            Range::Between(a, b) => a <= value && value <= b,
            Range::StartsWith(p) => as_text.is_some_and(|t| t.starts_with(p.as_str())),
        }
    }
}

fn range<T: Debug + Clone + 'static>(
    values: impl Strategy<Value = T> + Clone + 'static,
    text: bool,
) -> BoxedStrategy<Range<T>> {
    let v = values.clone();
    let base = prop_oneof![
        Just(Range::None),
        v.clone().prop_map(Range::Lt),
        v.clone().prop_map(Range::Le),
        v.clone().prop_map(Range::Gt),
        v.clone().prop_map(Range::Ge),
        (v.clone(), v).prop_map(|(a, b)| Range::Between(a, b)),
    ];
    if text {
        prop_oneof![6 => base, 1 => tricky_string().prop_map(Range::StartsWith)].boxed()
    } else {
        base.boxed()
    }
}

macro_rules! apply_range {
    ($builder:expr, $range:expr, $lt:ident, $le:ident, $gt:ident, $ge:ident, $between:ident, $starts:ident) => {
        match $range {
            Range::None => $builder.into_query().into_spec(),
            Range::Lt(v) => $builder.$lt(v).into_spec(),
            Range::Le(v) => $builder.$le(v).into_spec(),
            Range::Gt(v) => $builder.$gt(v).into_spec(),
            Range::Ge(v) => $builder.$ge(v).into_spec(),
            Range::Between(a, b) => $builder.$between(a, b).into_spec(),
            Range::StartsWith(p) => $builder.$starts(p.as_str()).into_spec(),
        }
    };
}

macro_rules! apply_number_range {
    ($builder:expr, $range:expr, $lt:ident, $le:ident, $gt:ident, $ge:ident, $between:ident) => {
        match $range {
            Range::None | Range::StartsWith(_) => $builder.into_query().into_spec(),
            Range::Lt(v) => $builder.$lt(v).into_spec(),
            Range::Le(v) => $builder.$le(v).into_spec(),
            Range::Gt(v) => $builder.$gt(v).into_spec(),
            Range::Ge(v) => $builder.$ge(v).into_spec(),
            Range::Between(a, b) => $builder.$between(a, b).into_spec(),
        }
    };
}

/// Small numbers collide often; the extremes test the padding.
fn number() -> impl Strategy<Value = u32> + Clone {
    prop_oneof![0u32..4, Just(u32::MAX), any::<u32>()]
}

fn stamp() -> impl Strategy<Value = u64> + Clone {
    prop_oneof![0u64..4, Just(u64::MAX), any::<u64>()]
}

/// Sort keys of every entity of the dialogue table, in one partition.
fn dialogue_sort_keys() -> impl Strategy<Value = Vec<String>> {
    let one = prop_oneof![
        Just(DialogueMeta::key("d").sort_key().to_owned()),
        tricky_string().prop_map(|n| Expert::key("d", n).sort_key().to_owned()),
        (number(), tricky_string(), number())
            .prop_map(|(r, e, s)| Perspective::key("d", r, e, s).sort_key().to_owned()),
        tricky_string().prop_map(|t| Tension::key("d", t).sort_key().to_owned()),
        (tricky_string(), stamp())
            .prop_map(|(t, a)| TensionEvent::key("d", t, a).sort_key().to_owned()),
    ];
    prop::collection::vec(one, 0..24)
}

/// Runs `spec`'s condition over `keys` and compares with the typed predicate.
fn assert_exact(
    spec: &QuerySpec,
    keys: &[String],
    wanted: impl Fn(&str) -> bool,
) -> Result<(), TestCaseError> {
    prop_assert!(spec.validate().is_ok(), "{spec}");
    if let Some(blue_schema::query::SortKeyCondition::Between(low, high)) = &spec.sort_key {
        prop_assert!(
            low <= high,
            "DynamoDB rejects BETWEEN with low > high: {spec}"
        );
    }
    for key in keys {
        prop_assert_eq!(
            spec.selects(key),
            wanted(key),
            "key {:?} under {}",
            key,
            spec
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(config())]

    /// Perspective queries at every depth select exactly the Perspective items
    /// whose components satisfy the typed conditions, and no item of any
    /// other entity, whatever the values.
    #[test]
    fn perspective_queries_are_exact_and_prefix_safe(
        keys in dialogue_sort_keys(),
        depth in 0usize..=3,
        fixed in (number(), tricky_string(), number()),
        round_range in range(number(), false),
        expert_range in range(tricky_string(), true),
        seq_range in range(number(), false),
    ) {
        let q = Perspective::query("d");
        let spec = match depth {
            0 => apply_number_range!(q, round_range.clone(), round_lt, round_le, round_gt, round_ge, round_between),
            1 => apply_range!(q.round(fixed.0), expert_range.clone(), expert_lt, expert_le, expert_gt, expert_ge, expert_between, expert_starts_with),
            2 => apply_number_range!(q.round(fixed.0).expert(&fixed.1), seq_range.clone(), seq_lt, seq_le, seq_gt, seq_ge, seq_between),
            _ => q.round(fixed.0).expert(&fixed.1).seq(fixed.2).into_query().into_spec(),
        };
        assert_exact(&spec, &keys, |sk| {
            let Ok((_, (round, expert, seq))) = Perspective::decode_key("d", sk) else {
                return false;
            };
            match depth {
                0 => round_range.holds(&round, None),
                1 => round == fixed.0 && expert_range.holds(&expert, Some(&expert)),
                2 => round == fixed.0 && expert == fixed.1 && seq_range.holds(&seq, None),
                _ => (round, &expert, seq) == (fixed.0, &fixed.1, fixed.2),
            }
        })?;
    }

    /// Ranges on a string that is the last component (where `lt` needs an
    /// exclusive bound) and on a string followed by more components.
    #[test]
    fn string_component_queries_are_exact_and_prefix_safe(
        keys in dialogue_sort_keys(),
        name_range in range(tricky_string(), true),
        tension_range in range(tricky_string(), true),
        tension in tricky_string(),
        at_range in range(stamp(), false),
        which in 0usize..3,
    ) {
        match which {
            0 => {
                let spec = apply_range!(Expert::query("d"), name_range.clone(), name_lt, name_le, name_gt, name_ge, name_between, name_starts_with);
                assert_exact(&spec, &keys, |sk| match Expert::decode_key("d", sk) {
                    Ok((_, (name,))) => name_range.holds(&name, Some(&name)),
                    Err(_) => false,
                })?;
            }
            1 => {
                let spec = apply_range!(TensionEvent::query("d"), tension_range.clone(), tension_id_lt, tension_id_le, tension_id_gt, tension_id_ge, tension_id_between, tension_id_starts_with);
                assert_exact(&spec, &keys, |sk| match TensionEvent::decode_key("d", sk) {
                    Ok((_, (t, _))) => tension_range.holds(&t, Some(&t)),
                    Err(_) => false,
                })?;
            }
            _ => {
                let spec = apply_number_range!(TensionEvent::query("d").tension_id(&tension), at_range.clone(), at_lt, at_le, at_gt, at_ge, at_between);
                assert_exact(&spec, &keys, |sk| match TensionEvent::decode_key("d", sk) {
                    Ok((_, (t, at))) => t == tension && at_range.holds(&at, None),
                    Err(_) => false,
                })?;
            }
        }
    }
}
