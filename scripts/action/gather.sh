#!/usr/bin/env bash
# The "gather" step of action.yml: check the inputs, decide whether to gather (`when`), run the must-gather
# CLI, and record its exit code. action.yml passes every input as an environment variable INPUT_<NAME>
# (upper case, `-` → `_`) and calls this file with bash; test/integration/action.test.ts runs this same
# file the same way.
#
# What the CLI itself writes under GitHub Actions (GITHUB_ACTIONS=true) is not redone here: the verdict is
# appended to $GITHUB_STEP_SUMMARY, `dir=` and `archive=` to $GITHUB_OUTPUT, one annotation per failed
# container. This script adds the outputs `gathered`, `exit-code`, `upload`, `artifact-name`.
#
# Exit status:
#   0  gathered, skipped by `when`, or must-gather failed and `fail-on-error` is false (see `exit-code`)
#   2  an input (or `args`) is invalid: always fails the step, whatever `fail-on-error` says, so a
#      mistake in the workflow shows on its first run instead of on the day the evidence was needed
#   n  must-gather's own exit status n, when `fail-on-error` is true
#
# Inputs are never evaluated: `components` and `args` are split on whitespace into words that are passed
# as they are (no quotes, globs, `$` or backslashes interpreted). Plain bash 3.2+ (macOS's /bin/bash too).
set -euo pipefail

readonly USAGE_EXIT=2

# --- reporting ---------------------------------------------------------------------------------------

# A workflow command's message: `%`, CR and LF escaped, as @actions/core does.
escape_data() {
  local s=$1
  s=${s//%/%25}
  s=${s//$'\r'/%0D}
  s=${s//$'\n'/%0A}
  printf '%s' "$s"
}

# set_output NAME VALUE: append to $GITHUB_OUTPUT (values here never hold a newline).
set_output() {
  if [ -n "${GITHUB_OUTPUT:-}" ]; then
    printf '%s=%s\n' "$1" "$2" >>"$GITHUB_OUTPUT"
  fi
}

# summary MARKDOWN: append a paragraph to $GITHUB_STEP_SUMMARY.
summary() {
  if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
    printf '%s\n\n' "$1" >>"$GITHUB_STEP_SUMMARY"
  fi
}

usage_error() {
  printf '::error title=must-gather action: invalid input::%s\n' "$(escape_data "$1")"
  printf 'must-gather action: %s\n' "$1" >&2
  set_output gathered false
  set_output exit-code "$USAGE_EXIT"
  summary "**must-gather**: invalid input, nothing gathered: $1"
  exit "$USAGE_EXIT"
}

# What an exit status of the CLI means (README, "Exit codes").
describe_exit() {
  case "$1" in
    1) printf 'internal error (a bug in must-gather: please report it)' ;;
    2) printf 'usage error: an option in args, or an input, is invalid; nothing written' ;;
    3) printf 'no usable container engine (podman or docker) answered' ;;
    4) printf 'no container of the service matched; nothing written' ;;
    5) printf 'output folder unsafe or manifest.json could not be written' ;;
    126 | 127) printf 'could not run must-gather (is node on PATH? see actions/setup-node)' ;;
    130) printf 'interrupted (SIGINT); what was collected is kept' ;;
    143) printf 'interrupted (SIGTERM); what was collected is kept' ;;
    *) printf 'unexpected exit status' ;;
  esac
}

# --- inputs ------------------------------------------------------------------------------------------

# Leading and trailing whitespace removed, as @actions/core's getInput does.
trim() {
  local s=$1
  s=${s#"${s%%[![:space:]]*}"}
  s=${s%"${s##*[![:space:]]}"}
  printf '%s' "$s"
}

# bool NAME VALUE: true/True/TRUE or false/False/FALSE (as core.getBooleanInput), printed lower case.
bool() {
  case "$2" in
    true | True | TRUE) printf 'true' ;;
    false | False | FALSE) printf 'false' ;;
    *) return 1 ;;
  esac
}

# split_words STRING: the words of STRING, separated by spaces, tabs or newlines, into the array WORDS.
# `read -a` splits without globbing or expansion; CR and LF are turned into spaces first (it reads one line).
split_words() {
  local s=$1
  s=${s//$'\r'/ }
  s=${s//$'\n'/ }
  WORDS=()
  IFS=$' \t' read -r -a WORDS <<<"$s" || true
}

# Letters, digits, `.`, `_`, `-`, starting with a letter or digit, at most 128 (the CLI's own rule).
readonly SAFE_TOKEN='^[A-Za-z0-9][A-Za-z0-9._-]*$'
safe_token() {
  [[ $1 =~ $SAFE_TOKEN ]] && [ "${#1}" -le 128 ]
}

service=$(trim "${INPUT_SERVICE:-}")
components_input=${INPUT_COMPONENTS:-}
archive_input=$(trim "${INPUT_ARCHIVE:-true}")
when=$(trim "${INPUT_WHEN:-always}")
exit_code_input=$(trim "${INPUT_EXIT_CODE:-}")
job_status=$(trim "${INPUT_JOB_STATUS:-}")
output_dir=$(trim "${INPUT_OUTPUT_DIR:-}")
args_input=${INPUT_ARGS:-}
upload_input=$(trim "${INPUT_UPLOAD:-true}")
artifact_name=$(trim "${INPUT_ARTIFACT_NAME:-}")
retention_days=$(trim "${INPUT_RETENTION_DAYS:-}")
fail_on_error_input=$(trim "${INPUT_FAIL_ON_ERROR:-false}")
cli_path=$(trim "${INPUT_CLI_PATH:-}")
package=$(trim "${INPUT_PACKAGE:-}")

if [ -z "$service" ]; then
  usage_error 'service is required: the name prefix of the containers to collect, e.g. service: orders'
fi
if ! safe_token "$service"; then
  usage_error "invalid service \"$service\": use letters, digits, \".\", \"_\" and \"-\", starting with a letter or digit (at most 128); list components in \"components\", not in \"service\""
fi

split_words "$components_input"
components=(${WORDS[@]+"${WORDS[@]}"})
for c in ${components[@]+"${components[@]}"}; do
  if ! safe_token "$c"; then
    usage_error "invalid component \"$c\" in components: use letters, digits, \".\", \"_\" and \"-\", starting with a letter or digit; separate components with spaces"
  fi
done

archive=$(bool archive "$archive_input") || usage_error "invalid archive \"$archive_input\": expected true or false"
upload=$(bool upload "$upload_input") || usage_error "invalid upload \"$upload_input\": expected true or false"
fail_on_error=$(bool fail-on-error "$fail_on_error_input") ||
  usage_error "invalid fail-on-error \"$fail_on_error_input\": expected true or false"

case "$when" in
  always | on-failure | never) ;;
  *) usage_error "invalid when \"$when\": expected always, on-failure or never" ;;
esac
if [ -n "$exit_code_input" ] && ! [[ $exit_code_input =~ ^[0-9]{1,10}$ ]]; then
  usage_error "invalid exit-code \"$exit_code_input\": expected the test command's exit status, a whole number such as 0 or 1"
fi
case "$job_status" in
  '' | success | failure | cancelled) ;;
  *) usage_error "invalid job-status \"$job_status\": expected success, failure or cancelled (the default is \${{ job.status }})" ;;
esac
if [ -n "$retention_days" ] && ! [[ $retention_days =~ ^[1-9][0-9]{0,3}$ ]]; then
  usage_error "invalid retention-days \"$retention_days\": expected a whole number of days such as 14"
fi
# upload-artifact refuses these in a name.
if [[ $artifact_name == *[\"\:\<\>\|\*\?\\/]* || $artifact_name =~ [[:cntrl:]] ]]; then
  usage_error "invalid artifact-name \"$artifact_name\": it may not contain \" : < > | * ? \\ or /"
fi
if [[ $package == -* || $package =~ [[:space:]] ]]; then
  usage_error "invalid package \"$package\": expected an npm package spec such as must-gather@0.1.0"
fi

split_words "$args_input"
extra_args=(${WORDS[@]+"${WORDS[@]}"})
for a in ${extra_args[@]+"${extra_args[@]}"}; do
  case "$a" in
    *\"* | *\'*)
      usage_error "quotes are not interpreted in args (\"$a\"): args is split on whitespace only, so a value cannot hold a space (in a --redact pattern, write \\s)"
      ;;
    --)
      usage_error 'args may not contain "--": it holds options only; put components in "components"'
      ;;
  esac
done

# A relative output-dir is relative to the step's working directory (the workspace); made absolute so
# the `dir`/`archive` outputs are too, wherever a later step runs.
if [ -n "$output_dir" ] && [[ $output_dir != /* ]]; then
  output_dir="$PWD/$output_dir"
fi

# Where the action lives: $GITHUB_ACTION_PATH under Actions, else two levels above this file.
action_path=${GITHUB_ACTION_PATH:-}
if [ -z "$action_path" ]; then
  action_path=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
fi

# Which must-gather runs. Default: `npx --yes --package must-gather@<version of this action>`, the version in
# the action's own package.json, so `uses: …/must-gather@v1.2.0` runs must-gather 1.2.0 (the checkout of an
# action has no dist/ — it is built at publication — and building it here would install every
# devDependency on each run). The price: the registry must be reachable, and a few seconds to install
# (nothing, when the project already has that version in node_modules). `package` overrides the spec (a
# mirror, a fork, `must-gather@latest`); `cli-path` runs an entry script on disk with node instead — the
# project's node_modules/must-gather/bin/must-gather.js (no network), or a built checkout's
# bin/must-gather.js (this repository's own tests).
if [ -n "$cli_path" ]; then
  if [[ $cli_path != /* ]]; then
    cli_path="${GITHUB_WORKSPACE:-$PWD}/$cli_path"
  fi
  if [ ! -f "$cli_path" ]; then
    usage_error "cli-path \"$cli_path\" is not a file: give must-gather's entry script, e.g. node_modules/must-gather/bin/must-gather.js"
  fi
  cli=(node "$cli_path")
else
  if [ -z "$package" ]; then
    version=$(node -e 'process.stdout.write(String(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).version))' \
      "$action_path/package.json" 2>/dev/null) || version=''
    if [ -z "$version" ]; then
      usage_error "could not read the version of must-gather from $action_path/package.json (is node on PATH?): set package or cli-path"
    fi
    package="must-gather@$version"
  fi
  cli=(npx --yes --package "$package" -- must-gather)
fi

# upload-artifact v4 names must be unique in a workflow run: by default one per service, job, matrix leg
# (when the job has several) and attempt.
if [ -z "$artifact_name" ]; then
  artifact_name="must-gather-$service-${GITHUB_JOB:-job}"
  if [ -n "${MG_JOB_TOTAL:-}" ] && [ "${MG_JOB_TOTAL}" != 1 ] && [ -n "${MG_JOB_INDEX:-}" ]; then
    artifact_name="$artifact_name-$MG_JOB_INDEX"
  fi
  artifact_name="$artifact_name-${GITHUB_RUN_ATTEMPT:-1}"
fi
set_output artifact-name "$artifact_name"

# --- when --------------------------------------------------------------------------------------------

# `always`: gather whenever this step runs — its `if:` (usually `failure()`) decides. `on-failure`: for a
# step that runs anyway (`if: always()`): gather when the tests failed, told by `exit-code` when given, else
# by `job-status` (default `${{ job.status }}`; `cancelled` counts as failed: a timeout's evidence matters).
gather=true
reason='when is always'
case "$when" in
  never)
    gather=false
    reason='when is never'
    ;;
  on-failure)
    if [ -n "$exit_code_input" ]; then
      if [ "$((10#$exit_code_input))" -eq 0 ]; then gather=false; fi
      reason="the tests exited $((10#$exit_code_input))"
    elif [ -n "$job_status" ]; then
      if [ "$job_status" = success ]; then gather=false; fi
      reason="the job status is $job_status"
    else
      usage_error 'when: on-failure needs exit-code (the test command'"'"'s exit status) or job-status (default ${{ job.status }}), and both are empty'
    fi
    ;;
esac

if [ "$gather" = false ]; then
  printf 'must-gather: %s; nothing gathered\n' "$reason"
  set_output gathered false
  set_output upload false
  summary "**must-gather** ($service): nothing gathered — $reason."
  exit 0
fi

# --- run ---------------------------------------------------------------------------------------------

argv=(gather)
if [ "$archive" = true ]; then argv+=(--archive); fi
if [ -n "$output_dir" ]; then argv+=(--output-dir "$output_dir"); fi
argv+=(${extra_args[@]+"${extra_args[@]}"})
# `gather` and `--`: the service is never taken for a command (doctor, report…) or a component for an option.
argv+=(-- "$service" ${components[@]+"${components[@]}"})

printf 'must-gather: gathering (%s):' "$reason"
printf ' %q' "${cli[@]}" "${argv[@]}"
printf '\n'

# The runner signals the whole process group when the job is cancelled: the CLI keeps what it collected
# and exits 130/143; this shell waits for it, then still records its exit code.
trap ':' INT TERM
rc=0
"${cli[@]}" "${argv[@]}" || rc=$?
trap - INT TERM

set_output gathered true
set_output exit-code "$rc"
set_output upload "$upload"

if [ "$rc" -eq 0 ]; then
  exit 0
fi
meaning=$(describe_exit "$rc")
if [ "$rc" -eq "$USAGE_EXIT" ]; then
  printf '::error title=must-gather exited %s::%s\n' "$rc" "$(escape_data "$meaning")"
  summary "**must-gather** ($service) exited $rc: $meaning."
  exit "$rc"
fi
if [ "$fail_on_error" = true ]; then
  printf '::error title=must-gather exited %s::%s\n' "$rc" "$(escape_data "$meaning")"
  summary "**must-gather** ($service) exited $rc: $meaning."
  exit "$rc"
fi
printf '::warning title=must-gather exited %s::%s (fail-on-error is false: the job'"'"'s result is unchanged)\n' "$rc" "$(escape_data "$meaning")"
summary "**must-gather** ($service) exited $rc: $meaning. (fail-on-error is false: the job's result is unchanged.)"
exit 0
