use blue_schema::Entity;

#[derive(Entity, serde::Serialize, serde::Deserialize)]
#[entity(table = Scores)]
#[sk(prefix = "SCORE")]
pub struct Score {
    #[pk]
    pub game_id: String,
    #[sk]
    pub points: f64,
}

fn main() {}
