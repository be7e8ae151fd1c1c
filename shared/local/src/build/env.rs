//! The build's environment when its commands are done, as CodeBuild expands it in the
//! buildspec's `artifacts`: `$VAR` and `${VAR}` in `files`, `base-directory` and
//! `exclude-paths`, the primary artifacts and the secondary ones alike (buildspec reference,
//! "artifacts"; a variable a command exported counts, one never set expands to nothing).

use std::collections::BTreeMap;
use std::path::Path;

use baton_core::spec::buildspec::Artifacts;

/// The `NAME=value\0` pairs the driver wrote (`env -0`), then the file is gone: it holds the
/// build's secrets as its environment did.
pub(crate) fn take(file: &Path) -> BTreeMap<String, String> {
    let bytes = std::fs::read(file).unwrap_or_default();
    let _ = std::fs::remove_file(file);
    crate::build::driver::parse_exported(&bytes)
}

/// `artifacts` with its paths expanded in `env`.
pub(crate) fn expand_artifacts(artifacts: &Artifacts, env: &BTreeMap<String, String>) -> Artifacts {
    let mut out = artifacts.clone();
    out.files = artifacts.files.iter().map(|f| expand(f, env)).collect();
    out.exclude_paths = artifacts.exclude_paths.iter().map(|f| expand(f, env)).collect();
    if let Some(base) = &mut out.base_directory {
        base.value = expand(&base.value, env);
    }
    out
}

/// `$NAME` and `${NAME}` replaced by their values; anything else, `$` alone included, kept.
pub(crate) fn expand(text: &str, env: &BTreeMap<String, String>) -> String {
    let name_char = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let (name, used) = if let Some(braced) = after.strip_prefix('{') {
            match braced.find('}') {
                Some(end) if braced[..end].chars().all(name_char) && !braced[..end].is_empty() => (&braced[..end], end + 2),
                _ => ("", 0),
            }
        } else {
            let end = after.find(|c: char| !name_char(c)).unwrap_or(after.len());
            (&after[..end], end)
        };
        if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
            out.push('$');
            rest = after;
        } else {
            out.push_str(env.get(name).map_or("", String::as_str));
            rest = &after[used..];
        }
    }
    out + rest
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_spellings_expand_and_the_rest_is_kept() {
        let env: BTreeMap<String, String> = [("VERSION_FILE", "dist/v1.txt"), ("DIR", "out")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        assert_eq!(expand("$VERSION_FILE", &env), "dist/v1.txt");
        assert_eq!(expand("${DIR}/**/*", &env), "out/**/*");
        assert_eq!(expand("$DIR-$UNSET-x", &env), "out--x");
        assert_eq!(expand("cost$ and ${ and $1", &env), "cost$ and ${ and $1");
    }
}
