# shellcheck shell=bash
# Installs the AWS deployment tools into the repo's git-ignored .tools/ folder, once, and puts them
# on PATH. Source it from a script at the repo root:
#   . scripts/lib/aws-tools.sh; aws_tools_sam; aws_tools_cargo_lambda
# Two venvs because cargo-lambda brings its own zig (ziglang) and neither should pin the other's deps.

AWS_TOOLS_DIR="${AWS_TOOLS_DIR:-$PWD/.tools}"

# Pinned versions, the ones tried on this kind of machine (shared reference: tooling §4, §5).
AWS_TOOLS_SAM_PKGS=("aws-sam-cli==1.170.0" "cfn-lint==1.58.0" "cfn-lint-serverless==0.3.6")
AWS_TOOLS_CARGO_LAMBDA_PKG="cargo-lambda==1.9.2"

# Creates venv $1 and installs the remaining arguments, unless a marker says this exact list is there.
_aws_tools_venv() {
  local dir="$1"; shift
  local want="$*"
  if [ -f "$dir/.installed" ] && [ "$(cat "$dir/.installed")" = "$want" ]; then
    return 0
  fi
  echo "aws-tools: installing $want into ${dir#"$PWD"/}" >&2
  rm -rf "$dir"
  python3 -m venv "$dir"
  "$dir/bin/pip" install -q --disable-pip-version-check "$@"
  printf '%s' "$want" > "$dir/.installed"
}

# sam, cfn-lint and the serverless rules.
aws_tools_sam() {
  _aws_tools_venv "$AWS_TOOLS_DIR/sam" "${AWS_TOOLS_SAM_PKGS[@]}"
  export PATH="$AWS_TOOLS_DIR/sam/bin:$PATH"
  # SAM phones home unless told not to, and plain `sam validate` needs a region even offline.
  export SAM_CLI_TELEMETRY=0
  export AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-eu-west-2}"
}

# cargo-lambda with its zig, giving `cargo lambda ...`.
aws_tools_cargo_lambda() {
  _aws_tools_venv "$AWS_TOOLS_DIR/cl" "$AWS_TOOLS_CARGO_LAMBDA_PKG"
  export PATH="$AWS_TOOLS_DIR/cl/bin:$PATH"
}
