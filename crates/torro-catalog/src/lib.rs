//! The catalog store. One object-safe trait ([`CatalogStore`]); the backend is
//! chosen at run time from the database URL by [`connect`].

mod error;
mod store;

pub use error::{CatalogError, Result};
pub use store::{Backend, CatalogStore};
