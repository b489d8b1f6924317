//! A team directory in the middle of a key move
//! (`blue_schema::schema::key_move`): the program before kept each member
//! under its team and email; this one keys members by team and role, so
//! that one query reads a team's members of one role.
//!
//! ```text
//! before:  {team}      | MEMBER#{email}          → {role, name}           (shape 1)
//! now:     TEAM#{team} | MBR#{role}#{email}      → {name, on_call}        (shape 2)
//! ```
//!
//! The old key stays declared on the frozen shape 1 ([`MemberV1`]) until no
//! item is left under it: reads by key fall back to it, every write of a
//! member moves it first, and a backfill moves the rest. [`before`] is the
//! program as it was, which wrote the old keys.

use blue_schema::{Entity, Shape, Table};
use serde::{Deserialize, Serialize};

/// The directory: the members of every team.
#[derive(Table, Debug, Clone, PartialEq)]
#[table(name = "blue_team_directory")]
pub enum Directory {
    Member(Member),
}

/// A member of a team, by role. In shape 2, its key moved: shape 1 kept
/// it under `{team} | MEMBER#{email}`.
#[derive(Entity, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[entity(table = Directory, shape = 2, from = MemberV1, pk_prefix = "TEAM")]
#[sk(prefix = "MBR")]
pub struct Member {
    /// The team, which names the partition.
    #[pk]
    pub team: String,
    /// What the member does in the team: `dev`, `ops`, `lead`.
    #[sk]
    pub role: String,
    /// The member's address, unique in the team.
    #[sk]
    pub email: String,
    /// The member's name.
    pub name: String,
    /// Whether the member is on call this week.
    #[serde(default)]
    pub on_call: bool,
}

/// Shape 1 of a member, frozen with the key it was written under.
#[derive(Shape, Deserialize, Debug)]
#[shape(of = Member, number = 1)]
#[sk(prefix = "MEMBER")]
pub struct MemberV1 {
    #[pk]
    pub team: String,
    #[sk]
    pub email: String,
    pub role: String,
    pub name: String,
}

impl From<MemberV1> for Member {
    fn from(v1: MemberV1) -> Self {
        Member {
            team: v1.team,
            role: v1.role,
            email: v1.email,
            name: v1.name,
            on_call: false,
        }
    }
}

/// The program before the key moved.
pub mod before {
    use blue_schema::{Entity, Table};
    use serde::{Deserialize, Serialize};

    /// The directory as it was.
    #[derive(Table, Debug)]
    #[table(name = "blue_team_directory")]
    pub enum Directory {
        Member(Member),
    }

    /// A member under `{team} | MEMBER#{email}`.
    #[derive(Entity, Serialize, Deserialize, Debug, Clone, PartialEq)]
    #[entity(table = Directory)]
    #[sk(prefix = "MEMBER")]
    pub struct Member {
        #[pk]
        pub team: String,
        #[sk]
        pub email: String,
        pub role: String,
        pub name: String,
    }
}
