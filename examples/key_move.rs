//! A key move on a live table: the team directory
//! (`blue_schema_examples::directory`) kept each member under
//! `{team} | MEMBER#{email}`; the new program keys them by team and role,
//! `TEAM#{team} | MBR#{role}#{email}`, so that one query reads a team's
//! members of one role. The old key stays declared on the frozen shape 1,
//! which makes the entity *moving*: reads by key find the members still
//! under the old key, every write of a member moves it first, and the
//! backfill moves the rest, while the application keeps writing. `check`
//! then finds none under the old key, and the declaration can go.
//!
//! ```text
//! cargo run -p blue-schema-tests --example key_move                  # SQLite file, 10 000 members
//! cargo run -p blue-schema-tests --example key_move -- dynamodb 2000 # DynamoDB: an emulator started in this process
//! cargo run --release -p blue-schema-tests --example key_move -- sqlite 100000
//! ```

#[path = "../tests/common/dynamodb.rs"]
mod dynamodb;

use std::time::Instant;

use blue_schema::migrate::{backfill, BackfillOptions};
use blue_schema::{Error, Store};
use blue_schema_examples::directory::{before, Directory, Member};

const ROLES: [&str; 3] = ["dev", "ops", "lead"];

fn old_member(i: u32) -> before::Member {
    before::Member {
        team: format!("team-{:03}", i % 100),
        email: format!("m{i:06}@example.com"),
        role: ROLES[(i % 3) as usize].to_owned(),
        name: format!("Member {i}"),
    }
}

fn main() -> Result<(), Error> {
    blue_schema::block_on(run())
}

async fn run() -> Result<(), Error> {
    let mut args = std::env::args().skip(1);
    let dir = tempfile::tempdir().expect("a temporary directory");
    let (url, segments) = match args.next().as_deref() {
        None | Some("sqlite") => (
            format!("sqlite:{}", dir.path().join("directory.db").display()),
            1,
        ),
        Some("dynamodb") => (dynamodb::example_url(Some(&dynamodb::unique_prefix())), 4),
        Some(url) => (url.to_owned(), 4),
    };
    let n: u32 = args
        .next()
        .map_or(10_000, |n| n.parse().expect("a number of members"));
    let store = Store::open(&url).await?;
    println!("Store: {url}");
    store.create_table::<Directory>().await?;

    // The old program's members, under the old key.
    let started = Instant::now();
    let old: Vec<before::Member> = (0..n).map(old_member).collect();
    for chunk in old.chunks(5000) {
        store.put_all(chunk).await?;
    }
    println!(
        "{n} members written under `{{team}} | MEMBER#{{email}}` in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    // The new program reads them by their new key already.
    let first = old_member(0);
    let key = Member::key(
        first.team.as_str(),
        first.role.as_str(),
        first.email.as_str(),
    );
    let found = store
        .get(key.clone())
        .await?
        .expect("found under the old key");
    println!("read by the new key: {} ({})", found.name, found.email);

    // A write moves the member first: one transaction, then the write.
    store
        .update(key.clone())
        .set(Member::attr().on_call, true)
        .await?;
    let team = store
        .query(Member::query(first.team.as_str()).role(first.role.as_str()))
        .all()
        .await?;
    println!(
        "after one write, a query of {} {}s finds {} member(s)",
        first.team,
        first.role,
        team.len()
    );

    // The backfill moves the rest, the application writing meanwhile.
    let options = BackfillOptions::default()
        .segments(segments)
        .page_items(500)
        .in_flight(16);
    let second = old_member(1);
    let app = async {
        let key = Member::key(
            second.team.as_str(),
            second.role.as_str(),
            second.email.as_str(),
        );
        store.update(key).set(Member::attr().on_call, true).await
    };
    let (report, written) = tokio::join!(backfill::<Directory>(&store, options, |_| {}), app);
    written?;
    let report = report?;
    let seconds = report.elapsed.as_secs_f64();
    println!(
        "backfill: {} read, {} moved, {} current, {} raced in {seconds:.2} s: {:.0} items moved/s",
        report.scanned,
        report.moved,
        report.current,
        report.raced,
        report.moved as f64 / seconds
    );

    let check = blue_schema::export::check_table::<Directory>(&store).await?;
    println!("after: {:?}, unmoved {:?}", check.shapes, check.unmoved);
    assert!(check.is_clean() && check.unmoved.is_empty(), "{check:?}");
    assert_eq!(check.shapes.get(&("Member", 2)), Some(&u64::from(n)));
    for member in [&first, &second] {
        let key = Member::key(
            member.team.as_str(),
            member.role.as_str(),
            member.email.as_str(),
        );
        let now = store.get(key).await?.expect("moved");
        assert!(now.on_call, "the application's write stands");
    }
    let leads = store
        .query(Member::query("team-002").role("lead"))
        .all()
        .await?;
    println!("team-002's leads: {}", leads.len());
    Ok(())
}
