//! IAM's wildcards: `*` matches any run of characters (`/` and `:` included), `?` exactly one.
//! Actions and condition keys compare without regard to case; resources and most condition
//! values with it.

/// Whether `text` matches `pattern`.
pub fn matches(pattern: &str, text: &str, ignore_case: bool) -> bool {
    let pattern: Vec<char> = pattern.chars().collect();
    let text: Vec<char> = text.chars().collect();
    let same = |p: char, t: char| {
        p == '?' || p == t || (ignore_case && p.to_lowercase().eq(t.to_lowercase()))
    };
    // The classic two-pointer glob match, backtracking to the last `*` only.
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() && pattern[p] == '*' {
            star = Some((p, t));
            p += 1;
        } else if p < pattern.len() && same(pattern[p], text[t]) {
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
    pattern[p..].iter().all(|c| *c == '*')
}

/// Whether everything `narrower` matches, `wider` matches too: `s3:*` includes `s3:Get*`,
/// `a/*` includes `a/b?`, but `a?c` does not include `a*c`. Both are patterns; a literal is a
/// pattern without wildcards.
pub fn includes(wider: &str, narrower: &str, ignore_case: bool) -> bool {
    let wider: Vec<char> = wider.chars().collect();
    let narrower: Vec<char> = narrower.chars().collect();
    let same = |w: char, n: char| w == n || (ignore_case && w.to_lowercase().eq(n.to_lowercase()));
    // covered[i][j]: wider[i..] includes narrower[j..].
    let (wl, nl) = (wider.len(), narrower.len());
    let mut covered = vec![vec![false; nl + 1]; wl + 1];
    covered[wl][nl] = true;
    for i in (0..wl).rev() {
        for j in (0..=nl).rev() {
            covered[i][j] = match wider[i] {
                // `*` takes nothing, or one more token of the narrower pattern (a `*` there too).
                '*' => covered[i + 1][j] || (j < nl && covered[i][j + 1]),
                // `?` takes one character, or the narrower pattern's `?`, never its `*`.
                '?' => j < nl && narrower[j] != '*' && covered[i + 1][j + 1],
                w => {
                    j < nl
                        && narrower[j] != '*'
                        && narrower[j] != '?'
                        && same(w, narrower[j])
                        && covered[i + 1][j + 1]
                }
            };
        }
    }
    covered[0][0]
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
