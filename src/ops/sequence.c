/* sequence.c — sequences and optionals (ai.onnx):
 *
 *   SequenceEmpty, SequenceConstruct, SequenceInsert, SequenceErase,
 *   SequenceAt, SequenceLength, ConcatFromSequence         11
 *   SplitToSequence                                        11, 24 (more types only)
 *   Optional                                               15
 *   OptionalHasElement, OptionalGetElement                 15, 18 (18: the input may be
 *                                                          absent, a tensor or a sequence)
 *
 * Values: a sequence is an op_tensor of kind OP_KIND_SEQUENCE whose items are
 * dense tensors of one dtype (`dtype`, 0 while unknown: an empty sequence
 * read from a file); an optional is OP_KIND_OPTIONAL with 0 items (empty) or
 * 1 (a tensor or a sequence). Every output is a new value: elements are deep
 * copies of the inputs (strings too), so no value is shared between slots.
 * Any element dtype is accepted, strings and the small float and sub-byte
 * types included (elements are moved, never computed on).
 *
 * Semantics chosen where the spec leaves room:
 *  - positions (SequenceInsert/Erase/At) are int32 or int64 holding one
 *    element (a scalar, or shape [1]); out of range is refused;
 *  - SequenceInsert/SequenceConstruct refuse a tensor whose dtype differs from
 *    the sequence's; ConcatFromSequence refuses an empty sequence (no shape
 *    to give the result) and elements whose shapes do not fit;
 *  - SplitToSequence: a scalar split s > 0 gives chunks of s with a shorter
 *    last one; a 1-D split must be non-negative and sum to the dim; without
 *    split the chunks have length 1 and keepdims=0 drops the axis;
 *  - OptionalGetElement of an empty optional is refused. A tensor or a
 *    sequence given where an optional is expected counts as a present value
 *    in every version (opset 18 says so; before it, a Loop whose body input
 *    is declared optional receives the plain sequence its body returned, as
 *    the suite's test_loop16_seq_none does).
 *
 * Static types: op_type describes a sequence or optional by its element
 * tensor; an optional holding a sequence cannot be written that way, so
 * inference leaves such results unknown rather than mislabel them.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "ops/decl.h"
#include "ops/flow_common.h"
#include "ops/infer.h"
#include "ops/variants.h"

typedef struct seq_attrs {
    int32_t dtype;       /* SequenceEmpty */
    int64_t axis;        /* SplitToSequence, ConcatFromSequence */
    int64_t keepdims;    /* SplitToSequence */
    int64_t new_axis;    /* ConcatFromSequence */
    const ir_type *type; /* Optional: the type attribute (NULL when absent) */
} seq_attrs;

base_status seq_parse(const op_parse_ctx *pc, void **attrs)
{
    seq_attrs *a = op_parse_alloc(pc, sizeof *a);
    if (!a) return BASE_ERR_NOMEM;
    *attrs = a;
    base_status st = BASE_OK;
    switch (pc->op->variant) {
    case SEQ_EMPTY: {
        int64_t dt;
        st = op_attr_int(pc, "dtype", IR_DTYPE_FLOAT, &dt);
        if (st != BASE_OK) return st;
        if (dt <= 0 || dt > INT32_MAX || op_dtype_size((int32_t)dt) == 0)
            return base_diag_set(pc->d, BASE_ERR_INVALID,
                                 "attribute 'dtype' = %" PRId64 " is not a tensor data type", dt);
        a->dtype = (int32_t)dt;
        break;
    }
    case SEQ_SPLIT:
        st = op_attr_int(pc, "axis", 0, &a->axis);
        if (st == BASE_OK) st = op_attr_int(pc, "keepdims", 1, &a->keepdims);
        if (st == BASE_OK && a->keepdims != 0 && a->keepdims != 1)
            st = base_diag_set(pc->d, BASE_ERR_INVALID, "attribute 'keepdims' must be 0 or 1");
        break;
    case SEQ_CONCAT:
        if (!op_attr(pc, "axis"))
            return base_diag_set(pc->d, BASE_ERR_INVALID, "attribute 'axis' is required");
        st = op_attr_int(pc, "axis", 0, &a->axis);
        if (st == BASE_OK) st = op_attr_int(pc, "new_axis", 0, &a->new_axis);
        if (st == BASE_OK && a->new_axis != 0 && a->new_axis != 1)
            st = base_diag_set(pc->d, BASE_ERR_INVALID, "attribute 'new_axis' must be 0 or 1");
        break;
    case OPT_MAKE: {
        const ir_attr *t = op_attr(pc, "type");
        if (t && !t->tp)
            return base_diag_set(pc->d, BASE_ERR_INVALID, "attribute 'type' must be a type");
        a->type = t ? t->tp : NULL;
        break;
    }
    default:
        break;
    }
    return st;
}

/* ---- inference ----------------------------------------------------------------------- */

/* A type inference knows to be a plain tensor (not merely unknown). */
static bool known_tensor(const op_type *t)
{
    return t && t->kind == OP_KIND_TENSOR && (t->dtype || t->rank >= 0);
}

static base_status need_kind(op_infer_ctx *ic, uint32_t i, op_kind kind, const char *what)
{
    const op_type *t = ic->in[i];
    if (t && (known_tensor(t) ? kind != OP_KIND_TENSOR : t->kind != kind && t->kind != 0))
        return base_diag_set(ic->d, BASE_ERR_INVALID, "input %" PRIu32 " must be %s", i, what);
    return BASE_OK;
}

static base_status same_dtype(base_diag *d, int32_t a, int32_t b)
{
    if (a && b && a != b)
        return base_diag_set(d, BASE_ERR_INVALID, "a sequence of %s cannot hold a %s tensor",
                             op_dtype_name(a), op_dtype_name(b));
    return BASE_OK;
}

/* The element type of a sequence type, as a tensor type. */
static op_type elem_of(const op_type *seq)
{
    op_type e = *seq;
    e.kind = OP_KIND_TENSOR;
    return e;
}

static base_status seq_split_infer(op_infer_ctx *ic, const seq_attrs *a)
{
    const op_type *x = ic->in[0];
    op_type *o = &ic->out[0];
    op_type_set(o, x->dtype, -1);
    o->kind = OP_KIND_SEQUENCE;
    if (x->rank < 0) return BASE_OK;
    int64_t axis;
    base_status st = op_axis(ic->d, a->axis, x->rank, false, &axis);
    if (st != BASE_OK) return st;
    const op_type *sp = ic->n_in > 1 ? ic->in[1] : NULL;
    const op_tensor *sv = ic->n_in > 1 ? ic->value[1] : NULL;
    bool squeeze = !sp && !a->keepdims;
    o->rank = squeeze ? x->rank - 1 : x->rank;
    for (int32_t i = 0, j = 0; i < x->rank; i++) {
        if (i == axis && squeeze) continue;
        o->dims[j++] = i == axis ? op_dim_unknown() : x->dims[i];
    }
    if (!sp && !squeeze) o->dims[axis] = op_dim_known(1);
    if (sv && sv->numel >= 1 && (sv->dtype == IR_DTYPE_INT64 || sv->dtype == IR_DTYPE_INT32)) {
        /* every chunk of one known length: a 1-D split of equal entries, or a
         * scalar that divides the dim */
        int64_t first = op_tensor_get_i64(sv, 0);
        bool same = first >= 0;
        for (int64_t i = 1; same && i < sv->numel; i++) same = op_tensor_get_i64(sv, i) == first;
        if (sv->rank == 0)
            same = same && first > 0 && x->dims[axis].v >= 0 && x->dims[axis].v % first == 0;
        if (same) o->dims[axis] = op_dim_known(first);
    }
    return BASE_OK;
}

static base_status seq_concat_infer(op_infer_ctx *ic, const seq_attrs *a)
{
    const op_type *s = ic->in[0];
    op_type *o = &ic->out[0];
    op_type_set(o, s->dtype, -1);
    if (s->rank < 0) return BASE_OK;
    int32_t rank = s->rank + (a->new_axis ? 1 : 0);
    int64_t axis;
    base_status st = op_axis(ic->d, a->axis, s->rank, a->new_axis != 0, &axis);
    if (st != BASE_OK) return st;
    if (rank > OP_MAX_RANK) return BASE_OK;
    o->rank = rank;
    for (int32_t i = 0; i < rank; i++)
        o->dims[i] = i == axis ? op_dim_unknown() : s->dims[a->new_axis && i > axis ? i - 1 : i];
    return BASE_OK;
}

base_status seq_infer(op_infer_ctx *ic)
{
    const seq_attrs *a = ic->attrs;
    op_type *o = &ic->out[0];
    base_status st = BASE_OK;
    switch (ic->op->variant) {
    case SEQ_EMPTY:
        op_type_set(o, a->dtype, -1);
        o->kind = OP_KIND_SEQUENCE;
        return BASE_OK;
    case SEQ_CONSTRUCT:
        for (uint32_t i = 0; i < ic->n_in && st == BASE_OK; i++) {
            st = need_kind(ic, i, OP_KIND_TENSOR, "a tensor");
            if (st == BASE_OK && i) st = same_dtype(ic->d, ic->in[0]->dtype, ic->in[i]->dtype);
            if (st == BASE_OK) flow_type_union(o, ic->in[i], i == 0);
        }
        o->kind = OP_KIND_SEQUENCE;
        return st;
    case SEQ_INSERT: {
        st = need_kind(ic, 0, OP_KIND_SEQUENCE, "a sequence");
        if (st == BASE_OK) st = need_kind(ic, 1, OP_KIND_TENSOR, "a tensor");
        if (st == BASE_OK) st = same_dtype(ic->d, ic->in[0]->dtype, ic->in[1]->dtype);
        if (st != BASE_OK) return st;
        op_type e = elem_of(ic->in[0]);
        int32_t dtype = e.dtype ? e.dtype : ic->in[1]->dtype;
        flow_type_union(&e, ic->in[1], false);
        *o = e;
        o->dtype = dtype;
        o->kind = OP_KIND_SEQUENCE;
        return BASE_OK;
    }
    case SEQ_ERASE:
        st = need_kind(ic, 0, OP_KIND_SEQUENCE, "a sequence");
        if (st == BASE_OK) *o = *ic->in[0];
        if (st == BASE_OK) o->kind = OP_KIND_SEQUENCE;
        return st;
    case SEQ_AT:
        st = need_kind(ic, 0, OP_KIND_SEQUENCE, "a sequence");
        if (st == BASE_OK) *o = elem_of(ic->in[0]);
        return st;
    case SEQ_LENGTH:
        st = need_kind(ic, 0, OP_KIND_SEQUENCE, "a sequence");
        op_type_set(o, IR_DTYPE_INT64, 0);
        return st;
    case SEQ_SPLIT:
        return seq_split_infer(ic, a);
    case SEQ_CONCAT:
        st = need_kind(ic, 0, OP_KIND_SEQUENCE, "a sequence");
        return st == BASE_OK ? seq_concat_infer(ic, a) : st;
    case OPT_MAKE:
        if (ic->n_in && ic->in[0]) {
            if (known_tensor(ic->in[0])) {
                *o = *ic->in[0];
                o->kind = OP_KIND_OPTIONAL;
            }
        } else if (a->type && a->type->kind == IR_TYPE_TENSOR) {
            op_type_from_ir(a->type, o);
            o->kind = OP_KIND_OPTIONAL;
        } else if (!a->type) {
            return base_diag_set(ic->d, BASE_ERR_INVALID,
                                 "an Optional without input needs the 'type' attribute");
        }
        return BASE_OK;
    case OPT_HAS:
        op_type_set(o, IR_DTYPE_BOOL, 0);
        return BASE_OK;
    case OPT_GET: {
        const op_type *x = ic->n_in ? ic->in[0] : NULL;
        if (!x) return BASE_OK;
        if (x->kind == OP_KIND_OPTIONAL && x->dtype) {
            *o = *x;
            o->kind = OP_KIND_TENSOR;
        } else if (x->kind == OP_KIND_SEQUENCE || known_tensor(x)) {
            *o = *x;
        }
        return BASE_OK;
    }
    default:
        return base_diag_set(ic->d, BASE_ERR_UNSUPPORTED, "unknown sequence operation");
    }
}

/* ---- kernels ------------------------------------------------------------------------------ */

static base_status need_value(const op_ctx *c, const op_tensor *v, uint32_t i, op_kind kind,
                              const char *what)
{
    if (!v || v->kind != kind)
        return base_diag_set(c->d, BASE_ERR_INVALID, "input %" PRIu32 " must be %s", i, what);
    return BASE_OK;
}

/* A position in [-n, n-1] (or [-n, n] when `end` is allowed), normalised. */
static base_status read_position(const op_ctx *c, const op_tensor *p, int64_t n, bool end,
                                 int64_t *pos)
{
    if (p->kind != OP_KIND_TENSOR || (p->dtype != IR_DTYPE_INT64 && p->dtype != IR_DTYPE_INT32) ||
        p->numel != 1 || p->rank > 1)
        return base_diag_set(c->d, BASE_ERR_INVALID,
                             "position must be one int32 or int64 value (a scalar)");
    int64_t v = op_tensor_get_i64(p, 0), hi = end ? n : n - 1;
    if (v < -n || v > hi)
        return base_diag_set(
            c->d, BASE_ERR_INVALID,
            "position %" PRId64 " is out of range for a sequence of %" PRId64 " elements", v, n);
    *pos = v < 0 ? v + n : v;
    return BASE_OK;
}

/* A new sequence of dtype holding copies of items[0..n). */
static base_status new_sequence(const op_ctx *c, int32_t dtype, op_tensor *const *items, uint32_t n,
                                op_tensor **out)
{
    op_tensor *s = op_value_new(OP_KIND_SEQUENCE, dtype);
    if (!s) return base_diag_set(c->d, BASE_ERR_NOMEM, "out of memory");
    for (uint32_t i = 0; i < n; i++) {
        op_tensor *e;
        base_status st = flow_clone(c, items[i], &e);
        if (st == BASE_OK && op_value_push(s, e) != BASE_OK) {
            op_tensor_free(e);
            st = base_diag_set(c->d, BASE_ERR_NOMEM, "out of memory");
        }
        if (st != BASE_OK) {
            op_tensor_free(s);
            return st;
        }
    }
    *out = s;
    return BASE_OK;
}

static base_status seq_split_run(const op_ctx *c, const seq_attrs *a, op_tensor *const *in,
                                 uint32_t n_in, op_tensor **out)
{
    const op_tensor *x = in[0], *sp = n_in > 1 ? in[1] : NULL;
    int64_t axis;
    base_status st = op_axis(c->d, a->axis, x->rank, false, &axis);
    if (st != BASE_OK) return st;
    int64_t dim = x->dims[axis], n_chunks, scalar = 0;
    const int64_t *lens = NULL;
    int64_t *buf = NULL;
    if (!sp) {
        n_chunks = dim;
        scalar = 1;
    } else {
        if (sp->dtype != IR_DTYPE_INT64 && sp->dtype != IR_DTYPE_INT32)
            return base_diag_set(c->d, BASE_ERR_INVALID, "split must be int32 or int64, not %s",
                                 op_dtype_name(sp->dtype));
        if (sp->rank == 0) {
            scalar = op_tensor_get_i64(sp, 0);
            if (scalar <= 0)
                return base_diag_set(c->d, BASE_ERR_INVALID, "split %" PRId64 " must be positive",
                                     scalar);
            n_chunks = dim / scalar + (dim % scalar ? 1 : 0);
        } else if (sp->rank == 1) {
            n_chunks = sp->numel;
            buf = malloc((size_t)(n_chunks ? n_chunks : 1) * sizeof *buf);
            if (!buf) return base_diag_set(c->d, BASE_ERR_NOMEM, "out of memory");
            int64_t sum = 0;
            for (int64_t i = 0; i < n_chunks; i++) {
                buf[i] = op_tensor_get_i64(sp, i);
                if (buf[i] < 0 || buf[i] > dim - sum) {
                    free(buf);
                    return base_diag_set(c->d, BASE_ERR_INVALID,
                                         "split lengths must be non-negative and sum to %" PRId64,
                                         dim);
                }
                sum += buf[i];
            }
            if (sum != dim) {
                free(buf);
                return base_diag_set(c->d, BASE_ERR_INVALID,
                                     "split lengths sum to %" PRId64 ", the dim is %" PRId64, sum,
                                     dim);
            }
            lens = buf;
        } else {
            return base_diag_set(c->d, BASE_ERR_INVALID, "split must be a scalar or 1-D");
        }
    }
    if (n_chunks > UINT32_MAX) {
        free(buf);
        return base_diag_set(c->d, BASE_ERR_UNSUPPORTED, "more than 2^32 sequence elements");
    }
    op_tensor *s = op_value_new(OP_KIND_SEQUENCE, x->dtype);
    if (!s) st = base_diag_set(c->d, BASE_ERR_NOMEM, "out of memory");
    bool squeeze = !sp && !a->keepdims;
    for (int64_t i = 0, start = 0; i < n_chunks && st == BASE_OK; i++) {
        int64_t len = lens ? lens[i] : (dim - start < scalar ? dim - start : scalar);
        op_tensor *e;
        st = flow_slice(c, x, (uint32_t)axis, start, len, squeeze, &e);
        if (st == BASE_OK && op_value_push(s, e) != BASE_OK) {
            op_tensor_free(e);
            st = base_diag_set(c->d, BASE_ERR_NOMEM, "out of memory");
        }
        start += len;
    }
    free(buf);
    if (st != BASE_OK) {
        op_tensor_free(s);
        return st;
    }
    out[0] = s;
    return BASE_OK;
}

static base_status seq_concat_run(const op_ctx *c, const seq_attrs *a, const op_tensor *s,
                                  op_tensor **out)
{
    if (!s->n_items)
        return base_diag_set(c->d, BASE_ERR_INVALID, "cannot concatenate an empty sequence");
    int64_t axis;
    base_status st = op_axis(c->d, a->axis, s->items[0]->rank, a->new_axis != 0, &axis);
    if (st != BASE_OK) return st;
    return flow_concat(c, s->items, s->n_items, (uint32_t)axis, a->new_axis != 0,
                       "sequence element", &out[0]);
}

base_status seq_kernel(const op_ctx *c, op_tensor *const *in, uint32_t n_in, op_tensor **out,
                       uint32_t n_out)
{
    (void)n_out;
    const seq_attrs *a = c->attrs;
    const op_tensor *x = n_in ? in[0] : NULL;
    base_status st = BASE_OK;
    int64_t pos;
    switch (c->op->variant) {
    case SEQ_EMPTY:
        out[0] = op_value_new(OP_KIND_SEQUENCE, a->dtype);
        return out[0] ? BASE_OK : base_diag_set(c->d, BASE_ERR_NOMEM, "out of memory");
    case SEQ_CONSTRUCT:
        for (uint32_t i = 0; i < n_in && st == BASE_OK; i++) {
            st = need_value(c, in[i], i, OP_KIND_TENSOR, "a tensor");
            if (st == BASE_OK && in[i]->dtype != x->dtype)
                st = base_diag_set(c->d, BASE_ERR_INVALID,
                                   "input %" PRIu32 " is %s, input 0 is %s: a sequence holds one "
                                   "data type",
                                   i, op_dtype_name(in[i]->dtype), op_dtype_name(x->dtype));
        }
        return st == BASE_OK ? new_sequence(c, x->dtype, in, n_in, &out[0]) : st;
    case SEQ_INSERT: {
        st = need_value(c, x, 0, OP_KIND_SEQUENCE, "a sequence");
        if (st == BASE_OK) st = need_value(c, in[1], 1, OP_KIND_TENSOR, "a tensor");
        if (st != BASE_OK) return st;
        if (x->dtype && in[1]->dtype != x->dtype) return same_dtype(c->d, x->dtype, in[1]->dtype);
        pos = x->n_items;
        if (n_in > 2 && in[2]) st = read_position(c, in[2], x->n_items, true, &pos);
        if (st == BASE_OK) st = new_sequence(c, in[1]->dtype, x->items, x->n_items, &out[0]);
        op_tensor *e = NULL;
        if (st == BASE_OK) st = flow_clone(c, in[1], &e);
        if (st == BASE_OK && op_value_push(out[0], e) != BASE_OK) {
            op_tensor_free(e);
            st = base_diag_set(c->d, BASE_ERR_NOMEM, "out of memory");
        }
        if (st != BASE_OK) return st;
        op_tensor **it = out[0]->items;
        memmove(it + pos + 1, it + pos, (size_t)(x->n_items - pos) * sizeof *it);
        it[pos] = e;
        return BASE_OK;
    }
    case SEQ_ERASE: {
        st = need_value(c, x, 0, OP_KIND_SEQUENCE, "a sequence");
        if (st != BASE_OK) return st;
        if (!x->n_items)
            return base_diag_set(c->d, BASE_ERR_INVALID, "cannot erase from an empty sequence");
        pos = x->n_items - 1;
        if (n_in > 1 && in[1]) st = read_position(c, in[1], x->n_items, false, &pos);
        if (st == BASE_OK) st = new_sequence(c, x->dtype, x->items, (uint32_t)pos, &out[0]);
        for (uint32_t i = (uint32_t)pos + 1; i < x->n_items && st == BASE_OK; i++) {
            op_tensor *e;
            st = flow_clone(c, x->items[i], &e);
            if (st == BASE_OK && op_value_push(out[0], e) != BASE_OK) {
                op_tensor_free(e);
                st = base_diag_set(c->d, BASE_ERR_NOMEM, "out of memory");
            }
        }
        return st;
    }
    case SEQ_AT:
        st = need_value(c, x, 0, OP_KIND_SEQUENCE, "a sequence");
        if (st == BASE_OK) st = need_value(c, in[1], 1, OP_KIND_TENSOR, "a tensor");
        if (st == BASE_OK) st = read_position(c, in[1], x->n_items, false, &pos);
        return st == BASE_OK ? flow_clone(c, x->items[pos], &out[0]) : st;
    case SEQ_LENGTH: {
        st = need_value(c, x, 0, OP_KIND_SEQUENCE, "a sequence");
        if (st == BASE_OK) st = op_output(c, out, 0, IR_DTYPE_INT64, 0, NULL);
        if (st == BASE_OK) *(int64_t *)out[0]->data = x->n_items;
        return st;
    }
    case SEQ_SPLIT:
        st = need_value(c, x, 0, OP_KIND_TENSOR, "a tensor");
        if (st == BASE_OK && n_in > 1 && in[1])
            st = need_value(c, in[1], 1, OP_KIND_TENSOR, "a tensor");
        return st == BASE_OK ? seq_split_run(c, a, in, n_in, out) : st;
    case SEQ_CONCAT:
        st = need_value(c, x, 0, OP_KIND_SEQUENCE, "a sequence");
        return st == BASE_OK ? seq_concat_run(c, a, x, out) : st;
    case OPT_MAKE: {
        int32_t dtype = 0;
        if (x) {
            if (x->kind != OP_KIND_TENSOR && x->kind != OP_KIND_SEQUENCE)
                return base_diag_set(c->d, BASE_ERR_INVALID,
                                     "input 0 must be a tensor or a sequence");
            dtype = x->kind == OP_KIND_TENSOR ? x->dtype : 0;
        } else if (!a->type) {
            return base_diag_set(c->d, BASE_ERR_INVALID,
                                 "an Optional without input needs the 'type' attribute");
        } else if (a->type->kind == IR_TYPE_TENSOR && a->type->has_elem_type) {
            dtype = a->type->elem_type;
        }
        op_tensor *o = op_value_new(OP_KIND_OPTIONAL, dtype), *e = NULL;
        if (!o) return base_diag_set(c->d, BASE_ERR_NOMEM, "out of memory");
        if (x) st = flow_clone(c, x, &e);
        if (st == BASE_OK && e && op_value_push(o, e) != BASE_OK) {
            op_tensor_free(e);
            st = base_diag_set(c->d, BASE_ERR_NOMEM, "out of memory");
        }
        if (st != BASE_OK) {
            op_tensor_free(o);
            return st;
        }
        out[0] = o;
        return BASE_OK;
    }
    case OPT_HAS:
    case OPT_GET: {
        if (!x && (c->opset < 18 || c->op->variant == OPT_GET))
            return base_diag_set(c->d, BASE_ERR_INVALID, "input 0 is required");
        bool has = x && (x->kind != OP_KIND_OPTIONAL || x->n_items > 0);
        if (c->op->variant == OPT_HAS) {
            st = op_output(c, out, 0, IR_DTYPE_BOOL, 0, NULL);
            if (st == BASE_OK) *(uint8_t *)out[0]->data = has;
            return st;
        }
        if (!has) return base_diag_set(c->d, BASE_ERR_INVALID, "the optional is empty");
        return flow_clone(c, x->kind == OP_KIND_OPTIONAL ? x->items[0] : x, &out[0]);
    }
    default:
        return base_diag_set(c->d, BASE_ERR_UNSUPPORTED, "unknown sequence operation");
    }
}
