#!/usr/bin/env bash
# A local two-shard ClickHouse cluster for heapscope's store (docs/store.md):
# two clickhouse-server processes on loopback ports, each with its own data
# directory under DIR and a `remote_servers` config that names both.
#
#   scripts/clickhouse.sh up DIR     start it; the last line on stdout is the
#                                    URL to give heapscope (--db / openStore)
#   scripts/clickhouse.sh down DIR   stop the processes it recorded and remove DIR
#
# Two clusters are configured, and the store uses both:
#   heapscope             2 shards x 1 replica: profiles and samples, sharded
#                         by profile id (each shard aggregates its part);
#   heapscope_replicated  1 shard x 2 replicas, internal_replication off: a
#                         Distributed table over it writes every row to both
#                         servers (the deduplicated strings, functions,
#                         locations and stacks that every shard joins with).
# Works with Debian's clickhouse-server 18.16 and with current releases. No
# ZooKeeper: the store creates its tables on each server listed in the URL.
#
# Ports are taken free from the kernel (loopback only). PIDs go to
# DIR/shard<N>/pid; logs to DIR/shard<N>/log/.
set -euo pipefail

usage() {
  echo "usage: scripts/clickhouse.sh up DIR | down DIR" >&2
  exit 2
}

[ $# -eq 2 ] || usage
cmd=$1
dir=$2
SHARDS=2
CLUSTER=heapscope
DATABASE=heapscope

server_bin() {
  if command -v clickhouse-server >/dev/null 2>&1; then
    command -v clickhouse-server
  elif [ -x /usr/sbin/clickhouse-server ]; then
    echo /usr/sbin/clickhouse-server
  elif command -v clickhouse >/dev/null 2>&1; then
    echo "$(command -v clickhouse) server"
  else
    echo "clickhouse.sh: clickhouse-server not found (Debian package clickhouse-server; scripts/setup.sh installs it)" >&2
    exit 1
  fi
}

# N free TCP ports on 127.0.0.1, from the kernel (held open together, so distinct).
free_ports() {
  node -e '
    const net = require("node:net");
    const n = Number(process.argv[1]);
    const servers = [];
    let left = n;
    for (let i = 0; i < n; i++) {
      const s = net.createServer();
      servers.push(s);
      s.listen(0, "127.0.0.1", () => {
        if (--left === 0) {
          console.log(servers.map((x) => x.address().port).join(" "));
          servers.forEach((x) => x.close());
        }
      });
    }' "$1"
}

# Answers "Ok." on /ping once the HTTP interface is up.
ping_http() {
  node -e '
    const http = require("node:http");
    const req = http.get({ host: "127.0.0.1", port: Number(process.argv[1]), path: "/ping", timeout: 1000 }, (res) => {
      let body = "";
      res.on("data", (c) => (body += c));
      res.on("end", () => process.exit(body.trim() === "Ok." ? 0 : 1));
    });
    req.on("error", () => process.exit(1));
    req.on("timeout", () => { req.destroy(); process.exit(1); });' "$1"
}

stop_all() {
  local d=$1
  for pidfile in "$d"/shard*/pid; do
    [ -f "$pidfile" ] || continue
    local pid
    pid=$(cat "$pidfile")
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 1 100); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
      done
      kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$pidfile"
  done
}

write_config() {
  local shard_dir=$1 http=$2 tcp=$3 remote=$4
  mkdir -p "$shard_dir/data" "$shard_dir/tmp" "$shard_dir/user_files" "$shard_dir/format_schemas" "$shard_dir/log"
  cat >"$shard_dir/config.xml" <<EOF
<?xml version="1.0"?>
<yandex>
    <logger>
        <level>warning</level>
        <log>$shard_dir/log/clickhouse-server.log</log>
        <errorlog>$shard_dir/log/clickhouse-server.err.log</errorlog>
        <size>100M</size>
        <count>2</count>
    </logger>
    <listen_host>127.0.0.1</listen_host>
    <http_port>$http</http_port>
    <tcp_port>$tcp</tcp_port>
    <max_connections>256</max_connections>
    <keep_alive_timeout>3</keep_alive_timeout>
    <max_concurrent_queries>64</max_concurrent_queries>
    <uncompressed_cache_size>268435456</uncompressed_cache_size>
    <mark_cache_size>268435456</mark_cache_size>
    <path>$shard_dir/data/</path>
    <tmp_path>$shard_dir/tmp/</tmp_path>
    <user_files_path>$shard_dir/user_files/</user_files_path>
    <format_schema_path>$shard_dir/format_schemas/</format_schema_path>
    <users_config>$shard_dir/users.xml</users_config>
    <default_profile>default</default_profile>
    <default_database>default</default_database>
    <mlock_executable>false</mlock_executable>
    <remote_servers>
$remote
    </remote_servers>
</yandex>
EOF
  cat >"$shard_dir/users.xml" <<'EOF'
<?xml version="1.0"?>
<yandex>
    <profiles>
        <default>
            <max_memory_usage>4000000000</max_memory_usage>
            <load_balancing>in_order</load_balancing>
        </default>
    </profiles>
    <users>
        <default>
            <password></password>
            <networks>
                <ip>127.0.0.1</ip>
                <ip>::1</ip>
            </networks>
            <profile>default</profile>
            <quota>default</quota>
        </default>
    </users>
    <quotas>
        <default>
            <interval>
                <duration>3600</duration>
                <queries>0</queries>
                <errors>0</errors>
                <result_rows>0</result_rows>
                <read_rows>0</read_rows>
                <execution_time>0</execution_time>
            </interval>
        </default>
    </quotas>
</yandex>
EOF
}

up() {
  local bin
  bin=$(server_bin)
  if [ -e "$dir" ] && [ -n "$(ls -A "$dir" 2>/dev/null)" ]; then
    echo "clickhouse.sh: $dir exists and is not empty (run: scripts/clickhouse.sh down $dir)" >&2
    exit 1
  fi
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  # shellcheck disable=SC2207
  local ports=($(free_ports $((SHARDS * 2))))
  local shards="" replicas="" hosts=""
  for i in $(seq 1 $SHARDS); do
    local tcp=${ports[$(((i - 1) * 2 + 1))]}
    shards+="            <shard><replica><host>127.0.0.1</host><port>$tcp</port></replica></shard>"$'\n'
    replicas+="                <replica><host>127.0.0.1</host><port>$tcp</port></replica>"$'\n'
  done
  local remote="        <$CLUSTER>
$shards        </$CLUSTER>
        <${CLUSTER}_replicated>
            <shard>
                <internal_replication>false</internal_replication>
$replicas            </shard>
        </${CLUSTER}_replicated>"
  trap 'stop_all "$dir"' ERR
  for i in $(seq 1 $SHARDS); do
    local http=${ports[$(((i - 1) * 2))]} tcp=${ports[$(((i - 1) * 2 + 1))]}
    local shard_dir="$dir/shard$i"
    write_config "$shard_dir" "$http" "$tcp" "$remote"
    # Its own session, stdin closed: the server outlives this script and
    # no terminal signal reaches it; `down` stops it by the PID recorded here.
    setsid $bin --config-file="$shard_dir/config.xml" </dev/null >"$shard_dir/log/stdout.log" 2>&1 &
    echo $! >"$shard_dir/pid"
    echo "$http" >"$shard_dir/http_port"
    hosts+="${hosts:+,}127.0.0.1:$http"
  done
  for i in $(seq 1 $SHARDS); do
    local shard_dir="$dir/shard$i" http
    http=$(cat "$shard_dir/http_port")
    local ok=0
    for _ in $(seq 1 300); do
      if ping_http "$http"; then
        ok=1
        break
      fi
      if ! kill -0 "$(cat "$shard_dir/pid")" 2>/dev/null; then break; fi
      sleep 0.1
    done
    if [ $ok != 1 ]; then
      echo "clickhouse.sh: shard $i (http port $http) did not start; the end of its log:" >&2
      tail -n 20 "$shard_dir/log/clickhouse-server.err.log" "$shard_dir/log/stdout.log" >&2 2>/dev/null || true
      stop_all "$dir"
      exit 1
    fi
    echo "shard $i: pid $(cat "$shard_dir/pid"), http 127.0.0.1:$http, data $shard_dir/data"
  done
  trap - ERR
  echo "clickhouse://$hosts/$DATABASE?cluster=$CLUSTER"
}

down() {
  [ -d "$dir" ] || exit 0
  # Only a directory this script made: every entry a shard<N> with a config.
  for entry in "$dir"/* "$dir"/.[!.]*; do
    [ -e "$entry" ] || continue
    case "$(basename "$entry")" in
      shard[0-9]*) [ -f "$entry/config.xml" ] || { echo "clickhouse.sh: $entry is not a shard directory; not removing $dir" >&2; exit 1; } ;;
      *) echo "clickhouse.sh: $dir holds $(basename "$entry"), which this script did not make; not removing it" >&2; exit 1 ;;
    esac
  done
  stop_all "$dir"
  rm -rf "$dir"
}

case "$cmd" in
  up) up ;;
  down) down ;;
  *) usage ;;
esac
