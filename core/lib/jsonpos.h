/* jsonpos.h: where things are in a JSON text (jansson keeps no positions) */
#ifndef DEPLOY_JSONPOS_H
#define DEPLOY_JSONPOS_H

#include <stddef.h>

/* One step of a path: an object key, or (key NULL) an array index. */
struct jsonpos_step {
	const char *key;
	size_t index;
};

/* A place in the text: 1-based line, and column in characters. */
struct jsonpos {
	int line;
	int col;
};

/*
 * Find the value at path (n steps) in text, which must be valid JSON.
 * With want_key, the last step's key is found instead of its value.
 * When an object has a key twice, the later one counts (as in jansson).
 * Fills *pos with the deepest thing found and returns the number of
 * steps matched (n: all of them).
 */
size_t jsonpos_find(const char *text, size_t len,
		    const struct jsonpos_step *path, size_t n, int want_key,
		    struct jsonpos *pos);

/*
 * The same through an index that scans each container once, the first
 * time a path goes through it: for many lookups in one text (a warning
 * per key), where jsonpos_find rescans the text each time. text must
 * outlive the index.
 */
struct jsonpos_index *jsonpos_index_new(const char *text, size_t len);
size_t jsonpos_index_find(struct jsonpos_index *ix,
			  const struct jsonpos_step *path, size_t n,
			  int want_key, struct jsonpos *pos);
/* Free ix (NULL is fine). */
void jsonpos_index_free(struct jsonpos_index *ix);

/* Called for each key that repeats one earlier in the same object. */
typedef void (*jsonpos_dup_fn)(void *ud, const struct jsonpos_step *path,
			       size_t n, struct jsonpos at,
			       struct jsonpos first);

/* Report every repeated object key in text (valid JSON) to fn. */
void jsonpos_duplicates(const char *text, size_t len, jsonpos_dup_fn fn,
			void *ud);

/*
 * Blank out what JavaScript accepts and JSON does not (// and block
 * comments, a comma before '}' or ']') with spaces, in place, keeping
 * every newline so lines and columns do not move. PM2 evaluates a
 * .json ecosystem file as JavaScript, so its users may have both.
 */
void jsonpos_relax(char *text, size_t len);

/* Append a step (key, or index when key is NULL) to path[*n], which
 * holds max steps: deeper is a bug, and fatal. */
void jsonpos_push(struct jsonpos_step *path, size_t *n, size_t max,
		  const char *key, size_t index);
/* Format path as "apps[2].env.PORT" into buf (always terminated). */
void jsonpos_format(const struct jsonpos_step *path, size_t n, char *buf,
		    size_t size);

#endif
