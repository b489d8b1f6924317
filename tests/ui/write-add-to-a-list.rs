use blue_schema::{Entity, Table, Update};
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
    tags: Vec<String>,
}

fn main() {
    // `add_to` is for `#[set]` fields; a list takes `append`.
    let a = Post::attr();
    let _ = Update::new(Post::key("p")).add_to(a.tags, ["x"]);
}
