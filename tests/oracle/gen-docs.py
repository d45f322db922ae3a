#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Documents for the differential oracle: the seeds as they are, then
mutants of them (deterministic for a seed) that probe where a reader of
the exact text and Go's encoding/json may part: key-case and Unicode-fold
variants at every depth, nulls, type swaps, number edge cases, duplicate
keys, member and mount-option orders, unknown keys.

  gen-docs.py --seed N --count N --out DIR SEED-FILE...

Writes DIR/c-*.json (config.json) and DIR/p-*.json (exec --process)."""

import argparse
import codecs
import json
import os
import random
import sys

KELVIN = "\u212a"
LONG_S = "\u017f"


class Num(str):
    """A number kept as its source text."""


class Obj(list):
    """An object as its list of [key, value] members (duplicates allowed)."""


def load(text):
    return json.loads(text, object_pairs_hook=lambda p: Obj([list(m) for m in p]),
                      parse_int=Num, parse_float=Num, parse_constant=Num)


def dump(v, ascii_only, out):
    if isinstance(v, Obj):
        out.append("{")
        for i, (k, x) in enumerate(v):
            if i:
                out.append(",")
            out.append(json.dumps(k, ensure_ascii=ascii_only))
            out.append(":")
            dump(x, ascii_only, out)
        out.append("}")
    elif isinstance(v, list):
        out.append("[")
        for i, x in enumerate(v):
            if i:
                out.append(",")
            dump(x, ascii_only, out)
        out.append("]")
    elif isinstance(v, Num):
        out.append(str(v))
    else:
        out.append(json.dumps(v, ensure_ascii=ascii_only))


def text(v, ascii_only=False):
    out = []
    dump(v, ascii_only, out)
    return "".join(out)


def nodes(v, acc):
    """Every object and array in the tree."""
    if isinstance(v, Obj):
        acc.append(v)
        for _, x in v:
            nodes(x, acc)
    elif isinstance(v, list):
        acc.append(v)
        for x in v:
            nodes(x, acc)
    return acc


def objects(v):
    return [n for n in nodes(v, []) if isinstance(n, Obj)]


NUMBERS = ["-0", "0", "1e3", "1E2", "1.0", "0.5", "-1", "65534", "4294967295", "4294967296",
           "2147483648", "-2147483649", "9223372036854775807", "9223372036854775808",
           "-9223372036854775808", "18446744073709551615", "18446744073709551616", "1e400",
           "100000000000000000000000000000"]
UNKNOWN = ["users", "x-user", "Userx", "user_", "uid2", "kernelx", KELVIN, "s" + LONG_S,
           "u" + KELVIN + "er", "\u0131d", "readonlyx", "seccomp2", "hooks_", "SECCOMP-",
           "mounts ", " process", "linux.seccomp", "ociversion2"]
OPTIONS = ["ro", "rw", "rro", "rrw", "bind", "rbind", "nosuid", "suid", "nodev", "dev",
           "noexec", "exec", "private", "rprivate", "shared", "rshared", "slave", "remount",
           "relatime", "strictatime", "mode=755", "size=65536k"]
# Text Go reads as U+FFFD where a C reader may not: unpaired surrogates
# (escaped, or raw when written unescaped), overlong and encoded-surrogate
# bytes (\udc80-\udcff stand for raw bytes 0x80-0xff in the output).
TEXT = ["a\ud800b", "\udc00", "\ud83d\ude00", "/etc\udcc0\udcaf", "\udced\udca0\udc80",
        "CAP_SYS_ADMIN\ud800", "run.oci.\udbff", "\u212a", "\u017f", "\ufffd", "/\\u0000x"]
SCALARS = ["", "x", "/", "/proc/1/ns/net", "SCMP_ACT_ALLOW", "CAP_SYS_ADMIN", True, False, None]


def fold_variant(rng, key):
    """A spelling Go binds to key, other than key itself."""
    for _ in range(8):
        out = []
        for ch in key:
            r = rng.random()
            if ch in "kK" and r < 0.3:
                out.append(KELVIN)
            elif ch in "sS" and r < 0.3:
                out.append(LONG_S)
            elif ch.isalpha() and r < 0.5:
                out.append(ch.swapcase())
            else:
                out.append(ch)
        v = "".join(out)
        if v != key:
            return v
    return key.upper() if key.upper() != key else key.lower()


def random_value(rng, depth=0):
    r = rng.random()
    if r < 0.3:
        return rng.choice(SCALARS)
    if r < 0.5:
        return Num(rng.choice(NUMBERS))
    if r < 0.7 or depth > 1:
        return [rng.choice(SCALARS)]
    return Obj([[rng.choice(UNKNOWN), random_value(rng, depth + 1)]])


def swap_type(rng, v):
    choices = ["str", Num("0"), Num("1"), True, False, None, [], Obj(), [Num("0")],
               Obj([["a", Num("1")]]), ["CAP_SYS_ADMIN"]]
    c = rng.choice(choices)
    return c if type(c) is not type(v) else rng.choice(choices)


def mutate(rng, doc):
    objs = objects(doc)
    members = [(o, i) for o in objs for i in range(len(o))]
    kind = rng.choices(
        ["fold", "unknown", "null", "swap", "number", "dup", "shuffle", "options", "delete",
         "mapkey", "value", "fold-dup", "text"],
        weights=[14, 10, 8, 8, 10, 6, 8, 8, 8, 6, 10, 4, 6])[0]
    if kind in ("fold", "fold-dup") and members:
        o, i = rng.choice(members)
        k, v = o[i]
        if kind == "fold":
            o[i] = [fold_variant(rng, k), v]
        else:
            # The vetted value first, a variant runc binds later.
            o.insert(rng.randrange(i + 1, len(o) + 1), [fold_variant(rng, k), random_value(rng)])
    elif kind == "unknown" and objs:
        o = rng.choice(objs)
        o.insert(rng.randrange(len(o) + 1), [rng.choice(UNKNOWN), random_value(rng)])
    elif kind == "null" and members:
        o, i = rng.choice(members)
        o[i][1] = None
    elif kind == "swap" and members:
        o, i = rng.choice(members)
        o[i][1] = swap_type(rng, o[i][1])
    elif kind == "number":
        nums = [(o, i) for o, i in members if isinstance(o[i][1], Num)]
        if nums:
            o, i = rng.choice(nums)
            o[i][1] = Num(rng.choice(NUMBERS))
    elif kind == "dup" and members:
        o, i = rng.choice(members)
        o.insert(rng.randrange(len(o) + 1), [o[i][0], random_value(rng)])
    elif kind == "shuffle" and objs:
        rng.shuffle(rng.choice(objs))
    elif kind == "options":
        opts = [v for o in objs for k, v in o if k == "options" and isinstance(v, list)]
        if opts:
            lst = rng.choice(opts)
            if rng.random() < 0.5:
                rng.shuffle(lst)
            lst.insert(rng.randrange(len(lst) + 1), rng.choice(OPTIONS))
    elif kind == "delete" and members:
        o, i = rng.choice(members)
        del o[i]
    elif kind == "mapkey":
        maps = [v for o in objs for k, v in o
                if k in ("annotations", "sysctl", "unified", "rdma", "netDevices")
                and isinstance(v, Obj)]
        if maps:
            m = rng.choice(maps)
            names = [k for o in objs for k, _ in o]
            m.append([fold_variant(rng, rng.choice(names)), rng.choice(["1", "x"])])
    elif kind == "text" and members:
        o, i = rng.choice(members)
        if rng.random() < 0.3:
            o[i][0] = o[i][0] + rng.choice(TEXT)
        else:
            o[i][1] = rng.choice(TEXT)
    elif kind == "value" and members:
        o, i = rng.choice(members)
        if isinstance(o[i][1], (Obj, list)):
            return
        o[i][1] = rng.choice(SCALARS + [Num(n) for n in NUMBERS])


def raw_bytes(e):
    """Encoding errors: \udc80-\udcff become that byte, other surrogates
    their (ill-formed) UTF-8 encoding."""
    out = b""
    for ch in e.object[e.start:e.end]:
        cp = ord(ch)
        out += bytes([cp - 0xdc00]) if 0xdc80 <= cp <= 0xdcff else ch.encode("utf-8", "surrogatepass")
    return out, e.end


codecs.register_error("oracle-raw", raw_bytes)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--count", type=int, default=10000)
    ap.add_argument("--out", required=True)
    ap.add_argument("seeds", nargs="+")
    a = ap.parse_args()
    rng = random.Random(a.seed)
    configs, processes = [], []
    n = 0
    for path in a.seeds:
        with open(path, "rb") as f:
            raw = f.read()
        kind = "p" if "/process/" in path else "c"
        # The seed itself, byte for byte.
        with open(os.path.join(a.out, "%s-seed-%04d.json" % (kind, n)), "wb") as f:
            f.write(raw)
        n += 1
        try:
            doc = load(raw.decode("utf-8"))
        except (ValueError, UnicodeDecodeError, RecursionError):
            continue
        if not isinstance(doc, Obj):
            continue
        (processes if kind == "p" else configs).append(doc)
        if kind == "c":
            for k, v in doc:
                if k == "process" and isinstance(v, Obj):
                    processes.append(v)
    if not configs or not processes:
        sys.exit("gen-docs: no usable seeds")
    for i in range(a.count):
        proc = i % 4 == 3
        doc = load(text(rng.choice(processes if proc else configs)))
        for _ in range(rng.choices([1, 2, 3], weights=[6, 3, 1])[0]):
            mutate(rng, doc)
        name = "%s-%05d.json" % ("p" if proc else "c", i)
        with open(os.path.join(a.out, name), "wb") as f:
            f.write(text(doc, ascii_only=rng.random() < 0.3).encode("utf-8", "oracle-raw"))


if __name__ == "__main__":
    main()
