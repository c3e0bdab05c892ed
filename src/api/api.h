/* api.h — helpers shared by the files implementing include/onnxfold.h. */
#ifndef ONNXFOLD_API_API_H
#define ONNXFOLD_API_API_H

#include "base/status.h"
#include "ir/ir.h"
#include "onnxfold.h"

/* Copies an internal result into the public error and returns its status. */
onnxfold_status api_result(base_status st, const base_diag *d, onnxfold_error *err);

#endif
