//! The access model every question stands on: IAM policy documents read back from JSON
//! ([`policy`]), IAM's wildcards ([`wildcard`]), one evaluator of a request ([`evaluate`]), one
//! containment test of grants ([`contain`]) and the search for a request that proves a
//! difference ([`witness`]). `can` and `drift` (in `audit`) and `diff` (in `review`) are front
//! ends on it; it reads IAM JSON and knows nothing of specs.

pub mod contain;
pub mod evaluate;
pub mod policy;
pub mod wildcard;
pub mod witness;
