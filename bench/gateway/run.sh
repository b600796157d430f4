#!/usr/bin/env bash
# Side-by-side benchmark of `crossgate proxy` against nginx with the seeds'
# production CORS configuration, Caddy with the same policy, a bare
# httputil.ReverseProxy and, for preflights, the floor of net/http (a bare
# server that only writes 204), on loopback, with wrk. Two requests: an allowed actual GET (proxied to the
# same Go upstream by all three) and an allowed preflight (answered by the
# gateway and by nginx; forwarded by the bare proxy, which knows no CORS).
#
# Usage: bench/gateway/run.sh [-d SECONDS] [-r ROUNDS] [-c CONNECTIONS] [-p FIRST_PORT]
# Installs Debian's nginx, caddy and wrk if they are missing (needs root).
# Everything listens on 127.0.0.1; every run is bounded by -d.
set -euo pipefail

DUR=4 ROUNDS=5 CONNS=32 PORT=18080
while getopts "d:r:c:p:" o; do
  case $o in
    d) DUR=$OPTARG ;;
    r) ROUNDS=$OPTARG ;;
    c) CONNS=$OPTARG ;;
    p) PORT=$OPTARG ;; # the first of the 9 ports used
    *) echo "usage: $0 [-d SECONDS] [-r ROUNDS] [-c CONNECTIONS] [-p FIRST_PORT]" >&2; exit 2 ;;
  esac
done

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

if ! command -v nginx >/dev/null || ! command -v wrk >/dev/null || ! command -v caddy >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq nginx wrk caddy >/dev/null
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
CADDY=$(command -v caddy || echo /usr/bin/caddy)

BACKEND=127.0.0.1:$PORT BARE=127.0.0.1:$((PORT + 1)) GATEWAY=127.0.0.1:$((PORT + 2)) GATEWAY_LOG=127.0.0.1:$((PORT + 3))
NGINX_ADDR=127.0.0.1:$((PORT + 4)) CADDY_ADDR=127.0.0.1:$((PORT + 5)) FLOOR=127.0.0.1:$((PORT + 6))
FLOOR_HEADERS=127.0.0.1:$((PORT + 7)) GATEWAY_BASE=127.0.0.1:$((PORT + 8))

echo "== building" >&2
(cd "$root" && go build -o "$work/crossgate" ./cmd/crossgate)
# BASE_BIN=path/to/crossgate adds the target gateway@base: another build
# (say, of main) with the gateway's configuration, measured in the same run.
[ -n "${BASE_BIN:-}" ] && cp "$BASE_BIN" "$work/crossgate-base"
(cd "$root/bench" && go build -o "$work/bareproxy" ./gateway/bareproxy)

# The seeds' policy: three origins, credentials, the methods and headers
# of the nginx recipe, preflights cached 2 h.
gateway_conf() { # listen access_log
  cat <<EOF
policies:
  - name: api
    match: { paths: [/api/] }
    allow_origins: [https://myapp.com, https://admin.myapp.com, https://staging.myapp.com]
    allow_credentials: true
    allow_methods: [GET, POST, PUT, DELETE, PATCH]
    allow_headers: [Authorization, Content-Type, X-Request-ID]
    expose_headers: [X-Total-Count, X-Request-ID]
    max_age: 2h
proxy:
  listen: $1
  upstream: http://$BACKEND
  admin_listen: "off"
  access_log: $2
  log_format: json
EOF
}
gateway_conf "$GATEWAY" false >"$work/gateway.yaml"
gateway_conf "$GATEWAY_LOG" true >"$work/gateway-log.yaml"
gateway_conf "$GATEWAY_BASE" false >"$work/gateway-base.yaml"

# The seeds' "production-ready" nginx configuration (002, "CORS in Nginx
# and Apache", with the proxy_hide_header lines of "Avoiding Double
# Headers"), on plain HTTP on loopback instead of 443 ssl, with nginx's
# own access log off like the gateway's.
mkdir -p "$work/nginx/logs" "$work/nginx/tmp"
cat >"$work/nginx/nginx.conf" <<EOF
worker_processes auto;
pid $work/nginx/nginx.pid;
error_log $work/nginx/logs/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $work/nginx/tmp/body;
    proxy_temp_path $work/nginx/tmp/proxy;
    fastcgi_temp_path $work/nginx/tmp/fastcgi;
    uwsgi_temp_path $work/nginx/tmp/uwsgi;
    scgi_temp_path $work/nginx/tmp/scgi;

    upstream backend { server $BACKEND; }

    map \$http_origin \$cors_origin {
        default "";
        "https://myapp.com"        \$http_origin;
        "https://admin.myapp.com"  \$http_origin;
        "https://staging.myapp.com" \$http_origin;
    }

    server {
        listen $NGINX_ADDR;
        server_name api.myapp.com;

        location /api/ {
            if (\$request_method = 'OPTIONS') {
                add_header 'Access-Control-Allow-Origin' \$cors_origin always;
                add_header 'Access-Control-Allow-Methods' 'GET, POST, PUT, DELETE, PATCH, OPTIONS' always;
                add_header 'Access-Control-Allow-Headers' 'Authorization, Content-Type, X-Request-ID' always;
                add_header 'Access-Control-Allow-Credentials' 'true' always;
                add_header 'Access-Control-Max-Age' 7200 always;
                add_header 'Content-Length' 0;
                add_header 'Content-Type' 'text/plain charset=UTF-8';
                return 204;
            }

            add_header 'Access-Control-Allow-Origin' \$cors_origin always;
            add_header 'Access-Control-Allow-Credentials' 'true' always;
            add_header 'Access-Control-Expose-Headers' 'X-Total-Count, X-Request-ID' always;
            add_header 'Vary' 'Origin' always;

            proxy_hide_header Access-Control-Allow-Origin;
            proxy_hide_header Access-Control-Allow-Methods;
            proxy_hide_header Access-Control-Allow-Headers;
            proxy_hide_header Access-Control-Allow-Credentials;
            proxy_hide_header Access-Control-Expose-Headers;

            proxy_pass http://backend;
            proxy_set_header Host \$host;
            proxy_set_header X-Real-IP \$remote_addr;
            proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
        }
    }
}
EOF

# Caddy (Debian's 2.6) with the same policy, as shared/reference/
# export-targets.md found to work: one `route` (which keeps the written
# order), the origins as one anchored header_regexp, preflights answered
# with 204, the upstream's own CORS headers stripped with header_down.
# Access log off (Caddy logs no requests unless told to), admin API off.
cat >"$work/Caddyfile" <<EOF
{
	admin off
	auto_https off
}
http://$CADDY_ADDR {
	@api path /api /api/*
	@ok header_regexp Origin ^(https://myapp\\.com|https://admin\\.myapp\\.com|https://staging\\.myapp\\.com)$
	@pf_ok {
		method OPTIONS
		header_regexp Origin ^(https://myapp\\.com|https://admin\\.myapp\\.com|https://staging\\.myapp\\.com)$
		header Access-Control-Request-Method *
	}
	@actual_ok {
		not method OPTIONS
		header_regexp Origin ^(https://myapp\\.com|https://admin\\.myapp\\.com|https://staging\\.myapp\\.com)$
	}
	route @api {
		header @ok Access-Control-Allow-Origin "{http.request.header.Origin}"
		header @ok Access-Control-Allow-Credentials true
		header Vary Origin
		header @pf_ok Access-Control-Allow-Methods "GET, POST, PUT, DELETE, PATCH"
		header @pf_ok Access-Control-Allow-Headers "Authorization, Content-Type, X-Request-ID"
		header @pf_ok Access-Control-Max-Age 7200
		respond @pf_ok 204
		header @actual_ok Access-Control-Expose-Headers "X-Total-Count, X-Request-ID"
		reverse_proxy $BACKEND {
			header_down -Access-Control-Allow-Origin
			header_down -Access-Control-Allow-Methods
			header_down -Access-Control-Allow-Headers
			header_down -Access-Control-Allow-Credentials
			header_down -Access-Control-Expose-Headers
		}
	}
	respond 404
}
EOF

cat >"$work/preflight.lua" <<'EOF'
wrk.method = "OPTIONS"
wrk.headers["Origin"] = "https://myapp.com"
wrk.headers["Access-Control-Request-Method"] = "PUT"
wrk.headers["Access-Control-Request-Headers"] = "content-type,x-request-id"
EOF
cat >"$work/actual.lua" <<'EOF'
wrk.method = "GET"
wrk.headers["Origin"] = "https://myapp.com"
EOF

echo "== starting the upstream, the floor, the bare proxy, the gateway (twice), nginx and caddy" >&2
"$work/bareproxy" -backend -listen "$BACKEND" & pids+=($!)
# The floor: the same program, whose handler answers OPTIONS with a bare
# 204 and nothing else (a net/http server that only writes 204).
"$work/bareproxy" -backend -listen "$FLOOR" & pids+=($!); declare -A pid_of; pid_of[floor]=$!
"$work/bareproxy" -preflight-headers -listen "$FLOOR_HEADERS" & pids+=($!); pid_of[floor+headers]=$!
"$work/bareproxy" -listen "$BARE" -upstream "http://$BACKEND" & pids+=($!); pid_of[bare]=$!
"$work/crossgate" proxy --config "$work/gateway.yaml" 2>"$work/gateway.log" & pids+=($!); pid_of[gateway]=$!
"$work/crossgate" proxy --config "$work/gateway-log.yaml" 2>"$work/gateway-access.log" & pids+=($!); pid_of[gateway+log]=$!
if [ -n "${BASE_BIN:-}" ]; then
  "$work/crossgate-base" proxy --config "$work/gateway-base.yaml" 2>"$work/gateway-base.log" & pids+=($!); pid_of[gateway@base]=$!
fi
"$NGINX" -p "$work/nginx" -c "$work/nginx/nginx.conf" -g 'daemon off;' & pids+=($!); pid_of[nginx]=$!
XDG_DATA_HOME=$work/caddy XDG_CONFIG_HOME=$work/caddy "$CADDY" run --adapter caddyfile --config "$work/Caddyfile" 2>"$work/caddy.log" & pids+=($!); pid_of[caddy]=$!

for addr in $BACKEND $FLOOR $FLOOR_HEADERS ${BASE_BIN:+$GATEWAY_BASE} $BARE $GATEWAY $GATEWAY_LOG $NGINX_ADDR $CADDY_ADDR; do
  for _ in $(seq 50); do
    curl -s -o /dev/null "http://$addr/" && break
    sleep 0.1
  done
done

# Each target must answer as expected before it is measured.
check() { # name addr method want-status want-header
  local out
  out=$(curl -s -o /dev/null -D - -X "$3" -H 'Origin: https://myapp.com' \
    -H 'Access-Control-Request-Method: PUT' -H 'Access-Control-Request-Headers: content-type,x-request-id' \
    "http://$2/api/items" | tr -d '\r')
  if ! grep -q "^HTTP/1.1 $4" <<<"$out" || ! grep -qi "^$5" <<<"$out"; then
    echo "$1: $3 did not answer $4 with $5:" >&2
    echo "$out" >&2
    exit 1
  fi
}
check gateway "$GATEWAY" GET 200 "access-control-allow-origin: https://myapp.com"
check gateway "$GATEWAY" OPTIONS 204 "access-control-allow-methods:"
check nginx "$NGINX_ADDR" GET 200 "access-control-allow-origin: https://myapp.com"
check nginx "$NGINX_ADDR" OPTIONS 204 "access-control-allow-methods:"
check caddy "$CADDY_ADDR" GET 200 "access-control-allow-origin: https://myapp.com"
check caddy "$CADDY_ADDR" OPTIONS 204 "access-control-allow-methods:"
check bare "$BARE" GET 200 "x-total-count: 2"
check floor "$FLOOR" OPTIONS 204 "date:"
check floor+headers "$FLOOR_HEADERS" OPTIONS 204 "access-control-allow-methods:"

# ticks PID -> the CPU time (user + system, in clock ticks) of the process
# and its children (nginx's workers).
TCK=$(getconf CLK_TCK)
ticks() {
  local t=0 p
  for p in "$1" $(pgrep -P "$1" || true); do
    t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0)))
  done
  echo "$t"
}

# run addr script pid -> "rps p99_ms cpu_us_per_request"
# The CPU time the target spent per request is the steadier figure on a
# shared machine: req/s falls with whatever else runs, CPU per request
# much less.
run() {
  local out rps p99 n t0 t1
  t0=$(ticks "$3")
  out=$(wrk -t2 -c"$CONNS" -d"${DUR}s" --timeout 5s --latency -s "$2" "http://$1/api/items")
  t1=$(ticks "$3")
  if grep -q "Non-2xx" <<<"$out"; then echo "non-2xx answers from $1:" >&2; echo "$out" >&2; exit 1; fi
  rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
  n=$(awk '/requests in/ {print $1}' <<<"$out")
  p99=$(awk '$1 == "99%" {v=$2; if (v ~ /us$/) {sub(/us$/, "", v); v/=1000} else if (v ~ /ms$/) {sub(/ms$/, "", v)} else if (v ~ /s$/) {sub(/s$/, "", v); v*=1000}; print v}' <<<"$out")
  echo "$rps $p99 $(awk -v d=$((t1 - t0)) -v n="$n" -v h="$TCK" 'BEGIN {printf "%.2f", d / h * 1e6 / n}')"
}

base_target=${BASE_BIN:+gateway@base}
targets=(gateway $base_target gateway+log nginx caddy bare floor floor+headers)
addr_of() { case $1 in floor+headers) echo $FLOOR_HEADERS ;; gateway@base) echo $GATEWAY_BASE ;; gateway) echo $GATEWAY ;; gateway+log) echo $GATEWAY_LOG ;; nginx) echo $NGINX_ADDR ;; caddy) echo $CADDY_ADDR ;; bare) echo $BARE ;; floor) echo $FLOOR ;; esac; }
# The floor answers preflights only: an actual request to it is not proxied.
targets_of() { if [ "$1" = actual ]; then echo gateway $base_target gateway+log nginx caddy bare; else echo "${targets[@]}"; fi; }

# Each round's figures, per scenario and target, as space-separated lists:
# the summary takes their medians, which one disturbed round (this machine
# is shared) moves less than a mean.
declare -A all_rps all_p99 all_cpu
echo "== measuring: wrk -t2 -c$CONNS -d${DUR}s, $ROUNDS rounds, targets interleaved, each round starting from the next" >&2
# rotate N WORD... -> the words, the first N moved to the end: each round
# starts from another target. With a fixed order, the gateway, measured
# first after each change of request, came out at 0.83x gateway@base on
# proxied requests in one run; in an alternating order, 1.07x.
rotate() { local n=$1; shift; local a=("$@"); n=$((n % ${#a[@]})); echo "${a[@]:n}" "${a[@]:0:n}"; }
for round in $(seq "$ROUNDS"); do
  for scen in actual preflight; do
    # shellcheck disable=SC2046
    for t in $(rotate $((round - 1)) $(targets_of "$scen")); do
      wrk -t1 -c4 -d1s -s "$work/$scen.lua" "http://$(addr_of "$t")/api/items" >/dev/null # warm-up
      read -r rps p99 cpu < <(run "$(addr_of "$t")" "$work/$scen.lua" "${pid_of[$t]}")
      printf "round %d  %-9s  %-13s  %10.0f req/s  p99 %6.2f ms  %6.2f us CPU/req\n" "$round" "$scen" "$t" "$rps" "$p99" "$cpu" >&2
      all_rps[$scen/$t]+="$rps " all_p99[$scen/$t]+="$p99 " all_cpu[$scen/$t]+="$cpu "
    done
  done
done

# median LIST -> the median of the numbers in LIST.
median() { tr ' ' '\n' <<<"$1" | grep . | sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
# spread LIST -> "min-max".
spread() { tr ' ' '\n' <<<"$1" | grep . | sort -g | awk 'NR == 1 {lo = $1} {hi = $1} END {printf "%.0f-%.0f", lo, hi}'; }

echo
# Medians over the rounds. "vs base" is against the bare proxy for actual
# requests, against the floor (net/http writing a bare 204) for preflights;
# "vs f+h", for preflights, against floor+headers (net/http writing the
# same CORS headers as the gateway): what is left of the gap once net/http's
# own cost of sending those headers is counted.
# "CPU vs base" is the base's CPU time per request over the target's: the
# req/s ratio the target would reach if the server's CPU were the limit.
printf "%-10s %-13s %9s %13s %8s %8s %8s %8s %9s %8s\n" request target "req/s" "(min-max)" "p99 ms" "vs base" "vs f+h" "vs nginx" "CPU us" "CPU vs b"
for scen in actual preflight; do
  base=bare
  [ "$scen" = preflight ] && base=floor
  b_rps=$(median "${all_rps[$scen/$base]}") b_cpu=$(median "${all_cpu[$scen/$base]}") n_rps=$(median "${all_rps[$scen/nginx]}")
  fh_rps=""
  [ "$scen" = preflight ] && fh_rps=$(median "${all_rps[$scen/floor+headers]}")
  for t in $(targets_of "$scen"); do
    awk -v s="$scen" -v t="$t" -v r="$(median "${all_rps[$scen/$t]}")" -v sp="$(spread "${all_rps[$scen/$t]}")" \
      -v p="$(median "${all_p99[$scen/$t]}")" -v c="$(median "${all_cpu[$scen/$t]}")" \
      -v b="$b_rps" -v bc="$b_cpu" -v g="$n_rps" -v fh="$fh_rps" \
      'BEGIN {printf "%-10s %-13s %9.0f %13s %8.2f %8.3f %8s %8.3f %9.2f %8.3f\n", s, t, r, "(" sp ")", p, r / b, (fh == "" ? "-" : sprintf("%.3f", r / fh)), r / g, c, bc / c}'
  done
done
