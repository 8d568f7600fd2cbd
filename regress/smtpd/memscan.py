#!/usr/bin/python3
"""Search a process's memory for a private key's secret material.

usage: memscan.py KEYFILE PID

KEYFILE is a PEM private key (RSA or EC).  The secrets looked for are
taken from `openssl pkey -noout -text` (the private exponent and primes
of an RSA key, the private scalar of an EC key), each in big-endian
order (DER, files) and little-endian order (how an OpenSSL BIGNUM holds
it on a little-endian machine), plus pieces of the key's PEM text and
DER encoding.  Only the parts of those that depend on the private key
are used: nothing that also appears in the certificate.

The whole readable address space of PID is read through /proc/PID/maps
and /proc/PID/mem (needs root: the roles are not dumpable), except
mappings of more than 16 GiB, which only AddressSanitizer's shadow
memory has (listed on stderr).

Prints one line per secret found ("found NAME at 0xADDR") and exits 1
if any was found, 0 if none, 2 on error (no such process, unreadable
memory, a key it cannot parse).  Used by tls_keys_test.sh on smtp (must
find nothing) and on ca (must find the key: the positive control that
shows the scan can fail).
"""

import re
import subprocess
import sys

SKIP_ABOVE = 16 << 30
CHUNK = 1 << 20
PAGE = 4096


def hexbytes(lines):
    data = bytes.fromhex("".join(lines).replace(":", "").replace(" ", ""))
    return data.lstrip(b"\0")


def key_fields(path):
    """The private numbers of the key, by name, big-endian."""
    out = subprocess.run(["openssl", "pkey", "-in", path, "-noout", "-text"],
                         check=True, capture_output=True, text=True).stdout
    fields = {}
    name = None
    for line in out.splitlines():
        m = re.match(r"^([A-Za-z0-9]+):\s*(.*)$", line)
        if m:
            name = m.group(1)
            fields[name] = [] if not m.group(2) else None
            continue
        if name is not None and fields.get(name) is not None and \
                re.match(r"^\s+[0-9a-f:]+$", line):
            fields[name].append(line.strip())
    wanted = ["privateExponent", "prime1", "prime2", "priv"]
    secrets = {}
    for w in wanted:
        if fields.get(w):
            secrets[w] = hexbytes(fields[w])
    if "privateExponent" not in secrets and "priv" not in secrets:
        raise ValueError("no private exponent or scalar in " + path)
    return secrets


def needles(path):
    """Byte strings that only the private key explains, by name."""
    found = {}
    secrets = key_fields(path)
    for name, value in secrets.items():
        found[name + " (big-endian)"] = value
        # A BIGNUM holds 64-bit words least significant first: on a
        # little-endian machine the bytes of the number are reversed.
        found[name + " (BIGNUM)"] = value[::-1]
    der = subprocess.run(["openssl", "pkey", "-in", path, "-outform", "DER"],
                         check=True, capture_output=True).stdout
    if "priv" in secrets:
        # EC: the scalar with its OCTET STRING header; the DER ends
        # with the public point, which the certificate has too.
        off = der.find(secrets["priv"])
        if off < 2:
            raise ValueError("EC scalar not found in the DER of " + path)
        found["DER"] = der[off - 2:off + len(secrets["priv"])]
    else:
        # RSA: the DER ends with the CRT coefficients.
        found["DER"] = der[-48:-16]
    with open(path, "rb") as f:
        body = [l for l in f.read().splitlines()
                if l and not l.startswith(b"-----")]
    if len(body) < 3:
        raise ValueError("unexpected PEM layout in " + path)
    # The next to last line of the base64 text encodes private bytes
    # (RSA: the CRT numbers; EC: the scalar's end) and is a full line.
    found["PEM line"] = body[-2]
    return {k: v for k, v in found.items() if len(v) >= 16}


def regions(pid):
    with open("/proc/%d/maps" % pid) as f:
        for line in f:
            parts = line.split()
            start, end = (int(x, 16) for x in parts[0].split("-"))
            if parts[1][0] != "r":
                continue
            name = parts[5] if len(parts) > 5 else ""
            if name in ("[vvar]", "[vsyscall]"):
                continue
            if end - start > SKIP_ABOVE:
                print("memscan: skipped %s (%d GiB)" %
                      (parts[0], (end - start) >> 30), file=sys.stderr)
                continue
            yield start, end


def read_region(mem, start, end):
    """The region's bytes, pages that cannot be read left out."""
    addr = start
    while addr < end:
        n = min(CHUNK, end - addr)
        try:
            mem.seek(addr)
            yield addr, mem.read(n)
        except OSError:
            # a hole (guard page, device mapping): page by page
            for page in range(addr, addr + n, PAGE):
                try:
                    mem.seek(page)
                    yield page, mem.read(PAGE)
                except OSError:
                    pass
        addr += n


def scan(pid, wanted):
    longest = max(len(v) for v in wanted.values())
    hits = []
    total = 0
    with open("/proc/%d/mem" % pid, "rb", buffering=0) as mem:
        for start, end in regions(pid):
            tail = b""
            tail_addr = start
            for addr, data in read_region(mem, start, end):
                total += len(data)
                if tail_addr + len(tail) != addr:
                    tail = b""
                buf = tail + data
                base = addr - len(tail)
                for name, needle in wanted.items():
                    i = buf.find(needle)
                    if i != -1:
                        hits.append((name, base + i))
                keep = longest - 1
                tail = buf[-keep:] if keep > 0 else b""
                tail_addr = base + len(buf) - len(tail)
    return hits, total


def main():
    if len(sys.argv) != 3:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    try:
        wanted = needles(sys.argv[1])
        hits, total = scan(int(sys.argv[2]), wanted)
    except (OSError, ValueError, subprocess.CalledProcessError) as e:
        print("memscan: %s" % e, file=sys.stderr)
        return 2
    if total == 0:
        print("memscan: nothing readable in %s" % sys.argv[2],
              file=sys.stderr)
        return 2
    seen = set()
    for name, addr in hits:
        if name not in seen:
            print("found %s at %#x" % (name, addr))
            seen.add(name)
    print("memscan: pid %s: %d MiB read, %d of %d secrets found (%s)" %
          (sys.argv[2], total >> 20, len(seen), len(wanted),
           ", ".join(sorted(wanted))), file=sys.stderr)
    return 1 if hits else 0


if __name__ == "__main__":
    sys.exit(main())
