/* chain.c — running a slice folder's slices in order (see chain.h). */
#include "slice/chain.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "base/strmap.h"

static base_status nomem(base_diag *d)
{
    return base_diag_set(d, BASE_ERR_NOMEM, "out of memory");
}

/* The slot of `name`, which the folder's chain check guarantees exists. */
static uint32_t slot_of(const base_strmap *slots, const char *name)
{
    uintptr_t s = (uintptr_t)base_strmap_get(slots, name);
    BASE_ASSERT(s > 0);
    return (uint32_t)(s - 1);
}

static uint32_t *slots_for(const base_strmap *slots, const sl_value *v, uint32_t n)
{
    uint32_t *out = calloc(n + 1, sizeof *out);
    for (uint32_t j = 0; out && j < n; j++) out[j] = slot_of(slots, v[j].name);
    return out;
}

/* Slots by name: the model's inputs, then each slice's outputs, in order. */
static base_status make_slots(sl_chain *c, base_strmap *slots, base_diag *d)
{
    const sl_folder *f = c->f;
    for (uint32_t i = 0; i < f->n_inputs; i++)
        if (base_strmap_put(slots, f->inputs[i].name, (void *)(uintptr_t)(++c->n_slots)) != BASE_OK)
            return nomem(d);
    for (uint32_t k = 0; k < f->n_slices; k++)
        for (uint32_t j = 0; j < f->slices[k].n_outputs; j++) {
            const char *name = f->slices[k].outputs[j].name;
            /* a model input passed straight through keeps the input's slot */
            if (base_strmap_get(slots, name)) continue;
            if (base_strmap_put(slots, name, (void *)(uintptr_t)(++c->n_slots)) != BASE_OK)
                return nomem(d);
        }
    return BASE_OK;
}

base_status sl_chain_init(sl_chain *c, const sl_folder *f, ir_model **models, const ev_options *o,
                          base_diag *d)
{
    memset(c, 0, sizeof *c);
    c->f = f;
    uint32_t n = f->n_slices;
    c->sessions = calloc(n + 1, sizeof *c->sessions);
    c->in_slot = calloc(n + 1, sizeof *c->in_slot);
    c->out_slot = calloc(n + 1, sizeof *c->out_slot);
    c->dead_slot = calloc(n + 1, sizeof *c->dead_slot);
    if (!c->sessions || !c->in_slot || !c->out_slot || !c->dead_slot) return nomem(d);
    base_strmap slots;
    base_strmap_init(&slots);
    base_status st = make_slots(c, &slots, d);
    if (st == BASE_OK) {
        c->output_slot = slots_for(&slots, f->outputs, f->n_outputs);
        if (!c->output_slot) st = nomem(d);
    }
    for (uint32_t k = 0; st == BASE_OK && k < n; k++) {
        const sl_fslice *s = &f->slices[k];
        c->in_slot[k] = slots_for(&slots, s->inputs, s->n_inputs);
        c->out_slot[k] = slots_for(&slots, s->outputs, s->n_outputs);
        c->dead_slot[k] = calloc(s->n_dead + 1, sizeof **c->dead_slot);
        if (!c->in_slot[k] || !c->out_slot[k] || !c->dead_slot[k]) {
            st = nomem(d);
            break;
        }
        for (uint32_t j = 0; j < s->n_dead; j++) c->dead_slot[k][j] = slot_of(&slots, s->dead[j]);
        st = ev_session_new(models[k], o, &c->sessions[k], d);
        if (st != BASE_OK) {
            char path[1200];
            base_diag_prefix(d, sl_folder_path(f, s->file, path, sizeof path));
            break;
        }
        /* sl_folder_match compared the graph's inputs and outputs with the record */
        BASE_ASSERT(ev_input_count(c->sessions[k]) == s->n_inputs);
        BASE_ASSERT(ev_output_count(c->sessions[k]) == s->n_outputs);
        for (uint32_t j = 0; j < s->n_inputs; j++)
            BASE_ASSERT(strcmp(ev_input(c->sessions[k], j)->name, s->inputs[j].name) == 0);
    }
    base_strmap_free(&slots);
    return st;
}

void sl_chain_free(sl_chain *c)
{
    uint32_t n = c->f ? c->f->n_slices : 0;
    for (uint32_t k = 0; k < n; k++) {
        if (c->sessions) ev_session_free(c->sessions[k]);
        if (c->in_slot) free(c->in_slot[k]);
        if (c->out_slot) free(c->out_slot[k]);
        if (c->dead_slot) free(c->dead_slot[k]);
    }
    free(c->sessions);
    free(c->in_slot);
    free(c->out_slot);
    free(c->dead_slot);
    free(c->output_slot);
    memset(c, 0, sizeof *c);
}

/* ---- inputs ------------------------------------------------------------------------------- */

static const char *kind_name(op_kind k)
{
    static const char *const names[] = {"tensor", "sequence", "optional", "map", "sparse_tensor"};
    return (unsigned)k < sizeof names / sizeof *names ? names[k] : "unknown";
}

/* "float [1,3,8,8]" of a given value into buf. */
static const char *given_str(const op_tensor *t, char *buf, size_t size)
{
    size_t n = 0;
    int w = snprintf(buf, size, "%s", kind_name(t->kind));
    if (t->kind == OP_KIND_TENSOR)
        w = snprintf(buf, size, "%s",
                     ir_dtype_known(t->dtype) ? ir_dtype_get(t->dtype)->name : "unknown");
    n = w > 0 ? (size_t)w : 0;
    for (uint32_t i = 0; t->kind == OP_KIND_TENSOR && i <= t->rank && n < size; i++) {
        w = i < t->rank ? snprintf(buf + n, size - n, "%s%" PRId64, i ? "," : " [", t->dims[i])
                        : snprintf(buf + n, size - n, "%s]", t->rank ? "" : " [");
        n += w > 0 ? (size_t)w : 0;
    }
    return buf;
}

base_status sl_chain_check_inputs(const sl_folder *f, const op_tensor *const *inputs, base_diag *d)
{
    base_strmap bound; /* dim name -> 1 + size */
    base_strmap_init(&bound);
    base_status st = BASE_OK;
    char want[256], got[256];
    for (uint32_t i = 0; st == BASE_OK && i < f->n_inputs; i++) {
        const sl_value *v = &f->inputs[i];
        const op_tensor *t = inputs[i];
        if (!t) {
            if (!v->optional)
                st = base_diag_set(d, BASE_ERR_USAGE, "input %u '%s' was not given", i, v->name);
            continue;
        }
        sl_value_str(v, want, sizeof want);
        bool tensor = strcmp(v->kind, "tensor") == 0;
        if (strcmp(kind_name(t->kind), v->kind) != 0) {
            st = base_diag_set(d, BASE_ERR_USAGE, "input %u: %s given for %s", i,
                               kind_name(t->kind), want);
            continue;
        }
        if (!tensor) continue; /* the slice's session checks the items */
        given_str(t, got, sizeof got);
        if (v->dtype_code && t->dtype != v->dtype_code) {
            st = base_diag_set(d, BASE_ERR_USAGE, "input %u: element type %s given for %s", i,
                               ir_dtype_known(t->dtype) ? ir_dtype_get(t->dtype)->name : "unknown",
                               want);
            continue;
        }
        if (v->rank >= 0 && (uint32_t)v->rank != t->rank) {
            st = base_diag_set(d, BASE_ERR_USAGE, "input %u: rank %u (%s) given for %s", i, t->rank,
                               got, want);
            continue;
        }
        for (int32_t k = 0; st == BASE_OK && k < v->rank; k++) {
            const sl_dim *dm = &v->dims[k];
            int64_t size = t->dims[k];
            if (dm->value >= 0 && dm->value != size) {
                st = base_diag_set(d, BASE_ERR_USAGE, "input %u: dim %d is %" PRId64 " (%s), %s", i,
                                   k, size, got, want);
            } else if (dm->param) {
                uintptr_t b = (uintptr_t)base_strmap_get(&bound, dm->param);
                if (b && (int64_t)(b - 1) != size)
                    st = base_diag_set(d, BASE_ERR_USAGE,
                                       "input %u: dim %d ('%s') is %" PRId64 " (%s), but another "
                                       "input set '%s' to %" PRId64 "; %s",
                                       i, k, dm->param, size, got, dm->param, (int64_t)(b - 1),
                                       want);
                else if (!b && size >= 0 && (uint64_t)size < UINTPTR_MAX &&
                         base_strmap_put(&bound, dm->param, (void *)(uintptr_t)(size + 1)) !=
                             BASE_OK)
                    st = nomem(d);
            }
        }
    }
    base_strmap_free(&bound);
    return st;
}

/* ---- running -------------------------------------------------------------------------------- */

typedef struct run_state {
    op_tensor **val; /* per slot */
    bool *owned;     /* per slot: val was computed by a slice */
    op_tensor **ins, **outs;
    uint32_t cap; /* of ins and outs */
} run_state;

static void drop(run_state *r, uint32_t slot)
{
    if (r->owned[slot]) op_tensor_free(r->val[slot]);
    r->val[slot] = NULL;
    r->owned[slot] = false;
}

static base_status run_slice(sl_chain *c, run_state *r, uint32_t k, sl_chain_fn fn, void *ctx,
                             base_diag *d)
{
    const sl_fslice *s = &c->f->slices[k];
    for (uint32_t j = 0; j < s->n_inputs; j++) r->ins[j] = r->val[c->in_slot[k][j]];
    memset(r->outs, 0, s->n_outputs * sizeof *r->outs);
    base_status st = ev_run(c->sessions[k], r->ins, r->outs, d);
    if (st != BASE_OK) {
        char path[1200];
        base_diag_prefix(d, sl_folder_path(c->f, s->file, path, sizeof path));
        return st;
    }
    for (uint32_t j = 0; j < s->n_outputs; j++) {
        uint32_t slot = c->out_slot[k][j];
        /* a pass-through of a model input replaces the borrowed input by its copy */
        drop(r, slot);
        r->val[slot] = r->outs[j];
        r->owned[slot] = true;
        r->outs[j] = NULL;
    }
    if (fn) {
        const op_tensor **outs = (const op_tensor **)r->outs;
        for (uint32_t j = 0; j < s->n_outputs; j++) outs[j] = r->val[c->out_slot[k][j]];
        if (fn(ctx, k, (const op_tensor *const *)r->ins, outs) != 0) {
            memset(r->outs, 0, s->n_outputs * sizeof *r->outs);
            char path[1200];
            return base_diag_set(d, BASE_ERR_IO, "%s: the chain was stopped after this slice",
                                 sl_folder_path(c->f, s->file, path, sizeof path));
        }
        memset(r->outs, 0, s->n_outputs * sizeof *r->outs);
    }
    for (uint32_t j = 0; j < s->n_dead; j++) drop(r, c->dead_slot[k][j]);
    return BASE_OK;
}

/* Moves (or copies) the model's outputs out of the table. */
static base_status take_outputs(sl_chain *c, run_state *r, op_tensor **outputs, base_diag *d)
{
    const sl_folder *f = c->f;
    for (uint32_t i = 0; i < f->n_outputs; i++) {
        uint32_t slot = c->output_slot[i];
        if (!r->val[slot])
            return base_diag_set(d, BASE_ERR_INVALID, "model output '%s' has no value",
                                 f->outputs[i].name);
        bool later = false; /* named again by a later output: copy this one */
        for (uint32_t j = i + 1; j < f->n_outputs; j++) later |= c->output_slot[j] == slot;
        if (r->owned[slot] && !later) {
            outputs[i] = r->val[slot];
            r->val[slot] = NULL;
            r->owned[slot] = false;
        } else {
            base_status st = op_tensor_clone(r->val[slot], &outputs[i], d);
            if (st != BASE_OK) return st;
        }
    }
    return BASE_OK;
}

base_status sl_chain_run(sl_chain *c, op_tensor *const *inputs, op_tensor **outputs, sl_chain_fn fn,
                         void *ctx, base_diag *d)
{
    const sl_folder *f = c->f;
    for (uint32_t i = 0; i < f->n_outputs; i++) outputs[i] = NULL;
    base_status st = sl_chain_check_inputs(f, (const op_tensor *const *)inputs, d);
    if (st != BASE_OK) return st;
    run_state r = {0};
    for (uint32_t k = 0; k < f->n_slices; k++) {
        uint32_t m = f->slices[k].n_inputs > f->slices[k].n_outputs ? f->slices[k].n_inputs
                                                                    : f->slices[k].n_outputs;
        if (m > r.cap) r.cap = m;
    }
    r.val = calloc(c->n_slots + 1, sizeof *r.val);
    r.owned = calloc(c->n_slots + 1, sizeof *r.owned);
    r.ins = calloc(r.cap + 1, sizeof *r.ins);
    r.outs = calloc(r.cap + 1, sizeof *r.outs);
    if (!r.val || !r.owned || !r.ins || !r.outs) st = nomem(d);
    for (uint32_t i = 0; st == BASE_OK && i < f->n_inputs; i++) r.val[i] = inputs[i];
    for (uint32_t k = 0; st == BASE_OK && k < f->n_slices; k++)
        st = run_slice(c, &r, k, fn, ctx, d);
    if (st == BASE_OK) st = take_outputs(c, &r, outputs, d);
    if (st != BASE_OK)
        for (uint32_t i = 0; i < f->n_outputs; i++) {
            op_tensor_free(outputs[i]);
            outputs[i] = NULL;
        }
    for (uint32_t i = 0; r.val && r.owned && i < c->n_slots; i++) drop(&r, i);
    free(r.val);
    free(r.owned);
    free(r.ins);
    free(r.outs);
    return st;
}
