//! The execution journal (placeholder: the exactly-once work fills this module).

use std::sync::Arc;

use crate::config::JournalConfig;
use crate::error::Result;

/// Records execution intents before money moves.
pub trait Journal: Send + Sync + 'static {}

struct MemoryJournal;
impl Journal for MemoryJournal {}

/// Opens the journal the configuration names.
pub fn open(config: &JournalConfig) -> Result<Arc<dyn Journal>> {
    match config {
        JournalConfig::Custom(journal) => Ok(journal.clone()),
        _ => Ok(Arc::new(MemoryJournal)),
    }
}
