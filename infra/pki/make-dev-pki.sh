#!/usr/bin/env bash
# Development PKI for MQTT over TLS: a CA, the broker's server certificate, the service account's
# client certificate and per-device client certificates. Never for production; never committed
# (infra/pki/out/ is gitignored). Idempotent: existing files are kept.
#
#   make-dev-pki.sh                        CA + broker + service account
#   make-dev-pki.sh client <tenant> <client>...  also device certificates
#   make-dev-pki.sh service <name>...            also more service accounts (one per replica:
#                                                opcfleet-service-2, ...; infra/mosquitto/secure.acl)
#
# Subjects (what the brokers read, see services/broker/README.md):
#   device:  CN=tenants/{tenantId}/clients/{clientId}   (the client's topic root, = Mosquitto %u)
#   service: CN=${PKI_SERVICE_ACCOUNT:-opcfleet-service}
#   broker:  CN=opcfleet-broker, SAN 127.0.0.1, ::1, localhost (+ PKI_BROKER_SANS, e.g. "DNS:mqtt.lan,IP:10.0.0.5")
#
# Output: ${PKI_OUT_DIR:-infra/pki/out}/{ca,broker,service}.{key,crt},
#         clients/{tenantId}/{clientId}.{key,crt}, services/{name}.{key,crt}
set -euo pipefail

OUT="${PKI_OUT_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/out}"
SERVICE_ACCOUNT="${PKI_SERVICE_ACCOUNT:-opcfleet-service}"
DAYS="${PKI_DAYS:-825}"
ID_PATTERN='^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$' # libs/contracts/src/ids.ts
# A service-account CN: no "/", so it can never be (a prefix of) a device's topic root.
SERVICE_PATTERN='^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'

die() { echo "make-dev-pki: $*" >&2; exit 2; }
command -v openssl >/dev/null || die "openssl is required"
mkdir -p "$OUT/clients"
chmod 700 "$OUT"

# Parallel test workers may call this at once: one writer at a time.
exec 9>"$OUT/.lock"
flock 9

new_key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:prime256v1 -out "$1" 2>/dev/null; chmod 600 "$1"; }

# sign NAME_PREFIX CN EXTENSIONS: writes PREFIX.key and PREFIX.crt signed by the CA.
sign() {
  local prefix="$1" cn="$2" extensions="$3" cnf
  [ -s "$prefix.crt" ] && [ -s "$prefix.key" ] && return 0
  cnf="$(mktemp)"
  # A config file, not -subj, so the CN may hold "/" without escaping.
  printf '[req]\nprompt=no\ndistinguished_name=dn\n[dn]\nCN=%s\n[ext]\n%b\n' "$cn" "$extensions" >"$cnf"
  new_key "$prefix.key"
  openssl req -new -key "$prefix.key" -config "$cnf" -out "$prefix.csr"
  openssl x509 -req -in "$prefix.csr" -CA "$OUT/ca.crt" -CAkey "$OUT/ca.key" -CAcreateserial \
    -days "$DAYS" -sha256 -extfile "$cnf" -extensions ext -out "$prefix.crt" 2>/dev/null
  rm -f "$prefix.csr" "$cnf"
  echo "make-dev-pki: issued $prefix.crt (CN=$cn)"
}

if [ ! -s "$OUT/ca.crt" ] || [ ! -s "$OUT/ca.key" ]; then
  new_key "$OUT/ca.key"
  openssl req -x509 -new -key "$OUT/ca.key" -sha256 -days "$DAYS" -subj "/O=opcfleet/CN=opcfleet development CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -out "$OUT/ca.crt"
  echo "make-dev-pki: created CA $OUT/ca.crt"
fi

CLIENT_EXT='basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth'
SANS="IP:127.0.0.1,IP:::1,DNS:localhost${PKI_BROKER_SANS:+,$PKI_BROKER_SANS}"
sign "$OUT/broker" "opcfleet-broker" \
  "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=$SANS"
sign "$OUT/service" "$SERVICE_ACCOUNT" "$CLIENT_EXT"

if [ "${1:-}" = "client" ]; then
  [ $# -ge 3 ] || die "usage: make-dev-pki.sh client <tenantId> <clientId>..."
  tenant="$2"
  [[ "$tenant" =~ $ID_PATTERN ]] || die "invalid tenant id '$tenant'"
  mkdir -p "$OUT/clients/$tenant"
  for client in "${@:3}"; do
    [[ "$client" =~ $ID_PATTERN ]] || die "invalid client id '$client'"
    sign "$OUT/clients/$tenant/$client" "tenants/$tenant/clients/$client" "$CLIENT_EXT"
  done
elif [ "${1:-}" = "service" ]; then
  [ $# -ge 2 ] || die "usage: make-dev-pki.sh service <name>..."
  mkdir -p "$OUT/services"
  for name in "${@:2}"; do
    [[ "$name" =~ $SERVICE_PATTERN ]] || die "invalid service account name '$name'"
    sign "$OUT/services/$name" "$name" "$CLIENT_EXT"
  done
elif [ $# -gt 0 ]; then
  die "unknown arguments: $*"
fi
