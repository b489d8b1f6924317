//! A backfill through wire faults: the program before shapes and key
//! moves wrote tallies (shape 1) and pins (under their old key) to the
//! emulator; the current program's backfill runs through the fault proxy,
//! which breaks one request in ten (resets before and after the emulator
//! applied it, cut answers, throttling, 500 and 503). Each run that fails
//! does so with a typed error, and the next resumes from the last
//! checkpoint. At the end every tally is in shape 2 with its value, every
//! pin under its new key with its label, none under its old key, none
//! twice, and `check_table` counts nothing left.

use blue_schema::backend::dynamodb::DynamoDbBackend;
use blue_schema::export::check_table;
use blue_schema::migrate::{backfill, BackfillCheckpoint, BackfillOptions, BackfillReport};
use blue_schema::{Error, Store};

use crate::entities::{v1, Pin, Reliable, Tally, V1_UNIT};
use crate::proxy::{Fault, Proxy};

#[test]
fn a_backfill_through_wire_faults_upgrades_and_moves_each_item_once() {
    let items: u32 = if crate::long_mode() { 2000 } else { 200 };
    crate::runtime_with(4).block_on(async {
        let backend = crate::dynamodb::backend().await;
        let direct = Store::from_backend(backend.clone());
        direct.create_table::<Reliable>().await.unwrap();
        for i in 0..items {
            let part = format!("bf{}", i % 20);
            direct
                .put(&v1::Tally {
                    part: format!("bf-tally{i}"),
                    value: i64::from(i),
                })
                .await
                .unwrap();
            direct
                .put(&v1::Pin {
                    part,
                    id: i,
                    kind: (i % 3) as u8,
                    label: format!("pin {i}"),
                })
                .await
                .unwrap();
        }

        let (upstream, _) = crate::dynamodb::endpoint_url();
        let proxy = Proxy::start(&upstream, None).await;
        proxy.randomly(0xBAC4_F111, 100, &Fault::RANDOM);
        let client = crate::faults::client_via(&proxy.url(), 4).await;
        let faulty = Store::from_backend(
            DynamoDbBackend::new(&client)
                .with_table_prefix(&backend.table_name(""))
                .unwrap(),
        );
        let mut resume: Option<BackfillCheckpoint> = None;
        let mut runs = 0;
        let mut failures = Vec::new();
        let mut total = BackfillReport::default();
        loop {
            runs += 1;
            assert!(runs <= 200, "the backfill ends: {failures:?}");
            let mut options = BackfillOptions::default();
            options.page_items = 25;
            options.segments = 2;
            options.resume = resume.clone();
            let mut last = None;
            let result = backfill::<Reliable>(&faulty, options, |p| {
                last = Some(p.checkpoint.clone());
            })
            .await;
            match result {
                Ok(report) => {
                    total.upgraded += report.upgraded;
                    total.moved += report.moved;
                    total.diverged += report.diverged;
                    break;
                }
                Err(e) => {
                    assert!(
                        matches!(
                            e,
                            Error::Unavailable { .. }
                                | Error::Throttled { .. }
                                | Error::Conflict { .. }
                        ),
                        "a backfill under faults fails with a typed, retryable error: {e:?}"
                    );
                    failures.push(e.to_string());
                    if last.is_some() {
                        resume = last;
                    }
                }
            }
        }
        proxy.settle().await;
        let injected = proxy.injected().len();

        // Everything moved and upgraded, once, as read directly.
        for i in 0..items {
            let tally = direct
                .get(Tally::key(format!("bf-tally{i}")))
                .await
                .unwrap()
                .unwrap_or_else(|| panic!("tally {i} is there"));
            assert_eq!(
                (tally.value, tally.unit.as_str()),
                (i64::from(i), V1_UNIT),
                "tally {i} kept its value"
            );
            let part = format!("bf{}", i % 20);
            let pin = direct
                .get(Pin::key(part.as_str(), (i % 3) as u8, i))
                .await
                .unwrap()
                .unwrap_or_else(|| panic!("pin {i} is there"));
            assert_eq!(pin.label, format!("pin {i}"), "pin {i} kept its label");
        }
        let mut under_old = 0;
        let mut moved_pins = 0;
        for p in 0..20 {
            let part = format!("bf{p}");
            under_old += direct
                .query(v1::Pin::query(part.as_str()))
                .all()
                .await
                .unwrap()
                .len();
            moved_pins += direct
                .query(Pin::query(part.as_str()))
                .all()
                .await
                .unwrap()
                .len();
        }
        assert_eq!(under_old, 0, "no pin is left under its old key");
        assert_eq!(moved_pins, items as usize, "each pin once");
        let check = check_table::<Reliable>(&direct).await.unwrap();
        assert!(check.is_clean(), "{:?}", check.problems);
        assert!(
            check.unmoved.values().all(|&n| n == 0),
            "unmoved: {:?}",
            check.unmoved
        );
        println!(
            "backfill through faults: {items} tallies and {items} pins, {runs} runs ({} failed \
             with a typed error), {injected} faults injected; upgraded {} and moved {} in the \
             run that finished, {} diverged; shapes now {:?}",
            failures.len(),
            total.upgraded,
            total.moved,
            total.diverged,
            check.shapes
        );
        crate::dynamodb::drop_tables(&backend).await;
    });
}
