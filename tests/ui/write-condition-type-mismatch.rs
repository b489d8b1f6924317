use blue_schema_examples::dialogue::Expert;

fn main() {
    // `tier` holds numbers: comparing it with a string does not compile.
    let a = Expert::attr();
    let _ = a.tier.eq("gold");
}
