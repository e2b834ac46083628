//! `careledger` — serve the api, run migrations, seed demo data, print the spec.

fn main() -> std::process::ExitCode {
    api::cli::main()
}
