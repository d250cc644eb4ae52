//! Byte offsets and LSP positions (line, character), in the encoding negotiated with the
//! client: UTF-16 code units by default, UTF-8 bytes when the client offers them.

use lsp_types::{Position, Range};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Utf16,
}

/// Where each line of a text starts.
pub struct LineIndex<'a> {
    text: &'a str,
    starts: Vec<usize>,
    encoding: Encoding,
}

impl<'a> LineIndex<'a> {
    pub fn new(text: &'a str, encoding: Encoding) -> Self {
        // A line ends at `\n`, `\r\n` or a lone `\r`, as the protocol counts lines.
        let bytes = text.as_bytes();
        let starts = std::iter::once(0)
            .chain(
                memchr::memchr2_iter(b'\n', b'\r', bytes)
                    .filter(|&i| bytes[i] == b'\n' || bytes.get(i + 1) != Some(&b'\n'))
                    .map(|i| i + 1),
            )
            .collect();
        LineIndex {
            text,
            starts,
            encoding,
        }
    }

    pub fn position(&self, offset: usize) -> Position {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.starts.partition_point(|start| *start <= offset) - 1;
        let prefix = &self.text[self.starts[line]..offset];
        let character = match self.encoding {
            Encoding::Utf8 => prefix.len(),
            Encoding::Utf16 => prefix.chars().map(char::len_utf16).sum(),
        };
        Position::new(line as u32, character as u32)
    }

    pub fn range(&self, start: usize, end: usize) -> Range {
        Range::new(self.position(start), self.position(end))
    }

    /// The byte offset of a position; a position past the end of its line is the line's end,
    /// one past the last line is the end of the text.
    pub fn offset(&self, position: Position) -> usize {
        let Some(&start) = self.starts.get(position.line as usize) else {
            return self.text.len();
        };
        let end = self
            .starts
            .get(position.line as usize + 1)
            .map_or(self.text.len(), |next| next - 1);
        // Without its line break (`\r\n` is two bytes).
        let end = if end > start
            && self.text.as_bytes()[end - 1] == b'\r'
            && self.text.as_bytes().get(end) == Some(&b'\n')
        {
            end - 1
        } else {
            end
        };
        let line = &self.text[start..end];
        let mut units = 0usize;
        for (index, c) in line.char_indices() {
            if units >= position.character as usize {
                return start + index;
            }
            units += match self.encoding {
                Encoding::Utf8 => c.len_utf8(),
                Encoding::Utf16 => c.len_utf16(),
            };
        }
        end
    }

    /// The whole text's range.
    pub fn all(&self) -> Range {
        self.range(0, self.text.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16_counts_code_units() {
        let text = "# é😀\nab";
        let index = LineIndex::new(text, Encoding::Utf16);
        let b = text.find('b').unwrap();
        assert_eq!(index.position(b), Position::new(1, 1));
        let after_emoji = text.find('\n').unwrap();
        assert_eq!(index.position(after_emoji), Position::new(0, 5));
        assert_eq!(index.offset(Position::new(0, 5)), after_emoji);
        let utf8 = LineIndex::new(text, Encoding::Utf8);
        // `\r\n` and a lone `\r` end lines too.
        let mixed = LineIndex::new("a\r\nb\rc\nd", Encoding::Utf16);
        assert_eq!(mixed.position(3), Position::new(1, 0));
        assert_eq!(mixed.position(5), Position::new(2, 0));
        assert_eq!(mixed.position(7), Position::new(3, 0));
        assert_eq!(
            mixed.offset(Position::new(0, 9)),
            1,
            "the end of a line is before its `\\r\\n`"
        );
        assert_eq!(mixed.offset(Position::new(1, 9)), 4);
        assert_eq!(utf8.position(after_emoji), Position::new(0, 8));
        assert_eq!(utf8.offset(Position::new(1, 1)), b);
    }
}
