//! The compile-time portability rules (DESIGN.md §5): one case per rule under
//! `tests/ui/`, whose `.stderr` is the message a user sees. A valid schema
//! that exercises every accepted form compiles and runs (`tests/ui-pass/`).
//!
//! Regenerate the `.stderr` files after an intended change of wording with
//! `TRYBUILD=overwrite cargo test --test compile_fail`, and read them.

#[test]
fn portability_rules_are_compile_errors() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/*.rs");
    cases.pass("tests/ui-pass/*.rs");
}
