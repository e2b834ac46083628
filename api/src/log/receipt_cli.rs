//! `careledger verify-receipt FILE --policy POLICY`: checks a receipt
//! offline against a pinned trust policy (`shared::ledger::policy` format:
//! the log key, witness keys and quorum) — never against keys the server
//! hands out, and without any network or database. Exit status 0 when the
//! receipt verifies, 1 when it does not (with the reason), 2 on usage or
//! unreadable files.

use std::process::ExitCode;

use chrono::DateTime;
use shared::ledger::policy::TrustPolicy;
use shared::ledger::receipt::Receipt;

pub const USAGE: &str = "  verify-receipt FILE --policy POLICY
                 check a downloaded receipt offline against pinned keys and a k-of-n
                 witness policy (lines: `log <vkey>`, `witness <vkey>`, `quorum <k>`)
";

pub fn run(args: &[&str]) -> ExitCode {
    let (file, policy_file) = match args {
        [file, "--policy", policy] | ["--policy", policy, file] => (*file, *policy),
        _ => {
            eprintln!("usage:\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let read =
        |path: &str| std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"));
    let loaded = read(policy_file)
        .and_then(|p| TrustPolicy::parse(&p).map_err(|e| format!("{policy_file}: {e}")))
        .and_then(|policy| {
            read(file).and_then(|r| {
                serde_json::from_str::<Receipt>(&r)
                    .map(|receipt| (policy, receipt))
                    .map_err(|e| format!("{file} is not a receipt: {e}"))
            })
        });
    let (policy, receipt) = match loaded {
        Ok(x) => x,
        Err(e) => {
            eprintln!("careledger: {e}");
            return ExitCode::from(2);
        }
    };
    match receipt.verify(&policy) {
        Ok(accepted) => {
            let cp = &accepted.checkpoint;
            println!(
                "receipt OK: {} events about patient {}, proven in checkpoint {} of {}",
                receipt.events.len(),
                receipt.patient_id,
                cp.size,
                cp.origin
            );
            for (name, ts) in &accepted.cosigned_by {
                let when = i64::try_from(*ts)
                    .ok()
                    .and_then(|t| DateTime::from_timestamp(t, 0))
                    .map_or_else(|| ts.to_string(), |t| t.to_rfc3339());
                println!("  cosigned by {name} at {when}");
            }
            println!(
                "  witness policy: {} of {} required",
                policy.quorum,
                policy.witnesses.len()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            println!("receipt REFUSED: {e}");
            ExitCode::FAILURE
        }
    }
}
