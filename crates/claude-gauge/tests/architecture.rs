//! The layout rules of `docs/architecture.md`, checked on the source tree so they cannot rot:
//! no crate of the workspace has a module import cycle (at any level of its tree) and no file
//! over about 600 non-test lines; in the daemon, sources do not use the engine, the HTTP
//! transport does not reach into the sources, the ledger does not use `limits`; and the
//! architecture doc names every top-level module of the daemon.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

#[path = "../../claude-usage/tests/module_checker.rs"]
mod module_checker;

/// The longest a file may be, in lines outside `#[cfg(test)]` items.
const MAX_LINES: usize = 600;

/// Every crate's source tree, and its generated files (exempt from the size rule).
const CRATES: [(&str, &[&str]); 6] = [
    ("crates/gauge-core/src", &[]),
    (
        "crates/claude-usage/src",
        &["pricing/table.rs", "pricing/newer.rs"],
    ),
    ("crates/gauge-daemon/src", &[]),
    ("crates/claude-gauge/src", &[]),
    ("crates/gauge-wasm/src", &[]),
    ("firmware/src", &[]),
];

/// The daemon library's sources: the layers below are its top-level modules.
fn crate_src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../gauge-daemon/src")
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn rust_files(dir: &Path, files: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, files);
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
}

/// The top-level module a file belongs to (`src/sources/otlp/mod.rs` -> `sources`), or `None`
/// for the crate root.
fn top_module(src: &Path, file: &Path) -> Option<String> {
    let relative = file.strip_prefix(src).ok()?;
    let first = relative.components().next()?.as_os_str().to_str()?;
    match first.strip_suffix(".rs") {
        Some("lib") => None,
        Some(module) => Some(module.to_string()),
        None => Some(first.to_string()),
    }
}

/// Every top-level module named after `crate::` in `text`, including each item of a
/// `crate::{a, b::c}` group.
fn crate_references(text: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let ident = |s: &str| -> String {
        s.trim_start()
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect()
    };
    let mut rest = text;
    while let Some(at) = rest.find("crate::") {
        let after = &rest[at + "crate::".len()..];
        if let Some(group) = after.strip_prefix('{') {
            let mut depth = 0usize;
            let mut item_start = true;
            for (i, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => item_start = true,
                    c if item_start && !c.is_whitespace() => {
                        found.insert(ident(&group[i..]));
                        item_start = false;
                    }
                    _ => {}
                }
            }
        } else {
            found.insert(ident(after));
        }
        rest = after;
    }
    found.retain(|name| !name.is_empty());
    found
}

/// Top-level module -> the top-level modules it uses.
fn module_graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = crate_src();
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in files {
        let Some(module) = top_module(&src, &file) else {
            continue;
        };
        let text = std::fs::read_to_string(&file).expect("read a source file");
        let uses = graph.entry(module.clone()).or_default();
        uses.extend(crate_references(&text).into_iter().filter(|m| *m != module));
    }
    graph
}

/// A cycle through `graph`, if there is one.
fn find_cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|n| n == node) {
            let mut cycle = path[at..].to_vec();
            cycle.push(node.to_string());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|node| visit(node, graph, &mut Vec::new(), &mut done))
}

#[test]
fn the_reference_parser_reads_groups_and_paths() {
    let text = "use crate::{engine::{A, B}, ledger};\nlet x = crate::clock::now();\n// crate::\n";
    let found: Vec<String> = crate_references(text).into_iter().collect();
    assert_eq!(found, ["clock", "engine", "ledger"]);
    let mut graph = BTreeMap::new();
    graph.insert("a".to_string(), BTreeSet::from(["b".to_string()]));
    graph.insert("b".to_string(), BTreeSet::from(["a".to_string()]));
    assert_eq!(
        find_cycle(&graph),
        Some(vec!["a".into(), "b".into(), "a".into()])
    );
}

#[test]
fn top_level_modules_import_each_other_without_a_cycle() {
    let graph = module_graph();
    assert!(graph.contains_key("sources") && graph.contains_key("engine"));
    if let Some(cycle) = find_cycle(&graph) {
        panic!("import cycle: {}", cycle.join(" -> "));
    }
}

#[test]
fn each_layer_uses_only_what_lies_below_it() {
    let graph = module_graph();
    let forbidden = [
        ("sources", "engine"),
        ("serve", "sources"),
        ("ledger", "limits"),
        ("ledger", "engine"),
        ("ledger", "sources"),
        ("engine", "sources"),
        ("engine", "ledger"),
        ("access", "engine"),
        ("access", "sources"),
        ("access", "serve"),
    ];
    for (from, to) in forbidden {
        assert!(
            !graph.get(from).is_some_and(|uses| uses.contains(to)),
            "`{from}` must not use `{to}`: {:?}",
            graph.get(from)
        );
    }
}

#[test]
fn no_crate_has_a_module_cycle() {
    for (src, _) in CRATES {
        module_checker::assert_no_cycles(&workspace_root().join(src));
    }
}

#[test]
fn no_source_file_is_over_the_line_limit() {
    for (src, exempt) in CRATES {
        module_checker::assert_file_sizes(&workspace_root().join(src), MAX_LINES, exempt);
    }
}

#[test]
fn the_architecture_doc_names_every_top_level_module() {
    let doc = std::fs::read_to_string(workspace_root().join("docs/architecture.md"))
        .expect("docs/architecture.md");
    for module in module_graph().keys() {
        let as_dir = format!("src/{module}/");
        let as_file = format!("src/{module}.rs");
        assert!(
            doc.contains(&as_dir) || doc.contains(&as_file),
            "docs/architecture.md does not name `{module}` (as `{as_dir}` or `{as_file}`)"
        );
    }
}
