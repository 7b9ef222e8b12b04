# syntax=docker/dockerfile:1
#
# OrderStream worker image.
#
#   docker build -t orderstream .
#   docker run --rm orderstream --help
#
# Build stage: the official Swift image (Debian bookworm). Package.swift needs swift-tools 6.2
# or newer; development here uses 6.3.1, so any 6.2+ bookworm tag works. Override with
# --build-arg SWIFT_IMAGE=swift:6.3-bookworm to match the development toolchain.
ARG SWIFT_IMAGE=swift:6.2-bookworm
ARG RUNTIME_IMAGE=debian:bookworm-slim
# What this image is: a release build passes
#   --build-arg VERSION=1.2.3 --build-arg REVISION="$(git rev-parse HEAD)" \
#   --build-arg SOURCE_URL=<the repository's URL>
# They become the OCI labels of the image; REVISION is also the revision the build stamps into
# the binary (ORDERSTREAM_BUILD_REVISION: the build context has no .git). VERSION must equal the
# binary's own version (BuildInfo.version, printed by `orderstream --version`).
ARG VERSION=dev
ARG REVISION=unknown
ARG SOURCE_URL=unknown

FROM ${SWIFT_IMAGE} AS build
# The C libraries the Kafka and PostgreSQL wrappers link against (headers + pkg-config files).
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        librdkafka-dev libpq-dev pkg-config \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Dependencies first, so that a source change does not re-resolve them.
COPY Package.swift Package.resolved* ./
RUN swift package resolve
COPY Sources ./Sources
# SwiftPM loads every target of the manifest, the test targets included, so their folders
# must exist even though only the executable is built.
COPY Tests ./Tests
# The build plugin (Plugins/BuildRevisionPlugin runs scripts/build-revision.sh) and the fuzz
# target's folder, both declared in Package.swift. (.dockerignore must let
# scripts/build-revision.sh through: `!scripts/build-revision.sh` after its `scripts` line.)
COPY Plugins ./Plugins
COPY Fuzz/OrderStreamFuzz ./Fuzz/OrderStreamFuzz
COPY scripts/build-revision.sh ./scripts/build-revision.sh
# The revision for the build plugin (declared here, after the dependency steps, so that a new
# revision does not invalidate their cache).
ARG REVISION
ENV ORDERSTREAM_BUILD_REVISION=$REVISION
# The Swift standard library and Foundation linked statically: the runtime image needs only
# the C libraries (librdkafka, libpq and what they pull in).
RUN swift build -c release --product orderstream --static-swift-stdlib \
    && mkdir -p /out \
    && cp "$(swift build -c release --show-bin-path)/orderstream" /out/orderstream \
    && strip /out/orderstream

FROM ${RUNTIME_IMAGE} AS runtime
# librdkafka1 and libpq5 are what the binary links; ca-certificates for TLS to Kafka and
# PostgreSQL; curl only for the HEALTHCHECK. (libstdc++6, needed by the Swift runtime, is part
# of the base image.)
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        librdkafka1 libpq5 ca-certificates curl \
    && rm -rf /var/lib/apt/lists/*
# A fixed, unprivileged uid so that Kubernetes can enforce runAsNonRoot.
RUN groupadd --system --gid 10001 orderstream \
    && useradd --system --uid 10001 --gid orderstream --home-dir /var/lib/orderstream \
        --create-home --shell /usr/sbin/nologin orderstream
COPY --from=build /out/orderstream /usr/local/bin/orderstream
# Example configurations for reference; nothing is read from here unless --config or
# ORDERSTREAM_CONFIG names a file (the working directory holds no config/orderstream.yaml,
# so without them the defaults plus ORDERSTREAM_* variables apply).
COPY config/ /etc/orderstream/examples/
# OCI annotations (late in the stage: a new revision does not invalidate the layers above).
# No LICENSE file in the repository: all rights reserved, hence LicenseRef-Proprietary.
ARG VERSION
ARG REVISION
ARG SOURCE_URL
LABEL org.opencontainers.image.title="orderstream" \
      org.opencontainers.image.description="OrderStream: a Kafka to PostgreSQL event worker" \
      org.opencontainers.image.version="$VERSION" \
      org.opencontainers.image.revision="$REVISION" \
      org.opencontainers.image.source="$SOURCE_URL" \
      org.opencontainers.image.licenses="LicenseRef-Proprietary"
USER 10001:10001
WORKDIR /var/lib/orderstream
EXPOSE 8080
# Liveness only: readiness (/health/ready) is 503 while PostgreSQL or every Kafka broker is
# unreachable and during a drain, none of which a container restart would fix. The port is the default 8080; a
# container that changes ORDERSTREAM_HTTP_PORT must override the healthcheck too. Commands
# without HTTP (migrate, loadgen, publish) disable it (see docker-compose.yml).
# Shell form on purpose (hadolint DL3025 is for CMD/ENTRYPOINT): `|| exit 1` maps every curl
# failure to 1, since Docker reserves health-check exit status 2.
# hadolint ignore=DL3025
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
    CMD curl -fsS http://127.0.0.1:8080/health/live || exit 1
# SIGTERM starts the drain; give `docker stop` more than the 15 s drain deadline
# (docker stop -t 30; stop_grace_period in compose).
STOPSIGNAL SIGTERM
ENTRYPOINT ["orderstream"]
CMD ["worker"]
