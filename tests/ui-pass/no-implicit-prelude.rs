//! The expansion names everything by absolute path, so it compiles in a module
//! without the prelude.

#![no_implicit_prelude]

extern crate blue_schema;
extern crate serde;
extern crate std;

mod schema {
    #![no_implicit_prelude]

    use ::blue_schema::{Entity, KeyPart, Table};

    #[derive(Table)]
    #[table(name = "blue_plain", indexes(gsi1))]
    pub enum Plain {
        Item(Item),
        Meta(Meta),
    }

    #[derive(KeyPart, ::serde::Serialize, ::serde::Deserialize)]
    pub enum Color {
        Blue,
        Red,
    }

    #[derive(KeyPart, ::serde::Serialize, ::serde::Deserialize)]
    pub struct Tag(pub ::std::string::String);

    #[derive(Entity, ::serde::Serialize, ::serde::Deserialize)]
    #[entity(table = Plain)]
    #[sk(prefix = "ITEM")]
    pub struct Item {
        #[pk]
        pub owner: ::std::string::String,
        #[sk]
        pub color: Color,
        #[sk]
        pub tag: Tag,
        #[sk]
        pub n: u8,
    }

    #[derive(Entity, ::serde::Serialize, ::serde::Deserialize)]
    #[entity(table = Plain)]
    #[sk(prefix = "META")]
    #[index(gsi1, name = by_label, attributes, pk(fields(label)), sk(fields(rank)))]
    pub struct Meta {
        #[pk]
        pub owner: ::std::string::String,
        pub label: ::std::option::Option<::std::string::String>,
        pub rank: i32,
    }
}

fn main() {
    let key = schema::Item::key("o", schema::Color::Red, schema::Tag(::std::convert::From::from("t")), 3);
    ::std::assert_eq!(key.sort_key(), "ITEM#Red#t#003");
    let _ = schema::Item::query("o").color(schema::Color::Blue).tag_lt(schema::Tag(::std::string::String::new()));
    let _ = schema::Plain::partition("o");
    let _ = schema::Meta::by_label("l").rank_between(-1, 1);
}
