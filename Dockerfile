# Multi-stage build: the api binary and the SPA, then a slim runtime image.
FROM rust:1.95-bookworm AS build
WORKDIR /src
RUN rustup target add wasm32-unknown-unknown \
 && apt-get update && apt-get install -y --no-install-recommends npm \
 && rm -rf /var/lib/apt/lists/*
COPY . .
RUN cargo install wasm-bindgen-cli --version "$(awk '/^name = "wasm-bindgen"$/ {getline; gsub(/version = |"/, ""); print; exit}' Cargo.lock)" \
 && ./scripts/build-web.sh \
 && cargo build --release -p api

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --home-dir /var/lib/careledger careledger \
 && mkdir -p /var/lib/careledger && chown careledger /var/lib/careledger
COPY --from=build /src/target/release/careledger /usr/local/bin/careledger
COPY --from=build /src/web/dist /srv/careledger/web
USER careledger
EXPOSE 8080
CMD ["careledger", "serve"]
