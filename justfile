# log-analyzer recipes. `just` comes from the rust-just devDependency: `pnpm exec just --list`.

set shell := ["bash", "-euo", "pipefail", "-c"]

# list the recipes
default:
    @just --list

# install dependencies and build both packages
build:
    pnpm install --frozen-lockfile
    pnpm build

# start the container stack (noise-maker, log-analyzer, Prometheus, Grafana) with podman-compose
start: _compose
    podman-compose up -d --build
    @echo "metrics http://localhost:8080/metrics · prometheus http://localhost:9090 · grafana http://localhost:3000 (admin/admin)"

# stop the container stack (volumes are kept; `just clean` removes them)
stop: _compose
    podman-compose down

# follow the stack's logs
logs: _compose
    podman-compose logs -f

# run the whole test suite
test:
    pnpm test

# run the benchmarks (add --quick for the 200k-line file only)
bench *args:
    pnpm bench {{args}}

# the container-free stack: analyzer + noise-maker (+ Prometheus when installed), Ctrl-C stops it
demo:
    pnpm demo

# remove build output, demo data and (when podman-compose is there) the stack's volumes
clean:
    rm -rf packages/*/dist logs .demo .log-analyzer test-results bench/results/*.json
    if command -v podman-compose >/dev/null; then podman-compose down --volumes; fi

_compose:
    @command -v podman-compose >/dev/null || { echo "podman-compose is not installed: apt-get install podman podman-compose (Debian/Ubuntu), dnf install podman-compose (Fedora), or pip install podman-compose" >&2; exit 1; }
