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
    pub dialogue_id: String,
    #[sk]
    #[serde(skip)]
    pub name: String,
    #[serde(flatten)]
    pub profile: Profile,
}

fn main() {}
