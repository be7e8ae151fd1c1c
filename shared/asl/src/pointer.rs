//! Where a JSON pointer (`/States/Build/Next`, as validation diagnostics name places) is in a
//! definition's text, as a 1-based line and column, so that an editor can jump to it.

/// The position of the value `pointer` names (of the member's key, for an object member), or
/// the deepest enclosing value that exists. `None` when the text is not JSON.
pub fn position(text: &str, pointer: &str) -> Option<(usize, usize)> {
    // A transition's place as AWS writes it, `/Choices[0]/Next`, is `/Choices/0/Next`.
    let tokens: Vec<String> = pointer
        .split('/')
        .skip(1)
        .flat_map(|t| match t.strip_suffix(']').and_then(|t| t.split_once('[')) {
            Some((field @ ("Choices" | "Catch"), index)) if index.parse::<usize>().is_ok() => vec![field.to_string(), index.to_string()],
            _ => vec![t.to_string()],
        })
        .map(|t| t.replace("~1", "/").replace("~0", "~"))
        .collect();
    let mut s = Scanner {
        bytes: text.as_bytes(),
        at: 0,
    };
    s.space();
    let mut found = s.at;
    for token in &tokens {
        match s.peek()? {
            b'{' => {
                s.at += 1;
                let mut hit = false;
                loop {
                    s.space();
                    if s.peek()? == b'}' {
                        break;
                    }
                    let key_at = s.at;
                    let key = s.string()?;
                    s.space();
                    s.expect(b':')?;
                    s.space();
                    if key == *token {
                        found = key_at;
                        hit = true;
                        break;
                    }
                    s.value()?;
                    s.space();
                    if s.peek()? == b',' {
                        s.at += 1;
                    }
                }
                if !hit {
                    break;
                }
            }
            b'[' => {
                let index: usize = token.parse().ok()?;
                s.at += 1;
                for _ in 0..index {
                    s.space();
                    s.value()?;
                    s.space();
                    s.expect(b',')?;
                }
                s.space();
                found = s.at;
            }
            _ => break,
        }
    }
    let before = &text[..found.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    Some((line, column))
}

struct Scanner<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Scanner<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn space(&mut self) {
        while self.peek().is_some_and(|b| b.is_ascii_whitespace()) {
            self.at += 1;
        }
    }

    fn expect(&mut self, b: u8) -> Option<()> {
        (self.peek()? == b).then(|| self.at += 1)
    }

    fn string(&mut self) -> Option<String> {
        let start = self.at;
        self.expect(b'"')?;
        loop {
            match self.peek()? {
                b'\\' => self.at += 2,
                b'"' => {
                    self.at += 1;
                    break;
                }
                _ => self.at += 1,
            }
        }
        serde_json::from_slice(self.bytes.get(start..self.at)?).ok()
    }

    /// Skips one value, nested ones without recursion (a hostile file may nest deeply).
    fn value(&mut self) -> Option<()> {
        let mut depth = 0usize;
        loop {
            self.space();
            match self.peek()? {
                b'"' => {
                    self.string()?;
                }
                b'{' | b'[' => {
                    depth += 1;
                    self.at += 1;
                    continue;
                }
                b'}' | b']' => {
                    depth = depth.checked_sub(1)?;
                    self.at += 1;
                }
                b',' | b':' if depth > 0 => {
                    self.at += 1;
                    continue;
                }
                _ => {
                    while self.peek().is_some_and(|b| !b",}] \t\r\n".contains(&b)) {
                        self.at += 1;
                    }
                }
            }
            if depth == 0 {
                return Some(());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::position;

    #[test]
    fn finds_members_and_items_or_the_nearest_enclosing_value() {
        let text = "{\n  \"StartAt\": \"A\",\n  \"States\": {\n    \"A\": {\"Type\": \"Pass\", \"Next\": \"Nope\"},\n    \"B/C\": [1, {\"x\": 2}]\n  }\n}";
        assert_eq!(position(text, "/States/A/Next"), Some((4, 27)));
        assert_eq!(position(text, "/States/B~1C/1/x"), Some((5, 17)));
        assert_eq!(position(text, "/States/Missing"), Some((3, 3)), "the deepest member that exists");
        assert_eq!(position(text, ""), Some((1, 1)));
        assert_eq!(position("not json", "/a"), Some((1, 1)));
        assert_eq!(position("{\"a\": [[[[", "/b"), None, "truncated text has no position");
    }

    /// A transition's place as AWS writes it, with a bracketed index.
    #[test]
    fn a_bracketed_index_is_an_item() {
        let text = "{\"States\": {\"C\": {\"Choices\": [\n  {\"Next\": \"A\"},\n  {\"Next\": \"B\"}]}}}";
        assert_eq!(
            position(text, "/States/C/Choices[1]/Next"),
            position(text, "/States/C/Choices/1/Next")
        );
        assert_eq!(position(text, "/States/C/Choices[1]/Next"), Some((3, 4)));
    }
}
