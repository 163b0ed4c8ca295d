# log-analyzer recipes. `just` comes from the rust-just devDependency: `pnpm exec just --list`.

set shell := ["bash", "-euo", "pipefail", "-c"]

# podman-compose when it is installed, else Docker's `docker compose`
compose := `command -v podman-compose >/dev/null 2>&1 && echo podman-compose || { docker compose version >/dev/null 2>&1 && echo "docker compose"; } || true`

# list the recipes
default:
    @just --list

# install dependencies and build both packages
build:
    pnpm install --frozen-lockfile
    pnpm build

# start the container stack (noise-maker, Redis, log-analyzer, Prometheus, Grafana): podman-compose or docker compose
start: _compose
    {{compose}} up -d --build
    @echo "metrics http://localhost:8080/metrics · prometheus http://localhost:9090 · grafana http://localhost:3000 (admin/admin)"

# stop the container stack (volumes are kept; `just clean` removes them)
stop: _compose
    {{compose}} down

# follow the stack's logs
logs: _compose
    {{compose}} logs -f

# run the whole test suite
test:
    pnpm test

# run the benchmarks (add --quick for the 200k-line file only)
bench *args:
    pnpm bench {{args}}

# the container-free stack: analyzer + noise-maker (+ Prometheus when installed), Ctrl-C stops it
demo:
    node scripts/demo.mjs

# remove build output, demo data and (when a compose tool is there) the stack's volumes
clean:
    rm -rf packages/*/dist logs .demo .log-analyzer test-results bench/results/*.json
    if [ -n "{{compose}}" ]; then {{compose}} down --volumes; fi

_compose:
    @[ -n "{{compose}}" ] || { echo "neither podman-compose nor docker compose is installed: apt-get install podman podman-compose (Debian/Ubuntu), dnf install podman-compose (Fedora), pip install podman-compose, or Docker with its compose plugin" >&2; exit 1; }
