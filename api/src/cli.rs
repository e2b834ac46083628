//! The `careledger` command line: `serve`, `migrate`, `seed --demo`,
//! `ledger verify`, `ledger policy`, `keys rotate`, `openapi`, `verify-receipt`, `witness key|serve` (see `witness`). Settings come from the environment (see
//! `config`). `ledger verify` exits with status 1 when the ledger is invalid.

use std::process::ExitCode;

use anyhow::{bail, Context};

use crate::config::Settings;
use crate::startup::Application;
use crate::{db, seed, telemetry};

const USAGE: &str = "usage: careledger <command>

commands:
  serve          run the api (and the built SPA) — migrates first
  migrate        apply pending database migrations
  seed --demo    create the demo accounts and charts (refuses a database with real accounts)
  ledger verify [--key <verifier key>]...
                 re-check every ledger event, the tree and the signed checkpoints
                 (with the server's keys, or the C2SP verifier keys given here)
  ledger policy  print the trust policy of this deployment (log key, witnesses, quorum)
                 to ship with the SPA as web/dist/trust-policy.txt
  keys rotate    add a seal key and re-seal every sealed row under it, online
  openapi        print the OpenAPI document
";

fn usage() -> String {
    format!(
        "{USAGE}{}{}",
        crate::log::receipt_cli::USAGE,
        crate::witness::USAGE
    )
}

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
        ["ledger", "policy"] => crate::log::policy_cli::run().map(|()| ExitCode::SUCCESS),
        ["ledger", "verify", rest @ ..] => {
            let mut keys = Vec::new();
            let mut it = rest.iter();
            while let Some(flag) = it.next() {
                match (*flag, it.next()) {
                    ("--key", Some(key)) => keys.push(*key),
                    _ => bail!("usage: careledger ledger verify [--key <verifier key>]..."),
                }
            }
            crate::ledger::verify_cli::run(&keys)
        }
        ["verify-receipt", rest @ ..] => Ok(crate::log::receipt_cli::run(rest)),
        ["witness", rest @ ..] => crate::witness::run_cli(rest).map(|()| ExitCode::SUCCESS),
        other => run_other(other).map(|()| ExitCode::SUCCESS),
    }
}

fn run_other(words: &[&str]) -> anyhow::Result<()> {
    match words {
        ["serve"] => serve(),
        ["migrate"] => {
            let settings = Settings::from_env()?;
            telemetry::init(settings.log_json);
            // The key ring seals clinical text older versions kept in clear.
            let keys = crate::keys::Keys::load(&settings)?;
            let sealer =
                crate::crypto::Sealer::new(&keys.seal_ring, Some(settings.seal_key_file.clone()))
                    .context("building the seal key ring")?;
            let mut conn = db::connect(settings.database_url.expose())?;
            db::run_migrations_sealing(&mut conn, Some(&sealer))?;
            println!("migrations applied");
            Ok(())
        }
        ["seed", "--demo"] => {
            let settings = Settings::from_env()?;
            telemetry::init(settings.log_json);
            let keys = crate::keys::Keys::load(&settings)?;
            let sealer =
                crate::crypto::Sealer::new(&keys.seal_ring, Some(settings.seal_key_file.clone()))
                    .context("building the seal key ring")?;
            let mut conn = db::connect(settings.database_url.expose())?;
            db::run_migrations_sealing(&mut conn, Some(&sealer))?;
            db::assume_app_role(&mut conn).context("switching to the application role")?;
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
            crate::crypto::rotate::run_cli(&settings)
        }
        ["openapi"] => {
            print!("{}", crate::startup::spec_json()?);
            Ok(())
        }
        ["help"] | ["--help"] | ["-h"] => {
            print!("{}", usage());
            Ok(())
        }
        _ => bail!("unknown command\n\n{}", usage()),
    }
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
