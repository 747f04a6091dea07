//! Reading records from CSV, TSV, `;`-separated, whitespace-separated or JSONL files, plain or gzip.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use anyhow::Context;
use flate2::read::MultiGzDecoder;

/// How a file's records are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Delimited(u8),
    Whitespace,
    JsonLines,
}

impl Format {
    /// Parses `--delimiter`: `,` `\t` (or `tab`) `;` `whitespace`, or `jsonl`.
    pub fn parse(text: &str) -> Option<Format> {
        match text {
            "," | "comma" => Some(Format::Delimited(b',')),
            "\\t" | "\t" | "tab" => Some(Format::Delimited(b'\t')),
            ";" | "semicolon" => Some(Format::Delimited(b';')),
            "|" | "pipe" => Some(Format::Delimited(b'|')),
            "whitespace" | "space" => Some(Format::Whitespace),
            "jsonl" | "json" | "ndjson" => Some(Format::JsonLines),
            _ => None,
        }
    }

    /// Guesses from the file name: `.jsonl`/`.ndjson`, `.tsv`, `.txt` (whitespace), else CSV.
    pub fn guess(path: &Path) -> Format {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().to_lowercase())
            .unwrap_or_default();
        let name = name.strip_suffix(".gz").unwrap_or(&name);
        if name.ends_with(".jsonl") || name.ends_with(".ndjson") || name.ends_with(".json") {
            Format::JsonLines
        } else if name.ends_with(".tsv") || name.ends_with(".tab") {
            Format::Delimited(b'\t')
        } else if name.ends_with(".txt") || name.ends_with(".dat") {
            Format::Whitespace
        } else {
            Format::Delimited(b',')
        }
    }
}

/// Opens a file, transparently decompressing gzip (detected by its magic bytes, not its name).
pub fn open_decoded(path: &Path) -> anyhow::Result<Box<dyn BufRead>> {
    let mut file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut magic = [0u8; 2];
    let n = file.read(&mut magic)?;
    let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    if n == 2 && magic == [0x1f, 0x8b] {
        return Ok(Box::new(BufReader::with_capacity(
            1 << 20,
            MultiGzDecoder::new(file),
        )));
    }
    Ok(Box::new(BufReader::with_capacity(1 << 20, file)))
}

/// One record: its line number in the file (1-based, counting the header) and its fields or JSON.
pub enum Record {
    Fields {
        line: u64,
        fields: Vec<String>,
    },
    Json {
        line: u64,
        value: serde_json::Value,
    },
    /// A line that could not be read at all (invalid UTF-8, invalid JSON, broken quoting).
    Broken {
        line: u64,
        reason: String,
    },
}

/// Streams the records of one file.
pub struct RecordReader {
    inner: Inner,
    line: u64,
}

enum Inner {
    Csv(csv::Reader<Box<dyn BufRead>>, csv::ByteRecord),
    Lines(Box<dyn BufRead>, Format, Vec<u8>),
}

impl RecordReader {
    pub fn new(reader: Box<dyn BufRead>, format: Format) -> RecordReader {
        let inner = match format {
            Format::Delimited(delimiter) => Inner::Csv(
                csv::ReaderBuilder::new()
                    .delimiter(delimiter)
                    .has_headers(false)
                    .flexible(true)
                    .from_reader(reader),
                csv::ByteRecord::new(),
            ),
            other => Inner::Lines(reader, other, Vec::new()),
        };
        RecordReader { inner, line: 0 }
    }

    /// The next record, or `None` at the end of the file.
    pub fn next_record(&mut self) -> anyhow::Result<Option<Record>> {
        match &mut self.inner {
            Inner::Csv(reader, record) => {
                let read = reader.read_byte_record(record);
                let line = record.position().map(|p| p.line()).unwrap_or(self.line + 1);
                self.line = line;
                match read {
                    Ok(false) => Ok(None),
                    Ok(true) => Ok(Some(fields_of(record.iter(), line))),
                    Err(err) => Ok(Some(Record::Broken {
                        line,
                        reason: err.to_string(),
                    })),
                }
            }
            Inner::Lines(reader, format, buffer) => loop {
                buffer.clear();
                if reader.read_until(b'\n', buffer)? == 0 {
                    return Ok(None);
                }
                self.line += 1;
                let line = self.line;
                let text = match std::str::from_utf8(buffer) {
                    Ok(text) => text.trim_end_matches(['\n', '\r']),
                    Err(err) => {
                        return Ok(Some(Record::Broken {
                            line,
                            reason: format!("invalid UTF-8: {err}"),
                        }));
                    }
                };
                if text.trim().is_empty() {
                    continue;
                }
                if *format == Format::JsonLines {
                    return Ok(Some(match serde_json::from_str(text) {
                        Ok(value) => Record::Json { line, value },
                        Err(err) => Record::Broken {
                            line,
                            reason: format!("invalid JSON: {err}"),
                        },
                    }));
                }
                return Ok(Some(Record::Fields {
                    line,
                    fields: text.split_whitespace().map(str::to_string).collect(),
                }));
            },
        }
    }
}

fn fields_of<'a>(raw: impl Iterator<Item = &'a [u8]>, line: u64) -> Record {
    let mut fields = Vec::new();
    for (idx, bytes) in raw.enumerate() {
        match std::str::from_utf8(bytes) {
            Ok(text) => fields.push(text.to_string()),
            Err(err) => {
                return Record::Broken {
                    line,
                    reason: format!("column {}: invalid UTF-8: {err}", idx + 1),
                };
            }
        }
    }
    Record::Fields { line, fields }
}
