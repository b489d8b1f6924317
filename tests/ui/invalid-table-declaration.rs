use blue_schema::Table;

#[derive(Table)]
#[table(name = "blue dialogue")]
pub enum Dialogue {
    Expert { expert: String },
}

#[derive(Table)]
pub enum Unnamed {}

#[derive(Table)]
#[table(name = "bd")]
pub struct NotAnEnum;

fn main() {}
