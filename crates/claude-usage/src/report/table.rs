//! The box-drawn table ccusage 20.0.24 prints, as a value: headers, alignments and rows of
//! (possibly multi-line, possibly coloured) cells, laid out to fit a terminal width. Columns
//! get their content width plus padding, then shrink in proportion (down to per-column
//! minimums) when the terminal is narrower; cells that do not fit wrap at spaces or are cut
//! with `…`; a date cell in a squeezed first column breaks as `2026` / `01-10`.

use std::io::{self, Write};

use crate::report::layout::{
    fit, pad, physical_lines, visible_width, Align, Columns, MAX_MODELS_WIDTH,
};

/// The colours ccusage uses (ANSI codes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Color {
    /// Headers and titles.
    Blue,
    /// The active block.
    Green,
    /// Breakdown rows and gaps.
    Grey,
    /// Over a limit.
    Red,
    /// Totals and projections.
    Yellow,
}

/// Whether to colour, and the terminal width tables fit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TableLook {
    /// Terminal width in columns.
    pub width: usize,
    /// Colour with ANSI escapes.
    pub is_colored: bool,
    /// The narrow layout (fewer columns).
    pub is_compact: bool,
}

impl TableLook {
    /// `value` in `color` when colouring, else as is.
    pub fn paint(&self, value: impl AsRef<str>, color: Color) -> String {
        let value = value.as_ref();
        if !self.is_colored {
            return value.to_string();
        }
        let code = match color {
            Color::Blue => 34,
            Color::Green => 32,
            Color::Grey => 90,
            Color::Red => 31,
            Color::Yellow => 33,
        };
        format!("\x1b[{code}m{value}\x1b[0m")
    }
}

/// A table being built: rows, and separators between groups.
#[derive(Debug, Clone)]
pub struct Grid {
    headers: Vec<String>,
    aligns: Vec<Align>,
    rows: Vec<Option<Vec<String>>>,
    has_date_column: bool,
}

impl Grid {
    /// A table with these column headers and alignments.
    pub fn new(headers: &[&str], aligns: &[Align]) -> Self {
        Self {
            headers: headers.iter().map(|h| (*h).to_string()).collect(),
            aligns: aligns.to_vec(),
            rows: Vec::new(),
            has_date_column: false,
        }
    }

    /// The first column holds `YYYY-MM-DD` dates, which may break over two lines.
    pub fn with_date_column(mut self) -> Self {
        self.has_date_column = true;
        self
    }

    /// Adds a row.
    pub fn push(&mut self, row: Vec<String>) {
        self.rows.push(Some(row));
    }

    /// Adds a separator line.
    pub fn separator(&mut self) {
        self.rows.push(None);
    }

    /// Number of columns.
    pub fn column_count(&self) -> usize {
        self.headers.len()
    }

    /// Writes the table, fitted to `look.width`.
    pub fn write<W: Write>(&self, out: &mut W, look: &TableLook) -> io::Result<()> {
        let widths = self.widths(look.width);
        writeln!(out, "{}", border('┌', '┬', '┐', &widths))?;
        for line in physical_lines(&self.headers, &widths) {
            let line: Vec<String> = line.iter().map(|h| look.paint(h, Color::Blue)).collect();
            writeln!(out, "{}", self.line(&line, &widths))?;
        }
        writeln!(out, "{}", border('├', '┼', '┤', &widths))?;
        for (index, row) in self.rows.iter().enumerate() {
            let Some(row) = row else {
                writeln!(out, "{}", border('├', '┼', '┤', &widths))?;
                continue;
            };
            let row = self.squeeze_date(row, &widths);
            for line in physical_lines(&row, &widths) {
                writeln!(out, "{}", self.line(&line, &widths))?;
            }
            if index + 1 < self.rows.len() && self.rows[index + 1].is_some() {
                writeln!(out, "{}", border('├', '┼', '┤', &widths))?;
            }
        }
        writeln!(out, "{}", border('└', '┴', '┘', &widths))
    }

    /// Column widths (cell plus one space each side): content (the models column capped),
    /// then fitted to the terminal.
    fn widths(&self, terminal_width: usize) -> Vec<usize> {
        let models = self.headers.iter().position(|header| header == "Models");
        let line_width = |cell: &str| cell.lines().map(visible_width).max().unwrap_or(0);
        let column_content = |index: usize| {
            self.rows
                .iter()
                .flatten()
                .filter_map(|row| row.get(index))
                .map(|cell| line_width(cell))
                .max()
                .unwrap_or(0)
        };
        let content: Vec<usize> = (0..self.headers.len())
            .map(|index| {
                let width = line_width(&self.headers[index]).max(column_content(index));
                if models == Some(index) {
                    width.min(MAX_MODELS_WIDTH)
                } else {
                    width
                }
            })
            .collect();
        let natural: Vec<usize> = content
            .iter()
            .enumerate()
            .map(|(index, width)| match (self.aligns.get(index), index) {
                _ if models == Some(index) => (width + 2).clamp(15, MAX_MODELS_WIDTH + 2),
                (Some(Align::Right), _) => (width + 3).max(11),
                (_, 1) => (width + 2).max(15),
                _ => (width + 2).max(10),
            })
            .collect();
        let body: Vec<usize> = (0..self.headers.len()).map(column_content).collect();
        let columns = Columns {
            aligns: &self.aligns,
            models,
            body: &body,
            has_date_column: self.has_date_column,
        };
        fit(natural, &columns, terminal_width)
    }

    fn squeeze_date(&self, row: &[String], widths: &[usize]) -> Vec<String> {
        let mut row = row.to_vec();
        if self.has_date_column && widths.first().is_some_and(|w| w.saturating_sub(2) < 10) {
            if let Some(first) = row.first_mut() {
                if is_date(first) {
                    *first = format!("{}\n{}", &first[..4], &first[5..]);
                }
            }
        }
        row
    }

    fn line(&self, cells: &[String], widths: &[usize]) -> String {
        let mut line = String::from("│");
        for (index, width) in widths.iter().enumerate() {
            let cell = cells.get(index).map_or("", String::as_str);
            let align = if index == 0 && cell.starts_with("(assuming ") {
                Align::Right
            } else {
                self.aligns.get(index).copied().unwrap_or(Align::Left)
            };
            line.push(' ');
            line.push_str(&pad(cell, width.saturating_sub(2), align));
            line.push_str(" │");
        }
        line
    }
}

fn is_date(cell: &str) -> bool {
    let bytes = cell.as_bytes();
    bytes.len() == 10
        && bytes[4] == b'-'
        && bytes[7] == b'-'
        && bytes
            .iter()
            .enumerate()
            .all(|(i, b)| i == 4 || i == 7 || b.is_ascii_digit())
}

fn border(left: char, middle: char, right: char, widths: &[usize]) -> String {
    let mut line = String::from(left);
    for (index, width) in widths.iter().enumerate() {
        line.push_str(&"─".repeat(*width));
        line.push(if index + 1 == widths.len() {
            right
        } else {
            middle
        });
    }
    line
}

/// The boxed title above a table, with a blank line before and after.
pub(crate) fn write_title<W: Write>(out: &mut W, title: &str, look: &TableLook) -> io::Result<()> {
    let inner = visible_width(title).max(40) + 2;
    let padding = inner - visible_width(title);
    let (left, right) = (padding / 2, padding - padding / 2);
    let bar = "─".repeat(inner + 2);
    let blank = " ".repeat(inner + 2);
    writeln!(out)?;
    writeln!(out, "╭{bar}╮")?;
    writeln!(out, "│{blank}│")?;
    writeln!(
        out,
        "│ {}{}{} │",
        " ".repeat(left),
        look.paint(title, Color::Blue),
        " ".repeat(right)
    )?;
    writeln!(out, "│{blank}│")?;
    writeln!(out, "╰{bar}╯")?;
    writeln!(out)
}

/// `1234567` as `1,234,567`.
pub fn format_number(value: u64) -> String {
    let digits = value.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// `$12.34`.
pub fn format_currency(value: f64) -> String {
    format!("${value:.2}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::layout::wrap;

    #[test]
    fn numbers_and_currency_read_as_ccusage_prints_them() {
        assert_eq!(format_number(0), "0");
        assert_eq!(format_number(999), "999");
        assert_eq!(format_number(1_234_567), "1,234,567");
        assert_eq!(format_currency(54_043_195_571.456), "$54043195571.46");
    }

    #[test]
    fn cells_wrap_at_spaces_and_cut_long_words() {
        assert_eq!(wrap("Cache Create", 8), ["Cache", "Create"]);
        assert_eq!(wrap("2,297,271", 8), ["2,297,2…"]);
        assert_eq!(visible_width("\x1b[34mab\x1b[0m…"), 3);
        assert_eq!(visible_width("└─ 日本"), 7);
    }

    #[test]
    fn a_narrow_terminal_squeezes_columns_to_their_minimums() {
        let mut grid = Grid::new(
            &["Date", "Models", "Input"],
            &[Align::Left, Align::Left, Align::Right],
        )
        .with_date_column();
        grid.push(vec![
            "2026-01-10".into(),
            "- opus-4-6\n- sonnet-4-5".into(),
            "1,234".into(),
        ]);
        let mut out = Vec::new();
        let look = TableLook {
            width: 30,
            is_colored: false,
            is_compact: false,
        };
        grid.write(&mut out, &look).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.lines().all(|line| visible_width(line) <= 30), "{text}");
        assert!(text.contains("│ 2026 "), "{text}");
        assert!(text.contains("│ 01-10 "), "{text}");
    }
}
