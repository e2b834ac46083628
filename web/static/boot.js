import init from "/app.js";
await init({ module_or_path: "/app_bg.wasm" });
