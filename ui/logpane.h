/* logpane.h: the live tail of the selected app's logs */
#ifndef DEPLOY_UI_LOGPANE_H
#define DEPLOY_UI_LOGPANE_H

#include <stdbool.h>
#include <stddef.h>

#include "ui/model.h"

#define LOGPANE_LINES 300

struct logpane {
	char *app;			/* the app followed, or NULL */
	struct logpane_src *src;
	size_t n_src;
	char *lines[LOGPANE_LINES];	/* ring, oldest at head */
	size_t head, n;
};

void logpane_init(struct logpane *lp);
void logpane_free(struct logpane *lp);
/* Follow app's logs (from the model's paths); keeps going if the same. */
void logpane_follow(struct logpane *lp, const struct ui_model *m,
		    const char *app);
/* Read new lines; true when some arrived. */
bool logpane_read(struct logpane *lp);
/* Up to max fds to poll (inotify); returns the count. */
size_t logpane_fds(const struct logpane *lp, int *fds, size_t max);
/* The k-th newest line (0: newest), or NULL. */
const char *logpane_line(const struct logpane *lp, size_t k);

#endif
