//! Review: `diff` says what a change to the specs grants or removes ([`diff`]), read from git
//! or folders ([`sides`]) and written for people, pull requests or tools ([`render`]);
//! `import` turns hand-made roles into a spec, with what adoption would remove ([`import`]).

pub mod diff;
pub mod import;
pub mod render;
pub mod sides;
