//! How a table is laid out: column alignments, widths fitted to the terminal, cells wrapped
//! or cut to their column, and display widths counted as ccusage 20.0.24 counts them (ANSI
//! escapes take no room; box drawing and `…` one column; CJK two).

/// A column's alignment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    /// Text to the left.
    Left,
    /// Text to the right (numbers).
    Right,
}

/// Sum of widths plus the vertical bars.
pub(crate) fn required_width(widths: &[usize]) -> usize {
    widths.iter().sum::<usize>() + widths.len() + 1
}

/// The widest the models column's content gets before its lines wrap or are cut.
pub(crate) const MAX_MODELS_WIDTH: usize = 25;
/// A text column is never squeezed below this.
const MIN_WRAP_WIDTH: usize = 8;
/// A text column's fallback minimum is at most this.
const MAX_FALLBACK_TEXT_WIDTH: usize = 12;

/// What fitting needs to know about the columns.
pub(crate) struct Columns<'a> {
    pub(crate) aligns: &'a [Align],
    pub(crate) models: Option<usize>,
    /// Widest body line per column (headers excluded).
    pub(crate) body: &'a [usize],
    pub(crate) has_date_column: bool,
}

impl Columns<'_> {
    fn is_right(&self, index: usize) -> bool {
        self.aligns.get(index) == Some(&Align::Right)
    }

    fn is_models(&self, index: usize) -> bool {
        self.models == Some(index) || (self.models.is_none() && index == 1)
    }
}

/// Fits `natural` widths to `terminal_width`, as ccusage 20.0.24: first try keeping every
/// number whole (text columns give way, the models column first), else shrink everything in
/// proportion down to per-column minimums and then the widest (text first) one at a time;
/// spare columns then go back round-robin to columns below their natural width.
// Widths are small; f64 holds them exactly.
#[allow(
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss
)]
pub(crate) fn fit(natural: Vec<usize>, columns: &Columns<'_>, terminal_width: usize) -> Vec<usize> {
    if required_width(&natural) <= terminal_width {
        return natural;
    }
    let minimums: Vec<usize> = (0..natural.len())
        .map(|index| {
            if columns.is_right(index) || index == 0 {
                10
            } else if columns.is_models(index) {
                12
            } else {
                (columns.body[index] + 2).clamp(MIN_WRAP_WIDTH, MAX_FALLBACK_TEXT_WIDTH)
            }
        })
        .collect();
    let mut limits = natural.clone();
    if columns.has_date_column {
        limits[0] = 10;
    }
    let mut whole_numbers: Vec<usize> = minimums
        .iter()
        .enumerate()
        .map(|(index, minimum)| {
            if columns.is_right(index) {
                (*minimum).max(columns.body[index] + 2)
            } else {
                *minimum
            }
        })
        .collect();
    while required_width(&whole_numbers) > terminal_width {
        let narrowest_text = whole_numbers
            .iter()
            .enumerate()
            .filter(|(index, width)| !columns.is_right(*index) && **width > MIN_WRAP_WIDTH)
            .max_by_key(|(index, width)| (columns.is_models(*index), **width))
            .map(|(index, _)| index);
        let Some(index) = narrowest_text else { break };
        whole_numbers[index] -= 1;
    }
    if required_width(&whole_numbers) <= terminal_width {
        let spare = terminal_width - required_width(&whole_numbers);
        give_back(&mut whole_numbers, &limits, spare);
        return whole_numbers;
    }
    let mut widths = natural;
    let available = terminal_width.saturating_sub(widths.len() + 1);
    let total: usize = widths.iter().sum();
    if total > 0 {
        let scale = available as f64 / total as f64;
        for (index, width) in widths.iter_mut().enumerate() {
            *width = ((*width as f64 * scale).floor() as usize).max(minimums[index]);
        }
    }
    while required_width(&widths) > terminal_width {
        let widest = widths
            .iter()
            .enumerate()
            .filter(|(index, width)| **width > minimums[*index])
            .max_by_key(|(index, width)| (!columns.is_right(*index), **width))
            .map(|(index, _)| index);
        let Some(index) = widest else { break };
        widths[index] -= 1;
    }
    let spare = terminal_width.saturating_sub(required_width(&widths));
    give_back(&mut widths, &limits, spare);
    widths
}

/// Hands `spare` columns out one at a time, round-robin from the first column, to columns
/// narrower than their `limits`.
fn give_back(widths: &mut [usize], limits: &[usize], mut spare: usize) {
    let mut start = 0;
    while spare > 0 && !widths.is_empty() {
        let next = (0..widths.len())
            .map(|offset| (start + offset) % widths.len())
            .find(|index| widths[*index] < limits[*index]);
        let Some(index) = next else { break };
        widths[index] += 1;
        spare -= 1;
        start = (index + 1) % widths.len();
    }
}

/// The physical lines of a row: each cell wrapped to its column, padded to the tallest.
pub(crate) fn physical_lines(row: &[String], widths: &[usize]) -> Vec<Vec<String>> {
    let cells: Vec<Vec<String>> = widths
        .iter()
        .enumerate()
        .map(|(index, width)| {
            let lines = row
                .get(index)
                .map(|cell| wrap(cell, width.saturating_sub(2)))
                .unwrap_or_default();
            if lines.is_empty() {
                vec![String::new()]
            } else {
                lines
            }
        })
        .collect();
    let height = cells.iter().map(Vec::len).max().unwrap_or(1);
    (0..height)
        .map(|n| {
            cells
                .iter()
                .map(|lines| lines.get(n).cloned().unwrap_or_default())
                .collect()
        })
        .collect()
}

pub(crate) fn wrap(cell: &str, width: usize) -> Vec<String> {
    if width == 0 {
        return vec![String::new()];
    }
    let mut lines = Vec::new();
    for line in cell.lines() {
        if visible_width(line) <= width {
            lines.push(line.to_string());
        } else {
            wrap_words(line, width, &mut lines);
        }
    }
    lines
}

/// Wraps `line` at spaces (a one-character `-` list marker stays with the word after it);
/// a single word is cut to fit.
fn wrap_words(line: &str, width: usize, lines: &mut Vec<String>) {
    let mut words: Vec<String> = Vec::new();
    let mut split = line.split_whitespace();
    while let Some(word) = split.next() {
        if visible_width(word) == 1 && word.contains('-') {
            words.push(
                split
                    .next()
                    .map_or_else(|| word.to_string(), |next| format!("{word} {next}")),
            );
        } else {
            words.push(word.to_string());
        }
    }
    if words.len() <= 1 {
        lines.push(truncate(line, width));
        return;
    }
    // Each wrapped line with the source text it came from: a colour opened on one line is
    // opened again on the next (the table resets every cell at its border).
    let mut wrapped: Vec<(String, String)> = Vec::new();
    let (mut current, mut source) = (String::new(), String::new());
    for word in &words {
        let word = word.as_str();
        let joined = if current.is_empty() {
            visible_width(word)
        } else {
            visible_width(&current) + 1 + visible_width(word)
        };
        if joined <= width {
            if !current.is_empty() {
                current.push(' ');
                source.push(' ');
            }
            current.push_str(word);
            source.push_str(word);
        } else {
            if !current.is_empty() {
                wrapped.push((std::mem::take(&mut current), std::mem::take(&mut source)));
            }
            current = if visible_width(word) > width {
                truncate(word, width)
            } else {
                word.to_string()
            };
            source = word.to_string();
        }
    }
    if !current.is_empty() {
        wrapped.push((current, source));
    }
    let mut open = String::new();
    for (line, source) in wrapped {
        lines.push(format!("{open}{line}"));
        open = open_colors(&format!("{open}{source}"));
    }
}

/// The colour escapes still in force at the end of `text` (none after a reset).
fn open_colors(text: &str) -> String {
    let mut open = String::new();
    let mut rest = text;
    while let Some(at) = rest.find('\x1b') {
        let escape = &rest[at..at + escape_len(&rest[at..])];
        if escape == "\x1b[0m" {
            open.clear();
        } else if escape.ends_with('m') {
            open.push_str(escape);
        }
        rest = &rest[at + escape.len()..];
    }
    open
}

/// Cuts `value` to under `width` columns and appends `…`, keeping ANSI escapes.
fn truncate(value: &str, width: usize) -> String {
    if visible_width(value) <= width {
        return value.to_string();
    }
    if width <= 1 {
        return "…".to_string();
    }
    let mut output = String::new();
    let mut used = 0;
    let mut rest = value;
    while let Some(ch) = rest.chars().next() {
        if ch == '\x1b' {
            let escape = escape_len(rest);
            output.push_str(&rest[..escape]);
            rest = &rest[escape..];
            continue;
        }
        if used + char_width(ch) >= width {
            break;
        }
        output.push(ch);
        used += char_width(ch);
        rest = &rest[ch.len_utf8()..];
    }
    if value.contains('\x1b') && !output.ends_with("\x1b[0m") {
        output.push_str("\x1b[0m");
    }
    output.push('…');
    output
}

/// Length in bytes of the ANSI escape at the start of `text` (`ESC [ … letter`).
fn escape_len(text: &str) -> usize {
    let bytes = text.as_bytes();
    let mut index = 1;
    if bytes.get(1) == Some(&b'[') {
        index = 2;
        while index < bytes.len() && !bytes[index].is_ascii_alphabetic() {
            index += 1;
        }
        index = (index + 1).min(bytes.len());
    }
    index
}

/// Display width as ccusage counts it, ANSI escapes excluded.
pub(crate) fn visible_width(text: &str) -> usize {
    let mut width = 0;
    let mut rest = text;
    while let Some(ch) = rest.chars().next() {
        if ch == '\x1b' {
            rest = &rest[escape_len(rest)..];
            continue;
        }
        width += char_width(ch);
        rest = &rest[ch.len_utf8()..];
    }
    width
}

/// A character's terminal width (box drawing and `…` are one column, CJK two).
fn char_width(ch: char) -> usize {
    unicode_width::UnicodeWidthChar::width(ch).unwrap_or(0)
}

/// `cell` padded to `width`; a coloured cell that does not end with a reset gets one, so
/// its colour stops at the border.
pub(crate) fn pad(cell: &str, width: usize, align: Align) -> String {
    let cell = if cell.contains('\x1b') && !cell.ends_with("\x1b[0m") {
        format!("{cell}\x1b[0m")
    } else {
        cell.to_string()
    };
    let visible = visible_width(&cell);
    if visible >= width {
        return cell;
    }
    let padding = " ".repeat(width - visible);
    match align {
        Align::Left => format!("{cell}{padding}"),
        Align::Right => format!("{padding}{cell}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wrapped_coloured_cell_opens_its_colour_again_on_each_line() {
        let cell = "\x1b[90m1/3/2026, 4:03:00 PM (9h gap)\x1b[0m";
        let lines = wrap(cell, 12);
        assert_eq!(lines[0], "\x1b[90m1/3/2026,");
        assert!(
            lines[1..].iter().all(|line| line.starts_with("\x1b[90m")),
            "{lines:?}"
        );
        assert_eq!(
            pad(&lines[0], 12, Align::Left),
            "\x1b[90m1/3/2026,\x1b[0m   "
        );
        assert_eq!(
            wrap("- opus-4-6 x", 8),
            ["- opus-4-6", "x"].map(|s| truncate(s, 8))
        );
    }
}
