use blue_schema::{Entity, Shape, Table};

#[derive(Table)]
#[table(name = "blue_directory")]
pub enum Directory {
    Member(Member),
    Badge(Badge),
    Desk(Desk),
    Seat(Seat),
    Room(Room),
    Lamp(Lamp),
}

// The key gained a component but kept its prefix: old and new items would
// share the entity's query ranges.
#[derive(Shape, serde::Deserialize)]
#[shape(of = Member, number = 1)]
#[sk(prefix = "MEMBER")]
pub struct MemberV1 {
    #[pk]
    pub team: String,
    #[sk]
    pub email: String,
}

#[derive(Entity, serde::Serialize, serde::Deserialize)]
#[entity(table = Directory, shape = 2, from = MemberV1)]
#[sk(prefix = "MEMBER")]
pub struct Member {
    #[pk]
    pub team: String,
    #[sk]
    pub role: String,
    #[sk]
    pub email: String,
}

impl From<MemberV1> for Member {
    fn from(v1: MemberV1) -> Self {
        Member { team: v1.team, role: String::new(), email: v1.email }
    }
}

// A field taken out of the key: the old key cannot be computed from the
// new one.
#[derive(Shape, serde::Deserialize)]
#[shape(of = Badge, number = 1)]
#[sk(prefix = "BADGE")]
pub struct BadgeV1 {
    #[pk]
    pub team: String,
    #[sk]
    pub email: String,
    #[sk]
    pub serial: u32,
}

#[derive(Entity, serde::Serialize, serde::Deserialize)]
#[entity(table = Directory, shape = 2, from = BadgeV1)]
#[sk(prefix = "BDG")]
pub struct Badge {
    #[pk]
    pub team: String,
    #[sk]
    pub serial: u32,
    pub email: String,
}

impl From<BadgeV1> for Badge {
    fn from(v1: BadgeV1) -> Self {
        Badge { team: v1.team, serial: v1.serial, email: v1.email }
    }
}

// A shape that declares its key but not the key's fields.
#[derive(Shape, serde::Deserialize)]
#[shape(of = Desk, number = 1)]
#[sk(prefix = "DESK")]
pub struct DeskV1 {
    pub team: String,
    pub floor: u8,
}

#[derive(Entity, serde::Serialize, serde::Deserialize)]
#[entity(table = Directory, shape = 2, from = DeskV1)]
#[sk(prefix = "DSK")]
pub struct Desk {
    #[pk]
    pub team: String,
    #[sk]
    pub floor: u8,
}

impl From<DeskV1> for Desk {
    fn from(v1: DeskV1) -> Self {
        Desk { team: v1.team, floor: v1.floor }
    }
}

// A key part that changed its type: its encoded values differ.
#[derive(Shape, serde::Deserialize)]
#[shape(of = Seat, number = 1)]
#[sk(prefix = "SEAT")]
pub struct SeatV1 {
    #[pk]
    pub team: String,
    #[sk]
    pub number: u16,
}

#[derive(Entity, serde::Serialize, serde::Deserialize)]
#[entity(table = Directory, shape = 2, from = SeatV1)]
#[sk(prefix = "ST")]
pub struct Seat {
    #[pk]
    pub team: String,
    #[sk]
    pub number: u32,
}

impl From<SeatV1> for Seat {
    fn from(v1: SeatV1) -> Self {
        Seat { team: v1.team, number: v1.number.into() }
    }
}

// Two moves at once: shape 1's key was never finished moving to shape 2's.
#[derive(Shape, serde::Deserialize)]
#[shape(of = Room, number = 1)]
#[sk(prefix = "ROOM")]
pub struct RoomV1 {
    #[pk]
    pub team: String,
    #[sk]
    pub name: String,
}

#[derive(Shape, serde::Deserialize)]
#[shape(of = Room, number = 2, from = RoomV1)]
#[sk(prefix = "RM")]
pub struct RoomV2 {
    #[pk]
    pub team: String,
    #[sk]
    pub name: String,
}

impl From<RoomV1> for RoomV2 {
    fn from(v1: RoomV1) -> Self {
        RoomV2 { team: v1.team, name: v1.name }
    }
}

#[derive(Entity, serde::Serialize, serde::Deserialize)]
#[entity(table = Directory, shape = 3, from = RoomV2)]
#[sk(prefix = "R")]
pub struct Room {
    #[pk]
    pub team: String,
    #[sk]
    pub name: String,
}

impl From<RoomV2> for Room {
    fn from(v2: RoomV2) -> Self {
        Room { team: v2.team, name: v2.name }
    }
}

// An old prefix that another entity of the table uses now.
#[derive(Shape, serde::Deserialize)]
#[shape(of = Lamp, number = 1)]
#[sk(prefix = "BDG")]
pub struct LampV1 {
    #[pk]
    pub team: String,
    #[sk]
    pub serial: u32,
}

#[derive(Entity, serde::Serialize, serde::Deserialize)]
#[entity(table = Directory, shape = 2, from = LampV1)]
#[sk(prefix = "LAMP")]
pub struct Lamp {
    #[pk]
    pub team: String,
    #[sk]
    pub serial: u32,
}

impl From<LampV1> for Lamp {
    fn from(v1: LampV1) -> Self {
        Lamp { team: v1.team, serial: v1.serial }
    }
}

fn main() {}
