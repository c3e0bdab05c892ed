/* cli.h — the onnxfold command: one function per subcommand, shared helpers.
 *
 * The CLI uses only the public API (include/onnxfold.h). Exit statuses:
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
/* Decodes one strict UTF-8 character (RFC 3629) at s, which must not be at
 * its terminating NUL: returns its length (1-4) and sets *cp, or returns 0
 * when s[0] does not start a valid sequence (text.c). */
size_t cli_utf8_next(const unsigned char *s, uint32_t *cp);
/* Writes a model string for a terminal: valid UTF-8 as it is; control
 * characters (C0, DEL, C1) and bytes that are not valid UTF-8 as \xNN, one
 * per byte; a backslash as \\. Nothing for NULL (text.c). */
void text_string(FILE *f, const char *s);
/* Writes s as a JSON string, or null for NULL: always valid UTF-8, invalid
 * bytes as \ufffd, controls escaped (json.c). */
void json_string(FILE *f, const char *s);

#endif
