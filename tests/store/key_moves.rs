//! Key moves (`blue_schema::schema::key_move`): one team directory as two
//! versions of a program see it. `before` keys a member by team and email
//! (`{team} | MEMBER#{email}`); `after` moves the partition under a prefix
//! and the role into the sort key (`TEAM#{team} | MBR#{role}#{email}`),
//! declaring the old key on the frozen shape 1. Each version is its own
//! table enum over the same table, as two binaries of one service would be.

use blue_schema::feed::{ChangeKind, Origin, Start};
use blue_schema::migrate::{backfill, BackfillOptions};
use blue_schema::{Entity, Error, Shape, Store, Table};
use serde::{Deserialize, Serialize};

/// The program before the move.
pub mod before {
    use super::*;

    #[derive(Table, Debug)]
    #[table(name = "blue_directory", indexes(gsi1), stream)]
    pub enum Directory {
        Member(Member),
        Badge(Badge),
    }

    /// A versioned item whose key moves too.
    #[derive(Entity, Serialize, Deserialize, Debug, Clone, PartialEq)]
    #[entity(table = Directory)]
    #[sk(prefix = "BADGE")]
    pub struct Badge {
        #[pk]
        pub team: String,
        #[sk]
        pub serial: u32,
        pub holder: String,
        #[version]
        pub version: u64,
    }

    #[derive(Entity, Serialize, Deserialize, Debug, Clone, PartialEq)]
    #[entity(table = Directory)]
    #[sk(prefix = "MEMBER")]
    #[index(gsi1, name = by_name, pk(prefix = "NAME", fields(name)))]
    pub struct Member {
        #[pk]
        pub team: String,
        #[sk]
        pub email: String,
        pub role: String,
        pub name: String,
        pub note: String,
    }

    pub fn member(team: &str, email: &str, role: &str) -> Member {
        Member {
            team: team.into(),
            email: email.into(),
            role: role.into(),
            name: format!("{email} of {team}"),
            note: String::new(),
        }
    }
}

/// The program after the move: shape 2, a new key.
pub mod after {
    use super::*;

    #[derive(Table, Debug, PartialEq)]
    #[table(name = "blue_directory", indexes(gsi1), stream)]
    pub enum Directory {
        Member(Member),
        Badge(Badge),
    }

    #[derive(Shape, Deserialize, Debug)]
    #[shape(of = Badge, number = 1)]
    #[sk(prefix = "BADGE")]
    pub struct BadgeV1 {
        #[pk]
        pub team: String,
        #[sk]
        pub serial: u32,
        pub holder: String,
        pub version: u64,
    }

    /// The badge under `TEAM#{team} | BDG#{serial}`, versioned.
    #[derive(Entity, Serialize, Deserialize, Debug, Clone, PartialEq)]
    #[entity(table = Directory, shape = 2, from = BadgeV1, pk_prefix = "TEAM")]
    #[sk(prefix = "BDG")]
    pub struct Badge {
        #[pk]
        pub team: String,
        #[sk]
        pub serial: u32,
        pub holder: String,
        #[version]
        pub version: u64,
    }

    impl From<BadgeV1> for Badge {
        fn from(v1: BadgeV1) -> Self {
            Badge {
                team: v1.team,
                serial: v1.serial,
                holder: v1.holder,
                version: v1.version,
            }
        }
    }

    /// Shape 1, frozen with the key its items were written under.
    #[derive(Shape, Deserialize, Debug)]
    #[shape(of = Member, number = 1)]
    #[sk(prefix = "MEMBER")]
    pub struct MemberV1 {
        #[pk]
        pub team: String,
        #[sk]
        pub email: String,
        pub role: String,
        pub name: String,
        pub note: String,
    }

    #[derive(Entity, Serialize, Deserialize, Debug, Clone, PartialEq)]
    #[entity(table = Directory, shape = 2, from = MemberV1, pk_prefix = "TEAM")]
    #[sk(prefix = "MBR")]
    #[index(gsi1, name = by_name, pk(prefix = "NAME", fields(name)))]
    pub struct Member {
        #[pk]
        pub team: String,
        #[sk]
        pub role: String,
        #[sk]
        pub email: String,
        pub name: String,
        pub note: String,
        #[serde(default)]
        pub visits: u64,
    }

    impl From<MemberV1> for Member {
        fn from(v1: MemberV1) -> Self {
            Member {
                team: v1.team,
                role: v1.role,
                email: v1.email,
                name: v1.name,
                note: v1.note,
                visits: 0,
            }
        }
    }

    /// What `before::member(..)` reads as now.
    pub fn member(team: &str, email: &str, role: &str) -> Member {
        before::member(team, email, role).into_after()
    }
}

impl before::Member {
    fn into_after(self) -> after::Member {
        after::Member {
            team: self.team,
            role: self.role,
            email: self.email,
            name: self.name,
            note: self.note,
            visits: 0,
        }
    }
}

use after::{Directory, Member};

async fn setup(store: &Store, members: &[(&str, &str, &str)]) -> Vec<Member> {
    store.create_table::<Directory>().await.unwrap();
    for (team, email, role) in members {
        store.put(&before::member(team, email, role)).await.unwrap();
    }
    members
        .iter()
        .map(|(t, e, r)| after::member(t, e, r))
        .collect()
}

/// The sort keys stored under the old partition key `team`.
async fn sort_keys(store: &Store, team: &str) -> Vec<String> {
    store
        .query(before::Directory::partition(team))
        .raw()
        .await
        .unwrap()
        .into_iter()
        .map(|i| i.sort_key)
        .collect()
}

/// `get`, `get_record`, `get_many` and `transact_get` of a new key find an
/// item still under its old key; queries, which read the new layout, do
/// not until it moves.
pub async fn reads_by_key_fall_back_to_the_old_key(store: Store) {
    let old = setup(&store, &[("red", "ada@x", "lead"), ("red", "bo#b%", "dev")]).await;
    let new = after::member("red", "cy@x", "dev");
    store.put(&new).await.unwrap();

    for member in &old {
        assert_eq!(
            store.get(member.key()).await.unwrap().as_ref(),
            Some(member)
        );
        let record = store.get_record(member.key()).await.unwrap().unwrap();
        assert_eq!(&record.value, member);
    }
    let missing = Member::key("red", "dev", "nobody");
    let keys = vec![old[0].key(), new.key(), missing.clone(), old[1].key()];
    let expected = vec![
        Some(old[0].clone()),
        Some(new.clone()),
        None,
        Some(old[1].clone()),
    ];
    assert_eq!(store.get_many(keys.clone()).await.unwrap(), expected);
    assert_eq!(store.transact_get(keys).await.unwrap(), expected);
    // Several new keys share an old one (the role moved into the key): a
    // key whose role is not the stored item's finds nothing there.
    let other_role = Member::key("red", "ops", "ada@x");
    assert_eq!(store.get(other_role.clone()).await.unwrap(), None);
    let both = vec![other_role.clone(), old[0].key()];
    let expected_both = vec![None, Some(old[0].clone())];
    assert_eq!(store.get_many(both.clone()).await.unwrap(), expected_both);
    assert_eq!(store.transact_get(both).await.unwrap(), expected_both);
    // Nothing moved: reads write nothing.
    assert_eq!(
        sort_keys(&store, "red").await,
        ["MEMBER#ada@x", "MEMBER#bo%23b%25"]
    );
    // A write of that other key leaves the old item where it is.
    let ops = after::member("red", "ada@x", "ops");
    store.create(&ops).await.unwrap();
    assert_eq!(store.get(other_role).await.unwrap(), Some(ops));
    assert_eq!(
        store.get(old[0].key()).await.unwrap().as_ref(),
        Some(&old[0])
    );
    assert_eq!(
        sort_keys(&store, "red").await,
        ["MEMBER#ada@x", "MEMBER#bo%23b%25"]
    );
    // A query reads the new layout only.
    assert_eq!(
        store
            .query(Member::query("red").role("dev"))
            .all()
            .await
            .unwrap(),
        std::slice::from_ref(&new)
    );
    // While moving, a transaction reads each key under both keys.
    let too_many: Vec<_> = (0..51)
        .map(|i| Member::key("red", "dev", format!("m{i}")))
        .collect();
    match store.transact_get(too_many).await {
        Err(Error::InvalidTransaction { message }) => {
            assert!(message.contains("moving"), "{message}")
        }
        other => panic!("expected InvalidTransaction, got {other:?}"),
    }
}

/// Every write by key moves the item first, in one transaction, keeping
/// its creation time; the write then applies to the moved item, so a
/// condition sees the item's values, a create finds it, a delete removes
/// it for good.
pub async fn writes_move_the_item_first(store: Store) {
    let members = [
        ("red", "a@x", "dev"),
        ("red", "b@x", "dev"),
        ("red", "c@x", "dev"),
        ("red", "d@x", "dev"),
        ("red", "e@x", "dev"),
        ("red", "f@x", "dev"),
        ("red", "g@x", "dev"),
    ];
    let old = setup(&store, &members).await;
    let created: Vec<String> = {
        let mut out = Vec::new();
        for m in &members {
            let key = before::Member::key(m.0, m.1);
            out.push(store.get_record(key).await.unwrap().unwrap().created_at);
        }
        out
    };
    let m = Member::attr();

    // An update: moved, then updated.
    let updated = store
        .update(old[0].key())
        .set(m.note, "Ada".to_owned())
        .returning_new()
        .await
        .unwrap();
    assert_eq!(updated.note, "Ada");
    // A conditional put: the condition sees the old item's values.
    let mut b = old[1].clone();
    b.note = "Bo".into();
    match store
        .put(&b)
        .when(m.name.eq("not the name".to_owned()))
        .await
    {
        Err(Error::ConditionFailed(_)) => {}
        other => panic!("expected ConditionFailed, got {other:?}"),
    }
    store
        .put(&b)
        .when(m.name.eq(old[1].name.clone()))
        .await
        .unwrap();
    // A create finds the item it would duplicate.
    match store.create(&old[2]).await {
        Err(Error::AlreadyExists { .. }) => {}
        other => panic!("expected AlreadyExists, got {other:?}"),
    }
    // A delete removes it, and reads no longer fall back to it.
    store.delete(old[3].key()).await.unwrap();
    assert_eq!(store.get(old[3].key()).await.unwrap(), None);
    // A modify and a transaction.
    let modified = store
        .modify(old[4].key(), |x: &mut Member| x.note.push('!'))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(modified.note, "!");
    let mut tx = store.transaction();
    tx.update(blue_schema::Update::new(old[5].key()).set(m.note, "Fay".to_owned()));
    tx.commit().await.unwrap();
    // A plain put.
    store.put(&old[6]).await.unwrap();

    // Every touched item is under its new key only, created when it was.
    assert_eq!(
        sort_keys(&store, "red").await,
        Vec::<String>::new(),
        "nothing left under the old keys"
    );
    let now: Vec<Member> = store.query(Member::query("red")).all().await.unwrap();
    let notes: Vec<(&str, &str)> = now
        .iter()
        .map(|x| (x.email.as_str(), x.note.as_str()))
        .collect();
    assert_eq!(
        notes,
        [
            ("a@x", "Ada"),
            ("b@x", "Bo"),
            ("c@x", ""),
            ("e@x", "!"),
            ("f@x", "Fay"),
            ("g@x", "")
        ]
    );
    for (i, member) in old.iter().enumerate().filter(|(i, _)| *i != 3) {
        let record = store.get_record(member.key()).await.unwrap().unwrap();
        assert_eq!(record.created_at, created[i], "{}", member.email);
    }
    // The index holds each item once, under its new key.
    let by_name = crate::support::eventually(|| async {
        let found = store
            .query(Member::by_name(old[0].name.clone()))
            .all()
            .await
            .unwrap();
        (!found.is_empty()).then_some(found)
    })
    .await;
    assert_eq!(by_name, Some(vec![updated]));
    // The older program no longer finds the moved items.
    assert_eq!(
        store.get(before::Member::key("red", "a@x")).await.unwrap(),
        None
    );
}

/// A backfill moves every item still under the old key, conditioned on
/// the item as read; the feed shows each move as an insert marked as a
/// migration's and a removal; what the application wrote meanwhile stays.
pub async fn a_backfill_moves_every_old_item(store: Store) {
    let members: Vec<(String, String, String)> = (0..23)
        .map(|i| {
            (
                format!("t{}", i % 3),
                format!("m{i:02}@x"),
                if i % 2 == 0 { "dev" } else { "ops" }.to_owned(),
            )
        })
        .collect();
    let refs: Vec<(&str, &str, &str)> = members
        .iter()
        .map(|(t, e, r)| (t.as_str(), e.as_str(), r.as_str()))
        .collect();
    let old = setup(&store, &refs).await;
    let mut feed = store.changes::<Directory>(Start::Latest).await.unwrap();
    let checked = blue_schema::export::check_table::<Directory>(&store)
        .await
        .unwrap();
    assert!(checked.is_clean(), "{checked:?}");
    assert_eq!(
        checked.unmoved.into_iter().collect::<Vec<_>>(),
        [("Member", 23)]
    );
    // The application moves one by writing it, and writes a new one.
    store
        .update(old[0].key())
        .set(Member::attr().note, "first".to_owned())
        .await
        .unwrap();
    let fresh = after::member("t0", "new@x", "dev");
    store.put(&fresh).await.unwrap();

    let options = BackfillOptions::default().segments(2).page_items(4);
    let report = backfill::<Directory>(&store, options, |_| {})
        .await
        .unwrap();
    assert_eq!(report.moved, 22, "{report:?}");
    assert_eq!(report.remaining(), 0, "{report:?}");
    for team in ["t0", "t1", "t2"] {
        assert!(sort_keys(&store, team).await.is_empty(), "{team}");
    }
    let mut expected = old.clone();
    expected[0].note = "first".into();
    expected.push(fresh);
    let mut all = Vec::new();
    for team in ["t0", "t1", "t2"] {
        all.extend(store.query(Member::query(team)).all().await.unwrap());
    }
    all.sort_by(|a, b| a.email.cmp(&b.email));
    expected.sort_by(|a, b| a.email.cmp(&b.email));
    assert_eq!(all, expected);

    // A second run finds nothing to move.
    let again = backfill::<Directory>(&store, BackfillOptions::default(), |_| {})
        .await
        .unwrap();
    assert_eq!((again.moved, again.scanned), (0, 24), "{again:?}");
    let checked = blue_schema::export::check_table::<Directory>(&store)
        .await
        .unwrap();
    assert!(
        checked.is_clean() && checked.unmoved.is_empty(),
        "{checked:?}"
    );
    assert_eq!(
        checked.shapes.into_iter().collect::<Vec<_>>(),
        [(("Member", 2), 24)]
    );

    // The feed: the application's move, update and put, then 22 moves of
    // two records each.
    let mut changes = Vec::new();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while changes.len() < 2 + 46 && std::time::Instant::now() < deadline {
        changes.extend(feed.next_batch().await.unwrap());
    }
    let inserts = changes
        .iter()
        .filter(|c| (c.kind, c.origin) == (ChangeKind::Insert, Origin::Migration))
        .count();
    let removes = changes
        .iter()
        .filter(|c| c.kind == ChangeKind::Remove && c.sort_key.starts_with("MEMBER#"))
        .count();
    // The removal's old image reads as the entity, as a moved insert's new
    // one does.
    for change in &changes {
        match change.kind {
            ChangeKind::Remove => {
                let Some(Directory::Member(gone)) = &change.old else {
                    panic!("{change:?}")
                };
                let Some(moved) = store.get(gone.key()).await.unwrap() else {
                    panic!("{gone:?} was moved");
                };
                assert_eq!(moved.email, gone.email);
            }
            ChangeKind::Insert => assert!(change.new.is_some(), "{change:?}"),
            _ => {}
        }
    }
    // 23 moves (the application's update moved one), each an insert of the
    // item under its new key and a removal of the old one.
    assert_eq!((inserts, removes), (23, 23), "{changes:#?}");
}

/// Writers racing on one item still under its old key: each write moves
/// it or finds it moved, and every write counts: one item, all visits.
pub async fn concurrent_writers_move_an_item_once(store: Store) {
    let old = setup(&store, &[("blue", "z@x", "dev")]).await;
    let key = old[0].key();
    let writers = (0..8).map(|_| {
        let store = store.clone();
        let key = key.clone();
        tokio::spawn(async move {
            store
                .update(key)
                .add(Member::attr().visits, 1)
                .await
                .unwrap();
        })
    });
    for writer in writers.collect::<Vec<_>>() {
        writer.await.unwrap();
    }
    let now = store.get(key.clone()).await.unwrap().unwrap();
    assert_eq!(now.visits, 8);
    assert!(sort_keys(&store, "blue").await.is_empty());
    assert_eq!(
        store.query(Member::query("blue")).all().await.unwrap(),
        [now]
    );
    // The generated docs say the key is moving, and from where.
    let docs = blue_schema::docs::markdown(&Directory::SCHEMA);
    assert!(
        docs.contains(
            "The key moved from `{team} | MEMBER#{email}` to `TEAM#{team} | MBR#{role}#{email}`"
        ),
        "{docs}"
    );
}

/// An older program that writes an item after it moved writes it under
/// the old key again: the new program keeps reading and writing its copy
/// under the new key, and the backfill and `check` report the later old
/// copy instead of deleting it; an old copy written before the new one is
/// superseded and goes.
pub async fn an_old_copy_written_after_the_move_is_reported(store: Store) {
    use blue_schema::migrate::{backfill, BackfillOptions};
    let old = setup(
        &store,
        &[("gold", "late@x", "dev"), ("gold", "early@x", "dev")],
    )
    .await;
    let m = Member::attr();
    // `late` moves; then the older program writes it again.
    store
        .update(old[0].key())
        .set(m.note, "new".to_owned())
        .await
        .unwrap();
    // Write times have millisecond resolution: the older program's write
    // must be later than the move, as it would be in a real deploy.
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let mut late = before::member("gold", "late@x", "dev");
    late.note = "old program".into();
    store.put(&late).await.unwrap();
    // `early`: the new program loads a copy under the new key (a batch,
    // which does not move), so its old copy is the earlier one.
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let mut early = old[1].clone();
    early.note = "loaded".into();
    store.put_all(std::slice::from_ref(&early)).await.unwrap();

    let read = store.get(old[0].key()).await.unwrap().unwrap();
    assert_eq!(read.note, "new", "the new key's copy is read");
    let report = backfill::<Directory>(&store, BackfillOptions::default(), |_| {})
        .await
        .unwrap();
    assert_eq!((report.diverged, report.moved), (1, 1), "{report:?}");
    assert_eq!(
        sort_keys(&store, "gold").await,
        ["MEMBER#late@x"],
        "the later old copy stays, the earlier one went"
    );
    let checked = blue_schema::export::check_table::<Directory>(&store)
        .await
        .unwrap();
    assert_eq!(
        checked.unmoved.into_iter().collect::<Vec<_>>(),
        [("Member", 1)]
    );
    // A write of the key leaves it too, and goes to the new copy.
    store.update(old[0].key()).add(m.visits, 1).await.unwrap();
    assert_eq!(sort_keys(&store, "gold").await, ["MEMBER#late@x"]);
    // The application merges, then deletes the old copy: the move is done.
    let stale = store
        .get(before::Member::key("gold", "late@x"))
        .await
        .unwrap()
        .unwrap();
    store
        .update(old[0].key())
        .set(m.note, format!("new + {}", stale.note))
        .await
        .unwrap();
    store
        .delete(before::Member::key("gold", "late@x"))
        .await
        .unwrap();
    let checked = blue_schema::export::check_table::<Directory>(&store)
        .await
        .unwrap();
    assert!(checked.unmoved.is_empty(), "{checked:?}");
    let merged = store.get(old[0].key()).await.unwrap().unwrap();
    assert_eq!(
        (merged.visits, merged.note.as_str()),
        (1, "new + old program")
    );
    assert_eq!(store.get(old[1].key()).await.unwrap(), Some(early));
}

/// A backfill of moves dropped after its first checkpoint and resumed from
/// it while the application writes half the members (which moves them):
/// at the end every member is under its new key once, none under its old
/// one, and every application write stands.
pub async fn an_interrupted_move_resumes_and_keeps_concurrent_writes(store: Store) {
    use blue_schema::migrate::{backfill, BackfillCheckpoint, BackfillOptions};
    let members: Vec<(String, String, String)> = (0..40)
        .map(|i| {
            (
                format!("r{}", i % 2),
                format!("m{i:02}@x"),
                "dev".to_owned(),
            )
        })
        .collect();
    let refs: Vec<(&str, &str, &str)> = members
        .iter()
        .map(|(t, e, r)| (t.as_str(), e.as_str(), r.as_str()))
        .collect();
    let old = setup(&store, &refs).await;
    let options = BackfillOptions::default()
        .segments(3)
        .page_items(4)
        .in_flight(2);
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let first = backfill::<Directory>(&store, options.clone(), move |p| {
        let _ = tx.send(p.checkpoint.to_string());
    });
    let checkpoint = tokio::select! {
        done = first => panic!("a backfill of 40 items in pages of 4 took one round: {done:?}"),
        saved = rx.recv() => saved.expect("a checkpoint"),
    };
    let checkpoint: BackfillCheckpoint = checkpoint.parse().unwrap();
    assert!(!checkpoint.is_done());

    let resumed = backfill::<Directory>(&store, options.resume(Some(checkpoint)), |_| {});
    let app = async {
        for member in old.iter().step_by(2) {
            store
                .update(member.key())
                .set(Member::attr().note, "app".to_owned())
                .await
                .unwrap();
            tokio::task::yield_now().await;
        }
    };
    let (report, ()) = tokio::join!(resumed, app);
    let report = report.unwrap();
    assert_eq!(report.diverged, 0, "{report:?}");
    // Whatever the first run and the race left, a last run finishes.
    backfill::<Directory>(&store, BackfillOptions::default(), |_| {})
        .await
        .unwrap();

    let checked = blue_schema::export::check_table::<Directory>(&store)
        .await
        .unwrap();
    assert!(
        checked.is_clean() && checked.unmoved.is_empty(),
        "{checked:?}"
    );
    let mut all = Vec::new();
    for team in ["r0", "r1"] {
        assert!(sort_keys(&store, team).await.is_empty(), "{team}");
        all.extend(store.query(Member::query(team)).all().await.unwrap());
    }
    all.sort_by(|a, b| a.email.cmp(&b.email));
    assert_eq!(all.len(), 40, "none lost, none duplicated");
    for (i, member) in all.iter().enumerate() {
        let expected = if i % 2 == 0 { "app" } else { "" };
        assert_eq!(member.note, expected, "{member:?}");
    }
}

/// A `#[version]` item keeps its version when it moves: a versioned write
/// that read the item through the old key applies (and increments it), a
/// stale one is refused, a versioned delete checks the version it read.
pub async fn a_versioned_item_keeps_its_version_when_it_moves(store: Store) {
    use after::Badge;
    store.create_table::<Directory>().await.unwrap();
    let mut old = before::Badge {
        team: "jade".into(),
        serial: 7,
        holder: "ada".into(),
        version: 0,
    };
    store.create(&old).await.unwrap(); // version 1
    old.version = 1;
    old.holder = "bo".into();
    store.put(&old).await.unwrap(); // version 2
    let second = before::Badge {
        team: "jade".into(),
        serial: 8,
        holder: "cy".into(),
        version: 0,
    };
    store.create(&second).await.unwrap();

    let mut read = store.get(Badge::key("jade", 7u32)).await.unwrap().unwrap();
    assert_eq!((read.holder.as_str(), read.version), ("bo", 2));
    let stale = read.clone();
    read.holder = "dee".into();
    store.put(&read).await.unwrap(); // moves at version 2, then writes 3
    let now = store.get(Badge::key("jade", 7u32)).await.unwrap().unwrap();
    assert_eq!((now.holder.as_str(), now.version), ("dee", 3));
    match store.put(&stale).await {
        Err(Error::VersionConflict(c)) => {
            assert_eq!((c.expected_version, c.found_version), (Some(2), Some(3)));
        }
        other => panic!("expected VersionConflict, got {other:?}"),
    }
    // A versioned delete of the other badge, at the version read through
    // the old key: a wrong one is refused after the move, the right one
    // deletes.
    match store
        .delete(Badge::key("jade", 8u32))
        .expect_version(5)
        .await
    {
        Err(Error::VersionConflict(_)) => {}
        other => panic!("expected VersionConflict, got {other:?}"),
    }
    store
        .delete(Badge::key("jade", 8u32))
        .expect_version(1)
        .await
        .unwrap();
    assert_eq!(store.get(Badge::key("jade", 8u32)).await.unwrap(), None);
    assert!(sort_keys(&store, "jade").await.is_empty());
}
