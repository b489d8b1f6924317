//! Dates and times as key parts (features `chrono` and `time`): stored,
//! read back, and queried by range in date order on every backend.

use blue_schema::{Entity, Store, Table};
use chrono::{NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};
use time::{Date, Month, OffsetDateTime, UtcOffset};

#[derive(Table, Debug, PartialEq)]
#[table(name = "blue_calendar")]
pub enum Calendar {
    Booking(Booking),
    Reading(Reading),
}

/// Keyed by a chrono date and wall-clock time.
#[derive(Entity, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[entity(table = Calendar)]
#[sk(prefix = "BOOKING")]
pub struct Booking {
    #[pk]
    pub room: String,
    #[sk]
    pub day: NaiveDate,
    #[sk]
    pub starts: NaiveDateTime,
    pub guest: String,
}

/// Keyed by a `time` date and instant.
#[derive(Entity, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[entity(table = Calendar)]
#[sk(prefix = "READING")]
pub struct Reading {
    #[pk]
    pub sensor: String,
    #[sk]
    pub day: Date,
    #[sk]
    pub at: OffsetDateTime,
    pub value: i32,
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn booking(d: NaiveDate, hour: u32, guest: &str) -> Booking {
    Booking {
        room: "r1".into(),
        day: d,
        starts: d.and_hms_opt(hour, 0, 0).unwrap(),
        guest: guest.into(),
    }
}

/// Date keys sort by date, across years that would sort wrongly as
/// unpadded text (`9` after `10`), and ranges on them select by date.
pub async fn date_keys_sort_and_select_by_date(store: Store) {
    store.create_table::<Calendar>().await.unwrap();
    let bookings = [
        booking(day(999, 1, 1), 9, "early"),
        booking(day(2024, 2, 29), 14, "leap"),
        booking(day(2024, 2, 29), 9, "leap-morning"),
        booking(day(2024, 12, 31), 23, "eve"),
        booking(day(10_000, 1, 1), 0, "far"),
    ];
    // Written out of order.
    for b in bookings.iter().rev() {
        store.put(b).await.unwrap();
    }
    let got = store.query(Booking::query("r1")).all().await.unwrap();
    let guests: Vec<&str> = got.iter().map(|b| b.guest.as_str()).collect();
    assert_eq!(guests, ["early", "leap-morning", "leap", "eve", "far"]);
    assert_eq!(got[1], bookings[2]);

    let leap_day = store
        .query(Booking::query("r1").day(day(2024, 2, 29)))
        .all()
        .await
        .unwrap();
    assert_eq!(leap_day, [bookings[2].clone(), bookings[1].clone()]);
    let afternoon = store
        .query(
            Booking::query("r1")
                .day(day(2024, 2, 29))
                .starts_ge(day(2024, 2, 29).and_hms_opt(12, 0, 0).unwrap()),
        )
        .all()
        .await
        .unwrap();
    assert_eq!(afternoon, [bookings[1].clone()]);
    let in_2024 = store
        .query(Booking::query("r1").day_between(day(2024, 1, 1), day(2024, 12, 31)))
        .all()
        .await
        .unwrap();
    assert_eq!(in_2024.len(), 3);
    let got = store
        .get(Booking::key("r1", bookings[3].day, bookings[3].starts))
        .await
        .unwrap();
    assert_eq!(got.as_ref(), Some(&bookings[3]));
}

/// An `OffsetDateTime` key is its instant: written at any offset, it is
/// found at its UTC time, and instants sort as instants even when their
/// local times do not.
pub async fn offset_date_time_keys_are_instants(store: Store) {
    store.create_table::<Calendar>().await.unwrap();
    let date = Date::from_calendar_date(2024, Month::March, 1).unwrap();
    let at = |hour: u8, offset: i8| {
        date.with_hms(hour, 0, 0)
            .unwrap()
            .assume_offset(UtcOffset::from_hms(offset, 0, 0).unwrap())
    };
    // 10:00+02:00 is 08:00Z, before 09:00Z.
    let readings = [(at(10, 2), 1), (at(9, 0), 2), (at(12, 5), 3)];
    for (when, value) in readings {
        let reading = Reading {
            sensor: "s".into(),
            day: date,
            at: when,
            value,
        };
        store.put(&reading).await.unwrap();
    }
    let values: Vec<i32> = store
        .query(Reading::query("s").day(date))
        .all()
        .await
        .unwrap()
        .iter()
        .map(|r| r.value)
        .collect();
    // 12:00+05:00 is 07:00Z, 10:00+02:00 is 08:00Z, then 09:00Z.
    assert_eq!(values, [3, 1, 2]);
    let key = Reading::key("s", date, at(8, 0));
    assert_eq!(
        key.sort_key(),
        "READING#2024-03-01#2024-03-01T08:00:00.000000000Z"
    );
    let found = store
        .get(key)
        .await
        .unwrap()
        .expect("stored at 10:00+02:00");
    assert_eq!(found.value, 1);
    assert_eq!(found.at, at(10, 2));
}
