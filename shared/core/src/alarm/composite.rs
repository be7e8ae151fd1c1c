//! Composite alarms: an `AlarmRule` over other alarms' states, e.g.
//! `ALARM("errors") OR (ALARM(latency) AND NOT INSUFFICIENT_DATA(latency))` or
//! `AT_LEAST(2, ALARM, (az1, az2, az3))`. Precedence is NOT, then AND, then OR; `TRUE` and
//! `FALSE` are literals. The syntax is the CloudWatch user guide's ("Composite alarms": rule
//! expressions, alarm references, the `AT_LEAST` function).

use std::collections::BTreeMap;
use std::fmt;

use baton_asl::error::MAX_NESTING;

use crate::alarm::AlarmState;

#[derive(Debug, Clone, PartialEq)]
pub enum Rule {
    State(AlarmState, String),
    AtLeast(AtLeast),
    Literal(bool),
    Not(Box<Rule>),
    And(Box<Rule>, Box<Rule>),
    Or(Box<Rule>, Box<Rule>),
}

/// `AT_LEAST(M, STATE_CONDITION, (alarm1, …))`: true when at least M of the alarms, or M % of
/// them, meet the condition (a state, or `NOT` a state).
#[derive(Debug, Clone, PartialEq)]
pub struct AtLeast {
    pub threshold: Threshold,
    pub condition: Condition,
    pub alarms: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Threshold {
    Count(u32),
    Percent(u32),
}

/// `ALARM`, `OK`, `INSUFFICIENT_DATA`, or one of them after `NOT`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Condition {
    pub state: AlarmState,
    pub negated: bool,
}

impl fmt::Display for Threshold {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Count(n) => write!(f, "{n}"),
            Self::Percent(p) => write!(f, "{p}%"),
        }
    }
}

impl fmt::Display for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.negated {
            f.write_str("NOT ")?;
        }
        self.state.fmt(f)
    }
}

impl AtLeast {
    fn holds(&self, states: &BTreeMap<String, AlarmState>) -> bool {
        let meeting = self
            .alarms
            .iter()
            .filter(|name| (state_of(states, name) == self.condition.state) != self.condition.negated)
            .count() as u64;
        match self.threshold {
            Threshold::Count(m) => meeting >= u64::from(m),
            // "At least 50 %" of 3 alarms is 2 of them: compared in whole numbers, never rounded.
            Threshold::Percent(p) => meeting * 100 >= u64::from(p) * self.alarms.len() as u64,
        }
    }
}

/// An alarm with no state yet counts as INSUFFICIENT_DATA.
fn state_of(states: &BTreeMap<String, AlarmState>, name: &str) -> AlarmState {
    states.get(name).copied().unwrap_or(AlarmState::InsufficientData)
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("AlarmRule `{}`: {message} at character {at}", baton_asl::error::excerpt(.rule))]
pub struct RuleError {
    pub rule: String,
    pub message: String,
    pub at: usize,
}

impl Rule {
    pub fn parse(text: &str) -> Result<Rule, RuleError> {
        let mut p = Parser { text, pos: 0, depth: 0 };
        let length = text.chars().count();
        if length > MAX_RULE_LENGTH {
            return Err(p.error(&format!(
                "an AlarmRule is at most {MAX_RULE_LENGTH} characters (PutCompositeAlarm), not {length}"
            )));
        }
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
            Rule::AtLeast(a) => a.alarms.iter().map(String::as_str).collect(),
            Rule::Literal(_) => vec![],
            Rule::Not(r) => r.alarms(),
            Rule::And(a, b) | Rule::Or(a, b) => a.alarms().into_iter().chain(b.alarms()).collect(),
        }
    }

    /// The alarm whose transition decided the rule, of those that just changed (`before` holds
    /// their earlier states): the first it reads whose earlier state alone would have given the
    /// other outcome; else, when only their changes together decided it, the first of them.
    /// CloudWatch names that child in the composite alarm's reason.
    pub fn pivot<'a>(&'a self, states: &BTreeMap<String, AlarmState>, before: &BTreeMap<String, AlarmState>) -> Option<&'a str> {
        let now = self.holds(states);
        let flips = |reverted: &[&str]| {
            let mut then = states.clone();
            for child in reverted {
                then.insert((*child).to_string(), before[*child]);
            }
            self.holds(&then) != now
        };
        let changed: Vec<&str> = self.alarms().into_iter().filter(|c| before.contains_key(*c)).collect();
        if let Some(alone) = changed.iter().find(|c| flips(&[**c])) {
            return Some(alone);
        }
        flips(&changed).then(|| changed.first().copied()).flatten()
    }

    /// True when the composite alarm is in ALARM.
    pub fn holds(&self, states: &BTreeMap<String, AlarmState>) -> bool {
        match self {
            Rule::State(want, name) => state_of(states, name) == *want,
            Rule::AtLeast(a) => a.holds(states),
            Rule::Literal(b) => *b,
            Rule::Not(r) => !r.holds(states),
            Rule::And(a, b) => a.holds(states) && b.holds(states),
            Rule::Or(a, b) => a.holds(states) || b.holds(states),
        }
    }
}

/// PutCompositeAlarm's bound on `AlarmRule` ("Maximum length of 10240").
const MAX_RULE_LENGTH: usize = 10_240;

struct Parser<'a> {
    text: &'a str,
    pos: usize,
    /// Brackets and `NOT`s open around the parser's position.
    depth: usize,
}

impl Parser<'_> {
    fn error(&self, message: &str) -> RuleError {
        self.error_at(self.pos, message.to_string())
    }

    fn error_at(&self, at: usize, message: String) -> RuleError {
        RuleError {
            rule: self.text.to_string(),
            message,
            at,
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
            return self.nested(|p| p.unary()).map(|r| Rule::Not(Box::new(r)));
        }
        if self.punct('(') {
            let inner = self.nested(Self::or)?;
            self.expect(')')?;
            return Ok(inner);
        }
        if self.keyword("TRUE") {
            return Ok(Rule::Literal(true));
        }
        if self.keyword("FALSE") {
            return Ok(Rule::Literal(false));
        }
        if self.keyword("AT_LEAST") {
            return self.at_least().map(Rule::AtLeast);
        }
        if let Some(state) = self.state() {
            self.expect('(')?;
            self.ws();
            let name = self.name()?;
            self.expect(')')?;
            return Ok(Rule::State(state, name));
        }
        Err(self.error("expected ALARM(…), OK(…), INSUFFICIENT_DATA(…), AT_LEAST(…), NOT, TRUE, FALSE or '('"))
    }

    /// `parse` one level deeper, within `MAX_NESTING`.
    fn nested(&mut self, parse: impl FnOnce(&mut Self) -> Result<Rule, RuleError>) -> Result<Rule, RuleError> {
        if self.depth == MAX_NESTING {
            return Err(self.error(&format!("brackets and NOTs nest more than {MAX_NESTING} deep")));
        }
        self.depth += 1;
        let rule = parse(self);
        self.depth -= 1;
        rule
    }

    /// A state's name, as a function or as `AT_LEAST`'s condition.
    fn state(&mut self) -> Option<AlarmState> {
        // INSUFFICIENT_DATA first: it must not be read as another keyword's prefix.
        [
            ("INSUFFICIENT_DATA", AlarmState::InsufficientData),
            ("ALARM", AlarmState::Alarm),
            ("OK", AlarmState::Ok),
        ]
        .into_iter()
        .find_map(|(word, state)| self.keyword(word).then_some(state))
    }

    /// The rest of `AT_LEAST(M, STATE_CONDITION, (alarm1, …))`, after its name. M is a count
    /// from 1 to the number of alarms, or a percentage from 1% to 100%, in whole numbers (as
    /// AWS's CDK checks before it writes the rule).
    fn at_least(&mut self) -> Result<AtLeast, RuleError> {
        self.expect('(')?;
        self.ws();
        let at = self.pos;
        let digits = self.text[self.pos..].chars().take_while(char::is_ascii_digit).count();
        let m: u32 = self.text[self.pos..self.pos + digits]
            .parse()
            .map_err(|_| self.error("expected the number of alarms, or a percentage such as 50%, that AT_LEAST needs"))?;
        self.pos += digits;
        let percent = self.text[self.pos..].starts_with('%');
        if percent {
            self.pos += 1;
        }
        self.expect(',')?;
        let negated = self.keyword("NOT");
        let state = self
            .state()
            .ok_or_else(|| self.error("expected the state AT_LEAST counts: ALARM, OK or INSUFFICIENT_DATA, or NOT before one of them"))?;
        self.expect(',')?;
        self.expect('(')?;
        let mut alarms = Vec::new();
        loop {
            self.ws();
            alarms.push(self.name()?);
            if !self.punct(',') {
                break;
            }
        }
        self.expect(')')?;
        self.expect(')')?;
        let threshold = match (percent, m) {
            (true, 1..=100) => Threshold::Percent(m),
            (true, _) => return Err(self.error_at(at, format!("AT_LEAST's percentage must be from 1% to 100%, not {m}%"))),
            (false, m) if m >= 1 && m as usize <= alarms.len() => Threshold::Count(m),
            (false, _) => {
                return Err(self.error_at(
                    at,
                    format!(
                        "AT_LEAST({m}, …) of {} alarms can never hold: give a count from 1 to {}",
                        alarms.len(),
                        alarms.len()
                    ),
                ));
            }
        };
        Ok(AtLeast {
            threshold,
            condition: Condition { state, negated },
            alarms,
        })
    }

    /// Skips `c` (after any space) if it comes next.
    fn punct(&mut self, c: char) -> bool {
        self.ws();
        let found = self.text[self.pos..].starts_with(c);
        if found {
            self.pos += c.len_utf8();
        }
        found
    }

    fn expect(&mut self, c: char) -> Result<(), RuleError> {
        if self.punct(c) {
            Ok(())
        } else {
            Err(self.error(&format!("expected '{c}'")))
        }
    }

    /// An alarm's name or ARN. Quoted, it may hold anything, a `"` written `\"`; bare, it ends at
    /// a space, a round bracket or a comma, which the user guide says a bare name cannot hold.
    fn name(&mut self) -> Result<String, RuleError> {
        let rest = &self.text[self.pos..];
        if let Some(quoted) = rest.strip_prefix('"') {
            let mut name = String::new();
            let mut chars = quoted.char_indices();
            while let Some((i, c)) = chars.next() {
                match c {
                    '"' => {
                        self.pos += 1 + i + 1;
                        return Ok(name);
                    }
                    '\\' if quoted[i + 1..].starts_with('"') => {
                        chars.next();
                        name.push('"');
                    }
                    c => name.push(c),
                }
            }
            return Err(self.error("unterminated alarm name"));
        }
        let end = rest.find(|c: char| c.is_whitespace() || "(),".contains(c)).unwrap_or(rest.len());
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

    /// A hostile rule nested thousands deep overflowed the stack (`baton validate` aborted);
    /// PutCompositeAlarm bounds a rule to 10240 characters, and Baton its nesting to 100.
    #[test]
    fn a_rule_too_long_or_nested_too_deep_is_refused_not_a_crash() {
        let deep = |n: usize| format!("{}ALARM(a){}", "(".repeat(n), ")".repeat(n));
        assert!(Rule::parse(&deep(100)).is_ok());
        assert!(Rule::parse(&deep(101)).unwrap_err().message.contains("nest more than 100 deep"));
        assert!(
            Rule::parse(&format!("{}ALARM(a)", "NOT ".repeat(101)))
                .unwrap_err()
                .message
                .contains("nest more")
        );
        let e = Rule::parse(&deep(6000)).unwrap_err();
        assert!(
            e.message.contains("at most 10240 characters (PutCompositeAlarm), not 12008"),
            "{}",
            e.message
        );
        assert!(e.to_string().len() < 300, "the message quotes the start of the rule only: {e}");
        let long_chain = vec!["ALARM(a)"; 850].join(" OR ");
        let chain = Rule::parse(&long_chain).expect("850 alarms joined by OR, within the length");
        assert!(chain.holds(&states(&[("a", AlarmState::Alarm)])));
    }

    /// The user guide's `AT_LEAST` examples ("Composite alarms", example expressions), each read
    /// as the guide explains it.
    #[test]
    fn at_least_reads_as_the_user_guide_explains_its_examples() {
        use AlarmState::{Alarm, InsufficientData, Ok};
        let web = Rule::parse("AT_LEAST(2, ALARM, (WebServer1CPU, WebServer2CPU, WebServer3CPU, WebServer4CPU))").unwrap();
        assert_eq!(web.alarms(), ["WebServer1CPU", "WebServer2CPU", "WebServer3CPU", "WebServer4CPU"]);
        assert!(!web.holds(&states(&[("WebServer1CPU", Alarm), ("WebServer2CPU", Ok)])), "1 of 4");
        assert!(web.holds(&states(&[("WebServer1CPU", Alarm), ("WebServer3CPU", Alarm)])), "2 of 4");

        let db =
            Rule::parse("AT_LEAST(50%, OK, (DatabaseConnection1, DatabaseConnection2, DatabaseConnection3, DatabaseConnection4))").unwrap();
        assert!(
            db.holds(&states(&[("DatabaseConnection1", Ok), ("DatabaseConnection4", Ok)])),
            "2 of 4 is 50 %"
        );
        assert!(
            !db.holds(&states(&[("DatabaseConnection1", Ok), ("DatabaseConnection4", Alarm)])),
            "1 of 4"
        );

        let az = Rule::parse("AT_LEAST(2, ALARM, (AZ1Health, AZ2Health, AZ3Health)) AND NOT ALARM(MaintenanceWindow)").unwrap();
        let two = [("AZ1Health", Alarm), ("AZ2Health", Alarm)];
        assert!(az.holds(&states(&two)));
        assert!(
            !az.holds(&states(&[two[0], two[1], ("MaintenanceWindow", Alarm)])),
            "not during maintenance"
        );

        // "At least 60 %" of 3 alarms takes 2 (1.8 rounded up, never down); NOT counts every
        // other state, INSUFFICIENT_DATA (an alarm never evaluated) among them.
        let not_ok = Rule::parse(r#"AT_LEAST(60%, NOT OK, ("a", "b", "c"))"#).unwrap();
        assert!(!not_ok.holds(&states(&[("a", Alarm), ("b", Ok), ("c", Ok)])));
        assert!(not_ok.holds(&states(&[("a", Alarm), ("b", InsufficientData), ("c", Ok)])));
        assert!(not_ok.holds(&states(&[("a", Alarm), ("c", Ok)])), "b never evaluated");
    }

    /// AWS's CDK writes `AT_LEAST` with quoted ARNs and the condition `NOT OK`
    /// (aws/aws-cdk, packages/aws-cdk-lib/aws-cloudwatch/lib/alarm-rule.ts); names quoted or bare
    /// follow the user guide's "Alarm references".
    #[test]
    fn alarm_references_quoted_with_escapes_or_bare_up_to_a_comma() {
        let arn = "arn:aws:cloudwatch:us-east-1:123456789012:alarm:a";
        let rule = Rule::parse(&format!(r#"AT_LEAST(1, NOT INSUFFICIENT_DATA, ("{arn}",b,"say \"hi\"" ))"#)).unwrap();
        assert_eq!(rule.alarms(), [arn, "b", r#"say "hi""#]);
        let Rule::AtLeast(a) = &rule else { panic!("{rule:?}") };
        assert_eq!(a.threshold, Threshold::Count(1));
        assert_eq!((a.condition.state, a.condition.negated), (AlarmState::InsufficientData, true));
        assert_eq!(a.condition.to_string(), "NOT INSUFFICIENT_DATA");
        assert_eq!(Rule::parse("ALARM(a,b)").unwrap_err().at, 7, "a bare name ends at a comma");
    }

    #[test]
    fn an_at_least_that_could_never_hold_or_is_cut_short_is_refused_where_it_goes_wrong() {
        let refused = |rule: &str| Rule::parse(rule).unwrap_err();
        let e = refused("AT_LEAST(4, ALARM, (a, b, c))");
        assert_eq!(
            (e.at, e.message.as_str()),
            (9, "AT_LEAST(4, …) of 3 alarms can never hold: give a count from 1 to 3")
        );
        assert_eq!(refused("AT_LEAST(0, ALARM, (a))").at, 9);
        assert!(refused("AT_LEAST(101%, ALARM, (a))").message.contains("from 1% to 100%"));
        assert!(refused("AT_LEAST(0%, ALARM, (a))").message.contains("from 1% to 100%"));
        // Past u32: refused as not a count, never wrapped.
        assert!(refused("AT_LEAST(99999999999, ALARM, (a))").message.contains("expected the number"));
        assert!(refused("AT_LEAST(1.5, ALARM, (a))").message.contains("expected ','"));
        assert!(refused("AT_LEAST(1, BROKEN, (a))").message.contains("expected the state"));
        assert!(refused("AT_LEAST(1, ALARM, ())").message.contains("expected an alarm name"));
        assert!(refused("AT_LEAST(1, ALARM, a)").message.contains("expected '('"));
        assert!(refused("AT_LEAST(1, ALARM, (a)").message.contains("expected ')'"));
    }

    /// The child a composite alarm's reason names is the one whose change decided the rule, not
    /// merely the last to change.
    #[test]
    fn the_pivot_is_the_change_that_decided_the_rule() {
        use AlarmState::{Alarm, InsufficientData, Ok};
        let rule = Rule::parse("ALARM(errors) OR ALARM(quiet)").unwrap();
        let now = states(&[("errors", Alarm), ("quiet", Ok)]);
        let before = states(&[("errors", Ok), ("quiet", InsufficientData)]);
        assert_eq!(rule.pivot(&now, &before), Some("errors"));
        assert_eq!(
            rule.pivot(&now, &states(&[("quiet", InsufficientData)])),
            None,
            "quiet decided nothing"
        );
        let two = Rule::parse("AT_LEAST(2, ALARM, (a, b, c))").unwrap();
        let now = states(&[("a", Alarm), ("b", Alarm), ("c", Alarm)]);
        assert_eq!(two.pivot(&now, &states(&[("c", Ok)])), None, "two were in ALARM already");
        assert_eq!(two.pivot(&now, &states(&[("b", Ok), ("c", Ok)])), Some("b"));
    }

    /// A composite leaving ALARM names the child whose move to OK decided it, as AWS's event did:
    /// rule `(ALARM("…:alarm:test1") OR ALARM("…:alarm:test2"))`, test1 OK since 14:25:30, then
    /// test2 OK at 14:26:01, reason "arn:aws:cloudwatch:ap-northeast-1:0000000000:alarm:test2
    /// transitioned to OK at Thursday 22 June, 2023 14:26:01 UTC" (an EventBridge event quoted in
    /// a public project).
    #[test]
    fn leaving_alarm_names_the_child_that_went_ok_last() {
        use AlarmState::{Alarm, Ok};
        let (test1, test2) = (
            "arn:aws:cloudwatch:ap-northeast-1:0000000000:alarm:test1",
            "arn:aws:cloudwatch:ap-northeast-1:0000000000:alarm:test2",
        );
        let rule = Rule::parse(&format!(r#"(ALARM("{test1}") OR ALARM("{test2}"))"#)).unwrap();
        let now = states(&[(test1, Ok), (test2, Ok)]);
        let child = rule.pivot(&now, &states(&[(test2, Alarm)])).unwrap();
        let at = chrono::DateTime::parse_from_rfc3339("2023-06-22T14:26:01.928Z").unwrap();
        assert_eq!(
            crate::alarm::reason::child_transitioned(child, now[child], at.with_timezone(&chrono::Utc)),
            "arn:aws:cloudwatch:ap-northeast-1:0000000000:alarm:test2 transitioned to OK at Thursday 22 June, 2023 14:26:01 UTC"
        );
    }
}
