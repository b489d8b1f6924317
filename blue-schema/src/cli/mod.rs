//! A command line for the application's own tables (feature `cli`).
//!
//! The schema lives in the application's crate, so the command line is a
//! library entry point that the application's binary calls with its
//! tables:
//!
//! ```no_run
//! # use blue_schema::Table;
//! # #[derive(Table)] #[table(name = "blue_dialogue")] enum Dialogue { Expert(Expert) }
//! # #[derive(blue_schema::Entity, serde::Serialize, serde::Deserialize)]
//! # #[entity(table = Dialogue)] #[sk(prefix = "EXPERT")]
//! # struct Expert { #[pk] d: String, #[sk] name: String }
//! fn main() -> std::process::ExitCode {
//!     blue_schema::cli::Cli::new("blue-dialogue").table::<Dialogue>().run()
//! }
//! ```
//!
//! | command | what it does |
//! |---|---|
//! | `docs [--dir DIR] [--check] [--accept-breaking]` | writes each table's generated Markdown to `DIR/<table>.md` and its schema snapshot to `DIR/<table>.schema.json`, refusing (exit 1, each problem named) a change that would orphan or misread the items stored under the committed snapshot ([`docs::compatibility`]); `--check` writes nothing and fails when a file is stale or the change is refused |
//! | `schema [--format F]` | prints the SQLite DDL (of both layouts), the DynamoDB `CreateTable` JSON, a CloudFormation template and a Terraform `aws_dynamodb_table` resource (`--format sqlite\|sqlite-tables\|create-table\|cloudformation\|terraform`) |
//! | `create-tables URL` | creates the tables (and their indexes) in the store at `URL` |
//! | `copy FROM TO` | copies every table, a page at a time with several batches in flight, a progress bar, a checkpoint file to resume an interrupted copy, and a count of both sides at the end |
//! | `export URL FILE` / `import URL FILE` | one table through a file of DynamoDB JSON lines, the format of DynamoDB's export to S3 and import from S3 |
//! | `check URL` | reads every item and reports those that do not decode, carry an unknown prefix, or whose keys disagree with their fields |
//!
//! `URL` is what [`Store::open`] takes: `sqlite:path/to/file.db`,
//! `dynamodb://` (the standard AWS configuration chain), or with options,
//! `dynamodb://?endpoint=http://127.0.0.1:8000&region=us-east-1&table_prefix=dev_`. A failure is one line on standard
//! error, `error: …` with its causes, and exit code 1; `--help` on every
//! command.

use std::fs;
use std::io::{BufReader, BufWriter};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

mod jobs;

use jobs::bar;

use crate::export::{check_table, export_table, import_table, CheckReport};
use crate::migrate::{
    backfill, copy_resumable, count_items, Backfill, BackfillOptions, BackfillProgress,
    BackfillReport, CopyOptions, Progress, ResumableReport,
};
use crate::schema::TableSchema;
use crate::store::BoxFuture;
use crate::{docs, Error, Store};

type CopyFn = for<'a> fn(
    &'a Store,
    &'a Store,
    CopyOptions,
    Box<dyn FnMut(&Progress) + Send + 'a>,
) -> BoxFuture<'a, Result<ResumableReport, Error>>;

type ExportFn = for<'a> fn(
    &'a Store,
    &'a mut (dyn std::io::Write + Send),
    OnCount<'a>,
) -> BoxFuture<'a, Result<u64, Error>>;

type ImportFn = for<'a> fn(
    &'a Store,
    &'a mut (dyn std::io::BufRead + Send),
    OnCount<'a>,
) -> BoxFuture<'a, Result<u64, Error>>;

type BackfillFn = for<'a> fn(
    &'a Store,
    BackfillOptions,
    Box<dyn FnMut(&BackfillProgress) + Send + 'a>,
) -> BoxFuture<'a, Result<BackfillReport, Error>>;

/// Called with the number of items so far.
type OnCount<'a> = Box<dyn FnMut(u64) + Send + 'a>;

/// One table the command line knows, with its operations.
#[derive(Clone, Copy)]
struct Entry {
    schema: &'static TableSchema,
    create: for<'a> fn(&'a Store) -> BoxFuture<'a, Result<(), Error>>,
    count: for<'a> fn(&'a Store) -> BoxFuture<'a, Result<u64, Error>>,
    copy: CopyFn,
    export: ExportFn,
    import: ImportFn,
    check: for<'a> fn(&'a Store) -> BoxFuture<'a, Result<CheckReport, Error>>,
    backfill: BackfillFn,
}

impl Entry {
    fn of<T: Backfill>() -> Entry {
        Entry {
            schema: &T::SCHEMA,
            create: |s| Box::pin(s.create_table::<T>()),
            count: |s| Box::pin(count_items::<T>(s)),
            copy: |from, to, options, on_page| {
                Box::pin(copy_resumable::<T>(from, to, options, on_page))
            },
            export: |s, out, on_page| Box::pin(export_table::<T>(s, out, on_page)),
            import: |s, input, on_page| Box::pin(import_table::<T>(s, input, on_page)),
            check: |s| Box::pin(check_table::<T>(s)),
            backfill: |s, options, on_page| Box::pin(backfill::<T>(s, options, on_page)),
        }
    }
}

/// The command line of an application's tables; see the [module
/// documentation](self).
#[must_use = "a command line does nothing until it runs"]
pub struct Cli {
    name: String,
    tables: Vec<Entry>,
    docs_dir: PathBuf,
}

impl std::fmt::Debug for Cli {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cli")
            .field("name", &self.name)
            .field(
                "tables",
                &self
                    .tables
                    .iter()
                    .map(|t| t.schema.name)
                    .collect::<Vec<_>>(),
            )
            .field("docs_dir", &self.docs_dir)
            .finish()
    }
}

#[derive(Parser)]
#[command(about = "The tables of this application: documentation, definitions, and data.")]
struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Writes each table's generated Markdown documentation and schema
    /// snapshot, refusing a schema change that would orphan or misread the
    /// items stored under the committed snapshot.
    Docs {
        /// The directory of the files (`<table>.md`, `<table>.schema.json`).
        #[arg(long)]
        dir: Option<PathBuf>,
        /// Writes nothing; fails when a file is missing or stale, or the
        /// schema changed in a way the stored items would not survive.
        #[arg(long)]
        check: bool,
        /// Writes the snapshot of a refused change all the same.
        #[arg(long)]
        accept_breaking: bool,
    },
    /// Prints each table's definitions, secondary indexes included (one
    /// CloudFormation template, or one Terraform file, for every table).
    Schema {
        /// Which definition (all by default).
        #[arg(long, value_enum)]
        format: Option<Format>,
        /// Only this table (all of them by default).
        #[arg(long)]
        table: Option<String>,
    },
    /// Creates the tables and their indexes in a store (adds missing indexes).
    CreateTables {
        /// The store: sqlite:FILE, dynamodb://, dynamodb://?endpoint=http://HOST:PORT.
        url: String,
    },
    /// Copies every table from one store to another, resumably.
    Copy {
        /// The store to read.
        from: String,
        /// The store to write.
        to: String,
        /// A file recording how far the copy got; an interrupted copy run
        /// again with the same file continues there. Removed at the end.
        #[arg(long)]
        checkpoint: Option<PathBuf>,
        /// Items read per page (a checkpoint after each page).
        #[arg(long, default_value_t = 1000)]
        page_items: u32,
        /// Batches of 25 items written at once.
        #[arg(long, default_value_t = 4)]
        in_flight: usize,
        /// At most this many items a second.
        #[arg(long)]
        rate: Option<u32>,
        /// No progress bar.
        #[arg(long)]
        quiet: bool,
    },
    /// Writes one table to a file of DynamoDB JSON lines (DynamoDB's S3 export format).
    Export {
        /// The store to read.
        url: String,
        /// The file to write (`-`: standard output).
        file: PathBuf,
        /// The table (needed when there are several).
        #[arg(long)]
        table: Option<String>,
    },
    /// Writes the items of a file of DynamoDB JSON lines into one table.
    Import {
        /// The store to write.
        url: String,
        /// The file to read (an `export`, or a data file of an AWS export, gunzipped).
        file: PathBuf,
        /// The table (needed when there are several).
        #[arg(long)]
        table: Option<String>,
    },
    /// Reads every item and reports those that are not what the schema
    /// says, and how many items each entity has in each shape.
    Check {
        /// The store to read.
        url: String,
    },
    /// Rewrites the items stored in an older shape of their entity in the
    /// current one, while the application runs (resumably).
    Backfill {
        /// The store.
        url: String,
        /// Only this table (every table by default).
        #[arg(long)]
        table: Option<String>,
        /// A file recording how far the backfill got; run again with the
        /// same file, an interrupted backfill continues there. Removed at
        /// the end.
        #[arg(long)]
        checkpoint: Option<PathBuf>,
        /// Segments scanned in parallel (DynamoDB; SQLite reads one).
        #[arg(long, default_value_t = 1)]
        segments: u32,
        /// Items read per page and segment.
        #[arg(long, default_value_t = 500)]
        page_items: u32,
        /// Items rewritten at once, per segment.
        #[arg(long, default_value_t = 8)]
        in_flight: usize,
        /// At most this many items read a second.
        #[arg(long)]
        rate: Option<u32>,
        /// No progress bar.
        #[arg(long)]
        quiet: bool,
    },
}

/// The definitions `schema` prints.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    /// The SQLite statements.
    Sqlite,
    /// The SQLite statements of the tables layout (a table per entity).
    SqliteTables,
    /// DynamoDB's `CreateTable` request, as JSON.
    CreateTable,
    /// An AWS CloudFormation template (JSON).
    Cloudformation,
    /// A Terraform `aws_dynamodb_table` resource (HCL).
    Terraform,
}

/// A failure of a command, for its one line on standard error.
type Failure = Box<dyn std::error::Error + Send + Sync>;

impl Cli {
    /// A command line called `name` (in `--help`), with no tables yet.
    pub fn new(name: impl Into<String>) -> Cli {
        Cli {
            name: name.into(),
            tables: Vec::new(),
            docs_dir: PathBuf::from("docs/generated"),
        }
    }

    /// Adds the table `T` (any `#[derive(Table)]` enum).
    pub fn table<T: Backfill>(mut self) -> Cli {
        self.tables.push(Entry::of::<T>());
        self
    }

    /// Where `docs` writes (default `docs/generated`, relative to the
    /// working directory; `--dir` overrides it).
    pub fn docs_dir(mut self, dir: impl Into<PathBuf>) -> Cli {
        self.docs_dir = dir.into();
        self
    }

    /// Runs the command in the process's arguments.
    pub fn run(self) -> ExitCode {
        self.run_from(std::env::args_os())
    }

    /// Runs the command in `args` (the first is the program's name).
    ///
    /// It may be called from async code, on any thread: it runs the command
    /// to the end, blocking the calling thread meanwhile (as
    /// [`crate::block_on`]); call it in `tokio::task::spawn_blocking` to
    /// keep a runtime's workers free.
    pub fn run_from<I, A>(self, args: I) -> ExitCode
    where
        I: IntoIterator<Item = A>,
        A: Into<std::ffi::OsString> + Clone,
    {
        let command = <Args as clap::CommandFactory>::command().name(self.name.clone());
        let args = match command
            .try_get_matches_from(args)
            .and_then(|m| <Args as clap::FromArgMatches>::from_arg_matches(&m))
        {
            Ok(args) => args,
            Err(e) => {
                let _ = e.print();
                return if e.use_stderr() {
                    ExitCode::from(2)
                } else {
                    ExitCode::SUCCESS
                };
            }
        };
        match self.execute(args.command) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: {}", one_line(&*e));
                ExitCode::FAILURE
            }
        }
    }

    fn execute(&self, command: Command) -> Result<(), Failure> {
        match command {
            Command::Docs {
                dir,
                check,
                accept_breaking,
            } => self.docs(dir.as_deref(), check, accept_breaking),
            Command::Schema { format, table } => {
                let tables: Vec<&'static TableSchema> = match table {
                    Some(name) => vec![self.one_table(Some(&name))?.schema],
                    None => self.tables.iter().map(|t| t.schema).collect(),
                };
                // One template: CloudFormation reads one document a file.
                if format == Some(Format::Cloudformation) {
                    println!("{}", docs::cloudformation_template(&tables));
                } else {
                    tables
                        .iter()
                        .for_each(|t| print!("{}", schema_text(t, format)));
                }
                Ok(())
            }
            Command::CreateTables { url } => crate::block_on(async {
                let store = Store::open(&url).await?;
                for entry in &self.tables {
                    (entry.create)(&store).await?;
                    println!("{}: ready", entry.schema.name);
                }
                Ok(())
            }),
            Command::Copy {
                from,
                to,
                checkpoint,
                page_items,
                in_flight,
                rate,
                quiet,
            } => {
                let options = CopyOptions::default()
                    .page_items(page_items)
                    .in_flight(in_flight)
                    .items_per_second(rate);
                self.copy(&from, &to, checkpoint.as_deref(), options, quiet)
            }
            Command::Export { url, file, table } => {
                let entry = self.one_table(table.as_deref())?;
                crate::block_on(async {
                    let store = Store::open(&url).await?;
                    let bar = bar(None, entry.schema.name, false);
                    let on_page = Box::new(|n| bar.set_position(n));
                    let n = if file.as_os_str() == "-" {
                        let mut out = std::io::stdout();
                        (entry.export)(&store, &mut out, on_page).await?
                    } else {
                        let mut out = BufWriter::new(
                            fs::File::create(&file)
                                .map_err(|e| format!("cannot create {}: {e}", file.display()))?,
                        );
                        (entry.export)(&store, &mut out, on_page).await?
                    };
                    bar.finish_and_clear();
                    eprintln!("{}: exported {n} items", entry.schema.name);
                    Ok(())
                })
            }
            Command::Import { url, file, table } => {
                let entry = self.one_table(table.as_deref())?;
                let input = fs::File::open(&file)
                    .map_err(|e| format!("cannot open {}: {e}", file.display()))?;
                let mut input = BufReader::new(input);
                crate::block_on(async {
                    let store = Store::open(&url).await?;
                    let bar = bar(None, entry.schema.name, false);
                    let n = (entry.import)(&store, &mut input, Box::new(|n| bar.set_position(n)))
                        .await?;
                    bar.finish_and_clear();
                    println!("{}: imported {n} items", entry.schema.name);
                    Ok(())
                })
            }
            Command::Backfill {
                url,
                table,
                checkpoint,
                segments,
                page_items,
                in_flight,
                rate,
                quiet,
            } => {
                let entries = match table {
                    Some(name) => vec![self.one_table(Some(&name))?],
                    None => self.tables.clone(),
                };
                let options = BackfillOptions::default()
                    .segments(segments)
                    .page_items(page_items)
                    .in_flight(in_flight)
                    .items_per_second(rate);
                self.backfill(&url, &entries, checkpoint.as_deref(), options, quiet)
            }
            Command::Check { url } => crate::block_on(async {
                let store = Store::open(&url).await?;
                let mut problems = 0;
                for entry in &self.tables {
                    let report = match (entry.check)(&store).await {
                        Err(Error::TableNotFound { .. }) => {
                            println!("{}: no such table, nothing to check", entry.schema.name);
                            continue;
                        }
                        report => report?,
                    };
                    for problem in &report.problems {
                        println!("{}: {problem}", entry.schema.name);
                    }
                    let unmoved: String = report
                        .unmoved
                        .iter()
                        .map(|(entity, n)| format!("; {entity}: {n} still under its old key"))
                        .collect();
                    println!(
                        "{}: {} items, {} problems{}{unmoved}{}",
                        entry.schema.name,
                        report.items,
                        report.problems.len(),
                        jobs::shapes_text("; ", &report.shapes),
                        jobs::markers_text(&report)
                    );
                    problems += report.problems.len();
                }
                if problems > 0 {
                    return Err(format!("{problems} items are not what the schema says").into());
                }
                Ok(())
            }),
        }
    }

    fn one_table(&self, name: Option<&str>) -> Result<Entry, Failure> {
        let names = || {
            self.tables
                .iter()
                .map(|t| t.schema.name)
                .collect::<Vec<_>>()
                .join(", ")
        };
        match (name, self.tables.as_slice()) {
            (None, [only]) => Ok(*only),
            (None, _) => Err(format!("several tables ({}): name one with --table", names()).into()),
            (Some(name), tables) => tables
                .iter()
                .find(|t| t.schema.name == name)
                .copied()
                .ok_or_else(|| format!("no table {name:?} (the tables: {})", names()).into()),
        }
    }

    /// `docs`: each table's Markdown and schema snapshot, written (a
    /// snapshot only when the change is compatible, or accepted) or
    /// checked.
    fn docs(&self, dir: Option<&Path>, check: bool, accept: bool) -> Result<(), Failure> {
        let dir = dir.unwrap_or(&self.docs_dir);
        let mut stale = Vec::new();
        let mut refused = Vec::new();
        for entry in &self.tables {
            let path = dir.join(format!("{}.md", entry.schema.name));
            let text = docs::markdown(entry.schema);
            let snapshot_path = dir.join(format!("{}.schema.json", entry.schema.name));
            let snapshot = docs::snapshot(entry.schema);
            let committed = fs::read_to_string(&snapshot_path).ok();
            let mut blocked = false;
            // What the stored items of the committed schema would suffer.
            if let Some(old) = committed.as_deref().filter(|old| *old != snapshot) {
                let found = docs::compatibility(old, entry.schema)
                    .map_err(|e| format!("{}: {e}", snapshot_path.display()))?;
                for change in &found.accepted {
                    println!("{}: {change}", entry.schema.name);
                }
                for problem in &found.refused {
                    println!("{}: refused: {problem}", entry.schema.name);
                }
                if !found.is_compatible() && !accept {
                    blocked = true;
                    refused.push(snapshot_path.display().to_string());
                }
            }
            if check {
                if fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
                    stale.push(path.display().to_string());
                }
                if committed.as_deref() != Some(snapshot.as_str()) {
                    stale.push(snapshot_path.display().to_string());
                }
                continue;
            }
            fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
            fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            println!("wrote {}", path.display());
            if !blocked {
                fs::write(&snapshot_path, snapshot)
                    .map_err(|e| format!("cannot write {}: {e}", snapshot_path.display()))?;
                println!("wrote {}", snapshot_path.display());
            }
        }
        if !refused.is_empty() {
            return Err(format!(
                "the schema changes in a way that would orphan or misread stored items (above): \
                 {} not updated; change the code as each line says, or, knowing what happens to \
                 the stored items, run `docs --accept-breaking`",
                refused.join(", ")
            )
            .into());
        }
        if !stale.is_empty() {
            return Err(format!(
                "stale documentation: {} (run the `docs` command and commit the files)",
                stale.join(", ")
            )
            .into());
        }
        if check {
            println!("documentation is up to date");
        }
        Ok(())
    }
}

/// The definitions of one table in `format` (all of them for `None`).
fn schema_text(table: &TableSchema, format: Option<Format>) -> String {
    let one = |f: Format| match f {
        Format::Sqlite => docs::sqlite_ddl(table),
        Format::SqliteTables => docs::sqlite_tables_ddl(table),
        Format::CreateTable => docs::dynamodb_table_json(table) + "\n",
        Format::Cloudformation => docs::cloudformation_json(table) + "\n",
        Format::Terraform => docs::terraform_hcl(table),
    };
    match format {
        Some(f) => one(f),
        None => [
            ("SQLite", Format::Sqlite),
            ("SQLite, tables layout", Format::SqliteTables),
            ("DynamoDB CreateTable", Format::CreateTable),
            ("CloudFormation", Format::Cloudformation),
            ("Terraform", Format::Terraform),
        ]
        .into_iter()
        .map(|(title, f)| format!("# {}: {title}\n{}\n", table.name, one(f)))
        .collect(),
    }
}

/// An error and its causes on one line.
fn one_line(e: &(dyn std::error::Error + 'static)) -> String {
    let mut line = e.to_string();
    for cause in std::iter::successors(e.source(), |c| c.source()) {
        let text = cause.to_string();
        if !line.contains(&text) {
            line.push_str(": ");
            line.push_str(&text);
        }
    }
    line.replace('\n', " ")
}
