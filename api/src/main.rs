//! `careledger` — serve the api, run migrations, seed demo data, print the spec.

/// mimalloc instead of glibc malloc: argon2id allocates 19 MiB per password
/// hash, and glibc kept those blocks resident in its per-thread arenas for
/// the life of the process (a few dozen logins left the api at ~750 MB RSS;
/// BENCHMARKS.md). mimalloc returns freed large blocks to the system.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    api::cli::main()
}
