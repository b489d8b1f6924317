use blue_schema_examples::dialogue::Perspective;

fn main() {
    // A range on `round` ends the key condition; nothing can follow it.
    let _ = Perspective::query("nvidia-dec").round_ge(1).expert("muffin");
}
