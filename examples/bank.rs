//! The write side on embedded SQLite: conditional writes, typed updates,
//! `#[version]` optimistic locking, read-modify-write, transactions and
//! `#[set]` fields. The same code runs on DynamoDB.
//!
//! ```text
//! cargo run --example bank                  # database under target/debug/examples/
//! cargo run --example bank -- /tmp/bank.db  # or a file of your choice
//! ```

use std::collections::BTreeSet;

use blue_schema::write::CancelReason;
use blue_schema::{block_on, Entity, Error, Store, Table, Update};
use blue_schema_examples::show::database_path;
use serde::{Deserialize, Serialize};

/// The table; this example reads items by their entity types only.
#[derive(Table)]
#[table(name = "blue_bank_example")]
#[allow(dead_code)]
enum Bank {
    Account(Account),
    Profile(Profile),
}

/// An account: its balance must never go below zero.
#[derive(Entity, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[entity(table = Bank)]
#[sk(prefix = "ACCOUNT")]
struct Account {
    #[pk]
    bank: String,
    #[sk]
    id: String,
    owner: String,
    balance: i64,
    frozen: Option<String>,
}

/// A customer profile, changed by read-modify-write under a version.
#[derive(Entity, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[entity(table = Bank)]
#[sk(prefix = "PROFILE")]
struct Profile {
    #[pk]
    bank: String,
    #[sk]
    owner: String,
    email: String,
    #[set]
    #[serde(default)]
    flags: BTreeSet<String>,
    #[version]
    version: u64,
}

fn account(id: &str, owner: &str, balance: i64) -> Account {
    Account {
        bank: "b1".into(),
        id: id.into(),
        owner: owner.into(),
        balance,
        frozen: None,
    }
}

fn main() -> Result<(), Error> {
    block_on(run())
}

async fn run() -> Result<(), Error> {
    let path = database_path("bank");
    let store = Store::open(&format!("sqlite://{}", path.display())).await?;
    store.create_table::<Bank>().await?;
    println!("Store: sqlite://{}", path.display());
    let a = Account::attr();

    // Accounts start once: `create` refuses a second one with the same key,
    // and a put conditioned on the stored balance resets them between runs.
    for (id, owner) in [("alice-1", "alice"), ("bob-1", "bob")] {
        match store.create(&account(id, owner, 100)).await {
            Ok(()) => println!("created {id} with 100"),
            Err(Error::AlreadyExists { .. }) => {
                store
                    .put(&account(id, owner, 100))
                    .when(a.owner.eq(owner))
                    .await?;
                println!("{id} existed; reset to 100");
            }
            Err(e) => return Err(e),
        }
    }

    // A transfer: both updates or neither, the debit only if it is covered.
    let transfer = |from: &'static str, to: &'static str, amount: i64| {
        let mut tx = store.transaction();
        tx.update(
            Update::new(Account::key("b1", from))
                .subtract(a.balance, amount)
                .when(a.balance.ge(amount) & a.frozen.not_exists()),
        );
        tx.update(Update::new(Account::key("b1", to)).add(a.balance, amount));
        tx
    };
    transfer("alice-1", "bob-1", 70).commit().await?;
    println!("alice-1 → bob-1: 70");
    match transfer("alice-1", "bob-1", 70).commit().await {
        Err(Error::TransactionCanceled(canceled)) => {
            for (i, reason) in canceled.failures() {
                if let CancelReason::ConditionFailed(c) = reason {
                    let balance = c.current::<Account>().map(|acc| acc.balance);
                    println!("refused: action {i}'s condition failed; the balance is {balance:?}");
                }
            }
        }
        other => other?,
    }

    // An update without reading first, returning the item it wrote.
    let bob = store
        .update(Account::key("b1", "bob-1"))
        .set(a.frozen, "fraud check")
        .returning_new()
        .await?;
    println!("bob-1 frozen: {:?} (balance {})", bob.frozen, bob.balance);
    let refused = transfer("bob-1", "alice-1", 10).commit().await;
    println!(
        "a transfer from a frozen account is refused: {}",
        refused.is_err()
    );
    store
        .update(Account::key("b1", "bob-1"))
        .remove(a.frozen)
        .await?;

    // A versioned profile: every write checks and increments the version.
    let p = Profile::attr();
    store
        .delete(Profile::key("b1", "alice"))
        .any_version()
        .await?;
    store
        .create(&Profile {
            bank: "b1".into(),
            owner: "alice".into(),
            email: "alice@example.com".into(),
            flags: BTreeSet::new(),
            version: 0,
        })
        .await?;
    let stale = store
        .get(Profile::key("b1", "alice"))
        .await?
        .expect("created");
    store
        .modify(Profile::key("b1", "alice"), |profile: &mut Profile| {
            profile.email = "alice@example.org".into();
        })
        .await?;
    match store.put(&stale).await {
        Err(Error::VersionConflict(c)) => println!(
            "a stale write is refused: it had version {}, the store has {:?}",
            stale.version,
            c.current::<Profile>().map(|p| p.version)
        ),
        other => other?,
    }

    // A set: elements added and deleted in place, never read first.
    store
        .update(Profile::key("b1", "alice"))
        .add_to(p.flags, ["vip", "newsletter"])
        .expect_version(2)
        .await?;
    store
        .update(Profile::key("b1", "alice"))
        .delete_from(p.flags, ["newsletter"])
        .when(p.flags.contains("vip"))
        .any_version()
        .await?;
    let alice = store
        .get_record(Profile::key("b1", "alice"))
        .await?
        .expect("stored");
    println!(
        "alice: {} {:?}, version {}, created {}, updated {}",
        alice.value.email,
        alice.value.flags,
        alice.value.version,
        alice.created_at,
        alice.updated_at
    );

    let balances = store
        .get_many([Account::key("b1", "alice-1"), Account::key("b1", "bob-1")])
        .await?;
    let total: i64 = balances.iter().flatten().map(|acc| acc.balance).sum();
    println!("total money: {total} (unchanged)");
    assert_eq!(total, 200);
    Ok(())
}
