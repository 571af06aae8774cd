#!/usr/bin/env bash
# Build a local `registry:2` image from the Debian docker-registry binary.
#
# Nothing can be pulled on closed networks, so the image the container provider
# runs is made here with `docker import`: a root filesystem holding
# /usr/bin/docker-registry (the entrypoint), the shared libraries `ldd` lists
# for it, and the upstream image's default /etc/docker/registry/config.yml.
# Idempotent: exits 0 at once when the image exists (FORCE=1 rebuilds).
#
# Usage: scripts/build-registry-image.sh [IMAGE]   (default registry:2)
# Environment: REGSUITE_REGISTRY_BINARY (default: docker-registry on PATH)
set -euo pipefail

image=${1:-${REGSUITE_REGISTRY_IMAGE:-registry:2}}
fail() { echo "build-registry-image: $*" >&2; exit 1; }

command -v docker >/dev/null 2>&1 || fail "the docker CLI is not installed (apt-get install -y docker.io)"
timeout 10 docker info >/dev/null 2>&1 || fail "no Docker engine answers (scripts/start-dockerd.sh starts one)"
if [ "${FORCE:-0}" != 1 ] && timeout 10 docker image inspect "$image" >/dev/null 2>&1; then
    exit 0
fi

binary=${REGSUITE_REGISTRY_BINARY:-$(command -v docker-registry || command -v registry || true)}
[ -n "$binary" ] && [ -x "$binary" ] || fail "no docker-registry binary (apt-get install -y docker-registry)"
command -v ldd >/dev/null 2>&1 || fail "ldd is not installed (apt-get install -y libc-bin)"

root=$(mktemp -d /tmp/regsuite-registry-image.XXXXXX)
trap 'rm -rf "$root"' EXIT

install -D -m 0755 "$binary" "$root/usr/bin/docker-registry"
# Every library the dynamic loader needs, at the path ldd names (symlinks resolved).
libs=$(ldd "$binary" 2>/dev/null | awk '/=> \// {print $3} /^[ \t]*\/[^ ]+ \(/ {print $1}') || true
if ldd "$binary" 2>&1 | grep -q "not a dynamic executable"; then
    libs=""
fi
for lib in $libs; do
    [ -e "$lib" ] || fail "ldd names $lib for $binary but it does not exist"
    install -D -m 0755 "$(readlink -f "$lib")" "$root$lib"
done
mkdir -p "$root/etc/docker/registry" "$root/var/lib/registry" "$root/tmp"
chmod 1777 "$root/tmp"
# The upstream registry:2 default, for running the image without a config of one's own.
cat >"$root/etc/docker/registry/config.yml" <<'YAML'
version: 0.1
log:
  fields:
    service: registry
storage:
  cache:
    blobdescriptor: inmemory
  filesystem:
    rootdirectory: /var/lib/registry
http:
  addr: :5000
  headers:
    X-Content-Type-Options: [nosniff]
health:
  storagedriver:
    enabled: true
    interval: 10s
    threshold: 3
YAML

old_id=$(timeout 10 docker image inspect -f '{{.Id}}' "$image" 2>/dev/null || true)
version=$("$binary" --version 2>/dev/null | awk '{print $NF}' | head -n 1)
tar --numeric-owner --owner=0 --group=0 -C "$root" -c . \
    | timeout 300 docker import \
        -c 'ENTRYPOINT ["/usr/bin/docker-registry"]' \
        -c 'CMD ["serve", "/etc/docker/registry/config.yml"]' \
        -c 'EXPOSE 5000' \
        -c 'VOLUME ["/var/lib/registry"]' \
        -c "LABEL org.opencontainers.image.title=distribution org.opencontainers.image.version=${version:-unknown} org.opencontainers.image.description=regsuite-local-build" \
        -m "distribution ${version:-} from $binary (regsuite scripts/build-registry-image.sh)" \
        - "$image" >/dev/null || fail "docker import of $image failed"
# The image must run: a broken library set shows here, not in the first test.
timeout 60 docker run --rm --network none "$image" --version >/dev/null 2>&1 \
    || fail "the built $image does not run (docker run $image --version failed)"
# A forced rebuild leaves the previous image untagged: remove that one (only that one).
if [ -n "$old_id" ] && [ "$old_id" != "$(docker image inspect -f '{{.Id}}' "$image")" ]; then
    docker rmi "$old_id" >/dev/null 2>&1 || true
fi
echo "build-registry-image: built $image (distribution ${version:-unknown})"
