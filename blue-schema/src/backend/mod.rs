//! The databases a [`Store`](crate::Store) runs on: embedded [`sqlite`] and
//! [`dynamodb`].
//!
//! [`Backend`] is sealed: the two backends are the only ones. Each is held to
//! one contract (the same items, order, pages, cursors, errors and limits),
//! which the parity suite checks by running the same tests on both and
//! comparing them side by side. A sealed trait can grow with the library's
//! operations without breaking anyone, and cannot admit a backend that
//! nobody checked against the contract. Inside the crate, each backend implements one method per
//! operation of the backend-neutral IR, over items in its own encoding.

#[cfg(feature = "dynamodb")]
pub mod dynamodb;
pub(crate) mod engine;
#[cfg(feature = "sqlite")]
pub mod sqlite;

pub use engine::is_valid_table_name;

pub(crate) use dispatch::AnyBackend;

/// A database a [`Store`](crate::Store) can run on:
/// [`SqliteBackend`](sqlite::SqliteBackend) or
/// [`DynamoDbBackend`](dynamodb::DynamoDbBackend). Sealed; see the
/// [module documentation](self).
pub trait Backend: dispatch::Sealed + Send + Sync + 'static {
    /// A short name for messages: `sqlite`, `dynamodb`.
    fn name(&self) -> &'static str;
}

/// The closed set of backends, behind the sealed [`Backend`] trait.
mod dispatch {
    /// Implemented by the backends of this crate only.
    pub trait Sealed {
        fn into_any(self) -> AnyBackend;
    }

    /// A store's backend. Reachable only inside the crate.
    #[derive(Clone)]
    pub enum AnyBackend {
        #[cfg(feature = "sqlite")]
        Sqlite(super::sqlite::SqliteBackend),
        #[cfg(feature = "dynamodb")]
        DynamoDb(super::dynamodb::DynamoDbBackend),
    }

    #[cfg(feature = "sqlite")]
    impl super::Backend for super::sqlite::SqliteBackend {
        fn name(&self) -> &'static str {
            "sqlite"
        }
    }

    #[cfg(feature = "dynamodb")]
    impl super::Backend for super::dynamodb::DynamoDbBackend {
        fn name(&self) -> &'static str {
            "dynamodb"
        }
    }

    #[cfg(feature = "sqlite")]
    impl Sealed for super::sqlite::SqliteBackend {
        fn into_any(self) -> AnyBackend {
            AnyBackend::Sqlite(self)
        }
    }

    #[cfg(feature = "dynamodb")]
    impl Sealed for super::dynamodb::DynamoDbBackend {
        fn into_any(self) -> AnyBackend {
            AnyBackend::DynamoDb(self)
        }
    }

    impl AnyBackend {
        /// The same database, with a fresh meter of capacity units.
        pub(crate) fn metered(&self) -> AnyBackend {
            match *self {
                #[cfg(feature = "sqlite")]
                AnyBackend::Sqlite(ref b) => AnyBackend::Sqlite(b.metered()),
                #[cfg(feature = "dynamodb")]
                AnyBackend::DynamoDb(ref b) => AnyBackend::DynamoDb(b.metered()),
            }
        }

        /// The meter, for a metered store.
        pub(crate) fn meter(&self) -> Option<&crate::capacity::Meter> {
            match *self {
                #[cfg(feature = "sqlite")]
                AnyBackend::Sqlite(ref b) => b.meter(),
                #[cfg(feature = "dynamodb")]
                AnyBackend::DynamoDb(ref b) => b.meter(),
            }
        }

        pub(crate) fn name(&self) -> &'static str {
            match *self {
                #[cfg(feature = "sqlite")]
                AnyBackend::Sqlite(_) => "sqlite",
                #[cfg(feature = "dynamodb")]
                AnyBackend::DynamoDb(_) => "dynamodb",
            }
        }
    }
}

/// Runs `$body` with `$engine` bound to the store's backend, whatever it is.
/// Each arm is its own monomorphic code; a future made in `$body` is boxed
/// to one type.
macro_rules! with_engine {
    ($backend:expr, $engine:ident => $body:expr) => {
        match $backend {
            #[cfg(feature = "sqlite")]
            $crate::backend::AnyBackend::Sqlite($engine) => $body,
            #[cfg(feature = "dynamodb")]
            $crate::backend::AnyBackend::DynamoDb($engine) => $body,
        }
    };
}
pub(crate) use with_engine;
