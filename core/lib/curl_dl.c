/* curl_dl.c: libcurl loaded with dlopen on first use, never linked */
#include "core/lib/curl_dl.h"

#include <dlfcn.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

/* Each symbol and where its pointer goes in struct curl_fns. */
static const struct curl_sym {
	const char *name;
	size_t off;
} curl_syms[] = {
#define SYM(field, name) { name, offsetof(struct curl_fns, field) }
	SYM(global_init, "curl_global_init"),
	SYM(easy_init, "curl_easy_init"),
	SYM(easy_setopt, "curl_easy_setopt"),
	SYM(easy_getinfo, "curl_easy_getinfo"),
	SYM(easy_perform, "curl_easy_perform"),
	SYM(easy_cleanup, "curl_easy_cleanup"),
	SYM(easy_strerror, "curl_easy_strerror"),
	SYM(multi_init, "curl_multi_init"),
	SYM(multi_setopt, "curl_multi_setopt"),
	SYM(multi_add_handle, "curl_multi_add_handle"),
	SYM(multi_remove_handle, "curl_multi_remove_handle"),
	SYM(multi_socket_action, "curl_multi_socket_action"),
	SYM(multi_info_read, "curl_multi_info_read"),
	SYM(multi_cleanup, "curl_multi_cleanup"),
	SYM(multi_strerror, "curl_multi_strerror"),
#undef SYM
};

/* Load soname and fill out; see curl_dl.h. */
void *
curl_dl_open(const char *soname, struct curl_fns *out, struct derr *e)
{
	void *h = dlopen(soname, RTLD_NOW | RTLD_LOCAL);

	if (h == NULL) {
		derr_set(e, "cannot load %s: %s", soname, dlerror());
		return NULL;
	}
	for (size_t i = 0; i < ARRAY_SIZE(curl_syms); i++) {
		void *fn;

		dlerror();
		fn = dlsym(h, curl_syms[i].name);
		if (fn == NULL) {
			const char *why = dlerror();

			derr_set(e, "cannot load %s: %s", soname,
				 why ? why : curl_syms[i].name);
			dlclose(h);
			return NULL;
		}
		/* POSIX: a function pointer has the form of a void *. */
		memcpy((char *)out + curl_syms[i].off, &fn, sizeof fn);
	}
	return h;
}

/* The process-wide libcurl, loaded once; see curl_dl.h. */
const struct curl_fns *
curl_dl(struct derr *e)
{
	static struct curl_fns fns;
	static struct derr failed;
	static bool tried, loaded;
	CURLcode rc;

	if (loaded)
		return &fns;
	if (tried) {
		if (e != NULL)
			*e = failed;
		return NULL;
	}
	tried = true;
	/* The handle stays open for the life of the process. */
	if (curl_dl_open(CURL_DL_SONAME, &fns, &failed) == NULL)
		goto fail;
	rc = fns.global_init(CURL_GLOBAL_DEFAULT);
	if (rc != CURLE_OK) {
		derr_set(&failed, "cannot initialise %s: %s", CURL_DL_SONAME,
			 fns.easy_strerror(rc));
		goto fail;
	}
	loaded = true;
	return &fns;
fail:
	if (e != NULL)
		*e = failed;
	return NULL;
}
