//! Entry point of the wasm binary: mounts the app (see the `web` library).

fn main() {
    web::run();
}
