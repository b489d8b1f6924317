//! Chosen projections: an access pattern declared `project(field, ..)`
//! reads its index's entries (the keys and the fields the patterns sharing
//! the index project) into a generated view; filters are written with the
//! view's attributes, pages stop at 1 MB of projected entries, and reads
//! and writes are charged on the projected size, on every backend.
//!
//! Index contents are polled ([`settled`]): DynamoDB's indexes are
//! eventually consistent.

use blue_schema::capacity::Consumed;
use blue_schema::schema::Projection;
use blue_schema::{Entity, IntoQuery, Query, Store, Table};

use crate::catalog::*;
use crate::support::{settled, units};

fn card(b: &Book) -> BookCard {
    BookCard {
        shelf: b.shelf.clone(),
        isbn: b.isbn.clone(),
        author: b.author.clone(),
        year: b.year,
        title: b.title.clone(),
        tags: b.tags.clone(),
    }
}

/// Every page of `q`, resumed by cursor: the items of each.
async fn pages<R: blue_schema::FromItem + Send + 'static>(
    store: &Store,
    q: Query<R>,
) -> Vec<Vec<R>> {
    let read = crate::indexes::pages(store, q).await;
    read.into_iter().map(|(items, _)| items).collect()
}

async fn cards(store: &Store, author: &str) -> Vec<BookCard> {
    store.query(Book::by_author(author)).all().await.unwrap()
}

/// The index's projection is the union of its patterns' fields, and the
/// other index projects its own pattern's: what the table definitions say.
#[test]
fn an_index_projects_the_union_of_its_patterns() {
    let schema = Catalog::SCHEMA;
    assert_eq!(
        schema.projection("gsi1"),
        Projection::Include(&["author", "curator", "label", "tags", "title", "year"])
    );
    assert_eq!(
        schema.projection("gsi2"),
        Projection::Include(&["genre", "pages"])
    );
    let create: serde_json::Value =
        serde_json::from_str(&blue_schema::docs::dynamodb_table_json(&schema)).unwrap();
    let gsi2 = &create["GlobalSecondaryIndexes"][1]["Projection"];
    assert_eq!(gsi2["ProjectionType"], "INCLUDE");
    assert_eq!(
        gsi2["NonKeyAttributes"],
        serde_json::json!(["genre", "pages"])
    );
    let hcl = blue_schema::docs::terraform_hcl(&schema);
    assert!(
        hcl.contains(
            "projection_type = \"INCLUDE\"\n    non_key_attributes = [\"genre\", \"pages\"]"
        ),
        "{hcl}"
    );
}

pub async fn views_hold_the_key_and_projected_fields(store: Store) {
    store.create_table::<Catalog>().await.unwrap();
    let mut written = Vec::new();
    for isbn in 0..6u32 {
        let mut b = book(
            &format!("s{}", isbn % 2),
            isbn,
            "ann",
            1990 + (isbn % 3) as u16,
        );
        b.blurb = format!("blurb {isbn}");
        store.put(&b).await.unwrap();
        written.push(b);
    }
    store.put(&book("s9", 99, "bob", 2000)).await.unwrap();
    // By year, then table key (shelf, isbn).
    written.sort_by(|a, b| (a.year, &a.shelf, &a.isbn).cmp(&(b.year, &b.shelf, &b.isbn)));
    let expected: Vec<BookCard> = written.iter().map(card).collect();
    let got = settled(|| cards(&store, "ann"), |got| got.len() == 6).await;
    assert_eq!(got, expected);
    // The view's key reads the item.
    let first = store.get(got[0].key()).await.unwrap().unwrap();
    assert_eq!(first, written[0]);
    assert_eq!(got[0].key(), written[0].key());
    // Sort-key conditions and pages of two, resumed by cursor.
    // Each read polled: an index read may lag on AWS, even after one
    // showed every entry.
    let since = settled(
        || async {
            store
                .query(Book::by_author("ann").year_ge(1991))
                .all()
                .await
                .unwrap()
        },
        |since| *since == expected[2..],
    )
    .await;
    assert_eq!(since, expected[2..].to_vec());
    let paged: Vec<BookCard> = settled(
        || async {
            pages(&store, Book::by_author("ann").page_size(2).into_query())
                .await
                .concat()
        },
        |paged| *paged == expected,
    )
    .await;
    assert_eq!(paged, expected);
    // A count is what `all()` returns.
    let counted = settled(
        || async { store.query(Book::by_author("ann")).count().await.unwrap() },
        |n| *n == 6,
    )
    .await;
    assert_eq!(counted, 6);
    // The default view, without derives, of the other pattern.
    let essays: Vec<BookByGenreView> = settled(
        || async { store.query(Book::by_genre("essay")).all().await.unwrap() },
        |got: &Vec<BookByGenreView>| got.len() == 3,
    )
    .await;
    let mut pages: Vec<(String, u32, String)> = essays
        .iter()
        .map(|v| (v.isbn.clone(), v.page_count, v.genre.clone()))
        .collect();
    pages.sort();
    assert_eq!(
        pages,
        vec![
            ("0000".to_owned(), 100, "essay".to_owned()),
            ("0002".to_owned(), 102, "essay".to_owned()),
            ("0004".to_owned(), 104, "essay".to_owned()),
        ]
    );
    // Shelves share gsi1 and read their own view.
    store
        .put(&Shelf {
            shelf: "s1".into(),
            curator: "cy".into(),
            label: "Poetry".into(),
            notes: "n".into(),
        })
        .await
        .unwrap();
    let shelves = settled(
        || async { store.query(Shelf::by_curator("cy")).all().await.unwrap() },
        |got: &Vec<ShelfByCuratorView>| got.len() == 1,
    )
    .await;
    assert_eq!(
        (
            shelves[0].shelf.as_str(),
            shelves[0].curator.as_str(),
            shelves[0].label.as_str()
        ),
        ("s1", "cy", "Poetry")
    );
}

pub async fn view_filters_read_projected_attributes(store: Store) {
    store.create_table::<Catalog>().await.unwrap();
    for isbn in 0..9u32 {
        let mut b = book("f", isbn, "cat", 2000);
        b.title = if isbn.is_multiple_of(3) {
            format!("A{isbn}")
        } else {
            format!("B{isbn}")
        };
        store.put(&b).await.unwrap();
    }
    settled(|| cards(&store, "cat"), |got| got.len() == 9).await;
    // Pages of 4 evaluated entries: 4+4+1, matches 2, 1, 0.
    let read = settled(
        || {
            pages(
                &store,
                Book::by_author("cat")
                    .filter(BookCard::attr().title.begins_with("A"))
                    .page_size(4)
                    .into_query(),
            )
        },
        |read| read.iter().map(Vec::len).collect::<Vec<_>>() == [2, 1, 0],
    )
    .await;
    let sizes: Vec<usize> = read.iter().map(Vec::len).collect();
    assert_eq!(sizes, vec![2, 1, 0]);
    assert!(read.concat().iter().all(|c| c.title.starts_with('A')));
    // A set the index projects, and an index-key field.
    let tagged = settled(
        || async {
            store
                .query(
                    Book::by_author("cat")
                        .filter(BookCard::attr().tags.contains("t1"))
                        .filter(BookCard::attr().year.eq(2000)),
                )
                .all()
                .await
                .unwrap()
        },
        |tagged: &Vec<BookCard>| tagged.len() == 3,
    )
    .await;
    let isbns: Vec<&str> = tagged.iter().map(|c| c.isbn.as_str()).collect();
    assert_eq!(isbns, vec!["0001", "0004", "0007"]);
    // Counted with the filter.
    let counted = settled(
        || async {
            store
                .query(Book::by_author("cat").filter(BookCard::attr().title.begins_with("B")))
                .count()
                .await
                .unwrap()
        },
        |n| *n == 6,
    )
    .await;
    assert_eq!(counted, 6);
}

pub async fn view_pages_stop_at_one_megabyte_of_projected_entries(store: Store) {
    store.create_table::<Catalog>().await.unwrap();
    // Twelve books of about 200 KB each, in text the index does not hold:
    // their entries are small, so one page holds them all.
    for isbn in 0..12u32 {
        let mut b = book("big", isbn, "dee", 2001);
        b.blurb = "x".repeat(200 * 1024);
        store.put(&b).await.unwrap();
    }
    let page = settled(
        || async { store.query(Book::by_author("dee")).page().await.unwrap() },
        |page| page.items.len() == 12,
    )
    .await;
    assert_eq!(page.items.len(), 12);
    assert!(page.cursor.is_none());
    // Twelve with 200 KB titles, which the index holds: pages stop at 1 MB
    // of entries.
    for isbn in 0..12u32 {
        let mut b = book("big", 100 + isbn, "eve", 2001);
        b.title = "t".repeat(200 * 1024);
        store.put(&b).await.unwrap();
    }
    settled(|| cards(&store, "eve"), |got| got.len() == 12).await;
    let sizes: Vec<usize> = settled(
        || async {
            pages(&store, Book::by_author("eve").into_query())
                .await
                .iter()
                .map(Vec::len)
                .collect::<Vec<usize>>()
        },
        |sizes| sizes.iter().sum::<usize>() == 12,
    )
    .await;
    assert_eq!(sizes.iter().sum::<usize>(), 12);
    assert!(sizes.len() >= 3, "12 entries of 200 KB in pages {sizes:?}");
    assert!(sizes.iter().all(|n| *n <= 6), "pages {sizes:?}");
}

pub async fn projected_entries_are_charged_their_own_size(store: Store) {
    store.create_table::<Catalog>().await.unwrap();
    // A 5 KB blurb: 6 units for the table; each index entry is small.
    let mut b = book("cap", 1, "fay", 2002);
    b.blurb = "x".repeat(5000);
    let put = units(&store, |s| {
        let b = b.clone();
        async move { s.put(&b).await.unwrap() }
    })
    .await;
    assert_eq!(
        put,
        Consumed::write(6.0 + 1.0 + 1.0),
        "put of a new 5 KB book"
    );
    // A change of an attribute no index holds writes no index.
    b.blurb = "y".repeat(5000);
    let put = units(&store, |s| {
        let b = b.clone();
        async move { s.put(&b).await.unwrap() }
    })
    .await;
    assert_eq!(put, Consumed::write(6.0), "put changing only the blurb");
    // A projected attribute: gsi1's entry is rewritten in place.
    let put = units(&store, |s| async move {
        s.update(Book::key("cap", "0001"))
            .set(Book::attr().title, "Renamed".to_owned())
            .await
            .unwrap()
    })
    .await;
    assert_eq!(put, Consumed::write(6.0 + 1.0), "update of the title");
    // Reading the view: the 5 KB item's entry is well under 4 KB.
    let (_, last) = settled(
        || async {
            let metered = store.metered();
            let found = metered.query(Book::by_author("fay")).all().await.unwrap();
            (found, metered.consumed().unwrap())
        },
        |(found, _): &(Vec<BookCard>, Consumed)| found.len() == 1 && found[0].title == "Renamed",
    )
    .await;
    assert_eq!(last, Consumed::read(0.5));
}
