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

fn main() {
    let org = OrgId("acme".into());
    let key = Member::key(&org, Region::EuWest, 'x', -5);
    assert_eq!(key.partition_key(), "ORG#acme#EU_WEST");
    let _ = Member::query(&org, Region::UsEast).r#type('x').joined_between(-3, 3).page_size(2);
    let _ = AuditEvent::query(org.clone(), Region::EuWest).seq(1).flag(true).actor_starts_with("a").into_spec();
    let _ = Accounts::partition((org, Region::EuWest)).reverse().into_query();
    assert_eq!(<Accounts as Table>::SCHEMA.entities.len(), 3);
    assert_eq!(Member::SCHEMA.attributes.len(), 6);
}
