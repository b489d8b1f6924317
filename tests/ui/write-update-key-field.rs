use blue_schema::Update;
use blue_schema_examples::dialogue::Expert;

fn main() {
    // Key fields never change: `name` is part of the sort key.
    let a = Expert::attr();
    let _ = Update::new(Expert::key("d", "muffin")).set(a.name, "crumpet");
}
