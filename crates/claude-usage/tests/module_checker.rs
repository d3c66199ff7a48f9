//! The module-graph checker: no module import cycle, and no file over a number of non-test
//! lines. Std only; `crates/claude-usage/tests/architecture.rs` applies it to this crate and
//! `crates/claude-gauge/tests/architecture.rs` (which includes this file) to every crate.
//!
//! **The module graph.** A module is a file: `lib.rs`/`main.rs` is the crate root, `a.rs` and
//! `a/mod.rs` are `a`, `a/b.rs` is `a::b`. The tree is read from the `mod name;` declarations,
//! starting at the root. Module A has an edge to module B when the non-test code of A's file
//! names a path into B: in a `use` (`use crate::…`, `use super::…`, `use self::…`, or through a
//! child module's name) or inline (`crate::scan::LineCounts`, `format::split_file(…)`). A path
//! that names an item a module only imports (`pub use format::FormatError;` in `cache/mod.rs`,
//! then `crate::cache::FormatError` elsewhere) is followed to the module the item comes from.
//! A `mod` declaration alone is not an edge: a parent that only declares its children does
//! not depend on them.
//!
//! **The rule: layers between siblings, at every level.** For every module P, the nodes are
//! P's children, and every edge between two different children's subtrees is lifted to those
//! two children (an edge from `report::table` to `scan` counts, at the root, as
//! `report -> scan`). At every level that graph must have no cycle: two siblings must not use
//! each other, even through their descendants. Edges between a module and its own ancestor do
//! not count, either way: a parent is its children's namespace (it declares them, re-exports
//! them, dispatches to them), and a child may use the types its parent's file defines. The
//! price of that rule: a cycle that runs through a parent's own file (child `a` uses its
//! parent's item, which uses sibling `b`, which uses `a`) is not seen.
//!
//! **Test code does not count.** An item under `#[cfg(test)]` (a `mod tests { … }`, a
//! `mod tests;` and its file, a test-only helper) is cut out before anything is read, and its
//! lines do not count against the file size. `#[cfg(any(test, …))]` code is not test-only and
//! counts. Comments, doc comments and string literals are never read as paths.
//!
//! Not supported (the checker panics or ignores, and says which): `#[path]` on a module
//! declaration, `mod` declarations inside inline modules, and `src/bin/` (each is its own crate:
//! pass its directory instead).

#![allow(dead_code)]

use std::{
    collections::{BTreeMap, BTreeSet, HashMap},
    fmt::Write as _,
    fs,
    path::{Path, PathBuf},
};

/// Panics, printing every cycle and the line that makes each of its edges, when the module
/// graph of the crate whose sources are in `src_dir` has a cycle at any level (module doc).
pub(crate) fn assert_no_cycles(src_dir: &Path) {
    let crate_ = Crate::load(src_dir);
    let edges = crate_.edges();
    let mut report = String::new();
    for parent in crate_.modules.keys() {
        for cycle in level_cycles(&crate_, parent, &edges) {
            report.push_str(&cycle);
        }
    }
    assert!(
        report.is_empty(),
        "module cycles in {} (each edge with the first line that makes it):\n{report}",
        src_dir.display()
    );
}

/// Panics, listing the files, when a module file of the crate in `src_dir` has more than
/// `max_lines` lines outside `#[cfg(test)]` items. `exempt` holds paths relative to `src_dir`
/// with `/` separators (generated files).
pub(crate) fn assert_file_sizes(src_dir: &Path, max_lines: usize, exempt: &[&str]) {
    let crate_ = Crate::load(src_dir);
    let mut over = String::new();
    for module in crate_.modules.values() {
        let relative = relative_name(src_dir, &module.file);
        if module.non_test_lines > max_lines && !exempt.contains(&relative.as_str()) {
            let _ = writeln!(
                over,
                "  {relative}: {} non-test lines",
                module.non_test_lines
            );
        }
    }
    assert!(
        over.is_empty(),
        "files over {max_lines} non-test lines in {} (split by role or noun, not by count):\n{over}",
        src_dir.display()
    );
}

/// A module's path from the crate root (`[]` is the root).
type ModulePath = Vec<String>;

/// One module file, its test items cut out.
struct Module {
    file: PathBuf,
    tokens: Vec<Token>,
    children: BTreeSet<String>,
    non_test_lines: usize,
    /// Names its top-level `use`s bring in, as absolute paths inside the crate.
    imports: HashMap<String, Vec<String>>,
}

struct Crate {
    src_dir: PathBuf,
    modules: BTreeMap<ModulePath, Module>,
}

/// An edge's evidence: the file, line and path that make it.
#[derive(Clone)]
struct Evidence {
    file: PathBuf,
    line: usize,
    path: String,
}

/// Concrete edges between modules, each with its first evidence.
type Edges = BTreeMap<(ModulePath, ModulePath), Evidence>;

impl Crate {
    fn load(src_dir: &Path) -> Crate {
        let root = ["lib.rs", "main.rs"]
            .iter()
            .map(|name| src_dir.join(name))
            .find(|path| path.is_file())
            .unwrap_or_else(|| panic!("no lib.rs or main.rs in {}", src_dir.display()));
        let mut crate_ = Crate {
            src_dir: src_dir.to_path_buf(),
            modules: BTreeMap::new(),
        };
        crate_.load_module(Vec::new(), root);
        let paths: Vec<ModulePath> = crate_.modules.keys().cloned().collect();
        for path in paths {
            let imports = crate_.imports_of(&path);
            if let Some(module) = crate_.modules.get_mut(&path) {
                module.imports = imports;
            }
        }
        crate_
    }

    fn load_module(&mut self, path: ModulePath, file: PathBuf) {
        let source = fs::read_to_string(&file)
            .unwrap_or_else(|error| panic!("cannot read {}: {error}", file.display()));
        let (tokens, test_spans) = strip_test_items(lex(&source));
        let total_lines = source.lines().count();
        let non_test_lines = (1..=total_lines)
            .filter(|line| !test_spans.iter().any(|(a, b)| (a..=b).contains(&line)))
            .count();
        let children = declared_children(&tokens, &file);
        let child_dir = match file.file_name().and_then(|name| name.to_str()) {
            Some("mod.rs" | "lib.rs" | "main.rs") => file.parent().map(Path::to_path_buf),
            _ => file
                .parent()
                .zip(file.file_stem())
                .map(|(dir, stem)| dir.join(stem)),
        }
        .unwrap_or_default();
        for child in &children {
            let candidates = [
                child_dir.join(format!("{child}.rs")),
                child_dir.join(child).join("mod.rs"),
            ];
            let Some(child_file) = candidates.into_iter().find(|c| c.is_file()) else {
                panic!(
                    "module `{child}` of {} has no {child}.rs or {child}/mod.rs in {} \
                     (#[path] is not supported)",
                    file.display(),
                    child_dir.display()
                );
            };
            let mut child_path = path.clone();
            child_path.push(child.clone());
            self.load_module(child_path, child_file);
        }
        let module = Module {
            file,
            tokens,
            children,
            non_test_lines,
            imports: HashMap::new(),
        };
        self.modules.insert(path, module);
    }

    /// The names a module's top-level `use`s bring in, made absolute.
    fn imports_of(&self, path: &ModulePath) -> HashMap<String, Vec<String>> {
        let module = &self.modules[path];
        let mut imports = HashMap::new();
        for found in paths_in(&module.tokens) {
            let (true, Some(name)) = (found.is_top_level_use, found.binding.clone()) else {
                continue;
            };
            if let Some(absolute) = absolute(&found, path, &module.children) {
                imports.insert(name, absolute);
            }
        }
        imports
    }

    /// The module an absolute path lands in, following imports (re-exports) of items.
    fn resolve(&self, absolute: &[String], depth: usize) -> ModulePath {
        let mut node: ModulePath = Vec::new();
        for (index, segment) in absolute.iter().enumerate() {
            let mut child = node.clone();
            child.push(segment.clone());
            if self.modules.contains_key(&child) {
                node = child;
                continue;
            }
            let imported = self.modules[&node].imports.get(segment);
            if let (Some(target), true) = (imported, depth < 16) {
                let mut full = target.clone();
                full.extend_from_slice(&absolute[index + 1..]);
                return self.resolve(&full, depth + 1);
            }
            return node;
        }
        node
    }

    fn edges(&self) -> Edges {
        let mut edges = Edges::new();
        for (path, module) in &self.modules {
            for found in paths_in(&module.tokens) {
                let Some(absolute) = absolute(&found, path, &module.children) else {
                    continue;
                };
                let target = self.resolve(&absolute, 0);
                if &target != path {
                    edges
                        .entry((path.clone(), target))
                        .or_insert_with(|| Evidence {
                            file: module.file.clone(),
                            line: found.line,
                            path: found.segments.join("::"),
                        });
                }
            }
        }
        edges
    }
}

/// The cycles among `parent`'s children, one per strongly connected group, each as printable
/// lines.
fn level_cycles(crate_: &Crate, parent: &ModulePath, edges: &Edges) -> Vec<String> {
    let depth = parent.len();
    // The child of `parent` holding `module`; none for modules outside `parent` and for
    // `parent` itself (edges to and from an ancestor do not count).
    let node_of = |module: &ModulePath| -> Option<String> {
        if module.starts_with(parent) {
            module.get(depth).cloned()
        } else {
            None
        }
    };
    let mut graph: BTreeMap<String, BTreeMap<String, &Evidence>> = BTreeMap::new();
    for ((from, to), evidence) in edges {
        if let (Some(a), Some(b)) = (node_of(from), node_of(to)) {
            if a != b {
                graph.entry(a).or_default().entry(b).or_insert(evidence);
            }
        }
    }
    let level = if parent.is_empty() {
        "the crate root".to_string()
    } else {
        format!("`{}`", parent.join("::"))
    };
    let mut out = Vec::new();
    for (group, cycle) in find_cycles(&graph) {
        let mut text = format!(
            "  under {level}: {} -> {} (all of {} use each other)\n",
            cycle.join(" -> "),
            cycle[0],
            group.join(", ")
        );
        for (index, from) in cycle.iter().enumerate() {
            let to = &cycle[(index + 1) % cycle.len()];
            let evidence = graph[from][to];
            let _ = writeln!(
                text,
                "    {from} -> {to}: {}:{} `{}`",
                relative_name(&crate_.src_dir, &evidence.file),
                evidence.line,
                evidence.path
            );
        }
        out.push(text);
    }
    out
}

/// Each strongly connected group of more than one node, with one cycle in it (Tarjan, then a
/// walk inside the group back to its first node).
fn find_cycles<E>(
    graph: &BTreeMap<String, BTreeMap<String, E>>,
) -> Vec<(Vec<String>, Vec<String>)> {
    struct Tarjan<'g, E> {
        graph: &'g BTreeMap<String, BTreeMap<String, E>>,
        index: HashMap<&'g str, usize>,
        low: HashMap<&'g str, usize>,
        stack: Vec<&'g str>,
        groups: Vec<Vec<&'g str>>,
    }
    impl<'g, E> Tarjan<'g, E> {
        fn visit(&mut self, node: &'g str) {
            let next = self.index.len();
            self.index.insert(node, next);
            self.low.insert(node, next);
            self.stack.push(node);
            for target in self.graph.get(node).into_iter().flat_map(BTreeMap::keys) {
                if !self.index.contains_key(target.as_str()) {
                    self.visit(target);
                    let low = self.low[node].min(self.low[target.as_str()]);
                    self.low.insert(node, low);
                } else if self.stack.contains(&target.as_str()) {
                    let low = self.low[node].min(self.index[target.as_str()]);
                    self.low.insert(node, low);
                }
            }
            if self.low[node] == self.index[node] {
                let at = self.stack.iter().rposition(|n| *n == node).unwrap_or(0);
                self.groups.push(self.stack.split_off(at));
            }
        }
    }
    let mut tarjan = Tarjan {
        graph,
        index: HashMap::new(),
        low: HashMap::new(),
        stack: Vec::new(),
        groups: Vec::new(),
    };
    for node in graph.keys() {
        if !tarjan.index.contains_key(node.as_str()) {
            tarjan.visit(node);
        }
    }
    let mut cycles = Vec::new();
    for mut group in tarjan.groups.into_iter().filter(|group| group.len() > 1) {
        group.sort_unstable();
        let names = group.iter().map(|node| (*node).to_string()).collect();
        cycles.push((names, cycle_in(graph, &group)));
    }
    cycles
}

/// A shortest cycle through the group's first node, staying inside the group.
fn cycle_in<E>(graph: &BTreeMap<String, BTreeMap<String, E>>, group: &[&str]) -> Vec<String> {
    let start = group[0];
    let mut previous: HashMap<&str, &str> = HashMap::new();
    let mut queue = std::collections::VecDeque::from([start]);
    while let Some(node) = queue.pop_front() {
        for target in graph.get(node).into_iter().flat_map(BTreeMap::keys) {
            let target = target.as_str();
            if target == start {
                let mut cycle = vec![node.to_string()];
                let mut at = node;
                while at != start {
                    at = previous[at];
                    cycle.push(at.to_string());
                }
                cycle.reverse();
                return cycle;
            }
            if group.contains(&target) && !previous.contains_key(target) {
                previous.insert(target, node);
                queue.push_back(target);
            }
        }
    }
    group.iter().map(|node| (*node).to_string()).collect()
}

fn relative_name(src_dir: &Path, file: &Path) -> String {
    let relative = file.strip_prefix(src_dir).unwrap_or(file);
    let parts: Vec<String> = relative
        .components()
        .map(|part| part.as_os_str().to_string_lossy().into_owned())
        .collect();
    parts.join("/")
}

// ---- Reading Rust source ----------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    /// `::`
    PathSep,
    Punct(char),
    /// A string, char or number literal (its text is never needed).
    Literal,
}

#[derive(Debug, Clone)]
struct Token {
    tok: Tok,
    line: usize,
}

impl Token {
    fn is_punct(&self, ch: char) -> bool {
        self.tok == Tok::Punct(ch)
    }

    fn is_ident(&self, word: &str) -> bool {
        matches!(&self.tok, Tok::Ident(ident) if ident == word)
    }

    fn ident(&self) -> Option<&str> {
        match &self.tok {
            Tok::Ident(ident) => Some(ident),
            _ => None,
        }
    }
}

fn is_ident_start(ch: char) -> bool {
    ch == '_' || ch.is_alphabetic()
}

fn is_ident_continue(ch: char) -> bool {
    ch == '_' || ch.is_alphanumeric()
}

/// The tokens of `source` that matter for paths: comments are dropped, literals are opaque.
fn lex(source: &str) -> Vec<Token> {
    let chars: Vec<char> = source.chars().collect();
    let mut lexer = Lexer {
        chars: &chars,
        at: 0,
        line: 1,
        tokens: Vec::new(),
    };
    while lexer.at < chars.len() {
        lexer.step();
    }
    lexer.tokens
}

struct Lexer<'a> {
    chars: &'a [char],
    at: usize,
    line: usize,
    tokens: Vec<Token>,
}

impl Lexer<'_> {
    fn peek(&self, offset: usize) -> Option<char> {
        self.chars.get(self.at + offset).copied()
    }

    fn push(&mut self, tok: Tok, line: usize) {
        self.tokens.push(Token { tok, line });
    }

    /// Moves past one character, counting lines.
    fn bump(&mut self) {
        if self.peek(0) == Some('\n') {
            self.line += 1;
        }
        self.at += 1;
    }

    fn step(&mut self) {
        let (ch, next, line) = (self.chars[self.at], self.peek(1), self.line);
        match ch {
            _ if ch.is_whitespace() => self.bump(),
            '/' if next == Some('/') => {
                while self.peek(0).is_some_and(|c| c != '\n') {
                    self.bump();
                }
            }
            '/' if next == Some('*') => self.block_comment(),
            '"' => {
                self.bump();
                self.string_body();
                self.push(Tok::Literal, line);
            }
            '\'' => self.quote(),
            ':' if next == Some(':') => {
                self.at += 2;
                self.push(Tok::PathSep, line);
            }
            _ if is_ident_start(ch) => self.word(),
            _ if ch.is_ascii_digit() => {
                while self.peek(0).is_some_and(|c| {
                    is_ident_continue(c)
                        || (c == '.' && self.peek(1).is_some_and(|d| d.is_ascii_digit()))
                }) {
                    self.bump();
                }
                self.push(Tok::Literal, line);
            }
            _ => {
                self.bump();
                self.push(Tok::Punct(ch), line);
            }
        }
    }

    fn block_comment(&mut self) {
        let mut depth = 0;
        while let Some(ch) = self.peek(0) {
            if ch == '/' && self.peek(1) == Some('*') {
                depth += 1;
                self.at += 2;
            } else if ch == '*' && self.peek(1) == Some('/') {
                depth -= 1;
                self.at += 2;
                if depth == 0 {
                    return;
                }
            } else {
                self.bump();
            }
        }
    }

    /// After the opening `"`: up to and past the closing one.
    fn string_body(&mut self) {
        while let Some(ch) = self.peek(0) {
            self.bump();
            match ch {
                '\\' => self.bump(),
                '"' => return,
                _ => {}
            }
        }
    }

    /// A char literal (`'a'`, `'\n'`, `'\u{1F600}'`) or a lifetime/label (`'a`).
    fn quote(&mut self) {
        let line = self.line;
        if self.peek(1) == Some('\\') {
            self.at += 3;
            while self.peek(0).is_some_and(|c| c != '\'') {
                self.bump();
            }
            self.bump();
            self.push(Tok::Literal, line);
        } else if self.peek(2) == Some('\'') {
            self.at += 3;
            self.push(Tok::Literal, line);
        } else {
            self.bump();
            while self.peek(0).is_some_and(is_ident_continue) {
                self.bump();
            }
        }
    }

    /// An identifier or keyword, a raw identifier (`r#type`), or a prefixed string (`b"…"`,
    /// `r#"…"#`, `br"…"`, `b'x'`).
    fn word(&mut self) {
        let (start, line) = (self.at, self.line);
        while self.peek(0).is_some_and(is_ident_continue) {
            self.at += 1;
        }
        let word: String = self.chars[start..self.at].iter().collect();
        let is_raw_prefix = matches!(word.as_str(), "r" | "br" | "cr");
        if word == "r" && self.peek(0) == Some('#') && self.peek(1).is_some_and(is_ident_start) {
            self.at += 1;
            return self.word();
        }
        if is_raw_prefix && matches!(self.peek(0), Some('"' | '#')) {
            return self.raw_string(line);
        }
        if matches!(word.as_str(), "b" | "c") && self.peek(0) == Some('"') {
            self.bump();
            self.string_body();
            return self.push(Tok::Literal, line);
        }
        if word == "b" && self.peek(0) == Some('\'') {
            return self.quote();
        }
        self.push(Tok::Ident(word), line);
    }

    /// After `r`/`br`/`cr`: `#…#"…"#…#`.
    fn raw_string(&mut self, line: usize) {
        let mut hashes = 0;
        while self.peek(0) == Some('#') {
            hashes += 1;
            self.at += 1;
        }
        if self.peek(0) != Some('"') {
            return;
        }
        self.bump();
        while let Some(ch) = self.peek(0) {
            self.bump();
            if ch == '"' && (0..hashes).all(|k| self.peek(k) == Some('#')) {
                self.at += hashes;
                break;
            }
        }
        self.push(Tok::Literal, line);
    }
}

/// Cuts every `#[cfg(test)]` item out of `tokens`; returns the rest and the line spans cut.
fn strip_test_items(tokens: Vec<Token>) -> (Vec<Token>, Vec<(usize, usize)>) {
    let mut kept = Vec::with_capacity(tokens.len());
    let mut spans = Vec::new();
    let mut at = 0;
    while at < tokens.len() {
        if !is_cfg_test(&tokens[at..]) {
            kept.push(tokens[at].clone());
            at += 1;
            continue;
        }
        let end = item_end(&tokens, at + 7);
        spans.push((tokens[at].line, tokens[end.min(tokens.len() - 1)].line));
        at = end + 1;
    }
    (kept, spans)
}

fn is_cfg_test(tokens: &[Token]) -> bool {
    let shape = [
        Tok::Punct('#'),
        Tok::Punct('['),
        Tok::Ident("cfg".into()),
        Tok::Punct('('),
        Tok::Ident("test".into()),
        Tok::Punct(')'),
        Tok::Punct(']'),
    ];
    tokens.len() >= shape.len()
        && tokens
            .iter()
            .zip(&shape)
            .all(|(token, tok)| &token.tok == tok)
}

/// The index of the last token of the item (or statement) starting at `at`, its attributes
/// included: its closing `;`, or the `}` of its body.
fn item_end(tokens: &[Token], mut at: usize) -> usize {
    while tokens.get(at).is_some_and(|t| t.is_punct('#')) {
        at = group_end(tokens, at + 1);
        at += 1;
    }
    let mut first = at;
    if tokens.get(first).is_some_and(|t| t.is_ident("pub")) {
        first += 1;
        if tokens.get(first).is_some_and(|t| t.is_punct('(')) {
            first = group_end(tokens, first) + 1;
        }
    }
    let keyword = tokens.get(first).and_then(Token::ident).unwrap_or("");
    let then = tokens.get(first + 1).and_then(Token::ident).unwrap_or("");
    // These end at their `;` even when braces come first (`use a::{b, c};`, `const X: T =
    // T { … };`); `const fn` and the rest end at their body.
    let ends_at_semicolon = matches!(keyword, "use" | "static" | "type" | "let")
        || (keyword == "const" && !matches!(then, "fn" | "unsafe" | "async" | "extern"));
    let mut depth = 0_usize;
    while at < tokens.len() {
        match &tokens[at].tok {
            Tok::Punct('(' | '[') => depth += 1,
            Tok::Punct(')' | ']') => depth = depth.saturating_sub(1),
            Tok::Punct('{') if ends_at_semicolon => depth += 1,
            Tok::Punct('}') if ends_at_semicolon => depth = depth.saturating_sub(1),
            Tok::Punct('{') if depth == 0 => return group_end(tokens, at),
            Tok::Punct(';') if depth == 0 => return at,
            _ => {}
        }
        at += 1;
    }
    tokens.len().saturating_sub(1)
}

/// The index of the bracket closing the one at `at`.
fn group_end(tokens: &[Token], at: usize) -> usize {
    let mut depth = 0_usize;
    for (index, token) in tokens.iter().enumerate().skip(at) {
        match token.tok {
            Tok::Punct('(' | '[' | '{') => depth += 1,
            Tok::Punct(')' | ']' | '}') => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return index;
                }
            }
            _ => {}
        }
    }
    tokens.len().saturating_sub(1)
}

/// The `mod name;` declarations of a file's top level.
fn declared_children(tokens: &[Token], file: &Path) -> BTreeSet<String> {
    let mut children = BTreeSet::new();
    let mut depth = 0_usize;
    for (index, token) in tokens.iter().enumerate() {
        match token.tok {
            Tok::Punct('{') => depth += 1,
            Tok::Punct('}') => depth = depth.saturating_sub(1),
            _ => {}
        }
        let name = tokens.get(index + 1).and_then(Token::ident);
        let is_file_module = tokens.get(index + 2).is_some_and(|t| t.is_punct(';'));
        if let (true, Some(name), true) = (token.is_ident("mod"), name, is_file_module) {
            assert!(
                depth == 0,
                "`mod {name};` inside an inline module in {} is not supported",
                file.display()
            );
            children.insert(name.to_string());
        }
    }
    children
}

/// A path found in a file: in a `use` tree (one per leaf) or inline.
struct FoundPath {
    segments: Vec<String>,
    line: usize,
    /// How many inline `mod x { … }` blocks enclose it.
    inline_depth: usize,
    /// The name a `use` leaf binds (`None` for a glob, `_`, or an inline path).
    binding: Option<String>,
    /// A `use` at the file's top level (its names are visible to other modules' paths).
    is_top_level_use: bool,
}

/// Every path of a file's tokens that could name a module of the crate.
fn paths_in(tokens: &[Token]) -> Vec<FoundPath> {
    let mut found = Vec::new();
    let (mut depth, mut inline): (usize, Vec<usize>) = (0, Vec::new());
    let mut at = 0;
    while at < tokens.len() {
        let token = &tokens[at];
        if token.is_ident("use") {
            let mut leaves = Vec::new();
            let mut end = at + 1;
            use_tree(tokens, &mut end, &[], &mut leaves);
            for (segments, binding, line) in leaves {
                found.push(FoundPath {
                    segments,
                    line,
                    inline_depth: inline.len(),
                    binding,
                    is_top_level_use: depth == 0,
                });
            }
            at = end.max(at + 1);
            continue;
        }
        let next = tokens.get(at + 1);
        if token.is_ident("mod") && tokens.get(at + 2).is_some_and(|t| t.is_punct('{')) {
            inline.push(depth + 1);
            at += 2;
            continue;
        }
        match token.tok {
            Tok::Punct('{') => depth += 1,
            Tok::Punct('}') => {
                if inline.last() == Some(&depth) {
                    inline.pop();
                }
                depth = depth.saturating_sub(1);
            }
            _ => {}
        }
        let previous = at.checked_sub(1).map(|index| &tokens[index].tok);
        let is_path_start = token.ident().is_some()
            && next.is_some_and(|t| t.tok == Tok::PathSep)
            && !matches!(previous, Some(Tok::PathSep | Tok::Punct('.')));
        if !is_path_start {
            at += 1;
            continue;
        }
        let mut segments = vec![token.ident().unwrap_or_default().to_string()];
        let mut end = at + 1;
        while tokens.get(end).is_some_and(|t| t.tok == Tok::PathSep) {
            let Some(segment) = tokens.get(end + 1).and_then(Token::ident) else {
                break;
            };
            segments.push(segment.to_string());
            end += 2;
        }
        found.push(FoundPath {
            segments,
            line: token.line,
            inline_depth: inline.len(),
            binding: None,
            is_top_level_use: false,
        });
        at = end;
    }
    found
}

/// Reads one use tree at `at` (after `use`, or after a `{`/`,` in a group), adding each leaf
/// as (path, bound name, line); leaves `at` after the tree (at a `;`, `,` or `}`).
fn use_tree(
    tokens: &[Token],
    at: &mut usize,
    prefix: &[String],
    leaves: &mut Vec<(Vec<String>, Option<String>, usize)>,
) {
    let mut path = prefix.to_vec();
    let line = tokens.get(*at).map_or(0, |t| t.line);
    if tokens.get(*at).is_some_and(|t| t.tok == Tok::PathSep) {
        // `use ::name` is always an external crate.
        path.push("::".to_string());
        *at += 1;
    }
    while let Some(token) = tokens.get(*at) {
        if let Some(segment) = token.ident() {
            path.push(segment.to_string());
            *at += 1;
            if tokens.get(*at).is_some_and(|t| t.tok == Tok::PathSep) {
                *at += 1;
                continue;
            }
            if path.last().is_some_and(|last| last == "self") {
                path.pop();
            }
            let mut binding = path.last().cloned();
            if tokens.get(*at).is_some_and(|t| t.is_ident("as")) {
                binding = tokens
                    .get(*at + 1)
                    .and_then(Token::ident)
                    .filter(|alias| *alias != "_")
                    .map(str::to_string);
                *at += 2;
            }
            leaves.push((path, binding, line));
            return;
        }
        if token.is_punct('*') {
            *at += 1;
            leaves.push((path, None, line));
            return;
        }
        if !token.is_punct('{') {
            return;
        }
        *at += 1;
        while let Some(token) = tokens.get(*at) {
            if token.is_punct('}') {
                *at += 1;
                return;
            }
            let before = *at;
            if token.is_punct(',') {
                *at += 1;
            } else {
                use_tree(tokens, at, &path, leaves);
            }
            if *at == before {
                *at += 1;
            }
        }
        return;
    }
}

/// `found` as an absolute path in the crate (without `crate`), or `None` when it leaves the
/// crate (`std::…`, another crate, a local variable's enum).
fn absolute(
    found: &FoundPath,
    module: &[String],
    children: &BTreeSet<String>,
) -> Option<Vec<String>> {
    let segments = &found.segments;
    let first = segments.first()?.as_str();
    let in_file = found.inline_depth;
    let mut out: Vec<String> = match first {
        "crate" => return Some(segments[1..].to_vec()),
        // Inside an inline module, `self` is that module: still this file.
        "self" if in_file > 0 => return Some(module.to_vec()),
        "self" => module.to_vec(),
        "super" => {
            let ups = segments.iter().take_while(|s| *s == "super").count();
            if ups <= in_file {
                return Some(module.to_vec());
            }
            let ups = ups - in_file;
            let base = module.get(..module.len().checked_sub(ups)?)?.to_vec();
            let mut out = base;
            out.extend(segments[ups + in_file..].iter().cloned());
            return Some(out);
        }
        // Another name is a path only through a child module (2018 paths).
        _ if in_file == 0 && children.contains(first) => {
            let mut out = module.to_vec();
            out.extend(segments.iter().cloned());
            return Some(out);
        }
        _ => return None,
    };
    out.extend(segments[1..].iter().cloned());
    Some(out)
}

// ---- The checker's own tests ------------------------------------------------------------------

#[cfg(test)]
mod checker_tests {
    use super::*;

    fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("a temp dir");
        for (name, text) in files {
            let path = dir.path().join(name);
            fs::create_dir_all(path.parent().expect("a file has a parent")).expect("mkdir");
            fs::write(path, text).expect("write");
        }
        dir
    }

    fn panic_message(run: impl FnOnce() + std::panic::UnwindSafe) -> Option<String> {
        let error = std::panic::catch_unwind(run).err()?;
        error
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| error.downcast_ref::<&str>().map(|s| (*s).to_string()))
    }

    #[test]
    fn a_sibling_cycle_is_found_with_its_lines() {
        let dir = tree(&[
            ("lib.rs", "mod a;\nmod b;\n"),
            (
                "a.rs",
                "// use crate::b; in a comment is no edge\nuse crate::b::B;\npub struct A;\n",
            ),
            ("b.rs", "pub struct B;\nfn f() { let _ = super::a::A; }\n"),
        ]);
        let path = dir.path().to_path_buf();
        let message = panic_message(move || assert_no_cycles(&path)).expect("a cycle");
        assert!(
            message.contains("under the crate root: a -> b -> a"),
            "{message}"
        );
        assert!(message.contains("a.rs:2 `crate::b::B`"), "{message}");
        assert!(message.contains("b.rs:2 `super::a::A`"), "{message}");
    }

    #[test]
    fn a_cycle_through_descendants_and_reexports_is_found() {
        let dir = tree(&[
            ("lib.rs", "mod a;\nmod b;\n"),
            ("a/mod.rs", "mod x;\npub(crate) use x::X;\n"),
            ("a/x.rs", "pub struct X(crate::b::y::Y);\n"),
            ("b.rs", "pub(crate) mod y;\n"),
            (
                "b/y.rs",
                "pub struct Y;\nfn f() -> Option<crate::a::X> { None }\n",
            ),
        ]);
        let path = dir.path().to_path_buf();
        let message = panic_message(move || assert_no_cycles(&path)).expect("a cycle");
        assert!(
            message.contains("under the crate root: a -> b -> a"),
            "{message}"
        );
        assert!(message.contains("b/y.rs:2 `crate::a::X`"), "{message}");
    }

    #[test]
    fn declarations_tests_and_one_way_parent_use_are_no_cycle() {
        let dir = tree(&[
            (
                "lib.rs",
                "mod a;\nmod b;\npub use a::A;\n#[cfg(test)]\nmod tests { use crate::b::B; }\n",
            ),
            ("a.rs", "pub struct A(crate::b::B);\n#[cfg(test)]\nmod tests;\n"),
            ("a/tests.rs", "use crate::b::B;\n"),
            ("b.rs", "pub struct B;\nconst S: &str = \"crate::a::A\";\n#[cfg(test)]\nfn t() -> crate::a::A { todo!() }\n"),
        ]);
        assert_no_cycles(dir.path());
    }

    #[test]
    fn a_child_using_its_parents_types_is_no_cycle() {
        let dir = tree(&[
            ("lib.rs", "mod a;\n"),
            ("a.rs", "mod x;\npub struct P;\nfn f() { x::g(); }\n"),
            ("a/x.rs", "pub(super) fn g() -> super::P { super::P }\n"),
        ]);
        assert_no_cycles(dir.path());
    }

    #[test]
    fn a_cycle_below_the_root_is_named_by_its_parent() {
        let dir = tree(&[
            ("lib.rs", "mod a;\n"),
            ("a/mod.rs", "mod x;\nmod y;\n"),
            ("a/x.rs", "use super::y::Y;\npub struct X;\n"),
            ("a/y.rs", "use super::{x::X};\npub struct Y;\n"),
        ]);
        let path = dir.path().to_path_buf();
        let message = panic_message(move || assert_no_cycles(&path)).expect("a cycle");
        assert!(message.contains("under `a`: x -> y -> x"), "{message}");
        assert!(message.contains("a/y.rs:1 `super::x::X`"), "{message}");
    }

    #[test]
    fn file_sizes_count_only_non_test_lines() {
        let body = "fn f() {}\n".repeat(5);
        let tests = format!(
            "#[cfg(test)]\nmod tests {{\n{}}}\n",
            "fn t() {}\n".repeat(20)
        );
        let dir = tree(&[
            ("lib.rs", "mod a;\nmod gen;\n"),
            ("a.rs", &format!("{body}{tests}")),
            ("gen.rs", &body.repeat(3)),
        ]);
        assert_file_sizes(dir.path(), 5, &["gen.rs"]);
        let path = dir.path().to_path_buf();
        let message =
            panic_message(move || assert_file_sizes(&path, 4, &["gen.rs"])).expect("a.rs is over");
        assert!(message.contains("a.rs: 5 non-test lines"), "{message}");
    }
}
