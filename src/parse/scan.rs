//! The text read without pest: braces, strings and tokens outside comments. A file is cut at its
//! runner blocks with them (to parse pieces in parallel, and to recover block by block), and a
//! syntax error finds with them the statement or string it stands in.

use super::keywords;

/// A token, as recovery sees the text: a string, a brace, or a run of other characters.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum TokenKind {
    Word,
    String,
    Open,
    Close,
}

#[derive(Clone, Copy)]
pub(super) struct Token {
    pub(super) kind: TokenKind,
    pub(super) start: usize,
    pub(super) end: usize,
}

/// The tokens of a text, white space and comments skipped.
pub(super) fn tokens(text: &str) -> Vec<Token> {
    let bytes = text.as_bytes();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let start = i;
        let kind = match bytes[i] {
            b' ' | b'\n' | b'\t' | b'\r' => {
                i += 1;
                continue;
            }
            b'#' => {
                i = memchr::memchr(b'\n', &bytes[i..]).map_or(bytes.len(), |n| i + n);
                continue;
            }
            _ if text[i..].starts_with('\u{feff}') => {
                i += '\u{feff}'.len_utf8();
                continue;
            }
            b'"' => {
                i += 1;
                loop {
                    match bytes.get(i) {
                        None => break,
                        Some(b'"') => {
                            i += 1;
                            break;
                        }
                        Some(b'\\') => i += 2,
                        Some(_) => i += 1,
                    }
                }
                i = i.min(bytes.len());
                TokenKind::String
            }
            b'{' => {
                i += 1;
                TokenKind::Open
            }
            b'}' => {
                i += 1;
                TokenKind::Close
            }
            _ => {
                while i < bytes.len() && !b" \n\t\r\"{}#".contains(&bytes[i]) {
                    i += 1;
                }
                TokenKind::Word
            }
        };
        tokens.push(Token {
            kind,
            start,
            end: i,
        });
    }
    tokens
}

/// A brace outside strings and comments, as [`braces`] finds them.
enum Brace {
    /// A `{`, at this offset.
    Open(usize),
    /// A `}`, at this offset.
    Close(usize),
}

/// Calls `found` for every `{` and `}` of a text that stands outside strings and comments, in
/// order, until it returns `false`. Returns `false` when a string is never closed (`found`
/// has seen the braces before it).
fn braces(text: &str, mut found: impl FnMut(Brace) -> bool) -> bool {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'#' => match memchr::memchr(b'\n', &bytes[i..]) {
                Some(n) => i += n,
                None => break,
            },
            b'"' => {
                // To the closing quote, stepping over escapes.
                i += 1;
                loop {
                    match memchr::memchr2(b'"', b'\\', &bytes[i.min(bytes.len())..]) {
                        None => return false,
                        Some(n) if bytes[i + n] == b'"' => {
                            i += n;
                            break;
                        }
                        Some(n) => i += n + 2,
                    }
                }
            }
            b'{' if !found(Brace::Open(i)) => return true,
            b'}' if !found(Brace::Close(i)) => return true,
            _ => {}
        }
        i += 1;
    }
    true
}

/// Whether a piece of [`blocks`] that does not parse was meant as a runner: its first word is
/// `runner`, or it opens a block (`runer "x" { ... }` is a runner written wrongly). A stray `}`
/// or a line of stray words is not.
pub(super) fn starts_a_runner(piece: &str) -> bool {
    let mut rest = piece;
    loop {
        rest = rest.trim_start_matches([' ', '\n', '\t', '\r', '\u{feff}']);
        match rest.strip_prefix('#') {
            Some(comment) => rest = comment.split_once('\n').map_or("", |(_, after)| after),
            None => break,
        }
    }
    let keyword = rest.strip_prefix("runner").is_some_and(|after| {
        !after.starts_with(|c: char| c.is_alphanumeric() || c == '_' || c == '-')
    });
    let mut opens = false;
    braces(piece, |brace| {
        opens = matches!(brace, Brace::Open(_));
        !opens
    });
    keyword || opens
}

/// Splits a file at its `runner` blocks, for recovering from syntax errors: each piece can be
/// parsed on its own, so an error in one hides nothing of the others. A piece ends after the
/// `}` that closes a top-level block, or after a `}` that closes nothing. Where the braces or
/// quotes stop balancing (a block still being written, a string left open), the rest of the
/// file is cut before each line that starts with `runner`.
pub fn blocks(text: &str) -> Vec<std::ops::Range<usize>> {
    let mut pieces = Vec::new();
    let mut start = 0;
    let mut depth = 0usize;
    let mut balanced = braces(text, |brace| {
        match brace {
            Brace::Open(_) => depth += 1,
            Brace::Close(at) if depth <= 1 => {
                // The end of a block, or a brace that closes nothing: a piece either way.
                depth = 0;
                pieces.push(start..at + 1);
                start = at + 1;
            }
            Brace::Close(_) => depth -= 1,
        }
        true
    });
    if depth > 0 {
        balanced = false;
    }
    if balanced {
        match pieces.last_mut() {
            // White space and comments after the last block stay with it.
            Some(last) => last.end = text.len(),
            None => pieces.push(0..text.len()),
        }
        return pieces;
    }
    let mut cut = start;
    for (at, _) in text[start..].match_indices("\nrunner") {
        let line = start + at + 1;
        if line > cut && !text[cut..line].trim().is_empty() {
            pieces.push(cut..line);
            cut = line;
        }
    }
    pieces.push(cut..text.len());
    pieces
}

/// Splits a file into pieces that each hold whole `runner` blocks, cut after the `}` that closes
/// a top-level block (strings and comments skipped), so they can be parsed apart and in
/// parallel, with pest's tokens for one piece alive at a time. A file whose braces do not
/// balance is one piece, and parses as a whole.
pub fn chunks(text: &str, target: usize) -> Vec<std::ops::Range<usize>> {
    let mut cuts = Vec::new();
    let mut depth = 0usize;
    let mut last_cut = 0;
    // Whether a block opened since the last cut: text after the last block stays with it.
    let mut opened_since_cut = false;
    let mut stray = false;
    let strings_close = braces(text, |brace| {
        match brace {
            Brace::Open(_) => {
                opened_since_cut |= depth == 0;
                depth += 1;
            }
            Brace::Close(_) if depth == 0 => {
                stray = true;
                return false;
            }
            Brace::Close(at) => {
                depth -= 1;
                if depth == 0 && at + 1 - last_cut >= target {
                    cuts.push(at + 1);
                    last_cut = at + 1;
                    opened_since_cut = false;
                }
            }
        }
        true
    });
    if !strings_close || stray {
        return whole(text);
    }
    if depth != 0 {
        return whole(text);
    }
    // The text after the last block (comments, white space) stays with it.
    if !opened_since_cut {
        cuts.pop();
    }
    let mut start = 0;
    let mut pieces = Vec::with_capacity(cuts.len() + 1);
    for cut in cuts {
        pieces.push(start..cut);
        start = cut;
    }
    pieces.push(start..text.len());
    pieces
}

/// The whole text as its only piece.
#[expect(
    clippy::single_range_in_vec_init,
    reason = "one piece, a range of bytes"
)]
fn whole(text: &str) -> Vec<std::ops::Range<usize>> {
    vec![0..text.len()]
}

/// A string literal: where it opens, closes, and where the line it opens on ends.
pub(super) struct StringLiteral {
    /// The opening quote.
    pub(super) open: usize,
    /// The quote that closes it, if any.
    pub(super) close: Option<usize>,
    /// The first line break inside the string, or its end when it holds none.
    pub(super) line_end: usize,
}

/// The string literals of a text, quotes paired as the grammar pairs them, comments skipped.
fn string_literals(text: &str) -> impl Iterator<Item = StringLiteral> + '_ {
    let bytes = text.as_bytes();
    let mut i = 0;
    std::iter::from_fn(move || {
        while i < bytes.len() {
            match bytes[i] {
                b'#' => {
                    while i < bytes.len() && bytes[i] != b'\n' {
                        i += 1;
                    }
                }
                b'"' => {
                    let open = i;
                    i += 1;
                    let mut line_end = None;
                    let close = loop {
                        match bytes.get(i) {
                            None => break None,
                            Some(b'"') => break Some(i),
                            Some(b'\\') => i += 2,
                            Some(b'\n') => {
                                line_end.get_or_insert(i);
                                i += 1;
                            }
                            Some(_) => i += 1,
                        }
                    };
                    i += 1;
                    return Some(StringLiteral {
                        open,
                        close,
                        line_end: line_end.unwrap_or(i.min(bytes.len())),
                    });
                }
                _ => {}
            }
            i += 1;
        }
        None
    })
}

/// The first string whose second line reads as a statement (`secret "x"`, `}`): a string left
/// open on its line.
pub(super) fn runaway_string(text: &str) -> Option<StringLiteral> {
    string_literals(text).find(|string| {
        text.as_bytes().get(string.line_end) == Some(&b'\n')
            && string.close.is_none_or(|close| close > string.line_end)
            && reads_as_statement(text[string.line_end + 1..].lines().next().unwrap_or(""))
    })
}

/// Whether a line starts like a statement: a keyword followed by a space, a quote, a brace or
/// nothing, or a closing brace.
fn reads_as_statement(line: &str) -> bool {
    let line = line.trim_start();
    if line.starts_with('}') {
        return true;
    }
    keywords::leading_words().any(|word| {
        line.strip_prefix(word).is_some_and(|rest| {
            rest.is_empty() || rest.starts_with([' ', '\t', '"', '{', '\r', '*'])
        })
    })
}

/// The offset of the opening quote of a string that is never closed, if any.
pub(super) fn unclosed_string(text: &str) -> Option<usize> {
    string_literals(text)
        .find(|string| string.close.is_none())
        .map(|string| string.open)
}

/// The offset of the innermost `{` that is never closed, strings and comments skipped.
pub fn unclosed_brace(text: &str) -> Option<usize> {
    let mut open = Vec::new();
    braces(text, |brace| {
        match brace {
            Brace::Open(at) => open.push(at),
            Brace::Close(_) => {
                open.pop();
            }
        }
        true
    });
    open.pop()
}
