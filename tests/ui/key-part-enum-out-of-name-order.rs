use blue_schema::KeyPart;

// Stored by name, `high` < `low` < `medium`: a range on this enum would not
// follow the order it is declared in.
#[derive(KeyPart, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Priority {
    Low,
    Medium,
    High,
}

// Either fix is accepted.
#[derive(KeyPart, serde::Serialize, serde::Deserialize)]
#[key_part(order = "declaration")]
pub enum ByPosition {
    Low,
    Medium,
    High,
}

#[derive(KeyPart, serde::Serialize, serde::Deserialize)]
#[key_part(order = "name")]
pub enum ByName {
    Low,
    Medium,
    High,
}

fn main() {}
