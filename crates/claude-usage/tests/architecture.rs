//! claude-usage's shape, checked with `module_checker.rs`: no module import cycle, and no file
//! over about 600 non-test lines.

use std::path::{Path, PathBuf};

use crate::module_checker::{assert_file_sizes, assert_no_cycles};

fn claude_usage_src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

#[test]
fn claude_usage_has_no_module_cycle() {
    assert_no_cycles(&claude_usage_src());
}

#[test]
fn claude_usage_files_stay_under_600_non_test_lines() {
    // The price tables are generated (see their headers) and exempt.
    assert_file_sizes(
        &claude_usage_src(),
        600,
        &["pricing/table.rs", "pricing/newer.rs"],
    );
}
