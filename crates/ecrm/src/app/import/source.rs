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
    /// Delimited fields; `invalid` lists the columns that were not valid UTF-8 (kept lossily).
    Fields {
        line: u64,
        fields: Vec<String>,
        invalid: Vec<usize>,
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
                let bytes: &[u8] = buffer.strip_suffix(b"\n").unwrap_or(buffer);
                let bytes = bytes.strip_suffix(b"\r").unwrap_or(bytes);
                if bytes.iter().all(u8::is_ascii_whitespace) {
                    continue;
                }
                if *format == Format::JsonLines {
                    let parsed = std::str::from_utf8(bytes)
                        .map_err(|err| format!("invalid UTF-8: {err}"))
                        .and_then(|text| {
                            serde_json::from_str(text).map_err(|err| format!("invalid JSON: {err}"))
                        });
                    return Ok(Some(match parsed {
                        Ok(value) => Record::Json { line, value },
                        Err(reason) => Record::Broken { line, reason },
                    }));
                }
                let tokens = bytes
                    .split(u8::is_ascii_whitespace)
                    .filter(|token| !token.is_empty());
                return Ok(Some(fields_of(tokens, line)));
            },
        }
    }
}

fn fields_of<'a>(raw: impl Iterator<Item = &'a [u8]>, line: u64) -> Record {
    let mut fields = Vec::new();
    let mut invalid = Vec::new();
    for (idx, bytes) in raw.enumerate() {
        match std::str::from_utf8(bytes) {
            Ok(text) => fields.push(text.to_string()),
            Err(_) => {
                invalid.push(idx);
                fields.push(String::from_utf8_lossy(bytes).into_owned());
            }
        }
    }
    Record::Fields {
        line,
        fields,
        invalid,
    }
}
