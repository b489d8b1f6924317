use blue_schema::Entity;

// Every mistake is reported in one compile, each at its own token.
#[derive(Entity, serde::Serialize, serde::Deserialize)]
#[sk(prefix = "Expert#")]
pub struct Expert {
    pub dialogue_id: String,
    #[sk]
    pub score: f64,
    pub pk: String,
}

fn main() {}
