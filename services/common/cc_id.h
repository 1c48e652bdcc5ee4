/*
 * cc_id: identifiers for enquiries, legs, events and instances.
 *
 * Ids are UUID version 7 strings (RFC 9562): 48 bits of wall-clock
 * milliseconds then 74 random bits, so they sort by creation time, index
 * well in PostgreSQL and never need coordination between replicas.
 */
#ifndef CC_ID_H
#define CC_ID_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CC_ID_LEN 37 /* 36 characters and the NUL */

/* Writes a new id into out. Random bits come from getrandom(2). */
void cc_id_new(char out[CC_ID_LEN]);
/* Same, with the time part given (for tests). */
void cc_id_new_at(char out[CC_ID_LEN], int64_t wall_ms);
/* True when s[0..len) is a well-formed lowercase UUID string. */
bool cc_id_valid(const char *s, size_t len);

#endif
