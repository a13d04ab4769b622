//! The rule of dependencies of `src/lib.rs`, checked on the sources: which top-level module
//! imports which, outside test code. A new edge that breaks the rule, or makes a circle, fails
//! here with the file that added it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use super::root;

/// Every `crate::<module>` a module's non-test code names, with one file that names it.
fn edges() -> BTreeMap<String, BTreeMap<String, String>> {
    let src = root().join("src");
    let modules: BTreeSet<String> = std::fs::read_dir(&src)
        .expect("src")
        .filter_map(|e| {
            let name = e.ok()?.file_name().into_string().ok()?;
            let module = name.strip_suffix(".rs").unwrap_or(&name).to_string();
            (module != "lib" && module != "main").then_some(module)
        })
        .collect();
    let mut edges: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    let mut files = vec![src.clone()];
    while let Some(path) = files.pop() {
        if path.is_dir() {
            files.extend(std::fs::read_dir(&path).expect("dir").map(|e| e.expect("entry").path()));
            continue;
        }
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        if !name.ends_with(".rs") || name == "tests.rs" || name == "fixtures.rs" {
            continue;
        }
        let relative = path.strip_prefix(&src).expect("under src");
        let first = relative.components().next().expect("a component");
        let first = first.as_os_str().to_str().expect("utf-8");
        let from = first.strip_suffix(".rs").unwrap_or(first).to_string();
        let text = std::fs::read_to_string(&path).expect("source");
        let code = text.split("#[cfg(test)]").next().unwrap_or_default();
        for line in code.lines().filter(|l| !l.trim_start().starts_with("//")) {
            for (at, _) in line.match_indices("crate::") {
                let rest = &line[at + "crate::".len()..];
                let to: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                    .collect();
                if to != from && modules.contains(&to) {
                    edges
                        .entry(from.clone())
                        .or_default()
                        .entry(to)
                        .or_insert_with(|| display(relative));
                }
            }
        }
    }
    edges
}

fn display(path: &Path) -> String {
    format!("src/{}", path.display())
}

#[test]
fn the_layers_keep_the_rule_of_dependencies() {
    let edges = edges();
    assert!(edges.contains_key("plan") && edges.contains_key("apply"), "{edges:?}");
    let forbidden: &[(&str, &[&str])] = &[
        (
            "diag",
            &[
                "wire",
                "manifest",
                "model",
                "validate",
                "plan",
                "provider",
                "apply",
                "reconcile",
                "cli",
                "watch",
            ],
        ),
        (
            "wire",
            &[
                "diag",
                "manifest",
                "model",
                "validate",
                "plan",
                "provider",
                "apply",
                "reconcile",
                "cli",
                "watch",
            ],
        ),
        (
            "clock",
            &[
                "diag",
                "wire",
                "manifest",
                "model",
                "validate",
                "plan",
                "provider",
                "apply",
                "reconcile",
                "cli",
                "watch",
            ],
        ),
        (
            "manifest",
            &[
                "model",
                "validate",
                "plan",
                "provider",
                "apply",
                "reconcile",
                "cli",
                "watch",
            ],
        ),
        (
            "model",
            &["validate", "plan", "provider", "apply", "reconcile", "cli", "watch"],
        ),
        ("plan", &["provider", "apply", "reconcile", "cli", "watch"]),
        ("provider", &["plan", "apply", "reconcile", "cli", "watch", "validate"]),
        ("apply", &["plan", "reconcile", "cli", "watch"]),
        ("reconcile", &["cli", "watch"]),
        (
            "emulator",
            &["plan", "provider", "apply", "reconcile", "cli", "watch", "model"],
        ),
    ];
    let mut broken = Vec::new();
    for (from, never) in forbidden {
        for to in *never {
            if let Some(file) = edges.get(*from).and_then(|e| e.get(*to)) {
                broken.push(format!("{from} imports {to} ({file})"));
            }
        }
    }
    assert!(
        broken.is_empty(),
        "the rule of src/lib.rs is broken:\n{}",
        broken.join("\n")
    );
}

#[test]
fn no_module_imports_one_that_imports_it_back() {
    let edges = edges();
    let mut circles = Vec::new();
    for start in edges.keys() {
        let mut stack = vec![(start.clone(), vec![start.clone()])];
        let mut seen = BTreeSet::new();
        while let Some((at, path)) = stack.pop() {
            for next in edges.get(&at).into_iter().flat_map(|e| e.keys()) {
                if next == start {
                    circles.push(format!("{} → {start}", path.join(" → ")));
                } else if seen.insert(next.clone()) {
                    let mut longer = path.clone();
                    longer.push(next.clone());
                    stack.push((next.clone(), longer));
                }
            }
        }
    }
    assert!(circles.is_empty(), "import circles:\n{}", circles.join("\n"));
}
