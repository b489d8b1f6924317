use std::collections::BTreeSet;

use blue_schema::{Entity, Table};
use serde::{Deserialize, Serialize};

#[derive(Table)]
#[table(name = "blue_tags")]
enum Tags {
    Post(Post),
}

#[derive(Entity, Serialize, Deserialize)]
#[entity(table = Tags)]
#[sk(prefix = "POST")]
struct Post {
    #[pk]
    id: String,
    #[set]
    #[serde(default)]
    tags: BTreeSet<String>,
}

fn main() {
    // A set is asked about its elements, not compared as a list.
    let a = Post::attr();
    let _ = a.tags.eq(BTreeSet::from(["x".to_owned()]));
}
