use blue_schema::Entity;

#[derive(serde::Serialize, serde::Deserialize, Default)]
pub struct Profile {
    pub role: String,
}

#[derive(Entity, serde::Serialize, serde::Deserialize)]
#[entity(table = Dialogue)]
#[sk(prefix = "EXPERT")]
pub struct Expert {
    #[pk]
    #[serde(skip_serializing_if = "String::is_empty")]
    pub dialogue_id: String,
    #[sk]
    #[serde(skip)]
    pub name: String,
    #[serde(flatten)]
    pub profile: Profile,
    // Optional data attributes are fine.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

fn main() {}
