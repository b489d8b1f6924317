//! An online shop in one table: each entity type has the partition it
//! belongs in, and an order is stored with its lines and shipments as one
//! item collection (the adjacency-list pattern).
//!
//! ```text
//! CUSTOMER#{customer_id} | PROFILE                                  → {name, email} (shape 2)
//! CUSTOMER#{customer_id} | ORDER#{order_id}                         → {placed, status, total_cents}
//! CUSTOMER#{customer_id} | ORDER#{order_id}#LINE#{line}             → {sku, quantity, price_cents}
//! CUSTOMER#{customer_id} | ORDER#{order_id}#SHIPMENT#{shipment}     → {carrier, status, tracking}
//! PRODUCT#{sku}          | PRODUCT                                  → {name, category, stock, price_cents}
//! ```
//!
//! One index answers the questions across customers, and holds orders and
//! shipments in one index partition per status:
//!
//! ```text
//! gsi1: STATUS#{status} | ORDER#{placed}#{pk}#{sk}   orders by status, oldest first
//! gsi1: STATUS#{status} | SHIPMENT#{pk}#{sk}         shipments by status
//! ```
//!
//! A second index lists the catalogue per category by stock, for
//! restocking: its keys are the products' own `category` and `stock`
//! attributes (a multi-attribute index), so a product is in it as written,
//! and an update of its stock moves it there:
//!
//! ```text
//! gsi2: category | stock, pk, sk                      products of a category, fewest in stock first
//! ```
//!
//! Collections read several entity types in one query: [`CustomerItems`]
//! (a customer's whole partition), [`OrderDetails`] (one order, its lines
//! and its shipments) and [`InStatus`] (an index partition: the orders and
//! shipments in one status).

use blue_schema::{Collection, Entity, KeyPart, Shape, Table};
use serde::{Deserialize, Serialize};

/// The shop: customers with their orders, and the product catalogue.
#[derive(Table, Debug, Clone, PartialEq)]
#[table(name = "blue_shop", indexes(gsi1, gsi2))]
pub enum Shop {
    Customer(Customer),
    Order(Order),
    OrderLine(OrderLine),
    Shipment(Shipment),
    Product(Product),
}

/// A customer's profile: one per customer partition. In shape 2: shape 1
/// kept the name and the address in one `contact`.
#[derive(Entity, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[entity(table = Shop, pk_prefix = "CUSTOMER", shape = 2, from = CustomerV1)]
#[sk(prefix = "PROFILE")]
pub struct Customer {
    /// The customer's id, which names the partition.
    #[pk]
    pub customer_id: String,
    /// The customer's name.
    pub name: String,
    /// Where to write.
    pub email: String,
}

/// Shape 1 of a customer's profile, frozen: the name and the address in
/// one field, `Ada <ada@example.com>`.
#[derive(Shape, Deserialize, Debug)]
#[shape(of = Customer, number = 1)]
pub struct CustomerV1 {
    #[pk]
    pub customer_id: String,
    /// `Name <address>`.
    pub contact: String,
}

impl From<CustomerV1> for Customer {
    fn from(v1: CustomerV1) -> Self {
        let (name, email) = match v1.contact.split_once('<') {
            Some((name, rest)) => (name.trim(), rest.trim_end_matches('>').trim()),
            None => (v1.contact.trim(), ""),
        };
        Customer {
            customer_id: v1.customer_id,
            name: name.to_owned(),
            email: email.to_owned(),
        }
    }
}

/// Where an order stands; part of the index key (orders by status).
#[derive(KeyPart, Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[key_part(order = "declaration")]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    Placed,
    Shipped,
    Delivered,
}

/// An order, in its customer's partition.
#[derive(Entity, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[entity(table = Shop, pk_prefix = "CUSTOMER")]
#[sk(prefix = "ORDER")]
#[index(gsi1, name = by_status, pk(prefix = "STATUS", fields(status)), sk(fields(placed)))]
pub struct Order {
    #[pk]
    pub customer_id: String,
    /// The order's id, unique within the customer.
    #[sk]
    pub order_id: String,
    /// The day it was placed, `YYYY-MM-DD`.
    pub placed: String,
    /// Where it stands.
    pub status: OrderStatus,
    /// What it costs, in cents.
    pub total_cents: u64,
}

/// A line of an order: nested under it, so that its sort key begins with
/// the order's (`ORDER#{order_id}#LINE#{line}`).
#[derive(Entity, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[entity(table = Shop, pk_prefix = "CUSTOMER", parent = Order)]
#[sk(prefix = "LINE")]
pub struct OrderLine {
    #[pk]
    pub customer_id: String,
    /// The order's id: the parent's sort-key field comes first.
    #[sk]
    pub order_id: String,
    /// The line's number within the order, from 1.
    #[sk]
    pub line: u16,
    /// The product.
    pub sku: String,
    /// How many.
    pub quantity: u32,
    /// The unit price, in cents.
    pub price_cents: u64,
}

/// A parcel of an order, nested under it beside its lines.
#[derive(Entity, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[entity(table = Shop, pk_prefix = "CUSTOMER", parent = Order)]
#[sk(prefix = "SHIPMENT")]
#[index(gsi1, name = by_status, pk(prefix = "STATUS", fields(status)))]
pub struct Shipment {
    #[pk]
    pub customer_id: String,
    #[sk]
    pub order_id: String,
    /// The parcel's number within the order, from 1.
    #[sk]
    pub shipment: u16,
    /// Who carries it.
    pub carrier: String,
    /// Where it stands.
    pub status: OrderStatus,
    /// The carrier's tracking code.
    pub tracking: Option<String>,
}

/// A product of the catalogue, in a partition of its own; listed per
/// category by stock (`Product::by_category("kitchen").stock_lt(1)`: what
/// is sold out).
#[derive(Entity, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[entity(table = Shop, pk_prefix = "PRODUCT")]
#[sk(prefix = "PRODUCT")]
#[index(gsi2, name = by_category, attributes, pk(fields(category)), sk(fields(stock)))]
pub struct Product {
    /// The stock-keeping unit, which names the partition.
    #[pk]
    pub sku: String,
    /// What it is called.
    pub name: String,
    /// The shelf of the catalogue it is on, if any (a product without one
    /// is not in `gsi2`; products stored before categories still decode).
    pub category: Option<String>,
    /// How many are in stock.
    pub stock: u32,
    /// The unit price, in cents.
    pub price_cents: u64,
}

/// Everything in a customer's partition: `CustomerItems::query(customer_id)`.
#[derive(Collection, Serialize, Debug, Clone, PartialEq)]
#[collection(table = Shop)]
pub enum CustomerItems {
    Customer(Customer),
    Order(Order),
    OrderLine(OrderLine),
    Shipment(Shipment),
}

/// One order with its lines and shipments:
/// `OrderDetails::query(Order::key(customer_id, order_id))`.
#[derive(Collection, Serialize, Debug, Clone, PartialEq)]
#[collection(table = Shop, parent = Order)]
pub enum OrderDetails {
    Order(Order),
    OrderLine(OrderLine),
    Shipment(Shipment),
}

/// The orders and shipments in one status, across customers: one index
/// partition, `InStatus::query(OrderStatus::Shipped)`.
#[derive(Collection, Serialize, Debug, Clone, PartialEq)]
#[collection(table = Shop, index = gsi1)]
pub enum InStatus {
    Order(Order),
    Shipment(Shipment),
}

/// An order's lines and shipments without the order itself.
#[derive(Collection, Serialize, Debug, Clone, PartialEq)]
#[collection(table = Shop, parent = Order)]
pub enum OrderChildren {
    OrderLine(OrderLine),
    Shipment(Shipment),
}

/// Writes a small shop and reads it back through the table's access
/// patterns, returning what it read as text: the `shop` example prints it,
/// and the test suite checks that SQLite and DynamoDB give the same text.
/// (The index reads are the example's own: an index may lag a write on
/// DynamoDB, so a comparison right after writing would test the emulator.)
///
/// # Errors
///
/// The store's first error.
pub async fn tour(store: &blue_schema::Store) -> Result<String, blue_schema::Error> {
    use std::fmt::Write as _;

    store.create_table::<Shop>().await?;
    store
        .put(&Customer {
            customer_id: "ada".into(),
            name: "Ada".into(),
            email: "ada@example.com".into(),
        })
        .await?;
    for (sku, name, stock) in [("p-1", "kettle", 4), ("p-2", "teapot", 0)] {
        store
            .put(&Product {
                sku: sku.into(),
                name: name.into(),
                category: Some("kitchen".into()),
                stock,
                price_cents: 2500,
            })
            .await?;
    }
    let orders = [
        ("o-1", "2026-01-05", OrderStatus::Delivered, 2),
        ("o-2", "2026-02-11", OrderStatus::Placed, 1),
    ];
    for (id, placed, status, lines) in orders {
        store
            .put(&Order {
                customer_id: "ada".into(),
                order_id: id.into(),
                placed: placed.into(),
                status,
                total_cents: 2500 * u64::from(lines),
            })
            .await?;
        for n in 1..=lines {
            store
                .put(&OrderLine {
                    customer_id: "ada".into(),
                    order_id: id.into(),
                    line: n,
                    sku: format!("p-{n}"),
                    quantity: 1,
                    price_cents: 2500,
                })
                .await?;
        }
    }
    store
        .put(&Shipment {
            customer_id: "ada".into(),
            order_id: "o-1".into(),
            shipment: 1,
            carrier: "post".into(),
            status: OrderStatus::Delivered,
            tracking: Some("T-1".into()),
        })
        .await?;

    let mut out = String::new();
    let _ = writeln!(out, "A customer's partition, one query (CustomerItems):");
    for item in store.query(CustomerItems::query("ada")).all().await? {
        let line = match item {
            CustomerItems::Customer(c) => format!("customer {} <{}>", c.name, c.email),
            CustomerItems::Order(o) => {
                format!("order {} placed {} {:?}", o.order_id, o.placed, o.status)
            }
            CustomerItems::OrderLine(l) => format!(
                "  line {} of {}: {} x{}",
                l.line, l.order_id, l.sku, l.quantity
            ),
            CustomerItems::Shipment(s) => format!(
                "  shipment {} of {} by {}",
                s.shipment, s.order_id, s.carrier
            ),
        };
        let _ = writeln!(out, "  {line}");
    }
    let _ = writeln!(
        out,
        "One order with its lines and shipments (OrderDetails):"
    );
    let details = OrderDetails::query(Order::key("ada", "o-1"));
    let _ = writeln!(out, "  {}", details.spec());
    for item in store.query(details).all().await? {
        let line = match item {
            OrderDetails::Order(o) => format!("order {} ({} cents)", o.order_id, o.total_cents),
            OrderDetails::OrderLine(l) => format!("line {}: {}", l.line, l.sku),
            OrderDetails::Shipment(s) => format!("shipment {}: {:?}", s.shipment, s.tracking),
        };
        let _ = writeln!(out, "  {line}");
    }
    let _ = writeln!(out, "The orders alone (Order::query skips the lines):");
    for order in store.query(Order::query("ada")).all().await? {
        let _ = writeln!(out, "  {} {:?}", order.order_id, order.status);
    }
    let _ = writeln!(out, "Products, each in a partition of its own:");
    for sku in ["p-1", "p-2"] {
        if let Some(p) = store.get(Product::key(sku)).await? {
            let _ = writeln!(out, "  {} {} ({} in stock)", p.sku, p.name, p.stock);
        }
    }
    Ok(out)
}

/// The shop as the program before `Customer`'s shape 2 saw it: its
/// customers in shape 1, one `contact`. What the backfill example and the
/// command line's tests write, as an older binary would.
pub mod before {
    use blue_schema::{Entity, Table};
    use serde::{Deserialize, Serialize};

    /// The shop's table, as the older program declared it.
    #[derive(Table, Debug)]
    #[table(name = "blue_shop", indexes(gsi1))]
    pub enum Shop {
        Customer(Customer),
    }

    /// A customer's profile in shape 1 (no shape declared).
    #[derive(Entity, Serialize, Deserialize, Debug, Clone)]
    #[entity(table = Shop, pk_prefix = "CUSTOMER")]
    #[sk(prefix = "PROFILE")]
    pub struct Customer {
        /// The customer's id.
        #[pk]
        pub customer_id: String,
        /// `Name <address>`.
        pub contact: String,
    }
}
