//! The module layering every crate of the workspace keeps: at each directory level, the
//! direct child modules (each with its whole subtree) name each other without a cycle.
//! An edge A -> B is drawn when non-test code in A's subtree names `crate::..::B` (or
//! `super::B`, `self::B`) at that level; `*_tests.rs` files, `tests.rs` and inline
//! `#[cfg(test)]` modules are tests and do not count, nor do comments. A cycle is printed
//! with one line of code for each of its edges, so it can be broken where it is.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// One crate: its name and the directory that holds `lib.rs` or `main.rs`.
struct Crate {
    name: String,
    root: PathBuf,
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every crate of the workspace, from the members the root manifest lists.
fn crates() -> Vec<Crate> {
    let repo = repo();
    let manifest = std::fs::read_to_string(repo.join("Cargo.toml")).expect("Cargo.toml");
    let mut dirs = Vec::new();
    let members = manifest
        .split("members")
        .nth(1)
        .and_then(|rest| rest.split(']').next())
        .expect("[workspace] members in Cargo.toml");
    for member in members.split(',') {
        let m = member
            .trim()
            .trim_matches(|c| c == '[' || c == '=' || c == ' ');
        let m = m.trim().trim_matches('"');
        if !m.is_empty() {
            dirs.push(repo.join(m).components().collect::<PathBuf>());
        }
    }
    dirs.into_iter()
        .map(|dir| {
            let root = if dir.join("src/lib.rs").is_file() || dir.join("src/main.rs").is_file() {
                dir.join("src")
            } else {
                dir.clone()
            };
            Crate {
                name: match dir.strip_prefix(&repo).map(|p| p.display().to_string()) {
                    Ok(p) if !p.is_empty() => p,
                    _ => "the root crate".to_string(),
                },
                root,
            }
        })
        .collect()
}

/// The crate's non-test source files with their module paths (`lib.rs` is `[]`,
/// `bench/mod.rs` and `bench.rs` are `["bench"]`). Directories that are crates of their own
/// are left out.
fn files(root: &Path) -> Vec<(Vec<String>, PathBuf)> {
    fn walk(dir: &Path, prefix: &[String], top: bool, out: &mut Vec<(Vec<String>, PathBuf)>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .expect("source dir")
            .filter_map(Result::ok)
            .map(|e| e.path())
            .collect();
        entries.sort();
        for path in entries {
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default()
                .to_string();
            if path.is_dir() {
                if path.join("Cargo.toml").is_file() || name == "tests" {
                    continue;
                }
                let mut p = prefix.to_vec();
                p.push(name);
                walk(&path, &p, false, out);
                continue;
            }
            let Some(stem) = name.strip_suffix(".rs") else {
                continue;
            };
            if stem == "tests" || stem.ends_with("_tests") {
                continue;
            }
            let module = match stem {
                "mod" => prefix.to_vec(),
                "lib" | "main" if top => Vec::new(),
                _ => {
                    let mut p = prefix.to_vec();
                    p.push(stem.to_string());
                    p
                }
            };
            out.push((module, path));
        }
    }
    let mut out = Vec::new();
    walk(root, &[], true, &mut out);
    out
}

/// The code of a file without comments, string contents and `#[cfg(test)]` items.
fn code(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if text[i..].starts_with("//") {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
        } else if text[i..].starts_with("/*") {
            i = text[i..].find("*/").map_or(b.len(), |e| i + e + 2);
        } else if (b[i] == b'r' || b[i] == b'b')
            && (i == 0 || !is_ident(b[i - 1] as char))
            && raw_string_end(b, i).is_some()
        {
            i = raw_string_end(b, i).unwrap_or(b.len());
            out.push_str("\"\"");
        } else if b[i] == b'\'' {
            // A char literal ('"', '\'', '{'), or a lifetime, which is kept.
            match (b.get(i + 1), b.get(i + 2)) {
                (Some(b'\\'), _) => {
                    i += 2;
                    while i < b.len() && b[i] != b'\'' {
                        i += 1;
                    }
                    i += 1;
                }
                (Some(_), Some(b'\'')) => i += 3,
                _ => {
                    out.push('\'');
                    i += 1;
                }
            }
        } else if b[i] == b'"' {
            i += 1;
            while i < b.len() && b[i] != b'"' {
                i += if b[i] == b'\\' { 2 } else { 1 };
            }
            i += 1;
            out.push_str("\"\"");
        } else if text[i..].starts_with("#[cfg(test)]") {
            // Skip the attribute and the item after it: up to its `;` or its closing brace.
            i += "#[cfg(test)]".len();
            let mut depth = 0usize;
            while i < b.len() {
                match b[i] {
                    b'{' => depth += 1,
                    b'}' => {
                        depth = depth.saturating_sub(1);
                        if depth == 0 {
                            i += 1;
                            break;
                        }
                    }
                    b';' if depth == 0 => {
                        i += 1;
                        break;
                    }
                    _ => {}
                }
                i += 1;
            }
        } else {
            let ch = text[i..].chars().next().unwrap_or(' ');
            out.push(ch);
            i += ch.len_utf8();
        }
    }
    out
}

/// Where a raw string (`r"..."`, `r#"..."#`, `br"..."`) starting at `i` ends, if one does.
fn raw_string_end(b: &[u8], mut i: usize) -> Option<usize> {
    if b.get(i) == Some(&b'b') {
        i += 1;
    }
    if b.get(i) != Some(&b'r') {
        return None;
    }
    i += 1;
    let hashes = b[i..].iter().take_while(|&&c| c == b'#').count();
    i += hashes;
    if b.get(i) != Some(&b'"') {
        return None;
    }
    i += 1;
    let close: Vec<u8> = std::iter::once(b'"')
        .chain(std::iter::repeat_n(b'#', hashes))
        .collect();
    b[i..]
        .windows(close.len())
        .position(|w| w == close.as_slice())
        .map(|p| i + p + close.len())
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Every path the code names that starts with `crate`, `super` or `self`, expanded through
/// `use` groups (`crate::{a, b::c}` gives `crate::a` and `crate::b::c`), with the line it
/// was found on.
fn paths(code: &str) -> Vec<(Vec<String>, String)> {
    let mut out = Vec::new();
    let chars: Vec<char> = code.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let at_start = i == 0 || !(is_ident(chars[i - 1]) || chars[i - 1] == ':');
        let rest: String = chars[i..chars.len().min(i + 6)].iter().collect();
        if at_start
            && (rest.starts_with("crate") || rest.starts_with("super") || rest.starts_with("self"))
        {
            let (tree, end) = parse_tree(&chars, i);
            let line_start = chars[..i]
                .iter()
                .rposition(|&c| c == '\n')
                .map_or(0, |p| p + 1);
            let line_end = chars[i..]
                .iter()
                .position(|&c| c == '\n')
                .map_or(chars.len(), |p| i + p);
            let line: String = chars[line_start..line_end].iter().collect();
            for p in tree {
                if p.len() > 1 || p.first().is_some_and(|s| s != "self") {
                    out.push((p, line.trim().to_string()));
                }
            }
            i = end.max(i + 1);
        } else {
            i += 1;
        }
    }
    out
}

/// Parses a path (with `{..}` groups) at `i`; returns every leaf path and where it ended.
fn parse_tree(chars: &[char], mut i: usize) -> (Vec<Vec<String>>, usize) {
    let mut prefix: Vec<String> = Vec::new();
    loop {
        while i < chars.len() && chars[i].is_whitespace() {
            i += 1;
        }
        if i < chars.len() && chars[i] == '{' {
            let mut all = Vec::new();
            i += 1;
            loop {
                while i < chars.len() && (chars[i].is_whitespace() || chars[i] == ',') {
                    i += 1;
                }
                if i >= chars.len() || chars[i] == '}' {
                    i += 1;
                    break;
                }
                let (sub, end) = parse_tree(chars, i);
                for s in sub {
                    let mut p = prefix.clone();
                    p.extend(s);
                    all.push(p);
                }
                // Skip `as name` and anything else up to the next item.
                i = end;
                while i < chars.len() && chars[i] != ',' && chars[i] != '}' {
                    i += 1;
                }
            }
            return (all, i);
        }
        let start = i;
        while i < chars.len() && is_ident(chars[i]) {
            i += 1;
        }
        if i == start {
            break;
        }
        prefix.push(chars[start..i].iter().collect());
        if i + 1 < chars.len() && chars[i] == ':' && chars[i + 1] == ':' {
            i += 2;
        } else {
            break;
        }
    }
    (vec![prefix], i)
}

/// `path` as seen from module `from`, made absolute (`super`/`self` resolved; in
/// `a/mod.rs`, whose module is `a`, `super` is the parent of `a`, as in `a.rs`).
fn absolute(from: &[String], path: &[String]) -> Option<Vec<String>> {
    let mut base: Vec<String> = match path.first().map(String::as_str) {
        Some("crate") => Vec::new(),
        Some("self") | Some("super") => from.to_vec(),
        _ => return None,
    };
    let mut rest = path;
    if rest.first().is_some_and(|s| s == "crate") {
        rest = &rest[1..];
    }
    while let Some(first) = rest.first() {
        match first.as_str() {
            "self" => rest = &rest[1..],
            "super" => {
                base.pop()?;
                rest = &rest[1..];
            }
            _ => break,
        }
    }
    base.extend(rest.iter().cloned());
    Some(base)
}

/// Cycles of the graph (strongly connected components with more than one node).
fn cycles(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    // Kosaraju on the small graph of one directory level.
    fn visit(
        n: &str,
        g: &BTreeMap<String, BTreeSet<String>>,
        seen: &mut BTreeSet<String>,
        order: &mut Vec<String>,
    ) {
        if !seen.insert(n.to_string()) {
            return;
        }
        for m in g.get(n).into_iter().flatten() {
            visit(m, g, seen, order);
        }
        order.push(n.to_string());
    }
    let mut nodes: BTreeSet<String> = graph.keys().cloned().collect();
    nodes.extend(graph.values().flatten().cloned());
    let mut seen = BTreeSet::new();
    let mut order = Vec::new();
    for n in &nodes {
        visit(n, graph, &mut seen, &mut order);
    }
    let mut reverse: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (a, bs) in graph {
        for b in bs {
            reverse.entry(b.clone()).or_default().insert(a.clone());
        }
    }
    let mut assigned = BTreeSet::new();
    let mut out = Vec::new();
    for n in order.iter().rev() {
        if assigned.contains(n) {
            continue;
        }
        let mut comp = Vec::new();
        visit(n, &reverse, &mut assigned, &mut comp);
        if comp.len() > 1 {
            comp.sort();
            out.push(comp);
        }
    }
    out
}

/// Sibling cycles of one crate, described with the code that makes each edge.
fn crate_cycles(krate: &Crate) -> Vec<String> {
    let files = files(&krate.root);
    // (parent module) -> (child A -> child B -> one line that names B from A)
    let mut levels: BTreeMap<Vec<String>, BTreeMap<String, BTreeMap<String, String>>> =
        BTreeMap::new();
    for (module, path) in &files {
        let text = std::fs::read_to_string(path).expect("source file");
        for (named, line) in paths(&code(&text)) {
            let Some(target) = absolute(module, &named) else {
                continue;
            };
            // The deepest common parent: A and B are the children below it.
            let common = module
                .iter()
                .zip(&target)
                .take_while(|(a, b)| a == b)
                .count();
            let (Some(a), Some(b)) = (module.get(common), target.get(common)) else {
                continue;
            };
            levels
                .entry(module[..common].to_vec())
                .or_default()
                .entry(a.clone())
                .or_default()
                .entry(b.clone())
                .or_insert_with(|| format!("{}: {line}", path.display()));
        }
    }
    let known: BTreeSet<Vec<String>> = files.iter().map(|(m, _)| m.clone()).collect();
    let mut found = Vec::new();
    for (parent, edges) in &levels {
        // Only edges to modules that exist (not items of the parent, like `crate::Engine`).
        let graph: BTreeMap<String, BTreeSet<String>> = edges
            .iter()
            .map(|(a, bs)| {
                let to = bs
                    .keys()
                    .filter(|b| {
                        let mut p = parent.clone();
                        p.push((*b).clone());
                        known.iter().any(|k| k.starts_with(&p))
                    })
                    .cloned()
                    .collect();
                (a.clone(), to)
            })
            .collect();
        for cycle in cycles(&graph) {
            let mut text = format!(
                "{}: modules {} of `{}` import each other:",
                krate.name,
                cycle.join(", "),
                if parent.is_empty() {
                    "crate".to_string()
                } else {
                    parent.join("::")
                }
            );
            for a in &cycle {
                for b in graph.get(a).into_iter().flatten() {
                    if cycle.contains(b) {
                        text.push_str(&format!("\n    {a} -> {b}  ({})", edges[a][b]));
                    }
                }
            }
            found.push(text);
        }
    }
    found
}

#[test]
fn no_module_imports_a_sibling_that_imports_it_back() {
    let crates = crates();
    assert!(
        crates.len() >= 5,
        "the workspace's crates: {}",
        crates.len()
    );
    let found: Vec<String> = crates.iter().flat_map(crate_cycles).collect();
    assert!(found.is_empty(), "import cycles:\n{}", found.join("\n"));
}

#[test]
fn the_cycle_finder_sees_a_cycle_through_a_use_group_and_super() {
    let code_a = code(
        "use crate::{b::Thing, c};\n// crate::d in a comment\nfn f() { let s = \"crate::e\"; }",
    );
    let named: Vec<Vec<String>> = paths(&code_a).into_iter().map(|(p, _)| p).collect();
    assert_eq!(
        named,
        vec![
            vec!["crate".to_string(), "b".into(), "Thing".into()],
            vec!["crate".to_string(), "c".into()]
        ]
    );
    let from = vec!["bench".to_string(), "run".to_string()];
    let target = absolute(&from, &["super".into(), "real".into(), "go".into()]);
    assert_eq!(
        target,
        Some(vec!["bench".to_string(), "real".into(), "go".into()])
    );
    let mut g = BTreeMap::new();
    g.insert("run".to_string(), BTreeSet::from(["real".to_string()]));
    g.insert("real".to_string(), BTreeSet::from(["run".to_string()]));
    g.insert("report".to_string(), BTreeSet::from(["run".to_string()]));
    assert_eq!(
        cycles(&g),
        vec![vec!["real".to_string(), "run".to_string()]]
    );
    let test_only = code("#[cfg(test)]\nmod tests { use crate::x; }\nuse crate::y;");
    assert_eq!(paths(&test_only).len(), 1);
    let literals = code("let q = '\"'; let r = r#\"crate::a \"# ; fn f<'a>() {} use crate::z;");
    let named: Vec<Vec<String>> = paths(&literals).into_iter().map(|(p, _)| p).collect();
    assert_eq!(named, vec![vec!["crate".to_string(), "z".into()]]);
}
