//! `telform fmt`: the command on real files, and properties of the formatter on generated
//! manifests.

use std::collections::BTreeSet;
use std::path::Path;

use proptest::prelude::*;
use serde_json::Value;
use telform::fmt::{FileKind, format};
use telform::manifest::yaml::{Limits, parse};

use crate::{root, stdout, telform};

fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).expect("written");
}

fn read(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).expect("readable")
}

/// CI runs the same command: the examples are kept in canonical form.
#[test]
fn examples_are_formatted() {
    let output = telform(&root(), &["fmt", "--check", "examples/"]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "run `telform fmt examples/`:\n{}{}",
        stdout(&output),
        stderr(&output)
    );
    assert!(stdout(&output).starts_with("ok: "), "{}", stdout(&output));
}

const UNORDERED: &str = "\
# yaml-language-server: $schema=schemas/document.json
kind: Account
apiVersion: telform/v1
metadata: {name: contoso}
spec:
  # never deleted
  protect: true
  services:
    operatorConnect: {sync: true, enabled: true}
  correlationId: CRM-4711
  teamsTenantId: 8c2f5b1e-0d7a-4c1e-9a57-3f1d2b6c7e90
---
apiVersion: telform/v1
kind: NumberSet
metadata: {name: contoso-hq}
spec:
  numbers:
    - number: \"+14255550201\"
    - {usage: conference, number: \"+14255550200\", capabilities: [inbound]}   # the bridge
  ranges:
    - {from: \"+14255550100\", to: \"+14255550199\"}
  account: contoso
  service: operatorConnect
  defaults:
    usage: user
    capabilities: [inbound, outbound]
    civicAddressId: 5b4e0c8a-1f2d-4b7a-9c3e-6d8f0a1b2c3d
    locationId: 9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d
";

const ORDERED: &str = "\
# yaml-language-server: $schema=schemas/document.json
apiVersion: telform/v1
kind: Account
metadata: {name: contoso}
spec:
  correlationId: CRM-4711
  teamsTenantId: 8c2f5b1e-0d7a-4c1e-9a57-3f1d2b6c7e90
  services:
    operatorConnect: {enabled: true, sync: true}
  # never deleted
  protect: true
---
apiVersion: telform/v1
kind: NumberSet
metadata: {name: contoso-hq}
spec:
  account: contoso
  service: operatorConnect
  defaults:
    usage: user
    capabilities: [inbound, outbound]
    civicAddressId: 5b4e0c8a-1f2d-4b7a-9c3e-6d8f0a1b2c3d
    locationId: 9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d
  ranges:
    - {from: \"+14255550100\", to: \"+14255550199\"}
  numbers:
    - {number: \"+14255550200\", usage: conference, capabilities: [inbound]}   # the bridge
    - number: \"+14255550201\"
";

#[test]
fn check_prints_a_diff_and_fmt_repairs_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    write(dir.path(), "contoso.yaml", UNORDERED);
    let check = telform(dir.path(), &["fmt", "--check", "."]);
    assert_eq!(check.status.code(), Some(1), "{}", stderr(&check));
    let diff = stdout(&check);
    assert!(
        diff.starts_with("--- contoso.yaml\n+++ contoso.yaml (formatted)\n@@ "),
        "{diff}"
    );
    assert!(
        diff.contains("+apiVersion: telform/v1\n kind: Account\n-apiVersion: telform/v1\n")
            && diff.contains("+    operatorConnect: {enabled: true, sync: true}\n"),
        "{diff}"
    );
    assert!(
        stderr(&check).contains("error: 1 of 1 file is not formatted: contoso.yaml\nhint: run `telform fmt .`"),
        "{}",
        stderr(&check)
    );
    assert_eq!(read(dir.path(), "contoso.yaml"), UNORDERED, "--check changed the file");

    let fmt = telform(dir.path(), &["fmt"]);
    assert_eq!(fmt.status.code(), Some(0), "{}", stderr(&fmt));
    assert_eq!(stdout(&fmt), "formatted contoso.yaml\n");
    assert_eq!(read(dir.path(), "contoso.yaml"), ORDERED);
    // No temporary file left behind.
    assert_eq!(std::fs::read_dir(dir.path()).expect("dir").count(), 1);

    let again = telform(dir.path(), &["fmt", "--check", "contoso.yaml"]);
    assert_eq!(again.status.code(), Some(0), "{}", stdout(&again));
    assert_eq!(stdout(&again), "ok: 1 file is formatted\n");
}

#[test]
fn invalid_manifests_are_not_formatted() {
    let dir = tempfile::tempdir().expect("temp dir");
    let broken = UNORDERED.replace("\"+14255550201\"", "\"14255550201\"");
    write(dir.path(), "contoso.yaml", &broken);
    let output = telform(dir.path(), &["fmt", "."]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stdout(&output).contains("TF101"), "{}", stdout(&output));
    assert!(
        stderr(&output)
            .contains("error: fmt only rewrites valid manifests, and 1 problem was found; nothing was changed\nhint: "),
        "{}",
        stderr(&output)
    );
    assert_eq!(read(dir.path(), "contoso.yaml"), broken);
}

/// An editor or a pre-commit hook formats one file: references to objects declared in other
/// files of the repository do not stop it.
#[test]
fn one_file_is_formatted_without_the_files_it_refers_to() {
    let dir = tempfile::tempdir().expect("temp dir");
    let users = std::fs::read_to_string(root().join("examples/webex/acme/users.yaml")).expect("users.yaml");
    let swapped = users.replacen(
        "  firstName: Camille\n  lastName: Bernard\n",
        "  lastName: Bernard\n  firstName: Camille\n",
        1,
    );
    assert_ne!(swapped, users);
    write(dir.path(), "users.yaml", &swapped);
    let output = telform(dir.path(), &["fmt", "users.yaml"]);
    assert_eq!(output.status.code(), Some(0), "{}{}", stdout(&output), stderr(&output));
    assert_eq!(read(dir.path(), "users.yaml"), users);
}

#[test]
fn what_cannot_be_rewritten_safely_is_refused_with_its_position() {
    let dir = tempfile::tempdir().expect("temp dir");
    let text = "apiVersion: telform/v1\nkind: Account\nmetadata: {name: a}\nspec:\n  services:\n    zoom: {sync: true,  # why\n           enabled: true}\n";
    write(dir.path(), "a.yaml", text);
    let output = telform(dir.path(), &["fmt", "a.yaml"]);
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert!(
        err.starts_with("error: a.yaml:6:11: this flow collection must be reordered, but it holds a comment that would lose its place; the file was left as it is\nhint: write it in block style"),
        "{err}"
    );
    assert_eq!(read(dir.path(), "a.yaml"), text);
}

/// fmt merges numbers into ranges up to its own limit; that limit must be the one validation
/// enforces (TF106), or fmt would write ranges validation refuses.
#[test]
fn the_merge_limit_is_the_range_limit() {
    let dir = tempfile::tempdir().expect("temp dir");
    let last = |size: u64| format!("+1425{:07}", size - 1);
    for (size, valid) in [(telform::fmt::MAX_RANGE, true), (telform::fmt::MAX_RANGE + 1, false)] {
        let text = format!(
            "apiVersion: telform/v1\nkind: Account\nmetadata: {{name: a}}\nspec:\n  services:\n    zoom: {{enabled: true}}\n---\napiVersion: telform/v1\nkind: NumberSet\nmetadata: {{name: s}}\nspec:\n  account: a\n  service: zoom\n  ranges:\n    - {{from: \"+14250000000\", to: \"{}\"}}\n",
            last(size)
        );
        write(dir.path(), "n.yaml", &text);
        let validated = telform::validate::validate(&[dir.path().join("n.yaml")]);
        let codes: Vec<&str> = validated.diagnostics.iter().map(|d| d.code.id).collect();
        assert_eq!(validated.is_valid(), valid, "{size}: {codes:?}");
        assert_eq!(codes.contains(&"TF106"), !valid, "{size}: {codes:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// Properties, on generated NumberSets: keys in any order, numbers in any order and shape,
// comments anywhere fmt promises to keep them.

/// What the numbers 100..140 of the generated set are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    Absent,
    /// In a range; `true` starts a new range even after a ranged number.
    Ranged(bool),
    /// A `numbers` entry with only `number`.
    Bare,
    /// The same, with a comment: never merged.
    Commented,
    /// An entry with an attribute of its own, keys in either order.
    Override(bool),
}

fn slot() -> impl Strategy<Value = Slot> {
    prop_oneof![
        3 => Just(Slot::Absent),
        3 => any::<bool>().prop_map(Slot::Ranged),
        3 => Just(Slot::Bare),
        1 => Just(Slot::Commented),
        1 => any::<bool>().prop_map(Slot::Override),
    ]
}

fn number(i: usize) -> String {
    format!("+14255550{i:03}")
}

/// A NumberSet document: spec keys in `order`, each key possibly under a comment.
fn number_set(slots: &[Slot], order: &[usize], comments: &[bool], flow_entries: bool) -> String {
    let mut ranges = Vec::new();
    let mut numbers = Vec::new();
    let mut open: Option<(usize, usize)> = None;
    for (i, slot) in slots.iter().enumerate() {
        let n = 100 + i;
        match slot {
            Slot::Ranged(split) => match open {
                Some((from, to)) if to + 1 == n && !split => open = Some((from, n)),
                _ => {
                    ranges.extend(open.take());
                    open = Some((n, n));
                }
            },
            _ => ranges.extend(open.take()),
        }
        match slot {
            Slot::Bare if flow_entries => numbers.push(format!("    - {{number: \"{}\"}}\n", number(n))),
            Slot::Bare => numbers.push(format!("    - number: \"{}\"\n", number(n))),
            Slot::Commented => numbers.push(format!("    # keep {n}\n    - number: \"{}\"\n", number(n))),
            Slot::Override(true) => numbers.push(format!("    - number: \"{}\"\n      usage: conference\n", number(n))),
            Slot::Override(false) => {
                numbers.push(format!("    - usage: application\n      number: \"{}\"\n", number(n)))
            }
            _ => {}
        }
    }
    ranges.extend(open);
    // Shuffle deterministically by a rotation so that the lists are not written sorted.
    let rotate = |mut v: Vec<String>| {
        let k = v.len() / 2;
        v.rotate_left(k);
        v
    };
    let ranges = rotate(
        ranges
            .iter()
            .map(|(a, b)| format!("    - {{from: \"{}\", to: \"{}\"}}\n", number(*a), number(*b)))
            .collect(),
    );
    let numbers = rotate(numbers);
    let mut entries: Vec<String> = vec![
        "  account: contoso\n".into(),
        "  service: operatorConnect\n".into(),
        "  defaults:\n    capabilities: [inbound]\n    usage: user\n".into(),
        format!("  ranges:\n{}", ranges.concat()),
        format!("  numbers:\n{}", numbers.concat()),
        "  ensure: present\n".into(),
    ];
    if ranges.is_empty() {
        entries[3].clear();
    }
    if numbers.is_empty() {
        entries[4].clear();
    }
    let mut spec = String::new();
    for (&i, &comment) in order.iter().zip(comments) {
        if entries[i].is_empty() {
            continue;
        }
        if comment {
            spec.push_str(&format!("  # about entry {i}\n"));
        }
        spec.push_str(&entries[i]);
    }
    format!("# header\nkind: NumberSet\napiVersion: telform/v1\nmetadata: {{name: s}}\nspec:\n{spec}")
}

/// Every number of a NumberSet with its own attributes, whatever the writing.
fn expand(doc: &Value) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    let spec = &doc["spec"];
    for range in spec["ranges"].as_array().into_iter().flatten() {
        let from: u64 = range["from"].as_str().expect("from")[1..].parse().expect("digits");
        let to: u64 = range["to"].as_str().expect("to")[1..].parse().expect("digits");
        for n in from..=to {
            out.insert((format!("+{n}"), "{}".to_string()));
        }
    }
    for entry in spec["numbers"].as_array().into_iter().flatten() {
        let mut attributes = entry.clone();
        attributes.as_object_mut().expect("entry").remove("number");
        out.insert((
            entry["number"].as_str().expect("number").to_string(),
            attributes.to_string(),
        ));
    }
    out
}

fn only_doc(text: &str) -> (Value, Vec<String>) {
    let parsed = parse(text, Limits::default(), true);
    assert!(parsed.errors.is_empty(), "{:?}\n{text}", parsed.errors);
    assert_eq!(parsed.docs.len(), 1);
    let doc = &parsed.docs[0];
    let keys = match &doc.spans.as_ref().expect("spans").resolve("/spec").node.children {
        telform::manifest::yaml::SpanChildren::Map(entries) => entries.iter().map(|(k, _, _)| k.clone()).collect(),
        other => panic!("{other:?}"),
    };
    (doc.value.clone(), keys)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn fmt_is_canonical_lossless_and_idempotent(
        slots in prop::collection::vec(slot(), 1..40),
        order in Just((0..6).collect::<Vec<usize>>()).prop_shuffle(),
        comments in prop::collection::vec(any::<bool>(), 6),
        flow_entries in any::<bool>(),
    ) {
        let text = number_set(&slots, &order, &comments, flow_entries);
        let once = format(&text, FileKind::Manifests).map_err(|r| TestCaseError::fail(format!("{r:?}\n{text}")))?;
        let twice = format(&once, FileKind::Manifests).map_err(|r| TestCaseError::fail(format!("{r:?}\n{once}")))?;
        prop_assert_eq!(&twice, &once, "not idempotent:\n{}", text);

        let (before, _) = only_doc(&text);
        let (after, keys) = only_doc(&once);
        prop_assert_eq!(expand(&before), expand(&after), "numbers changed:\n{}\n=>\n{}", text, once);
        prop_assert_eq!(&before["spec"]["defaults"], &after["spec"]["defaults"]);
        prop_assert_eq!(&before["metadata"], &after["metadata"]);

        // Keys in schema order.
        let schema_order = ["account", "service", "defaults", "ranges", "numbers", "ensure"];
        let ranks: Vec<usize> = keys.iter().map(|k| schema_order.iter().position(|s| s == k).expect("known key")).collect();
        prop_assert!(ranks.windows(2).all(|w| w[0] < w[1]), "{:?}\n{}", keys, once);
        prop_assert!(once.starts_with("# header\napiVersion: telform/v1\nkind: NumberSet\n"), "{}", once);

        // Lists sorted; no two plain numbers or ranges left contiguous.
        let text_of = |v: &Value, key: &str| v.as_array().into_iter().flatten().map(|e| e[key].as_str().unwrap_or_default().to_string()).collect::<Vec<_>>();
        let froms = text_of(&after["spec"]["ranges"], "from");
        let numbers = text_of(&after["spec"]["numbers"], "number");
        prop_assert!(froms.windows(2).all(|w| w[0] < w[1]) && numbers.windows(2).all(|w| w[0] < w[1]), "{}", once);
        let mut plain: Vec<(u64, u64)> = after["spec"]["ranges"].as_array().into_iter().flatten()
            .map(|r| (r["from"].as_str().unwrap_or("+0")[1..].parse().unwrap_or(0), r["to"].as_str().unwrap_or("+0")[1..].parse().unwrap_or(0)))
            .collect();
        let mut mergeable = Vec::new();
        for entry in after["spec"]["numbers"].as_array().into_iter().flatten() {
            // Entries alone on their line, without a comment, are mergeable.
            let n: u64 = entry["number"].as_str().unwrap_or("+0")[1..].parse().unwrap_or(0);
            let commented = once.contains(&format!("# keep {}", n % 1000));
            if entry.as_object().is_some_and(|o| o.len() == 1) && !commented {
                mergeable.push((n, n));
            }
        }
        // Merging them all would remove `numbers`, and with it the comment above the key: then
        // they stay.
        let all = after["spec"]["numbers"].as_array().map_or(0, Vec::len);
        if !(once.contains("# about entry 4") && mergeable.len() == all) {
            plain.extend(mergeable);
        }
        plain.sort_unstable();
        prop_assert!(plain.windows(2).all(|w| w[0].1 + 1 < w[1].0), "contiguous numbers left: {:?}\n{}", plain, once);

        // Every comment kept.
        let comment_lines = |t: &str| { let mut c: Vec<String> = t.lines().filter(|l| l.trim_start().starts_with('#')).map(|l| l.trim().to_string()).collect(); c.sort(); c };
        prop_assert_eq!(comment_lines(&text), comment_lines(&once));
    }
}

/// fmt is only run on valid manifests, but the formatter itself must never panic, whatever
/// it is given: every case of the bad-input corpus is formatted or refused.
#[test]
fn the_formatter_never_panics_on_the_bad_corpus() {
    let mut stack = vec![root().join("tests/bad")];
    let mut seen = 0;
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("readable") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let text = String::from_utf8_lossy(&std::fs::read(&path).expect("readable")).into_owned();
            for kind in [FileKind::Manifests, FileKind::Settings] {
                if let Ok(once) = format(&text, kind) {
                    assert_eq!(format(&once, kind).as_ref(), Ok(&once), "{}", path.display());
                }
            }
            seen += 1;
        }
    }
    assert!(seen > 100, "{seen}");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    /// Lines of the examples dropped, repeated or shifted: whatever comes out is formatted
    /// (idempotently) or refused, never a panic.
    #[test]
    fn the_formatter_never_panics_on_damaged_examples(
        file in prop::sample::select(vec!["acg/contoso.yaml", "acg/tailspin.yaml", "webex/acme/devices.yaml", "webex/acme/locations.yaml", "telform.yaml"]),
        edits in prop::collection::vec((0usize..120, 0u8..4), 1..6),
    ) {
        let text = std::fs::read_to_string(root().join("examples").join(file)).expect("example");
        let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
        for (at, what) in edits {
            if lines.is_empty() {
                break;
            }
            let at = at % lines.len();
            match what {
                0 => { lines.remove(at); }
                1 => { let line = lines[at].clone(); lines.insert(at, line); }
                2 => lines[at] = format!("  {}", lines[at]),
                _ => lines[at] = lines[at].trim_start().to_string(),
            }
        }
        let damaged = lines.join("\n");
        let kind = if file == "telform.yaml" { FileKind::Settings } else { FileKind::Manifests };
        if let Ok(once) = format(&damaged, kind) {
            prop_assert_eq!(format(&once, kind), Ok(once.clone()), "{}", damaged);
        }
    }
}

/// `fmt --output json`: one object a script can read, with the files that (would) change.
#[test]
fn fmt_says_what_it_changed_as_json() {
    let temp = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        temp.path().join("a.yaml"),
        "kind: Account\napiVersion: telform/v1\nmetadata: {name: a}\nspec:\n  services:\n    directRouting: {enabled: true}\n",
    )
    .expect("written");
    let check = crate::telform(temp.path(), &["fmt", "--check", "--output", "json", "a.yaml"]);
    assert_eq!(check.status.code(), Some(1));
    let found: serde_json::Value = serde_json::from_str(&crate::stdout(&check)).expect("one JSON object");
    assert_eq!(found["changed"], serde_json::json!(["a.yaml"]), "{found}");
    assert_eq!(found["check"], true);
    let written = crate::telform(temp.path(), &["fmt", "--output", "json", "a.yaml"]);
    assert_eq!(written.status.code(), Some(0));
    let found: serde_json::Value = serde_json::from_str(&crate::stdout(&written)).expect("one JSON object");
    assert_eq!(found["changed"], serde_json::json!(["a.yaml"]), "{found}");
    let again = crate::telform(temp.path(), &["fmt", "--check", "--output", "json", "a.yaml"]);
    assert_eq!(again.status.code(), Some(0));
    let found: serde_json::Value = serde_json::from_str(&crate::stdout(&again)).expect("one JSON object");
    assert_eq!(found["changed"], serde_json::json!([]), "{found}");
}
