//! Secret values masked as `***`, as CodeBuild masks Parameter Store and Secrets Manager values:
//! in whole texts ([`Masker::text`]) and in streams that arrive in pieces ([`StreamMask`]), where
//! a secret may straddle two reads or span lines (a PEM key).

use memchr::memmem::Finder;

const MASK: &[u8] = b"***";

/// The secrets of one build, longest first, so a secret that contains another is masked whole.
#[derive(Clone)]
pub(crate) struct Masker {
    secrets: Vec<Finder<'static>>,
}

impl std::fmt::Debug for Masker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Masker").field("secrets", &self.secrets.len()).finish()
    }
}

impl Masker {
    pub(crate) fn new(secrets: &[String]) -> Self {
        let mut secrets: Vec<&String> = secrets.iter().filter(|s| !s.is_empty()).collect();
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        secrets.dedup();
        Self {
            secrets: secrets.into_iter().map(|s| Finder::new(s.as_bytes()).into_owned()).collect(),
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.secrets.is_empty()
    }

    /// `text` with every occurrence of a secret replaced by `***`.
    pub(crate) fn text(&self, text: &str) -> String {
        if self.is_empty() {
            return text.to_string();
        }
        let masked = self.bytes(text.as_bytes(), text.len()).0;
        // Only whole secrets (valid UTF-8 themselves) are cut out, so what is left stays UTF-8.
        String::from_utf8(masked).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
    }

    /// The non-overlapping occurrences in `buf`, longest secret first, as sorted `(start, end)`.
    fn spans(&self, buf: &[u8]) -> Vec<(usize, usize)> {
        let mut spans: Vec<(usize, usize)> = Vec::new();
        for finder in &self.secrets {
            let len = finder.needle().len();
            for at in finder.find_iter(buf) {
                let span = (at, at + len);
                if spans.iter().all(|&(s, e)| span.1 <= s || e <= span.0) {
                    spans.push(span);
                }
            }
        }
        spans.sort_unstable();
        spans
    }

    /// `buf[..upto]` masked, with how far it reached: a secret that starts before `upto` is
    /// masked whole, so the returned end can lie past `upto`.
    fn bytes(&self, buf: &[u8], upto: usize) -> (Vec<u8>, usize) {
        let mut out = Vec::with_capacity(upto);
        let mut at = 0;
        for (start, end) in self.spans(buf) {
            if start >= upto {
                break;
            }
            out.extend_from_slice(&buf[at..start]);
            out.extend_from_slice(MASK);
            at = end;
        }
        let reached = at.max(upto);
        out.extend_from_slice(&buf[at..reached]);
        (out, reached)
    }

    /// The length of the longest end of `buf` that begins some secret without completing it:
    /// what must wait for the next piece before it can be written.
    fn open_tail(&self, buf: &[u8]) -> usize {
        let mut longest = 0;
        for finder in &self.secrets {
            let needle = finder.needle();
            let from = buf.len().saturating_sub(needle.len() - 1);
            for at in memchr::memchr_iter(needle[0], &buf[from..]).map(|i| from + i) {
                if needle.starts_with(&buf[at..]) {
                    longest = longest.max(buf.len() - at);
                    break; // the first candidate is the longest for this secret
                }
            }
        }
        longest
    }
}

/// Masking for one stream read in pieces: what may be the start of a secret is held back until
/// the next piece shows whether it is one.
#[derive(Debug)]
pub(crate) struct StreamMask {
    masker: Masker,
    carry: Vec<u8>,
}

impl StreamMask {
    pub(crate) fn new(masker: Masker) -> Self {
        Self { masker, carry: Vec::new() }
    }

    /// What of `piece` (and of what was held back) can be written now, masked.
    pub(crate) fn push(&mut self, piece: &[u8]) -> Vec<u8> {
        if self.masker.is_empty() {
            return piece.to_vec();
        }
        self.carry.extend_from_slice(piece);
        let hold = self.masker.open_tail(&self.carry);
        let (out, reached) = self.masker.bytes(&self.carry, self.carry.len() - hold);
        self.carry.drain(..reached);
        out
    }

    /// The stream ended: what was held back, masked.
    pub(crate) fn finish(&mut self) -> Vec<u8> {
        let rest = std::mem::take(&mut self.carry);
        self.masker.bytes(&rest, rest.len()).0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secrets(s: &[&str]) -> Masker {
        Masker::new(&s.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn whole_texts_longest_secret_first() {
        let m = secrets(&["hunter2", "hunter22"]);
        assert_eq!(m.text("pw=hunter22 and hunter2!"), "pw=*** and ***!");
        assert_eq!(m.text("nothing here"), "nothing here");
    }

    #[test]
    fn a_secret_spanning_lines_and_pieces_is_masked_whatever_the_cuts() {
        let pem = "-----BEGIN KEY-----\nMIIEvQIBADANBg\nkqhkiG9w0BAQEF\n-----END KEY-----";
        let text = format!("key:\n{pem}\ndone\n");
        for cut in 1..text.len() {
            let mut s = StreamMask::new(secrets(&[pem]));
            let mut out = s.push(&text.as_bytes()[..cut]);
            out.extend(s.push(&text.as_bytes()[cut..]));
            out.extend(s.finish());
            assert_eq!(String::from_utf8(out).unwrap(), "key:\n***\ndone\n", "cut at {cut}");
        }
    }

    #[test]
    fn what_cannot_begin_a_secret_is_written_at_once() {
        let mut s = StreamMask::new(secrets(&["s3cr3t"]));
        assert_eq!(s.push(b"line one\n"), b"line one\n");
        assert_eq!(s.push(b"tail s3c"), b"tail ");
        assert_eq!(s.push(b"r3t!"), b"***!");
        assert_eq!(s.push(b"s3"), b"");
        assert_eq!(s.finish(), b"s3");
    }
}
