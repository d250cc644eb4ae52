//! IAM's wildcards: `*` matches any run of characters (`/` and `:` included), `?` exactly one.
//! Actions and condition keys compare without regard to case; resources and most condition
//! values with it.

/// Whether `text` holds a wildcard, so that it is a pattern rather than one name.
pub fn has_wildcard(text: &str) -> bool {
    text.contains(['*', '?'])
}

/// Whether `text` matches `pattern`.
pub fn matches(pattern: &str, text: &str, ignore_case: bool) -> bool {
    if pattern.is_ascii() && text.is_ascii() {
        glob(pattern.as_bytes(), text.as_bytes(), |p, t| {
            p == t || (ignore_case && p.eq_ignore_ascii_case(&t))
        })
    } else {
        let pattern: Vec<char> = pattern.chars().collect();
        let text: Vec<char> = text.chars().collect();
        glob(&pattern, &text, |p, t| {
            p == t || (ignore_case && p.to_lowercase().eq(t.to_lowercase()))
        })
    }
}

/// A wildcard character: `*` or `?`.
trait Symbol: Copy + PartialEq {
    const STAR: Self;
    const MARK: Self;
}

impl Symbol for u8 {
    const STAR: u8 = b'*';
    const MARK: u8 = b'?';
}

impl Symbol for char {
    const STAR: char = '*';
    const MARK: char = '?';
}

/// The classic two-pointer glob match, backtracking to the last `*` only.
fn glob<C: Symbol>(pattern: &[C], text: &[C], same: impl Fn(C, C) -> bool) -> bool {
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() && pattern[p] == C::STAR {
            star = Some((p, t));
            p += 1;
        } else if p < pattern.len() && (pattern[p] == C::MARK || same(pattern[p], text[t])) {
            p += 1;
            t += 1;
        } else if let Some((star_p, star_t)) = star {
            p = star_p + 1;
            t = star_t + 1;
            star = Some((star_p, star_t + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|c| *c == C::STAR)
}

/// Whether everything `narrower` matches, `wider` matches too: `s3:*` includes `s3:Get*`,
/// `a/*` includes `a/b?`, but `a?c` does not include `a*c`. Both are patterns; a literal is a
/// pattern without wildcards.
pub fn includes(wider: &str, narrower: &str, ignore_case: bool) -> bool {
    // A literal includes only itself; a literal narrower pattern is one text to match.
    if !has_wildcard(narrower) {
        return matches(wider, narrower, ignore_case);
    }
    if wider.is_ascii() && narrower.is_ascii() {
        inclusion(wider.as_bytes(), narrower.as_bytes(), |w, n| {
            w == n || (ignore_case && w.eq_ignore_ascii_case(&n))
        })
    } else {
        let wider: Vec<char> = wider.chars().collect();
        let narrower: Vec<char> = narrower.chars().collect();
        inclusion(&wider, &narrower, |w, n| {
            w == n || (ignore_case && w.to_lowercase().eq(n.to_lowercase()))
        })
    }
}

/// Pattern inclusion by dynamic programming over suffixes, one row at a time:
/// `row[j]` is whether `wider[i..]` includes `narrower[j..]`.
fn inclusion<C: Symbol>(wider: &[C], narrower: &[C], same: impl Fn(C, C) -> bool) -> bool {
    // The literal heads must agree before any wildcard.
    let head = wider
        .iter()
        .zip(narrower)
        .take_while(|(w, n)| **w != C::STAR && **w != C::MARK && **n != C::STAR && **n != C::MARK)
        .count();
    if wider[..head]
        .iter()
        .zip(&narrower[..head])
        .any(|(w, n)| !same(*w, *n))
    {
        return false;
    }
    let (wider, narrower) = (&wider[head..], &narrower[head..]);
    let nl = narrower.len();
    // The row for i = wider.len(): only the empty narrower suffix.
    let mut next = vec![false; nl + 1];
    next[nl] = true;
    let mut row = vec![false; nl + 1];
    for i in (0..wider.len()).rev() {
        for j in (0..=nl).rev() {
            row[j] = if wider[i] == C::STAR {
                // `*` takes nothing, or one more token of the narrower pattern (a `*` there too).
                next[j] || (j < nl && row[j + 1])
            } else if wider[i] == C::MARK {
                // `?` takes one character, or the narrower pattern's `?`, never its `*`.
                j < nl && narrower[j] != C::STAR && next[j + 1]
            } else {
                j < nl
                    && narrower[j] != C::STAR
                    && narrower[j] != C::MARK
                    && same(wider[i], narrower[j])
                    && next[j + 1]
            };
        }
        std::mem::swap(&mut row, &mut next);
    }
    next[0]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stars_and_question_marks() {
        assert!(matches(
            "arn:aws:s3:::b/orders/*",
            "arn:aws:s3:::b/orders/2026/x.json",
            false
        ));
        assert!(matches(
            "arn:aws:s3:::b/orders/*",
            "arn:aws:s3:::b/orders/",
            false
        ));
        assert!(!matches(
            "arn:aws:s3:::b/orders/*",
            "arn:aws:s3:::b/orders",
            false
        ));
        assert!(matches("secret:db-??????", "secret:db-AbC123", false));
        assert!(!matches("secret:db-??????", "secret:db-AbC12", false));
        assert!(!matches("secret:db-??????", "secret:db-AbC1234", false));
        assert!(matches("*", "", false));
        assert!(matches("a*b*c", "aXXbYYc", false));
        assert!(!matches("a*b*c", "aXXbYY", false));
        assert!(matches("s3:Get*", "S3:getobject", true));
        assert!(!matches("s3:Get*", "S3:getobject", false));
    }

    #[test]
    fn inclusion() {
        assert!(includes("s3:*", "s3:Get*", false));
        assert!(!includes("s3:Get*", "s3:*", false));
        assert!(includes("a/*", "a/b?", false));
        assert!(!includes("a?c", "a*c", false));
        assert!(includes("a?c", "a?c", false));
        assert!(includes("*", "anything*at?all", false));
        assert!(includes("b/orders/*", "b/orders/2026/*", false));
        assert!(!includes("b/orders/*", "b/*", false));
        assert!(includes("S3:GETOBJECT", "s3:GetObject", true));
    }
}
