# shellcheck shell=bash
# The Lambda function crates, for the scripts that build them with cargo-lambda. Source it from the
# repo root: . scripts/lib/functions.sh
# scripts/check-infra and scripts/test-lambda build them with the same `cargo lambda build`, so
# cargo resolves the same features and the second build finds everything already built: building
# only some of them turns other features on or off in shared dependencies (rustix, bitflags,
# aws_lambda_events, rustls-webpki) and rebuilds those and everything above them.

# Every function crate: the package name of each functions/*/Cargo.toml (binary name = crate name).
function_names() {
  local manifest
  for manifest in functions/*/Cargo.toml; do
    sed -n 's/^name = "\(.*\)"/\1/p' "$manifest" | head -n 1
  done
}

# `cargo lambda build --release` of every function in one cargo invocation, with any extra arguments.
build_functions() {
  local packages=() f
  while IFS= read -r f; do
    packages+=(-p "$f")
  done < <(function_names)
  cargo lambda build --release --locked "$@" "${packages[@]}"
}
