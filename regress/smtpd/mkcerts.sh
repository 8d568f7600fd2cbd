#!/bin/sh
# mkcerts.sh DIR: make a test PKI in DIR (created if missing) with
# openssl(1).  Every test that needs certificates runs it in its own work
# directory; nothing here is a real secret and nothing is reused between
# runs.  Keys are mode 0600 (smtpd refuses a key readable by group or
# others), certificates 0644.  Validity: from now, 10 years.  About 2 s.
#
# Outputs (all PEM):
#	ca.crt ca.key		the test root CA "Postern Test CA": the trust
#				anchor of clients (ssl contexts, s_client
#				-CAfile, swaks --tls-ca-path) and the `ca`
#				bundle for client certificates
#	int.crt int.key		an intermediate CA signed by ca.crt; every
#				server certificate below is issued by it, so
#				a server must send the chain to be verified
#	rsa.crt rsa.key		server, RSA 2048, CN mail.test, SAN
#				DNS:mail.test DNS:localhost IP:127.0.0.1
#				IP:::1
#	rsa.chain.pem		rsa.crt followed by int.crt (for `pki cert`)
#	ecdsa.crt ecdsa.key	server, ECDSA P-256, CN ecdsa.test, SAN
#				DNS:ecdsa.test DNS:localhost IP:127.0.0.1
#				IP:::1
#	ecdsa.chain.pem		ecdsa.crt followed by int.crt
#	other.crt other.key	server, RSA 2048, CN other.test, SAN
#				DNS:other.test DNS:*.wild.test (no localhost,
#				no IP: for SNI tests, a second pki whose
#				names differ from rsa's)
#	other.chain.pem		other.crt followed by int.crt
#	client.crt client.key	client certificate (RSA 2048, CN
#				client.test, extendedKeyUsage clientAuth)
#				signed directly by ca.crt
#	client.pem		client.crt followed by client.key (for
#				clients that want one file, swaks --tls-cert
#				takes them apart too)
#	rogue-ca.crt rogue-ca.key  an unrelated CA "Postern Rogue CA"
#	badclient.crt badclient.key badclient.pem
#				a client certificate (CN badclient.test,
#				clientAuth) signed by rogue-ca: it must be
#				refused where ca.crt is the trust store
#	notpair.key		an RSA key that matches no certificate
#				(mismatched cert/key errors)
#
# Exit status 0 when every file was made; the script stops at the first
# failing openssl command.

set -e

if [ $# -ne 1 ]; then
	echo "usage: $0 DIR" >&2
	exit 2
fi
dir=$1
mkdir -p "$dir"
cd "$dir"
umask 077

days=3650

# ext NAME LINES...: write an extension file for `openssl x509 -extfile`.
ext()
{
	name=$1
	shift
	printf '%s\n' "$@" >"$name.ext"
}

# rsakey NAME / eckey NAME
rsakey()
{
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
	    -out "$1.key" 2>/dev/null
}
eckey()
{
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
	    -out "$1.key" 2>/dev/null
}

# selfca NAME SUBJECT: a self-signed root CA.
selfca()
{
	rsakey "$1"
	ext "$1" "basicConstraints=critical,CA:TRUE" \
	    "keyUsage=critical,keyCertSign,cRLSign" \
	    "subjectKeyIdentifier=hash"
	openssl req -new -key "$1.key" -subj "$2" -out "$1.csr"
	openssl x509 -req -in "$1.csr" -signkey "$1.key" -days "$days" \
	    -extfile "$1.ext" -out "$1.crt" 2>/dev/null
}

# sign NAME SUBJECT ISSUER: a certificate for NAME.key issued by
# ISSUER.crt/ISSUER.key with the extensions of NAME.ext.
sign()
{
	openssl req -new -key "$1.key" -subj "$2" -out "$1.csr"
	openssl x509 -req -in "$1.csr" -CA "$3.crt" -CAkey "$3.key" \
	    -CAcreateserial -days "$days" -extfile "$1.ext" \
	    -out "$1.crt" 2>/dev/null
}

# server NAME SUBJECT SAN: a server certificate issued by int.
server()
{
	ext "$1" "basicConstraints=critical,CA:FALSE" \
	    "keyUsage=critical,digitalSignature,keyEncipherment" \
	    "extendedKeyUsage=serverAuth" \
	    "subjectAltName=$3" \
	    "authorityKeyIdentifier=keyid"
	sign "$1" "$2" int
	cat "$1.crt" int.crt >"$1.chain.pem"
}

# client NAME SUBJECT ISSUER
client()
{
	rsakey "$1"
	ext "$1" "basicConstraints=critical,CA:FALSE" \
	    "keyUsage=critical,digitalSignature" \
	    "extendedKeyUsage=clientAuth" \
	    "authorityKeyIdentifier=keyid"
	sign "$1" "$2" "$3"
	cat "$1.crt" "$1.key" >"$1.pem"
}

selfca ca "/O=Postern test/CN=Postern Test CA"

rsakey int
ext int "basicConstraints=critical,CA:TRUE,pathlen:0" \
    "keyUsage=critical,keyCertSign,cRLSign" \
    "subjectKeyIdentifier=hash" "authorityKeyIdentifier=keyid"
sign int "/O=Postern test/CN=Postern Test Intermediate" ca

rsakey rsa
server rsa "/O=Postern test/CN=mail.test" \
    "DNS:mail.test,DNS:localhost,IP:127.0.0.1,IP:::1"
eckey ecdsa
server ecdsa "/O=Postern test/CN=ecdsa.test" \
    "DNS:ecdsa.test,DNS:localhost,IP:127.0.0.1,IP:::1"
rsakey other
server other "/O=Postern test/CN=other.test" \
    "DNS:other.test,DNS:*.wild.test"

client client "/O=Postern test/CN=client.test" ca

selfca rogue-ca "/O=Postern rogue/CN=Postern Rogue CA"
client badclient "/O=Postern rogue/CN=badclient.test" rogue-ca

rsakey notpair

rm -f ./*.csr ./*.ext ./*.srl
chmod 0600 ./*.key ./*.pem
chmod 0644 ./*.crt ./*.chain.pem
