//! Integration tests of claude-usage: the real ccusage 20.0.24 against our reports.
