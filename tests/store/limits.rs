//! DynamoDB's limits, at and just past each boundary. A rejected write
//! leaves what was stored before untouched.

use std::collections::BTreeMap;

use blue_schema::limits::{LimitError, NumberProblem, MAX_ITEM_BYTES};
use blue_schema::{Error, Store};
use serde_json::json;

use crate::entities::{Flat, Measure, Named, Nested, Probe, Sized, Wide};

fn limit(r: Result<(), Error>) -> LimitError {
    match r {
        Err(Error::Limit(e)) => e,
        other => panic!("expected a limit error, got {other:?}"),
    }
}

/// The size DynamoDB computes for a `Sized` item: attribute names plus
/// values (pk, sk, created_at's and updated_at's 24 characters, id, n,
/// payload).
pub(crate) fn sized_bytes(item: &Sized) -> usize {
    let sk_len = "SIZED#".len() + 10;
    let n_len = if item.n == 0 {
        1
    } else {
        item.n.to_string().trim_end_matches('0').len().div_ceil(2) + 1
    };
    2 + item.id.len()
        + 2
        + sk_len
        + "created_at".len()
        + 24
        + "updated_at".len()
        + 24
        + "id".len()
        + item.id.len()
        + "n".len()
        + n_len
        + "payload".len()
        + item.payload.len()
}

pub async fn item_size_boundary(store: Store) {
    store.create_table::<Probe>().await.unwrap();
    let mut item = Sized {
        id: "size".into(),
        n: 7,
        payload: String::new(),
    };
    let overhead = sized_bytes(&item);
    item.payload =
        "é".repeat((MAX_ITEM_BYTES - overhead) / 2) + &"x".repeat((MAX_ITEM_BYTES - overhead) % 2);
    assert_eq!(sized_bytes(&item), MAX_ITEM_BYTES);
    store.put(&item).await.unwrap();
    assert_eq!(
        store.get(Sized::key("size", 7)).await.unwrap().as_ref(),
        Some(&item)
    );
    // Replacing an item of the largest size keeps its created_at too (on
    // DynamoDB it takes another path than a small item's update).
    let first = store
        .get_record(Sized::key("size", 7))
        .await
        .unwrap()
        .unwrap();
    let mut replaced = item.clone();
    replaced.payload = replaced.payload.replace('x', "y");
    store.put(&replaced).await.unwrap();
    let second = store
        .get_record(Sized::key("size", 7))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(second.value, replaced);
    assert_eq!(second.created_at, first.created_at);
    store.put(&item).await.unwrap();

    let mut over = item.clone();
    over.payload.push('x');
    assert_eq!(
        limit(store.put(&over).await),
        LimitError::ItemTooLarge {
            bytes: MAX_ITEM_BYTES + 1
        }
    );
    let err = store
        .create(&Sized {
            n: 8,
            ..over.clone()
        })
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "the item is 409601 bytes; DynamoDB allows at most 409600 (400 KB, attribute names included): \
         move large values elsewhere and store a reference"
    );
    // Nothing half-written: the old item is intact, the new one absent.
    assert_eq!(
        store.get(Sized::key("size", 7)).await.unwrap().as_ref(),
        Some(&item)
    );
    assert_eq!(store.get(Sized::key("size", 8)).await.unwrap(), None);
}

pub async fn partition_key_boundary(store: Store) {
    store.create_table::<Probe>().await.unwrap();
    let at = Sized {
        id: "p".repeat(2048),
        n: 1,
        payload: "ok".into(),
    };
    store.put(&at).await.unwrap();
    assert!(store
        .get(Sized::key(at.id.as_str(), 1))
        .await
        .unwrap()
        .is_some());
    assert_eq!(
        store
            .query(Sized::query(at.id.as_str()))
            .all()
            .await
            .unwrap(),
        vec![at.clone()]
    );

    let past = Sized {
        id: "p".repeat(2049),
        ..at.clone()
    };
    assert_eq!(
        limit(store.put(&past).await),
        LimitError::PartitionKeyTooLong { bytes: 2049 }
    );
    assert_eq!(
        limit(store.get(Sized::key(past.id.as_str(), 1)).await.map(drop)),
        LimitError::PartitionKeyTooLong { bytes: 2049 }
    );
    assert_eq!(
        limit(store.delete(Sized::key(past.id.as_str(), 1)).await),
        LimitError::PartitionKeyTooLong { bytes: 2049 }
    );
    assert_eq!(
        limit(store.put(&past).await).to_string(),
        "the partition key is 2049 bytes; DynamoDB allows at most 2048"
    );
}

pub async fn sort_key_boundary(store: Store) {
    store.create_table::<Probe>().await.unwrap();
    // "NAMED#" + name: 1024 bytes at most. An escaped byte counts as three.
    let at = Named {
        id: "s".into(),
        name: "n".repeat(1018),
    };
    store.put(&at).await.unwrap();
    assert_eq!(
        store
            .get(Named::key("s", at.name.as_str()))
            .await
            .unwrap()
            .as_ref(),
        Some(&at)
    );
    let escaped = Named {
        id: "s".into(),
        name: "#".repeat(339) + "n",
    };
    store.put(&escaped).await.unwrap();

    for past in ["n".repeat(1019), "#".repeat(340)] {
        let bytes = 6 + past.replace('#', "%23").len();
        let item = Named {
            id: "s".into(),
            name: past.clone(),
        };
        assert_eq!(
            limit(store.put(&item).await),
            LimitError::SortKeyTooLong { bytes }
        );
        assert_eq!(
            limit(store.get(Named::key("s", past.as_str())).await.map(drop)),
            LimitError::SortKeyTooLong { bytes }
        );
    }
    assert_eq!(store.query(Named::query("s")).all().await.unwrap().len(), 2);
}

pub async fn empty_partition_keys(store: Store) {
    store.create_table::<Probe>().await.unwrap();
    let item = Sized {
        id: String::new(),
        n: 1,
        payload: String::new(),
    };
    assert_eq!(limit(store.put(&item).await), LimitError::EmptyPartitionKey);
    assert_eq!(
        limit(store.create(&item).await),
        LimitError::EmptyPartitionKey
    );
    assert_eq!(
        limit(store.get(Sized::key("", 1)).await.map(drop)),
        LimitError::EmptyPartitionKey
    );
    assert_eq!(
        limit(store.delete(Sized::key("", 1)).await),
        LimitError::EmptyPartitionKey
    );
    assert_eq!(
        limit(store.put_all([&item]).await),
        LimitError::EmptyPartitionKey
    );
    // An empty string elsewhere is fine, as on DynamoDB.
    store
        .put(&Sized {
            id: "e".into(),
            n: 1,
            payload: String::new(),
        })
        .await
        .unwrap();
    store
        .put(&Named {
            id: "e".into(),
            name: String::new(),
        })
        .await
        .unwrap();
}

fn nest(depth: usize) -> serde_json::Value {
    (0..depth).fold(json!("leaf"), |inner, i| {
        if i % 2 == 0 {
            json!([inner])
        } else {
            json!({ "k": inner })
        }
    })
}

/// `depth` lists and maps around an empty list (the innermost of them).
fn nest_empty(depth: usize) -> serde_json::Value {
    (1..depth).fold(json!([]), |inner, i| {
        if i % 2 == 0 {
            json!([inner])
        } else {
            json!({ "k": inner })
        }
    })
}

pub async fn nesting_boundary(store: Store) {
    store.create_table::<Probe>().await.unwrap();
    // A value inside 31 lists and maps is stored; 32 around an empty list
    // too, as DynamoDB counts the value, not the containers.
    let at = Nested {
        id: "n".into(),
        n: 31,
        tree: nest(31),
    };
    store.put(&at).await.unwrap();
    assert_eq!(store.get(Nested::key("n", 31)).await.unwrap(), Some(at));
    let empty_at = Nested {
        id: "n".into(),
        n: 132,
        tree: nest_empty(32),
    };
    store.put(&empty_at).await.unwrap();
    assert_eq!(
        store.get(Nested::key("n", 132)).await.unwrap(),
        Some(empty_at)
    );

    let past = Nested {
        id: "n".into(),
        n: 32,
        tree: nest(32),
    };
    let err = limit(store.put(&past).await);
    // The outermost value is a map (the 32nd wrap, odd), then list and map
    // alternate down to the leaf, which is what sits too deep.
    let path: String = std::iter::once("tree".to_owned())
        .chain((0..32).map(|j| {
            if (31 - j) % 2 == 1 {
                ".k".to_owned()
            } else {
                "[0]".to_owned()
            }
        }))
        .collect();
    assert_eq!(err, LimitError::NestingTooDeep { path: path.clone() });
    assert_eq!(
        err.to_string(),
        format!("`{path}` is inside 32 nested lists and maps, more than DynamoDB allows")
    );
    assert_eq!(store.get(Nested::key("n", 32)).await.unwrap(), None);
    let empty_past = Nested {
        id: "n".into(),
        n: 133,
        tree: nest_empty(33),
    };
    assert!(matches!(
        limit(store.put(&empty_past).await),
        LimitError::NestingTooDeep { .. }
    ));
}

pub async fn numbers(store: Store) {
    store.create_table::<Probe>().await.unwrap();
    let base = Measure {
        id: "m".into(),
        n: 0,
        float: 0.0,
        wide: 0,
        signed: 0,
    };
    let fine = [
        Measure {
            float: 9.99e125,
            ..base.clone()
        },
        Measure {
            float: -1e-130,
            ..base.clone()
        },
        Measure {
            float: f64::MIN_POSITIVE * 1e180,
            ..base.clone()
        },
        Measure {
            wide: u64::MAX,
            ..base.clone()
        },
        Measure {
            signed: i64::MIN,
            ..base.clone()
        },
        Measure {
            float: 123.456,
            signed: -7,
            ..base.clone()
        },
        Measure {
            float: 0.1 + 0.2,
            ..base.clone()
        },
    ];
    for (n, item) in fine.into_iter().enumerate() {
        let item = Measure {
            n: n as u32,
            ..item
        };
        store.put(&item).await.unwrap();
        assert_eq!(
            store.get(Measure::key("m", n as u32)).await.unwrap(),
            Some(item)
        );
    }

    let bad = [
        (
            Measure {
                float: f64::NAN,
                ..base.clone()
            },
            "float",
            NumberProblem::NotFinite,
        ),
        (
            Measure {
                float: f64::INFINITY,
                ..base.clone()
            },
            "float",
            NumberProblem::NotFinite,
        ),
        (
            Measure {
                float: 1e126,
                ..base.clone()
            },
            "float",
            NumberProblem::OutOfRange,
        ),
        (
            Measure {
                float: -1e-131,
                ..base.clone()
            },
            "float",
            NumberProblem::OutOfRange,
        ),
    ];
    for (item, field, problem) in bad {
        let item = Measure { n: 100, ..item };
        match limit(store.put(&item).await) {
            LimitError::InvalidNumber {
                path, problem: p, ..
            } => {
                assert_eq!((path.as_str(), p), (field, problem));
            }
            other => panic!("expected InvalidNumber, got {other:?}"),
        }
    }
    assert_eq!(store.get(Measure::key("m", 100)).await.unwrap(), None);
    let nan = Measure {
        n: 100,
        float: f64::NAN,
        ..base
    };
    assert_eq!(
        store.put(&nan).await.unwrap_err().to_string(),
        "`float` is NaN, which DynamoDB cannot store: numbers must be finite"
    );

    // serde_dynamo has no 128-bit integers, so no backend stores them,
    // whatever the value.
    let wide = Wide {
        id: "m".into(),
        n: 1,
        value: 1,
    };
    match store.put(&wide).await {
        Err(Error::Serialize { entity, source }) => {
            assert_eq!(entity, "Wide");
            assert!(source.to_string().contains("128-bit integers"), "{source}");
        }
        other => panic!("expected Error::Serialize, got {other:?}"),
    }
    assert_eq!(store.get(Wide::key("m", 1)).await.unwrap(), None);
}

pub async fn reserved_attribute_names(store: Store) {
    store.create_table::<Probe>().await.unwrap();
    for name in ["pk", "sk", "created_at", ""] {
        let item = Flat {
            id: "f".into(),
            n: 1,
            extra: BTreeMap::from([(name.to_owned(), "forged".to_owned())]),
        };
        assert_eq!(
            limit(store.put(&item).await),
            LimitError::InvalidAttributeName { name: name.into() }
        );
    }
    assert_eq!(store.get(Flat::key("f", 1)).await.unwrap(), None);
    let fine = Flat {
        id: "f".into(),
        n: 1,
        extra: BTreeMap::from([("color".to_owned(), "blue".to_owned())]),
    };
    store.put(&fine).await.unwrap();
    assert_eq!(store.get(Flat::key("f", 1)).await.unwrap(), Some(fine));
}
