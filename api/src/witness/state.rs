//! A witness's own state: one directory it alone owns (never the log's
//! database). Per log origin, `latest-<sha256(origin) hex>.note` holds the
//! latest checkpoint it cosigned (the log's note with its cosignature
//! appended); `evidence/` keeps every refused checkpoint that the log
//! validly signed and that contradicts it, with what the witness had at the
//! time: a fork (same size, other root) or a failed consistency proof is
//! proof of the log's misbehaviour on its own; a smaller checkpoint
//! ("rollback") shows a stale or rolled-back view, worth a look when it is
//! served to clients rather than merely pushed late.
//!
//! Writes are atomic (temporary file, fsync, rename, fsync of the
//! directory), and the caller holds one lock across "compare with latest"
//! and "persist new latest", as tlog-witness requires. One witness process
//! per directory (a lock file enforces it).

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use sha2::{Digest, Sha256};

#[derive(Debug)]
pub struct WitnessState {
    dir: PathBuf,
    _lock: File,
}

fn origin_hash(origin: &str) -> String {
    hex::encode(Sha256::digest(origin.as_bytes()))
}

fn write_atomic(dir: &Path, name: &str, contents: &[u8]) -> anyhow::Result<()> {
    let tmp = dir.join(format!(".{name}.tmp"));
    let mut f = File::create(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
    f.write_all(contents)?;
    f.sync_all()?;
    fs::rename(&tmp, dir.join(name))?;
    File::open(dir)?.sync_all()?;
    Ok(())
}

impl WitnessState {
    /// Opens (creating) the state directory and takes its lock file.
    pub fn open(dir: &Path) -> anyhow::Result<Self> {
        fs::create_dir_all(dir.join("evidence"))
            .with_context(|| format!("creating witness state {}", dir.display()))?;
        let lock_path = dir.join("witness.lock");
        let lock = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&lock_path)
            .or_else(|_| {
                // A stale lock from a dead process: its pid is gone.
                let pid = fs::read_to_string(&lock_path).unwrap_or_default();
                let alive = !pid.trim().is_empty()
                    && Path::new("/proc").join(pid.trim()).exists()
                    && pid.trim() != std::process::id().to_string();
                if alive {
                    anyhow::bail!(
                        "{} is used by witness process {}",
                        dir.display(),
                        pid.trim()
                    );
                }
                Ok(File::create(&lock_path)?)
            })?;
        let mut lock = lock;
        write!(lock, "{}", std::process::id())?;
        Ok(Self {
            dir: dir.to_owned(),
            _lock: lock,
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The latest cosigned note for `origin`, if any.
    pub fn latest(&self, origin: &str) -> anyhow::Result<Option<String>> {
        let path = self
            .dir
            .join(format!("latest-{}.note", origin_hash(origin)));
        match fs::read_to_string(&path) {
            Ok(s) => Ok(Some(s)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
        }
    }

    /// The latest note for the monitoring endpoint, by hex origin hash.
    pub fn latest_by_hash(&self, hash: &str) -> anyhow::Result<Option<String>> {
        if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Ok(None);
        }
        let path = self
            .dir
            .join(format!("latest-{}.note", hash.to_ascii_lowercase()));
        Ok(fs::read_to_string(path).ok())
    }

    pub fn set_latest(&self, origin: &str, note: &str) -> anyhow::Result<()> {
        write_atomic(
            &self.dir,
            &format!("latest-{}.note", origin_hash(origin)),
            note.as_bytes(),
        )
    }

    /// Keeps a refused request as evidence; returns the file written.
    pub fn keep_evidence(
        &self,
        origin: &str,
        reason: &str,
        request: &str,
        latest: Option<&str>,
    ) -> anyhow::Result<PathBuf> {
        let now = chrono::Utc::now();
        let name = format!(
            "{}-{}-{reason}.txt",
            now.format("%Y%m%dT%H%M%S%.6fZ"),
            &origin_hash(origin)[..16]
        );
        let text = format!(
            "# refused by this witness at {now}: {reason}\n# origin: {origin}\n\
             # the request (its checkpoint is validly signed by the log):\n{request}\n\
             # the latest checkpoint this witness had cosigned:\n{}",
            latest.unwrap_or("(none)\n")
        );
        let dir = self.dir.join("evidence");
        write_atomic(&dir, &name, text.as_bytes())?;
        Ok(dir.join(name))
    }
}
