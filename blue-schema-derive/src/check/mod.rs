//! The portability rules of the derives: one function per rule, each saying
//! why DynamoDB (or the key codec) needs it, in one file per derive (and
//! one for access patterns, one for the grammars of names).

mod entity;
mod index;
mod key_part;
mod names;
mod table;

pub use entity::check_entity;
pub use key_part::check_key_part;
pub use table::check_table;
