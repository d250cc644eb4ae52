//! Audit: `can` answers whether a runner's role may do something, and which spec line grants
//! it ([`table`] reads a file of such requests with their expected answers); `drift` compares the compiled roles with a live account's export.

pub mod can;
pub mod drift;
pub mod managed;
pub mod table;
