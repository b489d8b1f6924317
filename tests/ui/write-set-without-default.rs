use std::collections::BTreeSet;

use blue_schema::{Entity, Table};
use serde::{Deserialize, Serialize};

#[derive(Table)]
#[table(name = "blue_tags")]
enum Tags {
    Post(Post),
}

// An empty set is stored as no attribute; without `#[serde(default)]` it
// would not read back.
#[derive(Entity, Serialize, Deserialize)]
#[entity(table = Tags)]
#[sk(prefix = "POST")]
struct Post {
    #[pk]
    id: String,
    #[set]
    tags: BTreeSet<String>,
}

fn main() {}
