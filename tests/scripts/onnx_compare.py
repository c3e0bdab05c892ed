#!/usr/bin/python3
"""Field-by-field protobuf comparison of ONNX model files.

Usage:
    onnx_compare.py [--max-diffs N] A.onnx B.onnx
    onnx_compare.py [--max-diffs N] [-v] --batch LISTFILE

Single mode: exit 0 if the models are equal, 1 (and print the first
differences, one per line, e.g. `graph.node[3].attribute[0].ints[2]: 5 != 6`)
if not, 2 if either file cannot be read or parsed.

Batch mode: LISTFILE has one pair per line, `A<TAB>B` (paths relative to the
current directory; blank lines and lines starting with '#' are ignored).
All pairs are compared in this one process.  Each failing pair is printed as
`FAIL A B` followed by its differences (indented); an unreadable model counts
as a failed pair.  The last line is `N passed, N failed`; exit 1 if any pair
failed, 2 if LISTFILE itself is unreadable or malformed.

Inputs may be gzip-compressed (detected by magic bytes).

Equality is defined on the parsed messages (python3-onnx 1.12 schema), so
wire-level details (field order on the wire, packed vs. unpacked repeated
encoding) do not matter, but everything else does:
  * fields are walked via ListFields(), so field *presence* counts: a proto2
    optional field explicitly set to its default differs from an absent one;
  * repeated fields are compared in order (length first, then elements);
  * float/double fields are compared bitwise (via the C++-held bits, so -0.0
    differs from 0.0 and NaN equals only a NaN with the same bits);
  * unknown fields (e.g. fields from newer ONNX versions that onnx 1.12 does
    not know) are compared per message as an order-insensitive multiset of
    (field_number, wire_type, data).
A fast path first compares the two serializations: identical bytes imply
equality; otherwise the full recursive walk decides.

Requires /usr/bin/python3 with Debian's python3-onnx (protobuf).
"""

import array
import collections
import math
import gzip
import struct
import sys

try:
    from onnx import ModelProto
except ImportError:  # pragma: no cover
    sys.stderr.write("onnx_compare.py: cannot import onnx; run with "
                     "/usr/bin/python3 (Debian python3-onnx)\n")
    sys.exit(2)

from google.protobuf.descriptor import FieldDescriptor as FD

_FLOAT_TYPES = (FD.TYPE_FLOAT, FD.TYPE_DOUBLE)
_WIRE_NAMES = {0: "varint", 1: "fixed64", 2: "bytes", 3: "group", 5: "fixed32"}
_ABSENT = "<absent>"
_REPR_MAX = 80


class Unreadable(Exception):
    pass


def load_model(path):
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise Unreadable("%s: %s" % (path, e.strerror or e))
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as e:
            raise Unreadable("%s: bad gzip data: %s" % (path, e))
    m = ModelProto()
    try:
        m.ParseFromString(data)
    except Exception as e:  # DecodeError, RuntimeWarning-as-error, ...
        raise Unreadable("%s: cannot parse as ModelProto: %s" % (path, e))
    return m, data


def _fmt(v):
    if isinstance(v, float):
        r = repr(v)
        if v != v or v == 0.0:  # show bits for NaN and signed zero
            r += " (0x%016x)" % struct.unpack("<Q", struct.pack("<d", v))[0]
        return r
    if isinstance(v, (bytes, str)):
        r = repr(v)
        if len(r) > _REPR_MAX:
            r = r[:_REPR_MAX] + "...(len %d)" % len(v)
        return r
    return repr(v)


def _first_mismatch(x, y):
    n = min(len(x), len(y))
    i = 0
    step = 4096
    while i < n and x[i:i + step] == y[i:i + step]:
        i += step
    end = min(i + step, n)
    while i < end and x[i] == y[i]:
        i += 1
    return i


def _dbits(v):
    return struct.pack("<d", v)


class Comparator:
    def __init__(self, max_diffs=20):
        self.max_diffs = max_diffs
        self.diffs = []
        self.total = 0  # number of differences found (may exceed max_diffs)

    # -- reporting --------------------------------------------------------
    def _add(self, path, msg):
        self.total += 1
        if len(self.diffs) < self.max_diffs:
            self.diffs.append("%s: %s" % (path or "<root>", msg))

    def _full(self):
        return len(self.diffs) >= self.max_diffs

    # -- entry point ------------------------------------------------------
    def compare_models(self, a, b, a_bytes=None, b_bytes=None):
        """Returns True if equal.  a_bytes/b_bytes: original serializations
        (optional) for the fast path."""
        if a_bytes is not None and a_bytes == b_bytes:
            return True
        if a.SerializeToString() == b.SerializeToString():
            return True
        self.compare_msg(a, b, "")
        return self.total == 0

    # -- recursive walk ---------------------------------------------------
    def compare_msg(self, a, b, path):
        if self._full():
            return
        fa = {fd.number: (fd, v) for fd, v in a.ListFields()}
        fb = {fd.number: (fd, v) for fd, v in b.ListFields()}
        pre = path + "." if path else ""
        for num in sorted(set(fa) | set(fb)):
            if self._full():
                return
            if num not in fb:
                fd, v = fa[num]
                if fd.label == FD.LABEL_REPEATED:  # absent == empty
                    self._add(pre + fd.name, "length %d != 0" % len(v))
                else:
                    self._add(pre + fd.name,
                              "%s != %s" % (self._present(fd, v), _ABSENT))
                continue
            if num not in fa:
                fd, v = fb[num]
                if fd.label == FD.LABEL_REPEATED:
                    self._add(pre + fd.name, "length 0 != %d" % len(v))
                else:
                    self._add(pre + fd.name,
                              "%s != %s" % (_ABSENT, self._present(fd, v)))
                continue
            fd, va = fa[num]
            vb = fb[num][1]
            fpath = pre + fd.name
            if fd.label == FD.LABEL_REPEATED:
                self._compare_repeated(a, b, fd, va, vb, fpath)
            elif fd.type in (FD.TYPE_MESSAGE, FD.TYPE_GROUP):
                self.compare_msg(va, vb, fpath)
            elif fd.type in _FLOAT_TYPES:
                if _dbits(va) != _dbits(vb) or (
                        va != va and not self._float_bits_equal(a, b, fd)):
                    self._add(fpath, "%s != %s" % (_fmt(va), _fmt(vb)))
            elif type(va) is not type(vb) or va != vb:
                self._add(fpath, self._scalar_diff(va, vb))
        if not self._full():
            self._compare_unknown(a, b, path)

    def _present(self, fd, v):
        if fd.type in (FD.TYPE_MESSAGE, FD.TYPE_GROUP):
            return "<%s>" % fd.message_type.name
        return _fmt(v)

    def _scalar_diff(self, va, vb):
        if (isinstance(va, (bytes, str)) and isinstance(vb, (bytes, str))
                and type(va) is type(vb)
                and (len(va) > _REPR_MAX // 2 or len(vb) > _REPR_MAX // 2)):
            i = _first_mismatch(va, vb)
            return "differ at offset %d (len %d vs %d): %s != %s" % (
                i, len(va), len(vb), _fmt(va[i:i + 16]), _fmt(vb[i:i + 16]))
        return "%s != %s" % (_fmt(va), _fmt(vb))

    def _compare_repeated(self, a, b, fd, va, vb, fpath):
        is_msg = fd.type in (FD.TYPE_MESSAGE, FD.TYPE_GROUP)
        if is_msg and fd.message_type.GetOptions().map_entry:
            self._compare_map(fd, va, vb, fpath)
            return
        la, lb = len(va), len(vb)
        if la != lb:
            self._add(fpath, "length %d != %d" % (la, lb))
        n = min(la, lb)
        if is_msg:
            for i in range(n):
                if self._full():
                    return
                self.compare_msg(va[i], vb[i], "%s[%d]" % (fpath, i))
            return
        if fd.type in _FLOAT_TYPES:
            ba = array.array("d", va[:n]).tobytes()
            bb = array.array("d", vb[:n]).tobytes()
            if ba == bb:
                if (la == lb and any(map(math.isnan, va))
                        and not self._float_bits_equal(a, b, fd)):
                    # only possible for NaNs whose float32 payload differs in
                    # a way lost by the float->double conversion (sNaN/qNaN)
                    self._add(fpath, "float bits differ (NaN payload)")
                return
            for i in range(n):
                if ba[8 * i:8 * i + 8] != bb[8 * i:8 * i + 8]:
                    self._add("%s[%d]" % (fpath, i), "%s != %s" % (_fmt(va[i]), _fmt(vb[i])))
                    if self._full():
                        return
            return
        la_l = list(va[:n])
        lb_l = list(vb[:n])
        if la_l == lb_l and all(type(x) is type(y) for x, y in zip(la_l, lb_l)):
            return
        for i in range(n):
            x, y = la_l[i], lb_l[i]
            if type(x) is not type(y) or x != y:
                self._add("%s[%d]" % (fpath, i), self._scalar_diff(x, y))
                if self._full():
                    return

    def _compare_map(self, fd, va, vb, fpath):  # ONNX has none; for safety
        ka, kb = set(va.keys()), set(vb.keys())
        vfd = fd.message_type.fields_by_name["value"]
        for k in sorted(ka | kb, key=repr):
            p = "%s[%r]" % (fpath, k)
            if k not in kb:
                self._add(p, "present != %s" % _ABSENT)
            elif k not in ka:
                self._add(p, "%s != present" % _ABSENT)
            elif vfd.type in (FD.TYPE_MESSAGE, FD.TYPE_GROUP):
                self.compare_msg(va[k], vb[k], p)
            elif vfd.type in _FLOAT_TYPES:
                if _dbits(va[k]) != _dbits(vb[k]):
                    self._add(p, "%s != %s" % (_fmt(va[k]), _fmt(vb[k])))
            elif va[k] != vb[k]:
                self._add(p, self._scalar_diff(va[k], vb[k]))

    @staticmethod
    def _isolate(msg, fd):
        """Serialization of only field fd of msg (bits exactly as held in
        C++, so float32 NaN payloads are preserved)."""
        c = type(msg)()
        c.MergeFrom(msg)
        for f, _ in c.ListFields():
            if f.number != fd.number:
                c.ClearField(f.name)
        c.DiscardUnknownFields()
        return c.SerializeToString()

    def _float_bits_equal(self, a, b, fd):
        return self._isolate(a, fd) == self._isolate(b, fd)

    # -- unknown fields ----------------------------------------------------
    @staticmethod
    def _ukey(uf):
        data = uf.data
        if uf.wire_type == 3:  # group: nested UnknownFieldSet
            data = tuple(sorted((Comparator._ukey(x) for x in data), key=repr))
        return (uf.field_number, uf.wire_type, data)

    def _compare_unknown(self, a, b, path):
        ua = [self._ukey(u) for u in a.UnknownFields()]
        ub = [self._ukey(u) for u in b.UnknownFields()]
        if not ua and not ub:
            return
        ca, cb = collections.Counter(ua), collections.Counter(ub)
        if ca == cb:
            return
        only_a = sorted((ca - cb).elements(), key=repr)
        only_b = sorted((cb - ca).elements(), key=repr)
        pre = path + "." if path else ""
        keys = sorted({k[:2] for k in only_a} | {k[:2] for k in only_b})
        for num, wt in keys:
            xa = [k[2] for k in only_a if k[:2] == (num, wt)]
            xb = [k[2] for k in only_b if k[:2] == (num, wt)]
            p = "%s<unknown field %d %s>" % (pre, num, _WIRE_NAMES.get(wt, str(wt)))
            for i in range(max(len(xa), len(xb))):
                sa = _fmt(xa[i]) if i < len(xa) else _ABSENT
                sb = _fmt(xb[i]) if i < len(xb) else _ABSENT
                self._add(p, "%s != %s" % (sa, sb))


def compare_files(path_a, path_b, max_diffs=20):
    """Returns (equal: bool, diffs: list of str, total: int).
    Raises Unreadable."""
    a, da = load_model(path_a)
    b, db = load_model(path_b)
    c = Comparator(max_diffs)
    eq = c.compare_models(a, b, da, db)
    return eq, c.diffs, c.total


def _print_diffs(diffs, total, max_shown, indent=""):
    for d in diffs:
        print(indent + d)
    if total > len(diffs) or len(diffs) >= max_shown:
        print(indent + "... (stopped after %d differences; see --max-diffs)"
              % len(diffs))


def run_batch(listfile, max_diffs, verbose):
    try:
        with open(listfile, "r", encoding="utf-8") as f:
            lines = f.read().splitlines()
    except (OSError, UnicodeDecodeError) as e:
        sys.stderr.write("onnx_compare.py: cannot read %s: %s\n" % (listfile, e))
        return 2
    pairs = []
    for ln, line in enumerate(lines, 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) != 2 or not parts[0] or not parts[1]:
            sys.stderr.write("onnx_compare.py: %s:%d: expected 'A<TAB>B'\n"
                             % (listfile, ln))
            return 2
        pairs.append((parts[0], parts[1]))
    passed = failed = unreadable = 0
    for pa, pb in pairs:
        try:
            eq, diffs, total = compare_files(pa, pb, max_diffs)
        except Unreadable as e:
            failed += 1
            unreadable += 1
            print("FAIL %s %s" % (pa, pb))
            print("    unreadable: %s" % e)
            continue
        if eq:
            passed += 1
            if verbose:
                print("ok   %s %s" % (pa, pb))
        else:
            failed += 1
            print("FAIL %s %s" % (pa, pb))
            _print_diffs(diffs, total, max_diffs, "    ")
        sys.stdout.flush()
    if unreadable:
        print("(%d failed pair(s) had an unreadable model)" % unreadable)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


def main(argv):
    import argparse
    ap = argparse.ArgumentParser(
        prog="onnx_compare.py",
        description="Field-by-field comparison of ONNX model protobufs.")
    ap.add_argument("--batch", metavar="LISTFILE",
                    help="compare every 'A<TAB>B' pair listed in LISTFILE")
    ap.add_argument("--max-diffs", type=int, default=20, metavar="N",
                    help="print at most N differences per pair (default 20)")
    ap.add_argument("-v", "--verbose", action="store_true",
                    help="batch mode: also list passing pairs")
    ap.add_argument("files", nargs="*", metavar="MODEL")
    args = ap.parse_args(argv)
    if args.max_diffs < 1:
        ap.error("--max-diffs must be >= 1")
    if args.batch is not None:
        if args.files:
            ap.error("--batch takes no MODEL arguments")
        return run_batch(args.batch, args.max_diffs, args.verbose)
    if len(args.files) != 2:
        ap.error("expected two model files (or --batch LISTFILE)")
    try:
        eq, diffs, total = compare_files(args.files[0], args.files[1], args.max_diffs)
    except Unreadable as e:
        sys.stderr.write("onnx_compare.py: %s\n" % e)
        return 2
    if eq:
        return 0
    _print_diffs(diffs, total, args.max_diffs)
    return 1


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except BrokenPipeError:
        sys.exit(1)
