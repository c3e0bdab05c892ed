/* cli.h — the onnxfold command: one function per subcommand, shared helpers.
 *
 * The CLI uses only the public API (include/onnxfold.h), and base/'s text
 * helpers (strict UTF-8, JSON strings). Exit statuses:
 * 0 success, 1 a verification found a difference, 2 bad usage or bad input
 * (one line on stderr naming the file and the reason).
 */
#ifndef ONNXFOLD_CLI_CLI_H
#define ONNXFOLD_CLI_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "onnxfold.h"

enum { CLI_OK = 0, CLI_DIFFERENT = 1, CLI_FAIL = 2 };

int cli_info(int argc, char **argv);
int cli_convert(int argc, char **argv);

/* Prints "onnxfold: message" to stderr and returns CLI_FAIL. */
int cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* True when arg is "-h" or "--help". */
int cli_is_help(const char *arg);

int cli_run(int argc, char **argv);
int cli_optimize(int argc, char **argv);
/* Writes size bytes to path through a temporary file in the same folder and a
 * rename: complete or not at all. Prints the error and returns CLI_FAIL. */
int cli_write_atomic(const char *path, const void *data, size_t size);
/* True when paths a and b name the same file: the same inode when both
 * exist, the same name in the same folder when neither does (write.c). */
int cli_same_file(const char *a, const char *b);
int cli_verify(int argc, char **argv);
/* Writes a model string for a terminal: valid UTF-8 as it is; control
 * characters (C0, DEL, C1) and bytes that are not valid UTF-8 as \xNN, one
 * per byte; a backslash as \\. Nothing for NULL (text.c). */
void text_string(FILE *f, const char *s);
/* Writes s as a JSON string, or null for NULL: always valid UTF-8, invalid
 * bytes as \ufffd, controls escaped (json.c). */
void json_string(FILE *f, const char *s);

/* --input-shape NAME=d0,d1,...: at most CLI_MAX_SHAPES of them, rank <= 16. */
#define CLI_MAX_SHAPES 64
typedef struct cli_shape {
    const char *name;
    size_t rank;
    int64_t dims[16];
} cli_shape;
/* Parses NAME=d0,d1,... in place (the '=' becomes the end of the name);
 * 0 when malformed (args.c). */
int cli_parse_shape(char *arg, cli_shape *s);
/* A decimal count without sign; 0 when malformed or out of range. */
int cli_parse_u64(const char *s, uint64_t *out);

int cli_slice(int argc, char **argv);
int cli_run_slices(int argc, char **argv);

#endif
