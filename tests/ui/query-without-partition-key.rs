use blue_schema_examples::dialogue::{Dialogue, Perspective};

fn main() {
    // Every query names exactly one partition: there is no partition-less query.
    let _ = Perspective::query();
    let _ = Dialogue::partition();
}
