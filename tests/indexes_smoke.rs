use blue_schema::{Entity, Store, Table};
use serde::{Deserialize, Serialize};

#[derive(Table)]
#[table(name = "blue_smoke", indexes(gsi1, gsi2))]
enum Smoke {
    Expert(Expert),
}

#[derive(Entity, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[entity(table = Smoke)]
#[sk(prefix = "EXPERT")]
#[index(gsi1, name = by_role, pk(prefix = "ROLE", fields(role)), sk(fields(joined)))]
#[index(gsi2, name = by_name, pk(fields(name)), project = keys_only)]
struct Expert {
    #[pk]
    dialogue: String,
    #[sk]
    name: String,
    role: Option<String>,
    joined: u32,
    note: String,
}

#[tokio::test]
async fn smoke() {
    let store = Store::open("sqlite::memory:").await.unwrap();
    store.create_table::<Smoke>().await.unwrap();
    let e = Expert {
        dialogue: "d1".into(),
        name: "muffin".into(),
        role: Some("skeptic".into()),
        joined: 3,
        note: "x".into(),
    };
    store.put(&e).await.unwrap();
    store
        .put(&Expert {
            dialogue: "d2".into(),
            name: "muffin".into(),
            role: None,
            joined: 1,
            note: "y".into(),
        })
        .await
        .unwrap();
    let found = store.query(Expert::by_role("skeptic")).all().await.unwrap();
    assert_eq!(found, vec![e.clone()]);
    let keys = store.query(Expert::by_name("muffin")).all().await.unwrap();
    assert_eq!(keys.len(), 2);
    store
        .update(Expert::key("d2", "muffin"))
        .set_index(ExpertByRole {
            role: Some("skeptic".into()),
            joined: 0,
        })
        .await
        .unwrap();
    let found = store
        .query(Expert::by_role("skeptic").joined_lt(2u32))
        .all()
        .await
        .unwrap();
    assert_eq!(found.len(), 1, "{found:?}");
    let q = Expert::by_role("skeptic").filter(Expert::attr().note.eq("x"));
    println!("{}", q.explain());
    assert_eq!(store.query(q).all().await.unwrap(), vec![e]);
}
