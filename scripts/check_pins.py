#!/usr/bin/env python3
"""Checks that every dependency and image of the repository is pinned.

    python3 scripts/check_pins.py [--root DIR]

- Package.resolved exists at the root and pins every package that Package.swift's
  `dependencies:` names (`.package(url: "...", from: "...")` and the other requirement forms)
  to an exact revision, and to a release version for a version requirement; the pinned
  version satisfies the requirement (a stale Package.resolved after a bump fails). Every other
  pin (the transitive ones) has an exact revision too.
- Every image is given with an explicit tag or digest, never `latest` (nor another floating
  tag such as `stable` or `edge`), never tagless: the FROM lines (and COPY --from=<image>) of
  Dockerfile, with ARG defaults resolved; `image:` of every service in docker-compose.yml,
  with `${VAR:-default}` resolved to its default; every container image of
  deploy/kubernetes/*.yaml, and kustomization.yaml's `images:` overrides.
- Every line of scripts/requirements-*.txt is a `name==version` pin (comments and blank lines
  aside).

Prints each problem and `check-pins: N problems`; exits 1 when there is any. Needs PyYAML.
"""
from __future__ import annotations

import argparse
import glob
import json
import os
import re
import sys

try:
    import yaml
except ImportError:  # pragma: no cover - reported, not hidden
    print("check_pins.py needs PyYAML (pip install pyyaml, or Debian's python3-yaml)", file=sys.stderr)
    sys.exit(2)

FLOATING_TAGS = {"latest", "stable", "edge", "nightly", "main", "master", "rolling", "current"}
VERSION_RE = re.compile(r"^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?([-+].*)?$")
REVISION_RE = re.compile(r"^[0-9a-f]{40}$")


# ---------------------------------------------------------------- Swift packages

def _balanced(text: str, start: int) -> str:
    """The text between the parenthesis at `start` and its match."""
    depth, i, in_string = 0, start, False
    while i < len(text):
        c = text[i]
        if in_string:
            if c == "\\":
                i += 1
            elif c == '"':
                in_string = False
        elif c == '"':
            in_string = True
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                return text[start + 1:i]
        i += 1
    raise ValueError("unbalanced parentheses in Package.swift")


def _strip_comments(swift: str) -> str:
    """Drops // line comments and /* */ blocks outside string literals (enough for a manifest)."""
    out, i, in_string = [], 0, False
    while i < len(swift):
        c = swift[i]
        if in_string:
            out.append(c)
            if c == "\\" and i + 1 < len(swift):
                out.append(swift[i + 1])
                i += 1
            elif c == '"':
                in_string = False
        elif c == '"':
            in_string = True
            out.append(c)
        elif swift.startswith("//", i):
            while i < len(swift) and swift[i] != "\n":
                i += 1
            continue
        elif swift.startswith("/*", i):
            end = swift.find("*/", i + 2)
            i = len(swift) if end < 0 else end + 2
            continue
        else:
            out.append(c)
        i += 1
    return "".join(out)


def parse_manifest_dependencies(swift: str) -> list[dict]:
    """Every `.package(...)` of Package.swift: url (or path / id) and its requirement."""
    swift = _strip_comments(swift)
    deps = []
    for match in re.finditer(r"\.package\s*\(", swift):
        body = _balanced(swift, match.end() - 1)
        dep: dict = {"declaration": " ".join(f".package({body})".split())}
        if m := re.search(r'\burl\s*:\s*"([^"]+)"', body):
            dep["url"] = m.group(1)
        elif m := re.search(r'\bpath\s*:\s*"([^"]+)"', body):
            dep["path"] = m.group(1)
        elif m := re.search(r'\bid\s*:\s*"([^"]+)"', body):
            dep["id"] = m.group(1)
        if m := re.search(r'\bfrom\s*:\s*"([^"]+)"', body):
            # from: and .upToNextMajor(from:)
            kind = "upToNextMinor" if re.search(r"upToNextMinor", body) else "upToNextMajor"
            dep["requirement"] = (kind, m.group(1))
        elif m := re.search(r'\bexact\s*:\s*"([^"]+)"', body):
            dep["requirement"] = ("exact", m.group(1))
        elif m := re.search(r'"([^"]+)"\s*\.\.(<|\.)\s*"([^"]+)"', body):
            dep["requirement"] = ("range" if m.group(2) == "<" else "closedRange", m.group(1), m.group(3))
        elif m := re.search(r'\bbranch\s*:\s*"([^"]+)"', body):
            dep["requirement"] = ("branch", m.group(1))
        elif m := re.search(r'\brevision\s*:\s*"([^"]+)"', body):
            dep["requirement"] = ("revision", m.group(1))
        else:
            dep["requirement"] = ("unknown",)
        deps.append(dep)
    return deps


def identity_of(url: str) -> str:
    """SwiftPM's package identity: the URL's last path component, lowercased, without .git."""
    last = url.rstrip("/").rsplit("/", 1)[-1]
    if last.endswith(".git"):
        last = last[:-4]
    return last.lower()


def normalized_location(url: str) -> str:
    url = url.strip().rstrip("/").lower()
    if url.endswith(".git"):
        url = url[:-4]
    return re.sub(r"^(https?|ssh|git)://(git@)?", "", url).replace("git@github.com:", "github.com/")


def parse_version(text: str) -> tuple[int, int, int] | None:
    m = VERSION_RE.match(text or "")
    if not m:
        return None
    return int(m.group(1)), int(m.group(2) or 0), int(m.group(3) or 0)


def satisfies(version: tuple[int, int, int], requirement: tuple) -> bool | None:
    kind = requirement[0]
    if kind in ("upToNextMajor", "upToNextMinor", "exact"):
        low = parse_version(requirement[1])
        if low is None:
            return None
        if kind == "exact":
            return version == low
        high = (low[0] + 1, 0, 0) if kind == "upToNextMajor" else (low[0], low[1] + 1, 0)
        return low <= version < high
    if kind in ("range", "closedRange"):
        low, high = parse_version(requirement[1]), parse_version(requirement[2])
        if low is None or high is None:
            return None
        return low <= version < high if kind == "range" else low <= version <= high
    return None


def load_pins(resolved: dict) -> list[dict]:
    """Pins of Package.resolved v2/v3 and, for old files, v1 (normalized to the v2 keys)."""
    if resolved.get("version") == 1:
        return [{"identity": identity_of(p.get("repositoryURL", "")), "location": p.get("repositoryURL", ""),
                 "kind": "remoteSourceControl", "state": p.get("state") or {}}
                for p in resolved.get("object", {}).get("pins", [])]
    return list(resolved.get("pins", []))


def check_swift_packages(root: str) -> list[str]:
    problems: list[str] = []
    manifest_path = os.path.join(root, "Package.swift")
    resolved_path = os.path.join(root, "Package.resolved")
    if not os.path.isfile(manifest_path):
        return ["Package.swift: not found"]
    dependencies = parse_manifest_dependencies(open(manifest_path, encoding="utf-8").read())
    if not os.path.isfile(resolved_path):
        return ["Package.resolved: not found at the repository root (run `swift package resolve` and commit it;"
                " it must not be in .gitignore)"]
    try:
        resolved = json.load(open(resolved_path, encoding="utf-8"))
    except (OSError, ValueError) as error:
        return [f"Package.resolved: not valid JSON: {error}"]
    if resolved.get("version") not in (1, 2, 3):
        problems.append(f"Package.resolved: unknown format version {resolved.get('version')!r}")
    pins = load_pins(resolved)
    by_identity = {str(p.get("identity", "")).lower(): p for p in pins}

    for pin in pins:
        state = pin.get("state") or {}
        name = pin.get("identity", "?")
        if pin.get("kind") not in (None, "remoteSourceControl", "localSourceControl", "registry"):
            problems.append(f"Package.resolved: {name}: unexpected kind {pin.get('kind')!r}")
        if pin.get("kind") == "registry":
            if not parse_version(state.get("version", "")):
                problems.append(f"Package.resolved: {name}: registry pin without an exact version")
        elif not REVISION_RE.match(str(state.get("revision", ""))):
            problems.append(f"Package.resolved: {name}: no exact revision (state {state})")

    for dep in dependencies:
        declaration = dep["declaration"]
        if "path" in dep:
            print(f"note: {declaration}: a local package, nothing to pin")
            continue
        identity = identity_of(dep["url"]) if "url" in dep else dep.get("id", "").lower()
        pin = by_identity.get(identity)
        if pin is None:
            problems.append(f"Package.resolved has no pin for {identity} ({declaration}): re-run `swift package resolve`")
            continue
        if "url" in dep and pin.get("location") and normalized_location(pin["location"]) != normalized_location(dep["url"]):
            problems.append(f"Package.resolved: {identity} is pinned from {pin['location']}, Package.swift says {dep['url']}")
            continue
        state = pin.get("state") or {}
        requirement = dep["requirement"]
        if requirement[0] == "unknown":
            problems.append(f"Package.swift: {declaration}: requirement not understood (from:/exact:/range/branch:/revision:)")
            continue
        if requirement[0] == "revision":
            if state.get("revision") != requirement[1]:
                problems.append(f"Package.resolved: {identity} is at {state.get('revision')}, Package.swift asks revision {requirement[1]}")
            continue
        if requirement[0] == "branch":
            print(f"note: {identity}: follows branch {requirement[1]}, pinned at revision {state.get('revision')}"
                  " (a release version would be better)")
            continue
        version = parse_version(str(state.get("version") or ""))
        if version is None:
            problems.append(f"Package.resolved: {identity}: no exact release version (state {state}),"
                            f" Package.swift asks {requirement}")
            continue
        ok = satisfies(version, requirement)
        if ok is None:
            problems.append(f"Package.swift: {declaration}: requirement {requirement} not understood")
        elif not ok:
            problems.append(f"Package.resolved: {identity} {state.get('version')} does not satisfy {declaration}"
                            " (stale: re-run `swift package resolve`)")
        else:
            print(f"ok: {identity} {state.get('version')} @ {str(state.get('revision'))[:12]} ({declaration})")
    if not dependencies:
        print("note: Package.swift names no package dependency")
    return problems


# ---------------------------------------------------------------- images

def image_problem(reference: str) -> str | None:
    """Why `reference` is not an explicitly versioned image, or None when it is."""
    reference = reference.strip()
    if not reference:
        return "empty image reference"
    if "$" in reference:
        return "an unresolved variable (give it a default with an explicit tag)"
    if "@" in reference:
        name, digest = reference.split("@", 1)
        return None if re.match(r"^sha256:[0-9a-f]{64}$", digest) else f"malformed digest {digest!r}"
    last = reference.rsplit("/", 1)[-1]
    if ":" not in last:
        return "no tag (means latest)"
    tag = last.rsplit(":", 1)[1]
    if not tag:
        return "empty tag"
    if tag.lower() in FLOATING_TAGS:
        return f"floating tag {tag!r}"
    return None


def substitute_dockerfile(text: str, args: dict[str, str]) -> str:
    def repl(m: re.Match) -> str:
        name = m.group(1) or m.group(3)
        default = m.group(2)
        value = args.get(name)
        if value:
            return value
        if default is not None:
            return default
        return m.group(0)
    return re.sub(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)", repl, text)


def check_dockerfile(root: str, path: str = "Dockerfile") -> list[str]:
    full = os.path.join(root, path)
    if not os.path.isfile(full):
        return [f"{path}: not found"]
    problems = []
    # Joins continuation lines; drops comments.
    logical, buffer, start = [], "", 0
    for number, raw in enumerate(open(full, encoding="utf-8").read().split("\n"), 1):
        if not buffer and raw.lstrip().startswith("#"):
            continue
        if not buffer:
            start = number
        if raw.rstrip().endswith("\\"):
            buffer += raw.rstrip()[:-1] + " "
            continue
        buffer += raw
        if buffer.strip():
            logical.append((start, buffer.strip()))
        buffer = ""
    global_args: dict[str, str] = {}
    stages: set[str] = set()
    seen_from = False
    for number, line in logical:
        instruction, _, rest = line.partition(" ")
        instruction = instruction.upper()
        if instruction == "ARG" and not seen_from:
            for item in rest.split():
                name, _, default = item.partition("=")
                global_args[name] = default.strip('"\'')
        elif instruction == "FROM":
            seen_from = True
            words = [w for w in rest.split() if not w.startswith("--")]
            if not words:
                problems.append(f"{path}:{number}: FROM without an image")
                continue
            image = substitute_dockerfile(words[0], global_args)
            if len(words) >= 3 and words[1].lower() == "as":
                stages.add(words[2].lower())
            if image.lower() in stages or image == "scratch":
                continue
            if problem := image_problem(image):
                problems.append(f"{path}:{number}: FROM {words[0]} (= {image}): {problem}")
            else:
                print(f"ok: {path}:{number}: FROM {image}")
        elif instruction in ("COPY", "ADD") and "--from=" in rest:
            source = re.search(r"--from=(\S+)", rest).group(1)
            resolved = substitute_dockerfile(source, global_args)
            if resolved.lower() in stages or resolved.isdigit():
                continue
            if problem := image_problem(resolved):
                problems.append(f"{path}:{number}: {instruction} --from={source}: {problem}")
    if not seen_from:
        problems.append(f"{path}: no FROM line")
    return problems


def compose_default(value: str) -> str:
    """`${VAR:-default}` / `${VAR-default}` -> default; `${VAR}` stays (unresolved)."""
    return re.sub(r"\$\{[A-Za-z_][A-Za-z0-9_]*:?-([^}]*)\}", r"\1", value)


def check_compose(root: str, path: str = "docker-compose.yml") -> list[str]:
    full = os.path.join(root, path)
    if not os.path.isfile(full):
        return [f"{path}: not found"]
    problems = []
    document = yaml.safe_load(open(full, encoding="utf-8")) or {}
    for name, service in sorted((document.get("services") or {}).items()):
        service = service or {}
        image = service.get("image")
        if image is None:
            if "build" not in service:
                problems.append(f"{path}: service {name}: neither image nor build")
            continue
        resolved = compose_default(str(image))
        if problem := image_problem(resolved):
            problems.append(f"{path}: service {name}: image {image} (= {resolved}): {problem}")
        else:
            print(f"ok: {path}: service {name}: {resolved}")
    return problems


def _containers(node, trail=()):
    """(trail, container) for every item of containers/initContainers/ephemeralContainers."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("containers", "initContainers", "ephemeralContainers") and isinstance(value, list):
                for item in value:
                    if isinstance(item, dict):
                        yield trail + (key,), item
            else:
                yield from _containers(value, trail + (str(key),))
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from _containers(item, trail + (str(index),))


def check_kubernetes(root: str, pattern: str = "deploy/kubernetes/*.yaml") -> list[str]:
    problems = []
    files = sorted(glob.glob(os.path.join(root, pattern)))
    if not files:
        return [f"{pattern}: no manifest found"]
    for full in files:
        path = os.path.relpath(full, root)
        for document in yaml.safe_load_all(open(full, encoding="utf-8")):
            if not isinstance(document, dict):
                continue
            kind = document.get("kind", "?")
            name = (document.get("metadata") or {}).get("name", "?")
            if kind == "Kustomization":
                for override in document.get("images") or []:
                    tag, digest = override.get("newTag"), override.get("digest")
                    if digest:
                        continue
                    if tag is None:
                        if override.get("newName"):
                            problems.append(f"{path}: images: {override.get('name')} -> {override['newName']} without newTag or digest")
                        continue
                    if str(tag).lower() in FLOATING_TAGS:
                        problems.append(f"{path}: images: {override.get('name')}: floating tag {tag!r}")
                continue
            for trail, container in _containers(document):
                image = container.get("image")
                where = f"{path}: {kind} {name} container {container.get('name', '?')}"
                if image is None:
                    problems.append(f"{where}: no image")
                elif problem := image_problem(str(image)):
                    problems.append(f"{where}: image {image}: {problem}")
                else:
                    print(f"ok: {where}: {image}")
    return problems


# ---------------------------------------------------------------- Python requirements

REQUIREMENT_RE = re.compile(
    r"^[A-Za-z0-9][A-Za-z0-9._-]*(\[[A-Za-z0-9._,\s-]+\])?\s*==\s*[A-Za-z0-9][A-Za-z0-9.+!_-]*"
    r"(\s*;[^#]*)?(\s+--hash=\S+)*$")


def check_requirements(root: str, pattern: str = "scripts/requirements-*.txt") -> list[str]:
    problems = []
    files = sorted(glob.glob(os.path.join(root, pattern)))
    if not files:
        print(f"note: no {pattern}")
    for full in files:
        path = os.path.relpath(full, root)
        count = 0
        for number, raw in enumerate(open(full, encoding="utf-8").read().split("\n"), 1):
            line = re.sub(r"(^|\s)#.*$", "", raw).strip()
            if not line:
                continue
            count += 1
            if not REQUIREMENT_RE.match(line):
                problems.append(f"{path}:{number}: {raw.strip()!r} is not pinned with == (name==version)")
        print(f"{path}: {count} requirement lines checked")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--root", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."),
                        help="repository root (default: the parent of scripts/)")
    args = parser.parse_args()
    root = os.path.abspath(args.root)
    problems = []
    for title, check in (("Swift packages (Package.swift -> Package.resolved)", check_swift_packages),
                         ("Dockerfile FROM", check_dockerfile),
                         ("docker-compose.yml images", check_compose),
                         ("deploy/kubernetes images", check_kubernetes),
                         ("scripts/requirements-*.txt", check_requirements)):
        print(f"== {title}")
        try:
            found = check(root)
        except Exception as error:  # a parse error is a finding, not a crash
            found = [f"{title}: {type(error).__name__}: {error}"]
        for problem in found:
            print(f"PROBLEM: {problem}")
        problems += found
    print(f"check-pins: {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
