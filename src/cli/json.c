/* json.c — JSON string output for the commands (base/json.c writes it). */
#include "base/json.h"
#include "cli/cli.h"

void json_string(FILE *f, const char *s)
{
    base_json_write_string(f, s);
}
