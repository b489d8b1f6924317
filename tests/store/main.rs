//! The store's behaviour through its public API, written once and run on
//! every backend (`backends!` below instantiates each test per backend).
//!
//! Every test runs as a task spawned on a multi-threaded tokio runtime, so
//! each one also proves that the store's futures are `Send`.

mod support;

mod attribute_indexes;
mod batch;
mod capacity;
mod catalog;
mod collections;
mod concurrency;
mod conditions;
mod copy;
mod counts;
mod crud;
#[cfg(all(feature = "chrono", feature = "time"))]
mod dates;
mod domains;
mod entities;
mod feed;
mod helpdesk;
mod indexes;
mod key_moves;
mod limits;
mod pagination;
mod parity;
mod projections;
mod queries;
mod random;
mod sets;
mod shapes;
mod transactions;
mod ttl;
mod uniques;
mod updates;
mod versions;
mod write_entities;

/// SQLite and DynamoDB side by side: the same operations, compared.
mod sqlite_vs_dynamodb {
    use crate::parity;
    use crate::support::run_pair;

    #[test]
    fn same_queries_same_pages() {
        run_pair(parity::same_queries_same_pages);
    }

    #[test]
    fn same_index_pages() {
        run_pair(parity::same_index_pages);
    }

    #[test]
    fn same_attribute_index_pages() {
        run_pair(crate::attribute_indexes::same_attribute_index_pages);
    }

    #[test]
    fn same_collection_pages() {
        run_pair(crate::collections::same_collection_pages);
    }

    #[test]
    fn the_shop_tour_reads_the_same() {
        run_pair(crate::collections::the_shop_tour_reads_the_same);
    }

    #[test]
    fn stored_items_hold_the_same_attributes() {
        run_pair(parity::stored_items_hold_the_same_attributes);
    }

    #[test]
    fn same_errors() {
        run_pair(parity::same_errors);
    }

    #[test]
    fn signed_cursors_cross_backends() {
        run_pair(parity::signed_cursors_cross_backends);
    }

    #[test]
    fn whole_floats_read_back_by_type_only() {
        run_pair(parity::whole_floats_read_back_by_type_only);
    }
}

/// What a store operation costs before it runs: its future is made, moved
/// and (for `get`, `put`) boxed on every call, so its size is copied every
/// time. A backend's large request state belongs behind a box of its own.
mod footprint {
    use std::future::IntoFuture;

    use blue_schema::Store;
    use blue_schema_examples::dialogue::*;

    /// Room for the store's own state; the DynamoDB SDK's request futures
    /// alone take more than 10 KB.
    const SMALL: usize = 1024;

    #[test]
    fn store_futures_stay_small() {
        let store = Store::sqlite_memory().unwrap();
        let key = Expert::key("d", "m");
        let expert = crate::crud::expert("d", "m", 1);
        let sizes = [
            (
                "get",
                std::mem::size_of_val(&*store.get(&key).into_future()),
            ),
            (
                "put",
                std::mem::size_of_val(&*store.put(&expert).into_future()),
            ),
            ("delete", std::mem::size_of_val(&store.delete(&key))),
            (
                "delete_returning",
                std::mem::size_of_val(&store.delete_returning(&key)),
            ),
            (
                "page",
                std::mem::size_of_val(&store.query(Expert::query("d")).page()),
            ),
            (
                "all",
                std::mem::size_of_val(&store.query(Expert::query("d")).all()),
            ),
        ];
        for (operation, size) in sizes {
            assert!(
                size <= SMALL,
                "the future of `{operation}` takes {size} bytes"
            );
        }
    }
}

/// Instantiates each listed test once per backend: `sqlite::<name>` runs it
/// on a fresh SQLite database file, `sqlite_memory::<name>` on a private
/// in-memory database (one connection instead of a pool),
/// `sqlite_tables::<name>` on a fresh file in the tables layout (a table per
/// entity), `dynamodb::<name>`
/// on DynamoDB: the emulator started in this process, or the endpoint in
/// `BLUE_DYNAMODB_ENDPOINT`.
macro_rules! backends {
    ($($module:ident :: $test:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[test]
                fn $test() {
                    crate::support::run(crate::support::Backend::Sqlite, crate::$module::$test);
                }
            )*
        }
        mod sqlite_memory {
            $(
                #[test]
                fn $test() {
                    crate::support::run(crate::support::Backend::SqliteMemory, crate::$module::$test);
                }
            )*
        }
        mod sqlite_tables {
            $(
                #[test]
                fn $test() {
                    crate::support::run(crate::support::Backend::SqliteTables, crate::$module::$test);
                }
            )*
        }
        mod dynamodb {
            $(
                #[test]
                fn $test() {
                    crate::support::run(crate::support::Backend::DynamoDb, crate::$module::$test);
                }
            )*
        }
    };
}

backends! {
    attribute_indexes::queries_read_the_fields_as_the_index_keys,
    attribute_indexes::cursors_resume_exactly_after_each_entry,
    attribute_indexes::writes_move_entries_in_the_index,
    attribute_indexes::key_attribute_strings_follow_dynamodb_rules,
    attribute_indexes::entries_are_charged_as_on_dynamodb,
    shapes::older_shapes_upgrade_on_every_read_path,
    shapes::a_failed_upgrade_is_a_decode_error,
    shapes::writes_store_the_current_shape,
    shapes::updates_upgrade_older_items_first,
    shapes::transactions_name_items_in_older_shapes,
    shapes::older_programs_cannot_overwrite_newer_items,
    shapes::a_rolling_deploy_loses_no_field,
    shapes::a_backfill_rewrites_older_items_and_the_feed_says_so,
    shapes::a_backfill_resumes_and_keeps_concurrent_writes,
    shapes::random_older_values_upgrade_without_loss,
    key_moves::reads_by_key_fall_back_to_the_old_key,
    key_moves::writes_move_the_item_first,
    key_moves::a_backfill_moves_every_old_item,
    key_moves::concurrent_writers_move_an_item_once,
    key_moves::an_old_copy_written_after_the_move_is_reported,
    key_moves::an_interrupted_move_resumes_and_keeps_concurrent_writes,
    key_moves::a_versioned_item_keeps_its_version_when_it_moves,
    feed::every_write_path_records_its_change,
    feed::only_committed_writes_are_recorded,
    feed::readers_resume_from_a_saved_cursor,
    feed::expiry_removals_are_flagged,
    feed::writes_that_change_nothing_record_nothing,
    feed::writes_over_expired_items_record_the_same_everywhere,
    feed::consumers_resume_from_their_checkpoint_under_a_lease,
    feed::a_feed_reads_as_a_stream,
    feed::a_dropped_table_starts_a_new_feed,
    ttl::expired_items_are_hidden_from_every_read,
    ttl::writes_see_expired_items_as_absent,
    ttl::expired_items_are_swept,
    ttl::a_background_sweeper_sweeps,
    collections::entities_live_in_their_own_partitions,
    collections::a_collection_reads_a_partition_as_its_entities,
    collections::an_order_is_read_with_its_children,
    collections::entity_queries_skip_nested_items,
    collections::a_parent_is_deleted_alone,
    collections::an_index_collection_reads_an_index_partition,
    capacity::reads_and_writes_cost_the_same_units_everywhere,
    capacity::an_index_query_is_an_eventually_consistent_read,
    capacity::refused_writes_consume_nothing_and_write_nothing,
    indexes::index_queries_read_across_partitions,
    indexes::sparse_membership_follows_the_fields,
    indexes::every_write_path_keeps_index_keys,
    indexes::keys_only_patterns_return_keys,
    indexes::filters_count_evaluated_items,
    indexes::index_keys_obey_the_key_limits,
    indexes::index_items_count_their_keys_in_the_size,
    indexes::an_index_added_later_holds_the_items_written_before,
    indexes::index_pages_stop_at_one_megabyte_before_the_filter,
    indexes::querying_an_index_the_table_lacks_is_a_typed_error,
    crud::tables_are_created_once,
    crud::tables_are_dropped_and_created_again,
    crud::queries_read_write_times,
    crud::missing_tables_are_reported,
    crud::put_then_get_round_trips_every_entity,
    crud::put_replaces_and_keeps_created_at,
    crud::create_never_overwrites,
    crud::delete_and_delete_returning,
    crud::items_that_no_longer_decode_are_reported,
    crud::serialize_errors_are_typed,
    crud::any_dynamodb_table_name_works,
    crud::put_drops_attributes_the_new_item_lacks,
    crud::errors_say_each_message_once,
    queries::every_access_pattern_matches_the_reference,
    queries::whole_partition_yields_table_values,
    queries::invalid_queries_are_rejected,
    queries::enum_ranges_follow_declaration_order,
    queries::ranges_reach_keys_of_the_full_length,
    queries::eventually_consistent_reads_find_settled_items,
    random::random_queries_match_the_reference,
    pagination::pages_resume_exactly_forward_and_reverse,
    pagination::cursors_belong_to_their_query,
    pagination::cursor_survives_deleting_its_item,
    pagination::pages_stop_after_one_megabyte,
    pagination::take_bounds_a_read_and_streams_read_page_by_page,
    pagination::forged_cursors_get_one_typed_error,
    pagination::signed_cursors_are_accepted_by_their_key_only,
    pagination::unknown_items_are_skipped_and_counted,
    projections::views_hold_the_key_and_projected_fields,
    projections::view_filters_read_projected_attributes,
    projections::view_pages_stop_at_one_megabyte_of_projected_entries,
    projections::projected_entries_are_charged_their_own_size,
    counts::counts_are_the_items_a_read_returns,
    counts::counted_pages_stop_after_one_megabyte,
    counts::index_queries_count_their_entries,
    counts::a_count_costs_what_its_read_costs,
    counts::counts_skip_what_the_read_skips,
    uniques::every_write_path_keeps_values_unique,
    uniques::transactions_keep_values_unique,
    uniques::the_check_finds_orphans_and_missing_markers,
    uniques::racing_writers_claim_each_value_once,
    uniques::the_feed_carries_items_not_markers,
    uniques::versions_creating_updates_and_tokens_keep_values_unique,
    ttl::expired_items_are_not_counted,
    limits::item_size_boundary,
    limits::partition_key_boundary,
    limits::sort_key_boundary,
    limits::empty_partition_keys,
    limits::nesting_boundary,
    limits::numbers,
    limits::reserved_attribute_names,
    batch::put_all_writes_everything,
    batch::put_all_is_all_or_nothing,
    concurrency::concurrent_creates_have_one_winner,
    concurrency::concurrent_writers_all_land,
    concurrency::futures_do_not_need_sync_entities,
    concurrency::readers_never_see_a_mixed_item,
    concurrency::racing_writers_leave_one_whole_item,
    concurrency::a_put_cut_short_leaves_the_old_item_or_the_new_one,
    concurrency::futures_do_nothing_until_polled,
    concurrency::a_put_all_cut_short_leaves_whole_items,
    copy::copy_table_moves_everything_and_verifies,
    copy::copy_table_of_nothing,
    domains::document_domain_end_to_end,
    conditions::failed_conditions_write_nothing_and_carry_the_item,
    conditions::conditions_follow_dynamodb_rules,
    updates::updates_change_items_in_place,
    updates::an_update_that_creates_returns_no_old_item,
    updates::an_update_may_create_without_defaulted_fields,
    versions::versions_guard_every_write_path,
    versions::modify_reads_changes_and_writes_back,
    transactions::transactions_are_all_or_nothing,
    transactions::a_token_applies_a_transaction_once,
    transactions::batch_and_transactional_reads_keep_the_callers_order,
    updates::updated_at_follows_every_write,
    sets::sets_add_delete_and_vanish_when_empty,
    sets::sets_count_their_elements_in_the_item_size,
    concurrency::no_update_is_lost,
    concurrency::transfers_keep_the_total,
}

/// Date and time keys, with the features that provide them.
#[cfg(all(feature = "chrono", feature = "time"))]
mod date_keys {
    backends! {
        dates::date_keys_sort_and_select_by_date,
        dates::offset_date_time_keys_are_instants,
    }
}
