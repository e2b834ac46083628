//! What every handler can reach: the database, token keys, key material,
//! the ledger's checkpoint signer and settings. Built once in `startup` and shared (read-only) across workers.

use crate::auth::JwtKeys;
use crate::config::Settings;
use crate::crypto::Sealer;
use crate::db::Database;
use crate::keys::Keys;
use crate::ledger::signer::CheckpointSigner;
use crate::rate_limit::RateLimiter;
use crate::route_table::RouteTable;

pub struct AppState {
    pub db: Database,
    pub jwt: JwtKeys,
    pub keys: Keys,
    /// Seals and opens record bodies and contact details (follows the key file).
    pub sealer: std::sync::Arc<Sealer>,
    pub settings: Settings,
    /// Verified against for unknown usernames so timing does not reveal them.
    pub dummy_password_hash: String,
    pub routes: RouteTable,
    pub limiter: RateLimiter,
    /// Signs ledger checkpoints (shared with the sequencer thread).
    pub ledger_signer: std::sync::Arc<CheckpointSigner>,
}
