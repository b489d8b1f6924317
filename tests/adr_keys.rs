//! The ADR's example rows, as the derive encodes them.

use blue_schema::Entity;
use blue_schema_examples::dialogue::*;
use blue_schema_examples::document::*;

#[test]
fn dialogue_keys_match_the_adr_rows_with_padded_numbers() {
    assert_eq!(
        DialogueMeta::key("nvidia-dec").to_string(),
        "nvidia-dec | META"
    );
    assert_eq!(
        Expert::key("nvidia-dec", "muffin").to_string(),
        "nvidia-dec | EXPERT#muffin"
    );
    // The ADR writes PERSP#0#muffin#1; numbers are zero-padded so they sort.
    assert_eq!(
        Perspective::key("nvidia-dec", 0, "muffin", 1).to_string(),
        "nvidia-dec | PERSP#0000000000#muffin#0000000001"
    );
    assert_eq!(
        Tension::key("nvidia-dec", "T01").to_string(),
        "nvidia-dec | TENSION#T01"
    );
    assert_eq!(
        TensionEvent::key("nvidia-dec", "T01", 1_706_900_000u64).to_string(),
        "nvidia-dec | TEVENT#T01#00000000001706900000"
    );
}

#[test]
fn document_keys_match_the_adr_rows_with_padded_numbers() {
    assert_eq!(Realm::key("letemcook").to_string(), "letemcook | META");
    assert_eq!(
        Doc::key("letemcook", DocKind::Rfc, 51).to_string(),
        "letemcook | DOC#rfc#00051"
    );
    assert_eq!(
        Link::key("letemcook", 51, 50).to_string(),
        "letemcook | LINK#00051#00050"
    );
}

#[test]
fn an_items_key_equals_the_key_function_of_its_fields() {
    let p = Perspective {
        dialogue_id: "nvidia-dec".into(),
        round: 2,
        expert: "muffin".into(),
        seq: 7,
        label: "l".into(),
        content: "c".into(),
        status: Status::Open,
    };
    assert_eq!(p.key(), Perspective::key("nvidia-dec", 2, "muffin", 7));
    let (pk, sk) = Perspective::decode_key(p.key().partition_key(), p.key().sort_key()).unwrap();
    assert_eq!(pk, "nvidia-dec");
    assert_eq!(sk, (2, "muffin".to_string(), 7));
}
