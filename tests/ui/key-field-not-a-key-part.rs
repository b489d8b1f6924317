use blue_schema::{Entity, Table};

/// A type alias hides the float from the macro; the trait bound still catches it.
type Weight = f32;

#[derive(Table)]
#[table(name = "blue_scale")]
pub enum Scale {
    Reading(Reading),
}

#[derive(Entity, serde::Serialize, serde::Deserialize)]
#[entity(table = Scale)]
#[sk(prefix = "READING")]
pub struct Reading {
    #[pk]
    pub scale_id: String,
    #[sk]
    pub weight: Weight,
}

fn main() {}
