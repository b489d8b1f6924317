use blue_schema_examples::dialogue::Expert;

fn main() {
    // `name` is a String key part; an integer is not silently formatted into it.
    let _ = Expert::key("nvidia-dec", 7);
}
