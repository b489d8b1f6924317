// `#[unique]` is for data fields that are stored, one value each; a group
// has a plain name; an entity whose items expire holds no unique values.
use blue_schema::{Entity, Table};

#[derive(Table)]
#[table(name = "blue_users", ttl = "expires_at")]
pub enum Users {
    OnKey(OnKey),
    OnVersion(OnVersion),
    OnSet(OnSet),
    BadGroup(BadGroup),
    BadArgument(BadArgument),
    Expiring(Expiring),
    NotStored(NotStored),
}

#[derive(Entity, serde::Serialize, serde::Deserialize)]
#[entity(table = Users)]
#[sk(prefix = "ON_KEY")]
pub struct OnKey {
    #[pk]
    #[unique]
    pub email: String,
}

#[derive(Entity, serde::Serialize, serde::Deserialize)]
#[entity(table = Users)]
#[sk(prefix = "ON_VERSION")]
pub struct OnVersion {
    #[pk]
    pub id: String,
    #[version]
    #[unique]
    pub version: u64,
}

#[derive(Entity, serde::Serialize, serde::Deserialize)]
#[entity(table = Users)]
#[sk(prefix = "ON_SET")]
pub struct OnSet {
    #[pk]
    pub id: String,
    #[set]
    #[unique]
    #[serde(default)]
    pub tags: std::collections::BTreeSet<String>,
}

#[derive(Entity, serde::Serialize, serde::Deserialize)]
#[entity(table = Users)]
#[sk(prefix = "BAD_GROUP")]
pub struct BadGroup {
    #[pk]
    pub id: String,
    #[unique(group = "site handle")]
    pub handle: String,
}

#[derive(Entity, serde::Serialize, serde::Deserialize)]
#[entity(table = Users)]
#[sk(prefix = "BAD_ARGUMENT")]
pub struct BadArgument {
    #[pk]
    pub id: String,
    #[unique(scope = "table")]
    pub handle: String,
}

#[derive(Entity, serde::Serialize, serde::Deserialize)]
#[entity(table = Users)]
#[sk(prefix = "EXPIRING")]
pub struct Expiring {
    #[pk]
    pub id: String,
    #[unique]
    pub email: String,
    #[ttl]
    pub expires_at: u64,
}

#[derive(Entity, serde::Serialize, serde::Deserialize)]
#[entity(table = Users)]
#[sk(prefix = "NOT_STORED")]
pub struct NotStored {
    #[pk]
    pub id: String,
    #[unique]
    #[serde(skip)]
    pub cache: String,
}

fn main() {}
