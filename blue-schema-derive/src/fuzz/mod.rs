//! The derives under fuzz, in this process: random definitions ([`gen`])
//! valid, with one known mistake, or with random characters of their
//! attributes changed, parsed and expanded by every derive they name.
//!
//! For each: no derive panics; every error is a `compile_error!` spanned
//! at a token of the input (never the call site, which would point the
//! user at the `#[derive]`); a valid definition gives no error and code
//! that parses; a definition with one known mistake gives exactly one
//! error. The compiled batch (`tests/derive_fuzz.rs`) covers what only
//! the compiler sees: the rules checked in constant evaluation, and that
//! the generated code compiles and round-trips an item.
//!
//! `BLUE_LONG=1` multiplies the number of definitions by 50.

pub mod gen;

use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};

use proc_macro2::{Span, TokenStream, TokenTree};
use syn::DeriveInput;

/// What the derives made of one definition.
struct Expanded {
    /// The spans of the `compile_error!`s, as byte ranges.
    errors: Vec<std::ops::Range<usize>>,
    /// The messages, for a failure's report.
    messages: Vec<String>,
    /// Whether the expansion parses as items.
    parses: bool,
}

/// The `compile_error!` invocations of `tokens`, at any depth.
fn errors(tokens: TokenStream, out: &mut Vec<(Span, String)>) {
    let trees: Vec<TokenTree> = tokens.into_iter().collect();
    for (i, tree) in trees.iter().enumerate() {
        match tree {
            TokenTree::Ident(ident) if ident == "compile_error" => {
                let message = match trees.get(i + 2) {
                    Some(TokenTree::Group(g)) => g.stream().to_string(),
                    _ => String::new(),
                };
                out.push((ident.span(), message));
            }
            TokenTree::Group(group) => errors(group.stream(), out),
            _ => {}
        }
    }
}

/// Runs every derive the items of `text` name; `None` when the text is
/// not Rust items (the compiler refuses it before any derive runs), or
/// `Err` with the panic's message.
fn expand(text: &str) -> Option<Result<Expanded, String>> {
    let file = syn::parse_file(text).ok()?;
    let mut found = Vec::new();
    let mut parses = true;
    for item in file.items {
        let input: DeriveInput = match syn::parse2(quote::ToTokens::into_token_stream(item)) {
            Ok(input) => input,
            Err(_) => continue,
        };
        let derives: Vec<String> = input
            .attrs
            .iter()
            .filter(|a| a.path().is_ident("derive"))
            .flat_map(|a| {
                a.parse_args_with(
                    syn::punctuated::Punctuated::<syn::Path, syn::Token![,]>::parse_terminated,
                )
                .map(|paths| {
                    paths
                        .iter()
                        .map(|p| p.segments.last().unwrap().ident.to_string())
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default()
            })
            .collect();
        for derive in derives {
            let run: fn(&DeriveInput) -> TokenStream = match derive.as_str() {
                "Entity" => crate::entity::expand,
                "Table" => crate::table::expand,
                "Shape" => crate::shape::expand,
                "KeyPart" => crate::key_part::expand,
                "Collection" => crate::collection::expand,
                _ => continue,
            };
            let output = match catch_unwind(AssertUnwindSafe(|| run(&input))) {
                Ok(output) => output,
                Err(panic) => {
                    let message = panic
                        .downcast_ref::<String>()
                        .cloned()
                        .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                        .unwrap_or_default();
                    return Some(Err(format!("#[derive({derive})] panicked: {message}")));
                }
            };
            parses &= syn::parse2::<syn::File>(output.clone()).is_ok();
            errors(output, &mut found);
        }
    }
    Some(Ok(Expanded {
        errors: found.iter().map(|(s, _)| s.byte_range()).collect(),
        messages: found.into_iter().map(|(_, m)| m).collect(),
        parses,
    }))
}

/// The byte range the text occupies in proc-macro2's source map: the
/// range of its tokens.
fn range_of(text: &str) -> std::ops::Range<usize> {
    let tokens: TokenStream = text.parse().expect("the text was parsed once already");
    let spans: Vec<Span> = tokens.into_iter().map(|t| t.span()).collect();
    let first = spans.first().map_or(0, |s| s.byte_range().start);
    let last = spans.last().map_or(0, |s| s.byte_range().end);
    first..last
}

/// Changes a few characters inside the attributes of `text`.
fn garble(rng: &mut gen::Rng, text: &str) -> String {
    const PIECES: [&str; 14] = [
        "=", ",", "(", ")", "\"", "#", "a", "1", "_", " ", "gsi9", "prefix", "fields()", "r#",
    ];
    let mut out = text.to_owned();
    for _ in 0..1 + rng.below(3) {
        let attrs: Vec<usize> = out.match_indices("#[").map(|(i, _)| i).collect();
        let start = attrs[rng.below(attrs.len())];
        let end = start + out[start..].find(']').unwrap_or(2);
        let at = start + 2 + rng.below((end - start).saturating_sub(2).max(1));
        let at = (0..=at)
            .rev()
            .find(|&i| out.is_char_boundary(i))
            .unwrap_or(0);
        match rng.below(3) {
            0 => out.insert_str(at, PIECES[rng.below(PIECES.len())]),
            1 => {
                let next = out[at..].chars().next().map_or(0, char::len_utf8);
                out.replace_range(at..at + next, "");
            }
            _ => {
                let next = out[at..].chars().next().map_or(0, char::len_utf8);
                out.replace_range(at..at + next, PIECES[rng.below(PIECES.len())]);
            }
        }
    }
    out
}

fn count() -> usize {
    let long = std::env::var("BLUE_LONG").is_ok_and(|v| !v.is_empty() && v != "0");
    if long {
        50
    } else {
        1
    }
}

#[test]
fn the_derives_never_panic_and_span_every_error_in_the_input() {
    let mut rng = gen::Rng(0x5EED_F022);
    let mut failures = Vec::new();
    let mut tried = BTreeMap::<&str, usize>::new();
    let mut refused_garbled = 0;
    let mut unparsed = 0;
    let rounds = 400 * count();
    for n in 0..rounds {
        // A valid case, each known mistake now and then, and a garbled one.
        let case = if n % 3 == 1 {
            gen::invalid(&mut rng, n, n / 3 % gen::MISTAKES.len())
        } else {
            gen::valid(&mut rng, n)
        };
        let mut texts = vec![(case.mistake.unwrap_or("valid"), case.text())];
        if n % 3 == 2 {
            let garbled = garble(&mut rng, &texts[0].1);
            texts.push(("garbled", garbled));
        }
        for (kind, text) in texts {
            *tried.entry(kind).or_default() += 1;
            let Some(result) = expand(&text) else {
                unparsed += 1;
                continue;
            };
            let expanded = match result {
                Ok(e) => e,
                Err(panic) => {
                    failures.push(format!("case {n} ({kind}): {panic}\n{text}"));
                    continue;
                }
            };
            let input = range_of(&text);
            let outside: Vec<&String> = expanded
                .errors
                .iter()
                .zip(&expanded.messages)
                .filter(|(r, _)| r.is_empty() || r.start < input.start || r.end > input.end)
                .map(|(_, m)| m)
                .collect();
            if !outside.is_empty() {
                failures.push(format!(
                    "case {n} ({kind}): errors spanned outside the input: {outside:?}\n{text}"
                ));
            }
            let problem = match kind {
                "valid" if !expanded.errors.is_empty() => Some(format!(
                    "a valid definition refused: {:?}",
                    expanded.messages
                )),
                "valid" if !expanded.parses => Some("an expansion that does not parse".to_owned()),
                "valid" | "garbled" => None,
                // A table's rule: the compiler reports it, not the derive.
                _ if gen::MISTAKES[gen::DERIVE_REPORTED..].contains(&kind) => (!expanded
                    .errors
                    .is_empty())
                .then(|| format!("a derive reports a table's rule: {:?}", expanded.messages)),
                _ if expanded.errors.len() != 1 => Some(format!(
                    "one mistake, {} errors: {:?}",
                    expanded.errors.len(),
                    expanded.messages
                )),
                _ => None,
            };
            if kind == "garbled" && !expanded.errors.is_empty() {
                refused_garbled += 1;
            }
            if let Some(problem) = problem {
                failures.push(format!("case {n} ({kind}): {problem}\n{text}"));
            }
        }
    }
    let total: usize = tried.values().sum();
    println!(
        "derive fuzz: {total} definitions ({tried:?}), {unparsed} garbled ones not Rust, \
         {refused_garbled} garbled ones refused; {} failures",
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "{} of {total} definitions failed; the first ones:\n\n{}",
        failures.len(),
        failures
            .iter()
            .take(40)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n\n")
    );
}

/// The generator covers every kind of access pattern: composed, keys
/// only, projected, and multi-attribute (on an index of its own, with
/// the table declaring it).
#[test]
fn valid_cases_use_every_kind_of_pattern() {
    let mut rng = gen::Rng(0x5EED_F022);
    let texts: Vec<String> = (0..200).map(|n| gen::valid(&mut rng, n).text()).collect();
    for kind in [
        "pk(prefix",
        "project = keys_only",
        "project(",
        ", attributes,",
    ] {
        assert!(
            texts.iter().any(|t| t.contains(kind)),
            "no valid case has {kind}"
        );
    }
    let native = texts.iter().find(|t| t.contains(", attributes,")).unwrap();
    assert!(native.contains("indexes(gsi1"), "{native}");
}
