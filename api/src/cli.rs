//! The `careledger` command line: `serve`, `migrate`, `seed --demo`,
//! `ledger verify`, `keys rotate`, `openapi`. Settings come from the environment
//! (see `config`). `ledger verify` exits with status 1 when the ledger is invalid.

use std::process::ExitCode;

use anyhow::{bail, Context};

use crate::config::Settings;
use crate::crypto::{self, Sealer};
use crate::keys::Keys;
use crate::startup::Application;
use crate::{db, openapi, seed, telemetry};

const USAGE: &str = "usage: careledger <command>

commands:
  serve          run the api (and the built SPA) — migrates first
  migrate        apply pending database migrations
  seed --demo    create the demo accounts and charts (refuses a database with real accounts)
  keys rotate    add a seal key and re-seal every sealed row under it, online
  ledger verify [--key <verifier key>]
                 re-check every ledger event, the tree and the signed checkpoints
                 (with the server's key, or a C2SP verifier key given here)
  openapi        print the OpenAPI document
";

pub fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("careledger: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &[String]) -> anyhow::Result<ExitCode> {
    let words: Vec<&str> = args.iter().map(String::as_str).collect();
    match words.as_slice() {
        ["ledger", "verify"] => crate::ledger::verify_cli::run(None),
        ["ledger", "verify", "--key", key] => crate::ledger::verify_cli::run(Some(key)),
        other => run_other(other).map(|()| ExitCode::SUCCESS),
    }
}

fn run_other(words: &[&str]) -> anyhow::Result<()> {
    match words {
        ["serve"] => serve(),
        ["migrate"] => {
            let settings = Settings::from_env()?;
            telemetry::init(settings.log_json);
            let mut conn = db::connect(settings.database_url.expose())?;
            db::run_migrations(&mut conn)?;
            println!("migrations applied");
            Ok(())
        }
        ["seed", "--demo"] => {
            let settings = Settings::from_env()?;
            telemetry::init(settings.log_json);
            let mut conn = db::connect(settings.database_url.expose())?;
            db::run_migrations(&mut conn)?;
            let keys = Keys::load(&settings)?;
            let sealer = Sealer::new(&keys.seal_ring, Some(settings.seal_key_file.clone()))
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            match seed::seed_demo_full(&mut conn, &sealer).map_err(|e| anyhow::anyhow!("{e}"))? {
                seed::SeedOutcome::Created(n) => {
                    println!(
                        "created {n} demo accounts with profiles, records, a consent and a request"
                    )
                }
                seed::SeedOutcome::AlreadySeeded => println!("demo data already present"),
            }
            Ok(())
        }
        ["keys", "rotate"] => {
            let settings = Settings::from_env()?;
            telemetry::init(settings.log_json);
            rotate_keys(&settings)
        }
        ["openapi"] => {
            print!("{}", openapi::spec_json()?);
            Ok(())
        }
        ["help"] | ["--help"] | ["-h"] => {
            print!("{USAGE}");
            Ok(())
        }
        _ => bail!("unknown command\n\n{USAGE}"),
    }
}

/// Adds a key, waits for running servers to notice the key file changed
/// (they re-read it within `RELOAD_CHECK`), then re-seals every row in
/// batches; repeats a pass for rows a server sealed with the old key in
/// between, until none are left.
fn rotate_keys(settings: &Settings) -> anyhow::Result<()> {
    Keys::load(settings)?;
    let path = settings.seal_key_file.clone();
    let id = crypto::rotate::add_key(&path)?;
    println!("added seal key {id} to {}", path.display());
    std::thread::sleep(crypto::seal::RELOAD_CHECK + std::time::Duration::from_secs(1));
    let sealer = Sealer::from_file(path)?;
    let mut conn = db::connect(settings.database_url.expose())?;
    let mut total = 0;
    for _ in 0..10 {
        let mut bar = crypto::rotate::terminal_progress();
        let report = crypto::rotate::reseal_all(&mut conn, &sealer, 200, &mut bar)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
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

fn serve() -> anyhow::Result<()> {
    let settings = Settings::from_env()?;
    telemetry::init(settings.log_json);
    actix_web::rt::System::new().block_on(async move {
        let host = settings.host.clone();
        let app = Application::build(settings).await?;
        let port = app.port();
        tracing::info!(%host, port, "CareLedger listening");
        println!("CareLedger listening on http://{host}:{port}");
        app.run_until_stopped().await.context("server stopped")
    })
}
