//! The help desk the multi-attribute index tests write
//! (`tests/store/attribute_indexes.rs`), also read by
//! `tests/dynamodb_backend.rs` for the index DynamoDB holds: tickets
//! listed per queue by priority and opening time, and per assignee, on
//! indexes keyed by the tickets' own fields.

use blue_schema::{Entity, Table};
use serde::{Deserialize, Serialize};

/// Tickets, and the agents who work them.
#[derive(Table, Debug, Clone, PartialEq)]
#[table(name = "blue_helpdesk", indexes(gsi1, gsi2, gsi3))]
pub enum Helpdesk {
    Ticket(Ticket),
    Agent(Agent),
}

/// A support ticket of a customer. Its queue, priority and opening time
/// are the keys of `gsi1` as they are (no `gsi1pk` is written): an update
/// that sets them moves the ticket in the index. A ticket with no
/// assignee is not in `gsi2` (a sparse index).
#[derive(Entity, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[entity(table = Helpdesk)]
#[sk(prefix = "TICKET")]
#[serde(rename_all = "camelCase")]
#[index(gsi1, name = by_queue, attributes, pk(fields(queue)), sk(fields(priority, opened_at)))]
#[index(
    gsi2,
    name = by_assignee,
    attributes,
    pk(fields(assignee)),
    sk(fields(opened_at)),
    project = keys_only
)]
pub struct Ticket {
    #[pk]
    pub customer: String,
    #[sk]
    pub id: u32,
    pub queue: String,
    pub priority: u8,
    /// Epoch seconds; negative before 1970, ordered as numbers.
    pub opened_at: i64,
    pub assignee: Option<String>,
    pub subject: String,
}

/// An agent, listed per team and site (two partition attributes) on its
/// own index.
#[derive(Entity, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[entity(table = Helpdesk)]
#[sk(prefix = "AGENT")]
#[index(gsi3, name = by_team, attributes, pk(fields(team, site)))]
pub struct Agent {
    #[pk]
    pub customer: String,
    #[sk]
    pub login: String,
    pub team: String,
    pub site: u16,
}

/// A ticket.
pub fn ticket(customer: &str, id: u32, queue: &str, priority: u8, opened_at: i64) -> Ticket {
    Ticket {
        customer: customer.into(),
        id,
        queue: queue.into(),
        priority,
        opened_at,
        assignee: None,
        subject: format!("ticket {id}"),
    }
}
