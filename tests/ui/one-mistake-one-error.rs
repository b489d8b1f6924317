// A derive that fails still gives the rest of the program what it needs, so
// that each mistake below is reported once, where it is made: not again by
// the table that lists the entity, nor by the entity that uses the key part.
use blue_schema::{Entity, KeyPart, Table};

#[derive(KeyPart, serde::Serialize, serde::Deserialize)]
pub enum Shape {
    Circle,
    Square(u32),
}

#[derive(Table)]
#[table(name = "blue_drawing")]
pub enum Drawing {
    Stroke(Stroke),
    Figure(Figure),
}

#[derive(Entity, serde::Serialize, serde::Deserialize)]
#[entity(table = Drawing)]
pub struct Stroke {
    #[pk]
    pub drawing_id: String,
    #[sk]
    pub n: u32,
}

#[derive(Entity, serde::Serialize, serde::Deserialize)]
#[entity(table = Drawing)]
#[sk(prefix = "FIGURE")]
pub struct Figure {
    #[pk]
    pub drawing_id: String,
    #[sk]
    pub shape: Shape,
}

fn main() {
    let _ = Figure::key("d", Shape::Circle);
}
