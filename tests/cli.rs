//! The command line (`blue_schema::cli`) through its binary, `blue-domains`
//! (examples/cli.rs), as a user runs it: on SQLite files and on the DynamoDB
//! emulator this process starts (a separate process reaching it over
//! 127.0.0.1).

#[path = "common/dynamodb.rs"]
mod dynamodb;

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use blue_schema::{Store, Table};
use blue_schema_examples::dialogue::{Dialogue, Expert, Perspective, Status};
use blue_schema_examples::document::Document;
use blue_schema_examples::shop::Shop;
use serde_json::Value;

fn bin() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_blue-domains"));
    command
        .env("AWS_ACCESS_KEY_ID", "blue-schema-test")
        .env("AWS_SECRET_ACCESS_KEY", "blue-schema-test")
        .env("AWS_REGION", "us-east-1");
    command
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("the binary runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn ok(args: &[&str]) -> String {
    let output = run(args);
    assert!(
        output.status.success(),
        "{args:?} failed: {}{}",
        stdout(&output),
        stderr(&output)
    );
    stdout(&output)
}

/// A URL of a fresh SQLite file in `dir`.
fn sqlite(dir: &Path, name: &str) -> String {
    format!("sqlite:{}", dir.join(name).display())
}

/// A URL of the DynamoDB emulator, with a table prefix of its own.
fn dynamodb() -> String {
    // For this process's stores too (the emulator takes any credentials).
    std::env::set_var("AWS_ACCESS_KEY_ID", "blue-schema-test");
    std::env::set_var("AWS_SECRET_ACCESS_KEY", "blue-schema-test");
    let (endpoint, _) = dynamodb::endpoint_url();
    format!(
        "dynamodb://?endpoint={endpoint}&region=us-east-1&table_prefix={}",
        dynamodb::unique_prefix()
    )
}

fn block<T>(future: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Runtime::new().unwrap().block_on(future)
}

/// A dialogue database of `n` perspectives and an expert per 10.
fn fill(url: &str, n: u32) {
    block(async {
        let store = Store::open(url).await.unwrap();
        store.create_table::<Dialogue>().await.unwrap();
        store.create_table::<Document>().await.unwrap();
        store.create_table::<Shop>().await.unwrap();
        store
            .create_table::<blue_schema_examples::directory::Directory>()
            .await
            .unwrap();
        let items: Vec<Perspective> = (0..n)
            .map(|i| Perspective {
                dialogue_id: format!("d{}", i % 7),
                round: i / 50,
                expert: format!("e{}", i % 5),
                seq: i,
                label: format!("label {i} with a #hash, a |bar and ünïcode"),
                content: "x".repeat(100),
                status: Status::Open,
            })
            .collect();
        store.put_all(&items).await.unwrap();
        for i in 0..n / 10 {
            store
                .put(&Expert {
                    dialogue_id: format!("d{}", i % 7),
                    name: format!("expert{i}"),
                    role: "skeptic".into(),
                    tier: 2,
                    score: -3,
                })
                .await
                .unwrap();
        }
    });
}

/// Every item of the dialogue table at `url`, as exported lines, sorted.
fn lines(url: &str, dir: &Path, name: &str) -> Vec<String> {
    let file = dir.join(name);
    ok(&[
        "export",
        url,
        file.to_str().unwrap(),
        "--table",
        "blue_dialogue",
    ]);
    let mut lines: Vec<String> = std::fs::read_to_string(&file)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    lines.sort();
    lines
}

#[test]
fn every_command_has_help() {
    let top = ok(&["--help"]);
    for command in [
        "docs",
        "schema",
        "create-tables",
        "copy",
        "export",
        "import",
        "check",
    ] {
        assert!(top.contains(command), "{command} in\n{top}");
        let help = ok(&[command, "--help"]);
        assert!(help.contains("Usage: blue-domains"), "{help}");
    }
    let wrong = run(&["copy"]);
    assert_eq!(wrong.status.code(), Some(2));
    assert!(stderr(&wrong).contains("FROM"), "{}", stderr(&wrong));
}

#[test]
fn errors_are_one_line_and_a_failure() {
    let output = run(&["create-tables", "postgres://nowhere"]);
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("error: "), "{err}");
    let dir = tempfile::tempdir().unwrap();
    let checkpoint = dir.path().join("copy.json");
    std::fs::write(&checkpoint, "[1, 2]").unwrap();
    let (from, to) = (sqlite(dir.path(), "a.db"), sqlite(dir.path(), "b.db"));
    let output = run(&[
        "copy",
        &from,
        &to,
        "--checkpoint",
        checkpoint.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("is not a checkpoint"),
        "{}",
        stderr(&output)
    );
    let output = run(&["export", "sqlite::memory:", "/tmp/x.jsonl"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("--table"), "{}", stderr(&output));
}

#[test]
fn schema_definitions_agree_with_create_table() {
    for (schema, name) in [
        (&Dialogue::SCHEMA, "blue_dialogue"),
        (&Document::SCHEMA, "blue_document"),
    ] {
        let create: Value =
            serde_json::from_str(&blue_schema::docs::dynamodb_table_json(schema)).unwrap();
        let printed = ok(&["schema", "--format", "create-table"]);
        assert!(printed.contains(&blue_schema::docs::dynamodb_table_json(schema)));

        // CloudFormation: one template (one JSON document, as a file holds)
        // with every table; each resource's properties are the CreateTable
        // request.
        let all = ok(&["schema", "--format", "cloudformation"]);
        let template: Value = serde_json::from_str(&all).expect("exactly one JSON document");
        assert_eq!(template["AWSTemplateFormatVersion"], "2010-09-09");
        let resources = template["Resources"].as_object().unwrap();
        assert_eq!(resources.len(), 4, "every table: {:?}", resources.keys());
        let properties = resources
            .values()
            .find(|r| r["Properties"]["TableName"] == name)
            .map(|r| {
                assert_eq!(r["Type"], "AWS::DynamoDB::Table");
                r["Properties"].clone()
            })
            .unwrap();
        // CloudFormation's stream has a view type only (present: enabled).
        let mut expected = create.clone();
        if let Some(stream) = expected.get_mut("StreamSpecification") {
            assert_eq!(stream["StreamEnabled"], true);
            *stream = serde_json::json!({ "StreamViewType": stream["StreamViewType"] });
        }
        assert_eq!(properties, expected, "{name}");

        // Terraform: parsed, the same keys, attributes and indexes.
        let hcl = ok(&["schema", "--format", "terraform"]);
        let resource = hcl_resources(&hcl)
            .into_iter()
            .find(|r| r.attributes["name"] == name)
            .unwrap();
        assert_eq!(resource.kind, "aws_dynamodb_table");
        assert_eq!(resource.attributes["billing_mode"], create["BillingMode"]);
        let stream = &create["StreamSpecification"];
        assert_eq!(
            resource
                .attributes
                .get("stream_enabled")
                .map(String::as_str),
            stream.get("StreamEnabled").map(|_| "true"),
            "{name}"
        );
        assert_eq!(
            resource
                .attributes
                .get("stream_view_type")
                .map(String::as_str),
            stream["StreamViewType"].as_str(),
            "{name}"
        );
        let key = |schema: &Value, kind: &str| {
            schema
                .as_array()
                .unwrap()
                .iter()
                .find(|k| k["KeyType"] == kind)
                .map(|k| k["AttributeName"].as_str().unwrap().to_owned())
        };
        assert_eq!(
            Some(resource.attributes["hash_key"].clone()),
            key(&create["KeySchema"], "HASH")
        );
        assert_eq!(
            Some(resource.attributes["range_key"].clone()),
            key(&create["KeySchema"], "RANGE")
        );
        let attributes: Vec<(String, String)> = resource
            .blocks
            .iter()
            .filter(|(kind, _)| kind == "attribute")
            .map(|(_, b)| (b["name"].clone(), b["type"].clone()))
            .collect();
        let wanted: Vec<(String, String)> = create["AttributeDefinitions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| {
                (
                    a["AttributeName"].as_str().unwrap().to_owned(),
                    a["AttributeType"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        assert_eq!(attributes, wanted);
        type IndexRow = (String, String, String, Option<Value>);
        let indexes: Vec<IndexRow> = resource
            .blocks
            .iter()
            .filter(|(kind, _)| kind == "global_secondary_index")
            .map(|(_, b)| {
                // `hash_key` and `range_key`, or a `key_schema` block per
                // attribute of a multi-attribute key.
                let key = b.get("key_schema").cloned().unwrap_or_else(|| {
                    format!("{} HASH, {} RANGE, ", b["hash_key"], b["range_key"])
                });
                (
                    b["name"].clone(),
                    key,
                    b["projection_type"].clone(),
                    b.get("non_key_attributes")
                        .map(|list| serde_json::from_str(list).unwrap()),
                )
            })
            .collect();
        let wanted: Vec<IndexRow> = create["GlobalSecondaryIndexes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| {
                let elements: String = i["KeySchema"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|k| {
                        format!(
                            "{} {}, ",
                            k["AttributeName"].as_str().unwrap(),
                            k["KeyType"].as_str().unwrap()
                        )
                    })
                    .collect();
                (
                    i["IndexName"].as_str().unwrap().to_owned(),
                    elements,
                    i["Projection"]["ProjectionType"]
                        .as_str()
                        .unwrap()
                        .to_owned(),
                    i["Projection"].get("NonKeyAttributes").cloned(),
                )
            })
            .collect();
        assert!(!wanted.is_empty(), "{name} has indexes");
        assert_eq!(indexes, wanted);
    }
    // `--table` keeps one table, in every format.
    let one = ok(&[
        "schema",
        "--format",
        "cloudformation",
        "--table",
        "blue_shop",
    ]);
    let template: Value = serde_json::from_str(&one).unwrap();
    let resources = template["Resources"].as_object().unwrap();
    assert_eq!(resources.keys().collect::<Vec<_>>(), ["BlueShop"]);
    let hcl = ok(&[
        "schema",
        "--format",
        "terraform",
        "--table",
        "blue_document",
    ]);
    let names: Vec<String> = hcl_resources(&hcl)
        .into_iter()
        .map(|r| r.attributes["name"].clone())
        .collect();
    assert_eq!(names, ["blue_document"]);
    let unknown = run(&["schema", "--table", "nope"]);
    assert!(!unknown.status.success());
    assert!(
        stderr(&unknown).contains("no table \"nope\""),
        "{}",
        stderr(&unknown)
    );
    // Terraform: one file of one resource per table, each named once.
    let hcl = ok(&["schema", "--format", "terraform"]);
    let names: Vec<String> = hcl_resources(&hcl)
        .into_iter()
        .map(|r| r.attributes["name"].clone())
        .collect();
    assert_eq!(
        names,
        [
            "blue_dialogue",
            "blue_document",
            "blue_shop",
            "blue_team_directory"
        ]
    );
    // The SQLite statements are the backend's own.
    let ddl = ok(&["schema", "--format", "sqlite"]);
    assert!(ddl.contains(&blue_schema::docs::sqlite_ddl(&Dialogue::SCHEMA)));
}

/// A parsed HCL resource: `resource "kind" "name" { a = "v" block { … } }`.
struct Resource {
    kind: String,
    attributes: std::collections::HashMap<String, String>,
    blocks: Vec<(String, std::collections::HashMap<String, String>)>,
}

/// Parses the subset of HCL the `terraform` format writes: resources of
/// string (or `true`) attributes and blocks of them, and in a block the
/// `key_schema` blocks of a multi-attribute key (kept in the block as
/// `key_schema = "name KEY_TYPE, …"`). Anything else fails.
fn hcl_resources(text: &str) -> Vec<Resource> {
    let mut resources = Vec::new();
    let mut current: Option<Resource> = None;
    let mut block: Option<(String, std::collections::HashMap<String, String>)> = None;
    let mut element: Option<std::collections::HashMap<String, String>> = None;
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if line == "key_schema {" {
            assert!(block.is_some() && element.is_none(), "{line}");
            element = Some(Default::default());
            continue;
        }
        if let Some(e) = element.as_mut() {
            if line == "}" {
                let e = element.take().unwrap();
                let (_, b) = block.as_mut().unwrap();
                b.entry("key_schema".into())
                    .or_default()
                    .push_str(&format!("{} {}, ", e["attribute_name"], e["key_type"]));
            } else {
                let (name, value) = line.split_once('=').unwrap_or_else(|| panic!("{line}"));
                e.insert(
                    name.trim().to_owned(),
                    value.trim().trim_matches('"').to_owned(),
                );
            }
            continue;
        }
        if let Some(rest) = line.strip_prefix("resource ") {
            let parts: Vec<&str> = rest.split('"').collect();
            assert!(current.is_none() && rest.ends_with('{'), "{line}");
            current = Some(Resource {
                kind: parts[1].to_owned(),
                attributes: Default::default(),
                blocks: Vec::new(),
            });
        } else if line == "}" {
            match (block.take(), current.take()) {
                (Some(b), Some(mut r)) => {
                    r.blocks.push(b);
                    current = Some(r);
                }
                (None, Some(r)) => resources.push(r),
                _ => panic!("unbalanced }}"),
            }
        } else if let Some(name) = line.strip_suffix(" {") {
            assert!(block.is_none() && current.is_some(), "{line}");
            block = Some((name.to_owned(), Default::default()));
        } else {
            let (name, value) = line.split_once('=').unwrap_or_else(|| panic!("{line}"));
            let value = value.trim();
            // A string, `true`, or a list of strings (kept as written).
            let list = value.starts_with('[') && value.ends_with(']');
            assert!(
                (value.starts_with('"') && value.ends_with('"')) || value == "true" || list,
                "{line}"
            );
            let value = if list {
                value.to_owned()
            } else {
                value.trim_matches('"').to_owned()
            };
            let target = match (&mut block, &mut current) {
                (Some((_, b)), _) => b,
                (None, Some(r)) => &mut r.attributes,
                _ => panic!("{line} outside a resource"),
            };
            target.insert(name.trim().to_owned(), value);
        }
    }
    assert!(current.is_none() && block.is_none(), "unclosed resource");
    resources
}

#[test]
fn docs_are_written_and_checked() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().to_str().unwrap();
    // The committed files are up to date (the repository's own check).
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/generated");
    ok(&["docs", "--check", "--dir", root.to_str().unwrap()]);
    // Missing files fail the check; written, they pass; edited, they fail.
    let missing = run(&["docs", "--check", "--dir", target]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(stderr(&missing).contains("stale documentation"));
    let wrote = ok(&["docs", "--dir", target]);
    assert!(wrote.contains("blue_dialogue.md") && wrote.contains("blue_document.md"));
    ok(&["docs", "--check", "--dir", target]);
    let file = dir.path().join("blue_document.md");
    std::fs::write(&file, "edited\n").unwrap();
    let stale = run(&["docs", "--check", "--dir", target]);
    assert_eq!(stale.status.code(), Some(1));
    assert!(
        stderr(&stale).contains("blue_document.md"),
        "{}",
        stderr(&stale)
    );

    // A committed snapshot from which the code's schema cannot read the
    // stored items (the expert's prefix was `EXP` then): refused by the
    // check, not overwritten by `docs`, overwritten when accepted.
    ok(&["docs", "--dir", target]);
    let snapshot = dir.path().join("blue_dialogue.schema.json");
    let committed = std::fs::read_to_string(&snapshot).unwrap();
    let older = committed.replace("\"prefix\": \"EXPERT\"", "\"prefix\": \"EXP\"");
    assert_ne!(older, committed);
    std::fs::write(&snapshot, &older).unwrap();
    for args in [
        &["docs", "--check", "--dir", target][..],
        &["docs", "--dir", target],
    ] {
        let refused = run(args);
        assert_eq!(refused.status.code(), Some(1), "{args:?}");
        assert!(
            stdout(&refused).contains(
                "blue_dialogue: refused: the prefix of `Expert` changed from `EXP` to `EXPERT`"
            ),
            "{}",
            stdout(&refused)
        );
        assert!(
            stderr(&refused).contains("would orphan or misread stored items"),
            "{}",
            stderr(&refused)
        );
        assert_eq!(std::fs::read_to_string(&snapshot).unwrap(), older);
    }
    ok(&["docs", "--dir", target, "--accept-breaking"]);
    assert_eq!(std::fs::read_to_string(&snapshot).unwrap(), committed);
    ok(&["docs", "--check", "--dir", target]);
}

#[test]
fn create_tables_on_both_backends() {
    let dir = tempfile::tempdir().unwrap();
    for url in [sqlite(dir.path(), "t.db"), dynamodb()] {
        let out = ok(&["create-tables", &url]);
        assert!(out.contains("blue_dialogue: ready") && out.contains("blue_document: ready"));
        // Twice is fine: the tables exist.
        ok(&["create-tables", &url]);
        block(async {
            let store = Store::open(&url).await.unwrap();
            assert_eq!(
                store
                    .query(Dialogue::partition("none"))
                    .all()
                    .await
                    .unwrap()
                    .len(),
                0
            );
        });
    }
}

/// An interrupted copy, resumed from its checkpoint, ends with exactly the
/// source's items.
fn interrupted_copy_resumes(target: &str) {
    let dir = tempfile::tempdir().unwrap();
    let source = sqlite(dir.path(), "source.db");
    fill(&source, 600);
    let checkpoint = dir.path().join("copy.json");
    let args = |rate: &str| -> Vec<String> {
        [
            "copy",
            &source,
            target,
            "--checkpoint",
            checkpoint.to_str().unwrap(),
            "--page-items",
            "20",
            "--rate",
            rate,
            "--quiet",
        ]
        .map(str::to_owned)
        .to_vec()
    };
    // Slowed to 200 items a second, killed once a checkpoint is written.
    let mut child = bin()
        .args(args("200"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let saved = loop {
        if let Ok(text) = std::fs::read_to_string(&checkpoint) {
            if let Ok(state) = serde_json::from_str::<Value>(&text) {
                if state["blue_dialogue"].is_array() {
                    break state;
                }
            }
        }
        assert!(Instant::now() < deadline, "no checkpoint was written");
        assert!(
            child.try_wait().unwrap().is_none(),
            "the copy ended before it was stopped"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    child.kill().unwrap();
    child.wait().unwrap();
    let partial = lines(target, dir.path(), "partial.jsonl").len();
    let all = lines(&source, dir.path(), "source.jsonl");
    assert!(
        partial > 0 && partial < all.len(),
        "stopped part-way: {partial} of {} (checkpoint {saved})",
        all.len()
    );

    let resumed = ok(&args("100000")
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>());
    assert!(resumed.contains("blue_dialogue: copied"), "{resumed}");
    assert!(resumed.contains("(resumed)"), "{resumed}");
    assert!(
        resumed.contains(&format!(
            "source {} items, target {} items",
            all.len(),
            all.len()
        )),
        "{resumed}"
    );
    assert!(!checkpoint.exists(), "the checkpoint is removed at the end");
    // Exactly the source's items, each once, identical.
    assert_eq!(lines(target, dir.path(), "target.jsonl"), all);
}

#[test]
fn an_interrupted_copy_resumes_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    interrupted_copy_resumes(&sqlite(dir.path(), "target.db"));
}

#[test]
fn an_interrupted_copy_resumes_on_dynamodb() {
    interrupted_copy_resumes(&dynamodb());
}

#[test]
fn export_and_import_round_trip_on_both_backends() {
    let dir = tempfile::tempdir().unwrap();
    let source = sqlite(dir.path(), "source.db");
    fill(&source, 120);
    let exported = lines(&source, dir.path(), "export.jsonl");
    assert_eq!(exported.len(), 132);
    // The AWS export format: one {"Item": {…typed…}} per line.
    let first: Value = serde_json::from_str(&exported[0]).unwrap();
    assert!(first["Item"]["pk"]["S"].is_string() && first["Item"]["created_at"]["S"].is_string());
    for target in [sqlite(dir.path(), "copy.db"), dynamodb()] {
        let file = dir.path().join("export.jsonl");
        let out = ok(&[
            "import",
            &target,
            file.to_str().unwrap(),
            "--table",
            "blue_dialogue",
        ]);
        assert!(out.contains("imported 132 items"), "{out}");
        assert_eq!(
            lines(&target, dir.path(), "again.jsonl"),
            exported,
            "{target}"
        );
        ok(&["check", &target]);
    }
    // A key given twice: the later line wins, on both backends (DynamoDB
    // refuses a key twice in one batch; the import ends the batch there).
    let mut later: Value = serde_json::from_str(&exported[0]).unwrap();
    later["Item"]["updated_at"] = serde_json::json!({ "S": "2030-01-01T00:00:00.000Z" });
    let later = later.to_string();
    let twice = dir.path().join("twice.jsonl");
    std::fs::write(&twice, format!("{}\n{later}\n", exported[0])).unwrap();
    for target in [sqlite(dir.path(), "twice.db"), dynamodb()] {
        ok(&[
            "import",
            &target,
            twice.to_str().unwrap(),
            "--table",
            "blue_dialogue",
        ]);
        let again: Vec<Value> = lines(&target, dir.path(), "twice-again.jsonl")
            .iter()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(
            again,
            vec![serde_json::from_str::<Value>(&later).unwrap()],
            "{target}"
        );
    }

    // A line that is not an item names its line.
    let bad = dir.path().join("bad.jsonl");
    std::fs::write(&bad, format!("{}\n{{\"Item\": 3}}\n", exported[0])).unwrap();
    let output = run(&[
        "import",
        &sqlite(dir.path(), "bad.db"),
        bad.to_str().unwrap(),
        "--table",
        "blue_dialogue",
    ]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("line 2"), "{}", stderr(&output));
}

#[test]
fn check_reports_items_the_schema_does_not_describe() {
    let dir = tempfile::tempdir().unwrap();
    let url = sqlite(dir.path(), "check.db");
    fill(&url, 30);
    let clean = ok(&["check", &url]);
    assert!(
        clean.contains("blue_dialogue: 33 items, 0 problems"),
        "{clean}"
    );
    // Written behind the library's back: an unknown prefix, a key that
    // disagrees with its fields, and an item that does not decode.
    let db = rusqlite::Connection::open(dir.path().join("check.db")).unwrap();
    db.execute(
        "INSERT INTO blue_dialogue (pk, sk, data, created_at, size, updated_at) VALUES ('d0', 'GHOST#1', '{}', '2026-01-01T00:00:00Z', 10, '')",
        [],
    )
    .unwrap();
    db.execute(
        "UPDATE blue_dialogue SET data = json_set(data, '$.name', 'renamed') WHERE pk = 'd0' AND sk LIKE 'EXPERT#%'",
        [],
    )
    .unwrap();
    db.execute(
        "UPDATE blue_dialogue SET data = json_set(data, '$.seq', 'x') WHERE pk = 'd1' AND sk LIKE 'PERSP#%'",
        [],
    )
    .unwrap();
    let output = run(&["check", &url]);
    assert_eq!(output.status.code(), Some(1));
    let report = stdout(&output);
    assert!(report.contains("d0 | GHOST#1: unknown prefix"), "{report}");
    assert!(
        report.contains("key disagrees with the fields of the Expert"),
        "{report}"
    );
    assert!(
        report.contains("does not decode as Perspective"),
        "{report}"
    );
    assert!(
        stderr(&output).starts_with("error: "),
        "{}",
        stderr(&output)
    );
}

/// `Cli::run_from` inside an async program: it finishes its work before it
/// returns (blocking the calling thread meanwhile, as its documentation
/// says), on a runtime's worker and in `spawn_blocking`, on SQLite and on
/// DynamoDB, and the tables it made are there for the program's store.
#[test]
fn the_command_line_runs_inside_an_async_program() {
    use blue_schema::cli::Cli;
    use std::process::ExitCode;

    let dir = tempfile::tempdir().unwrap();
    let sqlite_url = sqlite(dir.path(), "in-runtime.db");
    let dynamo_url = dynamodb();
    let cli = || Cli::new("app").table::<Dialogue>();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let url = sqlite_url.clone();
        let on_worker = tokio::spawn(async move { cli().run_from(["app", "create-tables", &url]) });
        assert_eq!(on_worker.await.unwrap(), ExitCode::SUCCESS);
        let url = dynamo_url.clone();
        let blocking =
            tokio::task::spawn_blocking(move || cli().run_from(["app", "create-tables", &url]));
        assert_eq!(blocking.await.unwrap(), ExitCode::SUCCESS);
        let url = dynamo_url.clone();
        let on_worker = tokio::spawn(async move { cli().run_from(["app", "check", &url]) });
        assert_eq!(on_worker.await.unwrap(), ExitCode::SUCCESS);
        for url in [&sqlite_url, &dynamo_url] {
            let store = Store::open(url).await.unwrap();
            let expert = Expert {
                dialogue_id: "d".into(),
                name: "m".into(),
                role: "r".into(),
                tier: 1,
                score: 0,
            };
            store.put(&expert).await.unwrap();
            assert_eq!(
                store.get(Expert::key("d", "m")).await.unwrap(),
                Some(expert)
            );
        }
    });
}

/// Runs the command line's `backfill` of `table` at `url` twice, slowed
/// to `rate` items a second and killed (SIGKILL) once its checkpoint file
/// moved, the application writing (`app_writes(round)`) before and after
/// each kill, then once more to the end: its output and how long it took.
fn killed_twice_then_resumed(
    url: &str,
    table: &str,
    checkpoint: &Path,
    rate: u32,
    mut app_writes: impl FnMut(u32),
) -> (String, f64) {
    let args = |rate: Option<u32>| -> Vec<String> {
        let checkpoint = checkpoint.display().to_string();
        let mut args: Vec<String> = [
            "backfill",
            url,
            "--table",
            table,
            "--checkpoint",
            &checkpoint,
            "--page-items",
            "250",
            "--segments",
            "4",
            "--quiet",
        ]
        .map(str::to_owned)
        .to_vec();
        if let Some(rate) = rate {
            args.extend(["--rate".to_owned(), rate.to_string()]);
        }
        args
    };
    let mut last = String::new();
    for round in 0..2 {
        let mut child = bin()
            .args(args(Some(rate)))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            app_writes(round);
            let saved = std::fs::read_to_string(checkpoint).unwrap_or_default();
            if saved.contains("bluebackfill1:") && saved != last {
                last = saved;
                break;
            }
            assert!(Instant::now() < deadline, "no checkpoint was written");
            assert!(
                child.try_wait().unwrap().is_none(),
                "the backfill ended before it was killed"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        app_writes(round + 10);
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
    }
    let started = Instant::now();
    let out = ok(&args(None).iter().map(String::as_str).collect::<Vec<_>>());
    (out, started.elapsed().as_secs_f64())
}

/// A backfill of `n` customers written in shape 1, killed (SIGKILL) twice
/// and resumed from its checkpoint file, while the application writes the
/// same customers in the current shape: at the end every customer is in
/// shape 2, none is lost or duplicated, and every application write stands.
fn a_killed_backfill_resumes(url: &str, n: u32) {
    use blue_schema_examples::shop::{before, Customer};
    use std::future::IntoFuture as _;
    let dir = tempfile::tempdir().unwrap();
    let id = |i: u32| format!("c{i:06}");
    block(async {
        let store = Store::open(url).await.unwrap();
        store.create_table::<Shop>().await.unwrap();
        let all: Vec<before::Customer> = (0..n)
            .map(|i| before::Customer {
                customer_id: id(i),
                contact: format!("Customer {i} <c{i}@example.com>"),
            })
            .collect();
        for chunk in all.chunks(5000) {
            store.put_all(chunk).await.unwrap();
        }
    });
    let checkpoint = dir.path().join("backfill.json");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let store = runtime.block_on(Store::open(url)).unwrap();
    // The application's writes: customer `i` gets an address naming the round.
    let mut written = std::collections::BTreeMap::new();
    let app_writes = |round: u32| {
        for k in 0..20 {
            let i = (k * 7919 + round * 104_729) % n;
            let email = format!("round{round}-{k}@example.com");
            let customer = Customer {
                customer_id: id(i),
                name: format!("Customer {i}"),
                email: email.clone(),
            };
            runtime
                .block_on(store.put(&customer).into_future())
                .unwrap();
            written.insert(i, email);
        }
    };
    let (out, seconds) =
        killed_twice_then_resumed(url, "blue_shop", &checkpoint, (n / 20).max(100), app_writes);
    assert!(
        out.contains("blue_shop:") && out.contains("(resumed)"),
        "{out}"
    );
    assert!(!checkpoint.exists(), "the checkpoint is removed at the end");
    eprintln!("the resumed backfill, {seconds:.1} s: {out}");

    let report = ok(&["check", url]);
    assert!(
        report.contains(&format!(
            "blue_shop: {n} items, 0 problems; Customer: {n} in shape 2"
        )),
        "{report}"
    );
    runtime.block_on(async {
        for (i, email) in &written {
            let read = store.get(Customer::key(id(*i))).await.unwrap().unwrap();
            assert_eq!(&read.email, email, "the application's write of {i} stands");
        }
        for i in [0, n / 3, n - 1] {
            if written.contains_key(&i) {
                continue;
            }
            let read = store.get(Customer::key(id(i))).await.unwrap().unwrap();
            assert_eq!(
                read.email,
                format!("c{i}@example.com"),
                "upgraded from shape 1"
            );
        }
    });
}

#[test]
fn a_killed_backfill_resumes_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    a_killed_backfill_resumes(&sqlite(dir.path(), "shop.db"), 100_000);
}

#[test]
fn a_killed_backfill_resumes_on_dynamodb() {
    a_killed_backfill_resumes(&dynamodb(), 10_000);
}

/// A backfill that moves `n` members from the directory's old key to its
/// new one (`blue_schema_examples::directory`), killed (SIGKILL) twice and
/// resumed from its checkpoint file, while the application writes members
/// (which moves them): at the end every member is under its new key once,
/// none under its old one, and every application write stands.
fn a_killed_move_resumes(url: &str, n: u32) {
    use blue_schema_examples::directory::{before, Directory, Member};
    use std::future::IntoFuture as _;
    let dir = tempfile::tempdir().unwrap();
    let member = |i: u32| before::Member {
        team: format!("team-{:03}", i % 50),
        email: format!("m{i:06}@example.com"),
        role: ["dev", "ops", "lead"][(i % 3) as usize].to_owned(),
        name: format!("Member {i}"),
    };
    let key = |i: u32| {
        let m = member(i);
        Member::key(m.team, m.role, m.email)
    };
    block(async {
        let store = Store::open(url).await.unwrap();
        store.create_table::<Directory>().await.unwrap();
        let all: Vec<before::Member> = (0..n).map(member).collect();
        for chunk in all.chunks(5000) {
            store.put_all(chunk).await.unwrap();
        }
    });
    let before_run = ok(&["check", url]);
    assert!(
        before_run.contains(&format!("Member: {n} still under its old key")),
        "{before_run}"
    );
    let checkpoint = dir.path().join("moves.json");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let store = runtime.block_on(Store::open(url)).unwrap();
    // The application's writes: member `i` goes on call (which moves it).
    let mut written = std::collections::BTreeSet::new();
    let app_writes = |round: u32| {
        for k in 0..20 {
            let i = (k * 7919 + round * 104_729) % n;
            runtime
                .block_on(
                    store
                        .update(key(i))
                        .set(Member::attr().on_call, true)
                        .into_future(),
                )
                .unwrap();
            written.insert(i);
        }
    };
    let (out, seconds) = killed_twice_then_resumed(
        url,
        "blue_team_directory",
        &checkpoint,
        (n / 20).max(100),
        app_writes,
    );
    assert!(
        out.contains("blue_team_directory:") && out.contains("(resumed)"),
        "{out}"
    );
    assert!(!checkpoint.exists(), "the checkpoint is removed at the end");
    eprintln!("the resumed move, {seconds:.1} s: {out}");

    let report = ok(&["check", url]);
    assert!(
        report.contains(&format!(
            "blue_team_directory: {n} items, 0 problems; Member: {n} in shape 2"
        )) && !report.contains("still under its old key"),
        "{report}"
    );
    runtime.block_on(async {
        for i in 0..n {
            if !(written.contains(&i) || i % 997 == 0) {
                continue;
            }
            let read = store.get(key(i)).await.unwrap().unwrap();
            assert_eq!(read.on_call, written.contains(&i), "member {i}");
        }
    });
}

#[test]
fn a_killed_move_resumes_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    a_killed_move_resumes(&sqlite(dir.path(), "directory.db"), 20_000);
}

#[test]
fn a_killed_move_resumes_on_dynamodb() {
    a_killed_move_resumes(&dynamodb(), 4_000);
}
