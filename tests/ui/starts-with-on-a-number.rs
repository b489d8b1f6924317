use blue_schema_examples::dialogue::Perspective;

fn main() {
    let _ = Perspective::query("nvidia-dec").round_starts_with("1");
}
