//! The items the backend benchmarks write and read: experts and
//! perspectives of the dialogue domain, with realistic field lengths.

use blue_schema_examples::dialogue::*;

pub const D: &str = "nvidia-dec";

pub fn expert(d: &str, i: usize) -> Expert {
    Expert {
        dialogue_id: d.into(),
        name: format!("expert-{i:05}"),
        role: "skeptic with a long-ish role description".into(),
        tier: (i % 3) as u8 + 1,
        score: i as i32 * 7 - 100,
    }
}

pub fn perspective(d: &str, i: usize) -> Perspective {
    Perspective {
        dialogue_id: d.into(),
        round: (i / 10) as u32,
        expert: format!("expert-{:05}", i % 10),
        seq: (i % 7) as u32,
        label: "supply".into(),
        content: "Lead times are shrinking, and margins peak this quarter.".into(),
        status: Status::Open,
    }
}

/// The `created_at` both sides of a benchmark write.
pub fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// The same item shape with no secondary index and with two.
pub mod cards {
    use blue_schema::{Entity, Table};
    use serde::{Deserialize, Serialize};

    #[derive(Table)]
    #[table(name = "bench_plain")]
    pub enum Plain {
        Card(PlainCard),
    }

    #[derive(Entity, Serialize, Deserialize, Clone)]
    #[entity(table = Plain)]
    #[sk(prefix = "CARD")]
    pub struct PlainCard {
        #[pk]
        pub deck: String,
        #[sk]
        pub id: u32,
        pub owner: String,
        pub rank: u32,
        pub text: String,
    }

    #[derive(Table)]
    #[table(name = "bench_indexed", indexes(gsi1, gsi2))]
    pub enum Indexed {
        Card(IndexedCard),
    }

    #[derive(Entity, Serialize, Deserialize, Clone)]
    #[entity(table = Indexed)]
    #[sk(prefix = "CARD")]
    #[index(gsi1, name = by_owner, pk(prefix = "OWNER", fields(owner)), sk(fields(rank)))]
    #[index(gsi2, name = by_rank, pk(prefix = "RANK", fields(rank)), project = keys_only)]
    pub struct IndexedCard {
        #[pk]
        pub deck: String,
        #[sk]
        pub id: u32,
        pub owner: String,
        pub rank: u32,
        pub text: String,
    }

    pub fn plain(i: u32) -> PlainCard {
        PlainCard {
            deck: "deck-01".into(),
            id: i,
            owner: format!("owner-{}", i % 50),
            rank: i % 13,
            text: "A card of a realistic length, with some words on it.".into(),
        }
    }

    /// The same card with an expiry, in a table without a TTL attribute.
    #[derive(Table)]
    #[table(name = "bench_timed")]
    pub enum Timed {
        Card(TimedCard),
    }

    #[derive(Entity, Serialize, Deserialize, Clone)]
    #[entity(table = Timed)]
    #[sk(prefix = "CARD")]
    pub struct TimedCard {
        #[pk]
        pub deck: String,
        #[sk]
        pub id: u32,
        pub owner: String,
        pub rank: u32,
        pub text: String,
        pub expires_at: u64,
    }

    /// The same card in a table with TTL on `expires_at`: what TTL costs.
    #[derive(Table)]
    #[table(name = "bench_expiring", ttl = "expires_at")]
    pub enum Expiring {
        Card(ExpiringCard),
    }

    #[derive(Entity, Serialize, Deserialize, Clone)]
    #[entity(table = Expiring)]
    #[sk(prefix = "CARD")]
    pub struct ExpiringCard {
        #[pk]
        pub deck: String,
        #[sk]
        pub id: u32,
        pub owner: String,
        pub rank: u32,
        pub text: String,
        #[ttl]
        pub expires_at: u64,
    }

    /// The plain card in a table with a change feed: what the feed costs.
    #[derive(Table)]
    #[table(name = "bench_streamed", stream)]
    pub enum Streamed {
        Card(StreamedCard),
    }

    #[derive(Entity, Serialize, Deserialize, Clone)]
    #[entity(table = Streamed)]
    #[sk(prefix = "CARD")]
    pub struct StreamedCard {
        #[pk]
        pub deck: String,
        #[sk]
        pub id: u32,
        pub owner: String,
        pub rank: u32,
        pub text: String,
    }

    pub fn streamed(i: u32) -> StreamedCard {
        let p = plain(i);
        StreamedCard {
            deck: p.deck,
            id: p.id,
            owner: p.owner,
            rank: p.rank,
            text: p.text,
        }
    }

    /// Far in the future: never expired.
    const LATER: u64 = 4_000_000_000;

    pub fn timed(i: u32) -> TimedCard {
        let p = plain(i);
        TimedCard {
            deck: p.deck,
            id: p.id,
            owner: p.owner,
            rank: p.rank,
            text: p.text,
            expires_at: LATER,
        }
    }

    pub fn expiring(i: u32) -> ExpiringCard {
        let p = plain(i);
        ExpiringCard {
            deck: p.deck,
            id: p.id,
            owner: p.owner,
            rank: p.rank,
            text: p.text,
            expires_at: LATER,
        }
    }

    pub fn indexed(i: u32) -> IndexedCard {
        let p = plain(i);
        IndexedCard {
            deck: p.deck,
            id: p.id,
            owner: p.owner,
            rank: p.rank,
            text: p.text,
        }
    }
}
