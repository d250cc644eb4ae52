//! Review: `diff` says what a change to the specs grants or removes ([`diff`]), read from git
//! or folders ([`sides`]) and written for people, pull requests or tools ([`render`]).

pub mod diff;
pub mod render;
pub mod sides;
