use blue_schema::{Entity, Table};

#[derive(Table)]
#[table(name = "blue_shop", indexes(gsi1))]
enum Shop {
    Order(Order),
}

mod as_text {
    pub fn serialize<S: serde::Serializer>(v: &u32, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&v.to_string())
    }
    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
        let text = <String as serde::Deserialize>::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[derive(Entity, serde::Serialize, serde::Deserialize)]
#[entity(table = Shop)]
#[sk(prefix = "ORDER")]
#[index(gsi1, name = by_rank, pk(fields(rank)))]
struct Order {
    #[pk]
    shop: String,
    #[sk]
    id: u32,
    // Stored as text by a put, but `set_index` would write a number.
    #[serde(with = "as_text")]
    rank: u32,
}

fn main() {}
