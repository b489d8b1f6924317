//! Per-entity partition templates and item collections (the shop domain):
//! each entity type in the partition it belongs in, an order stored with
//! its lines and shipments under its sort key, and collections that read
//! several entity types in one query.

use blue_schema::{Entity, IntoQuery, Store};
use blue_schema_examples::shop::*;

use crate::parity::same_pages;

pub fn order(customer: &str, id: &str, status: OrderStatus) -> Order {
    Order {
        customer_id: customer.into(),
        order_id: id.into(),
        placed: format!("2026-01-{:02}", id.len()),
        status,
        total_cents: 100 * id.len() as u64,
    }
}

pub fn line(customer: &str, order: &str, n: u16) -> OrderLine {
    OrderLine {
        customer_id: customer.into(),
        order_id: order.into(),
        line: n,
        sku: format!("p-{n}"),
        quantity: u32::from(n),
        price_cents: 250,
    }
}

pub fn shipment(customer: &str, order: &str, n: u16) -> Shipment {
    Shipment {
        customer_id: customer.into(),
        order_id: order.into(),
        shipment: n,
        carrier: "post".into(),
        status: if n == 1 {
            OrderStatus::Delivered
        } else {
            OrderStatus::Placed
        },
        tracking: (n % 2 == 1).then(|| format!("T{n}")),
    }
}

fn customer(id: &str) -> Customer {
    Customer {
        customer_id: id.into(),
        name: format!("{id} name"),
        email: format!("{id}@example.com"),
    }
}

fn product(sku: &str) -> Product {
    Product {
        sku: sku.into(),
        name: format!("{sku} name"),
        category: Some("misc".into()),
        stock: 5,
        price_cents: 250,
    }
}

/// A customer with orders `o-1` (three lines, two shipments), `o-10` (an id
/// that `o-1` is a prefix of: one line) and `o-2` (no children), and a
/// product whose id is the customer's.
pub async fn fill(store: &Store, c: &str) {
    store.put(&customer(c)).await.unwrap();
    store.put(&product(c)).await.unwrap();
    store
        .put(&order(c, "o-1", OrderStatus::Shipped))
        .await
        .unwrap();
    store
        .put(&order(c, "o-10", OrderStatus::Placed))
        .await
        .unwrap();
    store
        .put(&order(c, "o-2", OrderStatus::Placed))
        .await
        .unwrap();
    // Children written in no particular order.
    for n in [2, 1, 3] {
        store.put(&line(c, "o-1", n)).await.unwrap();
    }
    for n in [2, 1] {
        store.put(&shipment(c, "o-1", n)).await.unwrap();
    }
    store.put(&line(c, "o-10", 1)).await.unwrap();
}

/// Each entity's keys carry its own partition template; the same id in two
/// templates is two partitions, and a nested entity's sort key begins with
/// its parent's.
pub async fn entities_live_in_their_own_partitions(store: Store) {
    store.create_table::<Shop>().await.unwrap();
    fill(&store, "x").await;
    assert_eq!(Customer::key("x").partition_key(), "CUSTOMER#x");
    assert_eq!(Product::key("x").partition_key(), "PRODUCT#x");
    let key = OrderLine::key("x", "o-1", 2u16);
    assert_eq!(key.partition_key(), "CUSTOMER#x");
    assert_eq!(key.sort_key(), "ORDER#o-1#LINE#00002");
    assert_eq!(
        OrderLine::decode_key(key.partition_key(), key.sort_key()),
        Ok(("x".to_owned(), ("o-1".to_owned(), 2)))
    );
    // An order's key is no line's, and the other way round.
    assert!(OrderLine::decode_key("CUSTOMER#x", "ORDER#o-1").is_err());
    assert!(Order::decode_key("CUSTOMER#x", "ORDER#o-1#LINE#00002").is_err());
    assert!(OrderLine::decode_key("CUSTOMER#x", "ORDER#o-1#SHIPMENT#00002").is_err());

    assert_eq!(
        store.get(Product::key("x")).await.unwrap(),
        Some(product("x"))
    );
    assert_eq!(
        store.get(Customer::key("x")).await.unwrap(),
        Some(customer("x"))
    );
    assert_eq!(store.get(key).await.unwrap(), Some(line("x", "o-1", 2)));
    // The customer's partition holds no product, and the product's no order.
    let raw = store.query(CustomerItems::query("x")).raw().await.unwrap();
    assert!(raw.iter().all(|item| item.partition_key == "CUSTOMER#x"));
    assert_eq!(raw.len(), 10);
}

/// A collection reads a whole partition of its template in one range, in
/// sort-key order, every item as the variant of its entity.
pub async fn a_collection_reads_a_partition_as_its_entities(store: Store) {
    store.create_table::<Shop>().await.unwrap();
    fill(&store, "c").await;
    let items = store.query(CustomerItems::query("c")).all().await.unwrap();
    let expected = vec![
        CustomerItems::Order(order("c", "o-1", OrderStatus::Shipped)),
        CustomerItems::OrderLine(line("c", "o-1", 1)),
        CustomerItems::OrderLine(line("c", "o-1", 2)),
        CustomerItems::OrderLine(line("c", "o-1", 3)),
        CustomerItems::Shipment(shipment("c", "o-1", 1)),
        CustomerItems::Shipment(shipment("c", "o-1", 2)),
        CustomerItems::Order(order("c", "o-10", OrderStatus::Placed)),
        CustomerItems::OrderLine(line("c", "o-10", 1)),
        CustomerItems::Order(order("c", "o-2", OrderStatus::Placed)),
        CustomerItems::Customer(customer("c")),
    ];
    assert_eq!(items, expected);
    let reversed = store
        .query(CustomerItems::query("c").reverse())
        .all()
        .await
        .unwrap();
    assert_eq!(reversed, expected.into_iter().rev().collect::<Vec<_>>());
}

/// A parent's collection is one range: the parent, then its children in
/// sort-key order, and nothing of a sibling whose id extends the parent's.
/// A collection without the parent skips it, and counts it.
pub async fn an_order_is_read_with_its_children(store: Store) {
    store.create_table::<Shop>().await.unwrap();
    fill(&store, "c").await;
    let query = OrderDetails::query(Order::key("c", "o-1"));
    assert_eq!(
        query.spec().to_string(),
        r#"Query blue_shop: pk = "CUSTOMER#c" AND sk BETWEEN "ORDER#o-1" AND "ORDER#o-1$", ascending"#
    );
    let details = store.query(query.clone()).all().await.unwrap();
    assert_eq!(
        details,
        [
            OrderDetails::Order(order("c", "o-1", OrderStatus::Shipped)),
            OrderDetails::OrderLine(line("c", "o-1", 1)),
            OrderDetails::OrderLine(line("c", "o-1", 2)),
            OrderDetails::OrderLine(line("c", "o-1", 3)),
            OrderDetails::Shipment(shipment("c", "o-1", 1)),
            OrderDetails::Shipment(shipment("c", "o-1", 2)),
        ]
    );
    // Descending: the children from the last, then the order.
    let reversed = store.query(query.clone().reverse()).all().await.unwrap();
    assert_eq!(
        reversed.first(),
        Some(&OrderDetails::Shipment(shipment("c", "o-1", 2)))
    );
    assert_eq!(reversed.last(), Some(&details[0]));
    // Pages of two resume exactly where the last one stopped.
    let mut paged = Vec::new();
    let mut cursor = None;
    let mut pages = 0;
    loop {
        let mut q = query.clone().page_size(2);
        if let Some(c) = cursor.take() {
            q = q.after(c);
        }
        let page = store.query(q).page().await.unwrap();
        pages += 1;
        paged.extend(page.items);
        match page.cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    assert_eq!(paged, details);
    assert!(pages >= 3);
    // An order with no children, and one that does not exist.
    let alone = store
        .query(OrderDetails::query(Order::key("c", "o-2")))
        .all()
        .await
        .unwrap();
    assert_eq!(
        alone,
        [OrderDetails::Order(order("c", "o-2", OrderStatus::Placed))]
    );
    let none = store
        .query(OrderDetails::query(Order::key("c", "o-3")))
        .all()
        .await
        .unwrap();
    assert!(none.is_empty());
    // Without the order: its item is evaluated, skipped and counted.
    let page = store
        .query(OrderChildren::query(Order::key("c", "o-1")))
        .page()
        .await
        .unwrap();
    assert_eq!(page.items.len(), 5);
    assert_eq!(page.unknown, 1);
    assert!(matches!(page.items[0], OrderChildren::OrderLine(_)));
}

/// An entity's own queries return only its items: a parent's range also
/// holds its children's keys, which are evaluated (DynamoDB's `Limit`
/// counts them) and skipped.
pub async fn entity_queries_skip_nested_items(store: Store) {
    store.create_table::<Shop>().await.unwrap();
    fill(&store, "c").await;
    let orders = store.query(Order::query("c")).all().await.unwrap();
    let ids: Vec<&str> = orders.iter().map(|o| o.order_id.as_str()).collect();
    assert_eq!(ids, ["o-1", "o-10", "o-2"]);
    // One item evaluated per page: the pages of children hold no order.
    let mut cursor = None;
    let (mut pages, mut seen) = (0, Vec::new());
    loop {
        let mut q = Order::query("c").page_size(1);
        if let Some(c) = cursor.take() {
            q = q.after(c);
        }
        let page = store.query(q).page().await.unwrap();
        pages += 1;
        seen.extend(page.items.into_iter().map(|o| o.order_id));
        match page.cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    assert_eq!(seen, ["o-1", "o-10", "o-2"]);
    assert!(pages >= 9, "{pages} pages for 9 items in the orders' range");

    assert_eq!(
        store
            .query(Order::query("c").order_id("o-1"))
            .all()
            .await
            .unwrap(),
        [order("c", "o-1", OrderStatus::Shipped)]
    );
    let lines = store.query(OrderLine::query("c")).all().await.unwrap();
    assert_eq!(
        lines,
        [
            line("c", "o-1", 1),
            line("c", "o-1", 2),
            line("c", "o-1", 3),
            line("c", "o-10", 1)
        ]
    );
    let some = store
        .query(OrderLine::query("c").order_id("o-1").line_ge(2u16))
        .all()
        .await
        .unwrap();
    assert_eq!(some, [line("c", "o-1", 2), line("c", "o-1", 3)]);
    let below = store
        .query(OrderLine::query("c").order_id_lt("o-10"))
        .all()
        .await
        .unwrap();
    assert_eq!(below.len(), 3);
    let shipments = store
        .query(Shipment::query("c").order_id("o-1"))
        .all()
        .await
        .unwrap();
    assert_eq!(
        shipments,
        [shipment("c", "o-1", 1), shipment("c", "o-1", 2)]
    );
    // An index read of the parent entity finds its items.
    let placed = crate::support::settled(
        || async {
            store
                .query(Order::by_status(OrderStatus::Placed))
                .all()
                .await
                .unwrap()
        },
        |orders| orders.len() == 2,
    )
    .await;
    // By day placed: `o-2` on the 3rd, `o-10` on the 4th.
    let ids: Vec<&str> = placed.iter().map(|o| o.order_id.as_str()).collect();
    assert_eq!(ids, ["o-2", "o-10"]);
}

/// A collection on an index reads one index partition: the orders and the
/// shipments in one status, across customers, each entity's entries
/// together (by prefix, then table key), every item decoded as its entity.
pub async fn an_index_collection_reads_an_index_partition(store: Store) {
    store.create_table::<Shop>().await.unwrap();
    fill(&store, "c").await;
    fill(&store, "d").await;
    let read = || async {
        store
            .query(InStatus::query(OrderStatus::Placed))
            .all()
            .await
            .unwrap()
    };
    // Index reads may lag the writes on DynamoDB: read until settled.
    let placed = crate::support::settled(read, |items| items.len() == 6).await;
    let names: Vec<String> = placed
        .iter()
        .map(|item| match item {
            InStatus::Order(o) => format!("order {}/{}", o.customer_id, o.order_id),
            InStatus::Shipment(s) => {
                format!("shipment {}/{}/{}", s.customer_id, s.order_id, s.shipment)
            }
        })
        .collect();
    assert_eq!(
        names,
        [
            // By the day placed (`o-2` the 3rd, `o-10` the 4th), then the table key.
            "order c/o-2",
            "order d/o-2",
            "order c/o-10",
            "order d/o-10",
            "shipment c/o-1/2",
            "shipment d/o-1/2",
        ]
    );
    let spec = InStatus::query(OrderStatus::Delivered).spec().to_string();
    assert!(spec.contains(r#"gsi1pk = "STATUS#02-delivered""#), "{spec}");
    // Pages of one evaluate one entry each, and resume exactly.
    let mut cursor = None;
    let mut paged = Vec::new();
    loop {
        let mut q = InStatus::query(OrderStatus::Placed).page_size(1);
        if let Some(c) = cursor.take() {
            q = q.after(c);
        }
        let page = store.query(q).page().await.unwrap();
        paged.extend(page.items);
        match page.cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    assert_eq!(paged, placed);
}

/// Deleting a parent deletes only the parent (DynamoDB has no cascade):
/// its children stay, and its collection reads them without it.
pub async fn a_parent_is_deleted_alone(store: Store) {
    store.create_table::<Shop>().await.unwrap();
    fill(&store, "c").await;
    store.delete(Order::key("c", "o-1")).await.unwrap();
    let left = store
        .query(OrderDetails::query(Order::key("c", "o-1")))
        .all()
        .await
        .unwrap();
    assert_eq!(left.len(), 5);
    assert!(left.iter().all(|i| !matches!(i, OrderDetails::Order(_))));
}

/// The collections' pages, items and cursors are the same on SQLite and
/// DynamoDB, at every page size, and each resumes the other's cursors.
pub async fn same_collection_pages(sqlite: Store, dynamo: Store) {
    for store in [&sqlite, &dynamo] {
        store.create_table::<Shop>().await.unwrap();
        fill(store, "c").await;
    }
    for limit in 1..=4 {
        let case = u64::from(limit);
        same_pages(&sqlite, &dynamo, CustomerItems::query("c"), limit, case).await;
        same_pages(
            &sqlite,
            &dynamo,
            CustomerItems::query("c").reverse(),
            limit,
            case,
        )
        .await;
        let order = || OrderDetails::query(Order::key("c", "o-1"));
        same_pages(&sqlite, &dynamo, order(), limit, case).await;
        same_pages(&sqlite, &dynamo, order().reverse(), limit, case).await;
        let children = OrderChildren::query(Order::key("c", "o-1"));
        same_pages(&sqlite, &dynamo, children, limit, case).await;
        same_pages(
            &sqlite,
            &dynamo,
            Order::query("c").into_query(),
            limit,
            case,
        )
        .await;
        same_pages(
            &sqlite,
            &dynamo,
            OrderLine::query("c").into_query(),
            limit,
            case,
        )
        .await;
    }
}

/// The shop example's tour reads the same on SQLite and on DynamoDB.
pub async fn the_shop_tour_reads_the_same(sqlite: Store, dynamo: Store) {
    let on_sqlite = tour(&sqlite).await.unwrap();
    let on_dynamo = tour(&dynamo).await.unwrap();
    assert!(on_sqlite.contains("One order with its lines and shipments"));
    assert!(on_sqlite.contains("  shipment 1: Some(\"T-1\")"));
    assert_eq!(on_sqlite, on_dynamo);
}
