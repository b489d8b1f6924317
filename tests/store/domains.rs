//! The ADR's document domain end to end, as `cargo run --example document`
//! walks it: every write, every access pattern, a delete. (The dialogue
//! domain runs through `queries`, `pagination` and `random`.)

use blue_schema::{Error, Store};
use blue_schema_examples::document::*;

const REALM: &str = "letemcook";

fn doc(kind: DocKind, number: u16, title: &str) -> Doc {
    Doc {
        realm_id: REALM.into(),
        kind,
        number,
        title: title.into(),
        status: "accepted".into(),
        content: "…".into(),
    }
}

fn link(from: u16, to: u16, link_type: &str) -> Link {
    Link {
        realm_id: REALM.into(),
        from,
        to,
        link_type: link_type.into(),
    }
}

pub async fn document_domain_end_to_end(store: Store) {
    store.create_table::<Document>().await.unwrap();
    let realm = Realm {
        realm_id: REALM.into(),
        name: "Let 'em cook".into(),
        path: "/realms/letemcook".into(),
    };
    store.put(&realm).await.unwrap();
    // A realm's path is unique: another realm cannot take it.
    let twin = Realm {
        realm_id: "twin".into(),
        ..realm.clone()
    };
    match store.create(&twin).await {
        Err(Error::UniqueTaken(t)) => assert_eq!(
            (t.constraint, t.holder),
            ("path", (REALM.to_owned(), "META".to_owned()))
        ),
        other => panic!("expected the path to be taken, got {other:?}"),
    }
    let rfc51 = doc(DocKind::Rfc, 51, "Dialogues");
    let rfc50 = doc(DocKind::Rfc, 50, "Experts");
    let rfc9 = doc(DocKind::Rfc, 9, "Bootstrapping");
    let adr18 = doc(DocKind::Adr, 18, "DynamoDB-portable schema");
    for d in [&rfc51, &rfc50, &rfc9, &adr18] {
        store.create(d).await.unwrap();
    }
    assert!(matches!(
        store.create(&rfc9).await,
        Err(Error::AlreadyExists { .. })
    ));
    let links = [
        link(51, 50, "depends_on"),
        link(51, 18, "implements"),
        link(50, 9, "supersedes"),
    ];
    store.put_all(&links).await.unwrap();

    // The realm.
    let realms = store.query(Realm::query(REALM)).all().await.unwrap();
    assert_eq!(realms.len(), 1);
    assert_eq!(realms[0], realm);
    // Every RFC by number: 9 before 50, as numbers, not as text.
    assert_eq!(
        store
            .query(Doc::query(REALM).kind(DocKind::Rfc))
            .all()
            .await
            .unwrap(),
        [rfc9.clone(), rfc50.clone(), rfc51.clone()]
    );
    // RFCs 50 to 59.
    assert_eq!(
        store
            .query(
                Doc::query(REALM)
                    .kind(DocKind::Rfc)
                    .number_between(50u16, 59u16)
            )
            .all()
            .await
            .unwrap(),
        [rfc50.clone(), rfc51.clone()]
    );
    // What RFC 51 links to.
    assert_eq!(
        store
            .query(Link::query(REALM).from(51u16))
            .all()
            .await
            .unwrap(),
        [links[1].clone(), links[0].clone()]
    );
    // The newest links first, two to a page.
    let page = store
        .query(Link::query(REALM).reverse().page_size(2))
        .page()
        .await
        .unwrap();
    assert_eq!(page.items, [links[0].clone(), links[1].clone()]);
    let rest = store
        .query(
            Link::query(REALM)
                .reverse()
                .page_size(2)
                .after(page.cursor.unwrap()),
        )
        .page()
        .await
        .unwrap();
    assert_eq!((rest.items, rest.cursor), (vec![links[2].clone()], None));
    // The whole partition, in key order, as `Document` values.
    assert_eq!(
        store.query(Document::partition(REALM)).all().await.unwrap(),
        [
            Document::Doc(adr18.clone()),
            Document::Doc(rfc9),
            Document::Doc(rfc50),
            Document::Doc(rfc51),
            Document::Link(links[2].clone()),
            Document::Link(links[1].clone()),
            Document::Link(links[0].clone()),
            Document::Realm(realm),
        ]
    );
    assert_eq!(
        store
            .get(Doc::key(REALM, DocKind::Adr, 18u16))
            .await
            .unwrap(),
        Some(adr18)
    );
    // A delete returns the link, and it is gone.
    assert_eq!(
        store
            .delete_returning(Link::key(REALM, 50u16, 9u16))
            .await
            .unwrap(),
        Some(links[2].clone())
    );
    assert_eq!(
        store.query(Link::query(REALM)).all().await.unwrap().len(),
        2
    );
}
