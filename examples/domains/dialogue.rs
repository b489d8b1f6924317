//! The dialogue domain of ADR 0018 (RFC 0051): one partition per dialogue.
//!
//! ```text
//! nvidia-dec | META                  → {title, status}
//! nvidia-dec | EXPERT#muffin         → {role, tier, score}
//! nvidia-dec | PERSP#0#muffin#1      → {label, content, status}
//! nvidia-dec | TENSION#T01           → {description, status}
//! nvidia-dec | TEVENT#T01#1706900000 → {event_type, actor, reason}
//! ```
//!
//! Two secondary indexes answer the questions across dialogues:
//!
//! ```text
//! gsi1: ROLE#skeptic   | EXPERT#001#{pk}#{sk}   experts by role, by tier
//! gsi2: TENSION#open   | TENSION#{pk}#{sk}      tensions by status
//! ```

use blue_schema::{Entity, KeyPart, Table};
use serde::{Deserialize, Serialize};

/// Dialogue domain: one partition per dialogue, holding its metadata, experts,
/// perspectives, tensions and the audit trail of each tension.
#[derive(Table, Debug, Clone, PartialEq)]
#[table(name = "blue_dialogue", indexes(gsi1, gsi2))]
pub enum Dialogue {
    Meta(DialogueMeta),
    Expert(Expert),
    Perspective(Perspective),
    Tension(Tension),
    TensionEvent(TensionEvent),
}

/// Where a dialogue, a perspective or a tension stands. Part of an index
/// key (tensions by status), where it is written by name: `open`.
#[derive(KeyPart, Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[key_part(order = "name")]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Open,
    Converging,
    Resolved,
}

/// The dialogue itself: one per partition.
#[derive(Entity, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[entity(table = Dialogue)]
#[sk(prefix = "META")]
pub struct DialogueMeta {
    /// The dialogue's id, which names its partition.
    #[pk]
    pub dialogue_id: String,
    /// What the dialogue is about.
    pub title: String,
    /// Whether it is still running.
    pub status: Status,
}

/// An expert taking part in a dialogue.
#[derive(Entity, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[entity(table = Dialogue)]
#[sk(prefix = "EXPERT")]
#[index(gsi1, name = by_role, pk(prefix = "ROLE", fields(role)), sk(fields(tier)))]
pub struct Expert {
    #[pk]
    pub dialogue_id: String,
    /// The expert's handle, unique within the dialogue.
    #[sk]
    pub name: String,
    /// The point of view the expert argues from.
    pub role: String,
    /// Seniority tier, 1 (highest) to 3.
    pub tier: u8,
    /// Running score from the judges.
    pub score: i32,
}

/// One perspective an expert contributed in a round.
#[derive(Entity, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[entity(table = Dialogue)]
#[sk(prefix = "PERSP")]
pub struct Perspective {
    #[pk]
    pub dialogue_id: String,
    /// The round, from 0.
    #[sk]
    pub round: u32,
    /// The expert who gave it.
    #[sk]
    pub expert: String,
    /// Its number among the expert's perspectives in the round, from 1.
    #[sk]
    pub seq: u32,
    /// A short label.
    pub label: String,
    /// The text.
    pub content: String,
    /// Whether it is still debated.
    pub status: Status,
}

/// A tension between perspectives.
#[derive(Entity, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[entity(table = Dialogue)]
#[sk(prefix = "TENSION")]
#[index(gsi2, name = by_status, pk(prefix = "TENSION", fields(status)))]
pub struct Tension {
    #[pk]
    pub dialogue_id: String,
    /// The tension's id within the dialogue (`T01`).
    #[sk]
    pub tension_id: String,
    /// What is in tension.
    pub description: String,
    /// Whether it is resolved.
    pub status: Status,
}

/// An audit event of a tension.
#[derive(Entity, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[entity(table = Dialogue)]
#[sk(prefix = "TEVENT")]
pub struct TensionEvent {
    #[pk]
    pub dialogue_id: String,
    /// The tension the event belongs to.
    #[sk]
    pub tension_id: String,
    /// When it happened, in Unix seconds.
    #[sk]
    pub at: u64,
    /// What happened (`raised`, `escalated`, `resolved`, …).
    pub event_type: String,
    /// Who did it.
    pub actor: String,
    /// Why.
    pub reason: String,
}
