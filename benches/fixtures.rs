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
    use blue_schema::{Entity, Shape, Table};
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

    /// The plain card with a handle, in a table of its own.
    #[derive(Table)]
    #[table(name = "bench_handled")]
    pub enum Handled {
        Card(HandledCard),
    }

    #[derive(Entity, Serialize, Deserialize, Clone)]
    #[entity(table = Handled)]
    #[sk(prefix = "CARD")]
    pub struct HandledCard {
        #[pk]
        pub deck: String,
        #[sk]
        pub id: u32,
        pub owner: String,
        pub rank: u32,
        pub text: String,
        pub handle: String,
    }

    /// The same card whose handle is `#[unique]`: what a unique field
    /// costs a write.
    #[derive(Table)]
    #[table(name = "bench_unique")]
    pub enum Unique {
        Card(UniqueCard),
    }

    #[derive(Entity, Serialize, Deserialize, Clone)]
    #[entity(table = Unique)]
    #[sk(prefix = "CARD")]
    pub struct UniqueCard {
        #[pk]
        pub deck: String,
        #[sk]
        pub id: u32,
        pub owner: String,
        pub rank: u32,
        pub text: String,
        #[unique]
        pub handle: String,
    }

    pub fn handled(i: u32) -> HandledCard {
        let p = plain(i);
        HandledCard {
            deck: p.deck,
            id: p.id,
            owner: p.owner,
            rank: p.rank,
            text: p.text,
            handle: format!("card-{i}@deck-01"),
        }
    }

    pub fn unique(i: u32) -> UniqueCard {
        let h = handled(i);
        UniqueCard {
            deck: h.deck,
            id: h.id,
            owner: h.owner,
            rank: h.rank,
            text: h.text,
            handle: h.handle,
        }
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

    /// The plain card in shape 2 (its shape 1 had another field name),
    /// its key unchanged: the baseline of a key move's cost.
    #[derive(Table)]
    #[table(name = "bench_reshaped")]
    pub enum Reshaped {
        Card(ReshapedCard),
    }

    #[derive(Shape, Deserialize)]
    #[shape(of = ReshapedCard, number = 1)]
    pub struct ReshapedCardV1 {
        pub deck: String,
        pub id: u32,
        pub holder: String,
        pub rank: u32,
        pub text: String,
    }

    #[derive(Entity, Serialize, Deserialize, Clone)]
    #[entity(table = Reshaped, shape = 2, from = ReshapedCardV1)]
    #[sk(prefix = "CARD")]
    pub struct ReshapedCard {
        #[pk]
        pub deck: String,
        #[sk]
        pub id: u32,
        pub owner: String,
        pub rank: u32,
        pub text: String,
    }

    impl From<ReshapedCardV1> for ReshapedCard {
        fn from(v1: ReshapedCardV1) -> Self {
            ReshapedCard {
                deck: v1.deck,
                id: v1.id,
                owner: v1.holder,
                rank: v1.rank,
                text: v1.text,
            }
        }
    }

    /// The same card in shape 2 whose key moved from `OLDCARD#{id}`: what
    /// a key move costs reads and writes while it lasts.
    #[derive(Table)]
    #[table(name = "bench_moving")]
    pub enum Moving {
        Card(MovingCard),
    }

    #[derive(Shape, Deserialize)]
    #[shape(of = MovingCard, number = 1)]
    #[sk(prefix = "OLDCARD")]
    pub struct MovingCardV1 {
        #[pk]
        pub deck: String,
        #[sk]
        pub id: u32,
        pub holder: String,
        pub rank: u32,
        pub text: String,
    }

    #[derive(Entity, Serialize, Deserialize, Clone)]
    #[entity(table = Moving, shape = 2, from = MovingCardV1)]
    #[sk(prefix = "CARD")]
    pub struct MovingCard {
        #[pk]
        pub deck: String,
        #[sk]
        pub id: u32,
        pub owner: String,
        pub rank: u32,
        pub text: String,
    }

    impl From<MovingCardV1> for MovingCard {
        fn from(v1: MovingCardV1) -> Self {
            MovingCard {
                deck: v1.deck,
                id: v1.id,
                owner: v1.holder,
                rank: v1.rank,
                text: v1.text,
            }
        }
    }

    pub fn reshaped(i: u32) -> ReshapedCard {
        let p = plain(i);
        ReshapedCard {
            deck: p.deck,
            id: p.id,
            owner: p.owner,
            rank: p.rank,
            text: p.text,
        }
    }

    pub fn moving(i: u32) -> MovingCard {
        let p = plain(i);
        MovingCard {
            deck: p.deck,
            id: p.id,
            owner: p.owner,
            rank: p.rank,
            text: p.text,
        }
    }

    /// A card as the program before the move wrote it: under
    /// `OLDCARD#{id}`, in shape 1.
    #[derive(Table)]
    #[table(name = "bench_moving")]
    pub enum MovingBefore {
        Card(MovingCardBefore),
    }

    #[derive(Entity, Serialize, Deserialize, Clone)]
    #[entity(table = MovingBefore)]
    #[sk(prefix = "OLDCARD")]
    pub struct MovingCardBefore {
        #[pk]
        pub deck: String,
        #[sk]
        pub id: u32,
        pub holder: String,
        pub rank: u32,
        pub text: String,
    }

    pub fn moving_before(i: u32) -> MovingCardBefore {
        let p = plain(i);
        MovingCardBefore {
            deck: p.deck,
            id: p.id,
            holder: p.owner,
            rank: p.rank,
            text: p.text,
        }
    }

    /// A card with a long text, listed by owner with its title only: the
    /// index projects `title` (`INCLUDE`), and its query returns a view.
    #[derive(Table)]
    #[table(name = "bench_viewed", indexes(gsi1))]
    pub enum Viewed {
        Card(ViewedCard),
    }

    #[derive(Entity, Serialize, Deserialize, Clone)]
    #[entity(table = Viewed)]
    #[sk(prefix = "CARD")]
    #[index(
        gsi1,
        name = by_owner,
        pk(prefix = "OWNER", fields(owner)),
        sk(fields(rank)),
        project(title),
        view(name = CardLine)
    )]
    pub struct ViewedCard {
        #[pk]
        pub deck: String,
        #[sk]
        pub id: u32,
        pub owner: String,
        pub rank: u32,
        pub title: String,
        pub text: String,
    }

    /// A viewed card: 20 per owner, each with 2 KB of text no index holds.
    pub fn viewed(i: u32) -> ViewedCard {
        let p = plain(i);
        ViewedCard {
            deck: p.deck,
            id: p.id,
            owner: p.owner,
            rank: p.rank,
            title: format!("Card {i}"),
            text: p.text.repeat(40),
        }
    }

    /// A card listed per owner by rank on a multi-attribute index: the
    /// owner and the rank are the index's keys as stored (`gsi1`:
    /// `owner` HASH, `rank`, `pk`, `sk` RANGE), no `gsi1pk` written.
    #[derive(Table)]
    #[table(name = "bench_ranked", indexes(gsi1))]
    pub enum Ranked {
        Card(RankedCard),
    }

    #[derive(Entity, Serialize, Deserialize, Clone)]
    #[entity(table = Ranked)]
    #[sk(prefix = "CARD")]
    #[index(gsi1, name = by_owner, attributes, pk(fields(owner)), sk(fields(rank)))]
    pub struct RankedCard {
        #[pk]
        pub deck: String,
        #[sk]
        pub id: u32,
        pub owner: String,
        pub rank: u32,
        pub text: String,
    }

    /// A ranked card: `plain(i)`'s fields.
    pub fn ranked(i: u32) -> RankedCard {
        let p = plain(i);
        RankedCard {
            deck: p.deck,
            id: p.id,
            owner: p.owner,
            rank: p.rank,
            text: p.text,
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
