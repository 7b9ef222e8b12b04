"""The Dockerfile and .dockerignore have their essential lines."""
import re

DOCKERFILE_PATTERNS = [
    r"^ARG SWIFT_IMAGE=swift:(6\.[2-9]|[7-9]\.)[0-9.]*-bookworm",
    r"^FROM \$\{SWIFT_IMAGE\} AS build",
    r"librdkafka-dev libpq-dev",
    r"swift build -c release --product orderstream --static-swift-stdlib",
    r"^ARG RUNTIME_IMAGE=debian:bookworm-slim",
    r"librdkafka1 libpq5 ca-certificates curl",
    r"^USER 10001",
    r"^HEALTHCHECK .*",
    r"CMD curl -fsS http://127.0.0.1:8080/health/live \|\| exit 1",
    r'^ENTRYPOINT \["orderstream"\]',
    r'^CMD \["worker"\]',
]


def test_dockerfile_swift_bookworm_build_slim_runtime_static_stdlib_non_root_healthcheck_entrypoint():
    lines = open("Dockerfile").read().splitlines()
    problems = [f"Dockerfile lacks /{pattern}/" for pattern in DOCKERFILE_PATTERNS
                if not any(re.search(pattern, line) for line in lines)]
    ignored = open(".dockerignore").read().splitlines()
    problems += [f".dockerignore lacks {entry}" for entry in (".build", ".git", "data") if entry not in ignored]
    assert not problems, "\n".join(problems)
