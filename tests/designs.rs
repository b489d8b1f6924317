//! Three well-known single-table designs, mapped onto the derives and run on
//! SQLite: the guide's "Three single-table designs" shows each schema, and
//! `the_guide_shows_this_code` checks that what it shows is this file's code.

use blue_schema::{Collection, Entity, IntoQuery, Store, Table};
use serde::{Deserialize, Serialize};

/// AWS's e-commerce example: customers with their orders and order items
/// in the customer's partition, products in their own, orders by status on
/// an index.
mod ecommerce {
    use super::*;

    // design: ecommerce
    #[derive(Table, Debug)]
    #[table(name = "ecommerce", indexes(gsi1))]
    pub enum Ecommerce {
        Customer(Customer),
        Order(Order),
        OrderItem(OrderItem),
        Product(Product),
    }

    #[derive(Entity, Serialize, Deserialize, Debug, Clone, PartialEq)]
    #[entity(table = Ecommerce, pk_prefix = "CUSTOMER")]
    #[sk(prefix = "PROFILE")]
    pub struct Customer {
        #[pk]
        pub email: String,
        pub name: String,
    }

    #[derive(Entity, Serialize, Deserialize, Debug, Clone, PartialEq)]
    #[entity(table = Ecommerce, pk_prefix = "CUSTOMER")]
    #[sk(prefix = "ORDER")]
    #[index(gsi1, name = by_status, pk(prefix = "STATUS", fields(status)), sk(fields(placed)))]
    pub struct Order {
        #[pk]
        pub email: String,
        #[sk]
        pub order_id: String,
        pub status: String,
        pub placed: String,
    }

    #[derive(Entity, Serialize, Deserialize, Debug, Clone, PartialEq)]
    #[entity(table = Ecommerce, pk_prefix = "CUSTOMER", parent = Order)]
    #[sk(prefix = "ITEM")]
    pub struct OrderItem {
        #[pk]
        pub email: String,
        #[sk]
        pub order_id: String,
        #[sk]
        pub sku: String,
        pub quantity: u32,
    }

    #[derive(Entity, Serialize, Deserialize, Debug, Clone, PartialEq)]
    #[entity(table = Ecommerce, pk_prefix = "PRODUCT")]
    #[sk(prefix = "PRODUCT")]
    pub struct Product {
        #[pk]
        pub sku: String,
        pub stock: u32,
    }

    /// An order with its items: one query.
    #[derive(Collection, Debug, Clone, PartialEq)]
    #[collection(table = Ecommerce, parent = Order)]
    pub enum OrderWithItems {
        Order(Order),
        Item(OrderItem),
    }
    // end
}

/// A multi-tenant SaaS: everything of a tenant in its partition (users,
/// projects, and each project's tasks nested under it), users findable by
/// email across tenants on an index.
mod saas {
    use super::*;

    // design: saas
    #[derive(Table, Debug)]
    #[table(name = "saas", indexes(gsi1))]
    pub enum Saas {
        Tenant(Tenant),
        User(User),
        Project(Project),
        Task(Task),
    }

    #[derive(Entity, Serialize, Deserialize, Debug, Clone, PartialEq)]
    #[entity(table = Saas, pk_prefix = "TENANT")]
    #[sk(prefix = "TENANT")]
    pub struct Tenant {
        #[pk]
        pub tenant: String,
        pub plan: String,
    }

    #[derive(Entity, Serialize, Deserialize, Debug, Clone, PartialEq)]
    #[entity(table = Saas, pk_prefix = "TENANT")]
    #[sk(prefix = "USER")]
    #[index(gsi1, name = by_email, pk(prefix = "EMAIL", fields(email)))]
    pub struct User {
        #[pk]
        pub tenant: String,
        #[sk]
        pub user_id: String,
        pub email: String,
    }

    #[derive(Entity, Serialize, Deserialize, Debug, Clone, PartialEq)]
    #[entity(table = Saas, pk_prefix = "TENANT")]
    #[sk(prefix = "PROJECT")]
    pub struct Project {
        #[pk]
        pub tenant: String,
        #[sk]
        pub project: String,
        pub name: String,
    }

    #[derive(Entity, Serialize, Deserialize, Debug, Clone, PartialEq)]
    #[entity(table = Saas, pk_prefix = "TENANT", parent = Project)]
    #[sk(prefix = "TASK")]
    pub struct Task {
        #[pk]
        pub tenant: String,
        #[sk]
        pub project: String,
        #[sk]
        pub number: u32,
        pub title: String,
    }

    /// A tenant's whole partition.
    #[derive(Collection, Debug, Clone, PartialEq)]
    #[collection(table = Saas)]
    pub enum TenantItems {
        Tenant(Tenant),
        User(User),
        Project(Project),
        Task(Task),
    }

    /// A project with its tasks.
    #[derive(Collection, Debug, Clone, PartialEq)]
    #[collection(table = Saas, parent = Project)]
    pub enum ProjectWithTasks {
        Project(Project),
        Task(Task),
    }
    // end
}

/// A social feed: a user's profile, posts (newest last) and the follow
/// edges both ways (adjacency lists): whom I follow in my partition, my
/// followers on an index.
mod social {
    use super::*;

    // design: social
    #[derive(Table, Debug)]
    #[table(name = "social", indexes(gsi1))]
    pub enum Social {
        Profile(Profile),
        Post(Post),
        Follow(Follow),
    }

    #[derive(Entity, Serialize, Deserialize, Debug, Clone, PartialEq)]
    #[entity(table = Social, pk_prefix = "USER")]
    #[sk(prefix = "PROFILE")]
    pub struct Profile {
        #[pk]
        pub user: String,
        pub bio: String,
    }

    #[derive(Entity, Serialize, Deserialize, Debug, Clone, PartialEq)]
    #[entity(table = Social, pk_prefix = "USER")]
    #[sk(prefix = "POST")]
    pub struct Post {
        #[pk]
        pub user: String,
        #[sk]
        pub at: u64,
        pub text: String,
    }

    /// `user` follows `followed`; the index turns the edge around.
    #[derive(Entity, Serialize, Deserialize, Debug, Clone, PartialEq)]
    #[entity(table = Social, pk_prefix = "USER")]
    #[sk(prefix = "FOLLOWS")]
    #[index(gsi1, name = followers_of, pk(prefix = "FOLLOWED", fields(followed)), sk(fields(user)))]
    pub struct Follow {
        #[pk]
        pub user: String,
        #[sk]
        pub followed: String,
    }

    /// A user's page: profile, posts and whom they follow.
    #[derive(Collection, Debug, Clone, PartialEq)]
    #[collection(table = Social)]
    pub enum UserPage {
        Profile(Profile),
        Post(Post),
        Follow(Follow),
    }
    // end
}

#[test]
fn ecommerce_reads_an_order_with_its_items() {
    use ecommerce::*;
    blue_schema::block_on(async {
        let store = Store::sqlite_memory().unwrap();
        store.create_table::<Ecommerce>().await.unwrap();
        let email = "ada@example.com";
        store
            .put(&Customer {
                email: email.into(),
                name: "Ada".into(),
            })
            .await
            .unwrap();
        store
            .put(&Product {
                sku: "p-1".into(),
                stock: 3,
            })
            .await
            .unwrap();
        for (id, status) in [("o-1", "shipped"), ("o-2", "placed")] {
            store
                .put(&Order {
                    email: email.into(),
                    order_id: id.into(),
                    status: status.into(),
                    placed: format!("2026-01-0{}", id.len()),
                })
                .await
                .unwrap();
            store
                .put(&OrderItem {
                    email: email.into(),
                    order_id: id.into(),
                    sku: "p-1".into(),
                    quantity: 1,
                })
                .await
                .unwrap();
        }
        let order = store
            .query(OrderWithItems::query(Order::key(email, "o-1")))
            .all()
            .await
            .unwrap();
        assert!(matches!(
            order.as_slice(),
            [OrderWithItems::Order(_), OrderWithItems::Item(_)]
        ));
        let placed = store
            .query(Order::by_status("placed").into_query())
            .all()
            .await
            .unwrap();
        assert_eq!(placed.len(), 1);
        assert_eq!(Product::key("p-1").partition_key(), "PRODUCT#p-1");
        assert_eq!(
            OrderItem::key(email, "o-1", "p-1").sort_key(),
            "ORDER#o-1#ITEM#p-1"
        );
    });
}

#[test]
fn saas_reads_a_tenant_and_a_project_with_its_tasks() {
    use saas::*;
    blue_schema::block_on(async {
        let store = Store::sqlite_memory().unwrap();
        store.create_table::<Saas>().await.unwrap();
        let t = "acme";
        store
            .put(&Tenant {
                tenant: t.into(),
                plan: "pro".into(),
            })
            .await
            .unwrap();
        store
            .put(&User {
                tenant: t.into(),
                user_id: "u1".into(),
                email: "u1@acme.test".into(),
            })
            .await
            .unwrap();
        for project in ["api", "web"] {
            store
                .put(&Project {
                    tenant: t.into(),
                    project: project.into(),
                    name: project.to_uppercase(),
                })
                .await
                .unwrap();
            for number in 1..=2 {
                store
                    .put(&Task {
                        tenant: t.into(),
                        project: project.into(),
                        number,
                        title: format!("{project} {number}"),
                    })
                    .await
                    .unwrap();
            }
        }
        let all = store.query(TenantItems::query(t)).all().await.unwrap();
        assert_eq!(all.len(), 8);
        let api = store
            .query(ProjectWithTasks::query(Project::key(t, "api")))
            .all()
            .await
            .unwrap();
        assert_eq!(api.len(), 3);
        let tasks = store
            .query(Task::query(t).project("web").number_ge(2u32))
            .all()
            .await
            .unwrap();
        assert_eq!(tasks.len(), 1);
        let found = store
            .query(User::by_email("u1@acme.test").into_query())
            .all()
            .await
            .unwrap();
        assert_eq!(found[0].tenant, t);
    });
}

#[test]
fn social_reads_a_page_and_the_followers() {
    use social::*;
    blue_schema::block_on(async {
        let store = Store::sqlite_memory().unwrap();
        store.create_table::<Social>().await.unwrap();
        for user in ["ann", "bob", "cy"] {
            store
                .put(&Profile {
                    user: user.into(),
                    bio: format!("{user}'s bio"),
                })
                .await
                .unwrap();
        }
        for (user, followed) in [("bob", "ann"), ("cy", "ann"), ("ann", "bob")] {
            store
                .put(&Follow {
                    user: user.into(),
                    followed: followed.into(),
                })
                .await
                .unwrap();
        }
        for at in [3u64, 1, 2] {
            store
                .put(&Post {
                    user: "ann".into(),
                    at,
                    text: format!("post {at}"),
                })
                .await
                .unwrap();
        }
        let page = store.query(UserPage::query("ann")).all().await.unwrap();
        // FOLLOWS < POST < PROFILE: sort-key order.
        assert!(matches!(page[0], UserPage::Follow(_)));
        assert!(matches!(page.last(), Some(UserPage::Profile(_))));
        let newest = store
            .query(Post::query("ann").reverse().take(2))
            .all()
            .await
            .unwrap();
        assert_eq!(newest.iter().map(|p| p.at).collect::<Vec<_>>(), [3, 2]);
        let followers: Vec<String> = store
            .query(Follow::followers_of("ann").into_query())
            .all()
            .await
            .unwrap()
            .into_iter()
            .map(|f| f.user)
            .collect();
        assert_eq!(followers, ["bob", "cy"]);
    });
}

/// The code blocks of the guide's "Three single-table designs" are this
/// file's designs, verbatim (between `// design: NAME` and `// end`).
#[test]
fn the_guide_shows_this_code() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let guide = std::fs::read_to_string(root.join("docs/guide.md")).unwrap();
    let this = std::fs::read_to_string(root.join("tests/designs.rs")).unwrap();
    for name in ["ecommerce", "saas", "social"] {
        let marker = format!("    // design: {name}\n");
        let start = this.find(&marker).expect("a design marker") + marker.len();
        let end = start + this[start..].find("    // end\n").expect("an end marker");
        // Dedented by one level, as the guide shows it.
        let code: String = this[start..end]
            .lines()
            .map(|l| l.strip_prefix("    ").unwrap_or(l))
            .collect::<Vec<_>>()
            .join("\n");
        assert!(
            guide.contains(&code),
            "the guide does not show the `{name}` design as tests/designs.rs has it:\n{code}"
        );
    }
}
