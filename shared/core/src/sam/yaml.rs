//! A small YAML writer for CloudFormation: block mappings and sequences, scalars quoted only
//! where YAML would read them as something else, and CloudFormation's short-form intrinsic
//! functions (`!Ref`, `!Sub`, `!GetAtt`, `!If`) as tags, so the generated template reads like a
//! hand-written one. Keys keep their insertion order: the same pipeline gives the same bytes.

use std::fmt::Write;

/// A node of a template.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    Seq(Vec<Node>),
    Map(Vec<(String, Node)>),
    /// A short-form intrinsic function: `!Ref X`, `!Sub "…"`, `!GetAtt X.Arn`, `!If [...]`.
    Tag(&'static str, Box<Node>),
    /// A multi-line string, written as a literal block (`|-`): a dashboard's JSON, a policy.
    Block(String),
}

pub fn s(text: impl Into<String>) -> Node {
    Node::Str(text.into())
}

pub fn map<K: Into<String>>(entries: impl IntoIterator<Item = (K, Node)>) -> Node {
    Node::Map(entries.into_iter().map(|(k, v)| (k.into(), v)).collect())
}

pub fn seq(items: impl IntoIterator<Item = Node>) -> Node {
    Node::Seq(items.into_iter().collect())
}

pub fn r#ref(name: impl Into<String>) -> Node {
    Node::Tag("!Ref", Box::new(s(name)))
}

pub fn sub(text: impl Into<String>) -> Node {
    Node::Tag("!Sub", Box::new(s(text)))
}

pub fn get_att(resource: &str, attribute: &str) -> Node {
    Node::Tag("!GetAtt", Box::new(s(format!("{resource}.{attribute}"))))
}

impl Node {
    /// The node as the lines of a block at `indent` spaces (a mapping's or sequence's entries).
    pub fn to_yaml(&self, indent: usize) -> String {
        let mut out = String::new();
        self.block(&mut out, indent);
        out
    }

    fn block(&self, out: &mut String, indent: usize) {
        let pad = " ".repeat(indent);
        match self {
            Node::Map(entries) => {
                for (key, value) in entries {
                    let _ = write!(out, "{pad}{}:", scalar(key));
                    value.after_key(out, indent);
                }
            }
            Node::Seq(items) => {
                for item in items {
                    let _ = write!(out, "{pad}-");
                    match item {
                        // A mapping starts on the dash's line: `- Key: value`.
                        Node::Map(entries) if !entries.is_empty() => {
                            let nested = item.to_yaml(indent + 2);
                            out.push(' ');
                            out.push_str(nested.trim_start());
                        }
                        _ => item.after_key(out, indent),
                    }
                }
            }
            other => {
                let _ = writeln!(out, "{pad}{}", other.inline());
            }
        }
    }

    /// What follows `key:` or `-`: an inline value on the same line, or a nested block.
    fn after_key(&self, out: &mut String, indent: usize) {
        match self {
            Node::Map(e) if e.is_empty() => out.push_str(" {}\n"),
            Node::Seq(i) if i.is_empty() => out.push_str(" []\n"),
            Node::Map(_) | Node::Seq(_) => {
                out.push('\n');
                self.block(out, indent + 2);
            }
            Node::Tag(tag, inner) if matches!(**inner, Node::Seq(_) | Node::Map(_)) => {
                let _ = writeln!(out, " {tag}");
                inner.block(out, indent + 2);
            }
            Node::Block(text) => {
                out.push_str(" |-\n");
                for line in text.lines() {
                    let _ = writeln!(out, "{}{line}", " ".repeat(indent + 2));
                }
            }
            other => {
                let _ = writeln!(out, " {}", other.inline());
            }
        }
    }

    /// The node on one line, in flow style: `[!Ref A, !Ref B]`.
    pub fn inline_flow(&self) -> String {
        self.inline()
    }

    fn inline(&self) -> String {
        match self {
            Node::Str(text) | Node::Block(text) => scalar(text),
            Node::Int(n) => n.to_string(),
            Node::Float(f) => format!("{f}"),
            Node::Bool(b) => b.to_string(),
            Node::Tag(tag, inner) => format!("{tag} {}", inner.inline()),
            Node::Seq(items) => format!("[{}]", items.iter().map(Node::inline).collect::<Vec<_>>().join(", ")),
            Node::Map(entries) => format!(
                "{{ {} }}",
                entries
                    .iter()
                    .map(|(k, v)| format!("{}: {}", scalar(k), v.inline()))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }
}

/// A string as a YAML scalar: plain when YAML reads it back as the same string, else double
/// quoted with JSON's escapes (which YAML's double-quoted style shares).
fn scalar(text: &str) -> String {
    let plain = !text.is_empty()
        && text.chars().all(|c| c.is_ascii_alphanumeric() || "-_./:@$(){}*, ".contains(c))
        // A leading digit may be read as a number, a date or a time: `2012-10-17`, `1:30`.
        && text.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '/' || c == '$')
        && !text.ends_with(' ')
        && !text.contains(": ")
        && !text.contains(" #")
        && !text.contains(", ")
        && !matches!(
            text.to_ascii_lowercase().as_str(),
            "true" | "false" | "yes" | "no" | "on" | "off" | "null" | "y" | "n" | "~"
        )
        && text.parse::<f64>().is_err()
        && !text.starts_with("0x")
        && !text.starts_with("0o");
    if plain {
        text.to_string()
    } else {
        serde_json::to_string(text).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_tags_and_quoting() {
        let node = map([
            ("Name", sub("${AWS::StackName}-pipeline")),
            ("Count", Node::Int(3)),
            ("Flag", s("true")),
            ("Empty", seq([])),
            (
                "Items",
                seq([map([("Key", s("Baton-Group")), ("Value", r#ref("Tag"))]), s("two: words")]),
            ),
            ("Att", get_att("Fn", "Arn")),
            ("Body", seq([Node::Block("{\n  \"a\": 1\n}".into())])),
            (
                "Cond",
                Node::Tag("!If", Box::new(seq([s("Tracing"), s("Active"), s("PassThrough")]))),
            ),
        ]);
        assert_eq!(
            node.to_yaml(2),
            "  Name: !Sub ${AWS::StackName}-pipeline\n  Count: 3\n  Flag: \"true\"\n  Empty: []\n  Items:\n    - Key: Baton-Group\n      Value: !Ref Tag\n    - \"two: words\"\n  Att: !GetAtt Fn.Arn\n  Body:\n    - |-\n      {\n        \"a\": 1\n      }\n  Cond: !If\n    - Tracing\n    - Active\n    - PassThrough\n"
        );
    }

    #[test]
    fn what_yaml_would_misread_is_quoted() {
        for text in [
            "",
            "yes",
            "1.5",
            "010",
            "a: b",
            "x #y",
            " lead",
            "{json}",
            "1e3",
            "~",
            "*star",
            "2012-10-17",
        ] {
            assert!(scalar(text).starts_with('"'), "{text:?} → {}", scalar(text));
        }
        assert_eq!(scalar("CodeDeployDefault.OneAtATime"), "CodeDeployDefault.OneAtATime");
    }
}
