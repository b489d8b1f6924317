use blue_schema::{Entity, Table};

#[derive(Table)]
#[table(name = "blue_events")]
pub enum Events {
    Reading(Reading),
}

#[derive(Entity, serde::Serialize, serde::Deserialize)]
#[entity(table = Events)]
#[sk(prefix = "READING")]
pub struct Reading {
    #[pk]
    pub site: String,
    #[sk]
    pub a: u8,
    #[sk]
    pub b: u8,
    #[sk]
    pub c: u8,
    #[sk]
    pub d: u8,
    #[sk]
    pub e: u8,
    #[sk]
    pub f: u8,
    #[sk]
    pub g: u8,
    #[sk]
    pub h: u8,
    #[sk]
    pub i: u8,
    #[sk]
    pub j: u8,
    #[sk]
    pub k: u8,
    #[sk]
    pub l: u8,
    #[sk]
    pub m: u8,
}

fn main() {}
