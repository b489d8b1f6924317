use blue_schema::Update;
use blue_schema_examples::dialogue::Expert;

fn main() {
    // `role` is part of the `by_role` index key: setting it alone would
    // leave the index key stale.
    let a = Expert::attr();
    let _ = Update::new(Expert::key("d", "muffin")).set(a.role, "skeptic");
}
