/* model.c — the public API over proto/ and ir/: load, save, verify.
 *
 * Translates internal statuses and diagnostics into the public types; holds
 * no logic of its own beyond that.
 */
#include "onnxfold.h"

#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "base/file.h"
#include "base/stage.h"
#include "proto/pb.h"

_Static_assert((int)ONNXFOLD_ERR_IO == (int)BASE_ERR_IO, "status values must match");
_Static_assert((int)ONNXFOLD_ERR_FORMAT == (int)BASE_ERR_FORMAT, "status values must match");
_Static_assert((int)ONNXFOLD_ERR_INVALID == (int)BASE_ERR_INVALID, "status values must match");
_Static_assert((int)ONNXFOLD_ERR_NOMEM == (int)BASE_ERR_NOMEM, "status values must match");
_Static_assert((int)ONNXFOLD_ERR_UNSUPPORTED == (int)BASE_ERR_UNSUPPORTED, "status values match");
_Static_assert((int)ONNXFOLD_ERR_USAGE == (int)BASE_ERR_USAGE, "status values must match");
_Static_assert((int)ONNXFOLD_ERR_LIMIT == (int)BASE_ERR_LIMIT, "status values must match");
_Static_assert(sizeof(((onnxfold_error *)0)->message) == BASE_DIAG_MAX, "message sizes match");

onnxfold_status api_result(base_status st, const base_diag *d, onnxfold_error *err)
{
    if (err) {
        err->status = (onnxfold_status)st;
        if (st == BASE_OK)
            err->message[0] = '\0';
        else if (d->msg[0])
            memcpy(err->message, d->msg, sizeof err->message);
        else
            strcpy(err->message, base_status_name(st));
    }
    return (onnxfold_status)st;
}

onnxfold_status onnxfold_model_load(const char *path, onnxfold_model **out, onnxfold_error *err)
{
    base_diag d = {0};
    ir_model *m = NULL;
    base_status st = pb_load_file(path, &m, &d);
    *out = (onnxfold_model *)m;
    return api_result(st, &d, err);
}

onnxfold_status onnxfold_model_load_memory(const void *data, size_t size, onnxfold_model **out,
                                           onnxfold_error *err)
{
    base_diag d = {0};
    ir_model *m = NULL;
    base_status st = pb_load_memory(data, size, NULL, "(memory)", &m, &d);
    *out = (onnxfold_model *)m;
    return api_result(st, &d, err);
}

void onnxfold_model_free(onnxfold_model *model)
{
    ir_model_free((ir_model *)model);
}

onnxfold_status onnxfold_model_save(onnxfold_model *model, const char *path,
                                    const onnxfold_save_options *opts, onnxfold_error *err)
{
    base_diag d = {0};
    pb_save_options o = {0};
    if (opts) {
        o.mode = opts->mode == ONNXFOLD_EXTERNAL_INTERNAL ? PB_EXTERNAL_INTERNAL
                 : opts->mode == ONNXFOLD_EXTERNAL_FILE   ? PB_EXTERNAL_FILE
                                                          : PB_EXTERNAL_KEEP;
        o.external_file = opts->external_file;
        o.threshold = opts->threshold;
        o.replace_input_data = opts->replace_input_data != 0;
        o.no_sync = opts->no_sync != 0;
    }
    base_status st = pb_save_file((ir_model *)model, path, &o, &d);
    return api_result(st, &d, err);
}

onnxfold_status onnxfold_model_save_memory(onnxfold_model *model, uint8_t **data, size_t *size,
                                           onnxfold_error *err)
{
    base_diag d = {0};
    base_status st = pb_save_memory((ir_model *)model, data, size, &d);
    return api_result(st, &d, err);
}

void onnxfold_remove_temporaries(void)
{
    base_outfile_remove_all();
    base_stage_remove_all();
}

onnxfold_status onnxfold_model_verify(onnxfold_model *model, onnxfold_error *err)
{
    base_diag d = {0};
    base_status st = ir_verify((ir_model *)model, &d);
    return api_result(st, &d, err);
}

const char *onnxfold_status_name(onnxfold_status status)
{
    return base_status_name((base_status)status);
}
