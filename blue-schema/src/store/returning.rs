//! What an update returns: nothing, the old item or the new one.

/// Nothing (`()`).
#[derive(Debug, Clone, Copy)]
pub enum Nothing {}
/// The item before the update, `Option<E>` (`None`: the update created it).
#[derive(Debug, Clone, Copy)]
pub enum Old {}
/// The item after the update, `E`.
#[derive(Debug, Clone, Copy)]
pub enum New {}
