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
    let attributes = entity.fields.iter().filter(|f| f.skip.is_none()).map(|f| {
        let field = &f.name;
        let attribute = &f.attribute;
        let rust_type = type_string(f.ty);
        let doc = &f.doc;
        let key: u8 = match f.role {
            Some(KeyRole::Partition) => 1,
            Some(KeyRole::Sort) => 2,
            None => 0,
        };
        let optional = option_inner(f.ty).is_some();
        let defaulted = f.default;
        let version = f.version.is_some();
        let ty = f.ty;
        let attribute = quote! {
            ::blue_schema::__private::attribute(
                #field, #attribute, #rust_type, #doc, #key, #optional, #defaulted, #version,
            )
        };
        if f.set.is_some() {
            quote! {
                ::blue_schema::__private::set_attribute(
                    #attribute,
                    <#ty as ::blue_schema::write::SetValue>::KIND,
                )
            }
        } else {
            attribute
        }
    });
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
            attributes: &[#(#attributes),*],
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
