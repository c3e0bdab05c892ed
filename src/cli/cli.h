/* cli.h — the onnxfold command: one function per subcommand, shared helpers.
 *
 * The CLI uses only the public API (include/onnxfold.h). Exit statuses:
 * 0 success, 1 a verification found a difference, 2 bad usage or bad input
 * (one line on stderr naming the file and the reason).
 */
#ifndef ONNXFOLD_CLI_CLI_H
#define ONNXFOLD_CLI_CLI_H

#include <stdio.h>

#include "onnxfold.h"

enum { CLI_OK = 0, CLI_DIFFERENT = 1, CLI_FAIL = 2 };

int cli_info(int argc, char **argv);
int cli_convert(int argc, char **argv);

/* Prints "onnxfold: message" to stderr and returns CLI_FAIL. */
int cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* True when arg is "-h" or "--help". */
int cli_is_help(const char *arg);

/* Writes s with control bytes as \xNN and backslashes doubled. */
void cli_print_escaped(FILE *f, const char *s);

int cli_run(int argc, char **argv);
int cli_optimize(int argc, char **argv);
/* Writes size bytes to path through a temporary file in the same folder and a
 * rename: complete or not at all. Prints the error and returns CLI_FAIL. */
int cli_write_atomic(const char *path, const void *data, size_t size);
int cli_verify(int argc, char **argv);

/* JSON output helpers. */
void json_string(FILE *f, const char *s);

#endif
