use blue_schema::Update;
use blue_schema_examples::dialogue::Expert;

fn main() {
    // `score` is an `i32`, not an `Option`: an item without it would not decode.
    let a = Expert::attr();
    let _ = Update::new(Expert::key("d", "muffin")).remove(a.score);
}
