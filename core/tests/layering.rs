//! Dependencies inside the core point one way: a module uses only modules of lower layers, so the
//! request pipeline cannot come to depend on what is built on it (the client knew the flows'
//! remembered accounts; `config`, `journal` and `transport` imported each other in a circle).
//!
//! The layers are declared here, bottom first; every `crate::…` path in a module's code (imports,
//! paths in expressions and attributes such as `serde(default = "crate::…")`) is an edge. Comments
//! and `#[cfg(test)]` modules are not code the module depends on. A module missing from the
//! declaration fails too, so a new one is placed deliberately.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Bottom first. A module may use the modules of the layers below its own, and nothing else (not
/// even a module of its own layer: modules side by side are independent).
const LAYERS: &[&[&str]] = &[
    // Foundations: errors, secrets, time, money, ids; they use nothing of the core (or only each
    // other's lower layer).
    // The clock, timers and tasks of the runtime the core runs on (tokio, or the JS host's).
    &["runtime"],
    &[
        "error", "secret", "clock", "ids", "money", "time", "millis", "redact",
    ],
    &["validate"],
    &["enums", "test_numbers"],
    &["models"],
    // What the client is built from.
    &["auth", "journal", "transport", "status", "realtime", "rate"],
    &["config"],
    // The request pipeline.
    &["client"],
    // Holds a journal lease for a call working on an intent (decision 0015).
    &["lease"],
    &["execute"],
    &["api"],
    &["wait", "reconcile"],
    // Built on everything above: the flows own their per-client state (remembered accounts).
    &["flows"],
    // The boundary.
    &["uniffi_types", "bridge"],
];

fn src_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            out.push(path);
        }
    }
}

/// The top-level module a file belongs to: `client.rs` → `client`, `flows/payout.rs` → `flows`.
fn module_of(path: &Path) -> String {
    let relative = path.strip_prefix(src_dir()).unwrap();
    let first = relative.components().next().unwrap().as_os_str();
    first.to_string_lossy().trim_end_matches(".rs").to_string()
}

/// The module's code: without comments (lines that are comments, and the comment ending a line),
/// without the text of raw string literals (`r#"…"#`: code the module writes for another crate,
/// such as the generated uniffi wrappers, not code it depends on) and without its
/// `#[cfg(test)] mod …` (which sits at the end of the file).
fn code_lines(text: &str) -> Vec<(usize, String)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut code = Vec::new();
    let mut in_raw_string = false;
    for (index, line) in lines.iter().enumerate() {
        if in_raw_string {
            in_raw_string = !line.contains("\"#");
            continue;
        }
        if let Some(start) = line.find("r#\"") {
            in_raw_string = !line[start + 3..].contains("\"#");
            code.push((index + 1, line[..start].to_string()));
            continue;
        }
        let trimmed = line.trim();
        if trimmed == "#[cfg(test)]" {
            let next = lines[index + 1..].iter().find(|l| !l.trim().is_empty());
            if next.is_some_and(|l| l.trim_start().starts_with("mod ")) {
                break;
            }
        }
        if trimmed.starts_with("//") {
            continue;
        }
        // A comment after code (` // …`); `//` inside a string (a URL) has no space before it.
        let without_comment = match line.find(" // ") {
            Some(at) if !line[..at].contains('"') => &line[..at],
            _ => line,
        };
        code.push((index + 1, without_comment.to_string()));
    }
    code
}

/// Names re-exported at the crate root (`pub use client::{ApiRequest, Client}`), so that
/// `crate::Client` counts as an edge to `client`; `pub use enums::*` answers for any other name.
fn root_exports() -> (BTreeMap<String, String>, Vec<String>) {
    let lib = std::fs::read_to_string(src_dir().join("lib.rs")).unwrap();
    let mut names = BTreeMap::new();
    let mut globs = Vec::new();
    let statement = regex::Regex::new(r"(?s)pub use ([a-z_]+)::(\{[^}]*\}|[A-Za-z_*]+);").unwrap();
    let name = regex::Regex::new(r"[A-Za-z_][A-Za-z0-9_]*").unwrap();
    for found in statement.captures_iter(&lib) {
        let module = found[1].to_string();
        if &found[2] == "*" {
            globs.push(module);
            continue;
        }
        for item in name.find_iter(&found[2]) {
            names.insert(item.as_str().to_string(), module.clone());
        }
    }
    (names, globs)
}

/// Every `crate::…` edge of every module: (from, to) → where it appears.
fn edges() -> BTreeMap<(String, String), Vec<String>> {
    let (exports, globs) = root_exports();
    let path = regex::Regex::new(r"(^|[^$\w])crate::(\{[^}]*\}|[A-Za-z_][A-Za-z0-9_]*)").unwrap();
    let first_segment = regex::Regex::new(r"(?:^|[{,])\s*([A-Za-z_][A-Za-z0-9_]*)").unwrap();
    let mut files = Vec::new();
    rust_files(&src_dir(), &mut files);
    let mut edges: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for file in files {
        let from = module_of(&file);
        if from == "lib" {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        let shown = file.strip_prefix(src_dir()).unwrap().display().to_string();
        for (number, line) in code_lines(&text) {
            for found in path.captures_iter(&line) {
                let targets: Vec<String> = if found[2].starts_with('{') {
                    first_segment
                        .captures_iter(&found[2])
                        .map(|c| c[1].to_string())
                        .collect()
                } else {
                    vec![found[2].to_string()]
                };
                for target in targets {
                    let to = if target.starts_with(char::is_uppercase) {
                        match (exports.get(&target), globs.as_slice()) {
                            (Some(module), _) => module.clone(),
                            (None, [glob]) => glob.clone(),
                            _ => panic!(
                                "{shown}:{number}: cannot tell which module `crate::{target}` is"
                            ),
                        }
                    } else {
                        target
                    };
                    if to != from {
                        edges
                            .entry((from.clone(), to))
                            .or_default()
                            .push(format!("src/{shown}:{number}"));
                    }
                }
            }
        }
    }
    edges
}

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|layer| layer.contains(&module))
}

#[test]
fn core_modules_only_use_lower_layers() {
    let edges = edges();
    // The scan sees the real edges (a scanner that finds nothing would pass anything).
    assert!(edges.contains_key(&("client".to_string(), "auth".to_string())));
    assert!(edges.contains_key(&("flows".to_string(), "client".to_string())));

    let mut files = Vec::new();
    rust_files(&src_dir(), &mut files);
    let modules: BTreeSet<String> = files
        .iter()
        .map(|f| module_of(f))
        .filter(|m| m != "lib")
        .collect();
    let undeclared: Vec<&String> = modules.iter().filter(|m| layer_of(m).is_none()).collect();
    assert!(
        undeclared.is_empty(),
        "modules missing from LAYERS (place each in the layer it belongs to): {undeclared:?}"
    );

    let offending: Vec<String> = edges
        .iter()
        .filter(|((from, to), _)| match (layer_of(from), layer_of(to)) {
            (Some(from), Some(to)) => to >= from,
            _ => true,
        })
        .map(|((from, to), places)| format!("{from} -> {to} ({})", places.join(", ")))
        .collect();
    assert!(
        offending.is_empty(),
        "{} import(s) point up or sideways in the core's layers:\n  {}",
        offending.len(),
        offending.join("\n  ")
    );
}
