use blue_schema::KeyPart;

#[derive(KeyPart)]
#[key_part(order = "alphabetical")]
pub enum Level {
    A,
    B,
}

#[derive(KeyPart)]
#[key_part(order = "declaration")]
pub struct Code(String);

fn main() {}
