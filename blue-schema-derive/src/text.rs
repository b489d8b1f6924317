//! Generated code written as text and handed to the compiler whole.
//!
//! `quote!` builds its output a token at a time, and inside a proc macro
//! each token crosses the bridge to the compiler; for the bulk of what the
//! derives emit that carries no span of the user's code (the query
//! builders' range methods, the `{Entity}Attr` fields, the schema's
//! attribute calls) text lexed once by the compiler costs a fraction of
//! that.

use proc_macro2::TokenStream;

/// `code` as tokens at the call site. Inside a proc macro the compiler's
/// own lexer reads it: `proc_macro2`'s `FromStr` would first check the text
/// with its own parser, built unoptimized like the derive, which costs more
/// than the tokens saved. Outside one (the derive's unit tests and fuzz),
/// `proc_macro2` parses it.
///
/// # Panics
///
/// When `code` is not a token stream: a bug in the derive, with the text in
/// the message.
pub(crate) fn tokens(code: &str) -> TokenStream {
    if proc_macro::is_available() {
        match code.parse::<proc_macro::TokenStream>() {
            Ok(tokens) => return tokens.into(),
            Err(error) => {
                panic!("blue-schema-derive wrote code it cannot lex ({error:?}):\n{code}")
            }
        }
    }
    code.parse().unwrap_or_else(|error| {
        panic!("blue-schema-derive wrote code it cannot lex ({error}):\n{code}")
    })
}

#[cfg(test)]
mod tests {
    use super::tokens;

    #[test]
    fn text_becomes_the_same_tokens_and_a_bad_text_is_reported_whole() {
        let written = tokens("pub fn id_lt(self, id: impl AsKeyPart<String>) -> Query<E> { self.state.lt::<String, E>(&id) }");
        let quoted = quote::quote!(
            pub fn id_lt(self, id: impl AsKeyPart<String>) -> Query<E> {
                self.state.lt::<String, E>(&id)
            }
        );
        // The same tokens; only the printer's spacing of `::<` may differ.
        let squeezed = |t: proc_macro2::TokenStream| t.to_string().replace(' ', "");
        assert_eq!(squeezed(written), squeezed(quoted));

        let panic = std::panic::catch_unwind(|| tokens("impl Q<0> { fn f(self { }")).unwrap_err();
        let message = panic.downcast_ref::<String>().expect("a formatted message");
        assert!(
            message.contains("cannot lex") && message.contains("impl Q<0> { fn f(self { }"),
            "{message}"
        );
    }
}
