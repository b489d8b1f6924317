//! Unique fields (`#[unique]`): a value is held by one item at most, on
//! every write path and every backend; a refused write names the field
//! and the holder and writes nothing; `check_table` finds markers without
//! their item and values without their marker.

use blue_schema::export::check_table;
use blue_schema::{Entity, Error, Store, Table, UniqueTaken};
use serde::{Deserialize, Serialize};

/// Users of organisations: an email unique across the table, and a
/// handle unique per site (a group of two fields, the second optional).
#[derive(Table, Debug, Clone, PartialEq)]
#[table(name = "blue_accounts", stream)]
pub enum Accounts {
    User(User),
    Badge(Badge),
}

/// A badge with a unique code and a version.
#[derive(Entity, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[entity(table = Accounts)]
#[sk(prefix = "BADGE")]
pub struct Badge {
    #[pk]
    pub org: String,
    #[sk]
    pub id: u32,
    #[unique]
    pub code: String,
    #[version]
    pub version: u64,
}

#[derive(Entity, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[entity(table = Accounts)]
#[sk(prefix = "USER")]
pub struct User {
    #[pk]
    pub org: String,
    #[sk]
    pub id: String,
    #[unique]
    pub email: String,
    #[unique(group = "handle")]
    pub site: String,
    #[unique(group = "handle")]
    pub handle: Option<String>,
    pub visits: u32,
}

pub fn user(id: &str, email: &str, handle: Option<&str>) -> User {
    User {
        org: "acme".into(),
        id: id.into(),
        email: email.into(),
        site: "main".into(),
        handle: handle.map(Into::into),
        visits: 0,
    }
}

/// The constraint a refused write names, and the key of the item holding
/// the value.
fn taken(result: Result<impl std::fmt::Debug, Error>) -> (&'static str, String, String) {
    match result {
        Err(Error::UniqueTaken(t)) => {
            let UniqueTaken {
                constraint, holder, ..
            } = *t;
            (constraint, holder.1, holder.0)
        }
        other => panic!("expected UniqueTaken, got {other:?}"),
    }
}

/// `check_table` finds nothing wrong: every value has its marker and
/// every marker its item.
async fn assert_clean(store: &Store) -> u64 {
    let report = check_table::<Accounts>(store).await.unwrap();
    assert_eq!(report.problems, Vec::<String>::new());
    assert_eq!((report.orphan_markers, report.missing_markers), (0, 0));
    report.markers
}

pub async fn every_write_path_keeps_values_unique(store: Store) {
    store.create_table::<Accounts>().await.unwrap();
    let ada = user("ada", "ada@x", Some("ada"));
    store.create(&ada).await.unwrap();
    assert_eq!(assert_clean(&store).await, 2);

    // create: the email is taken; nothing written.
    let bob = user("bob", "ada@x", None);
    let refused = store.create(&bob).await;
    assert_eq!(taken(refused), ("email", "USER#ada".into(), "acme".into()));
    assert_eq!(store.get(User::key("acme", "bob")).await.unwrap(), None);
    let bob = user("bob", "bob@x", None);
    store.create(&bob).await.unwrap();

    // put: taking another's value is refused and leaves the item as it was.
    let mut stolen = bob.clone();
    stolen.email = "ada@x".into();
    stolen.visits = 9;
    assert_eq!(taken(store.put(&stolen).await).0, "email");
    assert_eq!(store.get(bob.key()).await.unwrap(), Some(bob.clone()));
    // A put that keeps its values, or changes them to free ones.
    let mut ada2 = ada.clone();
    ada2.visits = 1;
    store.put(&ada2).await.unwrap();
    ada2.email = "ada2@x".into();
    store.put(&ada2).await.unwrap();
    // What it costs, the same on every backend: a consistent read of the
    // item (1 unit), then a transaction of the item and its two markers
    // (2 write units each: a transaction's writes count twice).
    let metered = store.metered();
    ada2.visits = 2;
    metered.put(&ada2).await.unwrap();
    let consumed = metered.consumed().unwrap();
    assert_eq!((consumed.read, consumed.write), (1.0, 6.0));
    // The old value is free again.
    stolen.visits = 0;
    store.put(&stolen).await.unwrap();
    assert_eq!(assert_clean(&store).await, 3);

    // A group: the same handle on another site is another value; the
    // same one on the same site is taken; no handle holds nothing.
    let mut carl = user("carl", "carl@x", Some("ada"));
    carl.site = "beta".into();
    store.create(&carl).await.unwrap();
    let dora = user("dora", "dora@x", Some("ada"));
    assert_eq!(
        taken(store.create(&dora).await),
        ("handle", "USER#ada".into(), "acme".into())
    );
    store.create(&user("dora", "dora@x", None)).await.unwrap();
    store.create(&user("eve", "eve@x", None)).await.unwrap();
    assert_eq!(assert_clean(&store).await, 7);

    // update: setting a unique field claims the new value and releases
    // the old one; a taken value is refused.
    let email = User::attr().email;
    let refused = store
        .update(User::key("acme", "dora"))
        .set(email, "ada@x")
        .await;
    assert_eq!(taken(refused).0, "email");
    let after = store
        .update(User::key("acme", "dora"))
        .set(email, "d@x")
        .set(User::attr().handle, "dee")
        .returning_new()
        .await
        .unwrap();
    assert_eq!(
        (after.email.as_str(), after.handle.as_deref()),
        ("d@x", Some("dee"))
    );
    store
        .create(&user("fay", "dora@x", Some("x")))
        .await
        .unwrap();
    // Removing an optional field of a group releases the group's value.
    store
        .update(User::key("acme", "dora"))
        .remove(User::attr().handle)
        .await
        .unwrap();
    store
        .create(&user("gus", "gus@x", Some("dee")))
        .await
        .unwrap();
    // An update that changes no unique field is a plain update.
    store
        .update(User::key("acme", "gus"))
        .add(User::attr().visits, 2)
        .await
        .unwrap();
    assert_clean(&store).await;

    // modify: the same rules.
    let refused = store
        .modify(User::key("acme", "gus"), |u: &mut User| {
            u.email = "ada2@x".into()
        })
        .await;
    assert_eq!(taken(refused).0, "email");
    let gus = store
        .modify(User::key("acme", "gus"), |u: &mut User| {
            u.email = "g@x".into()
        })
        .await
        .unwrap()
        .unwrap();
    assert_eq!((gus.email.as_str(), gus.visits), ("g@x", 2));

    // delete and delete_returning release every value.
    store.delete(User::key("acme", "gus")).await.unwrap();
    let gone = store
        .delete_returning(User::key("acme", "fay"))
        .await
        .unwrap();
    assert_eq!(gone.map(|u| u.email), Some("dora@x".to_owned()));
    store
        .create(&user("hal", "g@x", Some("dee")))
        .await
        .unwrap();
    store
        .create(&user("ivy", "dora@x", Some("x")))
        .await
        .unwrap();
    assert_clean(&store).await;
}

pub async fn transactions_keep_values_unique(store: Store) {
    store.create_table::<Accounts>().await.unwrap();
    store
        .create(&user("ada", "ada@x", Some("ada")))
        .await
        .unwrap();

    // Two items of one transaction cannot take the same value.
    let mut tx = store.transaction();
    tx.create(&user("bob", "same@x", None));
    tx.create(&user("carl", "same@x", None));
    let refused = tx.commit().await;
    assert_eq!(taken(refused).0, "email");
    assert_eq!(store.get(User::key("acme", "bob")).await.unwrap(), None);

    // A value another item holds is refused; nothing is written.
    let mut tx = store.transaction();
    tx.create(&user("bob", "bob@x", None));
    tx.put(&user("carl", "ada@x", None));
    assert_eq!(taken(tx.commit().await).0, "email");
    assert_eq!(store.get(User::key("acme", "bob")).await.unwrap(), None);

    // Puts, updates and deletes in one transaction: ada gives up her
    // email, which bob takes in the same commit.
    let mut tx = store.transaction();
    tx.update(blue_schema::Update::new(User::key("acme", "ada")).set(User::attr().email, "ada2@x"));
    tx.create(&user("bob", "ada@x", None));
    tx.create(&user("carl", "carl@x", Some("c")));
    tx.commit().await.unwrap();
    assert_clean(&store).await;

    let mut tx = store.transaction();
    tx.delete(User::key("acme", "carl"));
    tx.create(&user("dora", "carl@x", Some("c")));
    tx.commit().await.unwrap();
    assert_eq!(assert_clean(&store).await, 5);

    // The caller's indexes and reasons stay the caller's.
    let mut tx = store.transaction();
    tx.create(&user("eve", "eve@x", None));
    let second = tx.create(&user("dora", "other@x", None));
    match tx.commit().await {
        Err(Error::TransactionCanceled(c)) => {
            assert_eq!(c.reasons.len(), 2);
            assert!(matches!(
                c.reasons[second],
                blue_schema::write::CancelReason::AlreadyExists
            ));
        }
        other => panic!("expected the create to fail, got {other:?}"),
    }
    assert_clean(&store).await;

    // rekey moves the item with its values.
    let dora = user("dora", "carl@x", Some("c"));
    let mut moved = dora.clone();
    moved.id = "dora2".into();
    store.rekey(dora.key(), &moved).await.unwrap();
    assert_eq!(assert_clean(&store).await, 5);
    assert_eq!(
        taken(store.create(&user("zed", "carl@x", None)).await),
        ("email", "USER#dora2".into(), "acme".into())
    );
}

/// The program before the constraint: the same items, without markers.
pub mod older {
    use blue_schema::{Entity, Table};
    use serde::{Deserialize, Serialize};

    #[derive(Table, Debug, Clone, PartialEq)]
    #[table(name = "blue_accounts", stream)]
    pub enum Accounts {
        User(User),
    }

    #[derive(Entity, Serialize, Deserialize, Debug, Clone, PartialEq)]
    #[entity(table = Accounts)]
    #[sk(prefix = "USER")]
    pub struct User {
        #[pk]
        pub org: String,
        #[sk]
        pub id: String,
        pub email: String,
        pub site: String,
        pub handle: Option<String>,
        pub visits: u32,
    }
}

fn older(u: &User) -> older::User {
    older::User {
        org: u.org.clone(),
        id: u.id.clone(),
        email: u.email.clone(),
        site: u.site.clone(),
        handle: u.handle.clone(),
        visits: u.visits,
    }
}

/// An item written by a program without the constraint has no marker; one
/// it deletes leaves its markers behind. `check_table` reports both, and
/// writing the item again claims its values.
pub async fn the_check_finds_orphans_and_missing_markers(store: Store) {
    store.create_table::<Accounts>().await.unwrap();
    let ada = user("ada", "ada@x", Some("a"));
    store.create(&ada).await.unwrap();
    let bob = user("bob", "bob@x", None);
    store.put(&older(&bob)).await.unwrap();
    store.delete(User::key("acme", "ada")).await.unwrap();
    store.put(&older(&ada)).await.unwrap();
    store.delete(older::User::key("acme", "ada")).await.unwrap();
    // ada's two markers are orphans (she was deleted without them); bob
    // holds a value without a marker.
    store.create(&ada).await.unwrap();
    store.delete(older::User::key("acme", "ada")).await.unwrap();
    let report = check_table::<Accounts>(&store).await.unwrap();
    assert_eq!(
        (
            report.markers,
            report.orphan_markers,
            report.missing_markers
        ),
        (2, 2, 1),
        "{:#?}",
        report.problems
    );
    assert_eq!(report.problems.len(), 3);
    assert!(
        report
            .problems
            .iter()
            .any(|p| p.contains("User.email = \"bob@x\"") && p.contains("has no marker")),
        "{:#?}",
        report.problems
    );
    // An orphan keeps its value taken...
    assert_eq!(
        taken(store.create(&user("carl", "ada@x", None)).await),
        ("email", "USER#ada".into(), "acme".into())
    );
    // ...until the item it names is written again and deleted.
    store.put(&ada).await.unwrap();
    store.delete(ada.key()).await.unwrap();
    // Writing bob again claims his value.
    store.put(&bob).await.unwrap();
    assert_eq!(assert_clean(&store).await, 1);
}

/// Sixteen tasks race to claim four values (each creating its own user),
/// then to move their users onto the values of others: exactly one holds
/// each value at every point, every loser gets `UniqueTaken`, and the
/// check finds every marker with its item.
pub async fn racing_writers_claim_each_value_once(store: Store) {
    store.create_table::<Accounts>().await.unwrap();
    let email = |n: usize| format!("v{}@x", n % 4);
    let tasks: Vec<_> = (0..16)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move {
                let u = user(&format!("u{i:02}"), &email(i), None);
                match store.create(&u).await {
                    Ok(()) => Some(i),
                    Err(Error::UniqueTaken(t)) => {
                        assert_eq!(t.constraint, "email");
                        None
                    }
                    Err(e) => panic!("{e}"),
                }
            })
        })
        .collect();
    let mut winners = Vec::new();
    for task in tasks {
        winners.extend(task.await.unwrap());
    }
    let mut won: Vec<String> = winners.iter().map(|&i| email(i)).collect();
    won.sort();
    assert_eq!(
        won,
        ["v0@x", "v1@x", "v2@x", "v3@x"],
        "one winner per value"
    );
    assert_eq!(assert_clean(&store).await, 4);

    // The winners race to take each other's values and fresh ones.
    let moves: Vec<_> = winners
        .iter()
        .enumerate()
        .flat_map(|(k, &i)| (0..4).map(move |round| (k, i, round)))
        .map(|(k, i, round)| {
            let store = store.clone();
            tokio::spawn(async move {
                let target = format!("w{}@x", (k + round) % 3);
                let key = User::key("acme", format!("u{i:02}"));
                let set = User::attr().email;
                match store.update(key).set(set, target.as_str()).await {
                    Ok(()) | Err(Error::UniqueTaken(_)) => {}
                    Err(e) => panic!("{e}"),
                }
            })
        })
        .collect();
    for task in moves {
        task.await.unwrap();
    }
    let users = store.query(User::query("acme")).all().await.unwrap();
    let mut emails: Vec<String> = users.iter().map(|u| u.email.clone()).collect();
    let all = emails.len();
    emails.sort();
    emails.dedup();
    assert_eq!(
        (all, emails.len()),
        (4, 4),
        "no value held twice: {emails:?}"
    );
    assert_eq!(assert_clean(&store).await, 4);
}

/// The change feed carries the users' changes, never their markers: each
/// write one record, as for an entity without unique fields.
pub async fn the_feed_carries_items_not_markers(store: Store) {
    use blue_schema::feed::{ChangeKind, Start};
    store.create_table::<Accounts>().await.unwrap();
    let mut feed = store.changes::<Accounts>(Start::Latest).await.unwrap();
    let ada = user("ada", "ada@x", Some("a"));
    store.create(&ada).await.unwrap();
    store
        .update(ada.key())
        .set(User::attr().email, "ada2@x")
        .await
        .unwrap();
    let _ = store.create(&user("bob", "ada2@x", None)).await;
    store.delete(ada.key()).await.unwrap();
    let mut seen = Vec::new();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while seen.len() < 3 && std::time::Instant::now() < deadline {
        let batch = feed.next_batch().await.unwrap();
        if batch.is_empty() {
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        seen.extend(batch);
    }
    seen.extend(feed.next_batch().await.unwrap());
    let kinds: Vec<(ChangeKind, &str)> =
        seen.iter().map(|c| (c.kind, c.sort_key.as_str())).collect();
    assert_eq!(
        kinds,
        [
            (ChangeKind::Insert, "USER#ada"),
            (ChangeKind::Modify, "USER#ada"),
            (ChangeKind::Remove, "USER#ada"),
        ]
    );
}

/// Versions, updates that create, and tokens with unique values: a stale
/// version is a version conflict (its value untouched); an update that
/// creates claims the values it sets; a transaction committed again under
/// its token sends the same request and applies once.
pub async fn versions_creating_updates_and_tokens_keep_values_unique(store: Store) {
    store.create_table::<Accounts>().await.unwrap();
    let mut badge = Badge {
        org: "acme".into(),
        id: 1,
        code: "gold".into(),
        version: 0,
    };
    store.create(&badge).await.unwrap();
    badge.version = 1;
    badge.code = "silver".into();
    store.put(&badge).await.unwrap();
    let stale = Badge {
        code: "bronze".into(),
        ..badge.clone()
    };
    assert!(matches!(
        store.put(&stale).await,
        Err(Error::VersionConflict(_))
    ));
    let other = Badge {
        id: 2,
        code: "silver".into(),
        version: 0,
        ..badge.clone()
    };
    assert_eq!(
        taken(store.create(&other).await),
        ("code", "BADGE#0000000001".into(), "acme".into())
    );
    store
        .create(&Badge {
            code: "gold".into(),
            ..other
        })
        .await
        .unwrap();

    // An update that creates the item claims what it sets.
    let a = User::attr();
    store
        .update(User::key("acme", "new"))
        .set(a.email, "new@x")
        .set(a.site, "main")
        .set(a.visits, 1u32)
        .or_create()
        .await
        .unwrap();
    assert_eq!(
        taken(store.create(&user("copy", "new@x", None)).await),
        ("email", "USER#new".into(), "acme".into())
    );

    // A token: the second commit is the first one's request, applied once.
    let mut tx = store.transaction();
    tx.create(&user("tok", "tok@x", Some("t")));
    tx.token("unique-token-1");
    tx.commit().await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        store.get(User::key("acme", "tok")).await.unwrap(),
        Some(user("tok", "tok@x", Some("t")))
    );
    assert_eq!(assert_clean(&store).await, 5);
}
