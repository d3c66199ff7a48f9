//! Integration tests of claude-usage: the real ccusage 20.0.24 against our reports, and the
//! cold scan against the live tail on the same corpus.

mod architecture;
mod cache;
mod claude_code;
mod corpus;
mod fuzz_replay;
mod module_checker;
mod parity;
mod paths;
mod pricing;
