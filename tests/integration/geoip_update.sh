#!/bin/bash
# geoip_update.sh: flowtop -u (geoip_update()) against an HTTPS server of
# our own (tests/tools/httpd.py) on the loopback of a network namespace,
# with a throw-away CA.  A good file installs atomically; a missing,
# truncated, corrupt, oversized or hanging download, and an untrusted or
# wrong-host certificate, all fail with one line and a non-zero status and
# leave the installed database byte-identical, with no temporary file left.
#
# usage: tests/integration/geoip_update.sh   (root; T_BUILD as in lib.sh)
# Uses $T_BUILD/tools/geoip_update_drv, or builds it from the sources.
. "$(dirname "$0")/../lib.sh"

t_init geoip_update
t_require_root
t_require ip openssl nft cmp "$T_PYTHON"

PORT=8443
HANG=8444
TIMEOUT=3		# the conf file's "timeout": connect and stall limit
W=$T_TMP/www
D=$T_TMP/db

DRV=$T_BUILD/tools/geoip_update_drv
if [ ! -x "$DRV" ]; then
	DRV=$T_TMP/geoip_update_drv
	# shellcheck disable=SC2046 # pkg-config prints several words
	if ! cc -std=gnu11 -D_GNU_SOURCE -I. -o "$DRV" \
		tests/tools/geoip_update_drv.c geoip_update.c geoip.c geoip_db.c \
		util.c \
		$(pkg-config --cflags --libs libmaxminddb libcurl zlib) \
		-lpthread -lm >"$T_TMP/cc.out" 2>&1; then
		t_fail "cannot build geoip_update_drv"
		sed 's/^/    /' "$T_TMP/cc.out" | tail -n 20
		t_done
	fi
fi

mkdir -p "$W" "$D" || { t_fail "mkdir"; t_done; }

# --- databases ---------------------------------------------------------
mkdb() {	# name json
	printf '%s\n' "$2" >"$W/$1.json" &&
		"$T_PYTHON" tests/tools/mkmmdb.py "$W/$1.json" "$W/$1"
}
if ! mkdb good.mmdb '{"ip_version": 6, "database_type": "GeoIP2-City",
 "networks": {"192.0.2.0/24": {"country": {"iso_code": "DE",
  "names": {"en": "Germany"}}, "city": {"names": {"en": "Newtown"}}},
  "2001:db8::/32": {"country": {"iso_code": "FR"}}}}' ||
   ! mkdb old.mmdb '{"ip_version": 4, "database_type": "GeoIP2-City",
 "networks": {"192.0.2.0/24": {"country": {"iso_code": "NL"}}}}'; then
	t_fail "mkmmdb.py failed"
	t_done
fi
if ! { gzip -9n <"$W/good.mmdb" >"$W/good.mmdb.gz" &&
	gzsize=$(stat -c %s "$W/good.mmdb.gz") &&
	head -c 3000 /dev/urandom | gzip -n >"$W/random.gz" &&
	# Valid metadata, search tree overwritten: opens, lookups fail.
	cp "$W/good.mmdb" "$W/badtree.mmdb" &&
	printf '\377\377\377\377\377\377\377\377\377\377\377\377' |
		dd of="$W/badtree.mmdb" conv=notrunc status=none &&
	gzip -n <"$W/badtree.mmdb" >"$W/badtree.mmdb.gz" &&
	head -c 900 "$W/good.mmdb" >"$W/trunc.mmdb" &&
	# 3 MiB of zeros in a few KiB: over "maxsize 1" once inflated.
	head -c 3145728 /dev/zero | gzip -9n >"$W/bomb.gz"; }; then
	t_fail "cannot make the test files"
	t_done
fi

CUR=$(date -u +%Y-%m)
PREV=$(date -u -d "$(date -u +%Y-%m-15) -1 month" +%Y-%m)

cat >"$W/routes.json" <<EOF
{
 "/files/test-city-2024-05.mmdb.gz": {"file": "$W/good.mmdb.gz"},
 "/plain/good.mmdb": {"file": "$W/good.mmdb"},
 "/dated/test-city-$CUR.mmdb.gz": {"status": 404},
 "/dated/test-city-$PREV.mmdb.gz": {"file": "$W/good.mmdb.gz"},
 "/gone/test-city-$CUR.mmdb.gz": {"status": 404},
 "/gone/test-city-$PREV.mmdb.gz": {"status": 404},
 "/missing.mmdb.gz": {"status": 404},
 "/error.mmdb.gz": {"status": 500},
 "/trunc.mmdb.gz": {"file": "$W/good.mmdb.gz", "cut": $((gzsize / 2))},
 "/short.mmdb.gz": {"file": "$W/good.mmdb.gz", "cut": $((gzsize / 2)),
  "lie": true},
 "/trunc.mmdb": {"file": "$W/trunc.mmdb"},
 "/corrupt.mmdb.gz": {"file": "$W/random.gz"},
 "/badtree.mmdb.gz": {"file": "$W/badtree.mmdb.gz"},
 "/big.mmdb": {"random": 2097152},
 "/big-nolength.mmdb": {"random": 2097152, "nolength": true},
 "/bomb.mmdb.gz": {"file": "$W/bomb.gz"},
 "/hang.mmdb.gz": {"hang": true},
 "/redirect.mmdb.gz": {"redirect": "https://127.0.0.1:$PORT/files/test-city-2024-05.mmdb.gz"},
 "/redirect-http.mmdb.gz": {"redirect": "http://127.0.0.1:$((PORT + 2))/x.mmdb.gz"},
 "/empty.mmdb": {"random": 0}
}
EOF

# --- throw-away CA and a server certificate for 127.0.0.1 / localhost ---
cat >"$T_TMP/ext.cnf" <<'EOF'
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1
EOF
if ! { openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
	-nodes -keyout "$T_TMP/ca.key" -out "$T_TMP/ca.crt" -days 2 \
	-subj "/CN=flowtop test CA" \
	-addext "basicConstraints=critical,CA:TRUE" \
	-addext "keyUsage=critical,keyCertSign,cRLSign" &&
      openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
	-keyout "$T_TMP/srv.key" -out "$T_TMP/srv.csr" -subj "/CN=localhost" &&
      openssl x509 -req -in "$T_TMP/srv.csr" -CA "$T_TMP/ca.crt" \
	-CAkey "$T_TMP/ca.key" -CAcreateserial -out "$T_TMP/srv.crt" -days 2 \
	-extfile "$T_TMP/ext.cnf"; } >"$T_TMP/openssl.out" 2>&1; then
	t_fail "openssl could not make the certificates"
	tail -n 20 "$T_TMP/openssl.out" | sed 's/^/    /'
	t_done
fi

# --- the namespace and the server ---------------------------------------
t_ns gu NS || t_done
t_bg ip netns exec "$NS" "$T_PYTHON" tests/tools/httpd.py \
	--cert "$T_TMP/srv.crt" --key "$T_TMP/srv.key" \
	--routes "$W/routes.json" --port "$PORT" --hang-port "$HANG" \
	--lifetime 300 --ready "$T_TMP/ready" --log "$T_TMP/httpd.log"
if ! t_wait_for 15 test -s "$T_TMP/ready"; then
	t_fail "httpd.py did not start"
	tail -n 20 "$T_TMP/httpd.log" 2>/dev/null | sed 's/^/    /'
	t_done
fi

# --- helpers ------------------------------------------------------------
N=0
conf() {	# [nocafile] url-line...: writes $T_TMP/cN.conf, sets CONF
	local ca=1 l

	N=$((N + 1))
	CONF=$T_TMP/c$N.conf
	[ "$1" = nocafile ] && { ca=; shift; }
	{
		echo "# test $N"
		echo "nodefaultdirs"
		[ -n "$ca" ] && echo "cafile $T_TMP/ca.crt"
		echo "timeout $TIMEOUT"
		echo "maxsize 1"
		for l in "$@"; do echo "url $l"; done
	} >"$CONF"
}

# Run the driver in the namespace, without any proxy of the host.
# Sets RC, OUT, ERR (files), ELAPSED (whole seconds).
drive() {	# [drv options...] (conf is $CONF, dir is $D)
	local t0

	OUT=$T_TMP/out.$N ERR=$T_TMP/err.$N
	t0=$(date +%s)
	ip netns exec "$NS" env -u http_proxy -u https_proxy -u HTTP_PROXY \
		-u HTTPS_PROXY -u all_proxy -u ALL_PROXY -u no_proxy \
		-u NO_PROXY timeout 60 "$DRV" "$@" "$CONF" "$D" \
		>"$OUT" 2>"$ERR"
	RC=$?
	ELAPSED=$(( $(date +%s) - t0 ))
}

# Names in $D other than $1 (temporary files are dot files).
others() {
	local f out=

	for f in "$D"/* "$D"/.[!.]*; do
		[ -e "$f" ] || continue
		[ "${f##*/}" = "$1" ] && continue
		out="$out ${f##*/}"
	done
	printf '%s' "$out"
}

# The installed file is the old one; exactly one line; no temp file.
install_old() {
	rm -f "$D"/* "$D"/.[!.]* 2>/dev/null
	cp "$W/old.mmdb" "$D/test-city.mmdb"
}

expect_fail() {	# description [pattern in the error line]
	local desc=$1 pat=${2:-} lines left

	lines=$(wc -l <"$ERR")
	left=$(others test-city.mmdb)
	if [ "$RC" -eq 0 ]; then
		t_fail "$desc: exit status 0"
	elif [ "$RC" -eq 124 ]; then
		t_fail "$desc: still running after 60 s"
	elif [ "$lines" -ne 1 ]; then
		t_fail "$desc: $lines lines on stderr, want 1"
		sed 's/^/    /' "$ERR" | cat -v
	elif ! cmp -s "$W/old.mmdb" "$D/test-city.mmdb"; then
		t_fail "$desc: the installed database changed"
	elif [ -n "$left" ]; then
		t_fail "$desc: left in the directory: $left"
	elif [ -n "$pat" ] && ! grep -q -- "$pat" "$ERR"; then
		t_fail "$desc: error line lacks '$pat': $(cat -v "$ERR")"
	else
		t_pass "$desc ($(cat -v "$ERR"))"
	fi
}

expect_installed() {	# description file-name
	local desc=$1 name=$2 left

	left=$(others "$name")
	if [ "$RC" -ne 0 ]; then
		t_fail "$desc: exit status $RC: $(cat -v "$ERR")"
	elif [ -s "$ERR" ]; then
		t_fail "$desc: stderr not empty: $(cat -v "$ERR")"
	elif ! cmp -s "$W/good.mmdb" "$D/$name"; then
		t_fail "$desc: $name is not the served database"
	elif [ -n "$left" ]; then
		t_fail "$desc: left in the directory: $left"
	elif [ "$(stat -c %a "$D/$name")" != 644 ]; then
		t_fail "$desc: mode $(stat -c %a "$D/$name"), want 644"
	else
		t_pass "$desc"
	fi
}

# --- good downloads -----------------------------------------------------
install_old
ino_old=$(stat -c %i "$D/test-city.mmdb")
conf "https://127.0.0.1:$PORT/files/test-city-2024-05.mmdb.gz"
drive -p
expect_installed "gzip download, name without .gz and date" test-city.mmdb
if [ "$(stat -c %i "$D/test-city.mmdb")" != "$ino_old" ]; then
	t_pass "replaced by rename (new inode)"
else
	t_fail "the old inode was written in place"
fi
if grep -q "test-city.mmdb: .* installed in $D" "$OUT"; then
	t_pass "progress on the terminal stream"
else
	t_fail "no progress line: $(cat -v "$OUT")"
fi
if command -v mmdblookup >/dev/null 2>&1; then
	if mmdblookup --file "$D/test-city.mmdb" --ip 192.0.2.7 city names en |
		grep -q '"Newtown"'; then
		t_pass "mmdblookup reads the installed file"
	else
		t_fail "mmdblookup cannot read the installed file"
	fi
fi

install_old
conf "https://localhost:$PORT/plain/good.mmdb test-city.mmdb"
drive
expect_installed "plain .mmdb, name from the conf, host localhost" \
	test-city.mmdb

install_old
conf "https://127.0.0.1:$PORT/dated/test-city-%Y-%m.mmdb.gz"
drive -p
expect_installed "%Y-%m: this month 404, last month installed" \
	test-city.mmdb
if grep -q "trying the month before" "$OUT"; then
	t_pass "the fallback is shown"
else
	t_fail "the fallback is not shown: $(cat -v "$OUT")"
fi

install_old
conf "https://127.0.0.1:$PORT/redirect.mmdb.gz test-city.mmdb"
drive
expect_installed "an HTTPS redirect is followed" test-city.mmdb

# netsniff-ng's own geoip.conf (Debian's, as is) lists mirror hosts of its
# legacy databases: those lines are ignored with one note, not an error.
ORIG_GEO=$T_ROOT/tests/data/services/netsniff-ng/geoip.conf
install_old
conf "https://localhost:$PORT/plain/good.mmdb test-city.mmdb"
cat "$ORIG_GEO" >>"$CONF"
drive
if [ "$RC" -eq 0 ] && cmp -s "$W/good.mmdb" "$D/test-city.mmdb" &&
   [ "$(wc -l <"$ERR")" -eq 1 ] &&
   grep -q "mirror list for the legacy GeoIP databases: ignored" "$ERR"; then
	t_pass "netsniff-ng's mirror lines: ignored, one note, installed"
else
	t_fail "netsniff-ng's mirror lines: exit $RC: $(cat -v "$ERR")"
fi
install_old
cp "$ORIG_GEO" "$T_TMP/orig-geoip.conf"
CONF=$T_TMP/orig-geoip.conf
drive
if [ "$RC" -ne 0 ] && grep -q "mirror list" "$ERR" &&
   grep -q 'no "url" line' "$ERR" && ! grep -q "unknown keyword" "$ERR"; then
	t_pass "netsniff-ng's geoip.conf alone: a note, then \"no url\""
else
	t_fail "netsniff-ng's geoip.conf alone: exit $RC: $(cat -v "$ERR")"
fi

# --- failures: the old file must survive each ---------------------------
install_old
conf "https://127.0.0.1:$PORT/missing.mmdb.gz test-city.mmdb"
drive
expect_fail "HTTP 404" "HTTP 404"

install_old
conf "https://127.0.0.1:$PORT/gone/test-city-%Y-%m.mmdb.gz"
drive
expect_fail "%Y-%m: 404 for this month and the last" "$PREV"

install_old
conf "https://127.0.0.1:$PORT/error.mmdb.gz test-city.mmdb"
drive
expect_fail "HTTP 500" "HTTP 500"

install_old
conf "https://127.0.0.1:$PORT/trunc.mmdb.gz test-city.mmdb"
drive
expect_fail "truncated gzip stream" "truncated gzip"

install_old
conf "https://127.0.0.1:$PORT/short.mmdb.gz test-city.mmdb"
drive
expect_fail "body shorter than its Content-Length"

install_old
conf "https://127.0.0.1:$PORT/trunc.mmdb test-city.mmdb"
drive
expect_fail "truncated .mmdb" "not a usable MaxMind DB"

install_old
conf "https://127.0.0.1:$PORT/corrupt.mmdb.gz test-city.mmdb"
drive
expect_fail "random bytes (gzip)" "not a usable MaxMind DB"

install_old
conf "https://127.0.0.1:$PORT/badtree.mmdb.gz test-city.mmdb"
drive
expect_fail "broken search tree, valid metadata" "not a usable MaxMind DB"

install_old
conf "https://127.0.0.1:$PORT/big.mmdb test-city.mmdb"
drive
expect_fail "2 MiB with Content-Length over maxsize 1"

install_old
conf "https://127.0.0.1:$PORT/big-nolength.mmdb test-city.mmdb"
drive
expect_fail "2 MiB without Content-Length over maxsize 1" "maxsize"

install_old
conf "https://127.0.0.1:$PORT/bomb.mmdb.gz test-city.mmdb"
drive
expect_fail "gzip that inflates over maxsize" "uncompressed"

install_old
conf "https://127.0.0.1:$PORT/empty.mmdb test-city.mmdb"
drive
expect_fail "empty body" "empty"

install_old
conf "https://127.0.0.1:$PORT/hang.mmdb.gz test-city.mmdb"
drive
expect_fail "server that never answers"
if [ "$ELAPSED" -le $((TIMEOUT + 5)) ]; then
	t_pass "the hanging server failed after ${ELAPSED}s (timeout $TIMEOUT)"
else
	t_fail "the hanging server took ${ELAPSED}s (timeout $TIMEOUT)"
fi

install_old
conf "https://127.0.0.1:$HANG/x.mmdb.gz test-city.mmdb"
drive
expect_fail "server that never does the TLS handshake"
if [ "$ELAPSED" -le $((TIMEOUT + 5)) ]; then
	t_pass "the silent TLS server failed after ${ELAPSED}s"
else
	t_fail "the silent TLS server took ${ELAPSED}s (timeout $TIMEOUT)"
fi

install_old
conf nocafile "https://127.0.0.1:$PORT/files/test-city-2024-05.mmdb.gz"
drive
expect_fail "certificate of an unknown CA (no cafile)"

install_old
conf "https://127.0.0.2:$PORT/files/test-city-2024-05.mmdb.gz"
drive
expect_fail "certificate for another host (127.0.0.2)"

install_old
conf "https://127.0.0.1:$PORT/redirect-http.mmdb.gz test-city.mmdb"
drive
expect_fail "redirect to plain http"

install_old
conf "https://127.0.0.1:$((PORT + 3))/x.mmdb.gz test-city.mmdb"
drive
expect_fail "connection refused" "connect"

install_old
conf "http://127.0.0.1:$PORT/files/test-city-2024-05.mmdb.gz"
drive
expect_fail "http:// in the conf file" "https://"

install_old
conf "https://127.0.0.1:$PORT/files/download?id=3"
drive
expect_fail "URL without a file name, none given" "url URL NAME.mmdb"

# Two URLs, one bad: the good one installs, the status is still non-zero.
install_old
conf "https://127.0.0.1:$PORT/missing.mmdb.gz test-city.mmdb" \
	"https://127.0.0.1:$PORT/plain/good.mmdb other.mmdb"
drive
if [ "$RC" -ne 0 ] && [ "$(wc -l <"$ERR")" -eq 1 ] &&
   cmp -s "$W/old.mmdb" "$D/test-city.mmdb" &&
   cmp -s "$W/good.mmdb" "$D/other.mmdb"; then
	t_pass "one of two URLs fails: the other installs, exit non-zero"
else
	t_fail "two URLs, one bad: rc $RC, $(cat -v "$ERR")"
fi

# --- the real binary: flowtop -u with a conf directory ------------------
if [ -x "$T_FLOWTOP" ]; then
	FTB=$(realpath "$T_FLOWTOP")
	CD=$T_TMP/confdir
	mkdir -p "$CD"
	run_ft() {	# url: flowtop -u --confdir CD, with dir $D
		conf "$1"
		{ echo "dir $D"; cat "$CONF"; } >"$CD/geoip.conf"
		OUT=$T_TMP/ftout.$N ERR=$T_TMP/fterr.$N
		ip netns exec "$NS" env -u http_proxy -u https_proxy \
			-u HTTP_PROXY -u HTTPS_PROXY -u all_proxy -u ALL_PROXY \
			timeout 60 "$FTB" -u --confdir "$CD" >"$OUT" 2>"$ERR"
		RC=$?
	}
	install_old
	run_ft "https://127.0.0.1:$PORT/trunc.mmdb.gz test-city.mmdb"
	expect_fail "flowtop -u: a truncated download keeps the old file"
	install_old
	run_ft "https://127.0.0.1:$PORT/plain/good.mmdb test-city.mmdb"
	expect_installed "flowtop -u: a good download is installed" \
		test-city.mmdb
else
	t_fail "no $T_FLOWTOP binary: flowtop -u itself not tested"
fi

t_done
