use blue_schema::KeyPart;

#[derive(KeyPart)]
pub enum Shape {
    Circle,
    Square(u32),
}

#[derive(KeyPart)]
pub struct Pair(String, String);

fn main() {}
