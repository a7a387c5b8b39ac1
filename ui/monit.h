/* monit.h: the dashboard's loop */
#ifndef DEPLOY_UI_MONIT_H
#define DEPLOY_UI_MONIT_H

#include "core/lib/util.h"

/*
 * Run the dashboard on the terminal until 'q': a snapshot from home's
 * daemon every interval_ms, keys, the log pane. Restores the terminal on
 * every exit path. 0; 1, doing nothing, when the terminal cannot move
 * its cursor (TERM=dumb); -1 with e filled when curses cannot start.
 */
int ui_monit(const char *home, int interval_ms, struct derr *e);

#endif
