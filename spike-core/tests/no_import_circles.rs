//! The files of spike-core form layers: no file reaches, through `crate::…`
//! paths, a file that reaches back to it, and no file is over 500 lines.
//!
//! The test reads every `src/**/*.rs`, strips comments (string literals stay:
//! `#[serde(with = "crate::serde_micros")]` is a real dependency), collects
//! each file's references and maps them to files:
//!
//! * `crate::a::b::Item` (in `use` trees and inline paths) goes to the file
//!   of the longest module prefix (`a/b.rs`, `a/b/mod.rs`, `a.rs`, …); a first
//!   segment that is not a module is looked up in `lib.rs`'s re-exports
//!   (`pub use output::artifacts;` makes `crate::artifacts` mean
//!   `output/artifacts/mod.rs`);
//! * a top-level `use super::…` or `use self::…` / `use child::…` resolves
//!   against the file's own module;
//! * a reference into `lib.rs` itself (a `#[macro_export]` macro, an item
//!   defined there) is no edge: `lib.rs` is the root that declares the tree.
//!
//! Then it looks for strongly connected components (Tarjan) and fails naming
//! one concrete cycle per component.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Edges allowed although they close a circle, each with why. Empty: the
/// harness depends on the engine and the baselines, never the reverse.
const ALLOWED_EDGES: &[(&str, &str, &str)] = &[];

/// Files allowed over [`MAX_LINES`], each with why. Empty: every file fits.
const ALLOWED_LONG_FILES: &[(&str, &str)] = &[];

/// The most lines a file of spike-core may have.
const MAX_LINES: usize = 500;

fn src_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every `.rs` file under `dir`, as paths relative to `root` with `/`.
fn rust_files(root: &Path, dir: &Path, out: &mut Vec<String>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|e| e.expect("a readable directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(root, &path, out);
        } else if path.extension().is_some_and(|x| x == "rs") {
            let rel = path.strip_prefix(root).expect("under the root");
            let parts: Vec<String> = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            out.push(parts.join("/"));
        }
    }
}

/// The module path a file defines: `lib.rs` → `[]`, `a/mod.rs` → `[a]`,
/// `a/b.rs` → `[a, b]`.
fn module_of(file: &str) -> Vec<String> {
    let mut parts: Vec<String> = file.split('/').map(str::to_owned).collect();
    let last = parts.pop().expect("a file name");
    match last.as_str() {
        "lib.rs" | "mod.rs" => {}
        name => parts.push(name.trim_end_matches(".rs").to_owned()),
    }
    parts
}

/// The source without comments; strings and char literals kept verbatim.
fn strip_comments(src: &str) -> String {
    let b: Vec<char> = src.chars().collect();
    let mut out = String::with_capacity(src.len());
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let next = b.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < b.len() && b[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < b.len() {
                if b[i] == '/' && b.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if b[i] == '*' && b.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            out.push(' ');
        } else if c == 'r' && (next == Some('"') || next == Some('#')) && !ident_char_before(&b, i)
        {
            // A raw string: r"…", r#"…"#.
            let mut j = i + 1;
            let mut hashes = 0;
            while b.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if b.get(j) != Some(&'"') {
                out.push(c);
                i += 1;
                continue;
            }
            j += 1;
            'raw: while j < b.len() {
                if b[j] == '"' && (0..hashes).all(|k| b.get(j + 1 + k) == Some(&'#')) {
                    j += 1 + hashes;
                    break 'raw;
                }
                j += 1;
            }
            out.extend(&b[i..j.min(b.len())]);
            i = j;
        } else if c == '"' {
            let start = i;
            i += 1;
            while i < b.len() && b[i] != '"' {
                if b[i] == '\\' {
                    i += 1;
                }
                i += 1;
            }
            i += 1;
            out.extend(&b[start..i.min(b.len())]);
        } else if c == '\'' {
            // A char literal ('x', '\n', '\u{..}') or a lifetime ('a).
            let end = if next == Some('\\') {
                (i + 2..b.len()).find(|&k| b[k] == '\'').map(|k| k + 1)
            } else if b.get(i + 2) == Some(&'\'') {
                Some(i + 3)
            } else {
                None
            };
            let end = end.unwrap_or(i + 1);
            out.extend(&b[i..end]);
            i = end;
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

fn ident_char_before(b: &[char], i: usize) -> bool {
    i > 0 && (b[i - 1].is_alphanumeric() || b[i - 1] == '_')
}

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Parse a use tree or path at `s[*i..]` (after a `::`), appending every
/// full path it names to `out` (`prefix` already holds the leading
/// segments). Stops after the tree.
fn parse_tree(s: &[char], i: &mut usize, prefix: &[String], out: &mut Vec<Vec<String>>) {
    let mut path = prefix.to_vec();
    loop {
        while *i < s.len() && s[*i].is_whitespace() {
            *i += 1;
        }
        if *i < s.len() && s[*i] == '{' {
            *i += 1;
            loop {
                while *i < s.len() && (s[*i].is_whitespace() || s[*i] == ',') {
                    *i += 1;
                }
                if *i >= s.len() || s[*i] == '}' {
                    *i += 1;
                    return;
                }
                parse_tree(s, i, &path, out);
            }
        }
        let start = *i;
        while *i < s.len() && (is_ident(s[*i]) || s[*i] == '*') {
            *i += 1;
        }
        if start == *i {
            out.push(path);
            return;
        }
        path.push(s[start..*i].iter().collect());
        let mut j = *i;
        while j < s.len() && s[j].is_whitespace() {
            j += 1;
        }
        if s.get(j) == Some(&':') && s.get(j + 1) == Some(&':') {
            *i = j + 2;
        } else {
            // `as name`, `;`, `,`, `}`, `(`, `<`, …: the path ends here.
            if s[j..].starts_with(&['a', 's', ' ']) {
                *i = j + 2;
                while *i < s.len() && s[*i].is_whitespace() {
                    *i += 1;
                }
                while *i < s.len() && is_ident(s[*i]) {
                    *i += 1;
                }
            }
            out.push(path);
            return;
        }
    }
}

/// Every `crate::…` path in the (comment-free) source, plus the paths of
/// top-level `use` statements that do not start with `crate` (relative to
/// the file's module), as (relative, segments).
fn references(src: &str) -> Vec<(bool, Vec<String>)> {
    let s: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i + 7 <= s.len() {
        if s[i..].starts_with(&['c', 'r', 'a', 't', 'e', ':', ':']) && !ident_char_before(&s, i) {
            let mut paths = Vec::new();
            let mut j = i + 7;
            parse_tree(&s, &mut j, &[], &mut paths);
            out.extend(paths.into_iter().map(|p| (false, p)));
            i = j.max(i + 1);
        } else {
            i += 1;
        }
    }
    for line in src.lines() {
        let rest = line
            .strip_prefix("pub use ")
            .or_else(|| line.strip_prefix("pub(crate) use "))
            .or_else(|| line.strip_prefix("use "));
        let Some(rest) = rest else { continue };
        if rest.starts_with("crate::") || rest.starts_with("std") || rest.starts_with("::") {
            continue;
        }
        // A statement may span lines: take the rest of the source from here.
        let at = src.find(line).expect("the line is in the source") + (line.len() - rest.len());
        let tail: Vec<char> = src[at..].chars().collect();
        let mut paths = Vec::new();
        let mut j = 0;
        parse_tree(&tail, &mut j, &[], &mut paths);
        out.extend(paths.into_iter().map(|p| (true, p)));
    }
    out
}

struct Crate {
    /// Module path → file.
    modules: BTreeMap<Vec<String>, String>,
    /// Names `lib.rs` re-exports → the path they stand for.
    reexports: BTreeMap<String, Vec<String>>,
}

impl Crate {
    /// The file a path from the crate root lands in, `None` for `lib.rs`.
    fn resolve(&self, path: &[String], depth: usize) -> Option<String> {
        if depth > 8 || path.is_empty() {
            return None;
        }
        if !self.modules.contains_key(&path[..1]) {
            let target = self.reexports.get(&path[0])?;
            let mut full = target.clone();
            full.extend_from_slice(&path[1..]);
            return self.resolve(&full, depth + 1);
        }
        (1..=path.len())
            .rev()
            .find_map(|n| self.modules.get(&path[..n]).cloned())
    }
}

/// The file graph: file → files it references (not itself, not lib.rs).
fn file_graph() -> BTreeMap<String, BTreeSet<String>> {
    let root = src_dir();
    let mut files = Vec::new();
    rust_files(&root, &root, &mut files);
    assert!(
        files.len() > 20,
        "found only {files:?} under {}",
        root.display()
    );
    let sources: BTreeMap<String, String> = files
        .iter()
        .map(|f| {
            let text = std::fs::read_to_string(root.join(f)).expect("a readable source file");
            (f.clone(), strip_comments(&text))
        })
        .collect();
    let modules = files.iter().map(|f| (module_of(f), f.clone())).collect();
    let mut krate = Crate {
        modules,
        reexports: BTreeMap::new(),
    };
    for (relative, path) in references(&sources["lib.rs"]) {
        if relative && path.len() >= 2 {
            let name = path.last().expect("two segments").clone();
            krate.reexports.insert(name, path);
        }
    }
    // `pub use baselines as baseline;` and friends: a renamed re-export.
    for line in sources["lib.rs"].lines() {
        if let Some(rest) = line.strip_prefix("pub use ") {
            if let Some((from, to)) = rest.trim_end_matches(';').split_once(" as ") {
                let path = from.split("::").map(str::to_owned).collect();
                krate.reexports.insert(to.trim().to_owned(), path);
            }
        }
    }
    let mut graph = BTreeMap::new();
    for (file, src) in &sources {
        let here = module_of(file);
        let mut edges = BTreeSet::new();
        for (relative, path) in references(src) {
            let full = if !relative {
                path
            } else if path.first().is_some_and(|s| s == "super") {
                let mut base = here.clone();
                let mut rest = &path[..];
                while rest.first().is_some_and(|s| s == "super") {
                    base.pop();
                    rest = &rest[1..];
                }
                base.extend_from_slice(rest);
                base
            } else if path.first().is_some_and(|s| s == "self") {
                let mut base = here.clone();
                base.extend_from_slice(&path[1..]);
                base
            } else {
                let mut child = here.clone();
                child.push(path[0].clone());
                if !krate.modules.contains_key(&child) {
                    continue; // an external crate (`serde`, `tokio`, …)
                }
                let mut base = here.clone();
                base.extend_from_slice(&path);
                base
            };
            if let Some(target) = krate.resolve(&full, 0) {
                if &target != file && target != "lib.rs" {
                    edges.insert(target);
                }
            }
        }
        graph.insert(file.clone(), edges);
    }
    graph
}

/// Strongly connected components with more than one file (Tarjan).
fn circles(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    struct State<'a> {
        graph: &'a BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on_stack: BTreeSet<&'a str>,
        out: Vec<Vec<String>>,
    }
    fn visit<'a>(st: &mut State<'a>, v: &'a str) {
        let n = st.index.len();
        st.index.insert(v, n);
        st.low.insert(v, n);
        st.stack.push(v);
        st.on_stack.insert(v);
        for w in &st.graph[v] {
            let w = w.as_str();
            if !st.index.contains_key(w) {
                visit(st, w);
                let lw = st.low[w];
                let lv = st.low.get_mut(v).expect("visited");
                *lv = (*lv).min(lw);
            } else if st.on_stack.contains(w) {
                let iw = st.index[w];
                let lv = st.low.get_mut(v).expect("visited");
                *lv = (*lv).min(iw);
            }
        }
        if st.low[v] == st.index[v] {
            let mut component = Vec::new();
            loop {
                let w = st.stack.pop().expect("v is on the stack");
                st.on_stack.remove(w);
                component.push(w.to_owned());
                if w == v {
                    break;
                }
            }
            if component.len() > 1 {
                component.sort();
                st.out.push(component);
            }
        }
    }
    let mut st = State {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        out: Vec::new(),
    };
    for v in graph.keys() {
        if !st.index.contains_key(v.as_str()) {
            visit(&mut st, v);
        }
    }
    st.out
}

/// One concrete cycle through `component`, starting at its first file
/// (breadth-first: the shortest way back).
fn one_cycle(graph: &BTreeMap<String, BTreeSet<String>>, component: &[String]) -> Vec<String> {
    let start = &component[0];
    let inside: BTreeSet<&String> = component.iter().collect();
    let mut came_from: BTreeMap<&String, &String> = BTreeMap::new();
    let mut queue = std::collections::VecDeque::from([start]);
    while let Some(v) = queue.pop_front() {
        for w in &graph[v] {
            if w == start {
                let mut back = vec![v.clone()];
                let mut at = v;
                while at != start {
                    at = came_from[at];
                    back.push(at.clone());
                }
                back.reverse();
                back.push(start.clone());
                return back;
            }
            if inside.contains(w) && !came_from.contains_key(w) {
                came_from.insert(w, v);
                queue.push_back(w);
            }
        }
    }
    component.to_vec()
}

#[test]
fn the_file_graph_of_spike_core_has_no_circle() {
    let mut graph = file_graph();
    for (from, to, _why) in ALLOWED_EDGES {
        let present = graph.get_mut(*from).is_some_and(|e| e.remove(*to));
        assert!(
            present,
            "allow-listed edge {from} → {to} no longer exists: delete it from ALLOWED_EDGES"
        );
    }
    let found = circles(&graph);
    let described: Vec<String> = found
        .iter()
        .map(|c| one_cycle(&graph, c).join(" → "))
        .collect();
    assert!(
        found.is_empty(),
        "import circle(s) between files of spike-core/src:\n  {}",
        described.join("\n  ")
    );
}

#[test]
fn the_checker_finds_a_planted_circle_and_resolves_paths() {
    // Arithmetic on a graph built by hand: a → b → c → a, and d → a.
    let graph: BTreeMap<String, BTreeSet<String>> = [
        ("a.rs", vec!["b.rs"]),
        ("b.rs", vec!["c.rs"]),
        ("c.rs", vec!["a.rs"]),
        ("d.rs", vec!["a.rs"]),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.into_iter().map(str::to_owned).collect()))
    .collect();
    let found = circles(&graph);
    assert_eq!(found, vec![vec!["a.rs", "b.rs", "c.rs"]]);
    assert_eq!(
        one_cycle(&graph, &found[0]),
        ["a.rs", "b.rs", "c.rs", "a.rs"]
    );
    // Use trees, inline paths, renames; comments ignored, strings kept.
    let src = strip_comments(
        "use crate::{a::B, c::{d, e as f}};\n// crate::zzz\n/* crate::yyy */\n\
         #[serde(with = \"crate::g\")]\nfn x() { crate::h::i(); let _ = '\"'; }\n",
    );
    let paths: Vec<String> = references(&src)
        .into_iter()
        .map(|(_, p)| p.join("::"))
        .collect();
    assert_eq!(paths, ["a::B", "c::d", "c::e", "g", "h::i"]);
    assert_eq!(module_of("a/mod.rs"), ["a"]);
    assert_eq!(module_of("a/b.rs"), ["a", "b"]);
    assert!(module_of("lib.rs").is_empty());
}

#[test]
fn every_allow_listed_edge_still_closes_a_circle() {
    // An allowance that no longer hides a circle must go.
    let graph = file_graph();
    for (from, to, why) in ALLOWED_EDGES {
        let found = circles(&graph);
        let closes = found
            .iter()
            .any(|c| c.iter().any(|f| f == from) && c.iter().any(|f| f == to));
        assert!(closes, "{from} → {to} ({why}) closes no circle: remove it");
    }
}

#[test]
fn no_file_of_spike_core_is_over_500_lines() {
    let root = src_dir();
    let mut files = Vec::new();
    rust_files(&root, &root, &mut files);
    let allowed: BTreeSet<&str> = ALLOWED_LONG_FILES.iter().map(|(f, _)| *f).collect();
    let long: Vec<String> = files
        .iter()
        .filter(|f| !allowed.contains(f.as_str()))
        .filter_map(|f| {
            let text = std::fs::read_to_string(root.join(f)).expect("a readable source file");
            let n = text.lines().count();
            (n > MAX_LINES).then(|| format!("{f}: {n} lines"))
        })
        .collect();
    assert!(
        long.is_empty(),
        "files over {MAX_LINES} lines (split them along their jobs):\n  {}",
        long.join("\n  ")
    );
}
