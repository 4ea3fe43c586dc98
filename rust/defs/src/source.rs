//! Source files and spans. Every token and diagnostic points into a [`SourceMap`] by byte
//! offsets, so a location survives includes and macro expansion unchanged.

use std::path::{Path, PathBuf};

/// Identifies one file loaded into a [`SourceMap`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FileId(pub u32);

/// A byte range in one source file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Span {
    /// The file the range lies in.
    pub file: FileId,
    /// Byte offset of the first byte.
    pub start: u32,
    /// Byte offset one past the last byte.
    pub end: u32,
}

impl Span {
    /// A span from `start` to `end` in `file`.
    pub fn new(file: FileId, start: usize, end: usize) -> Span {
        Span {
            file,
            start: start as u32,
            end: end as u32,
        }
    }

    /// The smallest span that covers both, or `self` when they lie in different files.
    pub fn to(self, other: Span) -> Span {
        if self.file != other.file {
            return self;
        }
        Span {
            file: self.file,
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }
}

/// One loaded file.
#[derive(Debug)]
pub struct SourceFile {
    /// The path it was opened by.
    pub path: PathBuf,
    /// The name shown in diagnostics.
    pub name: String,
    /// Its text. Invalid UTF-8 is replaced by U+FFFD when the file is loaded.
    pub text: String,
    line_starts: Vec<usize>,
}

impl SourceFile {
    /// The zero-based line index of a byte offset.
    pub fn line_index(&self, offset: usize) -> usize {
        match self.line_starts.binary_search(&offset) {
            Ok(line) => line,
            Err(next) => next - 1,
        }
    }

    /// One-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = self.line_index(offset);
        let start = self.line_starts[line];
        let column = self
            .text
            .get(start..offset)
            .map_or(offset - start, |s| s.chars().count());
        (line + 1, column + 1)
    }

    /// Byte range of a zero-based line, without its line ending.
    pub fn line_range(&self, line: usize) -> Option<std::ops::Range<usize>> {
        let start = *self.line_starts.get(line)?;
        let end = self
            .line_starts
            .get(line + 1)
            .copied()
            .unwrap_or(self.text.len());
        let text = &self.text[start..end];
        let trimmed = text.trim_end_matches(['\n', '\r']).len();
        Some(start..start + trimmed)
    }
}

/// Every file read during one run.
#[derive(Debug, Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
    /// Files loaded from disk by path, so [`SourceMap::load_cached`] reads and indexes a
    /// header included many times once.
    by_path: std::collections::HashMap<PathBuf, FileId>,
}

impl SourceMap {
    /// An empty map.
    pub fn new() -> SourceMap {
        SourceMap::default()
    }

    /// Adds a file from memory.
    pub fn add(&mut self, path: impl Into<PathBuf>, text: String) -> FileId {
        let path = path.into();
        let name = path.display().to_string();
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        self.files.push(SourceFile {
            path,
            name,
            text,
            line_starts,
        });
        FileId(self.files.len() as u32 - 1)
    }

    /// Reads a file from disk. Bytes that are not UTF-8 become U+FFFD; the lexer reports them.
    pub fn load(&mut self, path: &Path) -> std::io::Result<FileId> {
        let bytes = std::fs::read(path)?;
        let text = match String::from_utf8(bytes) {
            Ok(text) => text,
            Err(err) => String::from_utf8_lossy(err.as_bytes()).into_owned(),
        };
        let id = self.add(path, text);
        // A later `load_cached` of the same path (a file including itself) reuses this text.
        self.by_path.insert(path.to_path_buf(), id);
        Ok(id)
    }

    /// Reads a file from disk unless the same path was already loaded, in which case the
    /// earlier [`FileId`] is returned without touching the disk.
    pub fn load_cached(&mut self, path: &Path) -> std::io::Result<FileId> {
        if let Some(&id) = self.by_path.get(path) {
            return Ok(id);
        }
        self.load(path)
    }

    /// Adds a file from memory under `path` unless that path is already loaded, in which
    /// case the earlier [`FileId`] is returned (for built-in files included many times).
    pub fn add_cached(&mut self, path: &Path, text: &str) -> FileId {
        if let Some(&id) = self.by_path.get(path) {
            return id;
        }
        let id = self.add(path, text.to_string());
        self.by_path.insert(path.to_path_buf(), id);
        id
    }

    /// The file behind an id.
    pub fn file(&self, id: FileId) -> &SourceFile {
        &self.files[id.0 as usize]
    }

    /// The text a span covers (empty when the span is out of range).
    pub fn snippet(&self, span: Span) -> &str {
        self.file(span.file)
            .text
            .get(span.start as usize..span.end as usize)
            .unwrap_or("")
    }

    /// `file:line:col` of the start of a span.
    pub fn location(&self, span: Span) -> String {
        let file = self.file(span.file);
        let (line, col) = file.line_col(span.start as usize);
        format!("{}:{}:{}", file.name, line, col)
    }

    /// How many files are loaded.
    pub fn len(&self) -> usize {
        self.files.len()
    }

    /// Whether no file is loaded.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// Every loaded file in load order.
    pub fn files(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        self.files
            .iter()
            .enumerate()
            .map(|(i, f)| (FileId(i as u32), f))
    }
}

impl<'a> codespan_reporting::files::Files<'a> for SourceMap {
    type FileId = FileId;
    type Name = &'a str;
    type Source = &'a str;

    fn name(&'a self, id: FileId) -> Result<&'a str, codespan_reporting::files::Error> {
        self.files
            .get(id.0 as usize)
            .map(|f| f.name.as_str())
            .ok_or(codespan_reporting::files::Error::FileMissing)
    }

    fn source(&'a self, id: FileId) -> Result<&'a str, codespan_reporting::files::Error> {
        self.files
            .get(id.0 as usize)
            .map(|f| f.text.as_str())
            .ok_or(codespan_reporting::files::Error::FileMissing)
    }

    fn line_index(
        &'a self,
        id: FileId,
        byte_index: usize,
    ) -> Result<usize, codespan_reporting::files::Error> {
        let file = self
            .files
            .get(id.0 as usize)
            .ok_or(codespan_reporting::files::Error::FileMissing)?;
        Ok(file.line_index(byte_index.min(file.text.len())))
    }

    fn line_range(
        &'a self,
        id: FileId,
        line_index: usize,
    ) -> Result<std::ops::Range<usize>, codespan_reporting::files::Error> {
        let file = self
            .files
            .get(id.0 as usize)
            .ok_or(codespan_reporting::files::Error::FileMissing)?;
        file.line_range(line_index)
            .ok_or(codespan_reporting::files::Error::LineTooLarge {
                given: line_index,
                max: file.line_starts.len() - 1,
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn load_cached_reuses_a_path() {
        let path = std::env::temp_dir().join(format!("migz-source-{}.defs", std::process::id()));
        std::fs::write(&path, "x").expect("write");
        let mut map = SourceMap::new();
        let first = map.load(&path).expect("load");
        assert_eq!(map.load_cached(&path).expect("cached"), first);
        assert_ne!(map.load(&path).expect("load again"), first);
        assert!(
            map.load_cached(Path::new("/nonexistent/migz.defs"))
                .is_err()
        );
        let _ = std::fs::remove_file(&path);
    }

    #[test]
    fn line_and_column_count_characters() {
        let mut map = SourceMap::new();
        let id = map.add("a.defs", "ab\né x\n".to_string());
        assert_eq!(map.file(id).line_col(0), (1, 1));
        assert_eq!(map.file(id).line_col(3), (2, 1));
        assert_eq!(map.file(id).line_col(6), (2, 3));
        assert_eq!(map.location(Span::new(id, 6, 7)), "a.defs:2:3");
    }
}
