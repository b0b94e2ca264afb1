#!/usr/bin/env bash
# Makes the interop tests' TLS fixtures: a CA of their own (ca.pem) and a
# certificate it signs for localhost and 127.0.0.1 (localhost.pem, the chain
# a server presents; localhost.key, its key). For loopback tests only: the
# keys are public. Valid until 2126; run again to replace them.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
openssl ecparam -name prime256v1 -genkey -noout -out "$tmp/ca.key"
openssl req -x509 -new -key "$tmp/ca.key" -sha256 -days 36500 -subj "/CN=wsproto interop test CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" -out ca.pem
openssl ecparam -name prime256v1 -genkey -noout -out "$tmp/leaf.key"
openssl pkcs8 -topk8 -nocrypt -in "$tmp/leaf.key" -out localhost.key
openssl req -new -key localhost.key -subj "/CN=localhost" -out "$tmp/leaf.csr"
cat > "$tmp/ext.cnf" <<'CNF'
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth
subjectAltName=DNS:localhost,IP:127.0.0.1
CNF
openssl x509 -req -in "$tmp/leaf.csr" -CA ca.pem -CAkey "$tmp/ca.key" -CAcreateserial -CAserial "$tmp/ca.srl" \
    -days 36500 -sha256 -extfile "$tmp/ext.cnf" -out localhost.pem
openssl verify -CAfile ca.pem localhost.pem
