//! The command line of the example tables (the ADR's two, the shop and the
//! team directory): the library's `cli` entry point
//! called with this application's schema, as an application's own binary
//! would.
//!
//! ```text
//! cargo run -p blue-schema-tests --bin blue-domains -- --help
//! cargo run -p blue-schema-tests --bin blue-domains -- schema --format terraform
//! cargo run -p blue-schema-tests --bin blue-domains -- docs --check
//! cargo run -p blue-schema-tests --bin blue-domains -- copy sqlite:dialogue.db \
//!     'dynamodb://?endpoint=http://127.0.0.1:8000' --checkpoint copy.json
//! ```

use blue_schema::cli::Cli;
use blue_schema_examples::dialogue::Dialogue;
use blue_schema_examples::directory::Directory;
use blue_schema_examples::document::Document;
use blue_schema_examples::shop::Shop;

fn main() -> std::process::ExitCode {
    Cli::new("blue-domains")
        .table::<Dialogue>()
        .table::<Document>()
        .table::<Shop>()
        .table::<Directory>()
        .run()
}
