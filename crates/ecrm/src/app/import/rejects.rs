//! The rejects file: one CSV line per row that was not kept (file, line, field, reason).

use std::fs::File;
use std::io::BufWriter;
use std::path::PathBuf;

/// Writes rejects lazily: the file exists only when something was rejected.
pub struct RejectWriter {
    path: PathBuf,
    writer: Option<csv::Writer<BufWriter<File>>>,
}

impl RejectWriter {
    pub fn new(path: PathBuf) -> RejectWriter {
        RejectWriter { path, writer: None }
    }

    pub fn write(
        &mut self,
        file: &str,
        line: u64,
        field: &str,
        reason: &str,
    ) -> anyhow::Result<()> {
        if self.writer.is_none() {
            let mut writer = csv::Writer::from_writer(BufWriter::new(File::create(&self.path)?));
            writer.write_record(["file", "line", "field", "reason"])?;
            self.writer = Some(writer);
        }
        if let Some(writer) = self.writer.as_mut() {
            writer.write_record([file, &line.to_string(), field, reason])?;
        }
        Ok(())
    }

    /// Flushes and returns the file's path when anything was written.
    pub fn finish(mut self) -> anyhow::Result<Option<String>> {
        match self.writer.take() {
            Some(mut writer) => {
                writer.flush()?;
                Ok(Some(self.path.display().to_string()))
            }
            None => Ok(None),
        }
    }
}
