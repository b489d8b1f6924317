use blue_schema::{Entity, Table};
use serde::{Deserialize, Serialize};

#[derive(Table)]
#[table(name = "blue_tags")]
enum Tags {
    Post(Post),
}

// DynamoDB's sets hold strings or numbers, and a `Vec` is a list.
#[derive(Entity, Serialize, Deserialize)]
#[entity(table = Tags)]
#[sk(prefix = "POST")]
struct Post {
    #[pk]
    id: String,
    #[set]
    #[serde(default)]
    tags: Vec<String>,
}

fn main() {}
