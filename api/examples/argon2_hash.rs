//! Bare argon2id throughput for `just bench`'s login rows: verifies a stored
//! hash with the api's own `password::verify` (same parameters, same gate)
//! on `threads` threads for `seconds`, and prints one JSON line.
//!
//! `cargo run --release -p api --example argon2_hash -- <threads> <seconds>`

use std::time::{Duration, Instant};

use api::auth::password;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let threads: usize = args.next().as_deref().unwrap_or("1").parse()?;
    let seconds: u64 = args.next().as_deref().unwrap_or("5").parse()?;
    let stored = password::hash("CareLedger-demo-1")?;
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let counts = std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let mut n = 0u64;
                    while Instant::now() < deadline {
                        if matches!(password::verify(&stored, "CareLedger-demo-1"), Ok(true)) {
                            n += 1;
                        }
                    }
                    n
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().unwrap_or(0))
            .sum::<u64>()
    });
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{{\"threads\": {threads}, \"hashes\": {counts}, \"secs\": {secs:.3}, \"per_sec\": {:.2}}}",
        counts as f64 / secs
    );
    Ok(())
}
