/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 *
 * Redis Cluster slots, and the shard tag of a run id.  The keys of an
 * agent carry the hash tag {A}: they are in slot CRC16(A) mod 16384.  A
 * run id carries that slot in its last four hex digits (low 14 bits; the
 * other 2 stay random), so that its keys are found from the id alone and
 * are in its agent's slot: they carry the hash tag {S}, S the slot's tag,
 * the first string of [0-9a-zA-Z]{1,4} (shortest first, in that order)
 * whose CRC16 mod 16384 is that slot.  docs/redis-keys.md, "Redis Cluster".
 */

#ifndef AA_SLOT_H
#define AA_SLOT_H

#include <stddef.h>

#define AA_SLOTS         16384
#define AA_SLOT_TAG_MAX  5       /* the longest tag and a NUL */

/* The Redis Cluster slot of hash tag s (len bytes): CRC16 mod 16384. */
unsigned aa_slot(const char *s, size_t len);

/* The tag of slot (< AA_SLOTS), NUL-terminated; NULL on a bad slot. */
const char *aa_slot_tag(unsigned slot);

/*
 * The slot a run id carries (its last four hex digits, low 14 bits), or
 * -1 when id does not end in four lower-case hex digits.
 */
int aa_run_slot(const char *id, size_t len);

/* Writes "run-<uuid4>" carrying slot and a NUL; its length, or -1. */
int aa_run_id_new(unsigned slot, char *out, size_t size);

#endif
