//! A schema that uses every feature the derives accept, in a crate that also
//! defines items with the names the expansion uses.

use blue_schema::{Entity, IntoQuery, KeyPart, Table};
use serde::{Deserialize, Serialize};

#[allow(dead_code)]
struct Key;
#[allow(dead_code)]
struct Query;
#[allow(dead_code)]
mod std {}

#[derive(KeyPart, Serialize, Deserialize, Debug, Clone, Copy, PartialEq)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
enum Region {
    EuWest,
    #[serde(rename = "us")]
    UsEast,
}

#[derive(KeyPart, Serialize, Deserialize, Debug, Clone, PartialEq)]
struct OrgId(String);

/// Accounts, one partition per organisation and region.
#[derive(Table, Debug)]
#[table(name = "blue.accounts-v2")]
enum Accounts {
    Org(Org),
    Member(Member),
    Event(AuditEvent),
}

#[derive(Entity, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[entity(table = Accounts, pk_prefix = "ORG")]
#[sk(prefix = "META")]
struct Org {
    #[pk]
    org: OrgId,
    #[pk]
    region: Region,
    name: String,
}

#[derive(Entity, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[entity(pk_prefix = "ORG")]
#[entity(table = Accounts)]
#[sk(prefix = "MEMBER_V2")]
#[serde(rename_all = "camelCase")]
struct Member {
    #[pk]
    org: OrgId,
    display_name: String,
    #[pk]
    region: Region,
    #[sk]
    r#type: char,
    #[sk]
    joined: i64,
    #[serde(skip)]
    cached: Option<f64>,
    active: bool,
}

#[derive(Entity, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[entity(table = Accounts, pk_prefix = "ORG")]
#[sk(prefix = "EVENT")]
struct AuditEvent {
    #[pk]
    org: OrgId,
    #[pk]
    region: Region,
    #[sk]
    seq: u128,
    #[sk]
    flag: bool,
    #[sk]
    actor: String,
    score: f64,
    tags: Vec<String>,
}

/// Orders, with every form of access pattern: a sparse one on an `Option`,
/// a composite index partition key of a newtype and an enum, an `r#`
/// field, serde renames, keys only, one made of key fields, two sharing a
/// field, and a multi-attribute one of two partition fields and an
/// `Option` sort field, stored under serde's names.
#[derive(Table, Debug)]
#[table(name = "blue_orders", indexes(gsi1, gsi2, gsi3, gsi4, gsi5))]
enum Orders {
    Order(Order),
}

#[derive(Entity, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[entity(table = Orders)]
#[sk(prefix = "ORDER")]
#[serde(rename_all = "camelCase")]
#[index(gsi1, name = by_customer, pk(prefix = "CUST", fields(customer_id, region)), sk(fields(r#type, placed_at)))]
#[index(gsi2, name = open_by_due, pk(prefix = "DUE", fields(shop)), sk(fields(due_day)))]
#[index(gsi3, name = by_number, pk(fields(number)), project = keys_only)]
#[index(gsi4, name = by_type, pk(prefix = "TYPE", fields(r#type)), sk(fields(due_day)))]
#[index(gsi5, name = by_shop_day, attributes, pk(fields(shop, placed_at)), sk(fields(due_day)), project = keys_only)]
struct Order {
    #[pk]
    shop: String,
    #[sk]
    number: u64,
    customer_id: OrgId,
    region: Region,
    r#type: char,
    placed_at: i64,
    due_day: Option<u32>,
    total: u64,
}

/// Time to Live: the table names the attribute, each expiring entity its
/// field, a `u64` or a `SystemTime` stored as epoch seconds.
#[derive(Table)]
#[table(name = "sessions", ttl = "expires_at")]
pub enum Sessions {
    Session(Session),
    Code(Code),
    Device(Device),
}

#[derive(Entity, serde::Serialize, serde::Deserialize)]
#[entity(table = Sessions)]
#[sk(prefix = "SESSION")]
pub struct Session {
    #[pk]
    pub user: String,
    #[sk]
    pub id: String,
    #[ttl]
    #[serde(with = "blue_schema::ttl", default)]
    pub expires_at: Option<::std::time::SystemTime>,
}

#[derive(Entity, serde::Serialize, serde::Deserialize)]
#[entity(table = Sessions)]
#[sk(prefix = "CODE")]
pub struct Code {
    #[pk]
    pub user: String,
    #[ttl]
    #[serde(rename = "expires_at")]
    pub valid_until: u64,
}

/// Never expires.
#[derive(Entity, serde::Serialize, serde::Deserialize)]
#[entity(table = Sessions)]
#[sk(prefix = "DEVICE")]
pub struct Device {
    #[pk]
    pub user: String,
    #[sk]
    pub name: String,
}

fn main() {
    assert_eq!(<Sessions as Table>::SCHEMA.ttl, Some("expires_at"));
    assert_eq!(Code::SCHEMA.ttl, Some("expires_at"));
    assert_eq!(Device::SCHEMA.ttl, None);
    let _ = Session::query("u").page_size(3).into_query().include_expired();

    let spec = Order::by_customer(OrgId("c".into()), Region::UsEast)
        .r#type('x')
        .placed_at_ge(5)
        .into_spec();
    assert!(!spec.consistent);
    let _ = Order::open_by_due("s").due_day_lt(7u32).filter(Order::attr().total.gt(5)).max_pages(3);
    let _: blue_schema::Query<blue_schema::Key<Order>> = Order::by_number(7u64).into_query();
    // `r#type` is in two patterns and `due_day` in two: one group, so each
    // pattern's struct sets the fields of all three.
    let _ = blue_schema::Update::new(Order::key("s", 7u64)).set_index(OrderByCustomer {
        customer_id: OrgId("c".into()),
        region: Region::EuWest,
        r#type: 'y',
        placed_at: 1,
        due_day: None,
    });
    let _ = OrderByType {
        customer_id: OrgId("c".into()),
        region: Region::EuWest,
        r#type: 'z',
        placed_at: 2,
        due_day: Some(3),
    };
    assert_eq!(Order::SCHEMA.indexes.len(), 5);
    let spec = Order::by_shop_day("s", 5i64).due_day_ge(3u32).into_spec();
    assert_eq!(spec.to_string(), "Query blue_orders index gsi5: shop = \"s\" AND placedAt = 5 AND dueDay >= 3, ascending, eventually consistent");
    assert_eq!(Order::SCHEMA.indexes[4].partition_key_template(), "shop (S), placedAt (N)");
    assert_eq!(Order::SCHEMA.indexes[0].sort_key_template("ORDER"), "ORDER#{type}#{placed_at}#{pk}#{sk}");
    assert_eq!(<Orders as Table>::SCHEMA.projection("gsi3"), blue_schema::schema::Projection::KeysOnly);

    let org = OrgId("acme".into());
    let key = Member::key(&org, Region::EuWest, 'x', -5);
    assert_eq!(key.partition_key(), "ORG#acme#EU_WEST");
    let _ = Member::query(&org, Region::UsEast).r#type('x').joined_between(-3, 3).page_size(2);
    let _ = AuditEvent::query(org.clone(), Region::EuWest).seq(1).flag(true).actor_starts_with("a").into_spec();
    let _ = Accounts::partition((org, Region::EuWest)).reverse().into_query();
    assert_eq!(<Accounts as Table>::SCHEMA.entities.len(), 3);
    assert_eq!(Member::SCHEMA.attributes.len(), 6);
}
