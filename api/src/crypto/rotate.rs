//! Key rotation: add a key to the ring file, then re-seal every sealed row
//! (bodies, contact details, TOTP secrets, and the sealed texts of
//! [`super::rotate_texts`]) under it in small batches (one short transaction each, rows locked with
//! `SKIP LOCKED`), so the api keeps serving throughout. Old keys stay in the
//! file and keep opening rows that are not re-sealed yet.
//!
//! A row that fails to open is left as it is and counted, never "repaired".

use std::path::Path;

use anyhow::Context;
use chrono::Utc;
use diesel::prelude::*;
use shared::ledger::Action;
use uuid::Uuid;

use crate::crypto::{Aad, Sealed, Sealer};
use crate::db::run_in_transaction;
use crate::db::schema::{patients, record_versions, records, user_totp};
use crate::error::ApiError;
use crate::keys::{parse_seal_ring, random_bytes};
use crate::ledger::{self, NewEvent};
use crate::request::RequestContext;

/// Appends a fresh random key (id = highest + 1) to the ring file, replacing
/// the file atomically with mode 0600. Returns the new key's id.
pub fn add_key(path: &Path) -> anyhow::Result<i32> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading seal key file {}", path.display()))?;
    let ring = parse_seal_ring(&text)?;
    let next = ring.iter().map(|k| k.id).max().unwrap_or(0) + 1;
    let key = random_bytes::<32>(&ring::rand::SystemRandom::new())?;
    let mut out = text.clone();
    if !out.ends_with('\n') && !out.is_empty() {
        out.push('\n');
    }
    out.push_str(&format!("{next} {}\n", hex::encode(key)));
    let tmp = path.with_extension(format!("tmp-{}", Uuid::new_v4().simple()));
    {
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)
            .with_context(|| format!("creating {}", tmp.display()))?;
        file.write_all(out.as_bytes())?;
        file.sync_all()?;
    }
    std::fs::rename(&tmp, path).with_context(|| format!("replacing {}", path.display()))?;
    Ok(next)
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct RotationReport {
    pub key_id: i32,
    pub resealed: u64,
    pub failed: u64,
}

/// Rows not sealed under the sealer's current key.
pub fn pending(conn: &mut PgConnection, key_id: i32) -> Result<i64, ApiError> {
    let versions: i64 = record_versions::table
        .filter(record_versions::key_id.ne(key_id))
        .count()
        .get_result(conn)?;
    let contacts: i64 = patients::table
        .filter(patients::contact_key_id.ne(key_id))
        .count()
        .get_result(conn)?;
    let totp: i64 = user_totp::table
        .filter(user_totp::key_id.ne(key_id))
        .count()
        .get_result(conn)?;
    Ok(versions + contacts + totp + super::rotate_texts::pending(conn, key_id)?)
}

type VersionRow = (Uuid, i32, i32, Vec<u8>, Vec<u8>);

/// Re-seals every row under the sealer's newest key, `batch` rows per
/// transaction; `progress(done, total)` is called after each batch.
pub fn reseal_all(
    conn: &mut PgConnection,
    sealer: &Sealer,
    batch: i64,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<RotationReport, ApiError> {
    let key_id = sealer.current_key_id()?;
    let total = pending(conn, key_id)? as u64;
    let mut report = RotationReport {
        key_id,
        ..Default::default()
    };
    progress(0, total);
    let mut after: (Uuid, i32) = (Uuid::nil(), 0);
    loop {
        let last = after;
        let (done, failed, next) = run_in_transaction(conn, |c| {
            let rows: Vec<VersionRow> = record_versions::table
                .filter(record_versions::key_id.ne(key_id))
                .filter(
                    record_versions::record_id
                        .gt(last.0)
                        .or(record_versions::record_id
                            .eq(last.0)
                            .and(record_versions::version.gt(last.1))),
                )
                .order((record_versions::record_id, record_versions::version))
                .limit(batch)
                .select((
                    record_versions::record_id,
                    record_versions::version,
                    record_versions::key_id,
                    record_versions::nonce,
                    record_versions::ciphertext,
                ))
                .for_update()
                .skip_locked()
                .load(c)?;
            let ids: Vec<Uuid> = rows.iter().map(|r| r.0).collect();
            let owners: std::collections::HashMap<Uuid, Uuid> = records::table
                .filter(records::id.eq_any(&ids))
                .select((records::id, records::patient_id))
                .load::<(Uuid, Uuid)>(c)?
                .into_iter()
                .collect();
            let mut done = 0u64;
            let mut failed = 0u64;
            let mut next = None;
            for (record_id, version, old_key, nonce, ct) in rows {
                next = Some((record_id, version));
                let Some(&patient_id) = owners.get(&record_id) else {
                    failed += 1;
                    continue;
                };
                let aad = Aad::RecordBody {
                    record_id,
                    version,
                    patient_id,
                };
                let Ok(plain) = sealer.open(old_key, &nonce, &ct, &aad) else {
                    tracing::warn!(%record_id, version, "record version failed to open; left as it is");
                    failed += 1;
                    continue;
                };
                let sealed = sealer.seal(&aad, &plain)?;
                diesel::update(record_versions::table.find((record_id, version)))
                    .set((
                        record_versions::key_id.eq(sealed.key_id),
                        record_versions::nonce.eq(sealed.nonce.to_vec()),
                        record_versions::ciphertext.eq(sealed.ciphertext),
                    ))
                    .execute(c)?;
                done += 1;
            }
            Ok((done, failed, next))
        })?;
        report.resealed += done;
        report.failed += failed;
        progress(report.resealed + report.failed, total);
        match next {
            Some(n) => after = n,
            None => break,
        }
    }
    let mut report_progress = |done| progress(done, total);
    let contacts = UuidKeyedPass {
        what: "patient contact",
        load: &|c: &mut PgConnection, after: Uuid| {
            Ok(patients::table
                .filter(patients::contact_key_id.ne(key_id))
                .filter(patients::id.gt(after))
                .order(patients::id)
                .limit(batch)
                .select((
                    patients::id,
                    patients::contact_key_id,
                    patients::contact_nonce,
                    patients::contact_sealed,
                ))
                .for_update()
                .skip_locked()
                .load(c)?)
        },
        aad: &|patient_id| Aad::PatientContact { patient_id },
        store: &|c: &mut PgConnection, id: Uuid, sealed: Sealed| {
            diesel::update(patients::table.find(id))
                .set((
                    patients::contact_key_id.eq(sealed.key_id),
                    patients::contact_nonce.eq(sealed.nonce.to_vec()),
                    patients::contact_sealed.eq(sealed.ciphertext),
                ))
                .execute(c)?;
            Ok(())
        },
    };
    contacts.run(conn, sealer, &mut report, &mut report_progress)?;
    let totp_secrets = UuidKeyedPass {
        what: "TOTP secret",
        load: &|c: &mut PgConnection, after: Uuid| {
            let rows: Vec<(Uuid, i32, Vec<u8>, Vec<u8>)> = user_totp::table
                .filter(user_totp::key_id.ne(key_id))
                .filter(user_totp::user_id.gt(after))
                .order(user_totp::user_id)
                .limit(batch)
                .select((
                    user_totp::user_id,
                    user_totp::key_id,
                    user_totp::nonce,
                    user_totp::secret_sealed,
                ))
                .for_update()
                .skip_locked()
                .load(c)?;
            Ok(rows
                .into_iter()
                .map(|(id, key, nonce, ct)| (id, Some(key), Some(nonce), Some(ct)))
                .collect())
        },
        aad: &|user_id| Aad::TotpSecret { user_id },
        store: &|c: &mut PgConnection, id: Uuid, sealed: Sealed| {
            diesel::update(user_totp::table.find(id))
                .set((
                    user_totp::key_id.eq(sealed.key_id),
                    user_totp::nonce.eq(sealed.nonce.to_vec()),
                    user_totp::secret_sealed.eq(sealed.ciphertext),
                ))
                .execute(c)?;
            Ok(())
        },
    };
    totp_secrets.run(conn, sealer, &mut report, &mut report_progress)?;
    let base = report.resealed + report.failed;
    let (texts, failed) = super::rotate_texts::reseal(conn, sealer, batch, &mut |done| {
        report_progress(base + done)
    })?;
    report.resealed += texts;
    report.failed += failed;
    run_in_transaction(conn, |c| {
        let ctx = RequestContext::system("keys-rotate");
        ledger::record(c, &NewEvent::new(Action::KeyRotated, &ctx))
    })?;
    tracing::info!(key_id, resealed = report.resealed, failed = report.failed, at = %Utc::now(), "re-seal pass finished");
    Ok(report)
}

/// A sealed value's row: (key, key id, nonce, ciphertext); `None` columns
/// mean nothing is sealed there.
type SealedRow = (Uuid, Option<i32>, Option<Vec<u8>>, Option<Vec<u8>>);
type LoadBatch<'a> = &'a dyn Fn(&mut PgConnection, Uuid) -> Result<Vec<SealedRow>, ApiError>;
type StoreSealed<'a> = &'a dyn Fn(&mut PgConnection, Uuid, Sealed) -> Result<(), ApiError>;

/// A re-seal pass over a table whose sealed values are keyed by one uuid:
/// batches in key order, one transaction each.
struct UuidKeyedPass<'a> {
    what: &'static str,
    /// Rows after the given key still under another key, locked.
    load: LoadBatch<'a>,
    aad: &'a dyn Fn(Uuid) -> Aad,
    store: StoreSealed<'a>,
}

impl UuidKeyedPass<'_> {
    fn run(
        &self,
        conn: &mut PgConnection,
        sealer: &Sealer,
        report: &mut RotationReport,
        progress: &mut dyn FnMut(u64),
    ) -> Result<(), ApiError> {
        let mut after = Uuid::nil();
        loop {
            let last = after;
            let (done, failed, next) = run_in_transaction(conn, |c| {
                let (mut done, mut failed, mut next) = (0u64, 0u64, None);
                for (id, old_key, nonce, ct) in (self.load)(c, last)? {
                    next = Some(id);
                    let (Some(old_key), Some(nonce), Some(ct)) = (old_key, nonce, ct) else {
                        continue;
                    };
                    let aad = (self.aad)(id);
                    let Ok(plain) = sealer.open(old_key, &nonce, &ct, &aad) else {
                        tracing::warn!(%id, what = self.what, "sealed value failed to open; left as it is");
                        failed += 1;
                        continue;
                    };
                    (self.store)(c, id, sealer.seal(&aad, &plain)?)?;
                    done += 1;
                }
                Ok((done, failed, next))
            })?;
            report.resealed += done;
            report.failed += failed;
            progress(report.resealed + report.failed);
            match next {
                Some(n) => after = n,
                None => return Ok(()),
            }
        }
    }
}

/// `careledger keys rotate`: adds a key, waits for running servers to notice
/// the key file changed (they re-read it within `RELOAD_CHECK`), then
/// re-seals every row in batches; repeats a pass for rows a server sealed
/// with the old key in between, until none are left.
pub fn run_cli(settings: &crate::config::Settings) -> anyhow::Result<()> {
    crate::keys::Keys::load(settings)?;
    let path = settings.seal_key_file.clone();
    let id = add_key(&path)?;
    println!("added seal key {id} to {}", path.display());
    std::thread::sleep(crate::crypto::seal::RELOAD_CHECK + std::time::Duration::from_secs(1));
    let sealer = Sealer::from_file(path)?;
    let mut conn = crate::db::connect_as_app(settings.database_url.expose())?;
    let mut total = 0;
    for _ in 0..10 {
        let mut bar = terminal_progress();
        let report =
            reseal_all(&mut conn, &sealer, 200, &mut bar).map_err(|e| anyhow::anyhow!("{e}"))?;
        total += report.resealed;
        if report.failed > 0 {
            eprintln!(
                "{} rows failed to open and were left as they are (see the log)",
                report.failed
            );
        }
        if report.resealed == 0 {
            break;
        }
    }
    println!("re-sealed {total} rows under key {id}; older keys stay in the ring file");
    Ok(())
}

/// A one-line progress bar on stderr, drawn only when stderr is a terminal.
pub fn terminal_progress() -> impl FnMut(u64, u64) {
    use std::io::{IsTerminal, Write};
    let tty = std::io::stderr().is_terminal();
    move |done, total| {
        if !tty {
            return;
        }
        let width = 40u64;
        let filled = (done.min(total) * width)
            .checked_div(total)
            .unwrap_or(width);
        let bar: String = (0..width)
            .map(|i| if i < filled { '#' } else { '.' })
            .collect();
        let mut err = std::io::stderr();
        let _ = write!(err, "\r[{bar}] {done}/{total} rows re-sealed");
        if done >= total {
            let _ = writeln!(err);
        }
        let _ = err.flush();
    }
}
