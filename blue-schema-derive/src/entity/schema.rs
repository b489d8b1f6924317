//! The `EntitySchema` of an entity: the static metadata the generated docs,
//! the table definitions and the runtime's checks read.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;

use crate::ast::{option_inner, type_string, Entity, Field};
use crate::attr::KeyRole;

/// The entity's key fields, stored attributes, `#[set]` and `#[version]`
/// fields and index patterns, as the runtime's `EntitySchema` literal.
pub(super) fn entity_schema(
    entity: &Entity,
    pk: &[&Field],
    sk: &[&Field],
    pk_prefix: &TokenStream,
    index_schemas: &[TokenStream],
    unique_schemas: &TokenStream,
) -> TokenStream {
    let table = entity.table.as_ref().expect("checked: the table is named");
    let shape = super::entity_shape(entity).schema;
    let prefix = entity
        .prefix
        .as_ref()
        .expect("checked: the prefix is given")
        .value();
    let doc = &entity.doc;
    let name = entity.ident.to_string();
    let key_field_schema = |fields: &[&Field]| {
        let items = fields.iter().map(|f| {
            let field = &f.name;
            let ty = f.ty;
            let rust_type = type_string(ty);
            quote! {
                ::blue_schema::__private::key_field(
                    #field,
                    #rust_type,
                    &<#ty as ::blue_schema::KeyPart>::ENCODING,
                )
            }
        });
        quote!(&[#(#items),*])
    };
    let pk_schema = key_field_schema(pk);
    let sk_schema = key_field_schema(sk);
    // One `attribute(..)` call per stored attribute, written as text the
    // compiler lexes once (`crate::text`): literals only, no span of the
    // user's code. A `#[set]` field's call names its type
    // (`<T as SetValue>::KIND`) and stays in `quote!`, spanned as the
    // user wrote it.
    let mut attributes: Vec<TokenStream> = Vec::new();
    let mut text = String::new();
    for f in entity.fields.iter().filter(|f| f.skip.is_none()) {
        let key: u8 = match f.role {
            Some(KeyRole::Partition) => 1,
            Some(KeyRole::Sort) => 2,
            None => 0,
        };
        let optional = option_inner(f.ty).is_some();
        let call = format!(
            "::blue_schema::__private::attribute({:?}, {:?}, {:?}, {:?}, {key}, {optional}, {}, {})",
            f.name,
            f.attribute,
            type_string(f.ty),
            f.doc,
            f.default,
            f.version.is_some(),
        );
        if f.set.is_some() {
            if !text.is_empty() {
                attributes.push(crate::text::tokens(&std::mem::take(&mut text)));
            }
            let attribute = crate::text::tokens(&call);
            let ty = f.ty;
            attributes.push(quote! {
                ::blue_schema::__private::set_attribute(
                    #attribute,
                    <#ty as ::blue_schema::write::SetValue>::KIND,
                ),
            });
        } else {
            text.push_str(&call);
            text.push(',');
        }
    }
    if !text.is_empty() {
        attributes.push(crate::text::tokens(&text));
    }
    let sets = entity
        .fields
        .iter()
        .filter(|f| f.set.is_some() && f.skip.is_none())
        .map(|f| {
            let attribute = &f.attribute;
            let ty = f.ty;
            quote_spanned! {ty.span()=>
                (#attribute, <#ty as ::blue_schema::write::SetValue>::KIND)
            }
        });
    let version_schema = match entity.fields.iter().find(|f| f.version.is_some()) {
        Some(f) => {
            let a = &f.attribute;
            quote!(::std::option::Option::Some(#a))
        }
        None => quote!(::std::option::Option::None),
    };
    quote! {
        ::blue_schema::EntitySchema {
            name: #name,
            doc: #doc,
            table: <#table as ::blue_schema::__private::TableName>::NAME,
            prefix: #prefix,
            sort_key_path: <Self as ::blue_schema::__private::EntityFacts>::SK_PATH,
            pk_prefix: #pk_prefix,
            partition_key: #pk_schema,
            sort_key: #sk_schema,
            attributes: &[#(#attributes)*],
            version: #version_schema,
            sets: &[#(#sets),*],
            indexes: &[#(#index_schemas),*],
            unique: #unique_schemas,
            ttl: <Self as ::blue_schema::__private::EntityFacts>::TTL,
            stream: <#table as ::blue_schema::__private::TableName>::STREAM,
            #shape
        }
    }
}
