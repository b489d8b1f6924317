//! The items the backend benchmarks write and read: experts and
//! perspectives of the dialogue domain, with realistic field lengths.

use blue_schema_examples::dialogue::*;

pub const D: &str = "nvidia-dec";

pub fn expert(d: &str, i: usize) -> Expert {
    Expert {
        dialogue_id: d.into(),
        name: format!("expert-{i:05}"),
        role: "skeptic with a long-ish role description".into(),
        tier: (i % 3) as u8 + 1,
        score: i as i32 * 7 - 100,
    }
}

pub fn perspective(d: &str, i: usize) -> Perspective {
    Perspective {
        dialogue_id: d.into(),
        round: (i / 10) as u32,
        expert: format!("expert-{:05}", i % 10),
        seq: (i % 7) as u32,
        label: "supply".into(),
        content: "Lead times are shrinking, and margins peak this quarter.".into(),
        status: Status::Open,
    }
}

/// The `created_at` both sides of a benchmark write.
pub fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}
