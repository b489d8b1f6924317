//! Shapes (`blue_schema::schema::shape`): one catalog table as three
//! versions of a program see it. `v1` wrote `Product` before any shape was
//! declared, `v2` renamed `name` to `title` and added a currency (shape 2),
//! `v3` moved the price into a `Money` value and added tags (shape 3, the
//! current one). Each version is its own table enum over the same table,
//! as three binaries of one service would be, so a test can write with an
//! older program and read or write with a newer one in the same store.

use blue_schema::feed::Start;
use blue_schema::write::CancelReason;
use blue_schema::{Entity, Error, Shape, Store, Table};
use serde::{Deserialize, Serialize};

/// The program before shapes: its items carry no `_shape`.
pub mod v1 {
    use super::*;

    #[derive(Table, Debug)]
    #[table(name = "blue_catalog", indexes(gsi1), stream)]
    pub enum Catalog {
        Product(Product),
    }

    #[derive(Entity, Serialize, Deserialize, Debug, Clone, PartialEq)]
    #[entity(table = Catalog)]
    #[sk(prefix = "PRODUCT")]
    #[index(gsi1, name = by_sku, pk(prefix = "SKU", fields(sku)), sk(fields(shop)))]
    pub struct Product {
        #[pk]
        pub shop: String,
        #[sk]
        pub sku: String,
        pub name: String,
        pub price_cents: u64,
    }

    pub fn product(sku: &str) -> Product {
        Product {
            shop: "s1".into(),
            sku: sku.into(),
            name: format!("{sku} one"),
            price_cents: 100,
        }
    }
}

/// Shape 2: `name` became `title`, and a price has a currency.
pub mod v2 {
    use super::*;

    #[derive(Table, Debug)]
    #[table(name = "blue_catalog", indexes(gsi1), stream)]
    pub enum Catalog {
        Product(Product),
    }

    /// Shape 1, frozen: `v1::Product` as it was, pasted.
    #[derive(Shape, Deserialize, Debug)]
    #[shape(of = Product, number = 1)]
    pub struct ProductV1 {
        #[pk]
        pub shop: String,
        #[sk]
        pub sku: String,
        pub name: String,
        pub price_cents: u64,
    }

    #[derive(Entity, Serialize, Deserialize, Debug, Clone, PartialEq)]
    #[entity(table = Catalog, shape = 2, from = ProductV1)]
    #[sk(prefix = "PRODUCT")]
    #[index(gsi1, name = by_sku, pk(prefix = "SKU", fields(sku)), sk(fields(shop)))]
    pub struct Product {
        #[pk]
        pub shop: String,
        #[sk]
        pub sku: String,
        pub title: String,
        pub price_cents: u64,
        pub currency: String,
    }

    impl From<ProductV1> for Product {
        fn from(v1: ProductV1) -> Self {
            Product {
                shop: v1.shop,
                sku: v1.sku,
                title: v1.name,
                price_cents: v1.price_cents,
                currency: "EUR".into(),
            }
        }
    }

    pub fn product(sku: &str, currency: &str) -> Product {
        Product {
            shop: "s1".into(),
            sku: sku.into(),
            title: format!("{sku} two"),
            price_cents: 200,
            currency: currency.into(),
        }
    }
}

/// Shape 3, the current program: a price is `Money`, and products have tags.
pub mod v3 {
    use super::*;

    #[derive(Table, Debug, PartialEq)]
    #[table(name = "blue_catalog", indexes(gsi1), stream)]
    pub enum Catalog {
        Product(Product),
    }

    #[derive(Shape, Deserialize, Debug)]
    #[shape(of = Product, number = 1)]
    pub struct ProductV1 {
        pub shop: String,
        pub sku: String,
        pub name: String,
        pub price_cents: u64,
    }

    #[derive(Shape, Deserialize, Debug)]
    #[shape(of = Product, number = 2, from = ProductV1)]
    pub struct ProductV2 {
        pub shop: String,
        pub sku: String,
        pub title: String,
        pub price_cents: u64,
        pub currency: String,
    }

    impl From<ProductV1> for ProductV2 {
        fn from(v1: ProductV1) -> Self {
            ProductV2 {
                shop: v1.shop,
                sku: v1.sku,
                title: v1.name,
                price_cents: v1.price_cents,
                currency: "EUR".into(),
            }
        }
    }

    #[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
    pub struct Money {
        pub cents: u64,
        pub currency: String,
    }

    #[derive(Entity, Serialize, Deserialize, Debug, Clone, PartialEq)]
    #[entity(table = Catalog, shape = 3, from = ProductV2)]
    #[sk(prefix = "PRODUCT")]
    #[index(gsi1, name = by_sku, pk(prefix = "SKU", fields(sku)), sk(fields(shop)))]
    pub struct Product {
        #[pk]
        pub shop: String,
        #[sk]
        pub sku: String,
        pub title: String,
        pub price: Money,
        #[serde(default)]
        pub tags: Vec<String>,
    }

    /// Why a shape-2 item cannot become a shape-3 one.
    #[derive(Debug)]
    pub struct NoCurrency;

    impl std::fmt::Display for NoCurrency {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a price needs a currency")
        }
    }

    impl std::error::Error for NoCurrency {}

    impl TryFrom<ProductV2> for Product {
        type Error = NoCurrency;

        fn try_from(v2: ProductV2) -> Result<Self, NoCurrency> {
            if v2.currency.is_empty() {
                return Err(NoCurrency);
            }
            Ok(Product {
                shop: v2.shop,
                sku: v2.sku,
                title: v2.title,
                price: Money {
                    cents: v2.price_cents,
                    currency: v2.currency,
                },
                tags: Vec::new(),
            })
        }
    }

    pub fn product(sku: &str, tags: &[&str]) -> Product {
        Product {
            shop: "s1".into(),
            sku: sku.into(),
            title: format!("{sku} three"),
            price: Money {
                cents: 300,
                currency: "USD".into(),
            },
            tags: tags.iter().map(|t| (*t).to_owned()).collect(),
        }
    }

    /// What `v1::product(sku)` reads as now.
    pub fn from_v1(sku: &str) -> Product {
        Product {
            shop: "s1".into(),
            sku: sku.into(),
            title: format!("{sku} one"),
            price: Money {
                cents: 100,
                currency: "EUR".into(),
            },
            tags: Vec::new(),
        }
    }

    /// What `v2::product(sku, currency)` reads as now.
    pub fn from_v2(sku: &str, currency: &str) -> Product {
        Product {
            shop: "s1".into(),
            sku: sku.into(),
            title: format!("{sku} two"),
            price: Money {
                cents: 200,
                currency: currency.into(),
            },
            tags: Vec::new(),
        }
    }
}

use v3::{Catalog, Product};

/// The attributes an item is stored with, keys and index keys aside.
async fn stored(store: &Store, sku: &str) -> serde_json::Map<String, serde_json::Value> {
    let items = store.query(Catalog::partition("s1")).raw().await.unwrap();
    let item = items
        .into_iter()
        .find(|i| i.sort_key.ends_with(sku))
        .unwrap_or_else(|| panic!("{sku} is stored"));
    let serde_json::Value::Object(mut map) = item.attributes else {
        panic!("an item is a map");
    };
    map.retain(|name, _| !name.starts_with("gsi"));
    map
}

fn names(map: &serde_json::Map<String, serde_json::Value>) -> Vec<&str> {
    let mut names: Vec<&str> = map.keys().map(String::as_str).collect();
    names.sort_unstable();
    names
}

/// Items written by the two older programs read as the current shape on
/// every read path: gets, batch and transactional gets, entity and
/// whole-partition queries, index queries and the change feed.
pub async fn older_shapes_upgrade_on_every_read_path(store: Store) {
    store.create_table::<Catalog>().await.unwrap();
    let mut feed = store.changes::<Catalog>(Start::Latest).await.unwrap();
    store.put(&v1::product("a")).await.unwrap();
    store.put(&v2::product("b", "GBP")).await.unwrap();
    let c = v3::product("c", &["new"]);
    store.put(&c).await.unwrap();
    let expected = vec![v3::from_v1("a"), v3::from_v2("b", "GBP"), c.clone()];
    let keys = || expected.iter().map(Entity::key);

    assert_eq!(
        stored(&store, "a").await.get("_shape"),
        None,
        "shape 1 is stored as no attribute"
    );
    assert_eq!(stored(&store, "b").await["_shape"], 2);
    assert_eq!(stored(&store, "c").await["_shape"], 3);

    for item in &expected {
        assert_eq!(store.get(item.key()).await.unwrap().as_ref(), Some(item));
        let record = store.get_record(item.key()).await.unwrap().unwrap();
        assert_eq!(&record.value, item);
    }
    let many = store.get_many(keys()).await.unwrap();
    assert_eq!(many, expected.iter().cloned().map(Some).collect::<Vec<_>>());
    let snapshot = store.transact_get(keys()).await.unwrap();
    assert_eq!(snapshot, many);
    let queried = store.query(Product::query("s1")).all().await.unwrap();
    assert_eq!(queried, expected);
    // A page counts its items per stored shape: what a backfill has left.
    let by_shape = [
        (("Product", 1), 1),
        (("Product", 2), 1),
        (("Product", 3), 1),
    ];
    let page = store.query(Product::query("s1")).page().await.unwrap();
    assert_eq!(page.shapes.into_iter().collect::<Vec<_>>(), by_shape);
    let page = store.query(Catalog::partition("s1")).page().await.unwrap();
    assert_eq!(page.shapes.into_iter().collect::<Vec<_>>(), by_shape);
    let partition = store.query(Catalog::partition("s1")).all().await.unwrap();
    let as_table: Vec<Catalog> = expected.iter().cloned().map(Catalog::Product).collect();
    assert_eq!(partition, as_table);
    for item in &expected {
        let found = crate::support::eventually(|| async {
            let found = store
                .query(Product::by_sku(item.sku.clone()))
                .all()
                .await
                .unwrap();
            (!found.is_empty()).then_some(found)
        })
        .await;
        assert_eq!(found, Some(vec![item.clone()]), "by_sku {}", item.sku);
    }

    let mut changes = Vec::new();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while changes.len() < 3 && std::time::Instant::now() < deadline {
        changes.extend(feed.next_batch().await.unwrap());
    }
    let new: Vec<Option<Catalog>> = changes.into_iter().map(|c| c.new).collect();
    assert_eq!(new, as_table.into_iter().map(Some).collect::<Vec<_>>());
}

/// A conversion that fails is the item's decode error, naming the shapes.
pub async fn a_failed_upgrade_is_a_decode_error(store: Store) {
    store.create_table::<Catalog>().await.unwrap();
    store.put(&v2::product("b", "")).await.unwrap();
    let err = store
        .get(Product::key("s1", "b"))
        .await
        .expect_err("shape 2 without a currency does not upgrade");
    let Error::Decode { .. } = &err else {
        panic!("{err:?}");
    };
    let message = blue_schema::error_chain(&err);
    assert!(
        message.contains("upgrading from shape 2 (`ProductV2`) to shape 3 failed")
            && message.contains("a price needs a currency"),
        "{message}"
    );
}

/// A put of the current shape replaces an older item whole: the stored
/// item holds exactly the current shape's attributes, on DynamoDB as on
/// SQLite (the attributes only older shapes had are removed).
pub async fn writes_store_the_current_shape(store: Store) {
    store.create_table::<Catalog>().await.unwrap();
    store.put(&v1::product("a")).await.unwrap();
    store.put(&v2::product("b", "GBP")).await.unwrap();
    store.put(&v3::product("a", &["x"])).await.unwrap();
    let product = store
        .modify(Product::key("s1", "b"), |p: &mut Product| {
            p.tags.push("y".into())
        })
        .await
        .unwrap()
        .unwrap();
    assert_eq!(product.tags, ["y"]);
    assert_eq!(product.price.currency, "GBP");
    for sku in ["a", "b"] {
        let map = stored(&store, sku).await;
        assert_eq!(
            names(&map),
            ["_shape", "price", "shop", "sku", "tags", "title"],
            "{sku}: {map:?}"
        );
        assert_eq!(map["_shape"], 3);
    }
}

/// An update of an item still in an older shape rewrites it in the current
/// shape first, then applies: no item holds fields of two shapes, and no
/// field the update sets is lost to an upgrade on the next read.
pub async fn updates_upgrade_older_items_first(store: Store) {
    store.create_table::<Catalog>().await.unwrap();
    store.put(&v1::product("a")).await.unwrap();
    let p = Product::attr();
    let after = store
        .update(Product::key("s1", "a"))
        .set(p.tags, vec!["sale".to_owned()])
        .returning_new()
        .await
        .unwrap();
    let mut expected = v3::from_v1("a");
    expected.tags = vec!["sale".into()];
    assert_eq!(after, expected);
    assert_eq!(
        store.get(Product::key("s1", "a")).await.unwrap(),
        Some(expected)
    );
    let map = stored(&store, "a").await;
    assert_eq!(
        names(&map),
        ["_shape", "price", "shop", "sku", "tags", "title"]
    );

    // An update that creates the item writes the current shape.
    store
        .update(Product::key("s1", "new"))
        .or_create()
        .set(p.title, "made".to_owned())
        .set(
            p.price,
            v3::Money {
                cents: 1,
                currency: "EUR".into(),
            },
        )
        .await
        .unwrap();
    assert_eq!(stored(&store, "new").await["_shape"], 3);
}

/// A transaction's update does not upgrade an older item: the transaction
/// is cancelled with the reason, nothing is written, and it runs once the
/// item is upgraded.
pub async fn transactions_name_items_in_older_shapes(store: Store) {
    store.create_table::<Catalog>().await.unwrap();
    store.put(&v1::product("a")).await.unwrap();
    let p = Product::attr();
    let mut tx = store.transaction();
    tx.put(&v3::product("b", &[]));
    tx.update(blue_schema::Update::new(Product::key("s1", "a")).set(p.tags, vec!["t".to_owned()]));
    let err = tx.commit().await.expect_err("the older item is refused");
    let Error::TransactionCanceled(canceled) = &err else {
        panic!("{err:?}");
    };
    let reasons: Vec<_> = canceled.failures().collect();
    assert_eq!(reasons.len(), 1, "{err}");
    let (1, CancelReason::Shape(mismatch)) = reasons[0] else {
        panic!("{err}");
    };
    assert_eq!((mismatch.stored, mismatch.writer), (1, 3));
    assert_eq!(store.get(Product::key("s1", "b")).await.unwrap(), None);

    store
        .modify(Product::key("s1", "a"), |_: &mut Product| {})
        .await
        .unwrap();
    let mut tx = store.transaction();
    tx.update(blue_schema::Update::new(Product::key("s1", "a")).set(p.tags, vec!["t".to_owned()]));
    tx.commit().await.unwrap();
    let read = store.get(Product::key("s1", "a")).await.unwrap().unwrap();
    assert_eq!(read.tags, ["t"]);
}

/// An older program cannot write over an item a newer one wrote: every
/// write path gets `NewerShape` and leaves the item as it was.
pub async fn older_programs_cannot_overwrite_newer_items(store: Store) {
    store.create_table::<Catalog>().await.unwrap();
    let newer = v3::product("a", &["keep"]);
    store.put(&newer).await.unwrap();
    let is_newer = |result: Result<(), Error>, what: &str| match result {
        Err(Error::NewerShape(m)) => {
            let writer = if what.contains("shape 2") { 2 } else { 1 };
            assert_eq!(
                (m.stored, m.writer, m.entity),
                (3, writer, "Product"),
                "{what}"
            );
            assert!(m.to_string().contains("newer"), "{m}");
        }
        other => panic!("{what}: {other:?}"),
    };
    is_newer(store.put(&v1::product("a")).await, "put");
    is_newer(
        store
            .put(&v1::product("a"))
            .when(v1::Product::attr().price_cents.eq(300u64))
            .await,
        "conditional put",
    );
    is_newer(
        store
            .update(v1::Product::key("s1", "a"))
            .set(v1::Product::attr().name, "renamed".to_owned())
            .await,
        "update",
    );
    is_newer(
        store
            .modify(v1::Product::key("s1", "a"), |p: &mut v1::Product| {
                p.price_cents = 1
            })
            .await
            .map(drop),
        "modify",
    );
    is_newer(store.put(&v2::product("a", "EUR")).await, "put of shape 2");
    let mut tx = store.transaction();
    tx.put(&v1::product("a"));
    match tx.commit().await {
        Err(Error::TransactionCanceled(c)) => {
            assert!(
                matches!(c.reasons[0], CancelReason::Shape(ref m) if m.stored == 3),
                "{c}"
            );
        }
        other => panic!("transaction: {other:?}"),
    }
    assert_eq!(
        store.get(Product::key("s1", "a")).await.unwrap(),
        Some(newer)
    );
    // Deleting is not refused: it removes the item, as asked.
    store.delete(v1::Product::key("s1", "a")).await.unwrap();
    assert_eq!(store.get(Product::key("s1", "a")).await.unwrap(), None);
}

/// A rolling deploy: the old program and the new one write the same items
/// at the same time, through two store handles. Once the new program has
/// written an item, the old one never writes it again (it gets
/// `NewerShape`), so no field the new one wrote is lost.
pub async fn a_rolling_deploy_loses_no_field(store: Store) {
    store.create_table::<Catalog>().await.unwrap();
    let old = store.clone();
    let new = store.clone();
    let skus: Vec<String> = (0..6).map(|i| format!("k{i}")).collect();
    // The old program starts once the new one has written its first item,
    // so that it meets the new shape on every schedule (it once wrote all
    // its rounds before the new program's first write landed); the rest
    // of the two runs interleave as they may.
    let new_wrote = tokio::sync::Notify::new();
    let writes = |program: u8| {
        let (store, skus) = (if program == 1 { &old } else { &new }, skus.clone());
        let new_wrote = &new_wrote;
        async move {
            if program == 1 {
                new_wrote.notified().await;
            }
            let mut outcomes = Vec::new();
            for round in 0..8 {
                for sku in &skus {
                    let result = if program == 1 {
                        let mut p = v1::product(sku);
                        p.price_cents = round;
                        store.put(&p).await
                    } else if round % 2 == 0 {
                        store.put(&v3::product(sku, &["new"])).await
                    } else {
                        store
                            .modify(Product::key("s1", sku.as_str()), |p: &mut Product| {
                                p.tags.push(format!("r{round}"))
                            })
                            .await
                            .map(drop)
                    };
                    outcomes.push((sku.clone(), result));
                    if program != 1 {
                        // A permit kept for the old program if it does not
                        // wait yet.
                        new_wrote.notify_one();
                    }
                }
            }
            outcomes
        }
    };
    let (old_outcomes, new_outcomes) = tokio::join!(writes(1), writes(3));
    for (sku, result) in &new_outcomes {
        assert!(
            result.is_ok(),
            "the new program's write of {sku}: {result:?}"
        );
    }
    for (sku, result) in &old_outcomes {
        assert!(
            matches!(result, Ok(()) | Err(Error::NewerShape(_))),
            "the old program's write of {sku}: {result:?}"
        );
    }
    for sku in &skus {
        let map = stored(&store, sku).await;
        assert_eq!(map["_shape"], 3, "{sku}: {map:?}");
        let read = store
            .get(Product::key("s1", sku.as_str()))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            read.tags.first().map(String::as_str),
            Some("new"),
            "{read:?}"
        );
        // The last modify's tag is there: nothing the new program wrote
        // was undone.
        assert_eq!(read.tags.last().map(String::as_str), Some("r7"), "{read:?}");
    }
    let refused = old_outcomes.iter().filter(|(_, r)| r.is_err()).count();
    assert!(refused > 0, "the old program met the new shape");
}

/// Writes `n` items with the program of `shape` (1, 2 or 3), skus
/// `{prefix}{i}`.
async fn write_items(store: &Store, shape: u8, prefix: &str, n: usize) {
    for i in 0..n {
        let sku = format!("{prefix}{i:03}");
        match shape {
            1 => store.put(&v1::product(&sku)).await.unwrap(),
            2 => store.put(&v2::product(&sku, "GBP")).await.unwrap(),
            _ => store.put(&v3::product(&sku, &["current"])).await.unwrap(),
        }
    }
}

/// A backfill rewrites every item of an older shape in the current one
/// (removing the older shapes' attributes), counts what it found per
/// shape, and its writes reach the change feed as `Origin::Migration`,
/// each the same item before and after; a second run finds nothing to do.
pub async fn a_backfill_rewrites_older_items_and_the_feed_says_so(store: Store) {
    use blue_schema::feed::{ChangeKind, Origin};
    use blue_schema::migrate::{backfill, BackfillOptions};
    store.create_table::<Catalog>().await.unwrap();
    write_items(&store, 1, "a", 12).await;
    write_items(&store, 2, "b", 8).await;
    write_items(&store, 3, "c", 5).await;
    let mut feed = store.changes::<Catalog>(Start::Latest).await.unwrap();
    let expected: Vec<Product> = store.query(Product::query("s1")).all().await.unwrap();

    let options = BackfillOptions::default().segments(2).page_items(5);
    let mut rounds = 0;
    let report = backfill::<Catalog>(&store, options.clone(), |_| rounds += 1)
        .await
        .unwrap();
    assert_eq!(
        (
            report.scanned,
            report.upgraded,
            report.current,
            report.remaining()
        ),
        (25, 20, 5, 0),
        "{report:?}"
    );
    assert!(rounds >= 3, "pages of 5: {rounds} rounds");
    let shapes: Vec<_> = report.shapes.iter().map(|(k, n)| (*k, *n)).collect();
    assert_eq!(
        shapes,
        [
            (("Product", 1), 12),
            (("Product", 2), 8),
            (("Product", 3), 5)
        ]
    );
    assert_eq!(
        store.query(Product::query("s1")).all().await.unwrap(),
        expected,
        "the items read the same"
    );
    for item in store.query(Catalog::partition("s1")).raw().await.unwrap() {
        let serde_json::Value::Object(map) = item.attributes else {
            panic!()
        };
        assert_eq!(map["_shape"], 3, "{map:?}");
        assert!(
            !map.contains_key("name") && !map.contains_key("price_cents"),
            "{map:?}"
        );
    }

    let mut migrations = Vec::new();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while migrations.len() < 20 && std::time::Instant::now() < deadline {
        migrations.extend(feed.next_batch().await.unwrap());
    }
    assert_eq!(migrations.len(), 20);
    for change in &migrations {
        assert_eq!(
            (change.kind, change.origin),
            (ChangeKind::Modify, Origin::Migration)
        );
        assert_eq!(change.old, change.new, "a rewrite changes no value");
    }

    let again = backfill::<Catalog>(&store, options, |_| {}).await.unwrap();
    assert_eq!((again.upgraded, again.current), (0, 25), "{again:?}");

    // The application's writes after it are the application's.
    store.put(&v3::product("a000", &["after"])).await.unwrap();
    store
        .update(Product::key("s1", "b000"))
        .set(Product::attr().tags, vec!["later".to_owned()])
        .await
        .unwrap();
    // A stream shows a record some time after its write: poll.
    let mut after = Vec::new();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while after.len() < 2 && std::time::Instant::now() < deadline {
        after.extend(feed.next_batch().await.unwrap());
    }
    after.extend(feed.next_batch().await.unwrap());
    let origins: Vec<_> = after.iter().map(|c| (c.kind, c.origin)).collect();
    assert_eq!(
        origins,
        [
            (ChangeKind::Modify, Origin::Application),
            (ChangeKind::Modify, Origin::Application)
        ]
    );
}

/// A backfill interrupted after its first round resumes from its
/// checkpoint; the application writes the same items meanwhile, with the
/// current program and the older one, and keeps every write: the backfill
/// never writes over an item that changed since it read it.
pub async fn a_backfill_resumes_and_keeps_concurrent_writes(store: Store) {
    use blue_schema::migrate::{backfill, BackfillCheckpoint, BackfillOptions};
    store.create_table::<Catalog>().await.unwrap();
    write_items(&store, 1, "a", 40).await;
    write_items(&store, 2, "b", 20).await;
    let options = BackfillOptions::default()
        .segments(3)
        .page_items(4)
        .in_flight(2);

    // The first run, dropped after its first checkpoint.
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let first = backfill::<Catalog>(&store, options.clone(), move |p| {
        let _ = tx.send(p.checkpoint.to_string());
    });
    let checkpoint = tokio::select! {
        done = first => panic!("a backfill of 60 items in pages of 4 took one round: {done:?}"),
        saved = rx.recv() => saved.expect("a checkpoint"),
    };
    let checkpoint: BackfillCheckpoint = checkpoint.parse().unwrap();
    assert!(!checkpoint.is_done());

    // The second, with the application writing beside it.
    let resumed = backfill::<Catalog>(&store, options.resume(Some(checkpoint)), |_| {});
    let app = async {
        for i in 0..20 {
            let sku = format!("a{:03}", i * 2);
            store.put(&v3::product(&sku, &["app"])).await.unwrap();
            // The older program's write: refused once the item is current.
            let old = v1::product(&format!("b{:03}", i));
            match store.put(&old).await {
                Ok(()) | Err(Error::NewerShape(_)) => {}
                Err(e) => panic!("{e:?}"),
            }
            tokio::task::yield_now().await;
        }
    };
    let (report, ()) = tokio::join!(resumed, app);
    let report = report.unwrap();
    assert_eq!(report.newer, 0, "{report:?}");

    // Whatever the first run and the race left, a last run finishes.
    backfill::<Catalog>(&store, BackfillOptions::default(), |_| {})
        .await
        .unwrap();
    let items = store.query(Product::query("s1")).all().await.unwrap();
    assert_eq!(items.len(), 60, "none lost, none duplicated");
    for item in &items {
        let i: usize = item.sku[1..].parse().unwrap();
        let by_app = item.sku.starts_with('a') && i.is_multiple_of(2) && i < 40;
        if by_app {
            assert_eq!(
                item.tags,
                ["app"],
                "the application's write stays: {item:?}"
            );
        } else if item.sku.starts_with('a') {
            assert_eq!(*item, v3::from_v1(&item.sku));
        }
    }
    for raw in store.query(Catalog::partition("s1")).raw().await.unwrap() {
        assert_eq!(raw.attributes["_shape"], 3, "{raw:?}");
    }
}

/// Random values of both older shapes (any characters, delimiters and
/// escapes among them, the whole `u64` range), written by the older
/// programs and read by the current one: every field arrives as the
/// conversions say, none lost, on every backend.
pub async fn random_older_values_upgrade_without_loss(store: Store) {
    use proptest::prelude::*;
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    store.create_table::<Catalog>().await.unwrap();
    let text = || {
        prop::collection::vec(
            prop_oneof![any::<char>(), Just('#'), Just('%'), Just('"'), Just('\\')],
            0..12,
        )
        .prop_map(String::from_iter)
    };
    let value = (text(), any::<u64>(), text(), any::<bool>());
    let mut runner = TestRunner::deterministic();
    let values: Vec<(String, u64, String, bool)> = (0..48)
        .map(|_| value.new_tree(&mut runner).unwrap().current())
        .collect();
    for (i, (name, cents, currency, second)) in values.iter().enumerate() {
        let sku = format!("p{i:02}");
        let currency = if currency.is_empty() {
            "€"
        } else {
            currency.as_str()
        };
        if *second {
            let mut p = v2::product(&sku, currency);
            p.title.clone_from(name);
            p.price_cents = *cents;
            store.put(&p).await.unwrap();
        } else {
            let mut p = v1::product(&sku);
            p.name.clone_from(name);
            p.price_cents = *cents;
            store.put(&p).await.unwrap();
        }
    }
    let read = store.query(Product::query("s1")).all().await.unwrap();
    assert_eq!(read.len(), values.len());
    for (item, (name, cents, currency, second)) in read.iter().zip(&values) {
        let currency = match (*second, currency.is_empty()) {
            (false, _) => "EUR",
            (true, true) => "€",
            (true, false) => currency.as_str(),
        };
        assert_eq!(
            (
                &item.title,
                item.price.cents,
                item.price.currency.as_str(),
                item.tags.len()
            ),
            (name, *cents, currency, 0),
            "{item:?}"
        );
    }
}
