//! `telform validate`

use std::path::{Path, PathBuf};

use super::{DiagnosticFormat, ExitStatus, OperatorSettings, ValidateArgs, print_out};
use crate::manifest::settings::SecretPolicy;
use crate::validate::{self, report};

pub fn run(args: ValidateArgs, operator: &OperatorSettings) -> ExitStatus {
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths
    };
    let trusted = match operator.load(&paths[0]) {
        Ok(settings) => settings,
        Err(status) => return status,
    };
    let policy = SecretPolicy::of(trusted.as_ref());
    // Files named alone are checked in the context of their repository (their references
    // resolve to the other files'), and only their own problems are reported: what an editor
    // or a pre-commit hook needs.
    let (validated, context) = match in_context(&paths) {
        Some((root, named)) => {
            let mut validated = validate::validate_with(std::slice::from_ref(&root), &policy);
            let sources = &validated.sources;
            validated.diagnostics.retain(|d| {
                d.at.file()
                    .and_then(|id| std::fs::canonicalize(sources.path(id)).ok())
                    .is_some_and(|file| named.contains(&file))
            });
            (validated, Some((root, named.len())))
        }
        None => (validate::validate_with(&paths, &policy), None),
    };
    let located = report::locate(&validated.diagnostics, &validated.sources);
    match args.output {
        DiagnosticFormat::Text => {
            let mut text = report::render_text(&located, true);
            match &context {
                Some((root, named)) if located.is_empty() => text.push_str(&format!(
                    "ok: {} valid, in the context of the {} files of {}\n",
                    if *named == 1 {
                        "1 file".to_string()
                    } else {
                        format!("{named} files")
                    },
                    validated.sources.len(),
                    root.display()
                )),
                _ => text.push_str(&summary(&validated, &located)),
            }
            print_out(&text);
        }
        DiagnosticFormat::Json => print_out(&(report::render_json(&located) + "\n")),
        DiagnosticFormat::Github => print_out(&report::render_github(&located)),
    }
    let status = if validated.is_valid() {
        ExitStatus::Success
    } else {
        ExitStatus::Failure
    };
    // The command ends the process: its memory goes back to the system whole. Freed object by
    // object, the manifests of a million-number repository would take a noticeable time more.
    std::mem::forget(validated);
    status
}

/// When every path is a file of one manifest repository: that repository's folder and the
/// files' real paths. The repository is the nearest folder above the files that holds a
/// `telform.yaml` (`telform init` writes one); without one, a file is checked alone.
fn in_context(paths: &[PathBuf]) -> Option<(PathBuf, Vec<PathBuf>)> {
    let mut root: Option<PathBuf> = None;
    let mut named = Vec::new();
    for path in paths {
        if !std::fs::metadata(path).is_ok_and(|m| m.is_file()) {
            return None;
        }
        let real = std::fs::canonicalize(path).ok()?;
        let found = real.parent()?.ancestors().find(|dir| {
            crate::manifest::settings::SETTINGS_FILE_NAMES
                .iter()
                .any(|name| dir.join(name).is_file())
        });
        // Not the Git work tree as a fallback: it may hold anything (workflows, test data).
        let found = found?.to_path_buf();
        match &root {
            Some(root) if *root != found => return None,
            _ => root = Some(found),
        }
        named.push(real);
    }
    // Shown relative to the current folder when it is below it, as the user would write it.
    let root = root?;
    let shown = std::env::current_dir()
        .ok()
        .and_then(|cwd| std::fs::canonicalize(cwd).ok())
        .and_then(|cwd| root.strip_prefix(&cwd).ok().map(Path::to_path_buf))
        .map(|p| {
            if p.as_os_str().is_empty() {
                PathBuf::from(".")
            } else {
                p
            }
        })
        .unwrap_or(root);
    Some((shown, named))
}

fn summary(validated: &validate::Validated, located: &[report::Located]) -> String {
    let files = validated.sources.len();
    let plural = |n: usize, word: &str| {
        if n == 1 {
            format!("{n} {word}")
        } else {
            format!("{n} {word}s")
        }
    };
    if located.is_empty() {
        return format!(
            "ok: {} in {} valid\n",
            plural(validated.manifests.len(), "manifest"),
            plural(files, "file")
        );
    }
    let mut with_errors: Vec<&str> = located.iter().filter_map(|d| d.file.as_deref()).collect();
    with_errors.sort_unstable();
    with_errors.dedup();
    if validated.documents == 0 && located.iter().all(|d| matches!(d.code, "TF001" | "TF010")) {
        // Nothing was read at all (an empty folder, a path that does not exist).
        return format!("error: {}, no manifest read\n", plural(located.len(), "problem"));
    }
    format!(
        "error: {} in {} ({} read)\n",
        plural(located.len(), "problem"),
        plural(with_errors.len().max(1), "file"),
        plural(validated.documents, "document")
    )
}
