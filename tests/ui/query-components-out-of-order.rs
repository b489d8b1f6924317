use blue_schema_examples::dialogue::Perspective;

fn main() {
    // The sort key is PERSP#{round}#{expert}#{seq}: `expert` needs `round` first.
    let _ = Perspective::query("nvidia-dec").expert("muffin");
}
