#!/usr/bin/env bash
# Security scan of the repository (a CI step of its own):
#
#   bash scripts/security-scan.sh                            every check
#   bash scripts/security-scan.sh --update-secrets-baseline  refresh .secrets.baseline (see below)
#
# 1. secrets: detect-secrets over every git-tracked file; fails on any secret that is not in
#    .secrets.baseline, and on any baseline entry not audited as a false positive.
# 2. pins: scripts/check_pins.py: Package.resolved pins every package of Package.swift; every
#    image of Dockerfile, docker-compose.yml and deploy/kubernetes/ has an explicit version tag;
#    scripts/requirements-*.txt are == pins.
# 3. hadolint: the Dockerfile, with .hadolint.yaml (ignored rules, each with its reason).
# 4. kubernetes-validate: deploy/kubernetes/*.yaml against the bundled Kubernetes schemas,
#    strictly (unknown fields fail); KEDA's custom resources have no schema there and are
#    reported as not validated (scripts/check-deploy.sh checks their content).
# 5. checkov: the Dockerfile and deploy/kubernetes/, with .checkov.yaml (skipped checks, each
#    with its reason).
#
# The tools come from PyPI at the versions pinned in scripts/requirements-security.txt, each
# [section] of it in its own virtualenv under $ORDERSTREAM_SECURITY_VENVS (default
# /tmp/orderstream-security-venvs, so that later runs on the same machine, from any clone,
# reuse them); a changed pin or Python makes a new one. Needs python3 with venv and pip (on
# Debian's own python3, the script installs python3-venv itself when run as root) and network
# access to PyPI on the first run. A tool that cannot be installed fails its install step and
# every check that needs it: nothing is skipped silently.
#
# Each step prints `ok` or `FAIL` with the tool's findings; the last line is
# `security-scan: N passed, M failed`, and the exit status is 0 only when M is 0.
#
# A new finding of detect-secrets: remove the secret (and rotate it if it was real), or, for a
# false positive, run `bash scripts/security-scan.sh --update-secrets-baseline`, then
# `"$ORDERSTREAM_SECURITY_VENVS"/tools-*/bin/detect-secrets audit .secrets.baseline` to label
# the new entries (answer n: not a secret), and commit .secrets.baseline.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$(pwd)"

UPDATE_BASELINE=0
for argument in "$@"; do
    case "$argument" in
        --update-secrets-baseline) UPDATE_BASELINE=1 ;;
        -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
        *) echo "security-scan: unknown argument $argument" >&2; exit 2 ;;
    esac
done

REQUIREMENTS=scripts/requirements-security.txt
VENVS="${ORDERSTREAM_SECURITY_VENVS:-/tmp/orderstream-security-venvs}"
PYTHON="${PYTHON:-python3}"
# No tool may hang the CI run (checkov tries the network for optional data, for example).
STEP_TIMEOUT="${ORDERSTREAM_SECURITY_STEP_TIMEOUT:-900}"

PASSED=0
FAILED=0
FAILED_NAMES=()
WORK="$(mktemp -d /tmp/orderstream-security-scan.XXXXXX)"
trap 'rm -rf "$WORK"' EXIT
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1 PIP_ROOT_USER_ACTION=ignore
export NO_COLOR=1 ANSI_COLORS_DISABLED=1 PYTHONUNBUFFERED=1

# Runs one step: prints `ok` or `FAIL`, then the step's output indented.
step() {
    local name=$1
    shift
    local output status started=$SECONDS
    if output="$("$@" 2>&1)"; then status=0; else status=$?; fi
    if [[ $status -eq 0 ]]; then
        echo "ok   - $name ($((SECONDS - started)) s)"
        PASSED=$((PASSED + 1))
    else
        echo "FAIL - $name (exit $status, $((SECONDS - started)) s)"
        FAILED=$((FAILED + 1))
        FAILED_NAMES+=("$name")
    fi
    [[ -z "$output" ]] || printf '%s\n' "$output" | sed 's/^/       /'
}

# ---------------------------------------------------------------- tools

# The requirement lines of one [section] of the requirements file.
section_requirements() {
    awk -v want="$1" '
        /^# \[[a-z0-9_-]+\]/ { match($0, /\[[a-z0-9_-]+\]/); current = substr($0, RSTART + 1, RLENGTH - 2); next }
        /^[[:space:]]*(#|$)/ { next }
        current == want { print }
    ' "$REQUIREMENTS"
}

# Makes $VENVS/<section>-<hash> (hash of the section's pins and the Python) unless a complete
# one exists; prints its path on the last line.
ensure_venv() {
    local section=$1 requirements python_id key venv
    requirements="$(section_requirements "$section")"
    [[ -n "$requirements" ]] || { echo "$REQUIREMENTS has no [$section] section"; return 1; }
    command -v "$PYTHON" >/dev/null || { echo "$PYTHON not found: install python3 (Debian: apt-get install python3 python3-venv)"; return 1; }
    python_id="$("$PYTHON" -c 'import sys; print(sys.executable, sys.version)')"
    key="$(printf '%s\n%s\n' "$requirements" "$python_id" | sha256sum | cut -c1-12)"
    venv="$VENVS/$section-$key"
    # Root's venvs in a shared /tmp: the folder must be ours and not writable by others.
    # shellcheck disable=SC2174 # only the deepest folder is ours to make private
    mkdir -p -m 700 "$VENVS"
    if [[ "$(stat -c %u "$VENVS")" != "$(id -u)" ]] || [[ -n "$(find "$VENVS" -maxdepth 0 -perm /022)" ]]; then
        echo "$VENVS is not owned by $(id -un) or is writable by others: refusing to run tools from it"
        echo "(remove it, or set ORDERSTREAM_SECURITY_VENVS to a private folder)"
        return 1
    fi
    (
        # One installer at a time per venv (two scans started together).
        flock 9
        if [[ -f "$venv/.complete" ]]; then
            exit 0
        fi
        rm -rf "$venv"
        echo "creating $venv"
        if ! "$PYTHON" -m venv "$venv" >"$WORK/venv-$section.log" 2>&1; then
            # Debian's python3 needs python3-venv (ensurepip) for `python3 -m venv`.
            rm -rf "$venv"
            if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null && [[ "$("$PYTHON" -c 'import sys; print(sys.prefix)')" == /usr ]]; then
                echo "python3 -m venv failed; installing Debian's python3-venv"
                export DEBIAN_FRONTEND=noninteractive
                { apt-get install -y --no-install-recommends python3-venv \
                    || { apt-get update && apt-get install -y --no-install-recommends python3-venv; }; } \
                    >"$WORK/apt-$section.log" 2>&1 \
                    || { tail -20 "$WORK/apt-$section.log"; echo "could not install python3-venv"; exit 1; }
                "$PYTHON" -m venv "$venv" >"$WORK/venv-$section.log" 2>&1 \
                    || { cat "$WORK/venv-$section.log"; rm -rf "$venv"; exit 1; }
            else
                cat "$WORK/venv-$section.log"
                echo "$PYTHON -m venv failed (on Debian: apt-get install python3-venv)"
                exit 1
            fi
        fi
        printf '%s\n' "$requirements" >"$venv/requirements.txt"
        if ! timeout "$STEP_TIMEOUT" "$venv/bin/python" -m pip install --no-input -r "$venv/requirements.txt" \
            >"$WORK/pip-$section.log" 2>&1; then
            tail -30 "$WORK/pip-$section.log" | cut -c1-400
            echo "pip install of [$section] from $REQUIREMENTS failed (is PyPI reachable?)"
            rm -rf "$venv"
            exit 1
        fi
        "$venv/bin/python" -m pip check || { rm -rf "$venv"; exit 1; }
        touch "$venv/.complete"
    ) 9>"$VENVS/$section-$key.lock" || return 1
    echo "$venv"
}

install_section() {
    local section=$1 output venv
    output="$(ensure_venv "$section")" || { printf '%s\n' "$output"; return 1; }
    venv="$(tail -1 <<<"$output")"
    printf '%s\n' "$output" | sed '$d'
    printf '%s\n' "$venv" >"$WORK/venv-path-$section"
    echo "$venv: $(tr '\n' ' ' <"$venv/requirements.txt")"
}

venv_of() {
    [[ -f "$WORK/venv-path-$1" ]] || { echo "the [$1] tools are not installed (see the install step above)"; return 1; }
    cat "$WORK/venv-path-$1"
}

step "install: detect-secrets, hadolint, kubernetes-validate ([tools] of $REQUIREMENTS)" install_section tools

# ---------------------------------------------------------------- 1. secrets

tracked_files() {
    # Every tracked file that exists (a deletion not yet committed is no longer there).
    local file
    while IFS= read -r -d '' file; do
        [[ -f "$file" ]] && printf '%s\0' "$file"
    done < <(git ls-files -z)
}

audit_check() {
    # Every baseline entry must be audited as a false positive (is_secret: false).
    "$1" - "$2" <<'EOF'
import json, sys
baseline = json.load(open(sys.argv[1]))
entries = [(path, r) for path, results in baseline.get("results", {}).items() for r in results]
bad = [(path, r) for path, r in entries if r.get("is_secret") is not False]
for path, r in bad:
    state = "marked a REAL secret" if r.get("is_secret") else "not audited"
    print(f"{path}:{r.get('line_number')}: {r.get('type')}: {state} in .secrets.baseline")
if bad:
    print("label them with `detect-secrets audit .secrets.baseline` (a real secret: remove and rotate it)")
    sys.exit(1)
print(f".secrets.baseline: {len(entries)} entries in {len(baseline.get('results', {}))} files, all audited as false positives")
EOF
}

secrets_check() {
    local venv files=() status
    venv="$(venv_of tools)" || return 1
    [[ -f .secrets.baseline ]] || { echo ".secrets.baseline is missing"; return 1; }
    git rev-parse --is-inside-work-tree >/dev/null 2>&1 || { echo "not a git checkout: cannot list the tracked files"; return 1; }
    mapfile -d '' files < <(tracked_files)
    # On a copy: the hook rewrites a baseline whose line numbers moved (exit 3).
    cp .secrets.baseline "$WORK/secrets.baseline"
    if timeout "$STEP_TIMEOUT" "$venv/bin/detect-secrets-hook" --baseline "$WORK/secrets.baseline" "${files[@]}" \
        >"$WORK/secrets.out" 2>&1; then
        status=0
    else
        status=$?
    fi
    # (Without the hook's request to `git add` the temporary copy.)
    # shellcheck disable=SC2016 # the backquote is literal
    grep -vE '^(The baseline file was updated\.|Probably to keep line numbers|Please `git add .*secrets\.baseline`)' \
        "$WORK/secrets.out" | cat -s || true
    case $status in
        0) echo "${#files[@]} tracked files: no secret outside .secrets.baseline" ;;
        3) echo "${#files[@]} tracked files: no secret outside .secrets.baseline"
           echo "note: .secrets.baseline is out of date (line numbers moved or entries disappeared);"
           echo "      bash scripts/security-scan.sh --update-secrets-baseline refreshes it" ;;
        *) echo "detect-secrets found the secrets above, which .secrets.baseline does not hold (exit $status)."
           echo "Remove them (and rotate any real one); a false positive goes into the baseline:"
           echo "  bash scripts/security-scan.sh --update-secrets-baseline, then detect-secrets audit .secrets.baseline"
           return 1 ;;
    esac
    audit_check "$venv/bin/python" .secrets.baseline
}

if [[ $UPDATE_BASELINE -eq 1 ]]; then
    venv="$(venv_of tools)" || exit 1
    mapfile -d '' files < <(tracked_files)
    if [[ -f .secrets.baseline ]]; then
        # Keeps the audit labels of the entries that remain.
        "$venv/bin/detect-secrets" scan --baseline .secrets.baseline "${files[@]}"
    else
        "$venv/bin/detect-secrets" scan --exclude-files '^\.secrets\.baseline$' "${files[@]}" >.secrets.baseline
    fi
    audit_check "$venv/bin/python" .secrets.baseline \
        || echo "then label the entries above: $venv/bin/detect-secrets audit .secrets.baseline"
    exit 0
fi

step "install: checkov ([checkov] of $REQUIREMENTS, a virtualenv of its own)" install_section checkov

step "secrets: detect-secrets over the git-tracked files, against .secrets.baseline (all audited)" secrets_check

# ---------------------------------------------------------------- 2. pins

pins_check() {
    local venv
    venv="$(venv_of tools)" || return 1
    # The tools venv has PyYAML (a dependency of kubernetes-validate and detect-secrets).
    timeout "$STEP_TIMEOUT" "$venv/bin/python" scripts/check_pins.py
}
step "pins: Package.resolved pins Package.swift, images have version tags, requirements are == pins (scripts/check_pins.py)" pins_check

# ---------------------------------------------------------------- 3. hadolint

hadolint_check() {
    local venv
    venv="$(venv_of tools)" || return 1
    [[ -f .hadolint.yaml ]] || { echo ".hadolint.yaml is missing"; return 1; }
    "$venv/bin/hadolint" --version
    timeout "$STEP_TIMEOUT" "$venv/bin/hadolint" --no-color --config .hadolint.yaml Dockerfile || return 1
    echo "Dockerfile: no finding (ignored by .hadolint.yaml: $(awk '/^ignored:/ { on = 1; next } /^[^ #]/ { on = 0 } on && /^  - / { printf "%s ", $2 }' .hadolint.yaml))"
}
step "hadolint: Dockerfile (.hadolint.yaml)" hadolint_check

# ---------------------------------------------------------------- 4. kubernetes-validate

kubernetes_validate_check() {
    local venv files=() file output status
    venv="$(venv_of tools)" || return 1
    for file in deploy/kubernetes/*.yaml; do
        if [[ $(basename "$file") == kustomization.yaml ]]; then
            echo "not validated: $file is kustomize's build configuration, not a Kubernetes object (its resources are validated one by one)"
            continue
        fi
        files+=("$file")
    done
    [[ ${#files[@]} -gt 0 ]] || { echo "no manifest in deploy/kubernetes/"; return 1; }
    if output="$(timeout "$STEP_TIMEOUT" "$venv/bin/kubernetes-validate" --strict "${files[@]}" 2>&1)"; then status=0; else status=$?; fi
    # The only documents without a bundled schema may be KEDA's custom resources: any other
    # unknown kind (a typo in apiVersion, a new CRD) fails until it is listed here.
    printf '%s\n' "$output" >"$WORK/kubernetes-validate.out"
    "$venv/bin/python" - "$status" "$WORK/kubernetes-validate.out" <<'EOF'
import re, sys
status = int(sys.argv[1])
known_crds = {
    ("ScaledObject", "keda.sh/v1alpha1"): "KEDA custom resource",
    ("TriggerAuthentication", "keda.sh/v1alpha1"): "KEDA custom resource",
}
failed = status != 0
for line in open(sys.argv[2]).read().splitlines():
    m = re.match(r"WARN (\S+) Couldn't find schema for kind (\S+) with api version (\S+)", line)
    if m and (m.group(2), m.group(3)) in known_crds:
        print(f"not validated: {m.group(1)}: {m.group(2)} ({m.group(3)}) is a {known_crds[(m.group(2), m.group(3))]};"
              " kubernetes-validate bundles only the Kubernetes API's schemas (scripts/check-deploy.sh checks its fields)")
        continue
    if line.startswith(("WARN", "ERROR")):
        failed = True
    print(line)
if status != 0:
    print(f"kubernetes-validate exited {status}")
sys.exit(1 if failed else 0)
EOF
}
step "kubernetes-validate --strict: deploy/kubernetes/*.yaml against the Kubernetes schemas" kubernetes_validate_check

# ---------------------------------------------------------------- 5. checkov

checkov_check() {
    local venv files=() arguments=() file output status
    venv="$(venv_of checkov)" || return 1
    [[ -f .checkov.yaml ]] || { echo ".checkov.yaml is missing"; return 1; }
    files=(Dockerfile deploy/kubernetes/*.yaml)
    for file in "${files[@]}"; do arguments+=(--file "$file"); done
    echo "checkov $("$venv/bin/checkov" --version 2>/dev/null) on ${files[*]}"
    echo "docker-compose.yml: not scanned, checkov has no docker-compose checks (its images are checked by the pins step)"
    echo "skipped by .checkov.yaml: $(awk '/^skip-check:/ { on = 1; next } /^[^ #]/ { on = 0 } on && /^  - / { printf "%s ", $2 }' .checkov.yaml)"
    # BC_SKIP_MAPPING: no download of Prisma Cloud's guideline mappings (no network in CI).
    if output="$(cd "$ROOT" && BC_SKIP_MAPPING=TRUE CKV_SKIP_PACKAGE_UPDATE_CHECK=TRUE \
        timeout "$STEP_TIMEOUT" "$venv/bin/checkov" --config-file .checkov.yaml "${arguments[@]}" 2>&1)"; then
        status=0
    else
        status=$?
    fi
    printf '%s\n' "$output" | grep -v '^[[:space:]]*$' || true
    return $status
}
step "checkov: Dockerfile and deploy/kubernetes (.checkov.yaml)" checkov_check

# ---------------------------------------------------------------- summary

echo
[[ $FAILED -eq 0 ]] || printf 'failed: %s\n' "${FAILED_NAMES[@]}"
echo "security-scan: $PASSED passed, $FAILED failed"
[[ $FAILED -eq 0 ]]
