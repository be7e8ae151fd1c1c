//! Composite alarms: an `AlarmRule` over other alarms' states, e.g.
//! `ALARM("errors") OR (ALARM(latency) AND NOT INSUFFICIENT_DATA(latency))`.
//! Precedence is NOT, then AND, then OR; `TRUE` and `FALSE` are literals.

use std::collections::BTreeMap;

use crate::alarm::AlarmState;

#[derive(Debug, Clone, PartialEq)]
pub enum Rule {
    State(AlarmState, String),
    Literal(bool),
    Not(Box<Rule>),
    And(Box<Rule>, Box<Rule>),
    Or(Box<Rule>, Box<Rule>),
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("AlarmRule `{rule}`: {message} at character {at}")]
pub struct RuleError {
    pub rule: String,
    pub message: String,
    pub at: usize,
}

impl Rule {
    pub fn parse(text: &str) -> Result<Rule, RuleError> {
        let mut p = Parser { text, pos: 0 };
        let rule = p.or()?;
        p.ws();
        if p.pos != text.len() {
            return Err(p.error("unexpected text"));
        }
        Ok(rule)
    }

    /// The alarms the rule reads.
    pub fn alarms(&self) -> Vec<&str> {
        match self {
            Rule::State(_, name) => vec![name],
            Rule::Literal(_) => vec![],
            Rule::Not(r) => r.alarms(),
            Rule::And(a, b) | Rule::Or(a, b) => a.alarms().into_iter().chain(b.alarms()).collect(),
        }
    }

    /// True when the composite alarm is in ALARM. An alarm with no state yet counts as
    /// INSUFFICIENT_DATA.
    pub fn holds(&self, states: &BTreeMap<String, AlarmState>) -> bool {
        match self {
            Rule::State(want, name) => states.get(name).copied().unwrap_or(AlarmState::InsufficientData) == *want,
            Rule::Literal(b) => *b,
            Rule::Not(r) => !r.holds(states),
            Rule::And(a, b) => a.holds(states) && b.holds(states),
            Rule::Or(a, b) => a.holds(states) || b.holds(states),
        }
    }
}

struct Parser<'a> {
    text: &'a str,
    pos: usize,
}

impl Parser<'_> {
    fn error(&self, message: &str) -> RuleError {
        RuleError {
            rule: self.text.to_string(),
            message: message.into(),
            at: self.pos,
        }
    }

    fn ws(&mut self) {
        while self.text[self.pos..].starts_with(char::is_whitespace) {
            self.pos += self.text[self.pos..].chars().next().map_or(1, char::len_utf8);
        }
    }

    fn keyword(&mut self, word: &str) -> bool {
        self.ws();
        // Sliced only after the prefix matched: `word` is ASCII, so its end is a character
        // boundary of the rule (fuzzing found a rule with a multibyte character there).
        let Some(after) = self.text[self.pos..].strip_prefix(word) else {
            return false;
        };
        if after.chars().next().is_none_or(|c| !c.is_ascii_alphanumeric() && c != '_') {
            self.pos += word.len();
            true
        } else {
            false
        }
    }

    fn or(&mut self) -> Result<Rule, RuleError> {
        let mut left = self.and()?;
        while self.keyword("OR") {
            left = Rule::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Rule, RuleError> {
        let mut left = self.unary()?;
        while self.keyword("AND") {
            left = Rule::And(Box::new(left), Box::new(self.unary()?));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Rule, RuleError> {
        if self.keyword("NOT") {
            return Ok(Rule::Not(Box::new(self.unary()?)));
        }
        self.ws();
        if self.text[self.pos..].starts_with('(') {
            self.pos += 1;
            let inner = self.or()?;
            self.ws();
            if !self.text[self.pos..].starts_with(')') {
                return Err(self.error("expected ')'"));
            }
            self.pos += 1;
            return Ok(inner);
        }
        if self.keyword("TRUE") {
            return Ok(Rule::Literal(true));
        }
        if self.keyword("FALSE") {
            return Ok(Rule::Literal(false));
        }
        // INSUFFICIENT_DATA first: it must not be read as another keyword's prefix.
        for (word, state) in [
            ("INSUFFICIENT_DATA", AlarmState::InsufficientData),
            ("ALARM", AlarmState::Alarm),
            ("OK", AlarmState::Ok),
        ] {
            if self.keyword(word) {
                self.ws();
                if !self.text[self.pos..].starts_with('(') {
                    return Err(self.error("expected '(' after the state function"));
                }
                self.pos += 1;
                self.ws();
                let name = self.name()?;
                self.ws();
                if !self.text[self.pos..].starts_with(')') {
                    return Err(self.error("expected ')'"));
                }
                self.pos += 1;
                return Ok(Rule::State(state, name));
            }
        }
        Err(self.error("expected ALARM(…), OK(…), INSUFFICIENT_DATA(…), NOT, TRUE, FALSE or '('"))
    }

    fn name(&mut self) -> Result<String, RuleError> {
        let rest = &self.text[self.pos..];
        if let Some(quoted) = rest.strip_prefix('"') {
            let end = quoted.find('"').ok_or_else(|| self.error("unterminated alarm name"))?;
            self.pos += end + 2;
            return Ok(quoted[..end].to_string());
        }
        let end = rest.find(|c: char| c == ')' || c.is_whitespace()).unwrap_or(rest.len());
        if end == 0 {
            return Err(self.error("expected an alarm name"));
        }
        self.pos += end;
        Ok(rest[..end].to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn states(pairs: &[(&str, AlarmState)]) -> BTreeMap<String, AlarmState> {
        pairs.iter().map(|(n, s)| (n.to_string(), *s)).collect()
    }

    #[test]
    fn precedence_and_evaluation() {
        let rule = Rule::parse(r#"ALARM("errors") OR ALARM(latency) AND NOT INSUFFICIENT_DATA(latency)"#).unwrap();
        assert_eq!(rule.alarms(), ["errors", "latency", "latency"]);
        let s = states(&[("errors", AlarmState::Ok), ("latency", AlarmState::Alarm)]);
        assert!(rule.holds(&s));
        let s = states(&[("errors", AlarmState::Ok), ("latency", AlarmState::Ok)]);
        assert!(!rule.holds(&s));
        assert!(Rule::parse("(TRUE AND NOT FALSE)").unwrap().holds(&BTreeMap::new()));
        assert!(Rule::parse("INSUFFICIENT_DATA(never_seen)").unwrap().holds(&BTreeMap::new()));
    }

    #[test]
    fn errors_point_at_the_problem() {
        assert_eq!(Rule::parse("ALARM(a) XOR ALARM(b)").unwrap_err().at, 9, "points at XOR");
        assert!(Rule::parse("ALARM(a").is_err());
        assert!(Rule::parse("ALARMS(a)").is_err());
        assert!(Rule::parse("").is_err());
        // A keyword's length can end inside a multibyte character of the rule (found by fuzzing).
        assert!(Rule::parse("ALA\u{91797}(a)").is_err());
        assert!(Rule::parse("TR\u{e9}").is_err());
    }
}
